"""The dashboard and the alarms chart exactly the metrics the code emits (hookbridge/metrics.py), and every
emission in the code names one of them. tests/integration/test_metrics.py runs the real handlers and checks
what they print against the same catalogue."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest

from hookbridge import metrics
from hookbridge.metrics import DIMENSIONS, Metric, refusal
from tests.support.dashboard import (
    Charted,
    alarm_metrics,
    dashboard_body,
    dashboard_metrics,
    prefix,
)
from tests.support.template import ROOT, as_written, resource, template

PACKAGE = ROOT / "layers" / "shared" / "hookbridge"
EMITTERS = {"add_metric", "single_metric", "put_metric_data", "put_metric"}
CATALOGUE = {(m.value, DIMENSIONS[m]) for m in Metric}


def emission_sites(root: Path = PACKAGE) -> list[tuple[str, ast.Call]]:
    sites = []
    for path in sorted(root.rglob("*.py")):
        nodes = ast.walk(ast.parse(path.read_text(), str(path)))
        for node in sorted((n for n in nodes if isinstance(n, ast.Call)), key=lambda n: n.lineno):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if called in EMITTERS:
                    sites.append((f"{path.relative_to(root)}:{node.lineno}", node))
    return sites


def names_a_catalogue_metric(call: ast.Call) -> bool:
    """``Metric.MEMBER``, ``refusal(status)`` or ``Metric(value)`` (which raises for a value outside the
    catalogue): nothing else can name a metric, so a new literal, f-string or bare variable fails here."""
    keyword = next((k.value for k in call.keywords if k.arg in ("name", "MetricName")), None)
    name = keyword if keyword is not None else (call.args[0] if call.args else None)
    if isinstance(name, ast.Attribute) and isinstance(name.value, ast.Name):
        return name.value.id == "Metric" and name.attr in Metric.__members__
    if isinstance(name, ast.Call) and isinstance(name.func, ast.Name):
        return name.func.id in (refusal.__name__, Metric.__name__)
    return False


def ours(charted: list[Charted]) -> set[tuple[str, frozenset[str]]]:
    return {(c.name, c.dimensions) for c in charted if c.namespace == prefix()}


def test_every_emission_in_the_code_names_a_catalogue_metric() -> None:
    sites = emission_sites()
    assert len(sites) >= 5, sites  # the scan finds the emitters (ingest's tally, publisher, health)
    assert [where for where, call in sites if not names_a_catalogue_metric(call)] == []


def test_the_scan_catches_a_metric_named_outside_the_catalogue(tmp_path: Path) -> None:
    (tmp_path / "new.py").write_text(
        "metrics.add_metric(name='WebhookAccepted', unit='Count', value=1)\n"
        "metrics.add_metric(name=f'Webhook{status}', unit='Count', value=1)\n"
        "with single_metric(name=Metric.NOT_IN_IT, unit='Count', value=1): pass\n"
        "metrics.add_metric(name=Metric.WEBHOOK_DUPLICATE, unit='Count', value=1)\n"
    )
    verdicts = [names_a_catalogue_metric(call) for _, call in emission_sites(tmp_path)]
    assert verdicts == [False, False, False, True]


def test_every_refusal_status_has_its_own_metric() -> None:
    from hookbridge import errors

    statuses = {
        cls.status for cls in vars(errors).values() if isinstance(cls, type) and hasattr(cls, "status")
    }
    assert statuses == {401, 403, 404, 413, 500, 503}
    assert {refusal(s) for s in statuses} == {
        Metric.WEBHOOK_REJECTED,
        Metric.WEBHOOK_NOT_FOUND,
        Metric.WEBHOOK_TOO_LARGE,
        Metric.WEBHOOK_ERROR,
        Metric.WEBHOOK_UNAVAILABLE,
    }
    assert refusal(400) is Metric.WEBHOOK_REFUSED_OTHER


def test_every_catalogue_metric_has_its_dimensions() -> None:
    assert set(DIMENSIONS) == set(Metric)
    assert "HookbridgeDashboard" in (metrics.__doc__ or "")


def test_the_dashboard_and_alarms_chart_exactly_the_metrics_the_code_emits() -> None:
    """A metric no widget or alarm uses, or a widget or alarm naming one of ours the code never emits (or
    with dimensions it never carries, which a SEARCH would silently match nothing for), fails here."""
    charted = ours(dashboard_metrics() + alarm_metrics())
    assert sorted(charted - CATALOGUE) == [], "charted, never emitted"
    assert sorted(CATALOGUE - charted) == [], "emitted, charted nowhere"


def test_every_catalogue_metric_is_on_the_dashboard_itself() -> None:
    """The alarms are no substitute: the on-call person looks at the dashboard."""
    assert {name for name, _ in ours(dashboard_metrics())} == {m.value for m in Metric}


@pytest.mark.parametrize("mutation", ["drop a widget", "add a bogus widget", "emit a new metric"])
def test_the_comparison_fails_on_each_kind_of_drift(mutation: str) -> None:
    body = copy.deepcopy(dashboard_body())
    catalogue = set(CATALOGUE)
    if mutation == "drop a widget":
        body["widgets"] = [
            w
            for w in body["widgets"]
            if "WebhookDuplicate" not in str(w.get("properties", {}).get("metrics"))
        ]
    elif mutation == "add a bogus widget":
        body["widgets"].append(
            {
                "type": "metric",
                "properties": {"title": "bogus", "metrics": [[prefix(), "Bogus", "service", "x"]]},
            }
        )
    else:
        catalogue.add(("WebhookAccepted", frozenset({"service"})))
    assert ours(dashboard_metrics(body) + alarm_metrics()) != catalogue


def test_the_dashboard_charts_the_api_per_route_publisher_and_health() -> None:
    charted = {(c.namespace, c.name) for c in dashboard_metrics()}
    for name in ("Count", "4xx", "5xx", "Latency", "IntegrationLatency"):
        assert ("AWS/ApiGateway", name) in charted
    assert ("AWS/Lambda", "IteratorAge") in charted
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in charted
    per_route = [
        c for c in dashboard_metrics() if c.namespace == "AWS/ApiGateway" and "Resource" in c.dimensions
    ]
    assert {c.name for c in per_route} == {"Count", "4xx", "5xx", "Latency", "IntegrationLatency"}
    assert all(c.dimensions == {"ApiId", "Method", "Resource", "Stage"} for c in per_route)
    alarms = next(w for w in dashboard_body()["widgets"] if w["type"] == "alarm")["properties"]["alarms"]
    assert sorted(alarms) == sorted(
        f"<{name}.Arn>" for name in template()["Resources"] if name.endswith("Alarm")
    )


def test_per_route_metrics_are_a_parameter_with_its_price() -> None:
    settings = as_written("HttpApi")["Properties"]["DefaultRouteSettings"]
    assert settings["DetailedMetricsEnabled"] == {"Fn::If": ["HasRouteMetrics", True, False]}
    parameter = template()["Parameters"]["ApiRouteMetrics"]
    assert parameter["AllowedValues"] == ["true", "false"]
    assert "$" in parameter["Description"]  # what it costs
    assert template()["Conditions"]["HasRouteMetrics"] == {"Fn::Equals": [{"Ref": "ApiRouteMetrics"}, "true"]}


def test_widgets_fit_the_grid_without_overlapping() -> None:
    taken: set[tuple[int, int]] = set()
    for widget in dashboard_body()["widgets"]:
        assert widget["x"] + widget["width"] <= 24, widget
        cells = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not cells & taken, widget
        taken |= cells


def test_the_dashboard_and_an_alarm_show_write_throttles_on_the_events_table_and_its_index() -> None:
    """Issue 25: a fresh on-demand table and index take 4,000 writes/s at first; past that, webhooks are
    throttled. The DynamoDB row (y=41) charts it per table and per index, and an alarm fires on it."""
    [index] = resource("EventsTable")["Properties"]["GlobalSecondaryIndexes"]
    row = [w for w in dashboard_body()["widgets"] if w["y"] == 41]
    assert [w["height"] for w in row] == [6, 6]
    charted = set()
    for widget in row:
        previous: list[str] = []
        for line in widget["properties"]["metrics"]:
            fields = [f for f in line if not isinstance(f, dict)]
            fields = [previous[i] if f == "." else f for i, f in enumerate(fields)]
            if fields:
                namespace, name, *pairs = fields
                charted.add((namespace, name, tuple(zip(pairs[0::2], pairs[1::2], strict=True))))
                previous = fields
    table = ("TableName", "<EventsTable>")
    assert ("AWS/DynamoDB", "WriteThrottleEvents", (table,)) in charted
    assert (
        "AWS/DynamoDB",
        "WriteThrottleEvents",
        (table, ("GlobalSecondaryIndexName", index["IndexName"])),
    ) in charted
    assert ("AWS/DynamoDB", "ThrottledRequests", (table, ("Operation", "PutItem"))) in charted
    alarm = resource("EventWriteThrottleAlarm")["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/DynamoDB",
        "ThrottledRequests",
        "Sum",
    )
    assert alarm["Dimensions"] == [
        {"Name": "TableName", "Value": {"Ref": "EventsTable"}},
        {"Name": "Operation", "Value": "PutItem"},
    ]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def _access_log_line(status: str, path: str = "/webhooks/zippex/prod") -> dict[str, str]:
    """A line the HTTP API writes in the template's access-log format (JSON, every value a string)."""
    import json

    line = as_written("HttpApi")["Properties"]["AccessLogSettings"]["Format"]
    for variable, value in {
        "requestId": "JxYZ1gMmjoEEJcw=",
        "path": path,
        "status": status,
        "responseLatency": "23",
        "integrationErrorMessage": "-",
        "identity.sourceIp": "203.0.113.10",
    }.items():
        line = line.replace(f"$context.{variable}", value)
    parsed: dict[str, str] = json.loads(line)
    return parsed


