"""PayPal REST webhooks, against PayPal's own code and a genuine PayPal delivery.

- A genuine sandbox delivery verifies: the transmission, signature, webhook id and body of PayPal's Python
  SDK's own test (paypal/PayPal-Python-SDK, test/unit_tests/notifications_test.py and
  samples/notification/webhook-events/verify_webhook_events.py), checked with the certificate PayPal served
  at its PAYPAL-CERT-URL, as PayPal's Node SDK recorded it (paypal/PayPal-node-SDK, its nock of
  GET /v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77): subject
  messageverificationcerts.sandbox.paypal.com, valid 2015-03-18..2017-03-22, so the clock is set to the
  delivery's day. That certificate chains to the DigiCert CA the SDK ships, checked here with pyOpenSSL.
- paypalrestsdk 1.13.3 (PyPI, deprecated) is the judge of what we sign: its ``_get_expected_sig`` is our
  signed string, and ``WebhookEvent.verify`` accepts what we sign and refuses what we refuse. Two of its steps
  cannot run as shipped: ``OpenSSL.crypto.verify``, which pyOpenSSL removed (24.3), is given back as the same
  operation in `cryptography` (the certificate's key, PKCS#1 v1.5, the named digest), and the chain check
  to its DigiCert CA is skipped for the certificates made here (the genuine one passes it, above). Its
  subject check (``.paypal.com``) and expiry check run as shipped. PayPal's Java SDK is stricter on the
  subject (``CN=messageverificationcerts`` ... ``.paypal.com``), and so are we: the live name on the live
  hosts, the sandbox name on the sandbox hosts.

The attacker's side, all without network (the certificate fetcher is injected, the socket guard is on): a
certificate URL on another host, over http, with a port, a user, a query or off /v1/notifications/certs/ is
refused before any fetch; so is any algorithm but SHA256withRSA and a transmission outside three days. A
request for another webhook (webhook_id), with a changed body or re-timed fails the signature. A captured
request replayed is a duplicate (one event); one whose body was rewritten to the same CRC32 (which anyone can
do: a CRC is no digest) still verifies, and is the same transmission, so a duplicate too. Made-up certificate
paths on PayPal's host cost at most the per-minute fetch budget."""

from __future__ import annotations

import base64
import json
import time
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import OpenSSL.crypto
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from paypalrestsdk.notifications import WebhookEvent  # type: ignore[import-untyped]

from hookbridge.errors import Unauthorized, Unavailable
from hookbridge.providers import certificates, paypal
from hookbridge.providers.certificates import CertificateStore, Refused
from tests.support import senders
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.fakes import MemoryStore
from tests.support.senders import answer, describe, refused, verify, webhook_request

