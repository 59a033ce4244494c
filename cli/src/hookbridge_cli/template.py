"""template.yaml as data, as CloudFormation would deploy it for chosen parameter values: the local stack, the
tests and the bench build what they need from the deployment itself, so none of them can drift from it.

Written here because no well-kept library resolves a template for given parameter values: SAM CLI's expansion
lives inside the aws-sam-cli application, and cfn-lint's is private and resolves for linting (defaults only).
This covers what our templates use, with CloudFormation's documented semantics:
- AWS::LanguageExtensions: ``Fn::ForEach`` in Conditions, Resources (and resource properties) and
  Outputs, replacing ``${Id}`` and ``&{Id}`` (non-alphanumerics removed) in every string, and ``Ref: Id``;
  ``Fn::FindInMap`` with ``DefaultValue``;
- conditions (``Fn::Equals``, ``Not``, ``And``, ``Or``, ``Condition``) over ``Ref``, ``Fn::Join``,
  ``Fn::Split``, ``Fn::Select``, ``Fn::Sub`` and ``Fn::FindInMap``; ``Fn::If`` and ``AWS::NoValue``.
tests/template/test_sam_cli.py holds it to SAM CLI's own expansion; tests/template runs the SAM
translator on its output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hookbridge_cli.paths import TEMPLATE

FOREACH = "Fn::ForEach::"
NO_VALUE = {"Ref": "AWS::NoValue"}
PSEUDO = {
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "hookbridge",
}


class TemplateError(ValueError):
    """The template uses something this reader does not resolve, or a value it does not have."""


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, ...) as {"Fn::X": value}."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else ("Condition" if suffix == "Condition" else f"Fn::{suffix}")
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


def read(path: Path) -> dict[str, Any]:
    """A CloudFormation template as written (this one, the schemas' or the example consumer's)."""
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


@cache
def source() -> dict[str, Any]:
    """template.yaml as written."""
    return read(TEMPLATE)


def every_sender() -> tuple[str, ...]:
    """Every sender the Providers parameter allows (one per definition: tests/template keeps them equal)."""
    return tuple(source()["Parameters"]["Providers"]["AllowedValues"])


@dataclass(frozen=True)
class Deployment:
    """A template for one set of parameter values: what CloudFormation would create, and their settings."""

    template: dict[str, Any]  # as written
    parameters: dict[str, Any]  # every parameter's value (a list for a CommaDelimitedList)
    folder: Path = TEMPLATE.parent  # where the template is: its nested stacks' paths are relative to it
    expanded: dict[str, Any] = field(init=False)  # after AWS::LanguageExtensions
    conditions: dict[str, bool] = field(init=False)

    def __post_init__(self) -> None:
        expanded = _expand_language_extensions(self.template, self.parameters)
        object.__setattr__(self, "expanded", expanded)
        values = _Values(expanded, self.parameters, {}, {})
        object.__setattr__(self, "conditions", values.conditions())

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The resources created: those without a condition or whose condition holds, Fn::If resolved."""
        values = _Values(self.expanded, self.parameters, {}, self.conditions)
        return {
            name: values.prune(body)
            for name, body in self.expanded.get("Resources", {}).items()
            if self.conditions.get(body.get("Condition", ""), True)
        }

    def resource(self, logical_id: str) -> dict[str, Any]:
        try:
            return self.resources[logical_id]
        except KeyError as exc:
            raise TemplateError(f"no resource {logical_id} with these parameters") from exc

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def pruned(self, node: Any) -> Any:
        """A part of the template, Fn::If decided and AWS::NoValue removed, other intrinsics as written."""
        return _Values(self.expanded, self.parameters, {}, self.conditions).prune(node)

    def value(self, node: Any, names: Mapping[str, str] | None = None) -> Any:
        """A value with every intrinsic resolved; ``names`` gives Ref of a resource (logical id -> name)."""
        return _Values(self.expanded, self.parameters, names or {}, self.conditions).value(node)

    def nested(self, logical_id: str) -> Deployment:
        """The stack an AWS::Serverless::Application or AWS::CloudFormation::Stack deploys from a template on
        this machine (as `sam package` takes it), with the parameters this one passes it."""
        props = self.resource(logical_id)["Properties"]
        path = self.folder / props.get("Location", props.get("TemplateURL"))
        template = read(path)
        given = {name: self.value(value) for name, value in props.get("Parameters", {}).items()}
        return Deployment(template, parameter_values(template, given), path.parent)

    def function_environment(
        self, logical_id: str, names: Mapping[str, str] | None = None, own_only: bool = False
    ) -> dict[str, str]:
        """A function's variables as Lambda sets them (the Globals', then its own), or its own alone."""
        global_env = self.expanded.get("Globals", {}).get("Function", {}).get("Environment", {})
        own_env = self.resource(logical_id)["Properties"].get("Environment", {})
        variables = {**({} if own_only else global_env.get("Variables", {})), **own_env.get("Variables", {})}
        return {k: str(self.value(v, names)) for k, v in variables.items()}

    def http_routes(self, names: Mapping[str, str]) -> list[HttpRoute]:
        """Every HTTP API route with its function and that function's variables."""
        routes = []
        for logical_id, fn in self.of_type("AWS::Serverless::Function").items():
            for event in fn["Properties"].get("Events", {}).values():
                if event["Type"] == "HttpApi":
                    props = event["Properties"]
                    environment = self.function_environment(logical_id, names)
                    routes.append(HttpRoute(logical_id, props["Method"], props["Path"], environment))
        return routes


