"""The metrics the stack's dashboard and alarms chart, read from template.yaml."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.support.template import resource, resources_of_type, template

# What the dashboard's !Sub variables are, for reading it: the Prefix default names our namespace; other
# references only need to be recognisable.
_SUB = re.compile(r"\$\{(!?)([^}]*)\}")
_SEARCH = re.compile(r"SEARCH\(\s*'([^']*)'")
_SCHEMA = re.compile(r"^\s*\{([^}]*)\}")
_METRIC_NAME = re.compile(r'MetricName\s*=\s*"([^"]*)"')


@dataclass(frozen=True)
class Charted:
    """One metric a widget or alarm names: namespace, name and the dimension names it selects."""

    namespace: str
    name: str
    dimensions: frozenset[str]
    where: str


def prefix() -> str:
    default: str = template()["Parameters"]["Prefix"]["Default"]
    return default


def render_sub(text: str, values: dict[str, str]) -> str:
    """Fn::Sub as CloudFormation applies it: ${!x} is the literal ${x}; other names are looked up."""

    def one(match: re.Match[str]) -> str:
        bang, name = match.groups()
        if bang:
            return "${" + name + "}"
        return values.get(name, f"<{name}>")

    return _SUB.sub(one, text)


def dashboard_body(logical_id: str = "HookbridgeDashboard") -> dict[str, Any]:
    sub = resource(logical_id)["Properties"]["DashboardBody"]["Fn::Sub"]
    assert isinstance(sub, str), "DashboardBody is one !Sub'd JSON string"
    body: dict[str, Any] = json.loads(render_sub(sub, {"Prefix": prefix()}))
    return body


def _from_search(query: str, where: str) -> Charted:
    schema = _SCHEMA.match(query)
    assert schema, f"{where}: SEARCH without a {{namespace,dimensions}} schema: {query}"
    namespace, *dimensions = (part.strip().strip('"') for part in schema.group(1).split(","))
    names = _METRIC_NAME.findall(query)
    assert len(names) == 1, f'{where}: a SEARCH names exactly one MetricName="...": {query}'
    return Charted(namespace, names[0], frozenset(dimensions), where)


def _from_row(row: list[Any], previous: list[Any] | None, where: str) -> Iterator[Charted]:
    if row and isinstance(row[0], dict):
        expression = row[0].get("expression", "")
        for query in _SEARCH.findall(expression):
            yield _from_search(query, where)
        return
    fields = [f for f in row if not isinstance(f, dict)]
    # "." repeats the field of the row above (the console's shorthand).
    fields = [previous[i] if f == "." and previous else f for i, f in enumerate(fields)]
    namespace, name, *pairs = fields
    yield Charted(namespace, name, frozenset(pairs[0::2]), where)


def dashboard_metrics(body: dict[str, Any] | None = None) -> list[Charted]:
    body = body if body is not None else dashboard_body()
    charted: list[Charted] = []
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        where = f"widget {widget['properties'].get('title')!r}"
        previous: list[Any] | None = None
        for row in widget["properties"]["metrics"]:
            charted += _from_row(row, previous, where)
            previous = [f for f in row if not isinstance(f, dict)]
    return charted


def _namespace(value: Any) -> str:
    return prefix() if value == {"Ref": "Prefix"} else str(value)


def alarm_metrics() -> list[Charted]:
    charted = []
    for name, alarm in resources_of_type("AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        stats = [props] if "MetricName" in props else []
        stats += [q["MetricStat"]["Metric"] for q in props.get("Metrics", []) if "MetricStat" in q]
        for stat in stats:
            charted.append(
                Charted(
                    _namespace(stat["Namespace"]),
                    stat["MetricName"],
                    frozenset(d["Name"] for d in stat.get("Dimensions", [])),
                    f"alarm {name}",
                )
            )
    return charted