GENUINE_CERTIFICATE = (
    "-----BEGIN CERTIFICATE-----\r\n"
    "MIIHqDCCBpCgAwIBAgIQCSVMkxB1Kw9SPZtpAr3lTDANBgkqhkiG9w0BAQsFADB1\r\n"
    "MQswCQYDVQQGEwJVUzEVMBMGA1UEChMMRGlnaUNlcnQgSW5jMRkwFwYDVQQLExB3\r\n"
    "d3cuZGlnaWNlcnQuY29tMTQwMgYDVQQDEytEaWdpQ2VydCBTSEEyIEV4dGVuZGVk\r\n"
    "IFZhbGlkYXRpb24gU2VydmVyIENBMB4XDTE1MDMxODAwMDAwMFoXDTE3MDMyMjEy\r\n"
    "MDAwMFowggElMR0wGwYDVQQPDBRQcml2YXRlIE9yZ2FuaXphdGlvbjETMBEGCysG\r\n"
    "AQQBgjc8AgEDEwJVUzEZMBcGCysGAQQBgjc8AgECEwhEZWxhd2FyZTEQMA4GA1UE\r\n"
    "BRMHMzAxNDI2NzEWMBQGA1UECRMNMjIxMSBOIDFzdCBTdDEOMAwGA1UEERMFOTUx\r\n"
    "MzExCzAJBgNVBAYTAlVTMRMwEQYDVQQIEwpDYWxpZm9ybmlhMREwDwYDVQQHEwhT\r\n"
    "YW4gSm9zZTEVMBMGA1UEChMMUGF5UGFsLCBJbmMuMRgwFgYDVQQLEw9QYXJ0bmVy\r\n"
    "IFN1cHBvcnQxNDAyBgNVBAMTK21lc3NhZ2V2ZXJpZmljYXRpb25jZXJ0cy5zYW5k\r\n"
    "Ym94LnBheXBhbC5jb20wggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDI\r\n"
    "XgwJj1E+vPOLNA7e3nFsRpQq7G1CFcoCNeRgFIGRfd4itt2jBRPfHXf1eeXODQ6V\r\n"
    "wTMP6rVYrI3HBQu5SZRZKO3gALPiBWTcz5FhVovYDz/d/DtasA5L7l1xmRM+GGPE\r\n"
    "e/D3ETPeyym6GTAuIzR1ju1BuSQlVnIrcILDHrFZo0RyqFH1eNL3oYfgz+ZCv+WH\r\n"
    "65rhS60VowiLAb2lsARckJ2P8wKIps3YUxAqVG5SJ9H49ueBDI01wEzE/+59J8s9\r\n"
    "GThmbMTqP6x4MneAcGN1TPimGd9wZlbwwrCYDtCoqFDcxMVgvD83uPrIinFwTIOX\r\n"
    "w63QSv8/+ANuawBcNJDrAgMBAAGjggOAMIIDfDAfBgNVHSMEGDAWgBQ901Cl1qCt\r\n"
    "7vNKYApl0yHU+PjWDzAdBgNVHQ4EFgQUt5yLggZOjjfzULzZCgX2KZO3R/gwNgYD\r\n"
    "VR0RBC8wLYIrbWVzc2FnZXZlcmlmaWNhdGlvbmNlcnRzLnNhbmRib3gucGF5cGFs\r\n"
    "LmNvbTAOBgNVHQ8BAf8EBAMCBaAwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUF\r\n"
    "BwMCMHUGA1UdHwRuMGwwNKAyoDCGLmh0dHA6Ly9jcmwzLmRpZ2ljZXJ0LmNvbS9z\r\n"
    "aGEyLWV2LXNlcnZlci1nMS5jcmwwNKAyoDCGLmh0dHA6Ly9jcmw0LmRpZ2ljZXJ0\r\n"
    "LmNvbS9zaGEyLWV2LXNlcnZlci1nMS5jcmwwQgYDVR0gBDswOTA3BglghkgBhv1s\r\n"
    "AgEwKjAoBggrBgEFBQcCARYcaHR0cHM6Ly93d3cuZGlnaWNlcnQuY29tL0NQUzCB\r\n"
    "iAYIKwYBBQUHAQEEfDB6MCQGCCsGAQUFBzABhhhodHRwOi8vb2NzcC5kaWdpY2Vy\r\n"
    "dC5jb20wUgYIKwYBBQUHMAKGRmh0dHA6Ly9jYWNlcnRzLmRpZ2ljZXJ0LmNvbS9E\r\n"
    "aWdpQ2VydFNIQTJFeHRlbmRlZFZhbGlkYXRpb25TZXJ2ZXJDQS5jcnQwDAYDVR0T\r\n"
    "AQH/BAIwADCCAX0GCisGAQQB1nkCBAIEggFtBIIBaQFnAHUApLkJkLQYWBSHuxOi\r\n"
    "zGdwCjw1mAT5G9+443fNDsgN3BAAAAFMLovtNgAABAMARjBEAiBTR7r3p76qUJzF\r\n"
    "23lsbD/cLsA0KlxoJRSIvIK0OIYWiQIgVQWja8tWBlpcoFP30Iym7IuczitSazpH\r\n"
    "fhKAVroTgXgAdgBo9pj4H2SCvjqM7rkoHUz8cVFdZ5PURNEKZ6y7T0/7xAAAAUwu\r\n"
    "i+z4AAAEAwBHMEUCIEP3VYyLQB7lOgFo4WstyOurmRe3xa0OVaeFL/bDohHOAiEA\r\n"
    "+xQrRVAfaeT4qBdBJzLyVLU4V9bh/qBMXJdjvYujhAcAdgBWFAaaL9fC7NP14b1E\r\n"
    "sj7HRna5vJkRXMDvlJhV1onQ3QAAAUwui+6EAAAEAwBHMEUCIQC/YUc5X6xyb3ho\r\n"
    "o4VMSJqSoNg9KKkvLh9nUQCdwHi3/QIgNwcBc9ZZCR/aWXQ7hKH6d39kpkDX2Z43\r\n"
    "XPy/Kl5sKI4wDQYJKoZIhvcNAQELBQADggEBAHixEZNpb0M1MsvsfNI6lLKxrs9s\r\n"
    "JkcBcmxrFyhTC8KP+Qp+Z1fnMRQwpTLIMr1+uAMqCPAnIShGHeFNJpUFSMyW4o0l\r\n"
    "+pZGz/L/YJBs7XP3ChSGC17ZKeGSQFfMqMQXfY/L6+n/1HkAwqmewqUMEuUmWN3F\r\n"
    "kXJqVngIYGZtxXRyiv2azLOhrNP8BgNZK6d2gVxntQfGr4hnd8Juq8SJy/S4xpPY\r\n"
    "YPD8vW7/wSOdAe1/kU38QwDVBQ5PJePS2WFwz8YA/eKcyg9lfsianfw35SjehJbn\r\n"
    "wGwzUbjtibyJnv3eAeYDGxaI6vbuoE99pSmYGIwSBLJwZamJHjci6HL6wLg=\r\n"
    "-----END CERTIFICATE-----"
)

