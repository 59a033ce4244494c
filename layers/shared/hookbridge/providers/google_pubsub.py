"""Google Cloud Pub/Sub push subscriptions with authentication: the code its definition
(``definitions/google-pubsub.toml``) names.

Why code and not a definition: the credential is an OIDC ID token that Google signs with RS256 under a key
of its JWKS (https://www.googleapis.com/oauth2/v3/certs), a key no secret holds and fetched at verify time,
and claims (issuer, audience, a service account's verified email) the definition language has no words for.
The parts that are not Google's own (the key store and the RS256 check) are in ``jwks``, for the next sender
of that kind (Microsoft Graph's rich notifications).
https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions

A request passes when, in this order (each refusal before any fetch, so a forged request costs none, but
for a made-up ``kid``, which costs at most ``jwks.UNKNOWN_KID_BUDGET`` fetches per instance):
- the subscription's secret names a ``service_account`` (none: everything is refused);
- ``Authorization: Bearer <token>``, the token an RS256 compact JWS with a ``kid`` (``jwks.read_token``:
  ``none``, ``HS256`` or any other algorithm is refused before a key is looked up);
- its claims: ``iss`` ``https://accounts.google.com`` or ``accounts.google.com``; ``aud`` the secret's
  ``audience``, else the push endpoint URL as the sender calls it (the secret's ``url`` when the function
  sees another one); ``email`` the secret's ``service_account`` and ``email_verified`` true; ``exp`` not
  past and ``iat`` not ahead (``CLOCK_SKEW_SECONDS`` either way), at most ``MAX_LIFETIME_SECONDS`` apart;
- the signature, under the key of that ``kid``: from the instance's cache of Google's JWKS (fetched from
  that fixed URL only, kept for its Cache-Control max-age), or, when the secret pins keys in
  ``public_keys``, from those alone and never from the network (the local stack, the tests).

What the token proves, honestly: the caller, not the body. The token signs no part of the request, and
Google reuses a token for up to an hour, across messages and subscriptions with the same service account
and audience. So a token captured within its hour (a proxy's log, a misconfigured endpoint) lets its holder
post any body to this subscription until it expires, as a static token would: it is a bearer credential.
What holds even then: each message is identified by its ``messageId`` (the dedupe key, kept for the
event's retention), so a captured request replayed, or re-sent with a changed body under the same
``messageId``, is a duplicate and never published twice; a body with a new ``messageId`` under a captured
token is accepted as new until the token expires (nothing in the request can tell it from Google's).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from hookbridge.errors import Unauthorized
from hookbridge.model import UNRECOGNIZED, Credentials, EventDescription, WebhookRequest
from hookbridge.providers._fields import short_str
from hookbridge.providers.certificates import private_key_numbers
from hookbridge.providers.jwks import (
    JwksStore,
    Token,
    check_signature,
    encode_rs256,
    jwk_of,
    pinned_for,
    pinned_keys,
    read_token,
)
from hookbridge.providers.scheme_parts import Absent, signed_url
from hookbridge.providers.signed_content import request_url, with_and_without_port
from hookbridge.subscription import SubscriptionSecret

JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"  # fixed: never one the request names
ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})
CLOCK_SKEW_SECONDS = 60
MAX_LIFETIME_SECONDS = 3600 + CLOCK_SKEW_SECONDS  # Google's ID tokens last an hour
# The message attributes that name an event's type, first found wins (Cloud Storage notifications set
# eventType; many publishers set type); else every message is of type MESSAGE.
TYPE_ATTRIBUTES = ("eventType", "type")
MESSAGE = "message"
VERIFIED_BY = "oidc-rs256"

# What a subscription's secret must set (the command line refuses a secret without it): the key is
# Google's, but the service account whose tokens are accepted is the subscription's.
SECRET_REQUIRES = ("service_account",)

# Per instance: Google's keys, fetched once per max-age (jwks.JwksStore). Tests replace it.
STORE = JwksStore(JWKS_URL)


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    if not secret.service_account:
        raise Unauthorized("subscription names no service_account")
    sent = request.headers.get("authorization", "").strip()
    if not sent:
        raise Absent("missing header Authorization")
    if sent[:7].lower() != "bearer ":
        raise Unauthorized("authorization is not Bearer")
    token = read_token(sent[7:].strip())
    check_claims(token.claims, secret.service_account, _audiences(request, secret), now)
    check_signature(token, _keys(token, secret))
    return VERIFIED_BY


def _audiences(request: WebhookRequest, secret: SubscriptionSecret) -> list[str]:
    if secret.audience:
        return [secret.audience]
    return with_and_without_port(request_url(request, secret))


def _keys(token: Token, secret: SubscriptionSecret) -> list[Any]:
    if secret.public_keys:  # pinned: only these, never a fetch
        return pinned_for(pinned_keys(secret.public_keys), token.kid)
    return STORE.keys_for(token.kid)


def check_claims(claims: Mapping[str, Any], service_account: str, audiences: list[str], now: float) -> None:
    """Unauthorized unless the claims are Google's, for this audience and service account, and current."""
    if claims.get("iss") not in ISSUERS:
        raise Unauthorized("token issuer is not Google")
    audience = claims.get("aud")
    if not isinstance(audience, str) or audience not in audiences:
        raise Unauthorized("token audience is not this subscription's")
    email = claims.get("email")
    if not isinstance(email, str) or email.lower() != service_account.strip().lower():
        raise Unauthorized("token email is not the subscription's service account")
    if claims.get("email_verified") not in (True, "true"):
        raise Unauthorized("token email not verified")
    issued, expiry = _number(claims.get("iat")), _number(claims.get("exp"))
    if issued is None or expiry is None:
        raise Unauthorized("token has no iat or exp")
    if now >= expiry + CLOCK_SKEW_SECONDS:
        raise Unauthorized("token expired")
    if issued > now + CLOCK_SKEW_SECONDS or not 0 < expiry - issued <= MAX_LIFETIME_SECONDS:
        raise Unauthorized("token times not sane")


