"""In-memory stand-ins for the ports (``hookbridge.ports``) and for Powertools' secrets source, shared by the
unit and property tests."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from hookbridge import providers
from hookbridge.model import StoredEvent, StoreOutcome
from hookbridge.providers.definition import Hmac, Token

# The four providers' secrets as an operator writes them; every other definition's is derived from its
# schemes (secret_layout).
SECRET_LAYOUT = {
    "zippex": lambda key: {"signing_secrets": [key]},
    "zencargo": lambda key: {"signing_secrets": [key]},
    "zinc": lambda key: {"tokens": [key]},
    "zonos": lambda key: {
        "signing_secrets": [key],
        "hmac_header": "X-Zonos-Signature",
        "tokens": [key + "t"],
        "token_header": "X-Hookbridge-Token",
    },
}


def secret_layout(provider: str, key: str) -> dict[str, Any]:
    """A subscription's secret around one key, with the signing secret written as the sender shows it
    (Standard Webhooks: whsec_ + base64)."""
    if provider in SECRET_LAYOUT:
        return SECRET_LAYOUT[provider](key)
    layout: dict[str, Any] = {}
    for scheme in providers.definition(provider).auth.schemes:  # type: ignore[union-attr]
        if isinstance(scheme, Hmac):
            shown = key if scheme.key_encoding == "utf8" else base64.b64encode(key.encode()).decode()
            layout["signing_secrets"] = [scheme.key_prefix + shown]
        elif isinstance(scheme, Token):
            layout["tokens"] = [key + "t"]
        else:
            layout["basic_auth"] = [{"username": "u" + key, "password": key}]
    return layout


class MemorySecrets:
    """Powertools' secrets source, in memory: every subscription named "demo" exists, with a fixed secret of
    its provider's layout; any other is not found, as Secrets Manager answers."""

    def get(self, name: str, max_age: int | None = None, *, force_fetch: bool = False) -> str:
        _, provider, subscription = name.split("/")
        if subscription != "demo":
            try:  # as Powertools raises it: GetParameterError while handling the SDK's error
                raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "GetSecretValue")
            except ClientError as exc:
                raise GetParameterError(str(exc))  # noqa: B904 - the cause is what Powertools chains
        return json.dumps(secret_layout(provider, "k" * 16))


class MemoryStore:
    """The events table in memory (``hookbridge.ports.EventStore``): a repeated dedupe key is a duplicate
    (windows are not modelled), and every event put is kept in ``events``."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}
        self.events: list[StoredEvent] = []

    def put_once(self, event: StoredEvent, now: float) -> StoreOutcome:
        self.events.append(event)
        if event.dedupe_key in self.items:
            return StoreOutcome("duplicate", self.items[event.dedupe_key])
        self.items[event.dedupe_key] = event.id
        return StoreOutcome("accepted", event.id)
