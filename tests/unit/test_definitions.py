"""The definition format: every shipped definition loads; a mistake is refused naming the file and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from hookbridge import providers
from hookbridge.aws.secrets import SecretStore
from hookbridge.errors import Unauthorized
from hookbridge.ingest.pipeline import IngestPipeline
from hookbridge.model import WebhookRequest
from hookbridge.providers.definition import DefinitionError, Event, read_definition
from hookbridge.subscription import SubscriptionSecret
from tests.support.fakes import MemoryStore
from tests.support.settings import ingest_settings
from tests.support.stored import stored_event

GOOD = """
name = "acme"
kind = "payments"
description = "Acme webhooks"
event_types = ["thing.created"]

[auth]
schemes = [{ kind = "hmac", header = "X-Acme-Signature", encoding = "hex", prefix = "sha256=" }]

[event]
type = [{ json = "type" }]
id = [{ header = "X-Acme-Delivery" }]
"""


def write(tmp_path: Path, text: str, name: str = "acme") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", providers.names())
def test_every_shipped_definition_loads_and_builds(name: str) -> None:
    found = providers.definition(name)
    assert found.name == name
    assert providers.build(found).name == name


def test_a_good_definition_builds_a_provider(tmp_path: Path) -> None:
    provider = providers.build(read_definition(write(tmp_path, GOOD)))
    assert (provider.route, provider.id_header) == ("/webhooks/acme/<subscription>", "X-Acme-Delivery")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t.replace('name = "acme"', 'name = "other"'), "name"),
        (lambda t: t.replace('event_types = ["thing.created"]', ""), "event_types"),
        (lambda t: t.replace('encoding = "hex"', 'encoding = "base32"'), "auth.schemes.0.hmac.encoding"),
        (lambda t: t.replace('kind = "hmac"', 'kind = "magic"'), "auth.schemes.0"),
        (
            lambda t: t.replace('header = "X-Acme-Signature"', 'header = "X Acme"'),
            "auth.schemes.0.hmac.header",
        ),
        (lambda t: t.replace("prefix =", 'signed = "{header:X-Other}.{body}", prefix ='), "auth"),
        (lambda t: t.replace('prefix = "sha256="', 'signed = "{timestamp}.{body}"'), "auth.schemes.0.hmac"),
        (lambda t: t.replace('{ json = "type" }', '{ path = "kind" }'), "event"),
        (lambda t: t.replace('{ json = "type" }', '{ json = "type", header = "X-Type" }'), "event.type.0"),
        (lambda t: t + "\nsurprise = 1\n", "surprise"),
        (lambda t: t.replace("[event]", "[event"), "not valid TOML"),
    ],
)
def test_a_mistake_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, change: object, named: str
) -> None:
    path = write(tmp_path, change(GOOD))  # type: ignore[operator]
    with pytest.raises(DefinitionError) as refused:
        read_definition(path)
    message = str(refused.value)
    assert message.startswith("acme.toml: ")
    assert named in message


def test_code_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    text = (
        'name = "acme"\nkind = "any"\ndescription = "Acme webhooks"\n'
        'event_types = ["x"]\ncode = "acme_hooks"\n'
    )
    with pytest.raises(DefinitionError, match=r"acme.toml: code: no module hookbridge.providers.acme_hooks"):
        providers.build(read_definition(write(tmp_path, text)))


def test_without_code_auth_and_event_are_required(tmp_path: Path) -> None:
    text = 'name = "acme"\nkind = "any"\ndescription = "Acme webhooks"\nevent_types = ["x"]\n'
    with pytest.raises(DefinitionError, match="auth and event are required"):
        read_definition(write(tmp_path, text))


class OneSecret:
    def get(self, name: str, max_age: int | None = None, *, force_fetch: bool = False) -> str:
        return '{"signing_secrets": ["k"]}'


@pytest.mark.parametrize(
    ("environment", "window"),
    [({}, 120), ({"DEDUPE_WINDOW_SECONDS": "0"}, 120), ({"DEDUPE_WINDOW_SECONDS": "900"}, 900)],
)
def test_a_definitions_dedupe_window_applies_unless_the_stack_sets_one(
    tmp_path: Path, environment: dict[str, str], window: int
) -> None:
    text = GOOD.replace('id = [{ header = "X-Acme-Delivery" }]\n', "").replace(
        'event_types = ["thing.created"]', 'event_types = ["thing.created"]\ndedupe_window_seconds = 120'
    )
    provider = providers.build(read_definition(write(tmp_path, text)))
    secrets = SecretStore(OneSecret(), "hookbridge", 300, 30)
    settings = ingest_settings("acme", **environment)
    store = MemoryStore()
    body = b'{"type": "thing.created"}'
    credentials = provider.sign(SubscriptionSecret.model_validate({"signing_secrets": ["k"]}), body, 0)
    headers = {k.lower(): v for k, v in credentials.headers.items()}
    IngestPipeline(provider, settings, secrets, store, clock=lambda: 0).handle(
        WebhookRequest("acme", "demo", headers, {}, {}, body, 1_000_000)
    )
    [event] = store.events
    assert event.event_id is None
    assert event.dedupe_until == 1_000 + window


# The capabilities of senders that prove themselves otherwise: a mistake in each names its field.
OTHERWISE = (
    GOOD
    + """
