"""template.yaml as data: the local stack and the tests build their resources from the deployment itself,
so neither can drift from it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml


def _find_root() -> Path:
    """The repository: the working directory or one above it holding template.yaml, else this package's."""
    for folder in (Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents):
        if (folder / "template.yaml").is_file() and (folder / "events").is_dir():
            return folder
    raise FileNotFoundError("run hookbridge inside the hookbridge repository (no template.yaml found)")


ROOT = _find_root()
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"


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
    return read(TEMPLATE)


def read(path: Path) -> dict[str, Any]:
    """A CloudFormation template (this one, or the example consumer's) as data."""
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


def resource(logical_id: str) -> dict[str, Any]:
    found: dict[str, Any] = template()["Resources"][logical_id]
    return found


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


@dataclass(frozen=True)
class HttpRoute:
    function: str
    method: str
    path: str  # as in the template: /webhooks/zinc/{subscription}/{event_type}
    environment: dict[str, str]

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, path: str) -> dict[str, str] | None:
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


def http_routes(resource_names: dict[str, str]) -> list[HttpRoute]:
    """Every HttpApi route with its function's environment (Globals included), references resolved to
    ``resource_names`` (logical id -> name) and parameter defaults."""
    params = template()["Parameters"]
    global_env = template()["Globals"]["Function"].get("Environment", {}).get("Variables", {})
    routes = []
    for logical_id, fn in resources_of_type("AWS::Serverless::Function").items():
        own_env = fn["Properties"].get("Environment", {}).get("Variables", {})
        env = {k: _resolve(v, params, resource_names) for k, v in {**global_env, **own_env}.items()}
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                routes.append(HttpRoute(logical_id, props["Method"], props["Path"], env))
    return routes


def function_env(logical_id: str, resource_names: dict[str, str]) -> dict[str, str]:
    params = template()["Parameters"]
    global_env = template()["Globals"]["Function"].get("Environment", {}).get("Variables", {})
    own_env = resource(logical_id)["Properties"].get("Environment", {}).get("Variables", {})
    return {k: _resolve(v, params, resource_names) for k, v in {**global_env, **own_env}.items()}


def _resolve(value: Any, params: dict[str, Any], names: dict[str, str]) -> str:
    if isinstance(value, dict) and "Ref" in value:
        ref = value["Ref"]
        if ref in params:
            return str(params[ref]["Default"])
        return names[ref]
    return str(value)