GENUINE_BODY = (
    '{"id":"WH-0G2756385H040842W-5Y612302CV158622M","create_time":"2015-05-18T15:45:13Z","resource_type":'
    '"sale","event_type":"PAYMENT.SALE.COMPLETED","summary":"Payment completed for $ 20.0 USD","resource"'
    ':{"id":"4EU7004268015634R","create_time":"2015-05-18T15:44:02Z","update_time":"2015-05-18T15:44:21Z"'
    ',"amount":{"total":"20.00","currency":"USD"},"payment_mode":"INSTANT_TRANSFER","state":"completed","'
    'protection_eligibility":"ELIGIBLE","protection_eligibility_type":"ITEM_NOT_RECEIVED_ELIGIBLE,UNAUTHO'
    'RIZED_PAYMENT_ELIGIBLE","parent_payment":"PAY-86C81811X5228590KKVNARQQ","transaction_fee":{"value":"'
    '0.88","currency":"USD"},"links":[{"href":"https://api.sandbox.paypal.com/v1/payments/sale/4EU7004268'
    '015634R","rel":"self","method":"GET"},{"href":"https://api.sandbox.paypal.com/v1/payments/sale/4EU70'
    '04268015634R/refund","rel":"refund","method":"POST"},{"href":"https://api.sandbox.paypal.com/v1/paym'
    'ents/payment/PAY-86C81811X5228590KKVNARQQ","rel":"parent_payment","method":"GET"}]},"links":[{"href"'
    ':"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-0G2756385H040842W-5Y612302CV158'
    '622M","rel":"self","method":"GET"},{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks'
    '-events/WH-0G2756385H040842W-5Y612302CV158622M/resend","rel":"resend","method":"POST"}]}'
)

# --- a genuine PayPal sandbox delivery (PayPal's Python SDK's test, PayPal's certificate as served) --------

GENUINE_CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
GENUINE_WEBHOOK_ID = "4JH86294D6297924G"
GENUINE_HEADERS = {
    "PAYPAL-TRANSMISSION-ID": "dfb3be50-fd74-11e4-8bf3-77339302725b",
    "PAYPAL-TRANSMISSION-TIME": "2015-05-18T15:45:13Z",
    "PAYPAL-TRANSMISSION-SIG": (
        "thy4/U002quzxFavHPwbfJGcc46E8rc5jzgyeafWm5mICTBdY/8rl7WJpn8JA0GKA+oDTPsSruqusw+XXg5RLAP7ip53Euh9Xu3"
        "UbUhQFX7UgwzE2FeYoY6lyRMiiiQLzy9BvHfIzNIVhPad4KnC339dr6y2l+mN8ALgI4GCdIh3/SoJO5wE64Bh/ueWtt8EVuvsv"
        "Xfda2Le5a2TrOI9vLEzsm9GS79hAR/5oLexNz8UiZr045Mr5ObroH4w4oNfmkTaDk9Rj0G19uvISs5QzgmBpauKr7Nw++JI0pr/"
        "v5mFctQkoWJSGfBGzPRXawrvIIVHQ9Wer48GR2g9ZiApWg=="
    ),
    "PAYPAL-CERT-URL": GENUINE_CERT_URL,
    "PAYPAL-AUTH-ALGO": "SHA256withRSA",
}
GENUINE_NOW = datetime(2015, 5, 18, 15, 45, 14, tzinfo=UTC).timestamp()