[body]
form = true

[batch]
items = ["events[]"]

[[handshakes]]
name = "challenge"
when = [{ json = "type", equals = "url_verification" }]
answer = { status = 200, content_type = "text/plain", body = "{json:challenge}" }
"""
)


def test_a_definition_with_every_new_capability_builds(tmp_path: Path) -> None:
    provider = providers.build(read_definition(write(tmp_path, OTHERWISE)))
    assert [h.name for h in provider.handshakes] == ["challenge"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t.replace('items = ["events[]"]', "items = []"), "batch.items"),
        (lambda t: t.replace("status = 200", "status = 99"), "handshakes.0.answer.status"),
        (lambda t: t.replace('body = "{json:challenge}"', 'body = "{cookie:x}"'), "handshakes.0.answer"),
        (lambda t: t.replace('name = "challenge"', 'name = "challenge"\nmethod = "GET"'), "handshakes.0"),
        (lambda t: t.replace('equals = "url_verification"', "equals = 5"), "handshakes.0.when.0.equals"),
        # A refusal is 401 or 403: another was accepted here and then answered 401 all the same.
        (
            lambda t: t.replace('name = "challenge"', 'name = "challenge"\nrefused_status = 400'),
            "handshakes.0.refused_status",
        ),
        (
            lambda t: t.replace(
                'encoding = "hex", prefix = "sha256="',
                'encoding = "hex", key_encoding = "hex", key_prefix = "x_"',
            ),
            "auth.schemes.0.hmac",
        ),
        (
            lambda t: t.replace(
                'kind = "hmac", header = "X-Acme-Signature", encoding = "hex", prefix = "sha256="',
                'kind = "ed25519", header = "X-Sig", encoding = "hex", key_format = "pem"',
            ),
            "auth.schemes.0.ed25519.key_format",
        ),
        (
            lambda t: t.replace(
                'kind = "hmac", header = "X-Acme-Signature", encoding = "hex", prefix = "sha256="',
                'kind = "body_hmac", signature = "sig", fields = []',
            ),
            "auth.schemes.0.body_hmac.fields",
        ),
        (lambda t: t.replace("form = true", "form = true\njson_field = 5"), "body.json_field"),
        # Ed25519's raw key is written in hex or base64 (Telnyx); DER is P-256's.
        (
            lambda t: t.replace(
                'kind = "hmac", header = "X-Acme-Signature", encoding = "hex", prefix = "sha256="',
                'kind = "ed25519", header = "X-Sig", encoding = "base64", key_format = "base64_der"',
            ),
            "auth.schemes.0.ed25519",
        ),
        (
            lambda t: t.replace(
                'kind = "hmac", header = "X-Acme-Signature", encoding = "hex", prefix = "sha256="',
                'kind = "ecdsa_p256", header = "X-Sig", encoding = "base64", key_format = "base64"',
            ),
            "auth.schemes.0.ecdsa_p256",
        ),
        # Every definition says what the sender is, for the senders' index.
        (lambda t: t.replace('kind = "payments"\n', ""), "kind"),
        (lambda t: t.replace('kind = "payments"', 'kind = "banking"'), "kind"),
    ],
)
def test_a_mistake_in_a_new_capability_is_refused_naming_the_field(
    tmp_path: Path, change: object, named: str
) -> None:
    path = write(tmp_path, change(OTHERWISE))  # type: ignore[operator]
    with pytest.raises(DefinitionError) as refused:
        read_definition(path)
    message = str(refused.value)
    assert message.startswith("acme.toml: ")
    assert named in message


def test_every_kind_has_a_heading_in_the_senders_index() -> None:
    from typing import get_args

    from hookbridge.providers.definition import KINDS, Kind

    assert list(KINDS) == list(get_args(Kind))


def test_an_ed25519_key_in_base64_verifies_as_in_hex(tmp_path: Path) -> None:
    """Telnyx shows its Ed25519 public key as base64 of the raw 32 bytes, Discord as hex: one key."""
    import base64

    from ecdsa import Ed25519, SigningKey  # type: ignore[import-untyped]

    text = GOOD.replace(
        'kind = "hmac", header = "X-Acme-Signature", encoding = "hex", prefix = "sha256="',
        'kind = "ed25519", header = "X-Sig", encoding = "base64", key_format = "base64"',
    ).replace('id = [{ header = "X-Acme-Delivery" }]\n', "")
    provider = providers.build(read_definition(write(tmp_path, text)))
    seed = bytes(range(32))
    public = SigningKey.from_string(seed, curve=Ed25519).verifying_key.to_string()
    body = b'{"type": "thing.created"}'
    signed = provider.sign(SubscriptionSecret.model_validate({"private_keys": [seed.hex()]}), body, 0)
    request = WebhookRequest(
        "acme", "demo", {k.lower(): v for k, v in signed.headers.items()}, {}, {}, body, 0
    )
    shown = base64.b64encode(public).decode()
    assert (
        provider.verify(request, SubscriptionSecret.model_validate({"public_keys": [shown]}), 0) == "ed25519"
    )
    with pytest.raises(Unauthorized):  # the hex of the same key is not how this sender writes it
        provider.verify(request, SubscriptionSecret.model_validate({"public_keys": [public.hex()]}), 0)


BODY_STAMPED = GOOD.replace(
    'encoding = "hex", prefix = "sha256="',
    'encoding = "hex", prefix = "sha256=", body_timestamp = { json = "sent_at", format = "unix_ms", '
    "tolerance_seconds = 60 }",
)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        # Only a signature over the body proves a timestamp in it.
        (
            lambda t: t.replace(
                'prefix = "sha256="', 'prefix = "sha256=", signed = "{header:X-Acme-Delivery}"'
            ),
            "",
        ),
        # One timestamp: not one in the body and one in a header.
        (
            lambda t: t.replace(
                'prefix = "sha256="',
                'prefix = "sha256=", signed = "{timestamp}.{body}", timestamp = { header = "X-Acme-Time" }',
            ),
            "",
        ),
        (lambda t: t.replace("tolerance_seconds = 60", "tolerance_seconds = 0"), ".tolerance_seconds"),
        (lambda t: t.replace('json = "sent_at"', 'json = "sent at"'), ".json"),
    ],
)
def test_a_timestamp_in_the_signed_body_is_refused_where_nothing_proves_it(
    tmp_path: Path, change: object, named: str
) -> None:
    with pytest.raises(DefinitionError) as refused:
        read_definition(write(tmp_path, change(BODY_STAMPED)))  # type: ignore[operator]
    assert "auth.schemes.0.hmac" in str(refused.value)
    assert named in str(refused.value)


def test_a_timestamp_in_the_signed_body_is_checked_and_set_when_signing(tmp_path: Path) -> None:
    definition = read_definition(write(tmp_path, BODY_STAMPED))
    assert definition.replay_window_seconds == 60
    provider = providers.build(definition)
    secret = SubscriptionSecret.model_validate({"signing_secrets": ["s3cret"]})
    signed = provider.sign(secret, b'{"type": "thing.created", "sent_at": 0}', 1_773_153_901)
    assert signed.body == b'{"type":"thing.created","sent_at":1773153901000}'

    def request(body: bytes) -> WebhookRequest:
        headers = {k.lower(): v for k, v in signed.headers.items()}
        return WebhookRequest("acme", "demo", headers, {}, {}, body, 0)

    assert provider.verify(request(signed.body), secret, 1_773_153_901 + 60) == "hmac-sha256"
    for now in (1_773_153_901 + 61, 1_773_153_901 - 61):  # outside its window, though the HMAC matches
        with pytest.raises(Unauthorized):
            provider.verify(request(signed.body), secret, now)
    unstamped = b'{"type":"thing.created"}'
    with pytest.raises(Unauthorized):
        provider.verify(request(unstamped), secret, 1_773_153_901)


# A handshake the sender proves nothing of (Dropbox's GET ?challenge=, Trello's HEAD): answered from the
# request alone, never with the secret, an echo never as a type a browser runs.
UNCHECKED = (
    GOOD
    + """
