"""Health function: on a schedule, checks every registered subscription and reports changes."""

from hookbridge.handlers import health_handler

handler = health_handler()
