"""WorkOS, against its own library: workos 10.8's ``workos.webhooks._verification.verify_header`` (what
``client.webhooks.verify_event`` calls). WorkOS-Signature: ``t=<unix ms>, v1=<hex>``, v1 the hex
HMAC-SHA256 of ``{t}.{body}`` with the endpoint's secret; the library refuses a t more than 180 s away by
default, and so do we. The event id is ``id``."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from workos.webhooks._verification import verify_header

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

KEY = "workos_demo_webhook_secret"
SECRET = {"signing_secrets": [KEY]}
BODY = load_event("workos", "user.created")["body"].encode()


def workos_header(body: bytes, at_ms: int, key: str = KEY) -> dict[str, str]:
    v1 = hmac.new(key.encode(), f"{at_ms}.".encode() + body, hashlib.sha256).hexdigest()
    return {"WorkOS-Signature": f"t={at_ms}, v1={v1}"}


def sdk_accepts(headers: dict[str, str], body: bytes, key: str = KEY) -> bool:
    try:
        verify_header(event_body=body, event_signature=headers.get("WorkOS-Signature", ""), secret=key)
    except ValueError:
        return False
    return True


def test_what_workos_signs_is_accepted_stored_and_described() -> None:
    headers = workos_header(BODY, int(time.time() * 1000))
    assert sdk_accepts(headers, BODY)
    assert verify("workos", SECRET, webhook_request("workos", headers, BODY)) == "hmac-sha256"
    found = answer("workos", SECRET, headers, BODY)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("workos", webhook_request("workos", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "user.created",
        "event_01HWWSS2Y0M26P26BYMHFZ8NDY",
        "user_01E4ZCR3C56J083X43JQXF3JK5",
    )


def test_what_our_definition_signs_the_workos_library_accepts() -> None:
    now = int(time.time())
    signed = providers.load("workos").sign(SubscriptionSecret.model_validate(SECRET), BODY, now, "", {})
    assert signed.headers["WorkOS-Signature"] == workos_header(BODY, now * 1000)["WorkOS-Signature"]
    assert sdk_accepts(dict(signed.headers), BODY)


@pytest.mark.parametrize("variant", ["tampered body", "other key", "no signature", "other t", "seconds"])
def test_forged_and_tampered_requests_are_refused_as_the_library_refuses_them(variant: str) -> None:
    at_ms, body = int(time.time() * 1000), BODY
    headers = workos_header(body, at_ms, "guessed" if variant == "other key" else KEY)
    if variant == "tampered body":
        body = BODY.replace(b"Marcelina", b"Marcelino")
    elif variant == "no signature":
        headers = {}
    elif variant == "other t":
        headers["WorkOS-Signature"] = headers["WorkOS-Signature"].replace(f"t={at_ms}", f"t={at_ms + 1}")
    elif variant == "seconds":  # t in seconds, signed as such: not WorkOS's milliseconds
        headers = workos_header(body, at_ms // 1000)
    assert not sdk_accepts(headers, body)
    assert refused(answer("workos", SECRET, headers, body))


@pytest.mark.parametrize(("age", "accepted"), [(179, True), (-179, True), (181, False), (-181, False)])
def test_the_window_is_the_librarys_180_seconds(age: int, accepted: bool) -> None:
    signed_at = int(time.time()) - age
    headers = workos_header(BODY, signed_at * 1000)
    assert sdk_accepts(headers, BODY) == accepted
    request = webhook_request("workos", headers, BODY)
    if accepted:
        assert verify("workos", SECRET, request, now=signed_at + age) == "hmac-sha256"
    else:
        with pytest.raises(Unauthorized, match="timestamp outside tolerance"):
            verify("workos", SECRET, request, now=signed_at + age)


@pytest.mark.parametrize("sample", sample_names("workos"))
def test_the_shipped_samples_are_genuine_to_the_library_and_to_us(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    event, secret = load_event("workos", sample), demo_secret("workos")
    body, header = event["body"].encode(), event["headers"]["workos-signature"]
    at = int(header.split(",")[0].removeprefix("t=")) / 1000
    monkeypatch.setattr(time, "time", lambda: at)  # the library reads the clock
    assert sdk_accepts({"WorkOS-Signature": header}, body, secret["signing_secrets"][0])
    assert (
        verify("workos", secret, webhook_request("workos", event["headers"], body), now=at) == "hmac-sha256"
    )
