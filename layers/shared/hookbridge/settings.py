"""Every setting a function reads, parsed once at cold start from the environment the template gives it: one
model per function over what they share, each field the function cannot run without required.

Logic never reads ``os.environ``: the entry points call ``from_environ`` once and pass the model down, so
tests build settings directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field

# Lambda takes a 6 MB request event, and API Gateway base64-encodes binary bodies (4/3 larger): 4 MB fits.
DEFAULT_MAX_BODY_BYTES = 4_000_000
# A DynamoDB item holds 400 KB: a body up to this stays in the item (binary, with its metadata); a larger
# one goes to the payload bucket and the item points at it.
DEFAULT_INLINE_PAYLOAD_BYTES = 350_000
# How long an ingest instance trusts its list of the sender's subscriptions (a deleted subscription is
# refused within it), and how often at most it lists them again for a name it does not know (a new one is
# served within it; invented names cost at most one ListSecrets per instance per interval).
SUBSCRIPTIONS_MAX_AGE_SECONDS = 60
SUBSCRIPTIONS_MISS_INTERVAL_SECONDS = 10


class FunctionSettings(BaseModel):
    """What every function reads (the template's Globals)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    prefix: str = Field("hookbridge", alias="HOOKBRIDGE_PREFIX", pattern=r"^[a-z][a-z0-9-]{0,30}$")
    events_table: str = Field(alias="EVENTS_TABLE", min_length=3)
    retention_days: int = Field(7, alias="RETENTION_DAYS", ge=1, le=3650)  # the template's default
    # How many partitions the "events of a subscription by day" index spreads one day over.
    index_shards: int = Field(1, alias="EVENT_INDEX_SHARDS", ge=1, le=64)
    metrics_namespace: str = Field("hookbridge", alias="POWERTOOLS_METRICS_NAMESPACE")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", alias="LOG_LEVEL")
    # Set by Lambda: "on-demand", "provisioned-concurrency" or "snap-start".
    initialization_type: str | None = Field(None, alias="AWS_LAMBDA_INITIALIZATION_TYPE")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        return cls.model_validate(dict(environ))

    @property
    def retention_seconds(self) -> int:
        return self.retention_days * 86_400


class SecretSettings(BaseModel):
    """How long a function keeps the subscriptions' secrets it has read."""

    secret_max_age_seconds: int = Field(300, alias="SECRET_MAX_AGE_SECONDS", ge=0)
    secret_not_found_max_age_seconds: int = Field(30, alias="SECRET_NOT_FOUND_MAX_AGE_SECONDS", ge=0)


class IngestSettings(FunctionSettings, SecretSettings):
    """A sender's ingest function."""

    provider: str = Field(alias="PROVIDER", pattern=r"^[a-z][a-z0-9-]{0,30}$")  # its definition's name
    subscriptions_table: str = Field(
        alias="SUBSCRIPTIONS_TABLE", min_length=3
    )  # rejections are counted there
    payload_bucket: str = Field(alias="PAYLOAD_BUCKET", min_length=3)  # bodies too large for an item
    # Content-hash dedupe window for the deliveries that carry no event id; 0: the sender's own (its
    # definition's, else as long as the event is kept). The template sets it from a stack parameter where
    # one exists (ZencargoDedupeWindowSeconds).
    dedupe_window_seconds: int = Field(0, alias="DEDUPE_WINDOW_SECONDS", ge=0)
    # How often an ingest container adds its count of rejected requests to the registry.
    rejection_flush_seconds: int = Field(60, alias="REJECTION_FLUSH_SECONDS", ge=1)
    # How often at most an ingest container prints its metrics (refusals, duplicates) as one line; its 5xx
    # answers are printed at once.
    metrics_interval_seconds: float = Field(60, alias="METRICS_INTERVAL_SECONDS", ge=0, le=3600)
    subscriptions_max_age_seconds: float = Field(
        SUBSCRIPTIONS_MAX_AGE_SECONDS, alias="SUBSCRIPTIONS_MAX_AGE_SECONDS", gt=0, le=3600
    )
    subscriptions_miss_interval_seconds: float = Field(
        SUBSCRIPTIONS_MISS_INTERVAL_SECONDS, alias="SUBSCRIPTIONS_MISS_INTERVAL_SECONDS", gt=0, le=3600
    )
    # The warm path waits 1 s for AWS's answer (aws/clients.py), far more than AWS takes.
    # Only the local stack sets this: its moto shares one machine's CPU with the functions and a load run,
    # and has no Lambda timeout to end inside. The template never sets it (tests/template/test_schedules.py).
    local_read_timeout_seconds: float | None = Field(None, alias="LOCAL_READ_TIMEOUT_SECONDS", gt=0, le=60)
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, alias="MAX_BODY_BYTES", ge=1, le=4_400_000)
    inline_payload_bytes: int = Field(
        DEFAULT_INLINE_PAYLOAD_BYTES, alias="INLINE_PAYLOAD_BYTES", ge=1, le=380_000
    )


class PublisherSettings(FunctionSettings):
    """The publisher: the events table's stream onto the bus."""

    event_bus: str = Field(alias="EVENT_BUS", min_length=1)
    payload_bucket: str = Field(alias="PAYLOAD_BUCKET", min_length=3)  # where payload_ref points


class HealthSettings(FunctionSettings, SecretSettings):
    """The scheduled health check."""

    subscriptions_table: str = Field(alias="SUBSCRIPTIONS_TABLE", min_length=3)
    event_bus: str = Field(alias="EVENT_BUS", min_length=1)
    dead_letter_queue_url: str = Field(alias="DEAD_LETTER_QUEUE_URL", min_length=1)
    zippex_api_url: str = Field("https://api.zippex.com", alias="ZIPPEX_API_URL")
    zonos_api_url: str = Field("https://api.zonos.com/graphql", alias="ZONOS_API_URL")
    provider_api_timeout_seconds: float = Field(5.0, alias="PROVIDER_API_TIMEOUT_SECONDS", gt=0, le=30)
    # Off by default: turning a provider's webhook back on is an operator's decision.
    reenable_disabled_zonos_webhooks: bool = Field(False, alias="REENABLE_DISABLED_ZONOS_WEBHOOKS")