def ingest_function(sender: str) -> str:
    """The logical id of a sender's ingest function: its name without non-alphanumerics, then "Ingest"."""
    return re.sub(r"[^A-Za-z0-9]", "", sender) + "Ingest"


def function_environment(sender: str) -> dict[str, str]:
    """The variables the template gives a sender's ingest function beyond the Globals, other parameters at
    their defaults."""
    return deployment([sender]).function_environment(ingest_function(sender), own_only=True)


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


_TABLE_ARGS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "BillingMode",
    "StreamSpecification",
)


def create_table(client: Any, logical_id: str, name: str) -> None:
    """Creates the table as the template declares it (keys, indexes, stream, TTL)."""
    props = deployment().resource(logical_id)["Properties"]
    args = {k: props[k] for k in _TABLE_ARGS if k in props}
    if "StreamSpecification" in args:
        args["StreamSpecification"] = {"StreamEnabled": True, **args["StreamSpecification"]}
    client.create_table(TableName=name, **args)
    if "TimeToLiveSpecification" in props:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])


def parameter_values(template: Mapping[str, Any], given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every parameter's value: the given one, else its default; a CommaDelimitedList as a list of trimmed
    strings (as CloudFormation does). A value a parameter's AllowedValues or AllowedPattern refuse (for a
    list: any of its items, as CloudFormation checks them) is a TemplateError."""
    values: dict[str, Any] = {}
    for name, spec in template.get("Parameters", {}).items():
        raw = (given or {}).get(name, spec.get("Default"))
        if raw is None:
            raise TemplateError(f"parameter {name} has no value and no default")
        if spec.get("Type") == "CommaDelimitedList":
            items = [s.strip() for s in raw.split(",")] if isinstance(raw, str) else [str(s) for s in raw]
            allowed = spec.get("AllowedValues")
            wrong = [item for item in items if allowed is not None and item not in allowed]
            if wrong:
                raise TemplateError(f"{name}: {', '.join(wrong)} not allowed (allowed: {', '.join(allowed)})")
            values[name] = items
        else:
            values[name] = raw
        pattern = spec.get("AllowedPattern")
        checked = values[name] if isinstance(values[name], list) else [raw]
        unmatched = [str(v) for v in checked if pattern is not None and not re.fullmatch(pattern, str(v))]
        if unmatched:
            raise TemplateError(f"{name}: {', '.join(unmatched)} does not match {pattern}")
    return values


@cache
def _deployment(template_path: Path, given: tuple[tuple[str, Any], ...]) -> Deployment:
    template = source() if template_path == TEMPLATE else read(template_path)
    return Deployment(template, parameter_values(template, dict(given)), template_path.parent)


def deployment(
    providers: Sequence[str] | None = None,
    template: Path = TEMPLATE,
    parameters: Mapping[str, str] | None = None,
) -> Deployment:
    """template.yaml deployed with these senders in Providers (None: its default), and any other parameter
    given, the rest at their defaults."""
    given = dict(parameters or {})
    if providers is not None:
        given["Providers"] = ",".join(providers)
    return _deployment(template, tuple(sorted(given.items())))


# ---------------------------------------------------------------------------------------------- expansion
def _expand_language_extensions(template: dict[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    return resolve_mappings(expand_loops(template, parameters), parameters)


def expand_loops(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The template with every Fn::ForEach expanded (Conditions, Resources and their properties, Outputs)."""
    out = dict(template)
    for section in ("Conditions", "Resources", "Outputs"):
        if section in out:
            expanded = _expand_loops(out[section], parameters)
            if section == "Resources":
                expanded = {
                    name: {**body, "Properties": _expand_loops(body["Properties"], parameters)}
                    if isinstance(body, dict) and isinstance(body.get("Properties"), dict)
                    else body
                    for name, body in expanded.items()
                }
            out[section] = expanded
    return out


