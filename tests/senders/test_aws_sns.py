"""AWS SNS's HTTPS subscriptions, against a published validator: aws-sns-message-validator 0.0.5
(PyPI ``sns_message_validator.SNSMessageValidator``, over cryptography 50.0.2) is the judge of
SignatureVersion 1, and its canonical string is SNS's; `cryptography`'s RSA PKCS#1 v1.5 with SHA-256 is the
judge of SignatureVersion 2, which that validator does not know. The keys and certificates are made here;
nothing touches the network (the certificate fetcher is injected, and the socket guard is on).

What the brief asks of a key fetched at verify time is proven here too: a certificate URL off the topic's
regional SNS host is refused before any fetch, so is a message of a topic the subscription does not allow
or outside the time window; the warm path makes no fetch; a refused or failing fetch is 401 or 503; the
certificate must be valid now and name sns.amazonaws.com."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import boto3
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sns_message_validator import SNSMessageValidator  # type: ignore[import-untyped]
from sns_message_validator.exceptions import (  # type: ignore[import-untyped]
    SignatureVerificationFailureException,
)

from hookbridge.errors import Unauthorized, Unavailable
from hookbridge.model import Confirmation, StoredEvent
from hookbridge.providers import aws_sns, certificates
from hookbridge.providers.certificates import CertificateStore, Refused
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, verify, webhook_request
from tests.support.stack import Handler, Stack

TOPIC = "arn:aws:sns:us-west-2:123456789012:MyTopic"
CERT_URL = (
    "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
)
NOW = time.time()


def make_certificate(
    key: rsa.RSAPrivateKey, name: str = "sns.amazonaws.com", *, days: tuple[int, int] = (-1, 365)
) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.now(UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Amazon RSA 2048 M01")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start + timedelta(days=days[0]))
        .not_valid_after(start + timedelta(days=days[1]))
        .sign(key, hashes.SHA256())
    )
    return built.public_bytes(serialization.Encoding.PEM)


KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FORGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = make_certificate(KEY)
SECRET = {"topic_arns": [TOPIC]}


def message(kind: str = "Notification", *, subject: str | None = "Hello", at: float = NOW) -> dict[str, str]:
    """A message as SNS posts it, its signature still to be made."""
    sent = {
        "Type": kind,
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": 'Hello from SNS\n{"order": 1}',
        "Timestamp": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "SignatureVersion": "1",
        "SigningCertURL": CERT_URL,
    }
    if kind == "Notification":
        sent["UnsubscribeURL"] = "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x"
        if subject is not None:
            sent["Subject"] = subject
    else:
        sent["Token"] = "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d9"
        sent["SubscribeURL"] = (
            f"https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=t&TopicArn={TOPIC}"
        )
    return sent


def signed(sent: dict[str, str], version: str = "1", key: rsa.RSAPrivateKey = KEY) -> dict[str, str]:
    """Signed as SNS signs: the validator's own canonical string, PKCS#1 v1.5, SHA1 or SHA256."""
    sent = {**sent, "SignatureVersion": version}
    plaintext = SNSMessageValidator()._get_plaintext_to_sign(sent).encode()
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 - SNS's version 1
    sent["Signature"] = base64.b64encode(key.sign(plaintext, padding.PKCS1v15(), digest)).decode()
    return sent


class Fetcher:
    """Certificates by URL, as SNS's hosts would serve them; every URL asked for is recorded."""

    def __init__(self, served: dict[str, bytes] | None = None, failure: Exception | None = None) -> None:
        self.served = {CERT_URL: PEM} if served is None else served
        self.failure = failure
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        if self.failure is not None:
            raise self.failure
        if url not in self.served:
            raise Refused("404")
        return self.served[url]


@pytest.fixture
def fetcher(monkeypatch: pytest.MonkeyPatch) -> Fetcher:
    found = Fetcher()
    monkeypatch.setattr(aws_sns, "STORE", CertificateStore(fetch=found))
    return found


def check(sent: dict[str, Any], secret: dict[str, Any] | None = None, now: float = NOW) -> str:
    body = json.dumps(sent).encode()
    return verify("aws-sns", SECRET if secret is None else secret, webhook_request("aws-sns", {}, body), now)


