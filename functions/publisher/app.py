"""The entry point of the publisher: the events table's stream onto the bus (template.yaml: CodeUri
functions/publisher, Handler app.handler). The code is in the shared layer."""

from hookbridge.assembly.publisher import publisher_handler

# Assembled on the first invocation, never at import.
handler = publisher_handler()
