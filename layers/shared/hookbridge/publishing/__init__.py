"""Publishing: stored events from the table's stream onto the EventBridge bus (the outbox's other half)."""
