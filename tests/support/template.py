"""template.yaml as data (shared with the local stack, so tests, local runs and deployment agree)."""

from hookbridge_cli.template import (
    ROOT,
    TEMPLATE,
    create_table,
    function_environment,
    resource,
    resources_of_type,
    template,
)

__all__ = [
    "ROOT",
    "TEMPLATE",
    "create_table",
    "function_environment",
    "resource",
    "resources_of_type",
    "template",
]
