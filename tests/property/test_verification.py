"""Properties of every provider's verification: genuine always passes, any change is always refused, and no
input makes the handler answer 5xx or raise."""

from __future__ import annotations

import base64
import os
import string
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.model import WebhookRequest
from hookbridge.providers.definition import Hmac, Token
from hookbridge.subscription import SubscriptionSecret
from tests.support.fakes import MemorySecrets, MemoryStore, secret_layout
from tests.support.settings import ingest_settings

NOW = 1_800_000_000
secrets_text = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=8, max_size=40)
bodies = st.binary(max_size=2048)


def hmac_schemes(provider: str) -> list[Hmac]:
    auth = providers.definition(provider).auth
    return [s for s in auth.schemes if isinstance(s, Hmac)] if auth else []


# Zinc is unsigned: its token is in the URL. Every definition with an HMAC signs the body.
BODY_IS_SIGNED = {"zippex", "zencargo", "zonos"} | {p for p in providers.names() if hmac_schemes(p)}
# Definitions that sign a timestamp, with its tolerance.
TIMESTAMPED = {
    p: scheme.timestamp.tolerance_seconds
    for p in providers.names()
    for scheme in hmac_schemes(p)[:1]
    if scheme.timestamp is not None
}


def request_for(provider: str, body: bytes, credentials: Any, timestamp: int = NOW) -> WebhookRequest:
    path = {"event_type": "status_updated"} if provider == "zinc" else {}
    headers = {k.lower(): v for k, v in credentials.headers.items()}
    return WebhookRequest(provider, "prod", headers, dict(credentials.query), path, body, timestamp * 1000)


def genuine(provider: str, key: str, body: bytes) -> tuple[SubscriptionSecret, WebhookRequest]:
    secret = SubscriptionSecret.model_validate(secret_layout(provider, key))
    return secret, request_for(provider, body, providers.load(provider).sign(secret, body, NOW))


@pytest.mark.parametrize("provider", providers.names())
@given(key=secrets_text, body=bodies)
def test_genuine_requests_always_pass(provider: str, key: str, body: bytes) -> None:
    secret, request = genuine(provider, key, body)
    assert providers.load(provider).verify(request, secret, NOW)


@pytest.mark.parametrize("provider", sorted(BODY_IS_SIGNED))
@given(key=secrets_text, body=bodies.filter(bool), data=st.data())
def test_any_change_to_the_body_is_refused(provider: str, key: str, body: bytes, data: Any) -> None:
    secret, request = genuine(provider, key, body)
    index = data.draw(st.integers(0, len(body) - 1))
    flipped = body[:index] + bytes([body[index] ^ data.draw(st.integers(1, 255))]) + body[index + 1 :]
    with pytest.raises(Unauthorized):
        providers.load(provider).verify(request_for(provider, flipped, _credentials(request)), secret, NOW)


@pytest.mark.parametrize("provider", providers.names())
@given(key=secrets_text, other=secrets_text, body=bodies)
def test_any_other_secret_is_refused(provider: str, key: str, other: str, body: bytes) -> None:
    if key == other:
        return
    secret, _ = genuine(provider, key, body)
    _, forged = genuine(provider, other, body)
    with pytest.raises(Unauthorized):
        providers.load(provider).verify(forged, secret, NOW)


@pytest.mark.parametrize("provider", providers.names())
@given(key=secrets_text, body=bodies, data=st.data())
def test_any_change_to_a_credential_value_is_refused(provider: str, key: str, body: bytes, data: Any) -> None:
    secret, request = genuine(provider, key, body)
    values = {
        **{("h", k): v for k, v in request.headers.items()},
        **{("q", k): v for k, v in request.query.items()},
    }
    where = data.draw(st.sampled_from(sorted(values)))
    changed = data.draw(st.text(max_size=80).filter(lambda v: v != values[where]))
    headers, query = dict(request.headers), dict(request.query)
    (headers if where[0] == "h" else query)[where[1]] = changed
    tampered = WebhookRequest(provider, "prod", headers, query, request.path, body, request.received_at_ms)
    with pytest.raises(Unauthorized):
        providers.load(provider).verify(tampered, secret, NOW)


