"""`sam local invoke` for every function of the built template, through SAM CLI's own LocalLambdaRunner,
with a stand-in for Docker: run inside SAM CLI's environment after `sam build`, by
tests/template/test_sam_cli.py (the slow set):
`<uv> tool run --from aws-sam-cli==X python scripts/sam_local_invoke.py --python <project python>`.

These machines have no Docker engine. SAM CLI finds the function, resolves its handler, code directory,
layers and environment from the built template exactly as `sam local invoke <Function> -e <file>` does,
and hands them to its container runtime; the stand-in (scripts/stand_in_container.py, run by the project's
interpreter) refuses a code directory or layer that does not exist, then loads the handler as Lambda's
Python runtime would (the function's package first, then the layer's python/) and invokes it on the event,
with moto as AWS. Hand-written because SAM CLI ships no runtime without Docker. It also holds the
project's template reader to SAM CLI's expansion (the same functions, handlers, senders and routes), and
checks that `sam local start-api` (SAM CLI's ApiProvider) would serve every function's route.
SAM CLI ignores resource conditions locally, so every sender's function is served whatever Providers says.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS = ROOT / "layers" / "shared" / "hookbridge" / "providers" / "definitions"
STAND_IN = ROOT / "scripts" / "stand_in_container.py"


class StandInRuntime:
    """What LocalLambdaRunner calls where Docker would run the function's container."""

    def __init__(self, python: str) -> None:
        self.python = python
        self.results: dict[str, dict[str, Any]] = {}

    def invoke(self, function_config: Any, event: str, *args: Any, stdout: Any = None, **kwargs: Any) -> None:
        code = Path(function_config.code_abs_path)
        layers = [Path(layer.codeuri) for layer in function_config.layers]
        problems = [f"no code directory {code}" for _ in [0] if not code.is_dir()]
        problems += [f"no layer directory {layer}" for layer in layers if not layer.is_dir()]
        if problems:
            self.results[function_config.name] = {"problems": problems}
            return
        answer = subprocess.run(  # noqa: S603 - the project's interpreter on our own stand-in
            [self.python, str(STAND_IN), str(code), function_config.handler, *map(str, layers)],
            input=event,
            capture_output=True,
            text=True,
            env=function_config.env_vars.resolve(),
            check=False,
            timeout=120,
        )
        result = {"code": str(code), "handler": function_config.handler, "exit": answer.returncode}
        result["output"] = answer.stdout.strip()
        if answer.returncode:
            result["problems"] = [
                answer.stderr.strip().splitlines()[-1] if answer.stderr.strip() else "failed"
            ]
        self.results[function_config.name] = result
        if stdout is not None:
            stdout.write_str(answer.stdout)


