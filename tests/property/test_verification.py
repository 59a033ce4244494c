"""Properties of every provider's verification: genuine always passes, any change is always refused, and no
input makes the handler answer 5xx or raise."""

from __future__ import annotations

import base64
import json
import os
import string
import time
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode
from xml.sax.saxutils import escape as xml_escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.model import WebhookRequest
from hookbridge.providers.definition import BodyHmac, BodyToken, Hmac, Jwt, PublicKey
from hookbridge.subscription import SubscriptionSecret
from tests.support.fakes import MemorySecrets, MemoryStore, secret_layout
from tests.support.settings import ingest_settings

NOW = 1_800_000_000
secrets_text = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=8, max_size=40)
bodies = st.binary(max_size=2048)
# Where a sender that signs the URL posts in these tests (Twilio, Square, HubSpot).
HOST = "hooks.example.test"


def schemes(provider: str) -> tuple[Any, ...]:
    auth = providers.definition(provider).auth
    return auth.schemes if auth else ()


def signs_url(provider: str) -> bool:
    # Google Pub/Sub's token (defined in code) has the push URL as its audience.
    return provider == "google-pubsub" or any(
        "{url}" in getattr(s, "signed", "")
        or "{sorted_url}" in getattr(s, "signed", "")
        or getattr(s, "audience", None) == "url"
        for s in schemes(provider)
    )


# Senders that sign a body only as a form's parameters (Plivo's V3): their bodies are forms, posted as one.
FORM_ONLY = {
    p for p in providers.names() if any("{sorted_url}" in getattr(s, "signed", "") for s in schemes(p))
}
FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded"}
form_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20)
form_bodies = st.lists(st.tuples(form_text, form_text), max_size=8).map(
    lambda pairs: urlencode(pairs).encode()
)


# Senders whose signature is carried in the body and covers some of its fields only (Adyen, Mailgun; AWS SNS,
# defined in code; Braintree, whose form's bt_signature covers its bt_payload).
SIGNED_IN_THE_BODY = {"aws-sns", "braintree"} | {
    p for p in providers.names() if any(isinstance(s, BodyHmac | BodyToken) for s in schemes(p))
}
# Every definition with a signature over the body (an HMAC, a public-key signature; Twilio's over a
# non-form body through bodySHA256). Zinc is unsigned: its token is in the URL. PayPal signs the body's CRC32,
# which any one changed byte changes (a CRC catches every burst of up to 32 bits), though it proves no field.
BODY_IS_SIGNED = {"zippex", "zencargo", "zonos", "paypal"} | {
    p
    for p in providers.names()
    if any(
        isinstance(s, Hmac | PublicKey) or (isinstance(s, Jwt) and s.body_sha256_claim) for s in schemes(p)
    )
}
# Senders whose signed body carries its timestamp (Linear): their bodies are JSON objects.
BODY_STAMPED = {p for p in providers.names() if any(getattr(s, "body_timestamp", None) for s in schemes(p))}
# Definitions that sign a timestamp and set a window, with the window (0: the sender sets none).
TIMESTAMPED = {
    p: stamp.tolerance_seconds
    for p in providers.names()
    for scheme in schemes(p)[:1]
    for stamp in (getattr(scheme, "timestamp", None), getattr(scheme, "body_timestamp", None))
    if stamp is not None and stamp.tolerance_seconds
}


def stamped_body(provider: str, body: bytes) -> bytes:
    """Any bytes as a sender whose timestamp is in its body sends them: inside a JSON object."""
    if provider not in BODY_STAMPED:
        return body
    return json.dumps({"bytes": body.decode("latin-1")}).encode()


