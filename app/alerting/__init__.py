"""Alerts to agencies and citizens: outbox rows written at dispatch, the ladder, the sender."""