def event_for(name: str, environment: dict[str, str], python: str) -> str:
    """The function's sample from events/: an ingest function's first sample that is no handshake (a
    handshake's is named after it: Asana's hook_secret is answered only while awaited) re-signed for now by
    the documented script (scripts/fresh_event.py), the publisher's stream event, a scheduled event for the
    health check."""
    if "PROVIDER" in environment:
        sender = environment["PROVIDER"]
        definition = tomllib.loads((DEFINITIONS / f"{sender}.toml").read_text(encoding="utf-8"))
        handshakes = {h["name"] for h in definition.get("handshakes", [])}
        sample = sorted(
            p
            for p in (ROOT / "events" / sender).rglob("*.json")
            if p.name != "demo-secret.json" and p.stem not in handshakes
        )[0]
        return subprocess.run(  # noqa: S603 - the project's interpreter on our own script
            [python, str(ROOT / "scripts" / "fresh_event.py"), str(sample)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    if name == "PublisherFunction":
        return (ROOT / "events" / "publisher" / "dynamodb-stream.json").read_text()
    return json.dumps({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})


def answer_problems(name: str, environment: dict[str, str], output: str) -> list[str]:
    """What is wrong with a function's answer: an ingest function accepts its sender's genuine sample
    (2xx: 200, or 204 where the sender asks for it, as Discord does), the publisher publishes its
    record, the health check completes."""
    try:
        answer = json.loads(output.splitlines()[-1])
    except (IndexError, ValueError):
        return [f"no answer: {output[-200:]!r}"]
    if "PROVIDER" in environment and not 200 <= int(answer.get("statusCode", 0)) < 300:
        return [f"answered {answer.get('statusCode')} to its genuine sample: {answer.get('body', '')[:200]}"]
    if name == "PublisherFunction" and answer.get("batchItemFailures") != []:
        return [f"failed to publish: {answer}"]
    return []


def differences(python: str, functions: list[Any]) -> list[str]:
    """Where SAM CLI's expansion of the template and the project's own reader (hookbridge_cli.template,
    which `hookbridge dev`, the tests and checkov's scan use) disagree on a function: which exist, their
    handler, their sender, their route."""
    ours = json.loads(
        subprocess.run(  # noqa: S603 - the project's interpreter on our own module
            [python, "-m", "hookbridge_cli.template"], capture_output=True, text=True, check=True
        ).stdout
    )
    handler = ours["Globals"]["Function"]["Handler"]
    resources = {k: v for k, v in ours["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    found = [f"{name}: only in our reader" for name in sorted(set(resources) - {f.name for f in functions})]
    for function in functions:
        mine = resources.get(function.name)
        if mine is None:
            found.append(f"{function.name}: only in SAM CLI's expansion")
            continue
        theirs_env = (function.environment or {}).get("Variables", {})
        mine_env = mine["Properties"].get("Environment", {}).get("Variables", {})
        if theirs_env.get("PROVIDER") != mine_env.get("PROVIDER"):
            found.append(
                f"{function.name}: PROVIDER {theirs_env.get('PROVIDER')} != {mine_env.get('PROVIDER')}"
            )
        if function.handler != handler:
            found.append(f"{function.name}: handler {function.handler} != {handler}")
        theirs_routes = sorted(
            (e["Properties"]["Method"], e["Properties"]["Path"])
            for e in (function.events or {}).values()
            if e["Type"] == "HttpApi"
        )
        mine_routes = sorted(
            (e["Properties"]["Method"], e["Properties"]["Path"])
            for e in mine["Properties"].get("Events", {}).values()
            if e["Type"] == "HttpApi"
        )
        if theirs_routes != mine_routes:
            found.append(f"{function.name}: routes {theirs_routes} != {mine_routes}")
    return found


def route_differences(stacks: list[Any], functions: list[Any]) -> list[str]:
    """What `sam local start-api` would serve (SAM CLI's ApiProvider over the same stacks) against the
    functions' HttpApi events: every route, to its function, on its path, taking POST."""
    served = {(route.function_name, route.path): set(route.methods) for route in ApiProvider(stacks).routes}
    found = []
    for function in functions:
        for event in (function.events or {}).values():
            if event["Type"] != "HttpApi":
                continue
            path = event["Properties"]["Path"]
            methods = served.get((function.name, path))
            if methods is None:
                found.append(f"{function.name}: start-api would not serve {path}")
            elif "POST" not in methods:
                found.append(f"{function.name}: start-api serves {path} without POST ({sorted(methods)})")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--python", required=True, help="the project's interpreter (moto and the CLI)")
    parser.add_argument("--build-dir", default=str(ROOT / ".aws-sam" / "build"))
    parser.add_argument("--providers", default="", help="the Providers parameter (default: every sender)")
    options = parser.parse_args()
    built = Path(options.build_dir) / "template.yaml"
    overrides = {"Providers": options.providers} if options.providers else {}
    stacks, _ = SamLocalStackProvider.get_stacks(
        str(built), parameter_overrides=overrides, language_extensions_enabled=True
    )
    provider = SamFunctionProvider(stacks)
    runtime = StandInRuntime(options.python)
    runner = LocalLambdaRunner(
        local_runtime=runtime,  # type: ignore[arg-type]
        function_provider=provider,
        cwd=str(built.parent),
        real_path=str(ROOT),
        aws_region="eu-west-1",
    )
    disagreements = differences(options.python, list(provider.get_all()))
    disagreements += route_differences(stacks, list(provider.get_all()))
    functions = sorted(f.name for f in provider.get_all())
    for name in functions:
        function = runner.get_function(name)
        environment = dict((function.environment or {}).get("Variables", {}))
        runner.invoke(name, event_for(name, environment, options.python))
        result = runtime.results.get(name, {})
        if "problems" not in result and "output" in result:
            result["problems"] = answer_problems(name, environment, result["output"])
            if not result["problems"]:
                del result["problems"]
    problems = {name: r["problems"] for name, r in runtime.results.items() if "problems" in r}
    missing = sorted(set(functions) - set(runtime.results))
    print(json.dumps({"functions": len(functions), "invoked": runtime.results}, indent=1))
    for name, found in problems.items():
        print(f"{name}: {'; '.join(found)}", file=sys.stderr)
    for name in missing:
        print(f"{name}: never reached the container runtime", file=sys.stderr)
    for disagreement in disagreements:
        print(f"SAM CLI and our template reader disagree: {disagreement}", file=sys.stderr)
    return 1 if problems or missing or disagreements or not functions else 0


if __name__ == "__main__":
    sys.exit(main())