[[handshakes]]
name = "challenge"
method = "GET"
check = "none"
answer = { status = 200, content_type = "text/plain", body = "{query:challenge}", headers = { "X-Content-Type-Options" = "nosniff" } }
"""  # noqa: E501 (a TOML inline table is one line)
)


def test_an_unchecked_handshake_builds_and_answers_with_its_headers(tmp_path: Path) -> None:
    provider = providers.build(read_definition(write(tmp_path, UNCHECKED)))
    [handshake] = provider.handshakes
    request = WebhookRequest("acme", "demo", {}, {"challenge": "c1"}, {}, b"", 1_000_000, method="GET")
    assert handshake.matches(request, None)
    found = handshake.answer(request, None, SubscriptionSecret.model_validate({}))
    assert (found.status, found.body, found.content_type) == (200, "c1", "text/plain")
    assert found.headers == (("X-Content-Type-Options", "nosniff"),)
    assert provider.methods == {"GET", "POST"}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        # Unproven, it would be a signing oracle for anyone (Zoom's answer is an HMAC with the secret).
        (lambda t: t.replace("{query:challenge}", "{hmac_sha256_hex:query:challenge}"), "signing secret"),
        (lambda t: t.replace('content_type = "text/plain"', 'content_type = "text/html"'), "text/plain"),
        (lambda t: t.replace('content_type = "text/plain", ', ""), "text/plain"),
        (lambda t: t.replace('method = "GET"', 'method = "POST"'), "a POST handshake"),
        (lambda t: t.replace('method = "GET"', 'method = "HEAD"'), "without a body"),
        (lambda t: t.replace('check = "none"', 'check = "auth"'), "carries no signed body"),
        (lambda t: t.replace('"X-Content-Type-Options"', '"Content-Type"'), "headers"),
        (lambda t: t.replace('"nosniff"', '"{query:challenge}"'), "headers"),
        (lambda t: t.replace('"X-Content-Type-Options"', '"X Bad"'), "headers"),
    ],
)
def test_an_unchecked_handshake_that_could_leak_or_mislead_is_refused(
    tmp_path: Path, change: object, said: str
) -> None:
    path = write(tmp_path, change(UNCHECKED))  # type: ignore[operator]
    with pytest.raises(DefinitionError) as refused:
        read_definition(path)
    assert "handshakes.0" in str(refused.value)
    assert said in str(refused.value)


def test_a_get_proven_by_a_header_token_builds_and_one_by_a_signature_is_refused(tmp_path: Path) -> None:
    """Okta's verification GET carries its header token: the auth proves it. A body signature cannot."""
    token = UNCHECKED.replace(
        'kind = "hmac", header = "X-Acme-Signature", encoding = "hex", prefix = "sha256="',
        'kind = "token", header = "Authorization"',
    ).replace('check = "none"\n', "")
    [handshake] = providers.build(read_definition(write(tmp_path, token))).handshakes
    assert (handshake.method, handshake.verified) == ("GET", True)
    with pytest.raises(DefinitionError, match=r"handshakes\.0: a GET carries no signed body"):
        read_definition(write(tmp_path, UNCHECKED.replace('check = "none"\n', "")))


