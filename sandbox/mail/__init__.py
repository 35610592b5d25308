"""A development SMTP sink: every message it receives becomes an .eml file."""