# --- against the published validator ---------------------------------------------------------------------


def judge() -> SNSMessageValidator:
    """The published validator, its certificate download answered here (it would fetch the URL)."""
    validator = SNSMessageValidator()
    validator._cert_session = type(
        "Served", (), {"get": lambda self, url: type("R", (), {"content": PEM})()}
    )()
    return validator


@pytest.mark.parametrize(
    ("kind", "subject"),
    [("Notification", "Hello"), ("Notification", None), ("SubscriptionConfirmation", None),
     ("UnsubscribeConfirmation", None)],
)  # fmt: skip
def test_the_canonical_string_is_the_validators(kind: str, subject: str | None) -> None:
    sent = message(kind, subject=subject)
    assert aws_sns.canonical(sent) == SNSMessageValidator()._get_plaintext_to_sign(sent).encode()


@pytest.mark.parametrize("kind", ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"])
def test_what_the_validator_accepts_we_accept(fetcher: Fetcher, kind: str) -> None:
    sent = signed(message(kind))
    judge().validate_message(sent)
    assert check(sent) == "rsa-sha1"


def test_what_we_sign_the_validator_accepts() -> None:
    """Our signer (the samples', pure Python) against the validator, with a key pair of its own making."""
    made = aws_sns.example_secret("judge")
    secret = SubscriptionSecret.model_validate({**made, "topic_arns": [TOPIC]})
    sent = {**message(), "SignatureVersion": "1"}
    body = aws_sns.sign(secret, json.dumps(sent).encode(), int(NOW)).body
    assert body is not None
    pem = certificates.ssl.DER_cert_to_PEM_cert(base64.b64decode(made["public_keys"][0])).encode()
    validator = SNSMessageValidator()
    validator._cert_session = type(
        "Served", (), {"get": lambda self, url: type("R", (), {"content": pem})()}
    )()
    validator.validate_message(json.loads(body))
    tampered = {**json.loads(body), "Message": "Hello from someone else"}
    with pytest.raises(SignatureVerificationFailureException):
        validator.validate_message(tampered)


def test_signature_version_2_is_rsa_sha256(fetcher: Fetcher) -> None:
    sent = signed(message(), "2")
    KEY.public_key().verify(
        base64.b64decode(sent["Signature"]), aws_sns.canonical(sent), padding.PKCS1v15(), hashes.SHA256()
    )
    assert check(sent) == "rsa-sha256"
    with pytest.raises(Unauthorized):  # the same signature claimed as version 1
        check({**sent, "SignatureVersion": "1"})


@pytest.mark.parametrize(
    "change",
    [{"Message": "changed"}, {"Subject": "changed"}, {"MessageId": "other"},
     {"Type": "SubscriptionConfirmation"},
     {"Timestamp": datetime.fromtimestamp(NOW + 1, UTC).isoformat()[:-9] + "Z"}],
)  # fmt: skip
def test_what_the_validator_refuses_we_refuse(fetcher: Fetcher, change: dict[str, str]) -> None:
    sent = {**signed(message()), **change}
    with pytest.raises(Exception):  # noqa: B017, PT011 - the validator's own exception types vary
        judge().validate_message(sent)
    with pytest.raises(Unauthorized):
        check(sent)


def test_a_forgers_key_is_refused(fetcher: Fetcher) -> None:
    with pytest.raises(Unauthorized):
        check(signed(message(), key=FORGER))


def test_rsa_check_matches_cryptography() -> None:
    numbers = KEY.private_numbers()
    n, e, d = numbers.public_numbers.n, numbers.public_numbers.e, numbers.d
    for algorithm, digest in (("sha1", hashes.SHA1()), ("sha256", hashes.SHA256())):  # noqa: S303
        text = f"message {algorithm}".encode()
        theirs = KEY.sign(text, padding.PKCS1v15(), digest)
        assert certificates.rsa_pkcs1v15_sign(n, d, text, algorithm) == theirs  # deterministic scheme
        assert certificates.rsa_pkcs1v15_verifies(n, e, text, theirs, algorithm)
        assert not certificates.rsa_pkcs1v15_verifies(n, e, text + b".", theirs, algorithm)
        assert not certificates.rsa_pkcs1v15_verifies(n, e, text, theirs[:-1], algorithm)
        KEY.public_key().verify(theirs, text, padding.PKCS1v15(), digest)
        with pytest.raises(InvalidSignature):
            KEY.public_key().verify(theirs, text + b".", padding.PKCS1v15(), digest)


# --- what is fetched, and when -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-west-2.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",  # not the topic's region
        "https://sns.us-west-2.amazonaws.com.evil.example/SimpleNotificationService-1.pem",
        "https://evil.example/sns.us-west-2.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-west-2.amazonaws.com@evil.example/SimpleNotificationService-1.pem",
        "https://user@sns.us-west-2.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-west-2.amazonaws.com:8443/SimpleNotificationService-1.pem",
        "https://SNS.us-west-2.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-1.pem?x=1",
        "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-1.pem#x",
        "https://sns.us-west-2.amazonaws.com/a/../SimpleNotificationService-1.pem",
        "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-1.crt",
        "https://sns.us-west-2.amazonaws.com/",
        "https://[::1]/SimpleNotificationService-1.pem",
        "file:///etc/passwd",
        "",
    ],
)
def test_a_certificate_url_off_the_topics_sns_host_is_refused_without_a_fetch(
    fetcher: Fetcher, url: str
) -> None:
    sent = signed({**message(), "SigningCertURL": url})
    with pytest.raises(Unauthorized):
        check(sent)
    assert fetcher.asked == []