# A handshake that hands the signing secret over (Asana's X-Hook-Secret, Notion's verification_token): told
# from an event by the secret being there, never answered with the signing secret.
LEARNING = (
    GOOD
    + """
[[handshakes]]
name = "hook_secret"
check = "learn"
learns = { header = "X-Hook-Secret" }
answer = { status = 200, headers = { "X-Hook-Secret" = "{header:X-Hook-Secret}" } }
"""
)


def test_a_learning_handshake_builds_reads_its_secret_and_echoes_it_in_a_header(tmp_path: Path) -> None:
    provider = providers.build(read_definition(write(tmp_path, LEARNING)))
    [handshake] = provider.learning
    assert not handshake.verified
    assert handshake.learns is not None
    request = WebhookRequest("acme", "demo", {"x-hook-secret": "s3cr3t"}, {}, {}, b"", 1_000_000)
    assert handshake.learns(request, None) == "s3cr3t"
    found = handshake.answer(request, None, SubscriptionSecret.model_validate({}))
    assert (found.status, found.body, found.headers) == (200, "", (("X-Hook-Secret", "s3cr3t"),))
    # A value that is no header's text (a line break: a second header) is neither learned nor echoed.
    split = WebhookRequest("acme", "demo", {"x-hook-secret": "a\r\nSet-Cookie: x"}, {}, {}, b"", 1_000_000)
    assert handshake.learns(split, None) is None
    with pytest.raises(Unauthorized):
        handshake.answer(split, None, SubscriptionSecret.model_validate({}))
    assert providers.build(read_definition(write(tmp_path, GOOD))).learning == ()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda t: t.replace('learns = { header = "X-Hook-Secret" }\n', ""), "learns says where"),
        (lambda t: t.replace('check = "learn"\n', ""), "learns says where"),
        (lambda t: t.replace('check = "learn"', 'check = "learn"\nmethod = "GET"'), "is a POST"),
        (lambda t: t.replace('{ header = "X-Hook-Secret" }', '{ query = "secret" }'), "header or at a JSON"),
        (
            lambda t: t.replace('"{header:X-Hook-Secret}"', '"{hmac_sha256_hex:header:X-Hook-Secret}"'),
            "signing",
        ),
    ],
)
def test_a_learning_handshake_that_could_leak_is_refused(tmp_path: Path, change: object, said: str) -> None:
    path = write(tmp_path, change(LEARNING))  # type: ignore[operator]
    with pytest.raises(DefinitionError) as refused:
        read_definition(path)
    assert "handshakes.0" in str(refused.value)
    assert said in str(refused.value)


