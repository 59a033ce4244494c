"""Publisher function: the events table's stream (INSERT) onto the EventBridge bus."""

from hookbridge.handlers import publisher_handler

handler = publisher_handler()
