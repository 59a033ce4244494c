"""Google Cloud Pub/Sub push with authentication, against Google's own library: google-auth 2.63.0. Tokens
it signs (``google.auth.jwt.encode`` with ``google.auth.crypt.RSASigner``) verify here, and the tokens our
signer makes (``hookbridge send``'s path) pass ``google.oauth2.id_token.verify_token`` and
``verify_oauth2_token`` with a fake transport serving the test's keys, in both of Google's formats (v1: x509
certificates by kid, judged by google-auth's own RS256 check; v3: a JWKS, judged through PyJWT). The keys
are made here with `cryptography`; nothing touches the network (the JWKS getter is injected, and the socket
guard is on).

Attackers: an expired token, the wrong audience, service account or issuer, an unverified email, times out
of shape, a forged key, ``alg`` none / HS256 with the public key as its secret / RS512, an unknown kid (no
fetch beyond the budget), a captured request replayed (a duplicate of its messageId), and a body swapped
under a captured token: the token signs no part of the body, so the same messageId is a duplicate, and a
new messageId is accepted while the token lasts (the documented limit of a bearer token)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, exceptions
from google.auth import jwt as google_jwt
from google.oauth2 import id_token

from hookbridge import providers
from hookbridge.errors import Unauthorized, Unavailable
from hookbridge.providers import certificates, google_pubsub, jwks
from hookbridge.providers.jwks import JwksStore, jwk_of
from hookbridge.providers.jwts import encode as hs_encode
from hookbridge.subscription import SubscriptionSecret
from tests.support import senders
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.fakes import MemoryStore
from tests.support.senders import answer, refused, url_for, webhook_request

NOW = float(int(time.time()))
KID = "a1b2c3d4e5f60718293a4b5c6d7e8f9001122334"
ACCOUNT = "pubsub-push@myproject.iam.gserviceaccount.com"
URL = url_for("google-pubsub")
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FORGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def jwk(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return jwk_of(kid, numbers.n, numbers.e)


def certificate(key: rsa.RSAPrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.google.com")])
    start = datetime.now(UTC) - timedelta(days=1)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=14))
        .sign(key, hashes.SHA256())
    )
    return built.public_bytes(serialization.Encoding.PEM).decode()


JWKS = json.dumps({"keys": [jwk(KEY)]}).encode()
PRIVATE = base64.b64encode(
    KEY.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
).decode()
SECRET: dict[str, Any] = {"service_account": ACCOUNT}  # keys from the (faked) JWKS
PINNED: dict[str, Any] = {**SECRET, "public_keys": [json.dumps(jwk(KEY))], "private_keys": [PRIVATE]}


def claims(**changed: Any) -> dict[str, Any]:
    """What Google puts in a push token (the documented claims), at NOW."""
    made = {
        "aud": URL,
        "azp": "113774264463038321964",
        "email": ACCOUNT,
        "email_verified": True,
        "exp": int(NOW) + 3600,
        "iat": int(NOW),
        "iss": "https://accounts.google.com",
        "sub": "113774264463038321964",
    }
    made.update(changed)
    return {k: v for k, v in made.items() if v is not None}


def google_token(payload: Mapping[str, Any], key: rsa.RSAPrivateKey = KEY, kid: str = KID) -> str:
    """A token as Google's own library signs one."""
    signer = crypt.RSASigner.from_string(pem(key), key_id=kid)
    return google_jwt.encode(signer, dict(payload)).decode()


def body(message_id: str = "2070443601311540", **attributes: str) -> bytes:
    """A push body as Google documents it (https://cloud.google.com/pubsub/docs/push)."""
    return json.dumps(
        {
            "message": {
                "attributes": attributes or {"key": "value"},
                "data": "SGVsbG8gQ2xvdWQgUHViL1N1YiEgSGVyZSBpcyBteSBtZXNzYWdlIQ==",
                "messageId": message_id,
                "message_id": message_id,
                "publishTime": "2021-02-26T19:13:55.749Z",
                "publish_time": "2021-02-26T19:13:55.749Z",
            },
            "subscription": "projects/myproject/subscriptions/mysubscription",
        }
    ).encode()