def _number(value: Any) -> float | None:
    return None if isinstance(value, bool) or not isinstance(value, int | float) else float(value)


def describe(request: WebhookRequest, payload: Any) -> EventDescription:
    body = _object(payload)
    message = _object(body.get("message"))
    attributes = _object(message.get("attributes"))
    message_id = short_str(message.get("messageId")) or short_str(message.get("message_id"))
    recognized = message_id is not None
    kind = next((t for a in TYPE_ATTRIBUTES if (t := short_str(attributes.get(a)))), MESSAGE)
    kind = kind if recognized else UNRECOGNIZED
    subscription = short_str(body.get("subscription"))
    return EventDescription(
        event_type=kind,
        recognized=recognized,
        event_id=message_id,
        # A bearer token proves the caller, and binds nothing: as for a static token, everything counts as
        # proven, and the messageId is what identifies a message (a replay under it is a duplicate).
        proven_id=message_id,
        proven_type=kind,
        occurred_at=short_str(message.get("publishTime")) or short_str(message.get("publish_time")),
        subject=short_str(attributes.get("objectId")),
        extra={"pubsub_subscription": subscription} if subscription else {},  # "subscription" is ours
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sign(
    secret: SubscriptionSecret,
    body: bytes,
    timestamp: int,
    url: str = "",
    headers: Mapping[str, str] | None = None,
) -> Credentials:
    """An ID token as Google would send it at ``timestamp`` (valid an hour), for the secret's service account
    and audience (else ``url``), signed with the secret's first private key (a test key: ``example_secret``)
    under the kid of its first pinned JWK. For the samples, the tests and the command line only."""
    if not secret.private_keys or not secret.service_account:
        raise Unauthorized("no private key or service_account to sign with")
    n, d = _private_key(secret.private_keys[0].get_secret_value())
    kid = next((k.kid for k in pinned_keys(secret.public_keys) if k.kid and k.n == n), None) or _kid(n)
    claims = {
        "aud": secret.audience or signed_url(url, secret),
        "azp": _subject(secret.service_account),
        "email": secret.service_account,
        "email_verified": True,
        "exp": timestamp + 3600,
        "iat": timestamp,
        "iss": "https://accounts.google.com",
        "sub": _subject(secret.service_account),
    }
    return Credentials(headers={"Authorization": "Bearer " + encode_rs256(claims, kid, n, d)})


def _subject(account: str) -> str:
    """A stand-in for the service account's numeric unique id (Google's ``sub`` and ``azp``)."""
    return str(int.from_bytes(hashlib.sha256(account.encode()).digest()[:8]) % 10**21).rjust(21, "1")


def _kid(n: int) -> str:
    return hashlib.sha1(n.to_bytes((n.bit_length() + 7) // 8), usedforsecurity=False).hexdigest()


def _private_key(value: str) -> tuple[int, int]:
    try:
        return private_key_numbers(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        raise Unauthorized("private_keys: not a base64 DER RSA key") from None


def example_secret(key: str) -> dict[str, Any]:
    """A secret in this sender's layout for ``key``: the service account, a JWK pinned in ``public_keys``
    (so that nothing is fetched) and its private key. Made with `cryptography`, which the command line and
    the tests have and the Lambda layer does not: never called by a function."""
    jwk, private = _example_pair(key)
    return {
        "service_account": f"push-{_digest(key)}@hookbridge-demo.iam.gserviceaccount.com",
        "public_keys": [jwk],
        "private_keys": [private],
    }


@lru_cache(maxsize=8)
def _example_pair(key: str) -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    jwk = jwk_of(_kid(numbers.n), numbers.n, numbers.e)
    return json.dumps(jwk, separators=(",", ":")), base64.b64encode(der).decode()


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]
