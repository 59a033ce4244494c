"""A definition cannot say "publish what was not signed" (issue 29): what each kind of scheme proves, and the
definitions that would publish or dedupe on something else, refused with the file and field named."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from hookbridge import providers
from hookbridge.providers.coverage import of_definition
from hookbridge.providers.definition import DefinitionError, ProviderDefinition, Source, read_definition


def definition(name: str, **changes: Any) -> ProviderDefinition:
    data = tomllib.loads((providers.DEFINITIONS / f"{name}.toml").read_text(encoding="utf-8"))
    return ProviderDefinition.model_validate({**data, **changes})


def source(**where: Any) -> Source:
    return Source.model_validate(where)


def test_what_each_shipped_sender_proves() -> None:
    github = of_definition(definition("github"))
    assert github.covers(source(json="action"))
    assert not github.covers(source(header="X-GitHub-Delivery"))
    assert not github.covers(source(header="X-GitHub-Event"))
    svix = of_definition(definition("svix"))
    assert svix.covers(source(header="svix-id"))
    mailgun = of_definition(definition("mailgun"))
    assert mailgun.covers(source(json="signature.token"))
    assert not mailgun.covers(source(json="event-data.id"))
    adyen = of_definition(definition("adyen"))
    assert adyen.covers(source(joined=["pspReference", "eventCode", "success"]), in_item=True)
    assert not adyen.covers(source(json="eventDate"), in_item=True)
    twilio = of_definition(definition("twilio"))
    assert not twilio.covers(source(json="MessageSid"))  # its form's names and values run together
    assert twilio.covers(source(query="bodySHA256"))  # in the URL as called, separators and all
    zinc = of_definition(definition("zinc"))
    assert zinc.covers(source(path="event_type"))


def test_an_adyen_batch_read_beyond_its_signed_items_is_refused() -> None:
    wider = definition("adyen", batch={"items": ["notificationItems[]"]})
    with pytest.raises(DefinitionError, match="batch: items must be exactly the signed items"):
        providers.build(wider)


def test_a_signature_of_a_few_fields_cannot_publish_the_body_as_a_batch() -> None:
    batched = definition("mailgun", batch={"items": ["items[]"]})
    with pytest.raises(DefinitionError, match="does not cover the body"):
        providers.build(batched)


def test_schemes_of_which_any_passes_must_identify_a_request_alike() -> None:
    mixed = definition(
        "twilio",
        auth={
            "require": "any",
            "schemes": [
                {"kind": "hmac", "header": "X-Twilio-Signature", "signed": "{url}{params}"},
                {"kind": "token", "header": "X-Token"},
            ],
        },
    )
    with pytest.raises(DefinitionError, match="prove the request alike"):
        providers.build(mixed)
    alike = definition(
        "zinc", auth={"require": "any", "schemes": [{"kind": "token", "query": "token"}, {"kind": "basic"}]}
    )
    assert providers.build(alike).name == "zinc"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_dedupe_window_shorter_than_the_timestamps_is_refused(tmp_path: Path) -> None:
    text = (providers.DEFINITIONS / "stripe.toml").read_text(encoding="utf-8")
    path = write(tmp_path, "stripe", "dedupe_window_seconds = 60\n" + text)
    with pytest.raises(DefinitionError, match="dedupe_window_seconds: 60 s is shorter"):
        read_definition(path)


def test_a_signed_timestamp_always_has_a_window(tmp_path: Path) -> None:
    text = (providers.DEFINITIONS / "discord.toml").read_text(encoding="utf-8")
    path = write(tmp_path, "discord", text.replace("tolerance_seconds = 3600", "tolerance_seconds = 0"))
    with pytest.raises(DefinitionError, match="tolerance_seconds"):
        read_definition(path)
