"""The providers: one definition file each in ``definitions/<name>.toml`` (see ``definition.py``), and
code only for what a definition cannot state (a module named by the definition's ``code``).

``load`` builds a provider by name (the ingest function's PROVIDER setting) once, at cold start; nothing
else in the package lists providers.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from hookbridge.model import EventDescription, Handshake, Provider, WebhookRequest
from hookbridge.providers.definition import NAME, DefinitionError, ProviderDefinition, read_definition

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
_NAME = re.compile(NAME)
Describe = Callable[[WebhookRequest, Any], EventDescription]


def definition(name: str) -> ProviderDefinition:
    if not _NAME.match(name):
        raise ValueError(f"not a provider name: {name!r}")
    path = DEFINITIONS / f"{name}.toml"
    if not path.is_file():
        raise ValueError(f"no provider definition {name}.toml in hookbridge/providers/definitions")
    return read_definition(path)


def load(name: str) -> Provider:
    return build(definition(name))


def build(found: ProviderDefinition) -> Provider:
    """The provider a definition describes, with the functions its ``code`` module replaces."""
    # Imported here: a provider that is all code needs neither.
    from hookbridge.providers import coverage, handshakes
    from hookbridge.providers.bodies import build_parse
    from hookbridge.providers.coverage import proofs
    from hookbridge.providers.describing import build_describe
    from hookbridge.providers.scheme_parts import Sign, Verify
    from hookbridge.providers.schemes import build_sign, build_verify

    code = _code(found)
    # What the signature proves; a code module proves its own (its describe says what is proven).
    covered = coverage.of_definition(found) if found.auth else None
    if covered is not None:
        coverage.check(found, covered)
    verify: Verify | None = getattr(code, "verify", None) or (build_verify(found) if found.auth else None)
    sign: Sign | None = getattr(code, "sign", None) or (build_sign(found) if found.auth else None)
    describe: Describe | None = getattr(code, "describe", None) or (
        build_describe(found.event, found.batch, covered) if found.event else None
    )
    if verify is None or sign is None or describe is None:
        raise DefinitionError(f"{found.name}.toml: code: {found.code!r} lacks verify, describe or sign")
    return Provider(
        name=found.name,
        verify=verify,
        describe=describe,
        event_types=found.event_types,
        sign=sign,
        path_values={s.name: frozenset(s.values) for s in found.segments},
        dedupe_window_seconds=found.dedupe_window_seconds,
        # A code module that signs a timestamp says how long it is accepted, and what identifies a request
        # when the body is not proven (PayPal: its transmission, and the event id claimed by the publisher;
        # Braintree: its signed timestamp, inside its XML).
        replay_window_seconds=max(found.replay_window_seconds, getattr(code, "REPLAY_WINDOW_SECONDS", 0)),
        **(proofs(found, covered) if covered is not None else _code_proofs(code)),
        id_header=found.id_header,
        parse=build_parse(found.body),
        # A code module's handshakes (Braintree's keyed challenge answer) after the definition's.
        handshakes=(
            *(handshakes.build(spec) for spec in found.handshakes),
            *getattr(code, "HANDSHAKES", ()),
        ),
        accepted=handshakes.accepted_answer(found.accepted),
        confirmation=getattr(code, "confirmation", None),
        withhold=_withhold(found),
    )


def _withhold(found: ProviderDefinition) -> Callable[[Any], bytes] | None:
    """Where a body carries the subscription's shared value (a body_token), the body stored without it."""
    from hookbridge.providers.bodies import build_withhold
    from hookbridge.providers.definition import BodyToken

    token = next((s for s in found.auth.schemes if isinstance(s, BodyToken)), None) if found.auth else None
    return build_withhold(token) if token is not None else None


def _code_proofs(code: ModuleType | None) -> dict[str, Any]:
    """What identifies a request of a sender in code, where its module says (``paypal``); else its body."""
    found: dict[str, Any] = {}
    if code is not None and hasattr(code, "proof"):
        found["proof"] = code.proof
    if code is not None and getattr(code, "CLAIMS_EVENT_ID", False):
        found["claims_event_id"] = True
    return found


def code_handshakes(found: ProviderDefinition) -> tuple[Handshake, ...]:
    """The handshakes a definition's code module answers (Braintree's bt_challenge), besides its own."""
    return tuple(getattr(_code(found), "HANDSHAKES", ()))


def _code(found: ProviderDefinition) -> ModuleType | None:
    if found.code is None:
        return None
    try:
        return importlib.import_module(f"{__name__}.{found.code}")
    except ModuleNotFoundError as exc:
        raise DefinitionError(
            f"{found.name}.toml: code: no module hookbridge.providers.{found.code}"
        ) from exc


def names() -> list[str]:
    return sorted(p.stem for p in DEFINITIONS.glob("*.toml"))