def _expand_loops(section: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in section.items():
        if not key.startswith(FOREACH):
            out[key] = value
            continue
        identifier, collection, fragment = value
        if isinstance(collection, dict):
            ref = str(collection.get("Ref"))
            if len(collection) != 1 or not isinstance(parameters.get(ref), list):
                raise TemplateError(f"{key}: a collection is a list or a Ref to a CommaDelimitedList")
            collection = parameters[ref]
        for item in collection:
            produced = _expand_loops(_substitute_keys(fragment, identifier, str(item)), parameters)
            clash = produced.keys() & out.keys()
            if clash:
                raise TemplateError(f"{key}: {', '.join(sorted(clash))} produced twice")
            out.update(produced)
    return out


def _substitute_keys(fragment: Mapping[str, Any], identifier: str, value: str) -> dict[str, Any]:
    """The fragment for one item, its output keys and values alike."""
    return {
        _substitute(key, identifier, value): _substitute(body, identifier, value)
        for key, body in fragment.items()
    }


def _substitute(node: Any, identifier: str, value: str) -> Any:
    """The loop's value where CloudFormation puts it: for ``${Id}`` and ``&{Id}`` (non-alphanumerics
    removed) in every string of the output key and value (a resource's Condition: Receives${Sender} too), and
    for Ref of the identifier. An Fn::Sub left with nothing to substitute becomes its text."""
    if isinstance(node, str):
        alphanumeric = re.sub(r"[^A-Za-z0-9]", "", value)
        return node.replace(f"${{{identifier}}}", value).replace(f"&{{{identifier}}}", alphanumeric)
    if isinstance(node, list):
        return [_substitute(item, identifier, value) for item in node]
    if isinstance(node, dict):
        if node == {"Ref": identifier}:
            return value
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            text = _substitute(node["Fn::Sub"], identifier, value)
            return text if "${" not in text else {"Fn::Sub": text}
        return {_substitute(k, identifier, value): _substitute(v, identifier, value) for k, v in node.items()}
    return node


def resolve_mappings(template: dict[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Every Fn::FindInMap whose keys are known once loops are expanded, resolved as the transform does."""
    resolved: dict[str, Any] = _resolve_maps(template, template.get("Mappings", {}), parameters)
    return resolved


def _resolve_maps(node: Any, mappings: Mapping[str, Any], parameters: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve_maps(item, mappings, parameters) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::FindInMap"}:
        args = [_resolve_maps(arg, mappings, parameters) for arg in node["Fn::FindInMap"]]
        keys = [parameters.get(a["Ref"]) if isinstance(a, dict) and "Ref" in a else a for a in args[:3]]
        if all(isinstance(k, str) for k in keys):
            return _find_in_map(mappings, keys, args[3] if len(args) > 3 else None)
        return {"Fn::FindInMap": args}
    return {k: _resolve_maps(v, mappings, parameters) for k, v in node.items()}


def _find_in_map(mappings: Mapping[str, Any], keys: Sequence[Any], options: Any) -> Any:
    try:
        return mappings[keys[0]][keys[1]][keys[2]]
    except KeyError as exc:
        if isinstance(options, dict) and "DefaultValue" in options:
            return options["DefaultValue"]
        raise TemplateError(f"Fn::FindInMap: no {'/'.join(map(str, keys))} and no DefaultValue") from exc


# ---------------------------------------------------------------------------------------------- values
class _Values:
    """Evaluates intrinsics against parameter values, resource names and condition results."""

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, Any],
        names: Mapping[str, str],
        conditions: Mapping[str, bool],
    ) -> None:
        self._template = template
        self._parameters = parameters
        self._names = names
        self._conditions = dict(conditions)

    def conditions(self) -> dict[str, bool]:
        for name in self._template.get("Conditions", {}):
            self._condition(name)
        return self._conditions

    def _condition(self, name: str) -> bool:
        if name not in self._conditions:
            try:
                expression = self._template["Conditions"][name]
            except KeyError as exc:
                raise TemplateError(f"no condition {name}") from exc
            self._conditions[name] = self._truth(expression)
        return self._conditions[name]

    def _truth(self, node: Any) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            [(function, args)] = node.items()
            if function == "Condition":
                return self._condition(args)
            if function == "Fn::Equals":
                return bool(self._text(self.value(args[0])) == self._text(self.value(args[1])))
            if function == "Fn::Not":
                return not self._truth(args[0])
            if function == "Fn::And":
                return all(self._truth(a) for a in args)
            if function == "Fn::Or":
                return any(self._truth(a) for a in args)
        raise TemplateError(f"not a condition: {node!r}")

    @staticmethod
    def _text(value: Any) -> Any:
        """As CloudFormation compares: every parameter is text ("0" equals 0, true is "true")."""
        if isinstance(value, bool):
            return str(value).lower()
        return str(value) if isinstance(value, int | float) else value

    def prune(self, node: Any) -> Any:
        """Fn::If resolved and AWS::NoValue removed; every other intrinsic left as written."""
        if isinstance(node, list):
            return [item for item in map(self.prune, node) if item != NO_VALUE]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Fn::If"}:
            condition, then, otherwise = node["Fn::If"]
            return self.prune(then if self._condition(condition) else otherwise)
        pruned = {k: self.prune(v) for k, v in node.items()}
        return {k: v for k, v in pruned.items() if v != NO_VALUE}

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not (next(iter(node)) == "Ref" or next(iter(node)).startswith("Fn::")):
            return {k: self.value(v) for k, v in node.items()}
        [(function, args)] = node.items()
        if function == "Ref":
            return self._ref(args)
        if function == "Fn::If":
            return self.value(args[1] if self._condition(args[0]) else args[2])
        if function == "Fn::Join":
            return str(args[0]).join(str(self.value(part)) for part in self.value(args[1]))
        if function == "Fn::Split":
            return str(self.value(args[1])).split(args[0])
        if function == "Fn::Select":
            return self.value(args[1])[int(self.value(args[0]))]
        if function == "Fn::Sub":
            return self._sub(args)
        if function == "Fn::FindInMap":
            keys = [self.value(arg) for arg in args[:3]]
            return self.value(_find_in_map(self._template.get("Mappings", {}), keys, (args[3:] or [None])[0]))
        raise TemplateError(f"{function} is not resolved here")

    def _ref(self, name: str) -> Any:
        if name in self._parameters:
            return self._parameters[name]
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self._names:
            return self._names[name]
        raise TemplateError(f"Ref {name}: not a parameter, and no name given for it")

    def _sub(self, args: Any) -> str:
        text, variables = (args, {}) if isinstance(args, str) else (args[0], args[1])

        def replace(found: re.Match[str]) -> str:
            name = found.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.value(variables[name]))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m hookbridge_cli.template [SENDER,...]`: the template with its loops expanded, as
    JSON, for tools that do not read AWS::LanguageExtensions (checkov, in .ci/run). Default: every sender."""
    import json
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    chosen = args[0].split(",") if args else list(every_sender())
    sys.stdout.write(json.dumps(deployment(chosen).expanded, indent=1) + "\n")


if __name__ == "__main__":
    main()
