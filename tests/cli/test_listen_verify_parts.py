"""The pure parts of `listen` and `verify`: the Standard Webhooks headers (proved with the
`standardwebhooks` library's own verifier), the retry policy, the temporary rule's and queue's names
with their expiry, the rule's pattern, and the secrets `verify` makes. No AWS, no sockets."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from hookbridge_cli.bus_tap import event_pattern, expiry_of, is_stale, tap_name
from hookbridge_cli.commands.verify import _secrets
from hookbridge_cli.forwarding import Attempt, forward, new_secret, retry_delays, signature_headers
from hookbridge_cli.samples import demo_secret
from hookbridge_cli.target import Target
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hookbridge import providers

BODY = json.dumps({"type": "delivery.created", "id": "evt_1", "text": "ünïcode"}).encode()


def test_the_signature_verifies_with_the_standard_webhooks_library() -> None:
    secret = new_secret()
    headers = signature_headers(secret, "msg_1", BODY, int(time.time()))
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}


@pytest.mark.parametrize("change", ["body", "secret", "id"])
def test_the_library_refuses_what_the_signature_does_not_cover(change: str) -> None:
    secret = new_secret()
    headers = signature_headers(secret, "msg_1", BODY, int(time.time()))
    body = BODY + b" " if change == "body" else BODY
    verifier = Webhook(new_secret() if change == "secret" else secret)
    if change == "id":
        headers = {**headers, "webhook-id": "msg_2"}
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body, headers)


def test_new_secrets_are_distinct_whsec_secrets() -> None:
    made = {new_secret() for _ in range(50)}
    assert len(made) == 50
    assert all(s.startswith("whsec_") and len(s) == len("whsec_") + 32 for s in made)


def test_retries_back_off_doubling() -> None:
    assert retry_delays(3) == [0.5, 1.0, 2.0]
    assert retry_delays(0) == []


def _attempts(
    answers: list[int | None], retries: int
) -> tuple[list[tuple[int, int | None, float | None]], list[float], list[Mapping[str, str]]]:
    reported: list[tuple[int, int | None, float | None]] = []
    slept: list[float] = []
    sent: list[Mapping[str, str]] = []
    queue = list(answers)

    def send(url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        sent.append(headers)
        status = queue.pop(0)
        return Attempt(0, status, 1.0, None if status else "Connection refused")

    def report(attempt: Attempt, wait: float | None) -> None:
        reported.append((attempt.number, attempt.status, wait))

    forward(
        "http://x/",
        BODY,
        {"content-type": "application/json"},
        new_secret(),
        "m",
        retry_delays(retries),
        report,
        sleep=slept.append,
        send=send,
    )
    return reported, slept, sent


def test_an_answer_that_is_not_2xx_is_retried_and_each_attempt_reported() -> None:
    reported, slept, sent = _attempts([500, None, 204], retries=3)
    assert reported == [(1, 500, 0.5), (2, None, 1.0), (3, 204, None)]
    assert slept == [0.5, 1.0]
    assert {h["webhook-id"] for h in sent} == {"m"}  # one message id for every attempt
    assert all(h["content-type"] == "application/json" for h in sent)


def test_the_retries_end_and_the_last_attempt_says_so() -> None:
    reported, slept, _ = _attempts([503, 503, 503], retries=2)
    assert reported == [(1, 503, 0.5), (2, 503, 1.0), (3, 503, None)]
    assert slept == [0.5, 1.0]
    reported, slept, _ = _attempts([None], retries=0)
    assert reported == [(1, None, None)]
    assert slept == []


def test_a_taps_name_carries_its_expiry_and_fits_eventbridges_limit() -> None:
    expiry = datetime(2026, 12, 2, 0, 15, 7, tzinfo=UTC)
    name = tap_name("hookbridge", "listen", expiry)
    assert name.startswith("hookbridge-listen-20261202T001507Z-")
    assert len(name) <= 64
    assert expiry_of(name, "hookbridge") == expiry
    assert tap_name("hookbridge", "listen", expiry) != name  # two listens at once never collide


def test_only_a_taps_own_expired_names_are_stale() -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert is_stale(tap_name("hookbridge", "verify", now - timedelta(seconds=1)), "hookbridge", now)
    assert not is_stale(tap_name("hookbridge", "listen", now + timedelta(seconds=1)), "hookbridge", now)
    assert not is_stale(tap_name("other", "listen", now - timedelta(days=1)), "hookbridge", now)
    for name in ("dev-tap", "hookbridge-dev-tap", "hookbridge-publisher-dlq", "hookbridge-listen-x-y"):
        assert not is_stale(name, "hookbridge", now)


def test_the_rules_pattern_narrows_by_sender_subscription_and_type() -> None:
    assert event_pattern("hb") == {"source": [{"prefix": "hb."}]}
    assert event_pattern("hb", ("zippex", "zinc"), ("prod",), ("delivery.created",)) == {
        "source": ["hb.zippex", "hb.zinc"],
        "detail-type": ["delivery.created"],
        "detail": {"metadata": {"subscription": ["prod"]}},
    }


CREDENTIALS = ("signing_secrets", "tokens", "basic_auth", "public_keys", "private_keys")


@pytest.mark.parametrize("provider", providers.names())
def test_verify_signs_with_fresh_secrets_never_the_public_demo_ones(provider: str) -> None:
    genuine, forged = _secrets(provider)
    demo = demo_secret(provider)
    assert {k for k in genuine if k in CREDENTIALS} == {k for k in demo if k in CREDENTIALS}
    for kind in CREDENTIALS:
        if kind in demo:
            assert genuine[kind] != demo[kind], kind
            assert forged[kind] != genuine[kind], kind


def test_a_command_makes_each_aws_client_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new client costs ~0.2 s (a session loads botocore's data): made per call, listen forwarded one
    event a second at best and fell behind."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    t = Target(
        "hb", "events", "subscriptions", "bus", "dlq", "http://x/webhooks", None, 1, False, ("zippex",)
    )
    assert t.client("sqs") is t.client("sqs")
    assert t.client("sqs") is not t.client("dynamodb")
    assert (t.bus, t.prefix, t.providers) == ("bus", "hb", ("zippex",))


@pytest.mark.parametrize(("provider", "sample"), [("microsoft-graph", "created"), ("asana", "hook_secret")])
def test_a_samples_body_framing_is_not_sent_again(provider: str, sample: str) -> None:
    """`send` and `verify` sent a sample's own Content-Length (Graph's samples carry API Gateway's): the
    re-signed body is another length, and the local stack waited for bytes that never came (a timeout)."""
    from hookbridge_cli.samples import load_event, signed_request

    from hookbridge.subscription import SubscriptionSecret

    loaded = providers.load(provider)
    secret = SubscriptionSecret.model_validate(demo_secret(provider))
    request = signed_request(load_event(provider, sample), loaded, secret, "demo", "http://127.0.0.1:1")
    assert not {"content-length", "host", "transfer-encoding"} & {k.lower() for k in request.headers}
