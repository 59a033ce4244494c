"""The consumer models read what the publisher really puts on the bus, and the schemas never drift."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser import envelopes, parse
from hookbridge_cli.samples import is_stored
from pydantic import ValidationError

from hookbridge import providers
from hookbridge.model import StoredEvent, WebhookRequest
from hookbridge.publishing.publisher import build_envelope, build_envelopes
from hookbridge.schemas import DATA_MODELS, detail_model, event_model
from hookbridge.schemas import jsonschema as generated
from tests.support.functions import entry_points
from tests.support.stored import stored_event
from tests.support.template import (
    ROOT,
    SCHEMA_TEMPLATE,
    Deployment,
    deployment,
    every_sender_deployed,
)

SCHEMAS = ROOT / "schemas"


def samples() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "events").glob("*/**/*.json")):
        provider = path.relative_to(ROOT / "events").parts[0]
        if provider in DATA_MODELS and path.name != "demo-secret.json":
            found.append((provider, str(path.relative_to(ROOT / "events" / provider))))
    return found


def published(provider: str, name: str) -> list[dict[str, Any]]:
    """The EventBridge events a consumer receives of a sample, as the real definition describes it and
    the real publisher builds them (a form's fields, one per element of a batch; none of a handshake)."""
    event = json.loads((ROOT / "events" / provider / name).read_text())
    if event["requestContext"]["http"]["method"] != "POST":
        return []
    sender = providers.load(provider)
    request = WebhookRequest(
        provider,
        "prod",
        event["headers"],
        event.get("queryStringParameters") or {},
        event.get("pathParameters") or {},
        event["body"].encode(),
        event["requestContext"]["timeEpoch"],
    )
    payload, form = sender.parse(request)
    if not is_stored(sender, event):  # a handshake, answered and never published
        return []
    description = sender.describe(request, payload)
    stored = replace(
        stored_sample(provider, event["body"], description.event_type),
        event_id=description.event_id,
        is_json=form is None,
        form=form,
        elements=description.elements,
    )
    return [bus_event(e.entry) for e in build_envelopes("1", stored, prefix="hookbridge", bus="b", table="t")]


def on_the_bus(provider: str, body: str, event_type: str) -> dict[str, Any]:
    """The EventBridge event a consumer receives, built by the real publisher from a stored webhook."""
    stored = stored_sample(provider, body, event_type)
    entry = build_envelope("1", stored, prefix="hookbridge", bus="bus", table="events").entry
    return bus_event(entry)


def stored_sample(provider: str, body: str, event_type: str) -> StoredEvent:
    return stored_event(
        key=f"{provider}#prod#x",
        id="rec-1",
        provider=provider,
        event_type=event_type,
        payload=body.encode(),
        payload_sha256="f" * 64,
        by_day="d",
        event_id="evt-1",
    )


def bus_event(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": "123456789012",
        "time": "2026-03-10T14:45:01Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": json.loads(entry["Detail"]),
    }


def test_every_provider_has_a_model() -> None:
    assert set(DATA_MODELS) == set(providers.names())


@pytest.mark.parametrize(("provider", "name"), samples())
def test_models_parse_every_sample_as_published(provider: str, name: str) -> None:
    for event in published(provider, name):
        typed = parse(event=event, model=event_model(provider))
        assert typed.detail.metadata.provider == provider
        assert typed.detail.metadata.subscription == "prod"
        assert typed.detail.data.model_dump(by_alias=True, exclude_unset=True) == event["detail"]["data"]
        # The same through Powertools' EventBridge envelope: only the detail, typed.
        detail = parse(event=event, model=detail_model(provider), envelope=envelopes.EventBridgeEnvelope)
        assert detail.data == typed.detail.data


def test_typed_fields_of_a_zippex_and_a_zencargo_event() -> None:
    zippex = json.loads((ROOT / "events/zippex/delivery.delivered.json").read_text())["body"]
    typed = parse(event=on_the_bus("zippex", zippex, "delivery.delivered"), model=event_model("zippex"))
    assert (typed.detail_type, typed.detail.data.id, typed.detail.data.type) == (
        "delivery.delivered",
        "evt_q1w2e3r4",
        "delivery.delivered",
    )
    zencargo = json.loads((ROOT / "events/zencargo/SHIPMENT_STAGE_CHANGED.json").read_text())["body"]
    typed = parse(
        event=on_the_bus("zencargo", zencargo, "SHIPMENT_STAGE_CHANGED"), model=event_model("zencargo")
    )
    assert typed.detail.data.data.topic == "SHIPMENT_STAGE_CHANGED"
    assert typed.detail.data.data.targetId == "ZTEST-8"


def test_a_payload_by_reference_has_no_data_and_says_where() -> None:
    event = on_the_bus("zippex", '{"id": "e", "type": "t"}', "t")
    event["detail"]["data"] = None
    event["detail"]["metadata"]["payload_ref"] = {"store": "s3", "bucket": "b", "key": "k"}
    typed = parse(event=event, model=event_model("zippex"))
    assert typed.detail.data is None
    assert typed.detail.metadata.payload_ref.bucket == "b"


def test_a_documented_field_of_the_wrong_type_is_rejected() -> None:
    event = on_the_bus("stripe", '{"id": "evt_1", "type": "charge.refunded", "data": "not an object"}', "x")
    with pytest.raises(ValidationError):
        event_model("stripe").model_validate(event)


def test_committed_schema_files_match_the_models() -> None:
    expected = generated.render()
    committed = {
        str(path.relative_to(SCHEMAS)): path.read_text(encoding="utf-8") for path in SCHEMAS.rglob("*.json")
    }
    assert committed.keys() == expected.keys(), "run: python -m hookbridge.schemas.jsonschema"
    for name, content in expected.items():
        assert committed[name] == content, f"{name} drifted; run: python -m hookbridge.schemas.jsonschema"


def test_the_schema_stacks_match_the_definitions() -> None:
    """schemas/template.yaml (the registry, and a stack per kind with its condition) and schemas/<kind>.yaml
    (each kind's schemas) are what the generator writes."""
    run = "run: python -m hookbridge.schemas.jsonschema"
    expected = generated.stack_templates()
    committed = {path.name: path.read_text(encoding="utf-8") for path in SCHEMAS.glob("*.yaml")}
    assert committed.keys() == expected.keys(), run
    for name, content in expected.items():
        assert committed[name] == content, f"schemas/{name} drifted; {run}"
    assert SCHEMA_TEMPLATE.read_text(encoding="utf-8") == expected[generated.STACK]


def _schema_stacks(chosen: tuple[str, ...] | None = None) -> dict[str, Deployment]:
    """Each kind's schemas stack created for these senders (None: every sender), by its logical id."""
    registry = (every_sender_deployed() if chosen is None else deployment(chosen)).nested("Schemas")
    return {name: registry.nested(name) for name in registry.of_type("AWS::CloudFormation::Stack")}


def test_the_schema_stacks_have_one_schema_per_source_and_detail_type_with_the_committed_content() -> None:
    contents = {}
    names = []
    for stack in _schema_stacks().values():
        for body in stack.of_type("AWS::EventSchemas::Schema").values():
            props = body["Properties"]
            assert props["Type"] == "JSONSchemaDraft4"
            assert props["RegistryName"] == {"Ref": "Prefix"}  # the registry stack's (its name is the Prefix)
            names.append(stack.value(props["SchemaName"]))
            content = json.loads(props["Content"]["Fn::Sub"].replace("${Prefix}", "hookbridge"))
            key = (
                content["properties"]["source"]["enum"][0],
                content["properties"]["detail-type"]["enum"][0],
            )
            assert key not in contents, f"{key} is in two stacks"
            contents[key] = content
    expected = {
        (f"hookbridge.{p}", t): json.loads((SCHEMAS / generated.file_name(p, t)).read_text())
        for p in providers.names()
        for t in providers.definition(p).event_types
    }
    assert contents == expected
    # One registry for every stack: no two schemas may share a name in it.
    assert len(names) == len(set(names)) == len(expected)


def test_each_kind_has_its_stack_and_each_sender_is_in_its_kinds() -> None:
    found = _schema_stacks()
    assert set(found) == {generated.stack_id(kind) for kind in generated.kinds()}
    for kind, senders in generated.kinds().items():
        stack = found[generated.stack_id(kind)]
        sources = {
            json.loads(body["Properties"]["Content"]["Fn::Sub"])["properties"]["source"]["enum"][0]
            for body in stack.of_type("AWS::EventSchemas::Schema").values()
        }
        assert sources == {f"${{Prefix}}.{p}" for p in senders}
        assert all(providers.definition(p).kind == kind for p in senders)


@pytest.mark.parametrize(
    "chosen", [("stripe", "github"), ("zinc",), ("standard-webhooks", "zippex", "zonos"), ("slack", "zoom")]
)
def test_the_schema_stacks_deploy_the_schemas_of_the_senders_in_providers_only(
    chosen: tuple[str, ...],
) -> None:
    stacks = _schema_stacks(chosen)
    # A kind's stack is created only when a sender of that kind is chosen: a stack of no resources is refused.
    assert set(stacks) == {generated.stack_id(providers.definition(p).kind) for p in chosen}
    deployed = set()
    for stack in stacks.values():
        schemas = stack.of_type("AWS::EventSchemas::Schema")
        assert schemas, "a nested stack with no resources: CloudFormation refuses it"
        deployed |= {
            json.loads(body["Properties"]["Content"]["Fn::Sub"])["properties"]["source"]["enum"][0]
            for body in schemas.values()
        }
    assert deployed == {f"${{Prefix}}.{p}" for p in chosen}
    assert set(deployment(chosen).nested("Schemas").of_type("AWS::EventSchemas::Registry")) == {
        "SchemaRegistry"
    }


def test_the_schemas_are_made_after_their_registry_and_none_without_it() -> None:
    registry = every_sender_deployed().nested("Schemas")
    for name, body in registry.of_type("AWS::CloudFormation::Stack").items():
        assert body["DependsOn"] == "SchemaRegistry", name
    without = deployment(
        every_sender_deployed().parameters["Providers"], parameters={"EventSchemas": "false"}
    )
    assert "Schemas" not in without.resources


def test_a_kind_of_more_than_ten_senders_is_one_condition() -> None:
    """Fn::Or takes two to ten conditions: a kind's condition groups more by ten (communications has 11)."""
    lines = generated._any_of([f"Receives{n}" for n in range(23)], "")
    assert lines[0] == "- !Or\n"
    assert [line.strip() for line in lines].count("- !Or") == 4  # of ten, ten and three
    assert sum(1 for line in lines if "!Condition Receives" in line) == 23


def test_no_function_imports_the_consumer_models() -> None:
    """The models are for consumers: loading them in a function would only slow its cold start. Every
    function's entry point is loaded in one fresh interpreter, one after another (an interpreter each cost
    half a minute of the suite): the first that brings in a model is named, and none may."""
    code = (
        "import sys, types\n"
        "for name, source in zip(sys.argv[1::2], sys.argv[2::2]):\n"
        "    exec(source, types.ModuleType('index').__dict__)\n"
        "    if any(m.startswith('hookbridge.schemas') for m in sys.modules):\n"
        "        print(name)\n"
        "        break\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "shared")}
    functions = [part for name in sorted(entry_points()) for part in (name, entry_points()[name].read_text())]
    out = subprocess.run(  # noqa: S603 - our own interpreter and entry points
        [sys.executable, "-c", code, *functions], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def readme_rules() -> dict[str, dict[str, Any]]:
    """The rules docs/consuming.md gives, one per sender."""
    page = (ROOT / "docs" / "consuming.md").read_text(encoding="utf-8")
    section = page.split("**Rules**, one per provider", 1)[1].split("\n\n", 2)[1]
    rules = {}
    for row in section.splitlines()[2:]:
        provider, pattern = (cell.strip().strip("`") for cell in row.strip("|").split("|"))
        rules[provider] = json.loads(pattern)
    return rules


def test_the_manual_has_a_rule_per_provider_that_matches_one_of_its_samples() -> None:
    from moto.events.models import EventPattern  # the pattern matcher moto's bus uses

    rules = readme_rules()
    assert set(rules) == set(providers.names())
    for provider, pattern in rules.items():
        matcher = EventPattern.load(json.dumps(pattern))
        matched = []
        events = [e for _, name in samples() if _ == provider for e in published(provider, name)]
        for event in events:
            event["detail"]["metadata"]["subscription"] = "shop-eu"
            if matcher.matches_event(event):
                matched.append(event)
        assert matched, f"docs/consuming.md's {provider} rule matches none of its samples"
        assert len(matched) < len(events), f"docs/consuming.md's {provider} rule should select, not match all"
