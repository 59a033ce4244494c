"""One module per provider, each exposing ``PROVIDER``: its verification scheme and how it names events.

Adding a provider is adding a module here; ``load`` finds it by name (the ingest function's PROVIDER
setting), so nothing else in the package lists providers.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from hookbridge.model import Provider

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def load(name: str) -> Provider:
    if not _NAME.match(name):
        raise ValueError(f"not a provider name: {name!r}")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise ValueError(f"no provider module hookbridge.providers.{name}") from None
    provider = getattr(module, "PROVIDER", None)
    if not isinstance(provider, Provider) or provider.name != name:
        raise ValueError(f"hookbridge.providers.{name} does not define PROVIDER for {name!r}")
    return provider


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
