"""Every setting a function reads, parsed once at cold start from the environment the template gives it.

Logic never reads ``os.environ``: the entry points call :meth:`Settings.from_environ` once and pass the
model down, so tests build a ``Settings`` directly.
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


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    prefix: str = Field("hookbridge", alias="HOOKBRIDGE_PREFIX", pattern=r"^[a-z][a-z0-9-]{0,30}$")
    events_table: str = Field(alias="EVENTS_TABLE", min_length=3)
    provider: str | None = Field(None, alias="PROVIDER")  # the ingest functions' provider module
    event_bus: str | None = Field(None, alias="EVENT_BUS", min_length=1)
    subscriptions_table: str | None = Field(None, alias="SUBSCRIPTIONS_TABLE", min_length=3)
    dead_letter_queue_url: str | None = Field(None, alias="DEAD_LETTER_QUEUE_URL", min_length=1)
    # How often an ingest container adds its count of rejected requests to the registry.
    rejection_flush_seconds: int = Field(60, alias="REJECTION_FLUSH_SECONDS", ge=1)
    zippex_api_url: str = Field("https://api.zippex.com", alias="ZIPPEX_API_URL")
    zonos_api_url: str = Field("https://api.zonos.com/graphql", alias="ZONOS_API_URL")
    provider_api_timeout_seconds: float = Field(5.0, alias="PROVIDER_API_TIMEOUT_SECONDS", gt=0, le=30)
    # Off by default: turning a provider's webhook back on is an operator's decision.
    reenable_disabled_zonos_webhooks: bool = Field(False, alias="REENABLE_DISABLED_ZONOS_WEBHOOKS")
    retention_days: int = Field(7, alias="RETENTION_DAYS", ge=1, le=3650)  # the template's default
    # Content-hash dedupe window for the deliveries of this function's provider that carry no event id.
    dedupe_window_seconds: int = Field(3600, alias="DEDUPE_WINDOW_SECONDS", ge=1)
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, alias="MAX_BODY_BYTES", ge=1, le=4_400_000)
    inline_payload_bytes: int = Field(
        DEFAULT_INLINE_PAYLOAD_BYTES, alias="INLINE_PAYLOAD_BYTES", ge=1, le=380_000
    )
    payload_bucket: str | None = Field(None, alias="PAYLOAD_BUCKET", min_length=3)
    # How many partitions the "events of a subscription by day" index spreads one day over.
    index_shards: int = Field(1, alias="EVENT_INDEX_SHARDS", ge=1, le=64)
    secret_max_age_seconds: int = Field(300, alias="SECRET_MAX_AGE_SECONDS", ge=0)
    secret_not_found_max_age_seconds: int = Field(30, alias="SECRET_NOT_FOUND_MAX_AGE_SECONDS", ge=0)
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
