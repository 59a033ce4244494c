"""A subscription as the commands find it in AWS: its record in the subscriptions table and its secret in
Secrets Manager (exists, scheduled for deletion, or missing, each with what to do)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from hookbridge.aws.registry import SubscriptionNotFound, SubscriptionRegistry
from hookbridge.subscription import secret_name
from hookbridge_cli.errors import Refused
from hookbridge_cli.target import Target

ROW_FIELDS = ["provider", "subscription", "webhook_id", "status", "checked_at", "reasons", "contact"]


def rows(t: Target) -> list[dict[str, Any]]:
    """Every subscription with its last health check, as `subscriptions list` and `health` print them."""
    return [
        {
            "provider": s.provider,
            "subscription": s.subscription,
            "webhook_id": s.webhook_id,
            "status": s.health.status if s.health else None,
            "checked_at": s.health.checked_at if s.health else None,
            "reasons": list(s.health.reasons) if s.health else [],
            "contact": s.contact,
        }
        for s in SubscriptionRegistry(t.client("dynamodb"), t.subscriptions_table).list()
    ]


def secret_exists(t: Target, name: str) -> bool:
    """True for a secret that exists and is not scheduled for deletion."""
    try:
        described = t.client("secretsmanager").describe_secret(SecretId=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise
    if described.get("DeletedDate"):
        raise Refused(
            f"secret {name} is scheduled for deletion",
            f"restore it (aws secretsmanager restore-secret --secret-id {name}) or wait until it is gone",
        )
    return True


def read_secret(t: Target, provider: str, subscription: str) -> dict[str, Any]:
    name = secret_name(t.prefix, provider, subscription)
    try:
        raw = t.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise Refused(
                f"no secret {name}",
                f"create it: hookbridge subscriptions create {provider} {subscription} --secret-file FILE",
            ) from exc
        raise
    try:
        value: dict[str, Any] = json.loads(raw)
    except ValueError:
        # Not chained: a JSONDecodeError carries the document, which is the secret.
        raise Refused(
            f"secret {name} is not JSON",
            "fix it in Secrets Manager (see the secret's JSON in docs/deploying.md)",
        ) from None
    return value


def require_subscription(t: Target, provider: str, subscription: str) -> None:
    """Refuses a subscription that has neither a record nor a secret (an empty answer would look like
    "no events yet")."""
    try:
        SubscriptionRegistry(t.client("dynamodb"), t.subscriptions_table).get(provider, subscription)
        return
    except SubscriptionNotFound:
        pass
    if not secret_exists(t, secret_name(t.prefix, provider, subscription)):
        raise Refused(f"no subscription {provider}/{subscription}", "see `hookbridge subscriptions list`")
