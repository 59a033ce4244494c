"""The entry point of the scheduled health check (template.yaml: CodeUri functions/health, Handler
app.handler). The code is in the shared layer."""

from hookbridge.assembly.health import health_handler

# Assembled on the first invocation, never at import.
handler = health_handler()
