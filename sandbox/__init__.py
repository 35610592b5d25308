"""Sandbox stand-ins for the outside world the services talk to: a bank, an SMTP sink."""
