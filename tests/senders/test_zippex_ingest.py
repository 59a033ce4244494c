"""Zippex from the HTTP request to the table, through the real entry point, against moto."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import boto3
import pytest

from hookbridge.aws.storage import DynamoEventStore
from hookbridge.model import StoredEvent
from hookbridge.settings import IngestSettings
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.events import signed as sign_sample
from tests.support.stack import EVENTS_TABLE, Handler, Stack
from tests.support.stored import stored_event

OLD_SECRET = "whsec_previous_secret_still_listed"


@pytest.fixture
def subscription(stack: Stack) -> str:
    stack.add_secret("zippex", "demo", {"signing_secrets": [DEMO_ZIPPEX_SECRET, OLD_SECRET]})
    return "demo"


DEMO_ZIPPEX_SECRET = demo_secret("zippex")["signing_secrets"][0]


def signed(name: str = "delivery.delivered", secret: str = "", **kw: Any) -> dict[str, Any]:
    return sign_sample("zippex", name, {"signing_secrets": [secret]} if secret else None, **kw)


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["body"])


@pytest.mark.usefixtures("subscription")
@pytest.mark.parametrize("name", sample_names("zippex"))
def test_every_sample_event_is_accepted_once(
    stack: Stack, zippex_handler: Handler, invoke: Any, name: str
) -> None:
    event = signed(name)
    first = invoke(zippex_handler, event)
    assert first["statusCode"] == 200, first
    assert body_of(first)["status"] == "accepted"
    again = invoke(zippex_handler, event)
    assert again["statusCode"] == 200
    assert body_of(again) == {"status": "duplicate", "id": body_of(first)["id"]}
    items = stack.items()
    assert len(items) == 1
    item = items[0]
    payload = json.loads(event["body"])
    assert item["event_type"]["S"] == name == payload["type"]
    assert item["event_id"]["S"] == payload["id"]
    stored = StoredEvent.from_stream_image(item)
    assert stored.dedupe_key == f"zippex#demo#id#{payload['id']}"
    assert stored.payload == event["body"].encode()  # the bytes as signed, untouched
    assert item["subject"]["S"] == "del_m8n9o0p1"
    assert item["by_day"]["S"].startswith("zippex#demo#")


@pytest.mark.usefixtures("subscription")
def test_a_retry_with_a_new_signature_is_still_a_duplicate(
    stack: Stack, zippex_handler: Handler, invoke: Any
) -> None:
    now = time.time()
    first = invoke(zippex_handler, signed(now=now - 120))
    retry = invoke(zippex_handler, signed(now=now))  # Zippex re-signs each attempt
    assert body_of(retry) == {"status": "duplicate", "id": body_of(first)["id"]}
    assert len(stack.items()) == 1


@pytest.mark.usefixtures("subscription")
def test_rotation_previous_secret_passes_while_listed(
    stack: Stack, zippex_handler: Handler, invoke: Any
) -> None:
    response = invoke(zippex_handler, signed(secret=OLD_SECRET))
    assert response["statusCode"] == 200
    assert len(stack.items()) == 1


@pytest.mark.usefixtures("subscription")
def test_several_v1_signatures_any_match_passes(stack: Stack, zippex_handler: Handler, invoke: Any) -> None:
    event = signed()
    header = event["headers"]["zippex-signature"]
    t, v1 = header.split(",")
    event["headers"]["zippex-signature"] = f"{t},v1={'0' * 64},{v1}"
    assert invoke(zippex_handler, event)["statusCode"] == 200


@pytest.mark.usefixtures("subscription")
def test_three_header_variant_is_accepted_and_dedupes_on_what_it_signs(
    stack: Stack, zippex_handler: Handler, invoke: Any
) -> None:
    event = load_event("zippex", "delivery.created")
    del event["headers"]["zippex-signature"]
    body = '{"type": "delivery.created", "data": {"id": "del_1"}}'  # no id in the body
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    digest = hmac.new(DEMO_ZIPPEX_SECRET.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    event["body"] = body
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    event["headers"].update(
        {"x-zippex-signature": digest, "x-zippex-timestamp": timestamp, "x-zippex-event-id": "evt_hdr1"}
    )
    assert body_of(invoke(zippex_handler, event))["status"] == "accepted"
    assert body_of(invoke(zippex_handler, event))["status"] == "duplicate"
    # X-Zippex-Event-Id is not signed: a captured request with another one is the same request.
    event["headers"]["x-zippex-event-id"] = "evt_other"
    assert body_of(invoke(zippex_handler, event))["status"] == "duplicate"
    [item] = stack.items()
    stored = StoredEvent.from_stream_image(item)
    assert stored.event_id == "evt_hdr1"
    assert stored.dedupe_key.startswith("zippex#demo#sha256#")


def _tamper_body(e: dict[str, Any]) -> None:
    e["body"] = e["body"].replace("1249", "9999")


def _drop_header(e: dict[str, Any]) -> None:
    del e["headers"]["zippex-signature"]


def _malformed_header(e: dict[str, Any]) -> None:
    e["headers"]["zippex-signature"] = "garbage"


def _no_v1(e: dict[str, Any]) -> None:
    e["headers"]["zippex-signature"] = e["headers"]["zippex-signature"].split(",")[0]


def _no_t(e: dict[str, Any]) -> None:
    e["headers"]["zippex-signature"] = e["headers"]["zippex-signature"].split(",")[1]


def _empty_header(e: dict[str, Any]) -> None:
    e["headers"]["zippex-signature"] = ""


@pytest.mark.usefixtures("subscription")
@pytest.mark.parametrize(
    "forge",
    [_tamper_body, _drop_header, _malformed_header, _no_v1, _no_t, _empty_header],
    ids=lambda f: f.__name__,
)
def test_forgeries_get_401_and_store_nothing(
    stack: Stack, zippex_handler: Handler, invoke: Any, forge: Any
) -> None:
    event = signed()
    forge(event)
    response = invoke(zippex_handler, event)
    assert response["statusCode"] == 401
    assert body_of(response) == {"message": "Unauthorized"}
    assert stack.items() == []


@pytest.mark.usefixtures("subscription")
def test_wrong_secret_gets_401(stack: Stack, zippex_handler: Handler, invoke: Any) -> None:
    assert invoke(zippex_handler, signed(secret="whsec_not_ours"))["statusCode"] == 401
    assert stack.items() == []


@pytest.mark.usefixtures("subscription")
@pytest.mark.parametrize(("offset", "status"), [(-302, 401), (302, 401), (-290, 200), (290, 200)])
# Real clock: the exact boundary (300 passes, 301 fails) is pinned by the unit tests with an injected clock.
def test_timestamp_tolerance_is_300_seconds_both_ways(
    stack: Stack, zippex_handler: Handler, invoke: Any, offset: int, status: int
) -> None:
    response = invoke(zippex_handler, signed(now=time.time() + offset))
    assert response["statusCode"] == status
    assert len(stack.items()) == (1 if status == 200 else 0)


def test_subscription_without_signing_secret_fails_closed(
    stack: Stack, zippex_handler: Handler, invoke: Any
) -> None:
    stack.add_secret("zippex", "demo", {"signing_secrets": [], "api_key": "zx_live_x"})
    assert invoke(zippex_handler, signed())["statusCode"] == 401
    assert stack.items() == []


@pytest.mark.usefixtures("subscription")
@pytest.mark.parametrize("name", ["unknown", "no..dots", "x" * 65, "#", "a b", "%00"])
def test_unknown_subscription_is_404(stack: Stack, zippex_handler: Handler, invoke: Any, name: str) -> None:
    event = signed()
    event["pathParameters"] = {"subscription": name}
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/webhooks/zippex/{name}"
    response = invoke(zippex_handler, event)
    assert response["statusCode"] == 404
    assert stack.items() == []


@pytest.mark.usefixtures("subscription")
def test_oversized_body_is_413(stack: Stack, zippex_handler: Handler, invoke: Any) -> None:
    big = json.dumps({"id": "evt_big", "type": "delivery.created", "pad": "x" * 4_000_001})
    response = invoke(zippex_handler, signed(body=big))
    assert response["statusCode"] == 413
    assert stack.items() == []


@pytest.mark.usefixtures("subscription")
def test_base64_body_is_verified_on_its_decoded_bytes(
    stack: Stack, zippex_handler: Handler, invoke: Any
) -> None:
    event = signed()
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    assert invoke(zippex_handler, event)["statusCode"] == 200


@pytest.mark.usefixtures("subscription")
def test_genuine_body_that_is_not_json_is_stored_unrecognized(
    stack: Stack, zippex_handler: Handler, invoke: Any
) -> None:
    response = invoke(zippex_handler, signed(body="status=delivered&id=del_1"))
    assert body_of(response)["status"] == "accepted"
    [item] = stack.items()
    assert item["event_type"]["S"] == "unrecognized"
    stored = StoredEvent.from_stream_image(item)
    assert stored.recognized is False
    assert stored.is_json is False


@pytest.mark.usefixtures("atomic_moto_dynamodb")
def test_twenty_concurrent_stores_of_one_event_accept_exactly_one(stack: Stack) -> None:
    settings = IngestSettings.from_environ({**stack.environ, "PROVIDER": "zippex"})
    store = DynamoEventStore(boto3.client("dynamodb"), EVENTS_TABLE)
    now = time.time()
    event = stored_event(
        id="",
        subscription="demo",
        payload=b"{}",
        payload_sha256="0" * 64,
        expires_at=int(now) + settings.retention_seconds,
        dedupe_until=int(now) + settings.retention_seconds,
        event_id=None,
    )
    attempts = [replace(event, id=f"attempt-{i}") for i in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda e: store.put_once(e, now), attempts))
    accepted = [o for o in outcomes if o.status == "accepted"]
    assert len(accepted) == 1
    assert [o.status for o in outcomes].count("duplicate") == 19
    assert {o.id for o in outcomes} == {accepted[0].id}  # every duplicate names the stored record
    assert len(stack.items()) == 1
