"""Ways to reach a person: Twilio SMS and voice, and a console backend for development."""