class Fetcher:
    """Certificates by URL, as PayPal's hosts would serve them; every URL asked for is recorded."""

    def __init__(self, served: dict[str, bytes]) -> None:
        self.served = served
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        if url not in self.served:
            raise Refused("404")
        return self.served[url]


def test_a_genuine_paypal_delivery_verifies_with_the_certificate_paypal_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetcher = Fetcher({GENUINE_CERT_URL: GENUINE_CERTIFICATE.encode()})
    monkeypatch.setattr(paypal, "STORE", CertificateStore(fetch=fetcher))
    secret = {"webhook_id": GENUINE_WEBHOOK_ID}
    request = webhook_request("paypal", GENUINE_HEADERS, GENUINE_BODY.encode())
    assert verify("paypal", secret, request, GENUINE_NOW) == "rsa-sha256"
    assert verify("paypal", secret, request, GENUINE_NOW + 60) == "rsa-sha256"
    assert fetcher.asked == [GENUINE_CERT_URL]  # once: the warm path fetches nothing
    # Pinned, it verifies with no fetch; for another webhook, or with a byte of the body changed, it fails.
    assert verify("paypal", {**secret, "public_keys": [GENUINE_CERTIFICATE]}, request, GENUINE_NOW)
    for wrong, body in (({"webhook_id": "4JH86294D6297924H"}, GENUINE_BODY), (secret, GENUINE_BODY + " ")):
        with pytest.raises(Unauthorized):
            verify("paypal", wrong, webhook_request("paypal", GENUINE_HEADERS, body.encode()), GENUINE_NOW)
    assert fetcher.asked == [GENUINE_CERT_URL]


def test_the_genuine_certificate_is_paypals_by_the_sdks_checks() -> None:
    """The SDK's subject check and its chain to the DigiCert CA it ships, at the delivery's time; our
    reading of the same certificate: its key verifies the genuine signature, its name is the sandbox's."""
    cert = OpenSSL.crypto.load_certificate(OpenSSL.crypto.FILETYPE_PEM, GENUINE_CERTIFICATE.encode())
    assert WebhookEvent._is_common_name_valid(cert)
    store = WebhookEvent._get_certificate_store()
    store.set_time(datetime(2015, 5, 18, 15, 45, 13))
    OpenSSL.crypto.X509StoreContext(store, cert).verify_certificate()  # raises when it does not chain
    ours = certificates.parse_certificate(certificates.pem_to_der(GENUINE_CERTIFICATE.encode()))
    assert ours.common_names == (paypal.SANDBOX_SIGNER,)
    assert paypal.certificate_signer(GENUINE_CERT_URL) == paypal.SANDBOX_SIGNER
    signed = paypal.expected_message(
        GENUINE_HEADERS["PAYPAL-TRANSMISSION-ID"],
        GENUINE_HEADERS["PAYPAL-TRANSMISSION-TIME"],
        GENUINE_WEBHOOK_ID,
        GENUINE_BODY.encode(),
    )
    signature = base64.b64decode(GENUINE_HEADERS["PAYPAL-TRANSMISSION-SIG"])
    x509.load_pem_x509_certificate(GENUINE_CERTIFICATE.encode()).public_key().verify(  # type: ignore[union-attr,call-arg]
        signature, signed, padding.PKCS1v15(), hashes.SHA256()
    )
    assert ours.verifies(signed, signature, "sha256")


@pytest.mark.parametrize(
    "body",
    [GENUINE_BODY, "", '{"id":"WH-1","summary":"Zahlung über 5,00 € abgeschlossen"}', "\u2028 \x00 {}"],
)
def test_the_signed_string_is_the_sdks(body: str) -> None:
    ours = paypal.expected_message(
        "dfb3be50-fd74-11e4", "2015-05-18T15:45:13Z", "4JH86294D6297924G", body.encode()
    )
    sdks = WebhookEvent._get_expected_sig(
        "dfb3be50-fd74-11e4", "2015-05-18T15:45:13Z", "4JH86294D6297924G", body
    )
    assert ours == sdks.encode()