def test_the_partitions_hosts() -> None:
    assert (
        aws_sns.certificate_host(
            "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem",
            "arn:aws-cn:sns:cn-north-1:123456789012:t",
        )
        == "sns.cn-north-1.amazonaws.com.cn"
    )
    assert (
        aws_sns.certificate_host(
            "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-1.pem",
            "arn:aws-us-gov:sns:us-gov-west-1:123456789012:t",
        )
        == "sns.us-gov-west-1.amazonaws.com"
    )
    with pytest.raises(Unauthorized):  # a commercial topic's certificate is never on the China host
        aws_sns.certificate_host(
            "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem",
            "arn:aws:sns:cn-north-1:123456789012:t",
        )


@pytest.mark.parametrize(
    ("secret", "sent"),
    [
        ({"topic_arns": []}, signed(message())),  # a subscription that allows no topic
        ({"topic_arns": ["arn:aws:sns:us-west-2:123456789012:Other"]}, signed(message())),
        (SECRET, signed(message(at=NOW - aws_sns.TOLERANCE_SECONDS - 5))),  # a replay after the window
        (SECRET, signed(message(at=NOW + 400))),  # from the future, past the clock skew
        (SECRET, {**signed(message()), "SignatureVersion": "3"}),
        (SECRET, {**signed(message()), "Signature": "not base64!"}),
        (SECRET, {k: v for k, v in signed(message()).items() if k != "Signature"}),
        (SECRET, {k: v for k, v in signed(message("SubscriptionConfirmation")).items() if k != "Token"}),
        (SECRET, {**signed(message()), "Type": "Other"}),
        (SECRET, {**signed(message()), "Message": {"not": "a string"}}),
        (SECRET, {**signed(message()), "Type": ["Notification"]}),
    ],
)
def test_refused_before_any_fetch(fetcher: Fetcher, secret: dict[str, Any], sent: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        check(sent, secret)
    assert fetcher.asked == []


def test_raw_message_delivery_is_refused(fetcher: Fetcher) -> None:
    request = webhook_request("aws-sns", {}, b'{"order": 1}')
    with pytest.raises(Unauthorized):
        verify("aws-sns", SECRET, request, NOW)
    assert fetcher.asked == []


def test_the_warm_path_fetches_nothing(fetcher: Fetcher) -> None:
    for i in range(5):
        assert check(signed({**message(), "MessageId": f"m-{i}"}, str(1 + i % 2))).startswith("rsa-")
    assert fetcher.asked == [CERT_URL]


def test_the_cache_is_bounded() -> None:
    served = {f"https://sns.us-west-2.amazonaws.com/c{i}.pem": PEM for i in range(5)}
    fetcher = Fetcher(served)
    store = CertificateStore(fetch=fetcher, size=2)
    for url in served:
        store.get(url)
    store.get(list(served)[-1])  # still there
    assert len(fetcher.asked) == 5
    store.get(next(iter(served)))  # gone: fetched again
    assert len(fetcher.asked) == 6


def test_a_refused_url_is_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    fetcher = Fetcher(served={})  # the host answers 404: a made-up path on SNS's own host
    clock = [1000.0]
    monkeypatch.setattr(aws_sns, "STORE", CertificateStore(fetch=fetcher, clock=lambda: clock[0]))
    for _ in range(3):
        with pytest.raises(Unauthorized):
            check(signed(message()))
    assert fetcher.asked == [CERT_URL]
    clock[0] += certificates.REFUSED_FOR_SECONDS + 1
    with pytest.raises(Unauthorized):
        check(signed(message()))
    assert len(fetcher.asked) == 2


def test_a_network_failure_is_503_and_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    fetcher = Fetcher(failure=TimeoutError("timed out"))
    monkeypatch.setattr(aws_sns, "STORE", CertificateStore(fetch=fetcher))
    with pytest.raises(Unavailable):
        check(signed(message()))
    fetcher.failure = None
    assert check(signed(message())) == "rsa-sha1"
    assert fetcher.asked == [CERT_URL, CERT_URL]


def test_fetches_have_a_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Made-up paths on an allowed host cost at most the budget's fetches a minute; then 503, no fetch."""
    fetcher = Fetcher(served={})
    clock = [1000.0]
    monkeypatch.setattr(aws_sns, "STORE", CertificateStore(fetch=fetcher, clock=lambda: clock[0], budget=3))
    for i in range(3):
        with pytest.raises(Unauthorized):
            check(signed({**message(), "SigningCertURL": f"https://sns.us-west-2.amazonaws.com/x{i}.pem"}))
    with pytest.raises(Unavailable):
        check(signed({**message(), "SigningCertURL": "https://sns.us-west-2.amazonaws.com/x9.pem"}))
    assert len(fetcher.asked) == 3
    clock[0] += 61
    with pytest.raises(Unauthorized):
        check(signed({**message(), "SigningCertURL": "https://sns.us-west-2.amazonaws.com/x9.pem"}))
    assert len(fetcher.asked) == 4


@pytest.mark.parametrize(
    "served",
    [
        make_certificate(KEY, days=(-30, -1)),  # expired
        make_certificate(KEY, days=(1, 30)),  # not yet valid
        make_certificate(KEY, name="evil.example"),  # another subject
        make_certificate(rsa.generate_private_key(public_exponent=65537, key_size=1024)),  # noqa: S505 - too weak
        b"not a certificate",
        b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ],
)
def test_a_certificate_that_is_not_snss_is_refused(monkeypatch: pytest.MonkeyPatch, served: bytes) -> None:
    monkeypatch.setattr(aws_sns, "STORE", CertificateStore(fetch=Fetcher({CERT_URL: served})))
    with pytest.raises(Unauthorized):
        check(signed(message()))


class FakeConnection:
    """http.client.HTTPSConnection as the fetcher uses it, answering what the test says."""

    made: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 200
    body: ClassVar[bytes] = b""

    def __init__(self, host: str, timeout: float, context: Any) -> None:
        FakeConnection.made.append({"host": host, "timeout": timeout, "verifies": context.verify_mode})

    def request(self, method: str, path: str, headers: dict[str, str]) -> None:
        FakeConnection.made[-1].update(method=method, path=path)

    def getresponse(self) -> Any:
        status, body = FakeConnection.status, FakeConnection.body
        return type("Response", (), {"status": status, "read": lambda self, n: body[:n]})()

    def close(self) -> None:
        pass


def test_the_fetch_is_a_short_https_get_that_follows_no_redirect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certificates.http.client, "HTTPSConnection", FakeConnection)
    FakeConnection.made, FakeConnection.status, FakeConnection.body = [], 200, PEM
    assert certificates.https_fetch(CERT_URL) == PEM
    made = FakeConnection.made[0]
    assert made["host"] == "sns.us-west-2.amazonaws.com"
    assert made["path"] == "/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
    assert made["timeout"] <= 1.5
    assert made["verifies"] == certificates.ssl.CERT_REQUIRED
    for status, body in ((301, b""), (404, b"no"), (200, b"x" * (certificates.MAX_CERTIFICATE_BYTES + 1))):
        FakeConnection.status, FakeConnection.body = status, body
        with pytest.raises(Refused):
            certificates.https_fetch(CERT_URL)
    with pytest.raises(Refused):
        certificates.https_fetch("http://sns.us-west-2.amazonaws.com/x.pem")


