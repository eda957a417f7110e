"""Twilio webhooks: inbound SMS, keypresses on alert calls, and status callbacks. Every one is signed."""
