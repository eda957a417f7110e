"""Realistic demo data: `flask demo generate` writes a stretch of the centre's life as the services would."""