# --- what we sign, judged by the SDK -----------------------------------------------------------------------

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FORGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NOW = time.time()
CERT_URL = "https://api-m.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-bd57a72a"


def make_certificate(
    key: rsa.RSAPrivateKey, name: str = paypal.LIVE_SIGNER, *, days: tuple[int, int] = (-1, 365)
) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.now(UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DigiCert SHA2 Secure Server CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start + timedelta(days=days[0]))
        .not_valid_after(start + timedelta(days=days[1]))
        .sign(key, hashes.SHA256())
    )
    return built.public_bytes(serialization.Encoding.PEM)


PEM = make_certificate(KEY)
WEBHOOK_ID = "1JE4291016473214C"
SECRET = {"webhook_id": WEBHOOK_ID}
BODY = json.dumps(
    {
        "id": "WH-58D329510W468432D-8HN650336L201105X",
        "create_time": "2026-03-10T14:44:58.940Z",
        "resource_type": "capture",
        "event_type": "PAYMENT.CAPTURE.COMPLETED",
        "summary": "Payment completed for $ 5.00 USD",
        "resource": {"id": "42311647XV020574X", "status": "COMPLETED"},
    },
    separators=(",", ":"),
).encode()


def headers_for(
    body: bytes,
    *,
    key: rsa.RSAPrivateKey = KEY,
    at: float = NOW,
    webhook_id: str = WEBHOOK_ID,
    url: str = CERT_URL,
    transmission_id: str = "a9941940-3b3a-11ec-b750-f75a670c9758",
) -> dict[str, str]:
    """The headers PayPal sends, signed as the SDK's string says, with `cryptography`."""
    sent_at = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = WebhookEvent._get_expected_sig(transmission_id, sent_at, webhook_id, body.decode()).encode()
    return {
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": sent_at,
        "PAYPAL-TRANSMISSION-SIG": base64.b64encode(
            key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        ).decode(),
        "PAYPAL-CERT-URL": url,
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
    }


@pytest.fixture
def fetcher(monkeypatch: pytest.MonkeyPatch) -> Fetcher:
    found = Fetcher({CERT_URL: PEM})
    monkeypatch.setattr(paypal, "STORE", CertificateStore(fetch=found))
    return found


