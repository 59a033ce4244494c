"""Code the tests run that is no installed package: a function's entry point, functions/<function>/app.py
as template.yaml names it (CodeUri and Handler), loaded as Lambda loads it; and a script or example's
module, from its file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from tests.support.template import ROOT, every_sender_deployed


def entry_points() -> dict[str, Path]:
    """Every function's logical id and its entry point's file (the Globals' Handler: app.handler)."""
    deployed = every_sender_deployed()
    module = deployed.expanded["Globals"]["Function"]["Handler"].rpartition(".")[0]
    return {
        name: ROOT / fn["Properties"]["CodeUri"] / f"{module}.py"
        for name, fn in deployed.of_type("AWS::Serverless::Function").items()
    }


def load_function(logical_id: str) -> ModuleType:
    """A fresh import of the function's entry point (Lambda gives each function its own process)."""
    return load_file(f"app_{logical_id}", entry_points()[logical_id])


def load_file(name: str, path: Path) -> ModuleType:
    """The module in ``path`` (a script, the example consumer), imported as ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
