"""`hookbridge providers list | show NAME | check FILE`: the provider definitions, and a check that a new
one is usable before it is deployed (it validates, and it verifies what it signs and refuses a change)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import typer

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.model import Provider, WebhookRequest
from hookbridge.providers.definition import (
    BodyHmac,
    DefinitionError,
    Hmac,
    Jwt,
    ProviderDefinition,
    PublicKey,
    read_definition,
)
from hookbridge.providers.scheme_parts import delivery_id
from hookbridge.samples import example_secret
from hookbridge.subscription import SubscriptionSecret
from hookbridge_cli import options
from hookbridge_cli.errors import Refused, Usage
from hookbridge_cli.output import Output
from hookbridge_cli.paths import EVENTS
from hookbridge_cli.samples import demo_secret, load_event, sample_names
from hookbridge_cli.template import ingest_function, source

app = typer.Typer(help="The provider definitions: list, show, check a new one.", no_args_is_help=True)


class CheckFailed(Exception):
    """The definition is valid but does not verify what it signs, or verifies a changed body."""


def _methods(found: ProviderDefinition) -> set[str]:
    """Every method the sender uses: POST, and its handshakes' (its code module's too)."""
    return {
        "POST",
        *(h.method for h in found.handshakes),
        *(h.method for h in providers.code_handshakes(found)),
    }


def route(found: ProviderDefinition) -> str:
    others = sorted(_methods(found) - {"POST"})
    methods = ", ".join(["POST", *others])
    return f"{methods} /webhooks/{found.name}/{{subscription}}" + "".join(
        f"/{{{s.name}}}" for s in found.segments
    )


def _row(found: ProviderDefinition) -> dict[str, Any]:
    ids = [s.model_dump(by_alias=True, exclude_defaults=True) for s in found.event.id] if found.event else []
    return {
        "name": found.name,
        "route": route(found),
        "auth": found.auth_summary(),
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
        raise Refused(f"{file.name}: {exc}", "see docs/adding-a-sender.md") from exc
    missing = _not_in_template(found)
    result["in_template"] = not missing
    signs_inside = any(isinstance(s, BodyHmac) for s in (found.auth.schemes if found.auth else ()))
    changed = (
        "refused"
        if result["changed_body_refused"]
        else "accepted: only the fields it names are signed"
        if signs_inside
        else "accepted: the body is not signed"
    )
    out = Output(as_json)
    out.result(
        result,
        f"ok {file.name}: {result['route']}; signed and verified by {result['verified_by']}; a changed body "
        f"is {changed}; sample {result['sample']!r} is {' + '.join(result['events'])!r}, event id "
        f"{result['event_id']!r}",
    )
    for what in missing:
        out.note(f"not deployable yet: add {what} in template.yaml")


def _not_in_template(found: ProviderDefinition) -> list[str]:
    """What template.yaml still needs for this sender: a word in Providers' allowed values, its row in the
    Senders mapping, and its id in the two lists of senders (the Conditions' loop and the ingest loop)."""
    written = source()
    sender_id = ingest_function(found.name).removesuffix("Ingest")
    missing = []
    if found.name not in written["Parameters"]["Providers"]["AllowedValues"]:
        missing.append(f"{found.name!r} to the Providers parameter's AllowedValues")
    row = written["Mappings"]["Senders"].get(sender_id, {})
    # A handshake that is no POST (Meta's GET, Trello's HEAD) needs the route to take any method.
    method = ", Method: ANY" if _methods(found) != {"POST"} else ""
    if row.get("Name") != found.name or (method and row.get("Method") != "ANY"):
        path = route(found).rsplit(" ", 1)[1]
        missing.append(
            f'the row {sender_id}: {{ Name: {found.name}, Route: "{path}"{method} }} to the Senders mapping'
        )
    for section in ("Conditions", "Resources"):
        loops = [v for k, v in written[section].items() if k.startswith("Fn::ForEach::")]
        if not any(sender_id in loop[1] for loop in loops):
            missing.append(f"{sender_id!r} to the list of senders of the Fn::ForEach in {section}")
    return missing


def check(found: ProviderDefinition, provider: Provider) -> dict[str, Any]:
    """Signs a sample with the definition, verifies it, and tries the same request with a changed body."""
    body, headers, path, sample, layout = _sample(found)
    secret = SubscriptionSecret.model_validate(layout or example_secret(found, "hookbridge-check"))
    now = int(time.time())
    # Posted as API Gateway passes it on: a sender that signs the URL signs this one.
    headers |= {"host": "check.invalid", "x-forwarded-proto": "https"}
    raw_path = f"/webhooks/{found.name}/check"
    try:
        credentials = provider.sign(secret, body, now, f"https://check.invalid{raw_path}", headers)
    except Unauthorized as exc:
        raise CheckFailed(f"cannot sign with the secret: {exc.reason}") from exc
    headers.update({k.lower(): v for k, v in credentials.headers.items()})
    if provider.id_header is not None:
        headers.setdefault(provider.id_header.lower(), delivery_id(body))
    body = credentials.body if credentials.body is not None else body
    query = dict(credentials.query)
    request = WebhookRequest(
        found.name,
        "check",
        headers,
        query,
        path,
        body,
        now * 1000,
        raw_path=raw_path,
        raw_query=urlencode(query),
    )
    try:
        verified_by = provider.verify(request, secret, now)
    except Unauthorized as exc:
        raise CheckFailed(f"does not verify what it signs: {exc.reason}") from exc
    try:
        provider.verify(replace(request, body=body + b" "), secret, now)
        changed_body_refused = False
    except Unauthorized:
        changed_body_refused = True
    signed = found.auth.schemes if found.auth else ()
    signs_body = any(
        isinstance(s, Hmac | PublicKey) or (isinstance(s, Jwt) and s.body_sha256_claim) for s in signed
    )
    if not changed_body_refused and signs_body:
        raise CheckFailed("a changed body still verifies")
    payload, _ = provider.parse(request)
    described = provider.describe(request, payload)
    return {
        "name": found.name,
        "route": route(found),
        "sample": sample,
        "verified_by": verified_by,
        "changed_body_refused": changed_body_refused,
        "event_type": described.event_type,
        "event_id": described.event_id,
        "recognized": described.recognized,
        "events": [e.event_type for e in described.elements] or [described.event_type],
    }


def _sample(found: ProviderDefinition) -> tuple[bytes, dict[str, str], dict[str, str], str, Any]:
    """The first posted sample in events/<name>/ that is no handshake (a sample of one is named after it) with
    its demo secret, or a minimal JSON event and no secret."""
    names = sample_names(found.name) if (EVENTS / found.name).is_dir() else []
    handshakes = {h.name for h in found.handshakes}
    for sample in names:
        event = load_event(found.name, sample)
        method = event.get("requestContext", {}).get("http", {}).get("method", "POST")
        if method != "POST" or sample in handshakes:
            continue
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        for added_by_api_gateway in ("host", "x-forwarded-proto", "x-forwarded-port"):
            headers.pop(added_by_api_gateway, None)
        given = {k: v for k, v in (event.get("pathParameters") or {}).items() if k != "subscription"}
        path = {s.name: given.get(s.name, s.values[0]) for s in found.segments}
        layout = demo_secret(found.name) if (EVENTS / found.name / "demo-secret.json").is_file() else None
        return (event.get("body") or "").encode(), headers, path, sample, layout
    sample = found.event_types[0]
    body = json.dumps({"type": sample, "id": "evt_hookbridge_check", "data": {}}).encode()
    return body, {}, {s.name: s.values[0] for s in found.segments}, sample, None
