"""JSON Schema (draft 4, what the EventBridge schema registry accepts) of each source and detail-type.

Run `python -m hookbridge.schemas.jsonschema` (from the repository root) to rewrite schemas/: the JSON files,
the registry's stack (template.yaml deploys it as `Schemas`) and one schema stack per kind of sender nested
in it; tests/schemas fail on any drift.
"""

import json
import re
from pathlib import Path
from typing import Any

from hookbridge import providers
from hookbridge.providers.definition import KINDS
from hookbridge.schemas.providers import detail_model

PREFIX = "hookbridge"


def event_schema(provider: str, detail_type: str, prefix: str = PREFIX) -> dict[str, Any]:
    detail = _lean(detail_model(provider).model_json_schema(ref_template="#/definitions/{model}"))
    # A definition's title is its key again.
    definitions = {name: _untitled(model) for name, model in detail.pop("$defs", {}).items()}
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": f"{prefix}.{provider} {detail_type}",
        "type": "object",
        "required": ["source", "detail-type", "detail"],
        "properties": {
            "source": {"type": "string", "enum": [f"{prefix}.{provider}"]},
            "detail-type": {"type": "string", "enum": [detail_type]},
            "detail": detail,
        },
        "definitions": definitions,
    }


def _untitled(model: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in model.items() if key != "title"}


def _lean(node: Any, is_property: bool = False) -> Any:
    """The schema without what says nothing (a field's title, its name capitalised; a null default; open
    objects' additionalProperties, true by default), and
    "may be null" written as draft 4 says it, a type list: with a kind's schemas inline in one stack,
    CloudFormation's 1 MB is the limit that counts."""
    if isinstance(node, list):
        return [_lean(item) for item in node]
    if not isinstance(node, dict):
        return node
    lean = {
        key: {name: _lean(value, is_property=True) for name, value in child.items()}
        if key == "properties" and isinstance(child, dict)
        else _lean(child)
        for key, child in node.items()
        if not (is_property and key == "title")
        and not (key == "default" and child is None)
        and not (key == "additionalProperties" and child is True)  # draft 4's default
    }
    options = lean.get("anyOf")
    if (
        isinstance(options, list)
        and len(options) == 2
        and options[1] == {"type": "null"}
        and set(options[0]) == {"type"}
        and isinstance(options[0]["type"], str)
    ):
        del lean["anyOf"]
        lean["type"] = [options[0]["type"], "null"]
    return lean


def file_name(provider: str, detail_type: str) -> str:
    # Shopify topics hold "/", which a path cannot.
    return f"{provider}/{detail_type.replace('/', '_')}.json"


def render() -> dict[str, str]:
    """Every schema file's path (under schemas/) and exact content."""
    files: dict[str, str] = {}
    for provider in providers.names():
        for detail_type in providers.definition(provider).event_types:
            schema = event_schema(provider, detail_type)
            files[file_name(provider, detail_type)] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return files


# ------------------------------------------------------------------------------------------ the stacks
# CloudFormation takes 1 MB of template and 500 resources per stack, and every definition's schemas are in the
# stacks whatever Providers selects (conditions only decide which are created): one stack for every sender was
# at 997,905 bytes with 43 senders. So the schemas are one stack per kind of sender (each definition's `kind`,
# the groups of docs/senders/index.md), each with its own quotas, nested in the registry's stack
# (template.yaml deploys that as `Schemas`); tests/support/footprint.py measures each, docs/deploying.md says
# what moving a schema between stacks does to an update ("Every sender in one stack").

STACK = "template.yaml"
"""The registry's stack, beside the JSON files: template.yaml deploys it as the nested `Schemas`, and it
deploys each kind's stack (KIND_STACK)."""

# CloudFormation's Fn::Or takes two to ten conditions.
_OR_MOST = 10


def kinds() -> dict[str, tuple[str, ...]]:
    """Each kind of sender that has a definition, in the senders' index order, with its senders."""
    found: dict[str, list[str]] = {}
    for provider in providers.names():
        found.setdefault(providers.definition(provider).kind, []).append(provider)
    return {kind: tuple(found[kind]) for kind in KINDS if kind in found}


