"""Sending work to agencies and making sure it lands."""
