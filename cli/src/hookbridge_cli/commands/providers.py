"""`hookbridge providers list | show NAME | check FILE`: the provider definitions, and a check that a new
one is usable before it is deployed (it validates, and it verifies what it signs and refuses a change)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.model import Provider, WebhookRequest, parse_json
from hookbridge.providers.definition import DefinitionError, Hmac, ProviderDefinition, Token, read_definition
from hookbridge.providers.schemes import delivery_id
from hookbridge.subscription import SubscriptionSecret
from hookbridge_cli import options
from hookbridge_cli.errors import Refused, Usage
from hookbridge_cli.local.template import source
from hookbridge_cli.output import Output
from hookbridge_cli.paths import EVENTS
from hookbridge_cli.samples import demo_secret, load_event, sample_names

app = typer.Typer(help="The provider definitions: list, show, check a new one.", no_args_is_help=True)


class CheckFailed(Exception):
    """The definition is valid but does not verify what it signs, or verifies a changed body."""


def route(found: ProviderDefinition) -> str:
    return f"POST /webhooks/{found.name}/{{subscription}}" + "".join(f"/{{{s.name}}}" for s in found.segments)


def auth_summary(found: ProviderDefinition) -> str:
    if found.auth is None:
        return f"code: hookbridge.providers.{found.code}"
    parts = []
    for scheme in found.auth.schemes:
        if isinstance(scheme, Hmac):
            parts.append(f"hmac-{scheme.algorithm} {scheme.encoding} in {scheme.header}")
        elif isinstance(scheme, Token):
            parts.append(
                f"token in header {scheme.header}" if scheme.header else f"token in query {scheme.query}"
            )
        else:
            parts.append("basic auth")
    return parts[0] if len(parts) == 1 else f"{found.auth.require} of: " + "; ".join(parts)


def _row(found: ProviderDefinition) -> dict[str, Any]:
    ids = [s.model_dump(by_alias=True, exclude_defaults=True) for s in found.event.id] if found.event else []
    return {
        "name": found.name,
        "route": route(found),
        "auth": auth_summary(found),
        "event_id": json.dumps(ids)
        if ids
        else ("in code" if found.code else "none: content hash in a window"),
        "description": found.description,
    }


@app.command("list")
def providers_list(as_json: options.Json = False) -> None:
    """Every provider definition in the package, with its route and how a request proves itself."""
    rows = [_row(providers.definition(name)) for name in providers.names()]
    Output(as_json).rows(rows, ["name", "route", "auth", "event_id"])


@app.command("show")
def providers_show(name: str, as_json: options.Json = False) -> None:
    """One definition in full, as the package reads it."""
    options.provider(name)  # an unknown name is a usage error listing the known ones
    found = providers.definition(name)
    Output(as_json).document(
        {"route": route(found), **found.model_dump(by_alias=True, exclude_defaults=True)}
    )


@app.command("check")
def providers_check(
    file: Annotated[Path, typer.Argument(help="A definition file, e.g. acme.toml.")],
    as_json: options.Json = False,
) -> None:
    """Validate a definition, then sign a sample with it, verify it, and check that a changed body is
    refused. Exit 2 when the file is unreadable or invalid, 1 when it does not verify what it signs."""
    try:
        found = read_definition(file)
        provider = providers.build(found)
    except DefinitionError as exc:
        raise Usage(f"invalid definition {exc}", "fix the field named and run the check again") from exc
    try:
        result = check(found, provider)
    except CheckFailed as exc:
        raise Refused(f"{file.name}: {exc}", 'see the README\'s "Adding a provider"') from exc
    missing = _not_in_template(found)
    result["in_template"] = not missing
    changed = "refused" if result["changed_body_refused"] else "accepted: the body is not signed"
    out = Output(as_json)
    out.result(
        result,
        f"ok {file.name}: {result['route']}; signed and verified by {result['verified_by']}; a changed body "
        f"is {changed}; sample {result['sample']!r} is {result['event_type']!r}, event id "
        f"{result['event_id']!r}",
    )
    for what in missing:
        out.note(f"not deployable yet: add {what} in template.yaml")


def _not_in_template(found: ProviderDefinition) -> list[str]:
    """What template.yaml still needs for this sender: a word in Providers' allowed values, its route."""
    written = source()
    missing = []
    if found.name not in written["Parameters"]["Providers"]["AllowedValues"]:
        missing.append(f"{found.name!r} to the Providers parameter's AllowedValues")
    if found.name not in written["Mappings"]["Senders"]:
        missing.append(
            f'the row {found.name}: {{ Route: "{route(found).split(" ", 1)[1]}" }} to the Senders mapping'
        )
    return missing