def kind_stack(kind: str) -> str:
    """The file, under schemas/, of a kind's stack (developer-tools: developer-tools.yaml)."""
    return f"{kind}.yaml"


def stack_id(kind: str) -> str:
    """The logical id, in the registry's stack, of a kind's stack (developer-tools: SchemasDeveloperTools)."""
    return "Schemas" + _camel(kind)


def kind_condition(kind: str) -> str:
    """The registry's stack's condition that a kind's stack is created: Providers names one of its senders."""
    return "Receives" + _camel(kind) + "Senders"


def logical_id(provider: str, detail_type: str) -> str:
    return "Schema" + _camel(f"{provider} {detail_type}")


def condition(provider: str) -> str:
    """A schema stack's condition that a sender is deployed (standard-webhooks: ReceivesStandardWebhooks)"""
    return "Receives" + _camel(provider)


def _camel(text: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", text)
    return "".join(word[:1].upper() + word[1:].lower() for word in words)


_HEADER = [
    "# Generated by `python -m hookbridge.schemas.jsonschema`; do not edit (a test fails on drift).\n",
    'AWSTemplateFormatVersion: "2010-09-09"\n',
]
_PARAMETERS = [
    "Parameters:\n",
    "  Prefix:\n",
    "    Type: String\n",
    '    AllowedPattern: "^[a-z][a-z0-9-]{0,30}$"\n',
    "    Description: The parent stack's Prefix; the registry's name and every schema's source.\n",
    "  Providers:\n",
    "    Type: String\n",
    "    Description: The parent stack's Providers, comma-separated; only their schemas are deployed.\n",
    "\n",
]


def _in_providers(provider: str) -> str:
    """The condition that Providers names a sender: ",name," is in ",{Providers}," (splitting on it changes
    it)."""
    listed = '!Sub ",${Providers},"'
    return f'!Not [!Equals [!Join ["", !Split [",{provider},", {listed}]], {listed}]]'


def _receives(senders: tuple[str, ...]) -> list[str]:
    why = '  # A sender is in Providers when ",name," is in ",{Providers},": splitting on it changes it.\n'
    return [why] + [f"  {condition(provider)}: {_in_providers(provider)}\n" for provider in senders]


def _any_of(conditions: list[str], indent: str) -> list[str]:
    """A condition true when any of the named ones is, as a list item (Fn::Or takes two to ten: more are
    grouped by ten)."""
    if len(conditions) == 1:
        return [f"{indent}- !Condition {conditions[0]}\n"]
    if len(conditions) <= _OR_MOST:
        return [f"{indent}- !Or\n", *(f"{indent}  - !Condition {c}\n" for c in conditions)]
    if len(conditions) > _OR_MOST * _OR_MOST:
        raise ValueError(f"more than {_OR_MOST * _OR_MOST} senders of one kind: split the kind")
    lines = [f"{indent}- !Or\n"]
    for start in range(0, len(conditions), _OR_MOST):
        lines += _any_of(conditions[start : start + _OR_MOST], indent + "  ")
    return lines


def registry_template() -> str:
    """The registry, named after the parent's Prefix, and a stack per kind of sender, each created only
    when Providers names one of its senders (a nested stack of no resources is refused). The registry stays
    here whichever stack a schema is in."""
    found = kinds()
    lines = [
        *_HEADER,
        "Description: >-\n",
        "  hookbridge's event schemas: a registry named after the stack's Prefix, and a stack per\n",
        "  kind of sender (schemas/<kind>.yaml) with a schema per source and detail-type of its senders\n",
        "  in Providers.\n",
        "\n",
        "Metadata:\n",
        "  cfn-lint:  # each kind's TemplateURL is its file here: sam package uploads it, writes its URL\n",
        "    config: { ignore_checks: [W3002] }\n",
        "\n",
        *_PARAMETERS,
        "Conditions:\n",
        # (a kind of one sender has that sender's test as its own condition)
        *_receives(tuple(p for senders in found.values() if len(senders) > 1 for p in senders)),
        "  # A kind's stack when Providers names any of its senders.\n",
    ]
    for kind, senders in found.items():
        if len(senders) == 1:  # a condition is a function (Fn::Or of one is refused): the sender's own test
            lines.append(f"  {kind_condition(kind)}: {_in_providers(senders[0])}\n")
            continue
        lines += [f"  {kind_condition(kind)}: !Or\n", *_any_of([condition(p) for p in senders], "  ")[1:]]
    lines += [
        "\n",
        "Resources:\n",
        "  SchemaRegistry:\n",
        "    Type: AWS::EventSchemas::Registry\n",
        "    Properties:\n",
        "      RegistryName: !Ref Prefix\n",
        "      Description: Events hookbridge publishes on its bus, one schema per source and detail-type.\n",
    ]
    for kind, senders in found.items():
        lines += [
            f"  {stack_id(kind)}:  # {', '.join(senders)}\n",
            "    Type: AWS::CloudFormation::Stack\n",
            f"    Condition: {kind_condition(kind)}\n",
            "    DependsOn: SchemaRegistry  # its schemas are in the registry, named after Prefix\n",
            "    Properties:\n",
            f"      TemplateURL: {kind_stack(kind)}\n",
            "      Parameters:\n",
            "        Prefix: !Ref Prefix\n",
            "        Providers: !Ref Providers\n",
        ]
    lines += [
        "\n",
        "Outputs:\n",
        "  RegistryName:\n",
        "    Value: !GetAtt SchemaRegistry.RegistryName\n",
    ]
    return "".join(lines)


def kind_template(kind: str) -> str:
    """One schema per source and detail-type of a kind's senders, each created only when its sender is in
    the Providers parameter (content inline: CloudFormation takes no other form), in the registry named
    after Prefix, which the parent stack creates first."""
    senders = kinds()[kind]
    lines = [
        *_HEADER,
        "Description: >-\n",
        f"  hookbridge's event schemas of its {kind} senders ({', '.join(senders)}): one per source\n",
        "  and detail-type, in the registry named after the stack's Prefix (made by its parent,\n",
        "  schemas/template.yaml).\n",
        "\n",
        *_PARAMETERS,
        "Conditions:\n",
        *_receives(senders),
        "\n",
        "Resources:\n",
    ]
    for provider in senders:
        for detail_type in providers.definition(provider).event_types:
            lines += _schema(provider, detail_type)
    return "".join(lines)


def _schema(provider: str, detail_type: str) -> list[str]:
    # The source follows the stack's Prefix; `${` appears nowhere else in a schema.
    # Compact, in a single-quoted scalar (only ' is escaped there, as ''): the schemas are most of the
    # stack's bytes, and CloudFormation takes 1 MB of template.
    schema = event_schema(provider, detail_type, "${Prefix}")
    content = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    name = f"${{Prefix}}.{provider}@{detail_type.replace('/', '_')}"
    return [
        f"  {logical_id(provider, detail_type)}:\n",
        "    Type: AWS::EventSchemas::Schema\n",
        f"    Condition: {condition(provider)}\n",
        "    Properties:\n",
        "      RegistryName: !Ref Prefix\n",
        f"      SchemaName: !Sub {json.dumps(name)}\n",
        "      Type: JSONSchemaDraft4\n",
        "      Content: !Sub '" + content.replace("'", "''") + "'\n",
    ]


def stack_templates() -> dict[str, str]:
    """Every stack's file (under schemas/) and exact content: the registry's, then each kind's."""
    return {STACK: registry_template(), **{kind_stack(k): kind_template(k) for k in kinds()}}


def write(root: Path) -> None:
    """Rewrites schemas/: the JSON files and the stacks (a kind's stack whose kind is gone is removed)."""
    for relative, content in render().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    stacks = stack_templates()
    for stale in root.glob("*.yaml"):
        if stale.name not in stacks:
            stale.unlink()
    for name, content in stacks.items():
        (root / name).write_text(content, encoding="utf-8")


if __name__ == "__main__":
    write(Path("schemas"))
