"""Imports a function's entry point (functions/<name>/app.py) by path, as Lambda would find it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def load_function(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"function_{name}", FUNCTIONS / name / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