# --- pinned certificates, the samples, the handler ----------------------------------------------------------


def test_pinned_certificates_are_used_alone(fetcher: Fetcher) -> None:
    pinned = {**SECRET, "public_keys": [PEM.decode()]}
    assert check(signed(message()), pinned) == "rsa-sha1"
    other = {**SECRET, "public_keys": [make_certificate(FORGER).decode()]}
    with pytest.raises(Unauthorized):
        check(signed(message()), other)
    expired_first = {**SECRET, "public_keys": [make_certificate(KEY, days=(-30, -1)).decode(), PEM.decode()]}
    assert check(signed(message()), expired_first) == "rsa-sha1"  # rotation: the old one left in
    with pytest.raises(Unauthorized):  # only an expired one
        check(signed(message()), {**SECRET, "public_keys": [expired_first["public_keys"][0]]})
    assert fetcher.asked == []  # never fetched, also when no pinned certificate verifies


@pytest.mark.parametrize("name", sample_names("aws-sns"))
def test_the_samples_verify_with_the_demo_secret_and_no_fetch(fetcher: Fetcher, name: str) -> None:
    from hookbridge import providers
    from hookbridge.samples import fresh_event

    provider = providers.load("aws-sns")
    secret = SubscriptionSecret.model_validate(demo_secret("aws-sns"))
    event = fresh_event(load_event("aws-sns", name), provider, secret, now=NOW)
    request = webhook_request("aws-sns", event["headers"], event["body"].encode())
    assert provider.verify(request, secret, NOW).startswith("rsa-")
    assert fetcher.asked == []