@given(key=secrets_text, body=bodies, skew=st.integers(301, 10**9), sign=st.sampled_from([-1, 1]))
def test_zippex_timestamps_outside_300_seconds_are_refused(
    key: str, body: bytes, skew: int, sign: int
) -> None:
    secret = SubscriptionSecret.model_validate({"signing_secrets": [key]})
    signed_at = NOW + sign * skew
    credentials = providers.load("zippex").sign(secret, body, signed_at)
    with pytest.raises(Unauthorized):
        providers.load("zippex").verify(request_for("zippex", body, credentials, signed_at), secret, NOW)


@pytest.mark.parametrize(("provider", "tolerance"), sorted(TIMESTAMPED.items()))
@given(key=secrets_text, body=bodies, beyond=st.integers(1, 10**9), sign=st.sampled_from([-1, 1]))
def test_signed_timestamps_outside_the_tolerance_are_refused(
    provider: str, tolerance: int, key: str, body: bytes, beyond: int, sign: int
) -> None:
    secret = SubscriptionSecret.model_validate(secret_layout(provider, key))
    signed_at = NOW + sign * (tolerance + beyond)
    credentials = providers.load(provider).sign(secret, body, signed_at)
    with pytest.raises(Unauthorized):
        providers.load(provider).verify(request_for(provider, body, credentials, signed_at), secret, NOW)


def _credentials(request: WebhookRequest) -> Any:
    from hookbridge.model import Credentials

    return Credentials(headers=request.headers, query=request.query)


# ------------------------------------------------------------------------------------------ the handler
def handler_for(provider: str) -> Any:
    from hookbridge.aws.secrets import SecretStore
    from hookbridge.handlers import build_ingest_handler

    store = SecretStore(MemorySecrets(), "hookbridge", 300, 30)
    return build_ingest_handler(providers.load(provider), ingest_settings(provider), store, MemoryStore())


def _defined_headers() -> set[str]:
    """Every header a definition reads: signatures, timestamps, ids, types."""
    found: set[str] = set()
    for provider in providers.names():
        definition = providers.definition(provider)
        for scheme in definition.auth.schemes if definition.auth else ():
            if isinstance(scheme, Hmac):
                found |= {scheme.header, *scheme.signed_headers()}
                if scheme.timestamp and scheme.timestamp.header:
                    found.add(scheme.timestamp.header)
            elif isinstance(scheme, Token) and scheme.header:
                found.add(scheme.header)
        event = definition.event
        for source in (*event.type, *event.id, *event.occurred_at, *event.subject) if event else ():
            if source.header:
                found.add(source.header)
    return {h.lower() for h in found}


DEFINED_HEADERS = sorted(_defined_headers() - {"authorization"})
header_names = st.sampled_from(
    [
        "zippex-signature",
        "x-zippex-signature",
        "x-zippex-timestamp",
        "x-zippex-event-id",
        "zencargo-hmac-sha256",
        "authorization",
        "x-zonos-signature",
        "x-hookbridge-token",
        "content-type",
        "x-random",
        *DEFINED_HEADERS,
    ]
)
ugly_text = st.text(max_size=200)


def random_event(provider: str, data: Any) -> dict[str, Any]:
    from tests.support.events import load_event, sample_names

    event = load_event(provider, data.draw(st.sampled_from(sample_names(provider))))
    event["headers"] = data.draw(st.dictionaries(header_names, ugly_text, max_size=6))
    event["queryStringParameters"] = data.draw(
        st.dictionaries(st.sampled_from(["token", "type", "x"]), ugly_text, max_size=3)
    )
    body = data.draw(st.one_of(bodies, st.just(event["body"].encode())))
    if data.draw(st.booleans()):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"], event["isBase64Encoded"] = body.decode("utf-8", "replace"), False
    if data.draw(st.booleans()):
        event["body"] = data.draw(ugly_text)  # not even valid base64, sometimes
    subscription = data.draw(
        st.one_of(st.just("demo"), st.text(min_size=1, max_size=70).filter(lambda s: "/" not in s))
    )
    segments = event["rawPath"].split("/")
    segments[3] = subscription
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/".join(segments)
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    return event


FUZZ_EXAMPLES = int(os.environ.get("HOOKBRIDGE_FUZZ_EXAMPLES", "300"))


@pytest.mark.parametrize("provider", providers.names())
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_requests_never_get_a_5xx_or_escape_the_handler(provider: str, data: Any) -> None:
    """The fuzz target: CI runs it with HOOKBRIDGE_FUZZ_EXAMPLES (see .ci/run), bounded in time."""
    from tests.support.events import LambdaContext

    response = handler_for(provider)(random_event(provider, data), LambdaContext())
    assert response["statusCode"] in {200, 401, 404, 413}, response
