"""What CloudFormation deploys from template.yaml for a choice of senders: the expansion of the Providers
loop (held to cfn-lint's own transform), then the SAM translator's output (the resources that exist)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cfnlint.decode import decode
from cfnlint.template import Template
from cfnlint.template.transforms._language_extensions import language_extension
from hookbridge_cli.template import TemplateError, parameter_values, resolve_mappings

from hookbridge import providers
from hookbridge.schemas import jsonschema
from tests.support.footprint import (
    PROJECTED_SENDERS,
    RESOURCES_QUOTA,
    SPLIT,
    TEMPLATE_BYTES_QUOTA,
    footprints,
    passed_at,
    report,
)
from tests.support.sam import translate
from tests.support.template import TEMPLATE, deployment, every_sender, ingest_function, template


def test_the_senders_mapping_the_loops_the_definitions_and_the_allowed_values_name_the_same_senders() -> None:
    """A sender is data: its definition, then one row and one id in each list of the template, all checked
    here (the loops list ids, not !Ref Providers, for SAM CLI: see the ingest loop's comment)."""
    rows = template()["Mappings"]["Senders"]
    names = [row["Name"] for row in rows.values()]
    assert sorted(names) == providers.names() == template()["Parameters"]["Providers"]["AllowedValues"]
    ids = [ingest_function(name).removesuffix("Ingest") for name in providers.names()]
    assert sorted(rows) == ids
    assert len(set(ids)) == len(ids)
    for loops in (template()["Conditions"], template()["Resources"]):
        [collection] = [value[1] for key, value in loops.items() if key.startswith("Fn::ForEach::")]
        assert collection == ids
    for sender_id, row in rows.items():
        name = row["Name"]
        assert ingest_function(name) == f"{sender_id}Ingest"
        segments = "".join(f"/{{{s}}}" for s in providers.load(name).path_values)
        assert row["Route"] == f"/webhooks/{name}/{{subscription}}{segments}", name


def test_providers_refuses_a_sender_without_a_definition_as_cloudformation_does() -> None:
    with pytest.raises(TemplateError, match="acme not allowed"):
        parameter_values(template(), {"Providers": "stripe,acme"})


def names_in(document: Any) -> set[str]:
    text = json.dumps(document)
    return {name for name in providers.names() if f"/{name}/" in text or f"{name}Ingest" in text}


def test_stripe_and_github_deploy_exactly_their_functions_routes_roles_logs_and_schemas() -> None:
    chosen = deployment(["stripe", "github"])
    translated = translate(chosen)["Resources"]
    functions = {name for name, body in translated.items() if body["Type"] == "AWS::Lambda::Function"}
    assert functions == {"stripeIngest", "githubIngest", "PublisherFunction", "HealthFunction"}
    roles = {name for name, body in translated.items() if body["Type"] == "AWS::IAM::Role"}
    assert roles == {"stripeIngestRole", "githubIngestRole", "PublisherFunctionRole", "HealthFunctionRole"}
    logs = {name for name, body in translated.items() if body["Type"] == "AWS::Logs::LogGroup"}
    assert logs == {
        "stripeIngestLogs",
        "githubIngestLogs",
        "PublisherLogs",
        "HealthLogs",
        "HttpApiAccessLogs",
    }
    routes = set(translated["HttpApi"]["Properties"]["Body"]["paths"])
    assert routes == {"/webhooks/stripe/{subscription}", "/webhooks/github/{subscription}"}
    # Nothing of any other sender: no function, role, policy, log group, route, dashboard line or schema.
    assert names_in(translated) == {"stripe", "github"}
    # The registry's stack, and in it the stacks of their two kinds only: no other kind's, no other schema.
    schemas = chosen.nested("Schemas")
    assert set(schemas.resources) == {"SchemaRegistry", "SchemasPayments", "SchemasDeveloperTools"}
    sources = {
        json.loads(body["Properties"]["Content"]["Fn::Sub"])["properties"]["source"]["enum"][0]
        for kind in ("SchemasPayments", "SchemasDeveloperTools")
        for body in schemas.nested(kind).resources.values()
        if body["Type"] == "AWS::EventSchemas::Schema"
    }
    assert sources == {"${Prefix}.stripe", "${Prefix}.github"}


@pytest.mark.parametrize(
    "chosen", [("zinc",), ("zippex", "zonos", "standard-webhooks"), tuple(every_sender())]
)
def test_any_choice_of_senders_deploys_those_and_no_other(chosen: tuple[str, ...]) -> None:
    translated = translate(deployment(chosen))["Resources"]
    assert names_in(translated) == set(chosen)
    ingest = {name for name, body in translated.items() if name.endswith("Ingest")}
    assert ingest == {ingest_function(name) for name in chosen}


def test_event_schemas_can_be_left_out() -> None:
    """The way to upgrade a stack that had its schemas elsewhere (in the main template, or every sender's in
    the nested stack before the kinds' stacks): one deploy without them, no nested stack."""
    without = translate(deployment(parameters={"EventSchemas": "false"}))["Resources"]
    assert not [name for name, body in without.items() if body["Type"] == "AWS::CloudFormation::Stack"]
    assert translate(deployment())["Resources"]["Schemas"]["Type"] == "AWS::CloudFormation::Stack"
    # The default senders (zippex, zencargo, zinc, zonos): the registry, the logistics and commerce stacks.
    nested = set(deployment().nested("Schemas").resources)
    assert nested == {"SchemaRegistry", "SchemasCommerce", "SchemasLogistics"}


def test_every_sender_deployed_stays_within_cloudformation_quotas() -> None:
    """Each stack with every sender selected, and how far it is from each quota (tests/support/footprint.py,
    measured from the definitions: `python -m tests.support.footprint` prints the figures)."""
    found = footprints()
    assert {f.stack for f in found} == {
        "template.yaml",
        "schemas/template.yaml",
        *(f"schemas/{jsonschema.kind_stack(kind)}" for kind in jsonschema.kinds()),
    }
    for stack in found:
        message = f"{stack.stack} has passed a quota: {SPLIT}\n{report()}"
        assert stack.bytes < TEMPLATE_BYTES_QUOTA, message
        assert stack.resources < RESOURCES_QUOTA, message


def test_at_fifty_seven_senders_no_stack_would_pass_a_quota() -> None:
    """Where the issues aim (fifty-odd senders: issue 32's fourteen more), projected at each sender's measured
    cost, and for each kind's schemas stack as if every new sender were of its kind (the worst case: a sender
    brings ~9 event types, ~2.4 kB of schema each). A change that moves any stack past a quota at that size
    fails here, with the figures and the way to split."""
    passed = passed_at(PROJECTED_SENDERS)
    assert passed == [], f"{passed}: {SPLIT}\n{report()}"
    for stack in footprints():
        assert stack.senders_left() > PROJECTED_SENDERS - len(every_sender()), report()


def test_a_new_layer_moves_every_function_alias_to_a_new_version() -> None:
    """All the code is in the layer. SAM publishes a new version behind `live` only when what it hashes
    changes: by default the function's own code, environment and memory, so a new layer alone used to leave
    the API calling the previous version for good."""
    chosen = deployment(["stripe", "zinc"])
    before = translate(chosen, layer="s3://artifacts/one.zip")["Resources"]
    after = translate(chosen, layer="s3://artifacts/two.zip")["Resources"]
    for function in ("stripeIngest", "zincIngest"):
        old = before[f"{function}Aliaslive"]["Properties"]["FunctionVersion"]
        new = after[f"{function}Aliaslive"]["Properties"]["FunctionVersion"]
        assert old != new, f"{function}: a new layer leaves its alias on the old version"


def test_the_loop_expands_as_cfn_lint_expands_it() -> None:
    """Two implementations of AWS::LanguageExtensions, ours and that of cfn-lint (AWS's linter), agree on
    template.yaml with its default Providers (cfn-lint expands for the defaults only). cfn-lint leaves some
    Fn::FindInMap for CloudFormation to resolve; both are compared with every mapping resolved."""
    source, problems = decode(str(TEMPLATE))
    assert not problems
    problems, theirs = language_extension(Template(str(TEMPLATE), source, ["eu-west-1"]))
    assert not problems
    defaults = deployment()
    theirs = resolve_mappings(json.loads(json.dumps(theirs)), defaults.parameters)
    # cfn-lint (1.x) leaves ${Sender} in a plain string as written; CloudFormation and SAM CLI replace it in
    # every string of the fragment, a resource's Condition too (tests/template/test_sam_cli.py).
    for logical_id, body in theirs["Resources"].items():
        if body.get("Condition") == "Receives${Sender}":
            body["Condition"] = "Receives" + re.sub(r"Ingest(Logs)?$", "", logical_id)
    for section in ("Resources", "Outputs"):  # (cfn-lint rewrites Conditions into its own normal form)
        assert json.loads(json.dumps(defaults.expanded[section])) == theirs[section], section


@pytest.mark.parametrize("units", [None, "0", "12000"])
def test_the_events_table_and_its_index_are_prewarmed_exactly_when_asked(units: str | None) -> None:
    """PrewarmWriteUnits sets CloudFormation's WarmThroughput on the table and on its index, both to the
    units asked for; left at 0 (its default), neither has one and DynamoDB starts them as it does any new
    on-demand table."""
    chosen = deployment(parameters={"PrewarmWriteUnits": units} if units is not None else None)
    table = translate(chosen)["Resources"]["EventsTable"]["Properties"]
    [index] = table["GlobalSecondaryIndexes"]
    warm = [chosen.value(part.get("WarmThroughput")) for part in (table, index)]
    if units in (None, "0"):
        assert warm == [None, None]
    else:
        assert warm == [{"WriteUnitsPerSecond": units}] * 2
    assert template()["Parameters"]["PrewarmWriteUnits"]["Default"] == 0
