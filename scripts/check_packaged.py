"""`sam package` against a local S3 (moto's server), and what it wrote: every artifact the deployment needs
must be uploaded, the loop over the senders left for CloudFormation to expand, and every nested
stack's template (the schema registry's, and each kind's schemas within it) uploaded too, with its
own artifacts, within CloudFormation's 1 MB and 500 resources.

Why: SAM CLI (1.170) leaves a CodeUri inside a Fn::ForEach as a local path in the packaged template,
which CloudFormation then refuses, unless it can expand the loop itself (a literal list) and find its
first resource by ``${Id}`` in the logical id; template.yaml's ingest loop is written so, and this keeps
it so: every artifact is an S3 URI of an object that was uploaded, each function's holding its entry
point. Run by .ci/run with the SAM CLI command after `--`:
`python -m uv run python scripts/check_packaged.py -- <uv> tool run --from aws-sam-cli==X sam`.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import yaml
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = {"CodeUri", "ContentUri", "Location", "DefinitionUri", "TemplateURL"}
NESTED = {"AWS::Serverless::Application": "Location", "AWS::CloudFormation::Stack": "TemplateURL"}
BUCKET = "artifacts"
TEMPLATE_BYTES_QUOTA = 1_000_000  # CloudFormation's, for a template in S3
RESOURCES_QUOTA = 500


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def local_paths(node: Any, where: str = "") -> list[str]:
    """Every artifact property that is still a path on this machine."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}/{key}"
            if key in ARTIFACTS and isinstance(value, str) and not value.startswith(("s3://", "http")):
                found.append(f"{here}: {value}")
            found += local_paths(value, here)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += local_paths(value, f"{where}/{n}")
    return found


def missing_objects(s3: Any, template: dict[str, Any]) -> list[str]:
    """Artifacts named in the packaged template but not uploaded, and function packages without app.py."""
    problems = []
    for where, uri in s3_uris(template):
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            problems.append(f"{where}: {uri} was never uploaded")
            continue
        if where.endswith("/CodeUri"):
            with zipfile.ZipFile(io.BytesIO(body)) as package:
                if "app.py" not in package.namelist():
                    problems.append(f"{where}: {uri} has no app.py (Handler app.handler)")
    return problems


def s3_uris(node: Any, where: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ARTIFACTS and isinstance(value, str) and value.startswith("s3://"):
                found.append((f"{where}/{key}", value))
            found += s3_uris(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += s3_uris(value, f"{where}/{n}")
    return found


class _Loader(yaml.SafeLoader):
    """The packaged template as plain data (its short-form tags as values)."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _key(url: str) -> str:
    """The object an uploaded template's URL names in the bucket (path-style, as sam package writes it)."""
    path = urlparse(url).path.lstrip("/")
    return path.removeprefix(f"{BUCKET}/")


def nested_problems(s3: Any, template: dict[str, Any], where: str = "template.yaml") -> list[str]:
    """Each nested stack's uploaded template, and the stacks nested in it: uploaded, its own artifacts
    uploaded, within the quotas. Prints what each measures."""
    problems: list[str] = []
    for name, body in template.get("Resources", {}).items():
        if not isinstance(body, dict) or body.get("Type") not in NESTED:
            continue
        url = body.get("Properties", {}).get(NESTED[body["Type"]])
        here = f"{where} > {name}"
        if not isinstance(url, str) or not url.startswith("http"):
            continue  # a local path: local_paths names it
        try:
            content = s3.get_object(Bucket=BUCKET, Key=_key(url))["Body"].read()
        except s3.exceptions.NoSuchKey:
            problems.append(f"{here}: {url} was not uploaded")
            continue
        nested = yaml.load(content, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
        resources = len(nested.get("Resources", {}))
        print(f"{here}: {len(content):,} bytes, {resources} resources uploaded")
        if len(content) >= TEMPLATE_BYTES_QUOTA or resources >= RESOURCES_QUOTA:
            quotas = f"{TEMPLATE_BYTES_QUOTA:,} bytes or {RESOURCES_QUOTA} resources"
            problems.append(f"{here}: past CloudFormation's {quotas}")
        problems += [f"{here}: {p}" for p in local_paths(nested)]
        problems += nested_problems(s3, nested, here)
    return problems


def main(sam: list[str]) -> int:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "packaging",
        "AWS_SECRET_ACCESS_KEY": "packaging",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "SAM_CLI_TELEMETRY": "0",
    }
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=environment["AWS_ENDPOINT_URL"],
            region_name="eu-west-1",
            aws_access_key_id="packaging",
            aws_secret_access_key="packaging",  # noqa: S106 - moto's, on this machine
        )
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        with tempfile.TemporaryDirectory() as scratch:
            packaged = Path(scratch) / "packaged.yaml"
            subprocess.run(  # noqa: S603 - SAM CLI as .ci/run gives it, on our own template
                [*sam, "package", "--s3-bucket", BUCKET, "--output-template-file", str(packaged)],
                cwd=ROOT,
                env=environment,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            template = yaml.load(packaged.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
        problems = local_paths(template) + missing_objects(s3, template) + nested_problems(s3, template)
    finally:
        server.stop()
    if not any(key.startswith("Fn::ForEach::") for key in template["Resources"]):
        problems.append("Resources: the Fn::ForEach over the senders is gone (SAM CLI expanded it for good)")
    for problem in problems:
        print(f"packaged template: {problem}", file=sys.stderr)
    if not problems:
        print(
            "sam package: every artifact uploaded, each function's with its entry point, every nested "
            "template within the quotas, the loop kept"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(arguments[arguments.index("--") + 1 :] if "--" in arguments else arguments))