class Getter:
    """The JWKS fetch, answering what the test says and counting what it is asked."""

    def __init__(self, served: bytes = JWKS, cache_control: str = "public, max-age=20000") -> None:
        self.served, self.cache_control, self.asked = served, cache_control, []

    def __call__(self, url: str) -> tuple[bytes, dict[str, str]]:
        self.asked.append(url)
        if isinstance(self.served, Exception):
            raise self.served
        return self.served, {"cache-control": self.cache_control}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def getter(monkeypatch: pytest.MonkeyPatch) -> Getter:
    found = Getter()
    monkeypatch.setattr(google_pubsub, "STORE", JwksStore(google_pubsub.JWKS_URL, get=found))
    return found


def check(token: str, secret: Mapping[str, Any] = SECRET, *, url: str = URL, now: float = NOW) -> str:
    request = webhook_request("google-pubsub", {"Authorization": f"Bearer {token}"}, body(), url=url)
    return google_pubsub.verify(request, SubscriptionSecret.model_validate(dict(secret)), now)


def our_token(secret: Mapping[str, Any] = PINNED, at: float = NOW, url: str = URL) -> str:
    signed = google_pubsub.sign(SubscriptionSecret.model_validate(dict(secret)), body(), int(at), url)
    return signed.headers["Authorization"].removeprefix("Bearer ")


class FakeTransport:
    """google.auth.transport.Request serving the test's keys at any URL google-auth asks."""

    def __init__(self, served: Mapping[str, Any]) -> None:
        self.data = json.dumps(served).encode()
        self.asked: list[str] = []

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Any:
        self.asked.append(url)
        return type("Response", (), {"status": 200, "data": self.data, "headers": {}})()


# --- against google-auth ---------------------------------------------------------------------------------


def test_what_google_auth_signs_we_accept(getter: Getter) -> None:
    token = google_token(claims())
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"] == "RS256"
    assert check(token) == "oidc-rs256"
    assert getter.asked == [google_pubsub.JWKS_URL]  # Google's fixed URL, once
    assert check(google_token(claims(iss="accounts.google.com"))) == "oidc-rs256"  # Google's other issuer
    assert getter.asked == [google_pubsub.JWKS_URL]  # the warm path fetches nothing
    assert check(google_token(claims()), PINNED) == "oidc-rs256"


@pytest.mark.parametrize("served", ["v1 x509 certificates", "v3 JWKS"])
def test_what_we_sign_google_auth_accepts(served: str) -> None:
    keys = {KID: certificate(KEY)} if served.startswith("v1") else {"keys": [jwk(KEY)]}
    transport = FakeTransport(keys)
    token = our_token()
    found = id_token.verify_token(token, transport, audience=URL, certs_url="https://test.invalid/certs")
    assert (found["email"], found["email_verified"], found["aud"]) == (ACCOUNT, True, URL)
    found = id_token.verify_oauth2_token(token, transport, audience=URL)  # also checks Google's issuer
    assert found["iss"] == "https://accounts.google.com"
    assert found["exp"] - found["iat"] == 3600  # Google's tokens last an hour


def test_google_auth_refuses_what_we_refuse() -> None:
    transport = FakeTransport({KID: certificate(KEY)})
    forged = google_token(claims(), FORGER)
    with pytest.raises(ValueError, match="signature"):
        id_token.verify_token(forged, transport, audience=URL)
    with pytest.raises(Unauthorized):
        check(forged, PINNED)
    with pytest.raises(ValueError, match="audience"):
        id_token.verify_token(our_token(), transport, audience="https://elsewhere.example/push")
    with pytest.raises(Unauthorized):
        check(our_token({**PINNED, "audience": "https://elsewhere.example/push"}), PINNED)
    expired = our_token(at=NOW - 7200)
    with pytest.raises(ValueError, match="expired"):
        id_token.verify_token(expired, transport, audience=URL)
    with pytest.raises(Unauthorized):
        check(expired, PINNED)
    with pytest.raises(exceptions.GoogleAuthError):
        id_token.verify_oauth2_token(
            google_token(claims(iss="https://evil.example")), transport, audience=URL
        )


# --- claims: each refused before any fetch ---------------------------------------------------------------


