"""template.yaml as data, so test resources are built from the deployment itself and cannot drift."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, ...) as {"Fn::X": value}."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def resource(logical_id: str) -> dict[str, Any]:
    return template()["Resources"][logical_id]


def resources_of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == kind}


_TABLE_ARGS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "BillingMode",
    "StreamSpecification",
)


def create_table(client: Any, logical_id: str, name: str) -> None:
    """Creates the table as the template declares it (keys, indexes, stream, TTL)."""
    props = resource(logical_id)["Properties"]
    args = {k: props[k] for k in _TABLE_ARGS if k in props}
    if "StreamSpecification" in args:
        args["StreamSpecification"] = {"StreamEnabled": True, **args["StreamSpecification"]}
    client.create_table(TableName=name, **args)
    if "TimeToLiveSpecification" in props:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])


def function_environment(provider: str) -> dict[str, str]:
    """The variables the template gives a provider's ingest function (beyond Globals), with parameter
    references resolved to their defaults."""
    params = template()["Parameters"]
    for fn in resources_of_type("AWS::Serverless::Function").values():
        variables = fn["Properties"].get("Environment", {}).get("Variables", {})
        if variables.get("PROVIDER") == provider:
            return {
                name: str(params[value["Ref"]]["Default"]) if isinstance(value, dict) else str(value)
                for name, value in variables.items()
            }
    raise KeyError(f"no ingest function for {provider} in template.yaml")
