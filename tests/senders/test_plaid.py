"""Plaid webhooks, against Plaid's published verification algorithm and its own client library.

The Python sample of https://plaid.com/docs/api/webhooks/webhook-verification/ (read the JWT header
unverified, refuse any alg but ES256, get the key by kid from /webhook_verification_key/get and cache it,
refuse a key whose expired_at is set, decode with algorithms=['ES256'], refuse an iat more than 5 minutes
old, compare the body's hex SHA-256 with request_body_sha256 with hmac.compare_digest), run here with
PyJWT 2 (ES256 over `cryptography`) in place of the sample's python-jose: it accepts the tokens our signer
makes, and tokens PyJWT signs as Plaid does (keys made here as P-256 JWKs in the shape Plaid's key endpoint
answers with) verify here. plaid-python 46's models of the key request and answer read what we post and
write what we parse.

The key source, as the brief asks of a fetched key: nothing leaves the environment's fixed Plaid host, the
warm path makes no fetch, an unknown kid costs at most the instance's budget (then 503, no fetch), a kid
Plaid refused is not asked for again, pinned keys mean no fetch at all, an expired key is refused, and the
API secret is never logged. No socket is opened (the fetcher is injected; the socket guard is on)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pydantic import ValidationError

from hookbridge import providers
from hookbridge.aws.secrets import SecretStore
from hookbridge.errors import Unauthorized, Unavailable
from hookbridge.ingest.handler import build_ingest_handler
from hookbridge.providers import plaid
from hookbridge.providers.plaid import KeyStore, Refused
from hookbridge.samples import fresh_event
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import LambdaContext, demo_secret, load_event, sample_names
from tests.support.fakes import FixedSecrets, MemoryStore
from tests.support.senders import answer, describe, refused, url_for, verify, webhook_request
from tests.support.settings import ingest_settings

CLIENT_ID = "5f8b1c2d3e4f5a6b7c8d9e0f"
API_SECRET = "plaid-api-secret-do-not-log-0123456789"
KID = "bfbd5111-8e33-4643-8ced-b2e642a72f3c"
KEY = ec.generate_private_key(ec.SECP256R1())
FORGER = ec.generate_private_key(ec.SECP256R1())
CREDENTIALS = {"client_id": CLIENT_ID, "api_key": API_SECRET, "environment": "sandbox"}
BODY = json.dumps(
    {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": "SYNC_UPDATES_AVAILABLE",
        "item_id": "wz666MBjYWTp2PDzzggYhM6oWWmBb",
        "initial_update_complete": True,
        "historical_update_complete": False,
        "environment": "sandbox",
    },
    indent=2,
).encode()


def plaid_jwk(
    key: ec.EllipticCurvePrivateKey = KEY, kid: str = KID, expired_at: Any = None
) -> dict[str, Any]:
    """The public key as Plaid's /webhook_verification_key/get answers with it (its "key")."""
    found = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    return {
        **found,
        "alg": "ES256",
        "use": "sig",
        "kid": kid,
        "created_at": 1560466143,
        "expired_at": expired_at,
    }


def plaid_token(
    body: bytes,
    *,
    key: ec.EllipticCurvePrivateKey = KEY,
    kid: str = KID,
    at: float | None = None,
    alg: str = "ES256",
    **claims: Any,
) -> str:
    """A Plaid-Verification token as Plaid makes one, with PyJWT."""
    payload = {
        "iat": int(time.time() if at is None else at),
        "request_body_sha256": hashlib.sha256(body).hexdigest(),
    }
    payload.update(claims)
    return pyjwt.encode(
        {k: v for k, v in payload.items() if v is not None}, key, algorithm=alg, headers={"kid": kid}
    )


def headers(token: str) -> dict[str, str]:
    return {"Plaid-Verification": token, "Content-Type": "application/json"}