def check(found: ProviderDefinition, provider: Provider) -> dict[str, Any]:
    """Signs a sample with the definition, verifies it, and tries the same request with a changed body."""
    body, headers, path, sample, layout = _sample(found)
    secret = SubscriptionSecret.model_validate(layout or generated_secret(found))
    now = int(time.time())
    try:
        credentials = provider.sign(secret, body, now)
    except Unauthorized as exc:
        raise CheckFailed(f"cannot sign with the secret: {exc.reason}") from exc
    headers.update({k.lower(): v for k, v in credentials.headers.items()})
    if provider.id_header is not None:
        headers.setdefault(provider.id_header.lower(), delivery_id(body))
    query = dict(credentials.query)
    request = WebhookRequest(found.name, "check", headers, query, path, body, now * 1000)
    try:
        verified_by = provider.verify(request, secret, now)
    except Unauthorized as exc:
        raise CheckFailed(f"does not verify what it signs: {exc.reason}") from exc
    changed = WebhookRequest(found.name, "check", headers, query, path, body + b" ", now * 1000)
    try:
        provider.verify(changed, secret, now)
        changed_body_refused = False
    except Unauthorized:
        changed_body_refused = True
    if not changed_body_refused and found.auth and any(isinstance(s, Hmac) for s in found.auth.schemes):
        raise CheckFailed("a changed body still verifies")
    described = provider.describe(request, parse_json(body))
    return {
        "name": found.name,
        "route": route(found),
        "sample": sample,
        "verified_by": verified_by,
        "changed_body_refused": changed_body_refused,
        "event_type": described.event_type,
        "event_id": described.event_id,
        "recognized": described.recognized,
    }


def _sample(found: ProviderDefinition) -> tuple[bytes, dict[str, str], dict[str, str], str, Any]:
    """The first sample in events/<name>/ with its demo secret, or a minimal JSON event and no secret."""
    if (EVENTS / found.name).is_dir() and sample_names(found.name):
        sample = sample_names(found.name)[0]
        event = load_event(found.name, sample)
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        given = {k: v for k, v in (event.get("pathParameters") or {}).items() if k != "subscription"}
        path = {s.name: given.get(s.name, s.values[0]) for s in found.segments}
        layout = demo_secret(found.name) if (EVENTS / found.name / "demo-secret.json").is_file() else None
        return (event.get("body") or "").encode(), headers, path, sample, layout
    sample = found.event_types[0]
    body = json.dumps({"type": sample, "id": "evt_hookbridge_check", "data": {}}).encode()
    return body, {}, {s.name: s.values[0] for s in found.segments}, sample, None


def generated_secret(found: ProviderDefinition) -> dict[str, Any]:
    """A throwaway secret in the layout the definition's schemes read, written as the sender shows it."""
    layout: dict[str, Any] = {}
    for scheme in found.auth.schemes if found.auth else ():
        if isinstance(scheme, Hmac):
            key = "hookbridge-check-signing-key"
            shown = key if scheme.key_encoding == "utf8" else base64.b64encode(key.encode()).decode()
            layout["signing_secrets"] = [scheme.key_prefix + shown]
        elif isinstance(scheme, Token):
            layout["tokens"] = ["hookbridge-check-token"]
        else:
            layout["basic_auth"] = [{"username": "check", "password": "hookbridge-check-password"}]
    return layout
