"""The envelope: the `detail` hookbridge publishes (see publishing/publisher.py) around a provider's data."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    # Open to fields a later version (or a provider) adds: a consumer must not break on them.
    model_config = ConfigDict(extra="allow")


class PayloadRef(_Open):
    """Where a payload too big for a bus entry is stored; `data` is then null."""

    store: str
    bucket: str | None = None
    table: str | None = None
    key: Any = None
    # A batch's element: the keys and indexes from the stored body's root to it.
    pointer: list[str | int] | None = None


class Metadata(_Open):
    provider: str
    subscription: str
    id: str | None = None
    event_id: str | None = None
    dedupe_key: str | None = None
    received_at: str | None = None
    occurred_at: str | None = None
    subject: str | None = None
    verified_by: str | None = None
    recognized: bool | None = None
    payload_sha256: str | None = None
    payload_ref: PayloadRef | None = None
    # An element of a batch the sender sent in one request: the stored webhook's id and its place in it.
    batch_id: str | None = None
    batch_index: str | None = None
