"""Code the tests run that is no installed package: a function's entry point, its InlineCode in
template.yaml, loaded as Lambda loads it (index.py); and a script or example's module, from its file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
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


def load_file(name: str, path: Path) -> ModuleType:
    """The module in ``path`` (a script, the example consumer), imported as ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
