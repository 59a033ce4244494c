"""template.yaml as data, shared with the local stack so that tests, local runs and deployment agree: as
written (``template``), and deployed with every sender in Providers (``resource``, ``resources_of_type``)."""

from __future__ import annotations

from typing import Any

from hookbridge_cli.paths import ROOT, SCHEMA_TEMPLATE, TEMPLATE
from hookbridge_cli.template import (
    Deployment,
    create_table,
    deployment,
    every_sender,
    function_environment,
    ingest_function,
    read,
    source,
)


def template() -> dict[str, Any]:
    """template.yaml as written."""
    return source()


def every_sender_deployed() -> Deployment:
    return deployment(every_sender())


def resource(logical_id: str) -> dict[str, Any]:
    """A resource as deployed with every sender in Providers."""
    return every_sender_deployed().resource(logical_id)


def as_written(logical_id: str) -> dict[str, Any]:
    """A resource with every sender's loop expanded, but its conditions (Fn::If) as written."""
    found: dict[str, Any] = every_sender_deployed().expanded["Resources"][logical_id]
    return found


def resources_of_type(kind: str) -> dict[str, dict[str, Any]]:
    return every_sender_deployed().of_type(kind)


__all__ = [
    "ROOT",
    "SCHEMA_TEMPLATE",
    "TEMPLATE",
    "Deployment",
    "as_written",
    "create_table",
    "deployment",
    "every_sender",
    "every_sender_deployed",
    "function_environment",
    "ingest_function",
    "read",
    "resource",
    "resources_of_type",
    "template",
]