@pytest.mark.parametrize("name", ["subscription", "provider", "event_id", "batch_index"])
def test_extra_metadata_may_not_take_the_pipelines_own_names(name: str) -> None:
    """A sender's extra metadata named like the pipeline's overwrote it on the bus (google-pubsub's first
    draft published Pub/Sub's subscription as ours)."""
    with pytest.raises(ValidationError, match="the pipeline's own metadata"):
        Event.model_validate({"type": [{"json": "type"}], "extra": {name: [{"json": "x"}]}})


def test_a_code_senders_extra_never_overwrites_the_pipelines_metadata() -> None:
    from hookbridge.publishing.publisher import build_envelope

    event = stored_event(extra={"subscription": "not-ours", "topic": "t"})
    envelope = build_envelope("1", event, prefix="hookbridge", bus="bus", table="t")
    metadata = json.loads(envelope.entry["Detail"])["metadata"]
    assert (metadata["subscription"], metadata["topic"]) == (event.subscription, "t")


GRAPH = """
name = "acme"
kind = "productivity"
description = "Acme notifications"
event_types = ["created"]

[auth]
schemes = [{ kind = "body_token", items = "value[]", json = "clientState" }]

[[handshakes]]
name = "validation"
method = "POST"
check = "none"
empty_body = true
when = [{ query = "validationToken", present = true }]
answer = { status = 200, content_type = "text/plain", body = "{query:validationToken}" }

[batch]
items = ["value[]"]

[event]
type = [{ json = "changeType" }]
"""


def test_a_value_in_every_batch_item_and_a_bodiless_post_handshake_build(tmp_path: Path) -> None:
    provider = providers.build(read_definition(write(tmp_path, GRAPH)))
    assert provider.item_proof is not None
    assert [h.empty_body for h in provider.handshakes] == [True]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda t: t.replace('json = "clientState"', 'json = "value[].clientState"'), "one value"),
        (lambda t: t.replace('items = "value[]", json', 'items = "value", json'), "walks no list"),
        (lambda t: t.replace('kind = "body_token"', 'kind = "body_token", header = "X"'), "header"),
        # An unproven POST is told from an event by its empty body, and only an unproven POST is.
        (lambda t: t.replace("empty_body = true\n", ""), "empty_body"),
        (lambda t: t.replace('check = "none"\n', ""), "empty_body"),
        (lambda t: t.replace('method = "POST"', 'method = "GET"'), "empty_body"),
        (lambda t: t.replace("when = [{ query", "# when = [{ query"), "when"),
        # Every item carrying the value is published, and only those: the batch is exactly those items.
        (lambda t: t.replace('[batch]\nitems = ["value[]"]', '[batch]\nitems = ["other[]"]'), "batch"),
        (lambda t: t.replace('[batch]\nitems = ["value[]"]', ""), "batch"),
    ],
)
def test_a_body_token_or_bodiless_handshake_mistake_is_refused(
    tmp_path: Path, change: Any, said: str
) -> None:
    with pytest.raises(DefinitionError, match=said):
        providers.build(read_definition(write(tmp_path, change(GRAPH))))