class FakePlaid:
    """Plaid's key endpoint: the keys it knows by kid; 400 for any other. Records each request."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = {k["kid"]: k for k in keys}
        self.asked: list[tuple[str, str, str, str]] = []

    def __call__(self, host: str, client_id: str, api_secret: str, kid: str) -> Mapping[str, Any]:
        self.asked.append((host, client_id, api_secret, kid))
        if kid not in self.keys:
            raise Refused("400 INVALID_WEBHOOK_VERIFICATION_KEY_ID")
        return self.keys[kid]


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> FakePlaid:
    fake = FakePlaid(plaid_jwk())
    monkeypatch.setattr(plaid, "STORE", KeyStore(fetch=fake))
    return fake


# --- Plaid's own algorithm, reproduced from its docs' Python sample (python-jose there; PyJWT here) ------


def plaid_sample_verify(
    body: bytes, request_headers: Mapping[str, str], fetch: FakePlaid, cache: dict[str, Any]
) -> bool:
    signed_jwt = request_headers["Plaid-Verification"]
    current_key_id = pyjwt.get_unverified_header(signed_jwt)["kid"]
    # Plaid's sample checks the algorithm first: only ES256.
    if pyjwt.get_unverified_header(signed_jwt)["alg"] != "ES256":
        return False
    if current_key_id not in cache:
        try:
            cache[current_key_id] = fetch("sandbox.plaid.com", CLIENT_ID, API_SECRET, current_key_id)
        except Refused:
            return False
    key = cache[current_key_id]
    if key["expired_at"] is not None:
        return False
    try:
        claims = pyjwt.decode(signed_jwt, pyjwt.PyJWK(dict(key)).key, algorithms=["ES256"])
    except pyjwt.PyJWTError:
        return False
    if claims["iat"] < time.time() - 5 * 60:
        return False
    body_hash = hashlib.sha256(body).hexdigest()
    return hmac.compare_digest(body_hash, claims["request_body_sha256"])


def test_plaids_algorithm_accepts_what_our_signer_makes() -> None:
    """Our signer (samples, `hookbridge send`) makes what Plaid's verifier accepts, and only for its body."""
    secret_layout = plaid.example_secret("plaid-proof")
    secret = SubscriptionSecret.model_validate(secret_layout)
    token = (
        providers.load("plaid")
        .sign(secret, BODY, int(time.time()), url_for("plaid"), {})
        .headers["Plaid-Verification"]
    )
    jwk = json.loads(secret_layout["public_keys"][0])
    fake = FakePlaid(jwk)
    assert pyjwt.get_unverified_header(token) == {"alg": "ES256", "kid": jwk["kid"], "typ": "JWT"}
    assert plaid_sample_verify(BODY, headers(token), fake, {}) is True
    assert plaid_sample_verify(BODY + b" ", headers(token), fake, {}) is False
    assert plaid_sample_verify(BODY, headers(token), FakePlaid(plaid_jwk(kid=jwk["kid"])), {}) is False


def test_plaids_algorithm_and_ours_agree_on_tokens_plaid_makes(endpoint: FakePlaid) -> None:
    now = time.time()
    cases = {
        "genuine": (BODY, plaid_token(BODY)),
        "body changed": (BODY.replace(b"false", b"true"), plaid_token(BODY)),
        "re-timed (iat 6 min old)": (BODY, plaid_token(BODY, at=now - 360)),
        "another key": (BODY, plaid_token(BODY, key=FORGER)),
    }
    for name, (body, token) in cases.items():
        theirs = plaid_sample_verify(body, headers(token), endpoint, {})
        try:
            ours = bool(verify("plaid", CREDENTIALS, webhook_request("plaid", headers(token), body), now))
        except Unauthorized:
            ours = False
        assert ours is theirs is (name == "genuine"), name


