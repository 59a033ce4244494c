"""In-memory stand-ins for the ports (``hookbridge.ports``) and for Powertools' secrets source, shared by the
unit and property tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from hookbridge import providers
from hookbridge.model import StoredEvent, StoreOutcome
from hookbridge.samples import example_secret

# The four providers' secrets as an operator writes them; every other definition's is derived from its
# schemes (secret_layout).
SECRET_LAYOUT: dict[str, Callable[[str], dict[str, Any]]] = {
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
    """A subscription's secret around one key, written as the sender shows it (the four providers' as an
    operator writes them; every definition's as `hookbridge providers check` makes one)."""
    if provider in SECRET_LAYOUT:
        return SECRET_LAYOUT[provider](key)
    return example_secret(providers.definition(provider), key)


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


class FixedSecrets(MemorySecrets):
    """Powertools' secrets source holding one secret: every subscription named "demo" has it."""

    def __init__(self, secret: dict[str, Any]) -> None:
        self.secret = secret

    def get(self, name: str, max_age: int | None = None, *, force_fetch: bool = False) -> str:
        super().get(name)  # not found as MemorySecrets is, unless "demo"
        return json.dumps(self.secret)
