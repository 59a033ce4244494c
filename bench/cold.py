"""Cold start: a fresh interpreter until a function's handler is ready to serve, against `import boto3`
alone, both measured here in the same run (median of several)."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from hookbridge_cli.template import deployment, every_sender, ingest_function

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7

BOTO3 = "import boto3"
# Everything an ingest function needs that is not our code: the libraries it imports and the two AWS
# clients any function of this design builds before its first request (Secrets Manager, DynamoDB).
LIBRARIES_IMPORTED = """
import boto3
from pydantic import BaseModel
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.parameters import SecretsProvider
session = boto3.session.Session()
session.client("secretsmanager"), session.client("dynamodb")
"""
# pydantic loads its schema machinery (~40 ms here) only when the first model class is defined, so a
# floor that imports pydantic without a model leaves out what using it at all costs. The floor defines one
# model of one field; the import-only figure stays in the table beside it.
DEPENDENCIES = (
    LIBRARIES_IMPORTED
    + """
class OneField(BaseModel):
    x: int
"""
)
# Loads the entry point (the function's app.py, as template.yaml's CodeUri and Handler name it) as Lambda
# does and makes the first invocation build everything (settings, AWS clients, the app); the request is
# refused for its size, so nothing goes to AWS.
FUNCTION = """
import types
app = types.ModuleType("app")
exec(compile({code!r}, "app.py", "exec"), app.__dict__)
class C:
    function_name = "f"; memory_limit_in_mb = 512; invoked_function_arn = "arn"; aws_request_id = "r"
    def get_remaining_time_in_millis(self): return 30_000
{call}
"""


def entry_point(logical_id: str, call: str) -> str:
    code_uri = deployment(every_sender()).resource(logical_id)["Properties"]["CodeUri"]
    code = (ROOT / code_uri / "app.py").read_text(encoding="utf-8")
    return FUNCTION.format(code=code, call=call)


INGEST_CALL = """app.handler({"version": "2.0", "rawPath": "/webhooks/zippex/demo", "routeKey": "POST x",
 "requestContext": {"http": {"method": "POST", "path": "/webhooks/zippex/demo"}, "stage": "$default",
  "timeEpoch": 0},
 "headers": {}, "body": "x" * 5000000, "isBase64Encoded": False}, C())"""
PUBLISHER_CALL = 'app.handler({"Records": []}, C())'
ENV = {
    "EVENTS_TABLE": "events",
    "SUBSCRIPTIONS_TABLE": "subscriptions",
    "PAYLOAD_BUCKET": "payloads",
    "EVENT_BUS": "bus",
    "PROVIDER": "zippex",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "POWERTOOLS_METRICS_NAMESPACE": "hookbridge",
    "LOG_LEVEL": "ERROR",
}


def _time(code: str, provider: str = "zippex") -> float:
    start = time.perf_counter()
    command = [sys.executable, "-c", code]  # our own interpreter and code
    env = {**os.environ, **ENV, "PROVIDER": provider}
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - start


def measure() -> dict[str, float]:
    """Median seconds for `import boto3`, for the libraries alone, and for each function ready to serve,
    interleaved."""
    codes = {
        "import boto3": BOTO3,
        "libraries imported, pydantic not yet used": LIBRARIES_IMPORTED,
        "libraries and AWS clients alone": DEPENDENCIES,
        "ingest": entry_point(ingest_function("zippex"), INGEST_CALL),
        "publisher": entry_point("PublisherFunction", PUBLISHER_CALL),
    }
    samples: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(RUNS):
        for name, code in codes.items():
            samples[name].append(_time(code))
    return {name: statistics.median(values) for name, values in samples.items()}


def measure_senders(names: list[str], runs: int = 5) -> dict[str, float]:
    """Median seconds until each sender's ingest function is ready to serve (its definition compiled, a
    public-key sender's library imported), interleaved, with the libraries-and-clients floor beside."""
    codes = {name: entry_point(ingest_function(name), INGEST_CALL) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in [*codes, FLOOR]}
    for _ in range(runs):
        samples[FLOOR].append(_time(DEPENDENCIES))
        for name, code in codes.items():
            samples[name].append(_time(code, name))
    return {name: statistics.median(values) for name, values in samples.items()}


FLOOR = "libraries and AWS clients alone"


def slowest_imports(top: int = 8) -> list[tuple[str, float]]:
    """Packages by the import time spent in their own modules (ms), for the ingest function."""
    code = entry_point(ingest_function("zippex"), INGEST_CALL)
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    totals: dict[str, float] = {}
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+)\s+\|\s+\d+\s+\|\s*(\S+)", line)
        if match:
            package = match.group(2).split(".")[0]
            totals[package] = totals.get(package, 0) + int(match.group(1)) / 1000
    return sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:top]