def test_a_genuine_webhook_is_stored_once_and_described(endpoint: FakePlaid) -> None:
    found = answer("plaid", CREDENTIALS, headers(plaid_token(BODY)), BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("plaid", webhook_request("plaid", headers(plaid_token(BODY)), BODY))
    assert (described.event_type, described.recognized, described.event_id, described.subject) == (
        "TRANSACTIONS.SYNC_UPDATES_AVAILABLE",
        True,
        None,
        "wz666MBjYWTp2PDzzggYhM6oWWmBb",
    )
    assert described.extra == {"environment": "sandbox"}
    # The key was asked for once, of the sandbox host only, with the subscription's credentials.
    assert endpoint.asked == [("sandbox.plaid.com", CLIENT_ID, API_SECRET, KID)] * 1


def test_the_warm_path_makes_no_fetch_and_production_asks_production(endpoint: FakePlaid) -> None:
    for _ in range(5):
        assert verify("plaid", CREDENTIALS, webhook_request("plaid", headers(plaid_token(BODY)), BODY))
    assert len(endpoint.asked) == 1
    production = {**CREDENTIALS, "environment": "production"}
    assert verify("plaid", production, webhook_request("plaid", headers(plaid_token(BODY)), BODY))
    assert [a[0] for a in endpoint.asked] == ["sandbox.plaid.com", "production.plaid.com"]


def test_iat_is_accepted_within_five_minutes_and_refused_beyond(endpoint: FakePlaid) -> None:
    now = time.time()
    for skew, accepted in ((-299, True), (299, True), (-301, False), (301, False)):
        token = plaid_token(BODY, at=now + skew)
        assert (answer("plaid", CREDENTIALS, headers(token), BODY, now=now).status == 200) is accepted, skew


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    part = lambda v: pyjwt.utils.base64url_encode(json.dumps(v).encode()).decode()  # noqa: E731
    return f"{part(header)}.{part(claims)}.{signature}"


@pytest.mark.parametrize(
    "variant",
    [
        "body changed",
        "re-timed",
        "forger's key, Plaid's kid",
        "alg none",
        "alg HS256 keyed with the public JWK",
        "alg ES384",
        "alg swapped in the header",
        "no header",
        "no kid",
        "kid not a kid",
        "no request_body_sha256",
        "no iat",
        "crit header",
        "two parts",
        "DER signature",
    ],
)
def test_forged_and_tampered_requests_are_refused_with_401(endpoint: FakePlaid, variant: str) -> None:
    body, token = BODY, plaid_token(BODY)
    now = int(time.time())
    claims = {"iat": now, "request_body_sha256": hashlib.sha256(BODY).hexdigest()}
    if variant == "body changed":
        body = BODY.replace(b"SYNC_UPDATES_AVAILABLE", b"DEFAULT_UPDATE")
    elif variant == "re-timed":
        token = plaid_token(BODY, at=now - 301)
    elif variant == "forger's key, Plaid's kid":
        token = plaid_token(BODY, key=FORGER)
    elif variant == "alg none":
        token = unsigned({"alg": "none", "kid": KID}, claims)
    elif variant == "alg HS256 keyed with the public JWK":  # algorithm confusion
        public = json.dumps(plaid_jwk()).encode()
        head = unsigned({"alg": "HS256", "kid": KID, "typ": "JWT"}, claims)[:-1]
        token = (
            head + "." + pyjwt.utils.base64url_encode(hmac.digest(public, head.encode(), "sha256")).decode()
        )
    elif variant == "alg ES384":
        token = plaid_token(BODY, key=ec.generate_private_key(ec.SECP384R1()), alg="ES384")
    elif variant == "alg swapped in the header":  # a genuine signature under a header that says ES512
        _, rest = token.split(".", 1)
        token = unsigned({"alg": "ES512", "kid": KID, "typ": "JWT"}, {})[:-1].split(".")[0] + "." + rest
    elif variant == "no header":
        token = ""
    elif variant == "no kid":
        token = pyjwt.encode(claims, KEY, algorithm="ES256")
    elif variant == "kid not a kid":
        token = plaid_token(BODY, kid="../../etc/passwd")
    elif variant == "no request_body_sha256":
        token = plaid_token(BODY, request_body_sha256=None)
    elif variant == "no iat":
        token = plaid_token(BODY, iat=None)
    elif variant == "crit header":
        token = pyjwt.encode(claims, KEY, algorithm="ES256", headers={"kid": KID, "crit": ["exp"]})
    elif variant == "two parts":
        token = token.rsplit(".", 1)[0]
    else:  # the signature as DER, not JWS's r||s
        from cryptography.hazmat.primitives import hashes

        head = token.rsplit(".", 1)[0]
        der = KEY.sign(head.encode(), ec.ECDSA(hashes.SHA256()))
        token = head + "." + pyjwt.utils.base64url_encode(der).decode()
    assert refused(answer("plaid", CREDENTIALS, headers(token) if token else {}, body))
    # None of these cost more than the one fetch of Plaid's genuine key (the forger's key has Plaid's kid).
    assert all(a[3] == KID for a in endpoint.asked)


def test_a_forged_kid_costs_at_most_the_budget_then_503_without_a_fetch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unknown kid may be a key Plaid has just rotated to: it is asked for, within FETCH_BUDGET a minute
    per instance. Beyond it, 503 (Plaid retries a genuine one) and no fetch; a kid Plaid refused is
    refused again without asking for REFUSED_FOR_SECONDS."""
    fake = FakePlaid(plaid_jwk())
    clock = [1000.0]
    monkeypatch.setattr(plaid, "STORE", KeyStore(fetch=fake, clock=lambda: clock[0]))
    statuses = []
    for i in range(plaid.FETCH_BUDGET + 20):
        token = plaid_token(BODY, key=FORGER, kid=f"forged-{i}")
        statuses.append(answer("plaid", CREDENTIALS, headers(token), BODY).status)
    assert len(fake.asked) == plaid.FETCH_BUDGET
    assert statuses == [401] * plaid.FETCH_BUDGET + [503] * 20
    # A genuine webhook with a kid already cached is unaffected by the flood.
    clock[0] += 61
    assert answer("plaid", CREDENTIALS, headers(plaid_token(BODY)), BODY).status == 200
    assert (
        answer("plaid", CREDENTIALS, headers(plaid_token(BODY, key=FORGER, kid="forged-0")), BODY).status
        == 401
    )
    assert len(fake.asked) == plaid.FETCH_BUDGET + 1  # forged-0 was not asked for again


def test_a_failing_endpoint_is_503_and_a_bad_answer_401() -> None:
    def down(host: str, client_id: str, api_secret: str, kid: str) -> Mapping[str, Any]:
        raise TimeoutError("timed out")

    store = KeyStore(fetch=down)
    with pytest.raises(Unavailable):
        store.get("sandbox.plaid.com", CLIENT_ID, API_SECRET, KID)
    wrong = KeyStore(fetch=FakePlaid(plaid_jwk(kid="another-kid"), plaid_jwk(kid=KID) | {"crv": "P-384"}))
    for kid in ("another-kid", KID):  # Plaid answered with another kid, or a key not P-256
        with pytest.raises(Unauthorized):
            wrong.get("sandbox.plaid.com", CLIENT_ID, API_SECRET, kid if kid == KID else "a-kid")


def test_keys_are_fetched_only_from_the_environments_plaid_host() -> None:
    """The host is the secret's environment's, nothing else; the fetcher itself refuses any other host."""
    assert plaid.HOSTS == {"production": "production.plaid.com", "sandbox": "sandbox.plaid.com"}
    with pytest.raises(Refused):
        plaid.https_fetch("attacker.example", CLIENT_ID, API_SECRET, KID)
    with pytest.raises(ValidationError, match="environment"):  # a secret naming another one is invalid
        SubscriptionSecret.model_validate({**CREDENTIALS, "environment": "development"})


def test_an_expired_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    for expired_at in (int(now) - 10, "2020-01-01T00:00:00Z"):
        fake = FakePlaid(plaid_jwk(expired_at=expired_at))
        monkeypatch.setattr(plaid, "STORE", KeyStore(fetch=fake))
        assert refused(answer("plaid", CREDENTIALS, headers(plaid_token(BODY)), BODY))
        assert plaid_sample_verify(BODY, headers(plaid_token(BODY)), fake, {}) is False
    pinned = {"public_keys": [json.dumps(plaid_jwk(expired_at=int(now) - 10))]}
    assert refused(answer("plaid", pinned, headers(plaid_token(BODY)), BODY))


def test_a_cached_key_is_asked_for_again_after_its_ttl_and_its_expiry_learned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakePlaid(plaid_jwk())
    clock = [0.0]
    monkeypatch.setattr(plaid, "STORE", KeyStore(fetch=fake, clock=lambda: clock[0]))
    assert answer("plaid", CREDENTIALS, headers(plaid_token(BODY)), BODY).status == 200
    fake.keys[KID] = plaid_jwk(expired_at=int(time.time()) - 1)  # Plaid rotated it out
    clock[0] += plaid.KEY_TTL_SECONDS + 1
    assert refused(answer("plaid", CREDENTIALS, headers(plaid_token(BODY)), BODY))
    assert len(fake.asked) == 2


def test_pinned_keys_mean_no_fetch_ever(endpoint: FakePlaid) -> None:
    rotated = ec.generate_private_key(ec.SECP256R1())
    pinned = {
        "public_keys": [json.dumps(plaid_jwk(rotated, "new-kid")), json.dumps(plaid_jwk())],
        **CREDENTIALS,
    }
    assert verify("plaid", pinned, webhook_request("plaid", headers(plaid_token(BODY)), BODY)) == "jwt-es256"
    new = plaid_token(BODY, key=rotated, kid="new-kid")
    assert verify("plaid", pinned, webhook_request("plaid", headers(new), BODY)) == "jwt-es256"
    assert refused(answer("plaid", pinned, headers(plaid_token(BODY, kid="unknown-kid")), BODY))
    assert endpoint.asked == []


def test_a_secret_without_credentials_or_keys_verifies_nothing(endpoint: FakePlaid) -> None:
    for layout in (
        {},
        {"client_id": CLIENT_ID, "environment": "sandbox"},
        {"client_id": CLIENT_ID, "api_key": API_SECRET},
    ):
        assert refused(answer("plaid", layout, headers(plaid_token(BODY)), BODY)), layout
    assert endpoint.asked == []


# --- replay and retries ----------------------------------------------------------------------------------


class Ingest:
    """One ingest function's instance over one table, its wall clock set by the test."""

    def __init__(self, secret: Mapping[str, Any]) -> None:
        self.store = MemoryStore()
        self.now = time.time()
        self.handler = build_ingest_handler(
            providers.load("plaid"),
            ingest_settings("plaid"),
            SecretStore(FixedSecrets(dict(secret)), "hookbridge", 300, 30),
            self.store,
            wall_clock=lambda: self.now,
        )

    def post(self, token: str, body: bytes = BODY) -> tuple[int, str]:
        event = copy.deepcopy(load_event("plaid", "TRANSACTIONS.SYNC_UPDATES_AVAILABLE"))
        event["body"] = body.decode()
        event["headers"]["plaid-verification"] = token
        event["requestContext"]["timeEpoch"] = int(self.now * 1000)
        response = self.handler(event, LambdaContext())
        return response["statusCode"], json.loads(response["body"]).get("status", "")


def test_a_captured_request_replayed_is_one_event(endpoint: FakePlaid) -> None:
    ingest = Ingest(CREDENTIALS)
    start = ingest.now
    token = plaid_token(BODY, at=start)
    assert ingest.post(token) == (200, "accepted")
    for later in (1, 120, 299):  # while its iat is within 5 minutes: the same bytes are a duplicate
        ingest.now = start + later
        assert ingest.post(token) == (200, "duplicate")
    ingest.now = start + 400  # then its iat refuses it, whatever the dedupe window
    assert ingest.post(token)[0] == 401
    assert len({e.key for e in ingest.store.events}) == 1  # duplicates are offered, never stored anew


def test_a_retry_resigned_by_plaid_is_one_event() -> None:
    """Plaid retries a delivery it saw fail, the same body under a new token (iat anew): identified by the
    body, it is a duplicate. The window itself (900 s, the definition's) is the table's: MemoryStore keeps
    a key for ever, the stack's table expires it (tests/senders/test_zencargo.py shows the window)."""
    assert providers.definition("plaid").dedupe_window_seconds == 900
    ingest = Ingest(plaid.example_secret("retries"))
    signer = providers.load("plaid")
    secret = SubscriptionSecret.model_validate(plaid.example_secret("retries"))
    first = signer.sign(secret, BODY, int(ingest.now)).headers["Plaid-Verification"]
    assert ingest.post(first) == (200, "accepted")
    for delay in (30, 120, 480):  # Plaid's first retries: 30 s, then 4 times each delay before
        ingest.now += delay
        retry = signer.sign(secret, BODY, int(ingest.now)).headers["Plaid-Verification"]
        assert retry != first
        assert ingest.post(retry) == (200, "duplicate")
    assert len({e.key for e in ingest.store.events}) == 1  # duplicates are offered, never stored anew


def test_the_api_secret_and_the_token_are_never_logged(
    endpoint: FakePlaid, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = plaid_token(BODY, key=FORGER)
    assert refused(answer("plaid", CREDENTIALS, headers(forged), BODY))
    good = plaid_token(BODY)
    assert answer("plaid", CREDENTIALS, headers(good), BODY).status == 200
    out = capsys.readouterr()
    logged = out.out + out.err
    assert "token signature mismatch" in logged
    for value in (API_SECRET, forged, good, forged.split(".")[2], good.split(".")[2]):
        assert value not in logged
    assert API_SECRET not in repr(SubscriptionSecret.model_validate(CREDENTIALS))


@pytest.mark.parametrize("name", sample_names("plaid"))
def test_each_sample_is_accepted_with_the_demo_secret_and_nothing_fetched(
    endpoint: FakePlaid, name: str
) -> None:
    event = fresh_event(
        load_event("plaid", name),
        providers.load("plaid"),
        SubscriptionSecret.model_validate(demo_secret("plaid")),
    )
    body = event["body"].encode()
    found = answer(
        "plaid", demo_secret("plaid"), {"Plaid-Verification": event["headers"]["plaid-verification"]}, body
    )
    assert (found.status, len(found.stored)) == (200, 1)
    assert found.stored[0].event_type in providers.definition("plaid").event_types
    assert endpoint.asked == []


# --- the key request and answer, in plaid-python's own models -------------------------------------------


class FakeConnection:
    """http.client.HTTPSConnection to Plaid, as far as https_fetch uses it: records what is sent, answers
    with the status and body given."""

    made: list[FakeConnection] = []  # noqa: RUF012
    status = 200
    answer = b""

    def __init__(self, host: str, timeout: float, context: Any) -> None:
        self.host, self.timeout, self.context = host, timeout, context
        self.sent: tuple[str, str, bytes, Mapping[str, str]] | None = None
        FakeConnection.made.append(self)

    def request(self, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> None:
        self.sent = (method, path, body, headers)

    def getresponse(self) -> Any:
        status, answer = self.status, self.answer

        class Response:
            def read(self, size: int) -> bytes:
                return answer[:size]

        response = Response()
        response.status = status  # type: ignore[attr-defined]
        return response

    def close(self) -> None:
        pass


def test_the_key_request_and_answer_are_plaids_own_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """plaid-python 46's WebhookVerificationKeyGetRequest reads what https_fetch posts, and what its
    WebhookVerificationKeyGetResponse (a JWKPublicKey, expired_at an int or null) serializes to is the key
    we verify with."""
    from plaid.api_client import ApiClient  # type: ignore[import-untyped]
    from plaid.model.jwk_public_key import JWKPublicKey  # type: ignore[import-untyped]
    from plaid.model.webhook_verification_key_get_request import (  # type: ignore[import-untyped]
        WebhookVerificationKeyGetRequest,
    )
    from plaid.model.webhook_verification_key_get_response import (  # type: ignore[import-untyped]
        WebhookVerificationKeyGetResponse,
    )

    shown = plaid_jwk()
    response = WebhookVerificationKeyGetResponse(key=JWKPublicKey(**shown), request_id="45QSn")
    monkeypatch.setattr(FakeConnection, "made", [])
    answer = json.dumps(ApiClient().sanitize_for_serialization(response)).encode()
    monkeypatch.setattr(FakeConnection, "answer", answer)
    monkeypatch.setattr(plaid.http.client, "HTTPSConnection", FakeConnection)
    key = plaid.parse_jwk(plaid.https_fetch("production.plaid.com", CLIENT_ID, API_SECRET, KID))
    [connection] = FakeConnection.made
    assert (connection.host, connection.timeout) == ("production.plaid.com", plaid.FETCH_TIMEOUT_SECONDS)
    assert connection.sent is not None
    method, path, body, sent_headers = connection.sent
    assert (method, path, sent_headers["Content-Type"]) == (
        "POST",
        "/webhook_verification_key/get",
        "application/json",
    )
    request = WebhookVerificationKeyGetRequest(**json.loads(body))
    assert (request.client_id, request.secret, request.key_id) == (CLIENT_ID, API_SECRET, KID)
    assert (key.kid, key.expired_at) == (KID, None)
    assert verify(
        "plaid",
        CREDENTIALS | {"public_keys": [json.dumps(shown)]},
        webhook_request("plaid", headers(plaid_token(BODY)), BODY),
    )
    # Plaid's 400 (an unknown key_id) is a refusal; any other answer is Plaid unavailable.
    for status, raised in ((400, Refused), (401, Unavailable), (500, Unavailable)):
        monkeypatch.setattr(FakeConnection, "status", status)
        with pytest.raises(raised):
            plaid.https_fetch("sandbox.plaid.com", CLIENT_ID, API_SECRET, KID)