def test_the_handler_stores_a_message_under_its_id(fetcher: Fetcher) -> None:
    body = json.dumps(signed(message())).encode()
    first = answer("aws-sns", SECRET, {"content-type": "text/plain; charset=UTF-8"}, body, now=NOW)
    assert first.status == 200
    assert json.loads(first.body)["status"] == "accepted"
    assert [e.event_type for e in first.stored] == ["Notification"]
    assert first.stored[0].event_id == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"
    forged = answer("aws-sns", SECRET, {}, json.dumps(signed(message(), key=FORGER)).encode(), now=NOW)
    assert forged.status == 401


def test_a_subscription_confirmation_not_awaited_is_stored_never_confirmed(fetcher: Fetcher) -> None:
    """Nothing the request names is fetched but its certificate: the SubscribeURL never is."""
    body = json.dumps(signed(message("SubscriptionConfirmation"))).encode()
    asked = Confirmations()
    found = answer("aws-sns", SECRET, {}, body, now=NOW, confirmer=asked)
    assert found.status == 200
    assert [e.event_type for e in found.stored] == ["SubscriptionConfirmation"]
    assert fetcher.asked == [CERT_URL]
    assert asked.calls == []


# --- confirming a subscription the operator awaits ---------------------------------------------------------


class Confirmations:
    """SNS's ConfirmSubscription as the pipeline sees it (``hookbridge.aws.confirmations``): what it was
    asked, and what it answers."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.calls: list[Confirmation] = []
        self.failure = failure

    def confirm(self, asked: Confirmation) -> str:
        self.calls.append(asked)
        if self.failure is not None:
            raise self.failure
        return f"{asked.topic_arn}:3b1ad4c1-0f0e-4a5b-9d5e-1c3c1a2b9f00"


def awaiting(until: float = NOW + 900, **secret: Any) -> dict[str, Any]:
    return {
        **SECRET,
        **secret,
        "awaiting_handshake": {
            "until": datetime.fromtimestamp(until, UTC).isoformat(),
            "token": "6f1c2a4e-54b7-4d9a-9d3c-7a0b1f2e3d4c",
        },
    }


def confirmation(**changes: str) -> bytes:
    return json.dumps(signed({**message("SubscriptionConfirmation"), **changes})).encode()


def test_an_awaited_confirmation_is_confirmed_with_its_signed_topic_and_token_and_stored(
    fetcher: Fetcher,
) -> None:
    """The topic and token SNS signed go to SNS's own API; the SubscribeURL, here an outsider's, is never
    fetched or handed on."""
    asked = Confirmations()
    body = confirmation(SubscribeURL="https://attacker.example/?Action=ConfirmSubscription&Token=t")
    found = answer("aws-sns", awaiting(), {}, body, now=NOW, confirmer=asked)
    assert found.status == 200
    assert asked.calls == [Confirmation(TOPIC, message("SubscriptionConfirmation")["Token"])]
    assert [e.event_type for e in found.stored] == ["SubscriptionConfirmation"]
    assert fetcher.asked == [CERT_URL]


@pytest.mark.parametrize(
    ("secret", "body", "status"),
    [
        (awaiting(until=NOW - 1), confirmation(), 200),  # the window has closed: stored, not confirmed
        (awaiting(), json.dumps(signed(message())).encode(), 200),  # a notification asks nothing
        (awaiting(topic_arns=["arn:aws:sns:us-west-2:123456789012:Other"]), confirmation(), 401),
        (awaiting(), json.dumps(signed(message("SubscriptionConfirmation"), key=FORGER)).encode(), 401),
        (awaiting(), json.dumps({**signed(message("SubscriptionConfirmation")), "Token": "x"}).encode(), 401),
    ],
    ids=["window-closed", "notification", "topic-not-allowed", "forged", "token-changed"],
)
def test_nothing_else_is_ever_confirmed(
    fetcher: Fetcher, secret: dict[str, Any], body: bytes, status: int
) -> None:
    asked = Confirmations()
    found = answer("aws-sns", secret, {}, body, now=NOW, confirmer=asked)
    assert (found.status, asked.calls) == (status, [])
    assert len(found.stored) == (1 if status == 200 else 0)


def test_sns_unreachable_is_503_and_nothing_stored_so_sns_retries(fetcher: Fetcher) -> None:
    down = Confirmations(Unavailable("SNS could not be reached: ConnectTimeoutError"))
    found = answer("aws-sns", awaiting(), {}, confirmation(), now=NOW, confirmer=down)
    assert (found.status, found.stored, len(down.calls)) == (503, [], 1)
    again = answer("aws-sns", awaiting(), {}, confirmation(), now=NOW, confirmer=Confirmations())
    assert [e.event_type for e in again.stored] == ["SubscriptionConfirmation"]


def test_sns_refusing_the_token_stores_the_confirmation(fetcher: Fetcher) -> None:
    """An expired or spent token: retrying cannot help, so the operator gets the message to act on."""
    refused = Confirmations(Unauthorized("SNS refused the confirmation: InvalidParameter"))
    found = answer("aws-sns", awaiting(), {}, confirmation(), now=NOW, confirmer=refused)
    assert (found.status, [e.event_type for e in found.stored]) == (200, ["SubscriptionConfirmation"])


# Through the real function (its assembly, moto's SNS): the certificate pinned, so nothing is fetched.
def sns_event(sent: dict[str, str], subscription: str = "demo") -> dict[str, Any]:
    event = load_event("aws-sns", "SubscriptionConfirmation")
    event["body"] = json.dumps(sent)
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/webhooks/aws-sns/{subscription}"
    event["pathParameters"]["subscription"] = subscription
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    return event


def test_the_function_confirms_an_awaited_topic_at_sns_and_audits_it(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any, caplog: pytest.LogCaptureFixture
) -> None:
    now = time.time()
    sent = signed(message("SubscriptionConfirmation", at=now))
    topic = boto3.client("sns", region_name="us-west-2").create_topic(Name="MyTopic")["TopicArn"]
    assert topic == TOPIC
    stack.add_secret("aws-sns", "demo", awaiting(until=now + 900, public_keys=[PEM.decode()]))
    stack.add_secret("aws-sns", "later", {**SECRET, "public_keys": [PEM.decode()]})
    function = ingest_function("aws-sns")
    with caplog.at_level(logging.INFO):
        confirmed = invoke(function, sns_event(sent))
        not_awaited = invoke(function, sns_event(sent, "later"))
    assert (confirmed["statusCode"], not_awaited["statusCode"]) == (200, 200)
    audits = {getattr(r, "audit", None): r for r in caplog.records}
    assert audits["subscription_confirmed"].confirmed.startswith(f"{TOPIC}:")  # type: ignore[attr-defined]
    assert audits["subscription_confirmed"].subscription == "demo"  # type: ignore[attr-defined]
    assert audits["confirmation_not_awaited"].subscription == "later"  # type: ignore[attr-defined]
    assert sent["Token"] not in caplog.text  # the token never logged
    stored = [StoredEvent.from_stream_image(item) for item in stack.items()]
    assert sorted(e.subscription for e in stored) == ["demo", "later"]  # both stored


def test_the_function_stores_a_confirmation_sns_refuses_and_audits_it(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """moto answers NotFound for a topic it does not hold: refused, audited, and the confirmation stored."""
    now = time.time()
    sent = signed(message("SubscriptionConfirmation", at=now))
    stack.add_secret("aws-sns", "demo", awaiting(until=now + 900, public_keys=[PEM.decode()]))
    with caplog.at_level(logging.INFO):
        found = invoke(ingest_function("aws-sns"), sns_event(sent))
    assert found["statusCode"] == 200
    assert any(getattr(r, "audit", None) == "confirmation_refused" for r in caplog.records)
    assert len(stack.items()) == 1


def test_sns_subscriptions_asks_snss_own_api_in_the_topics_region_unsigned() -> None:
    """The adapter against moto's SNS: the client is the topic's region's, and unsigned (SNS needs no
    signature for ConfirmSubscription, so the ingest role needs no permission on other accounts' topics)."""
    import boto3
    from botocore import UNSIGNED
    from moto import mock_aws

    from hookbridge.aws.confirmations import SnsSubscriptions

    made: list[tuple[str, Any]] = []

    def client_for(region: str, config: Any) -> Any:
        made.append((region, config.signature_version))
        return boto3.client("sns", region_name=region, config=config)

    with mock_aws():
        topic = boto3.client("sns", region_name="us-west-2").create_topic(Name="MyTopic")["TopicArn"]
        confirmations = SnsSubscriptions(client_for)
        confirmed = confirmations.confirm(Confirmation(topic, "2336412f37fb687f5d51e6e241d09c805a5a57b3"))
        assert confirmed.startswith(f"{topic}:")
        with pytest.raises(Unauthorized, match="NotFound"):
            confirmations.confirm(Confirmation(topic.replace("MyTopic", "Gone"), "2336412f37fb687f"))
    assert made == [("us-west-2", UNSIGNED)]  # one client for the region, reused


def test_sns_subscriptions_unreachable_is_unavailable() -> None:
    from botocore.exceptions import EndpointConnectionError

    from hookbridge.aws.confirmations import SnsSubscriptions

    class Down:
        def confirm_subscription(self, **_: str) -> dict[str, str]:
            raise EndpointConnectionError(endpoint_url="https://sns.us-west-2.amazonaws.com/")

    with pytest.raises(Unavailable, match="EndpointConnectionError"):
        SnsSubscriptions(lambda region, config: Down()).confirm(Confirmation(TOPIC, "token"))
