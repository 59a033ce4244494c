"""The stand-in for a function's container (scripts/sam_local_invoke.py hands it what SAM CLI resolved):
the function's code directory, its handler and its layers' directories, the environment SAM CLI gives it,
the event on stdin. It loads the handler as Lambda's Python runtime does (the code directory, then each
layer's python/ on the path), with moto as AWS: the resources the function's environment names created
from template.yaml, and for an ingest function its sender's demo subscription (events/<sender>/), then
invokes it once and prints its answer as JSON, on the last line."""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Context:
    """The Lambda context a handler reads (the name, the request id, the time left)."""

    function_name: str = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function")
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:function"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    log_group_name: str = "/aws/lambda/function"
    log_stream_name: str = "stand-in"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def create_resources(environ: dict[str, str]) -> None:
    """The tables, bus, bucket and queue the environment names, as template.yaml defines them."""
    import boto3
    from hookbridge_cli.template import create_table

    dynamodb = boto3.client("dynamodb")
    for variable, logical_id in (
        ("EVENTS_TABLE", "EventsTable"),
        ("SUBSCRIPTIONS_TABLE", "SubscriptionsTable"),
    ):
        if variable in environ:
            create_table(dynamodb, logical_id, environ[variable])
    if environ.get("EVENT_BUS", "default") != "default":
        boto3.client("events").create_event_bus(Name=environ["EVENT_BUS"])
    if "PROVIDER" in environ:  # the demo subscription the samples in events/ are signed for
        secret = ROOT / "events" / environ["PROVIDER"] / "demo-secret.json"
        name = f"{environ.get('HOOKBRIDGE_PREFIX', 'hookbridge')}/{environ['PROVIDER']}/demo"
        boto3.client("secretsmanager").create_secret(Name=name, SecretString=secret.read_text())
    if "PAYLOAD_BUCKET" in environ:
        boto3.client("s3").create_bucket(
            Bucket=environ["PAYLOAD_BUCKET"].lower(),
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )


def main(code: str, handler: str, *layers: str) -> int:
    # moto is AWS here: dummy credentials, never the caller's.
    os.environ.update({"AWS_ACCESS_KEY_ID": "stand-in", "AWS_SECRET_ACCESS_KEY": "stand-in"})
    os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"
    os.environ.pop("AWS_PROFILE", None)
    # The layer is built for arm64 (BuildArchitecture); its one compiled dependency, pydantic-core, is taken
    # from this machine's environment at the same locked version. Everything else comes from the layer.
    import pydantic_core  # noqa: F401

    # Lambda's order: the function's package, then each layer's python/ (/opt/python).
    sys.path[:0] = [code, *(str(Path(layer) / "python") for layer in layers)]
    from moto import mock_aws

    with mock_aws():
        create_resources(dict(os.environ))
        module_name, _, function_name = handler.rpartition(".")
        module = importlib.import_module(module_name)
        if not str(Path(module.__file__ or "")).startswith(code):
            raise SystemExit(f"{module_name} was not loaded from the function's code directory {code}")
        hookbridge = sys.modules["hookbridge"].__file__ or ""
        if not any(hookbridge.startswith(layer) for layer in layers):
            raise SystemExit(f"hookbridge was loaded from {hookbridge}, not from the function's layer")
        answer: Any = getattr(module, function_name)(json.loads(sys.stdin.read()), Context())
    print(json.dumps(answer, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
