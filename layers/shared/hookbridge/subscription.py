"""What a subscription is, as operators and every part of hookbridge see it: its name, the layout of its
secret (an operator contract), and its record in the registry with its last health check.

Core types: the ingest pipeline, the providers, the health check and the AWS adapters all use them, and
they depend on nothing of those.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

# Subscription names are ours (they name secrets): anything else is not a subscription, and costs no
# Secrets Manager call.
SUBSCRIPTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
PROVIDER_NAME = r"^[a-z][a-z0-9_-]{0,30}$"  # a definition's name: standard-webhooks


def secret_name(prefix: str, provider: str, subscription: str) -> str:
    return f"{prefix}/{provider}/{subscription}"


class BasicAuth(BaseModel):
    model_config = ConfigDict(frozen=True)
    username: SecretStr
    password: SecretStr


class AwaitingHandshake(BaseModel):
    """The operator's leave for a handshake to hand this subscription its signing secret (Asana, Notion):
    until a time, once. ``token`` names the one version of the secret that the learned value may become
    (Secrets Manager's ClientRequestToken): a second, different value can never be written under it."""

    model_config = ConfigDict(frozen=True)

    until: datetime
    token: str = Field(pattern=r"^[A-Za-z0-9-]{32,64}$")

    def open_at(self, now: float) -> bool:
        until = self.until if self.until.tzinfo else self.until.replace(tzinfo=UTC)
        return now < until.timestamp()


class SubscriptionSecret(BaseModel):
    """SecretString of ``{prefix}/{provider}/{subscription}``. Fields a provider does not use are ignored.

    Values are SecretStr so that no repr, log line or validation error can print them.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    signing_secrets: tuple[SecretStr, ...] = ()  # newest first; any one verifying is enough
    tokens: tuple[SecretStr, ...] = ()
    basic_auth: tuple[BasicAuth, ...] = ()
    # The sender's public keys, as its dashboard shows them (not secret; a list for rotation).
    public_keys: tuple[str, ...] = ()
    # The topics whose messages an AWS SNS subscription accepts (their ARNs); none: every message is refused.
    topic_arns: tuple[str, ...] = ()
    # Google Cloud Pub/Sub push with authentication: the service account whose OIDC tokens are accepted
    # (the token's email), and the audience the subscription sets (None: the push endpoint URL, as Google's
    # default).
    service_account: str | None = Field(None, min_length=3, max_length=320)
    audience: str | None = Field(None, min_length=1, max_length=2048)
    # The id PayPal gave the webhook (Developer Dashboard, the app's Webhooks): PayPal signs it into every
    # notification, so one sent to another webhook is refused.
    webhook_id: str | None = Field(None, pattern=r"^[A-Za-z0-9]{1,50}$")
    # What the endpoint answers a subscription handshake with (Meta's hub.verify_token).
    verify_token: SecretStr | None = None
    # The URL exactly as given to the sender, without its query, for senders that sign it (Twilio, Square,
    # HubSpot): needed when the public URL differs from what the function sees (a custom domain).
    url: str | None = Field(None, pattern=r"^https?://[^\s?#]+$")
    # Never needed to receive: the private half of a test key pair, for `hookbridge send` and the tests
    # to sign as a public-key sender (Discord, SendGrid) does.
    private_keys: tuple[SecretStr, ...] = ()
    # An API key (Zippex, Zonos: the health check's probe); Plaid's API secret, sent only to Plaid's key
    # endpoint.
    api_key: SecretStr | None = None
    # Plaid: the client id and the environment whose key endpoint is asked for its verification keys.
    client_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    environment: Literal["production", "sandbox"] | None = None
    token_header: str | None = Field(None, min_length=1)
    hmac_header: str | None = Field(None, min_length=1)
    hmac_encoding: Literal["hex", "base64"] = "hex"
    # Set by `hookbridge subscriptions create ... --await-handshake`, cleared when the secret is learned.
    awaiting_handshake: AwaitingHandshake | None = None

    def signing_keys(self) -> list[bytes]:
        return [s.get_secret_value().encode() for s in self.signing_secrets if s.get_secret_value()]


# "new": made, no event yet, and its quiet period since it was made not over (hookbridge.health.checker).
HealthStatus = Literal["healthy", "new", "degraded", "silent", "disabled", "unknown"]


class Health(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: HealthStatus
    reasons: tuple[str, ...] = ()
    checked_at: str
    # Ids of the dead-letter messages found to hold this subscription's events: they stay attributed
    # after their stream records expire.
    dead_letters: tuple[str, ...] = ()


class Subscription(BaseModel):
    """A subscription's record: what operations need (the secret stays in Secrets Manager)."""

    model_config = ConfigDict(frozen=True)

    provider: str = Field(pattern=PROVIDER_NAME)
    subscription: str = Field(pattern=SUBSCRIPTION_NAME.pattern)
    webhook_id: str | None = None  # the provider's id of our webhook (Zippex wh_..., Zonos webhook id)
    expected_events: tuple[str, ...] = ()
    quiet_period_seconds: int = Field(86_400, ge=60)  # the longest silence that is still normal
    contact: str | None = None
    # When the record was made (ISO 8601). None only for a record read without one (written by hand or by
    # another tool): its age is unknown, and the health check does not call it new.
    created_at: str | None = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    health: Health | None = None
    rejected_total: int = 0  # added to by the ingest functions
    rejected_total_at_check: int = 0  # rejected_total when health was last checked

    def made_at(self) -> datetime | None:
        """``created_at`` as a time (UTC when it names no zone); None when absent or unreadable."""
        return _time(self.created_at)

    def last_checked_at(self) -> datetime | None:
        return _time(self.health.checked_at) if self.health else None


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