def body_for(provider: str) -> st.SearchStrategy[bytes]:
    """Any bytes; for a sender that signs inside its body, any body of the shape it signs."""
    if provider in BODY_STAMPED:
        return bodies.map(lambda body: stamped_body(provider, body))
    if provider in FORM_ONLY:
        return form_bodies
    if provider not in SIGNED_IN_THE_BODY:
        return bodies
    text = st.text(max_size=40)
    if provider == "braintree":  # a notification's XML (its signer dates it and makes the form)
        kinds = st.sampled_from(providers.load("braintree").event_types)
        xml_text = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=40)
        return st.tuples(kinds, xml_text).map(lambda k: braintree_xml(*k))
    if provider == "aws-sns":  # its TopicArn made the secret's allowed topic by its signer
        notification = st.fixed_dictionaries(
            {"Type": st.just("Notification"), "MessageId": text, "TopicArn": st.just("arn:aws:sns:x"),
             "Message": text},
            optional={"Subject": text, "UnsubscribeURL": text},
        )  # fmt: skip
        confirmation = st.fixed_dictionaries(
            {"Type": st.sampled_from(["SubscriptionConfirmation", "UnsubscribeConfirmation"]),
             "MessageId": text, "TopicArn": st.just("arn:aws:sns:x"), "Message": text, "Token": text,
             "SubscribeURL": text},
        )  # fmt: skip
        return (notification | confirmation).map(lambda d: json.dumps(d).encode())
    if provider == "microsoft-graph":  # its clientState put in every notification by its signer
        graph_item = st.fixed_dictionaries(
            {"subscriptionId": text, "changeType": text, "resource": text},
            optional={"id": text, "resourceData": st.dictionaries(st.text(max_size=10), text, max_size=3)},
        )
        document = st.fixed_dictionaries({"value": st.lists(graph_item, min_size=1, max_size=4)})
    elif provider == "mailgun":
        document = st.fixed_dictionaries(
            {
                "signature": st.fixed_dictionaries({"token": text}),
                "event-data": st.dictionaries(st.text(max_size=10), text, max_size=5),
            }
        )
    else:
        item = st.fixed_dictionaries(
            {
                "pspReference": text,
                "merchantAccountCode": text,
                "merchantReference": text,
                "amount": st.fixed_dictionaries({"value": st.integers(0, 10**9), "currency": text}),
                "eventCode": text,
                "success": st.sampled_from(["true", "false"]),
            },
            optional={"originalReference": text, "eventDate": text},
        )
        document = st.fixed_dictionaries(
            {
                "notificationItems": st.lists(
                    st.fixed_dictionaries({"NotificationRequestItem": item}), min_size=1, max_size=4
                )
            }
        )
    return document.map(lambda d: json.dumps(d).encode())


def braintree_xml(kind: str, subject: str) -> bytes:
    return (
        f'<notification><timestamp type="datetime">2001-01-01T00:00:00Z</timestamp><kind>{kind}</kind>'
        f"<subject><entity><id>{xml_escape(subject)}</id></entity></subject></notification>"
    ).encode()


def request_for(
    provider: str, body: bytes, credentials: Any, timestamp: int = NOW, method: str = "POST"
) -> WebhookRequest:
    path = {"event_type": "status_updated"} if provider == "zinc" else {}
    headers = {k.lower(): v for k, v in credentials.headers.items()}
    if provider in FORM_ONLY:
        headers |= FORM_HEADERS
    if signs_url(provider):  # the URL it signed, as API Gateway passes it on
        headers |= {"host": HOST, "x-forwarded-proto": "https"}
    body = credentials.body if credentials.body is not None else body
    return WebhookRequest(
        provider,
        "prod",
        headers,
        dict(credentials.query),
        path,
        body,
        timestamp * 1000,
        method=method,
        raw_path=f"/webhooks/{provider}/prod",
        raw_query=urlencode(credentials.query),
    )


def sign(provider: str, secret: SubscriptionSecret, body: bytes, at: int) -> Any:
    headers = FORM_HEADERS if provider in FORM_ONLY else {}
    return providers.load(provider).sign(
        secret, body, at, f"https://{HOST}/webhooks/{provider}/prod", headers
    )


def genuine(provider: str, key: str, body: bytes) -> tuple[SubscriptionSecret, WebhookRequest]:
    secret = SubscriptionSecret.model_validate(secret_layout(provider, key))
    body = body if body_is_shaped(provider, body) else stamped_body(provider, body)
    return secret, request_for(provider, body, sign(provider, secret, body, NOW))


def body_is_shaped(provider: str, body: bytes) -> bool:
    try:
        return provider not in BODY_STAMPED or isinstance(json.loads(body), dict)
    except ValueError:
        return False


@pytest.mark.parametrize("provider", providers.names())
@given(key=secrets_text, data=st.data())
def test_genuine_requests_always_pass(provider: str, key: str, data: Any) -> None:
    secret, request = genuine(provider, key, data.draw(body_for(provider)))
    assert providers.load(provider).verify(request, secret, NOW)


# A sender that signs a form's parameters signs them decoded (Plivo): %2B and %2b are the same request.
@pytest.mark.parametrize("provider", sorted(BODY_IS_SIGNED - FORM_ONLY))
@given(key=secrets_text, body=bodies.filter(bool), data=st.data())
def test_any_change_to_the_body_is_refused(provider: str, key: str, body: bytes, data: Any) -> None:
    secret, request = genuine(provider, key, body)
    index = data.draw(st.integers(0, len(body) - 1))
    flipped = body[:index] + bytes([body[index] ^ data.draw(st.integers(1, 255))]) + body[index + 1 :]
    with pytest.raises(Unauthorized):
        providers.load(provider).verify(replace(request, body=flipped), secret, NOW)


