"""Mux, against its own SDK's published vectors and its documentation. Mux's Python package (mux-python) is
its API client and checks no webhook; its Node SDK (@mux/mux-node, ``webhooks.verifySignature``) does, and
publishes the vectors it is tested with (muxinc/mux-node-sdk, its webhooks.test.ts): a
secret, two bodies and their headers, what must pass (any v1 of several, beside another version) and fail
(only v2, no timestamp, six minutes late). The scheme, as the page "Verify webhook signatures" states it:
Mux-Signature: ``t=<unix>,v1=<hex>``, split at "," and "=", v1 the hex HMAC-SHA256 of ``{t}.{body}`` with
the webhook's signing secret, then t compared with now (Mux's SDKs default to 300 s). The event id is
``id``."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from hookbridge.errors import Unauthorized
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

KEY = "mux_demo_webhook_signing_secret"
SECRET = {"signing_secrets": [KEY]}
BODY = load_event("mux", "video.asset.ready")["body"].encode()


def mux_header(body: bytes, at: int, key: str = KEY) -> dict[str, str]:
    v1 = hmac.new(key.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Mux-Signature": f"t={at},v1={v1}"}


def test_the_header_shape_is_muxs_example() -> None:
    """The page's example header, t=1565220904,v1=<64 hex>: ours has the same shape."""
    example = "t=1565220904,v1=20c75c1180c701ee8a796e81507cfd5c932fc17cf63a4a55566fd38da3a2d3d2"
    ours = mux_header(BODY, 1565220904)["Mux-Signature"]
    assert [p.split("=")[0] for p in ours.split(",")] == [p.split("=")[0] for p in example.split(",")]
    assert len(ours) == len(example)


def test_what_mux_signs_is_accepted_stored_and_described() -> None:
    headers = mux_header(BODY, int(time.time()))
    assert verify("mux", SECRET, webhook_request("mux", headers, BODY)) == "hmac-sha256"
    found = answer("mux", SECRET, headers, BODY)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("mux", webhook_request("mux", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "video.asset.ready",
        "3a56ac3d-33da-4366-855b-f592d898409d",
        "0201p02fGKPE7MrbC269XRD7LpcHhrmbu0002",
    )


@pytest.mark.parametrize("variant", ["tampered body", "other key", "no signature", "other t"])
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    at, body = int(time.time()), BODY
    headers = mux_header(body, at, "guessed" if variant == "other key" else KEY)
    if variant == "tampered body":
        body = BODY.replace(b"ready", b"errored")
    elif variant == "no signature":
        headers = {}
    elif variant == "other t":
        headers["Mux-Signature"] = headers["Mux-Signature"].replace(f"t={at}", f"t={at + 1}")
    assert refused(answer("mux", SECRET, headers, body))


@pytest.mark.parametrize(("age", "accepted"), [(299, True), (-299, True), (301, False), (-301, False)])
def test_the_window_is_300_seconds(age: int, accepted: bool) -> None:
    signed_at = 1_800_000_000
    request = webhook_request("mux", mux_header(BODY, signed_at), BODY)
    if accepted:
        assert verify("mux", SECRET, request, now=signed_at + age) == "hmac-sha256"
    else:
        with pytest.raises(Unauthorized, match="timestamp outside tolerance"):
            verify("mux", SECRET, request, now=signed_at + age)


@pytest.mark.parametrize("sample", sample_names("mux"))
def test_the_shipped_samples_are_signed_as_muxs_page_says(sample: str) -> None:
    event, secret = load_event("mux", sample), demo_secret("mux")
    body = event["body"].encode()
    at = int(event["headers"]["mux-signature"].split(",")[0].removeprefix("t="))
    assert (
        event["headers"]["mux-signature"]
        == mux_header(body, at, secret["signing_secrets"][0])["Mux-Signature"]
    )
    assert verify("mux", secret, webhook_request("mux", event["headers"], body), now=at) == "hmac-sha256"


# ------------------------------------------------------ @mux/mux-node's own vectors (webhooks.test.ts)
SDK_SECRET = {"signing_secrets": ["SuperSecret123"]}
SDK_AT = 1565125718
SDK_BODY = b'{"test":"body"}'
SDK_HASH = "854ece4c22acef7c66b57d4e504153bc512595e8e9c772ece2a68150548c19a7"
SDK_TIMES_BODY = b'{"test":{"nested":{"nanos":718234, "seconds":1691711005}}}'
SDK_TIMES_HASH = "bd315c24bce1c2b8ad325696f26530c8ef7d7d830afb7c1381903705d04607be"


@pytest.mark.parametrize(
    ("header", "body"),
    [
        (f"t={SDK_AT},v1={SDK_HASH}", SDK_BODY),  # "should pass for valid signature"
        (f"t={SDK_AT},v1={SDK_TIMES_HASH}", SDK_TIMES_BODY),  # "unwrap_times"
        (f"t={SDK_AT},v1=invalid-sig,v1={SDK_HASH}", SDK_BODY),  # "should pass for multiple signatures"
        (f"t={SDK_AT},v2={SDK_HASH},v1={SDK_HASH}", SDK_BODY),  # "... with different version"
    ],
)
def test_what_the_sdk_passes_we_pass(header: str, body: bytes) -> None:
    request = webhook_request("mux", {"Mux-Signature": header}, body, at=SDK_AT)
    assert verify("mux", SDK_SECRET, request, now=SDK_AT) == "hmac-sha256"


@pytest.mark.parametrize(
    ("header", "late"),
    [
        (f"t={SDK_AT},v2={SDK_HASH}", 0),  # "should throw for different signature version"
        (SDK_HASH, 0),  # "should throw if signature timestamp is missing"
        (f"t={SDK_AT},v1={SDK_HASH}", 360),  # "should throw for timestamp outside threshold" (6 minutes)
    ],
)
def test_what_the_sdk_refuses_we_refuse(header: str, late: int) -> None:
    request = webhook_request("mux", {"Mux-Signature": header}, SDK_BODY, at=SDK_AT + late)
    with pytest.raises(Unauthorized):
        verify("mux", SDK_SECRET, request, now=SDK_AT + late)


def test_the_sdks_vector_tampered_or_under_another_secret_is_refused() -> None:
    header = f"t={SDK_AT},v1={SDK_HASH}"
    for secret, body in ((SDK_SECRET, b'{"test":"bodY"}'), ({"signing_secrets": ["guessed"]}, SDK_BODY)):
        with pytest.raises(Unauthorized):
            verify("mux", secret, webhook_request("mux", {"Mux-Signature": header}, body), now=SDK_AT)
