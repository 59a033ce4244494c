"""A subscription's credentials as an operator handles them: which kinds its provider verifies with, how a
rotation changes the secret (add the new value in front, later drop the old ones), the shape of a secret
without its values, and the URLs to register at the provider."""

from __future__ import annotations

import importlib
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlencode

from pydantic import ValidationError

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.model import Provider, WebhookRequest
from hookbridge.samples import example_secret
from hookbridge.subscription import SubscriptionSecret
from hookbridge_cli.errors import Refused, Usage
from hookbridge_cli.samples import load_event, sample_names

Kind = Literal["signing_secrets", "tokens", "basic_auth", "public_keys", "api_key"]
KINDS: tuple[Kind, ...] = get_args(Kind)
WEBHOOK_KINDS: tuple[Kind, ...] = (
    "signing_secrets",
    "tokens",
    "basic_auth",
    "public_keys",
)  # what a request proves itself with


class KindOption(StrEnum):
    """--kind's choices (typer lists them in --help)."""

    signing_secrets = "signing_secrets"
    tokens = "tokens"
    basic_auth = "basic_auth"
    public_keys = "public_keys"
    api_key = "api_key"


# Probe values for a provider whose checks are code (Zonos); a definition's come from example_secret.
_PROBE: dict[str, Any] = {"signing_secrets": ["probe-secret"], "tokens": ["probe-token"],
          "basic_auth": [{"username": "probe", "password": "probe"}]}  # fmt: skip
_WRONG: dict[str, Any] = {"signing_secrets": ["wrong-secret"], "tokens": ["wrong-token"],
          "basic_auth": [{"username": "wrong", "password": "wrong"}]}  # fmt: skip


def read_secret_file(path: Path) -> dict[str, Any]:
    """--secret-file: readable, JSON, a secret's layout; each failure a usage error naming the file."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise Usage(f"cannot read --secret-file {path}: {exc.strerror}", "check the path") from exc
    return parse_secret(text, f"--secret-file {path}")


def parse_secret(raw: str, source: str) -> dict[str, Any]:
    """A secret's JSON, checked against the layout (errors name fields, never values)."""
    try:
        value = json.loads(raw)
    except ValueError as exc:
        # Not chained: a JSONDecodeError carries the document, which is the secret.
        raise Usage(f"{source} is not JSON ({exc})", "fix the file and run the command again") from None
    if not isinstance(value, dict):
        raise Usage(f"{source} is not a JSON object", 'write it as {"signing_secrets": ["..."]} or similar')
    try:
        SubscriptionSecret.model_validate(value)
    except ValidationError as exc:
        fields = ", ".join(f"{'.'.join(map(str, e['loc']))} ({e['msg']})" for e in exc.errors())
        # Not chained: a ValidationError carries the values, which are the secret.
        raise Usage(
            f"{source} does not have a secret's layout: {fields}",
            "see the secret's JSON in docs/deploying.md",
        ) from None
    return value


def kinds_verified(provider: Provider, secret: dict[str, Any]) -> list[Kind]:
    """The credential kinds this provider checks a request with, given the secret's other settings (a
    Zonos token goes where `token_header` says). Found by signing probes with the provider's own `sign`
    and `verify`, so it holds for every provider without a list kept by hand: a kind counts when it
    verifies alone (Zinc: token or basic auth), or when, beside the other kinds the secret holds, a
    wrong value of it makes the request fail (Zonos: token and HMAC, all must pass)."""
    probe, wrong = _probes(provider.name)
    helpers = {k: v for k, v in probe.items() if k not in KINDS}  # what signing needs: private keys
    settings = {k: v for k, v in secret.items() if k not in KINDS} | helpers
    held: dict[str, Any] = {k: probe[k] for k in WEBHOOK_KINDS if secret.get(k) and k in probe}
    used: list[Kind] = []
    for kind in (k for k in WEBHOOK_KINDS if k in probe):
        alone: dict[str, Any] = {**settings, kind: probe[kind]}
        together: dict[str, Any] = {**settings, **held, kind: probe[kind]}
        if _verifies(provider, alone, alone) or (
            _verifies(provider, together, together)
            and not _verifies(provider, together, {**together, kind: wrong[kind]})
        ):
            used.append(kind)
    return used


