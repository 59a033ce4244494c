"""The project's template reader (hookbridge_cli.template: `hookbridge dev`, the tests, the bench)
held to SAM CLI's own expansion of AWS::LanguageExtensions (scripts/sam_expand.py, run in SAM CLI's
environment): for the default Providers and for every sender, the same resources, each of the same type,
under the same condition, with the same properties; each function with the same sender and route.

SAM CLI resolves what it can locally (parameters, Fn::If, Fn::Sub it leaves as text), which CloudFormation
resolves at deploy time: values are compared where both resolve them, the rest by their keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from hookbridge import providers
from tests.support.template import ROOT, deployment

pytestmark = pytest.mark.slow

SAM_CLI = "aws-sam-cli==1.170.0"  # as .ci/run
# uv is installed under the interpreter this project's virtual environment was made from (.ci/run).
BASE_PYTHON = Path(sys.base_prefix) / "bin" / "python3"


@cache
def sam_cli_expansion(providers_value: str) -> dict[str, Any]:
    command = [str(BASE_PYTHON), "-m", "uv", "tool", "run", "--from", SAM_CLI, "python"]
    out = subprocess.run(  # noqa: S603 - SAM CLI's interpreter on our own script
        [*command, str(ROOT / "scripts" / "sam_expand.py"), f"Providers={providers_value}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {"SAM_CLI_TELEMETRY": "0"},
        timeout=600,
    )
    expanded: dict[str, Any] = json.loads(out.stdout)
    return expanded


def routes(function: dict[str, Any], value: Callable[[Any], Any] = lambda v: v) -> list[tuple[Any, Any]]:
    events = function["Properties"].get("Events", {}).values()
    http = [e["Properties"] for e in events if e["Type"] == "HttpApi"]
    return sorted((value(e["Method"]), value(e["Path"])) for e in http)


@pytest.mark.parametrize("chosen", [("zippex", "zencargo", "zinc", "zonos"), tuple(providers.names())])
def test_our_reader_expands_the_template_as_sam_cli_does(chosen: tuple[str, ...]) -> None:
    theirs = sam_cli_expansion(",".join(chosen))["Resources"]
    ours_deployment = deployment(list(chosen))
    ours = ours_deployment.expanded["Resources"]
    assert sorted(ours) == sorted(theirs)
    for logical_id, written in ours.items():
        mine = ours_deployment.pruned(written)
        other = theirs[logical_id]
        assert mine["Type"] == other["Type"], logical_id
        assert mine.get("Condition") == other.get("Condition"), logical_id
        if ours_deployment.conditions.get(mine.get("Condition", ""), True):  # (SAM CLI thins the others)
            assert sorted(mine.get("Properties", {})) == sorted(other.get("Properties", {})), logical_id
        if mine["Type"] == "AWS::Serverless::Function":
            sender = mine["Properties"].get("Environment", {}).get("Variables", {}).get("PROVIDER")
            their_environment = other["Properties"].get("Environment", {}).get("Variables", {})
            assert ours_deployment.value(sender) == their_environment.get("PROVIDER"), logical_id
            assert routes(mine, ours_deployment.value) == routes(other), logical_id
            assert mine["Properties"].get("CodeUri") == other["Properties"].get("CodeUri"), logical_id
    # The conditions created are the same: what the deployment receives.
    created = {k for k, v in ours.items() if ours_deployment.conditions.get(v.get("Condition", ""), True)}
    assert {f"{name.replace('-', '')}Ingest" for name in chosen} <= created


def test_sam_local_invoke_runs_every_built_function(tmp_path: Path) -> None:
    """`sam build`, then every function of the built template handed to SAM CLI's own LocalLambdaRunner
    (scripts/sam_local_invoke.py) with a stand-in for Docker: each reaches the runtime with its built code
    directory and layer, loads app.handler from them, and answers its sample from events/ (an ingest
    function accepts its sender's genuine sample, re-signed for now); SAM CLI's start-api serves every
    route."""
    sam = [str(BASE_PYTHON), "-m", "uv", "tool", "run", "--from", SAM_CLI]
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {"SAM_CLI_TELEMETRY": "0"}
    build = tmp_path / "build"
    subprocess.run(  # noqa: S603 - SAM CLI on our own template
        [*sam, "sam", "build", "--build-dir", str(build), "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=900,
    )
    ran = subprocess.run(  # noqa: S603 - SAM CLI's interpreter on our own script
        [
            *sam,
            "python",
            str(ROOT / "scripts" / "sam_local_invoke.py"),
            "--python",
            sys.executable,
            "--build-dir",
            str(build),
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    report = json.loads(ran.stdout)
    every = {f"{name.replace('-', '')}Ingest" for name in providers.names()} | {
        "PublisherFunction",
        "HealthFunction",
    }
    assert set(report["invoked"]) == every
    assert all(Path(result["code"]).is_relative_to(build) for result in report["invoked"].values())
