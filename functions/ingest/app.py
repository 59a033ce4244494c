"""Every provider's ingest function: POST /webhooks/{provider}/{subscription}[/...].

Each provider is its own function in template.yaml (own route, IAM, concurrency, alarms); they share this
code, and the PROVIDER variable names the definition in hookbridge/providers/definitions.
"""

from hookbridge.handlers import ingest_handler

handler = ingest_handler()