@pytest.fixture
def judge(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``WebhookEvent.verify`` as shipped, but for the certificate download (answered here with the PEM
    served at the URL), the chain to its DigiCert CA (a certificate made here has none) and
    ``OpenSSL.crypto.verify`` (removed from pyOpenSSL; the same operation, in `cryptography`)."""

    def served(url: str) -> Any:
        pem = {CERT_URL: PEM}.get(url)
        return None if pem is None else OpenSSL.crypto.load_certificate(OpenSSL.crypto.FILETYPE_PEM, pem)

    def crypto_verify(cert: Any, signature: bytes, data: bytes, digest: str) -> None:
        algorithm = {"sha256": hashes.SHA256(), "sha256WithRSAEncryption": hashes.SHA256(),
                     "sha1WithRSAEncryption": hashes.SHA1()}[digest]  # fmt: skip  # noqa: S303 - the SDK's SHA1withRSA
        cert.to_cryptography().public_key().verify(signature, data, padding.PKCS1v15(), algorithm)

    monkeypatch.setattr(WebhookEvent, "_get_cert", staticmethod(served))
    monkeypatch.setattr(WebhookEvent, "_verify_certificate_chain", classmethod(lambda cls, cert: True))
    monkeypatch.setattr(OpenSSL.crypto, "verify", crypto_verify, raising=False)

    def judged(headers: dict[str, str], body: bytes, webhook_id: str = WEBHOOK_ID) -> bool:
        return bool(
            WebhookEvent.verify(
                headers["PAYPAL-TRANSMISSION-ID"],
                headers["PAYPAL-TRANSMISSION-TIME"],
                webhook_id,
                body.decode(),
                headers["PAYPAL-CERT-URL"],
                headers["PAYPAL-TRANSMISSION-SIG"],
                headers["PAYPAL-AUTH-ALGO"],
            )
        )

    return judged


def ours(
    headers: dict[str, str], body: bytes, secret: dict[str, Any] | None = None, now: float = NOW
) -> bool:
    try:
        verify("paypal", SECRET if secret is None else secret, webhook_request("paypal", headers, body), now)
    except Unauthorized:
        return False
    return True


def test_what_the_sdk_accepts_we_accept_and_what_it_refuses_we_refuse(fetcher: Fetcher, judge: Any) -> None:
    genuine = headers_for(BODY)
    assert judge(genuine, BODY)
    assert ours(genuine, BODY)
    cases = [
        (genuine, BODY.replace(b"5.00", b"500.0"), WEBHOOK_ID),  # the body changed
        (genuine, BODY, "1JE4291016473214D"),  # another webhook's
        (headers_for(BODY, key=FORGER), BODY, WEBHOOK_ID),  # signed by someone else
        ({**genuine, "PAYPAL-TRANSMISSION-ID": "a9941940-3b3a-11ec-b750-f75a670c9759"}, BODY, WEBHOOK_ID),
        ({**genuine, "PAYPAL-TRANSMISSION-TIME": "2026-01-01T00:00:00Z"}, BODY, WEBHOOK_ID),  # re-timed
        ({**genuine, "PAYPAL-AUTH-ALGO": "SHA1withRSA"}, BODY, WEBHOOK_ID),
    ]
    for headers, body, webhook_id in cases:
        assert not judge(headers, body, webhook_id)
        assert not ours(headers, body, {"webhook_id": webhook_id}, now=NOW)


def test_what_we_sign_the_sdk_accepts(judge: Any) -> None:
    """Our signer (the samples', pure Python) with a key pair of its own making, judged by the SDK."""
    made = paypal.example_secret("judge")
    secret = paypal.SubscriptionSecret.model_validate(made)
    credentials = paypal.sign(secret, BODY, int(NOW))
    pem = certificates.ssl.DER_cert_to_PEM_cert(base64.b64decode(made["public_keys"][0])).encode()
    cert = OpenSSL.crypto.load_certificate(OpenSSL.crypto.FILETYPE_PEM, pem)
    assert WebhookEvent._is_common_name_valid(cert)
    assert not cert.has_expired()
    served = {k.upper(): v for k, v in credentials.headers.items()}
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(WebhookEvent, "_get_cert", staticmethod(lambda url: cert))
        assert judge(served, BODY, made["webhook_id"])
        assert not judge(served, BODY + b" ", made["webhook_id"])
    assert ours(served, BODY, made)


# --- the certificate URL and the algorithm: refused before any fetch --------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/v1/notifications/certs/CERT-1",
        "http://api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
        "https://api.paypal.com:443/v1/notifications/certs/CERT-1",
        "https://user@api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com.attacker.example/v1/notifications/certs/CERT-1",
        "https://attacker.example/api.paypal.com/v1/notifications/certs/CERT-1",
        "https://paypal.com/v1/notifications/certs/CERT-1",
        "https://www.paypal.com/v1/notifications/certs/CERT-1",
        "https://API.PAYPAL.COM/v1/notifications/certs/CERT-1",
        "https://api.paypal.com/v1/notifications/certs/CERT-1?x=1",
        "https://api.paypal.com/v1/notifications/certs/CERT-1#x",
        "https://api.paypal.com/v1/notifications/certs/../../oauth2/token",
        "https://api.paypal.com/v1/oauth2/token",
        "https://api.paypal.com/v1/notifications/certs/",
        "https://[::1]/v1/notifications/certs/CERT-1",
        "",
    ],
)
def test_a_certificate_url_not_paypals_is_refused_without_a_fetch(fetcher: Fetcher, url: str) -> None:
    forged = headers_for(BODY, key=FORGER, url=url)
    with pytest.raises(Unauthorized, match="PAYPAL-CERT-URL"):
        verify("paypal", SECRET, webhook_request("paypal", forged, BODY), NOW)
    assert fetcher.asked == []


@pytest.mark.parametrize("algorithm", ["SHA1withRSA", "sha256", "SHA256withECDSA", "", "SHA256WITHRSA"])
def test_only_sha256withrsa_is_accepted(fetcher: Fetcher, algorithm: str) -> None:
    headers = {**headers_for(BODY), "PAYPAL-AUTH-ALGO": algorithm}
    with pytest.raises(Unauthorized, match="PAYPAL-AUTH-ALGO"):
        verify("paypal", SECRET, webhook_request("paypal", headers, BODY), NOW)
    assert fetcher.asked == []


