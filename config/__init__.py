"""Settings and reference data for hotline1999."""