def _fetched_key_settings(name: str) -> tuple[str, ...]:
    """What a secret must set for a sender whose key is fetched at verify time, where its code says so."""
    code = providers.definition(name).code
    module = importlib.import_module(f"hookbridge.providers.{code}") if code else None
    return tuple(getattr(module, "SECRET_REQUIRES", ()))


def _probes(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    definition = providers.definition(name)
    if definition.auth is None and not example_secret(definition, "probe"):
        return _PROBE, _WRONG
    return example_secret(definition, "probe"), example_secret(definition, "wrong")


def _verifies(provider: Provider, signed_with: dict[str, Any], checked_with: dict[str, Any]) -> bool:
    """Whether a request signed with one secret verifies with another: posted as the provider's first
    sample is (its body and content type: a body that carries its signature, a form), to a probe URL."""
    now = time.time()
    body, headers = _probe_body(provider.name)
    url = f"https://probe.invalid/webhooks/{provider.name}/probe"
    try:
        credentials = provider.sign(
            SubscriptionSecret.model_validate(signed_with), body, int(now), url, headers
        )
        request = WebhookRequest(
            provider=provider.name,
            subscription="probe",
            headers={
                "host": "probe.invalid",
                **headers,
                **{k.lower(): v for k, v in credentials.headers.items()},
            },
            query=dict(credentials.query),
            path={name: min(values) for name, values in provider.path_values.items()},
            body=credentials.body if credentials.body is not None else body,
            received_at_ms=int(now * 1000),
            raw_path=f"/webhooks/{provider.name}/probe",
            raw_query=urlencode(credentials.query),
        )
        provider.verify(request, SubscriptionSecret.model_validate(checked_with), now)
    except (Unauthorized, ValueError, IndexError, KeyError):
        return False
    return True


def _probe_body(name: str) -> tuple[bytes, dict[str, str]]:
    """The body and content type of the provider's first sample that is posted, else an empty object."""
    for sample in sample_names(name):
        event = load_event(name, sample)
        if event.get("requestContext", {}).get("http", {}).get("method", "POST") == "POST":
            content_type = (event.get("headers") or {}).get("content-type", "application/json")
            return (event.get("body") or "").encode(), {"content-type": content_type}
    return b"{}", {"content-type": "application/json"}


def holds(secret: dict[str, Any], kind: Kind) -> bool:
    return bool(secret.get(kind))


def require_usable(provider: Provider, secret: dict[str, Any], source: str) -> None:
    """Refuses a secret its provider could verify nothing with (every request would be 401)."""
    needed = _fetched_key_settings(provider.name)
    if needed:  # a key fetched from the sender (AWS SNS): the secret says what to accept
        if not any(secret.get(setting) for setting in needed):
            raise Usage(f"{source} sets none of {', '.join(needed)}", f"add {' or '.join(needed)}")
        return
    usable = kinds_verified(provider, secret)
    if not any(holds(secret, kind) for kind in usable):
        wanted = " or ".join(usable) or "a credential"
        raise Usage(f"{source} holds nothing {provider.name} verifies requests with", f"add {wanted}")


@dataclass(frozen=True)
class Rotation:
    secret: dict[str, Any]  # the resulting secret
    shape: dict[str, Any]  # the same without values
    changed: bool
    summary: str


def parse_value(kind: Kind, text: str) -> Any:
    value = text.strip()
    if not value:
        raise Usage(f"no new {kind} value given", "pipe it on stdin, or type it at the prompt")
    if kind == "basic_auth":
        username, separator, password = value.partition(":")
        if not separator or not username or not password:
            raise Usage("a basic_auth value is username:password", "give it as one line, username:password")
        return {"username": username, "password": password}
    return value


def choose_kind(provider: Provider, secret: dict[str, Any], kind: Kind | None) -> Kind:
    if kind == "api_key":
        return kind
    usable = kinds_verified(provider, secret)
    if kind is not None:
        if kind not in usable:
            raise Usage(
                f"{provider.name} does not verify requests with {kind} (with this secret's settings)",
                f"rotate one of: {', '.join([*usable, 'api_key'])}",
            )
        return kind
    held = [k for k in usable if holds(secret, k)]
    if len(held) == 1:
        return held[0]
    if not held:
        raise Usage(
            f"the secret holds no credential {provider.name} verifies with",
            f"pass --kind ({', '.join(usable)}) to add one",
        )
    raise Usage(f"the secret holds {' and '.join(held)}", "pass --kind to say which to rotate")


def rotate(secret: dict[str, Any], kind: Kind, new: Any | None, drop_old: bool) -> Rotation:
    """Step 1 (``new``): the new value in front, the old ones kept, so both verify while the provider
    switches. Step 2 (``drop_old``): only the newest kept. ``api_key`` holds one value: it is replaced."""
    current = secret.get(kind)
    if kind == "api_key":
        if drop_old:
            raise Usage(
                "api_key holds one value, so there is nothing to drop", "rotate it without --drop-old"
            )
        changed = current != new
        result = {**secret, kind: new}
        tags: Any = "<new>" if changed else "<unchanged>"
        summary = "api_key replaced" if changed else "api_key unchanged (the same value)"
        return Rotation(result, shape_of(result, {kind: tags}), changed, summary)
    values = list(current or [])
    if drop_old:
        if not values:
            raise Refused(f"the secret holds no {kind}", "nothing to drop")
        kept = values[:1]
        result = {**secret, kind: kept}
        dropped = len(values) - 1
        summary = (
            f"{kind}: kept the newest, dropped {dropped}" if dropped else f"{kind}: only one, nothing to drop"
        )
        return Rotation(result, shape_of(result, {kind: ["<newest, kept>"]}), dropped > 0, summary)
    if values and values[0] == new:
        return Rotation(secret, shape_of(secret, {}), False, f"{kind}: that value is already the newest")
    rest = [v for v in values if v != new]
    result = {**secret, kind: [new, *rest]}
    tags = ["<new>", *[f"<kept #{i + 1}>" for i in range(len(rest))]]
    summary = f"{kind}: new value in front, {len(rest)} older kept; any of them verifies"
    return Rotation(result, shape_of(result, {kind: tags}), True, summary)


def shape_of(secret: dict[str, Any], tags: dict[str, Any]) -> dict[str, Any]:
    """The secret with every credential value replaced by a label: safe to print."""
    shape: dict[str, Any] = {}
    for name, value in secret.items():
        if name in tags:
            shape[name] = tags[name]
        elif name in KINDS:
            shape[name] = (
                [f"<kept #{i + 1}>" for i in range(len(value))] if isinstance(value, list) else "<kept>"
            )
        else:
            shape[name] = value  # settings such as token_header: not secret
    return shape


def registration_urls(
    provider: Provider, base: str, subscription: str, secret: dict[str, Any] | None
) -> list[str]:
    """The URL(s) to register at the provider, complete: extra path segments per value (Zinc: one URL per
    event type), the query the provider must send (a token goes in the URL as `<token>`), and Zonos's
    one webhook per `type`. Placeholders in <...> stand for values the operator fills in."""
    url = f"{base.rstrip('/')}/{provider.name}/{subscription}"
    query: dict[str, str] = {}
    if secret is not None:
        labels: dict[str, Any] = {"signing_secrets": ["<signing secret>"], "tokens": ["<token>"],
                  "basic_auth": [{"username": "<username>", "password": "<password>"}],
                  "public_keys": ["<public key>"]}  # fmt: skip
        probe: dict[str, Any] = {**secret, **{k: labels[k] for k in WEBHOOK_KINDS if secret.get(k)}}
        try:
            sent = provider.sign(SubscriptionSecret.model_validate(probe), b"{}", int(time.time()))
        except (Unauthorized, ValueError):
            sent = None
        if sent is not None:
            query = dict(sent.query)
            authorization = {k.lower(): v for k, v in sent.headers.items()}.get("authorization", "")
            if authorization.startswith("Basic "):  # a sender that cannot set headers puts it in the URL
                scheme, _, rest = url.partition("://")
                url = f"{scheme}://<username>:<password>@{rest}"
    urls = [url]
    for name in provider.path_values:
        event_types = [t for t in provider.event_types if t in provider.path_values[name]] or sorted(
            provider.path_values[name]
        )
        urls = [f"{u}/{value}" for u in urls for value in event_types]
    if provider.name == "zonos":  # Zonos creates one webhook per type and names it only in the URL
        return [_with_query(u, {"type": t, **query}) for u in urls for t in provider.event_types]
    return [_with_query(u, query) for u in urls]


def _with_query(url: str, query: dict[str, str]) -> str:
    if not query:
        return url
    return f"{url}?{urlencode(query, safe='<>')}"