@pytest.mark.parametrize(
    ("secret", "headers"),
    [
        ({}, headers_for(BODY)),  # no webhook_id: nothing is accepted
        (SECRET, headers_for(BODY, at=NOW - paypal.TOLERANCE_SECONDS - 5)),  # after PayPal's three days
        (SECRET, headers_for(BODY, at=NOW + paypal.CLOCK_SKEW_SECONDS + 5)),  # ahead of the skew
        (SECRET, {**headers_for(BODY), "PAYPAL-TRANSMISSION-TIME": "yesterday"}),
        (SECRET, {**headers_for(BODY), "PAYPAL-TRANSMISSION-TIME": "2026-03-10T14:44:58"}),  # no zone
        (SECRET, {**headers_for(BODY), "PAYPAL-TRANSMISSION-ID": "a|b"}),  # would shift the signed parts
        (SECRET, {**headers_for(BODY), "PAYPAL-TRANSMISSION-SIG": "not base64!"}),
        (SECRET, {k: v for k, v in headers_for(BODY).items() if k != "PAYPAL-TRANSMISSION-SIG"}),
    ],
)
def test_what_fails_before_the_signature_costs_no_fetch(
    fetcher: Fetcher, secret: dict[str, Any], headers: dict[str, str]
) -> None:
    with pytest.raises(Unauthorized):
        verify("paypal", secret, webhook_request("paypal", headers, BODY), NOW)
    assert fetcher.asked == []


def test_a_resend_three_days_late_is_accepted(fetcher: Fetcher) -> None:
    """PayPal's resends keep their transmission's time (the module's docstring): the last of its three days
    verifies."""
    assert ours(headers_for(BODY, at=NOW - 3 * 86_400), BODY)


# --- the certificate: fetched once, valid now, PayPal's name; a budget of fetches -------------------------