@pytest.mark.parametrize("provider", sorted(FORM_ONLY))
@given(key=secrets_text, data=st.data(), changed=form_text)
def test_any_change_to_a_signed_parameter_is_refused(
    provider: str, key: str, data: Any, changed: str
) -> None:
    """A form-only sender's parameters: any name or value changed, added or dropped is refused, unless it
    leaves the run of names and values the sender signs as it was."""
    secret, request = genuine(provider, key, data.draw(form_bodies))
    pairs = parse_qsl(request.body.decode(), keep_blank_values=True)
    action = data.draw(st.sampled_from(["add", "drop", "name", "value"] if pairs else ["add"]))
    if action == "add":
        pairs.append((changed, changed))
    else:
        index = data.draw(st.integers(0, len(pairs) - 1))
        name, value = pairs.pop(index)
        if action == "name" and changed != name:
            pairs.insert(index, (changed, value))
        elif action == "value" and changed != value:
            pairs.insert(index, (name, changed))
        elif action != "drop" or (name, value) in pairs:
            return  # nothing changed (or a repeated pair dropped, which leaves the same set)
    changed_body = urlencode(pairs).encode()
    if signed_run(changed_body) == signed_run(request.body):
        return  # a boundary moved between names and values: signed alike (tests/senders/test_plivo.py)
    with pytest.raises(Unauthorized):
        providers.load(provider).verify(replace(request, body=changed_body), secret, NOW)


def signed_run(body: bytes) -> str:
    """A form's parameters as Plivo runs them together: sorted names, each followed by its sorted values."""
    found = parse_qs(body.decode(), keep_blank_values=True)
    return "".join(name + value for name in sorted(found) for value in sorted(found[name]))


SIGNED_FIELDS = {
    "microsoft-graph": ["clientState"],  # the subscription's value, in every notification: nothing signed
    "adyen": [
        "pspReference",
        "originalReference",
        "merchantAccountCode",
        "merchantReference",
        "eventCode",
        "success",
    ],
    "mailgun": ["timestamp", "token"],
    # A notification's string to sign; a (un)subscription confirmation's has SubscribeURL and Token instead of
    # Subject (AWS SNS developer guide, "Verifying the signatures of Amazon SNS messages").
    "aws-sns": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "aws-sns-confirmation": [
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ],
}


@pytest.mark.parametrize("provider", sorted(SIGNED_IN_THE_BODY))
@given(key=secrets_text, data=st.data(), changed=st.text(max_size=20))
def test_any_change_to_a_signed_field_in_the_body_is_refused(
    provider: str, key: str, data: Any, changed: str
) -> None:
    """What a sender that signs inside the body signs: every named field of each item (Adyen), the
    timestamp and token (Mailgun; its event-data is not signed, which docs/security.md says)."""
    secret, request = genuine(provider, key, data.draw(body_for(provider)))
    if provider == "braintree":  # bt_payload, the XML's every byte, is what its bt_signature covers
        fields = dict(parse_qsl(request.body.decode()))
        xml = base64.decodebytes(fields["bt_payload"].encode())
        if not changed:
            return
        fields["bt_payload"] = base64.encodebytes(
            xml.replace(b"</kind>", xml_escape(changed).encode() + b"</kind>")
        )
        with pytest.raises(Unauthorized):
            providers.load(provider).verify(replace(request, body=urlencode(fields).encode()), secret, NOW)
        return
    document = json.loads(request.body)
    items = (
        [i["NotificationRequestItem"] for i in document["notificationItems"]]
        if provider == "adyen"
        else document["value"]
        if provider == "microsoft-graph"
        else [document]
        if provider == "aws-sns"
        else [document["signature"]]
    )
    if not items:
        return
    item = data.draw(st.sampled_from(items))
    confirmation = provider == "aws-sns" and item.get("Type") != "Notification"
    signed = "aws-sns-confirmation" if confirmation else provider
    field = data.draw(st.sampled_from(SIGNED_FIELDS[signed]))
    if item.get(field, "") == changed:  # absent is signed as empty (Adyen)
        return
    item[field] = changed
    with pytest.raises(Unauthorized):
        providers.load(provider).verify(replace(request, body=json.dumps(document).encode()), secret, NOW)


@pytest.mark.parametrize("provider", providers.names())
@given(key=secrets_text, other=secrets_text, data=st.data())
def test_any_other_secret_is_refused(provider: str, key: str, other: str, data: Any) -> None:
    if key == other:
        return
    body = data.draw(body_for(provider))
    secret, _ = genuine(provider, key, body)
    _, forged = genuine(provider, other, body)
    with pytest.raises(Unauthorized):
        providers.load(provider).verify(forged, secret, NOW)