def _matches(pattern: str, line: dict[str, str]) -> bool:
    """CloudWatch Logs' JSON filter syntax for what the template uses: { $.field = "value" }, exact string."""
    import re

    match = re.fullmatch(r'\{\s*\$\.(\w+)\s*=\s*"([^"*]*)"\s*\}', pattern)
    assert match, f"a pattern this test cannot read: {pattern}"
    field, value = match.groups()
    return line.get(field) == value


def test_throttled_requests_are_counted_from_the_access_log() -> None:
    """HTTP APIs publish no throttle metric: the template's metric filter counts the access log's 429 lines
    as the catalogue's ApiThrottled (namespace Prefix, no dimension), and the dashboard charts it."""
    from hookbridge.metrics import FROM_ACCESS_LOG

    [(_, metric_filter)] = [
        (name, r)
        for name, r in template()["Resources"].items()
        if isinstance(r, dict) and r["Type"] == "AWS::Logs::MetricFilter"
    ]
    props = metric_filter["Properties"]
    assert props["LogGroupName"] == {"Ref": "HttpApiAccessLogs"}
    [transformation] = props["MetricTransformations"]
    assert transformation["MetricNamespace"] == {"Ref": "Prefix"}
    dimensions = frozenset(d["Key"] for d in transformation.get("Dimensions", []))
    published = (transformation["MetricName"], dimensions)
    assert {published} == {(m.value, DIMENSIONS[m]) for m in FROM_ACCESS_LOG}
    assert "DefaultValue" not in transformation  # no data point (and no charge) until a request is throttled
    pattern = props["FilterPattern"]
    assert _matches(pattern, _access_log_line("429"))
    for status in ("200", "401", "404", "413", "500", "503", "4290"):
        assert not _matches(pattern, _access_log_line(status)), status
    # The dashboard's row under the alarms: the count, and the same log split per provider by its path.
    row = [w for w in dashboard_body()["widgets"] if w["y"] == 35]
    assert {w["type"] for w in row} == {"metric", "log"}
    assert sum(w["width"] for w in row) == 24
    assert {w["height"] for w in row} == {6}
    [log] = [w for w in row if w["type"] == "log"]
    assert "<HttpApiAccessLogs>" in log["properties"]["query"]
    assert 'status = "429"' in log["properties"]["query"]