@pytest.mark.parametrize(
    "changed",
    [
        {"exp": int(NOW) - 61, "iat": int(NOW) - 3661},  # expired, beyond the skew
        {"aud": "https://hooks.example.test/webhooks/google-pubsub/other"},
        {"aud": [URL, "https://elsewhere.example"]},
        {"email": "attacker@evil-project.iam.gserviceaccount.com"},
        {"email": None},
        {"email_verified": False},
        {"email_verified": None},
        {"iss": "https://evil.example"},
        {"iss": "https://securetoken.google.com/myproject"},
        {"iat": int(NOW) + 600, "exp": int(NOW) + 4200},  # issued in the future
        {"exp": int(NOW) + 86_400},  # a lifetime no Google token has
        {"iat": None},
        {"exp": "tomorrow"},
    ],
)
def test_wrong_claims_are_refused_without_a_fetch(getter: Getter, changed: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        check(google_token(claims(**changed)))
    assert getter.asked == []


def test_a_small_clock_skew_is_allowed(getter: Getter) -> None:
    assert check(google_token(claims(exp=int(NOW) - 30, iat=int(NOW) - 3630))) == "oidc-rs256"
    assert check(google_token(claims(iat=int(NOW) + 30, exp=int(NOW) + 3630))) == "oidc-rs256"


def test_the_audience_is_the_push_url_or_the_secrets(getter: Getter) -> None:
    with_port = "https://hooks.example.test:443/webhooks/google-pubsub/demo"
    assert check(google_token(claims(aud=with_port))) == "oidc-rs256"
    query = URL + "?token=abc"
    assert check(google_token(claims(aud=query)), url=query) == "oidc-rs256"  # the endpoint as configured
    chosen = {**SECRET, "audience": "hookbridge-push"}
    assert check(google_token(claims(aud="hookbridge-push")), chosen) == "oidc-rs256"
    with pytest.raises(Unauthorized):  # once the secret names one, the URL is not it
        check(google_token(claims()), chosen)
    custom = {**SECRET, "url": "https://hooks.acme.example/pubsub"}  # a custom domain in front
    assert check(google_token(claims(aud="https://hooks.acme.example/pubsub")), custom) == "oidc-rs256"


def test_no_service_account_refuses_everything(getter: Getter) -> None:
    with pytest.raises(Unauthorized):
        check(google_token(claims()), {})
    assert getter.asked == []


@pytest.mark.parametrize("header", ["", "Basic dTpw", "Bearer", "Bearer a.b", "Bearer ...", "Bearer x.y.z"])
def test_malformed_authorization_is_refused_without_a_fetch(getter: Getter, header: str) -> None:
    request = webhook_request("google-pubsub", {"Authorization": header} if header else {}, body())
    with pytest.raises(Unauthorized):
        google_pubsub.verify(request, SubscriptionSecret.model_validate(SECRET), NOW)
    assert getter.asked == []


# --- the algorithm is pinned -------------------------------------------------------------------------------


def _unsigned(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes = b"") -> str:
    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return ".".join([part(json.dumps(header).encode()), part(json.dumps(payload).encode()), part(signature)])


def test_alg_none_hs256_with_the_public_key_and_others_are_refused_without_a_fetch(getter: Getter) -> None:
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = [
        _unsigned({"alg": "none", "kid": KID, "typ": "JWT"}, claims()),
        _unsigned({"alg": "none", "kid": KID}, claims(), b"x"),
        _unsigned({"alg": "rs256", "kid": KID}, claims(), b"x" * 256),
        hs_encode(claims(), public_pem, "HS256"),  # the public key as an HMAC secret
        hs_encode(claims(), JWKS, "HS256"),
        hs_encode(claims(), json.dumps(jwk(KEY)).encode(), "HS256"),
        _unsigned({"alg": "RS512", "kid": KID}, claims(), b"x" * 256),
        _unsigned({"alg": "PS256", "kid": KID}, claims(), b"x" * 256),
        _unsigned({"alg": "RS256", "kid": KID, "crit": ["exp"]}, claims(), b"x" * 256),
        _unsigned({"alg": "RS256"}, claims(), b"x" * 256),  # no kid
    ]
    for token in forged:
        with pytest.raises(Unauthorized):
            check(token)
        with pytest.raises(Unauthorized):
            check(token, PINNED)
    assert getter.asked == []


def test_a_forgers_key_is_refused(getter: Getter) -> None:
    with pytest.raises(Unauthorized, match="signature"):
        check(google_token(claims(), FORGER))
    with pytest.raises(Unauthorized, match="signature"):
        check(google_token(claims(), FORGER), PINNED)


# --- the key store -----------------------------------------------------------------------------------------


def test_an_unknown_kid_costs_at_most_the_budget() -> None:
    fetched, clock = Getter(), Clock()
    store = JwksStore("https://keys.example/certs", get=fetched, clock=clock)
    assert store.keys_for(KID)[0].kid == KID
    for n in range(jwks.UNKNOWN_KID_BUDGET):
        with pytest.raises(Unauthorized):
            store.keys_for(f"made-up-{n}")
    for n in range(20):
        with pytest.raises(Unavailable):  # beyond the budget: 503, no fetch
            store.keys_for(f"more-made-up-{n}")
    assert store.keys_for(KID)[0].kid == KID  # a known kid still verifies
    assert len(fetched.asked) == 1 + jwks.UNKNOWN_KID_BUDGET
    assert set(fetched.asked) == {"https://keys.example/certs"}  # only the fixed URL
    clock.now += jwks.UNKNOWN_KID_WINDOW + 1
    with pytest.raises(Unauthorized):
        store.keys_for("made-up-later")
    assert len(fetched.asked) == 2 + jwks.UNKNOWN_KID_BUDGET


def test_a_rotated_key_is_found_by_one_refetch() -> None:
    fetched, clock = Getter(), Clock()
    store = JwksStore("https://keys.example/certs", get=fetched, clock=clock)
    store.keys_for(KID)
    fetched.served = json.dumps({"keys": [jwk(KEY), jwk(FORGER, "new-kid")]}).encode()
    assert store.keys_for("new-kid")[0].kid == "new-kid"
    assert len(fetched.asked) == 2


def test_the_cache_honours_max_age() -> None:
    fetched, clock = Getter(cache_control="public, max-age=19741, must-revalidate, no-transform"), Clock()
    store = JwksStore("https://keys.example/certs", get=fetched, clock=clock)
    store.keys_for(KID)
    clock.now += 19_740
    store.keys_for(KID)
    assert len(fetched.asked) == 1
    clock.now += 2
    store.keys_for(KID)
    assert len(fetched.asked) == 2
    assert jwks.max_age(None) == jwks.DEFAULT_MAX_AGE
    assert jwks.max_age("max-age=5") == jwks.MIN_MAX_AGE
    assert jwks.max_age("max-age=99999999") == jwks.MAX_MAX_AGE
    assert jwks.max_age("no-store, max-age=20000") == jwks.MIN_MAX_AGE


def test_a_failed_fetch_is_503_not_retried_at_once_and_keys_had_are_kept() -> None:
    fetched, clock = Getter(served=OSError("timed out")), Clock()  # type: ignore[arg-type]
    store = JwksStore("https://keys.example/certs", get=fetched, clock=clock)
    with pytest.raises(Unavailable):
        store.keys_for(KID)
    with pytest.raises(Unavailable):
        store.keys_for(KID)
    assert len(fetched.asked) == 1  # no fetch per request while the host fails
    clock.now += jwks.RETRY_AFTER_SECONDS
    fetched.served = JWKS
    assert store.keys_for(KID)[0].kid == KID
    clock.now += 20_001  # expired; the next fetch fails: the keys had stay in use
    fetched.served = certificates.Refused("answered 500")  # type: ignore[assignment]
    assert store.keys_for(KID)[0].kid == KID
    assert len(fetched.asked) == 3


def test_keys_too_weak_or_of_another_kind_are_never_used() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - too weak
    served = {"keys": [jwk(weak, "weak"), {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
                       {**jwk(KEY, "enc"), "use": "enc"}, {**jwk(KEY, "hs"), "alg": "HS256"}]}  # fmt: skip
    assert jwks.parse_jwks(json.dumps(served)) == []


class FakeConnection:
    made: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, host: str, timeout: float, context: Any) -> None:
        FakeConnection.made.append({"host": host, "timeout": timeout, "verifies": context.verify_mode})

    def request(self, method: str, path: str, headers: dict[str, str]) -> None:
        FakeConnection.made[-1].update(method=method, path=path, accept=headers["Accept"])

    def getresponse(self) -> Any:
        return type(
            "Response",
            (),
            {"status": 200, "read": lambda self, n: JWKS[:n], "headers": {"Cache-Control": "max-age=100"}},
        )()

    def close(self) -> None:
        pass


def test_the_fetch_is_the_bounded_https_get_of_googles_fixed_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certificates.http.client, "HTTPSConnection", FakeConnection)
    FakeConnection.made = []
    assert jwks.https_jwks(google_pubsub.JWKS_URL) == (JWKS, {"cache-control": "max-age=100"})
    made = FakeConnection.made[0]
    assert (made["host"], made["path"], made["accept"]) == (
        "www.googleapis.com",
        "/oauth2/v3/certs",
        "application/json",
    )
    assert made["timeout"] <= 1.5
    assert made["verifies"] == certificates.ssl.CERT_REQUIRED