@pytest.mark.parametrize("provider", sorted(set(providers.names()) - SIGNED_IN_THE_BODY))
@given(key=secrets_text, body=bodies, data=st.data())
def test_any_change_to_a_credential_value_is_refused(provider: str, key: str, body: bytes, data: Any) -> None:
    if provider in FORM_ONLY:  # its content type only says the body is a form: not a credential
        body = data.draw(form_bodies)
    secret, request = genuine(provider, key, body)
    values = {  # x-forwarded-proto only says how the URL is rebuilt (empty: https, as API Gateway)
        **{
            ("h", k): v
            for k, v in request.headers.items()
            if k != "x-forwarded-proto" and not (provider in FORM_ONLY and k == "content-type")
        },
        **{("q", k): v for k, v in request.query.items()},
    }
    where = data.draw(st.sampled_from(sorted(values)))
    changed = data.draw(st.text(max_size=80).filter(lambda v: v != values[where]))
    headers, query = dict(request.headers), dict(request.query)
    (headers if where[0] == "h" else query)[where[1]] = changed
    tampered = replace(request, headers=headers, query=query, raw_query=urlencode(query))
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
@given(key=secrets_text, data=st.data(), beyond=st.integers(1, 10**9), direction=st.sampled_from([-1, 1]))
def test_signed_timestamps_outside_the_tolerance_are_refused(
    provider: str, tolerance: int, key: str, data: Any, beyond: int, direction: int
) -> None:
    body = data.draw(body_for(provider))
    secret = SubscriptionSecret.model_validate(secret_layout(provider, key))
    signed_at = NOW + direction * (tolerance + beyond)
    request = request_for(provider, body, sign(provider, secret, body, signed_at), signed_at)
    with pytest.raises(Unauthorized):
        providers.load(provider).verify(request, secret, NOW)


@pytest.mark.parametrize(("provider", "tolerance"), sorted(TIMESTAMPED.items()))
@given(key=secrets_text, data=st.data())
def test_signed_timestamps_within_the_tolerance_pass(
    provider: str, tolerance: int, key: str, data: Any
) -> None:
    body = data.draw(body_for(provider))
    secret = SubscriptionSecret.model_validate(secret_layout(provider, key))
    signed_at = NOW + data.draw(st.integers(-tolerance, tolerance))
    request = request_for(provider, body, sign(provider, secret, body, signed_at), signed_at)
    assert providers.load(provider).verify(request, secret, NOW)


# ------------------------------------------------------------------------------------------ the handler
def handler_for(provider: str) -> Any:
    from hookbridge.aws.secrets import SecretStore
    from hookbridge.ingest.handler import build_ingest_handler

    store = SecretStore(MemorySecrets(), "hookbridge", 300, 30)
    return build_ingest_handler(providers.load(provider), ingest_settings(provider), store, MemoryStore())


def _defined_headers() -> set[str]:
    """Every header a definition reads: signatures, timestamps, ids, types, what tells a handshake."""
    found: set[str] = set()
    for provider in providers.names():
        definition = providers.definition(provider)
        for scheme in schemes(provider):
            if getattr(scheme, "header", None):
                found.add(scheme.header)
            if isinstance(scheme, Hmac):
                found |= set(scheme.signed_headers())
            stamp = getattr(scheme, "timestamp", None)
            if stamp is not None and getattr(stamp, "header", None):
                found.add(stamp.header)
        event = definition.event
        sources = [*event.type, *event.id, *event.occurred_at, *event.subject] if event else []
        sources += [match for handshake in definition.handshakes for match in handshake.when]
        found |= {source.header for source in sources if source.header}
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
    body = data.draw(st.one_of(bodies, st.just((event.get("body") or "").encode())))
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
    if data.draw(st.booleans()):  # a GET where a sender makes one (Meta's handshake), and others
        event["requestContext"]["http"]["method"] = data.draw(st.sampled_from(["GET", "POST", "PUT", "HEAD"]))
        event["queryStringParameters"] |= data.draw(
            st.dictionaries(st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge"]), ugly_text)
        )
    event["rawQueryString"] = urlencode(event["queryStringParameters"])
    return event


# The profile's count (tests/conftest.py), unless HOOKBRIDGE_FUZZ_EXAMPLES says (.ci/run's fuzz step).
FUZZ_EXAMPLES = int(os.environ.get("HOOKBRIDGE_FUZZ_EXAMPLES", "0")) or settings.default.max_examples


@pytest.mark.parametrize("provider", providers.names())
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_requests_never_get_a_5xx_or_escape_the_handler(provider: str, data: Any) -> None:
    """The fuzz target: CI runs it with HOOKBRIDGE_FUZZ_EXAMPLES (see .ci/run), bounded in time."""
    from tests.support.events import LambdaContext

    response = handler_for(provider)(random_event(provider, data), LambdaContext())
    assert response["statusCode"] in {200, 204, 401, 403, 404, 405, 413}, response
