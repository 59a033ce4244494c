"""A function's entry point, its InlineCode in template.yaml, loaded as Lambda loads it (index.py)."""

from __future__ import annotations

from types import ModuleType

from tests.support.template import every_sender_deployed


def entry_points() -> dict[str, str]:
    """Every function's logical id and its entry point's code."""
    return {
        name: fn["Properties"]["InlineCode"]
        for name, fn in every_sender_deployed().of_type("AWS::Serverless::Function").items()
    }


def load_function(logical_id: str) -> ModuleType:
    module = ModuleType(f"index_{logical_id}")
    exec(compile(entry_points()[logical_id], f"{logical_id}/index.py", "exec"), module.__dict__)  # noqa: S102
    return module