def test_the_certificate_must_be_valid_and_name_paypals_signer(monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = CERT_URL.replace("api-m.paypal.com", "api-m.sandbox.paypal.com")
    served = {
        CERT_URL: make_certificate(KEY, days=(-400, -1)),  # expired
        sandbox: make_certificate(KEY),  # the live name, on the sandbox host
        CERT_URL.replace("bd57a72a", "other"): make_certificate(KEY, "api.paypal.com"),
    }
    for url in served:
        monkeypatch.setattr(paypal, "STORE", CertificateStore(fetch=Fetcher(served)))
        assert not ours(headers_for(BODY, url=url), BODY)
    monkeypatch.setattr(
        paypal,
        "STORE",
        CertificateStore(fetch=Fetcher({sandbox: make_certificate(KEY, paypal.SANDBOX_SIGNER)})),
    )
    assert ours(headers_for(BODY, url=sandbox), BODY)


def test_made_up_certificate_paths_on_paypals_host_cost_at_most_the_budget(fetcher: Fetcher) -> None:
    """Each made-up path is one fetch (404, remembered) until the minute's budget is spent; then 503 (PayPal
    resends) with no fetch. A known certificate stays served from the cache all along."""
    assert ours(headers_for(BODY), BODY)  # the genuine certificate, fetched once
    for n in range(certificates.FETCH_BUDGET - 1):
        made_up = CERT_URL.replace("bd57a72a", f"made-up-{n}")
        assert not ours(headers_for(BODY, key=FORGER, url=made_up), BODY)
    with pytest.raises(Unavailable):
        verify("paypal", SECRET, webhook_request("paypal", headers_for(BODY, url=CERT_URL + "x"), BODY), NOW)
    assert len(fetcher.asked) == certificates.FETCH_BUDGET
    assert not ours(headers_for(BODY, key=FORGER, url=CERT_URL.replace("bd57a72a", "made-up-0")), BODY)
    assert ours(headers_for(BODY), BODY)
    assert len(fetcher.asked) == certificates.FETCH_BUDGET  # a refused URL is remembered; the cache serves


# --- stored and published once ----------------------------------------------------------------------------


def forge_crc(body: bytes, target: int) -> bytes:
    """``body`` with a field whose 40 letters make its CRC32 ``target``: a CRC is linear, so anyone can."""
    document = json.loads(body)
    base = dict(document, note="a" * 40)

    def encoded(letters: str) -> bytes:
        return json.dumps({**base, "note": letters}, separators=(",", ":")).encode()

    start = zlib.crc32(encoded("a" * 40))
    deltas = [zlib.crc32(encoded("a" * i + "q" + "a" * (39 - i))) ^ start for i in range(40)]
    # Gaussian elimination over GF(2): which letters to flip so that the CRC moves by start ^ target.
    rows: list[tuple[int, int]] = []  # (delta, the set of letters making it)
    for i, delta in enumerate(deltas):
        mask = 1 << i
        for row_delta, row_mask in rows:
            if delta ^ row_delta < delta:
                delta, mask = delta ^ row_delta, mask ^ row_mask
        if delta:
            rows.append((delta, mask))
            rows.sort(reverse=True)
    want, chosen = start ^ target, 0
    for row_delta, row_mask in rows:
        if want ^ row_delta < want:
            want, chosen = want ^ row_delta, chosen ^ row_mask
    assert want == 0
    letters = "".join("q" if chosen >> i & 1 else "a" for i in range(40))
    return encoded(letters)


def test_a_captured_request_replayed_or_rewritten_to_its_crc_is_one_event(
    fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()  # one table for every delivery (answer() builds a fresh one per call)
    monkeypatch.setattr(senders, "MemoryStore", lambda: store)
    captured = headers_for(BODY)
    forged_body = forge_crc(
        json.dumps(
            {**json.loads(BODY), "id": "WH-FORGED", "resource": {"id": "X", "status": "COMPLETED"}}
        ).encode(),
        zlib.crc32(BODY),
    )
    assert zlib.crc32(forged_body) == zlib.crc32(BODY)
    assert json.loads(forged_body)["id"] == "WH-FORGED"
    assert ours(captured, forged_body)  # what PayPal's scheme proves: not the body
    statuses = [
        answer("paypal", SECRET, captured, body, now=NOW).json()["status"]
        for body in (BODY, BODY, forged_body)
    ]
    assert statuses == ["accepted", "duplicate", "duplicate"]
    assert len(store.items) == 1
    assert len({e.dedupe_key for e in store.events}) == 1
    assert store.events[0].claim == "id#WH-58D329510W468432D-8HN650336L201105X"  # the one stored


def test_an_event_sent_in_a_new_transmission_claims_its_event_id(
    fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Dashboard's "resend" is a new transmission of the same event: stored, and the publisher's claim
    on the event id keeps it from the bus a second time (tests/integration/test_replays.py does the claim)."""
    store = MemoryStore()
    monkeypatch.setattr(senders, "MemoryStore", lambda: store)
    resent = headers_for(BODY, at=NOW - 60, transmission_id="b02ef980-9fce-11eb-b0ec-5bc241fbaaf3")
    statuses = [
        answer("paypal", SECRET, h, BODY, now=NOW).json()["status"] for h in (headers_for(BODY), resent)
    ]
    assert statuses == ["accepted", "accepted"]
    assert [e.claim for e in store.events] == ["id#WH-58D329510W468432D-8HN650336L201105X"] * 2


def test_a_forged_request_is_refused_and_stores_nothing(fetcher: Fetcher) -> None:
    assert refused(answer("paypal", SECRET, headers_for(BODY, key=FORGER), BODY, now=NOW))
    assert refused(answer("paypal", {"webhook_id": "1JE4291016473214D"}, headers_for(BODY), BODY, now=NOW))


def test_the_event_is_described_from_the_body() -> None:
    found = describe("paypal", webhook_request("paypal", headers_for(BODY), BODY))
    assert (found.event_type, found.event_id, found.occurred_at, found.subject) == (
        "PAYMENT.CAPTURE.COMPLETED",
        "WH-58D329510W468432D-8HN650336L201105X",
        "2026-03-10T14:44:58.940Z",
        "42311647XV020574X",
    )
    assert (found.proven_id, found.proven_type, found.recognized) == (None, None, True)
    assert found.extra == {"resource_type": "capture"}


@pytest.mark.parametrize("name", sample_names("paypal"))
def test_the_samples_verify_with_the_demo_secret_and_no_fetch(fetcher: Fetcher, name: str) -> None:
    from hookbridge import providers
    from hookbridge.samples import fresh_event

    provider = providers.load("paypal")
    secret = paypal.SubscriptionSecret.model_validate(demo_secret("paypal"))
    event = fresh_event(load_event("paypal", name), provider, secret, now=NOW)
    request = webhook_request("paypal", event["headers"], event["body"].encode())
    assert provider.verify(request, secret, NOW) == "rsa-sha256"
    assert fetcher.asked == []