# --- pinned keys, the samples, the handler -----------------------------------------------------------------


def test_pinned_keys_as_jwk_jwks_or_pem_are_used_alone(getter: Getter) -> None:
    token = google_token(claims())
    public_pem = (
        KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    for pinned in ([json.dumps(jwk(KEY))], [JWKS.decode()], [certificate(KEY)], [public_pem]):
        assert check(token, {**SECRET, "public_keys": pinned}) == "oidc-rs256"
    with pytest.raises(Unauthorized):
        check(token, {**SECRET, "public_keys": [json.dumps(jwk(FORGER))]})
    with pytest.raises(Unauthorized):  # a pinned JWK of another kid is not tried
        check(token, {**SECRET, "public_keys": [json.dumps(jwk(KEY, "other"))]})
    assert getter.asked == []


@pytest.mark.parametrize("name", sample_names("google-pubsub"))
def test_the_samples_verify_with_the_demo_secret_and_no_fetch(getter: Getter, name: str) -> None:
    from hookbridge.samples import fresh_event

    provider = providers.load("google-pubsub")
    secret = SubscriptionSecret.model_validate(demo_secret("google-pubsub"))
    event = fresh_event(load_event("google-pubsub", name), provider, secret, now=NOW)
    request = webhook_request("google-pubsub", event["headers"], event["body"].encode())
    assert provider.verify(request, secret, NOW) == "oidc-rs256"
    assert getter.asked == []


def test_the_type_is_the_eventtype_or_type_attribute_else_message() -> None:
    headers = {"Authorization": "Bearer " + our_token()}
    found = answer(
        "google-pubsub", PINNED, headers, body("1", eventType="OBJECT_FINALIZE", type="x"), now=NOW
    )
    assert [(e.event_type, e.event_id) for e in found.stored] == [("OBJECT_FINALIZE", "1")]
    found = answer("google-pubsub", PINNED, headers, body("2", type="order.created"), now=NOW)
    assert [e.event_type for e in found.stored] == ["order.created"]
    found = answer("google-pubsub", PINNED, headers, body("3"), now=NOW)
    assert [(e.event_type, e.occurred_at) for e in found.stored] == [("message", "2021-02-26T19:13:55.749Z")]


def test_a_captured_request_replayed_or_its_body_swapped_is_a_duplicate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The token signs no part of the body: what identifies a message is its messageId. A captured request
    replayed, or re-sent with another body under the same messageId, meets the first one's dedupe key."""
    store = MemoryStore()
    monkeypatch.setattr(senders, "MemoryStore", lambda: store)
    headers = {"Authorization": "Bearer " + our_token()}
    first = answer("google-pubsub", PINNED, headers, body(), now=NOW)
    replay = answer("google-pubsub", PINNED, headers, body(), now=NOW + 600)
    swapped = json.loads(body())
    swapped["message"]["data"] = base64.b64encode(b"transfer everything").decode()
    rewrapped = answer("google-pubsub", PINNED, headers, json.dumps(swapped).encode(), now=NOW + 900)
    assert (first.status, replay.status, rewrapped.status) == (200, 200, 200)
    assert len({e.dedupe_key for e in store.events}) == 1
    assert len(store.items) == 1  # published once


def test_a_new_message_under_a_captured_token_is_accepted_only_within_its_hour() -> None:
    """The documented limit: a captured token is a bearer credential until it expires."""
    headers = {"Authorization": "Bearer " + our_token()}
    inside = answer("google-pubsub", PINNED, headers, body("999"), now=NOW + 3000)
    assert inside.status == 200
    assert refused(answer("google-pubsub", PINNED, headers, body("1000"), now=NOW + 3600 + 61))


def test_the_handler_refuses_a_forged_token_with_401() -> None:
    forged = {"Authorization": "Bearer " + google_token(claims(), FORGER)}
    assert refused(answer("google-pubsub", PINNED, forged, body(), now=NOW))
    other = {"Authorization": "Bearer " + google_token(claims(email="attacker@x.iam.gserviceaccount.com"))}
    assert refused(answer("google-pubsub", PINNED, other, body(), now=NOW))
