"""Settings as the template would give a function, with only what a test cares about changed."""

from __future__ import annotations

from hookbridge.settings import FunctionSettings, IngestSettings, PublisherSettings

FUNCTION = {"EVENTS_TABLE": "events", "LOG_LEVEL": "ERROR"}
INGEST = {**FUNCTION, "SUBSCRIPTIONS_TABLE": "subscriptions", "PAYLOAD_BUCKET": "payloads"}


def function_settings(**environ: str) -> FunctionSettings:
    return FunctionSettings.model_validate({**FUNCTION, **environ})


def ingest_settings(provider: str = "zippex", **environ: str) -> IngestSettings:
    return IngestSettings.model_validate({**INGEST, "PROVIDER": provider, **environ})


def publisher_settings(**environ: str) -> PublisherSettings:
    environ = {"EVENT_BUS": "bus", "PAYLOAD_BUCKET": "payloads", **environ}
    return PublisherSettings.model_validate({**FUNCTION, **environ})
