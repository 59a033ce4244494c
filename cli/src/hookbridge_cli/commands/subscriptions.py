"""`hookbridge subscriptions`: the registry of webhook registrations and their secrets.

Every command here checks everything it can before its first write, and undoes its earlier writes when a
later one fails, so it either completes or leaves things as they were.
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from hookbridge.aws.registry import SubscriptionExists, SubscriptionNotFound, SubscriptionRegistry
from hookbridge.model import Provider
from hookbridge.subscription import Subscription, secret_name
from hookbridge_cli import credentials, options
from hookbridge_cli.errors import AwsFailed, Refused, Usage
from hookbridge_cli.output import Output
from hookbridge_cli.records import ROW_FIELDS, read_secret, rows, secret_exists
from hookbridge_cli.target import Target, require_received, resolve

app = typer.Typer(help="Create, list, delete and rotate subscriptions.", no_args_is_help=True)


@app.command("list")
def list_(
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """List subscriptions with their last health check."""
    Output(as_json).rows(rows(resolve(local, stack, aws_port)), ROW_FIELDS[:-1], "subscriptions")


@app.command("create")
def create(
    provider: str,
    subscription: str,
    webhook_id: Annotated[str | None, typer.Option(help="The provider's id of the webhook.")] = None,
    quiet_period: Annotated[int, typer.Option(help="Longest normal silence, in seconds (>= 60).")] = 86_400,
    contact: Annotated[str | None, typer.Option(help="Who to tell when it is unhealthy.")] = None,
    event: Annotated[list[str] | None, typer.Option(help="An expected event type (repeat).")] = None,
    secret_file: Annotated[
        Path | None, typer.Option(help="Store this secret JSON in Secrets Manager as well.")
    ] = None,
    register: Annotated[
        bool,
        typer.Option(
            help="Zippex: register the webhook through Zippex's API and store the secret it returns "
            "(it never passes through you)."
        ),
    ] = False,
    api_key_env: Annotated[
        str, typer.Option(help="With --register: the variable holding the API key.")
    ] = "ZIPPEX_API_KEY",
    zippex_api_url: Annotated[str, typer.Option(help="With --register.")] = "https://api.zippex.com",
    await_handshake: Annotated[
        str | None,
        typer.Option(
            metavar="WINDOW",
            help="Asana, Notion: store no secret now; the sender's handshake hands it over, and is let store "
            "it once, within this window (15m, 1h, 900 = seconds; at most 24h). Any other such handshake "
            "is refused. AWS SNS (with --secret-file): confirm its topics' subscription confirmations "
            "within this window.",
        ),
    ] = None,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Register a subscription: its record, and optionally its secret. Prints the URL(s) to give the
    provider."""
    chosen = options.provider(provider)
    options.subscription(subscription)
    record = _record(provider, subscription, webhook_id, quiet_period, contact, event)
    secret: dict[str, Any] | None
    if await_handshake is not None:
        secret, api_key = _awaiting(chosen, await_handshake, secret_file, register), None
    else:
        secret, api_key = _secret_to_store(chosen, secret_file, register, api_key_env)
    t = resolve(local, stack, aws_port)
    require_received(t, provider)
    registry = SubscriptionRegistry(t.client("dynamodb"), t.subscriptions_table)
    name = secret_name(t.prefix, provider, subscription)
    has_secret = _refuse_what_exists(t, registry, record, storing=secret is not None or register)
    undo: list[tuple[str, Any]] = []
    try:
        if api_key is not None:
            record, secret = _register_at_zippex(t, chosen, record, api_key, zippex_api_url, event, undo)
        if secret is not None:
            sm = t.client("secretsmanager")
            sm.create_secret(Name=name, SecretString=json.dumps(secret))
            undo.append(
                (
                    f"the secret {name}",
                    lambda: sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True),
                )
            )
        try:
            registry.create(record)
        except SubscriptionExists as exc:
            raise Refused(f"{provider}/{subscription} exists", "someone created it just now") from exc
    except BaseException:
        _undo(undo)
        raise
    _report_created(Output(as_json), t, chosen, record, secret, secret is not None or has_secret)


def _record(
    provider: str,
    subscription: str,
    webhook_id: str | None,
    quiet_period: int,
    contact: str | None,
    events: list[str] | None,
) -> Subscription:
    try:
        return Subscription(
            provider=provider,
            subscription=subscription,
            webhook_id=webhook_id,
            quiet_period_seconds=quiet_period,
            contact=contact,
            expected_events=tuple(events or ()),
        )
    except ValidationError as exc:
        problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise Usage(
            f"invalid subscription: {problem}", "see `hookbridge subscriptions create --help`"
        ) from exc


def _secret_to_store(
    chosen: Provider, secret_file: Path | None, register: bool, api_key_env: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The secret from --secret-file, checked for this provider; or, with --register, the Zippex API key
    that will ask Zippex for one."""
    if not register:
        if secret_file is None:
            return None, None
        secret = credentials.read_secret_file(secret_file)
        credentials.require_usable(chosen, secret, f"--secret-file {secret_file}")
        return secret, None
    if secret_file is not None:
        raise Usage("--register and --secret-file both give the secret", "use one of them")
    if chosen.name != "zippex":
        raise Usage("--register is for Zippex, the provider with a registration API", "use --secret-file")
    api_key = os.environ.get(api_key_env)
    if not api_key:
        raise Usage(f"--register needs the Zippex API key in ${api_key_env}", f"export {api_key_env}=...")
    return None, api_key


# How long a subscription may await its secret: the sender's handshake comes while the operator creates the
# webhook there, so minutes are enough; a day at most, so that a forgotten one does not stay open.
_WINDOW = re.compile(r"^(\d{1,6})([smh]?)$")
_MAX_WINDOW_SECONDS = 86_400


def _awaiting(chosen: Provider, window: str, secret_file: Path | None, register: bool) -> dict[str, Any]:
    """The secret of a subscription that awaits the sender's handshake, until when, with the token naming
    the one version a learned value may become (hookbridge.aws.secrets.LearnedSecrets). A sender whose
    handshake hands its secret over (Asana, Notion) is given none; one whose subscription is confirmed by a
    request (AWS SNS) is given its secret as usual: the topics it accepts, and so may confirm."""
    confirms = chosen.confirmation is not None
    if not (chosen.learning or confirms):
        raise Usage(f"{chosen.name} has no handshake to await", "give its secret with --secret-file instead")
    if register:
        raise Usage("--register is for Zippex, which has no handshake to await", "drop --register")
    if chosen.learning and secret_file is not None:
        raise Usage("--await-handshake learns the secret: it is not given too", "drop --secret-file")
    secret: dict[str, Any] = {}
    if confirms:
        if secret_file is None:
            raise Usage(
                f"--await-handshake confirms only the topics {chosen.name}'s secret allows",
                "give them with --secret-file (topic_arns)",
            )
        secret = credentials.read_secret_file(secret_file)
        credentials.require_usable(chosen, secret, f"--secret-file {secret_file}")
    found = _WINDOW.match(window.strip())
    seconds = int(found.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[found.group(2)] if found else 0
    if not 60 <= seconds <= _MAX_WINDOW_SECONDS:
        raise Usage(
            f"--await-handshake {window!r}: a window of 1m to 24h", "for example --await-handshake 15m"
        )
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
    return {**secret, "awaiting_handshake": {"until": until.isoformat(), "token": str(uuid.uuid4())}}


def _refuse_what_exists(
    t: Target, registry: SubscriptionRegistry, record: Subscription, storing: bool
) -> bool:
    """Refuses a subscription that exists, or a secret that would be overwritten; whether one exists."""
    provider, subscription = record.provider, record.subscription
    try:
        registry.get(provider, subscription)
    except SubscriptionNotFound:
        pass
    else:
        raise Refused(f"{provider}/{subscription} exists", "see it with `hookbridge subscriptions list`")
    name = secret_name(t.prefix, provider, subscription)
    has_secret = secret_exists(t, name)
    if has_secret and storing:
        raise Refused(
            f"secret {name} exists",
            f"rotate it with `hookbridge subscriptions rotate {provider} {subscription}`, "
            "or create the record alone (without --secret-file)",
        )
    return has_secret


def _register_at_zippex(
    t: Target,
    chosen: Provider,
    record: Subscription,
    api_key: str,
    api_url: str,
    events: list[str] | None,
    undo: list[tuple[str, Any]],
) -> tuple[Subscription, dict[str, Any]]:
    """Creates the webhook at Zippex (undone if a later step fails); the record with its id, and the secret
    Zippex returned (it never passes through the operator)."""
    from hookbridge.health.provider_api import JsonHttpClient, ProviderApiError, ZippexApi

    zippex = ZippexApi(api_url, api_key, JsonHttpClient())
    url = credentials.registration_urls(chosen, t.webhook_base_url, record.subscription, None)[0]
    try:
        created = zippex.create_webhook(url, list(events or ["*"]), "hookbridge")
    except ProviderApiError as exc:
        raise AwsFailed(f"Zippex refused the registration: {exc}", "check the API key and run again") from exc
    undo.append((f"the webhook {created['id']} at Zippex", lambda: zippex.delete_webhook(created["id"])))
    secret = {"signing_secrets": [created["secret"]], "api_key": api_key}
    return record.model_copy(update={"webhook_id": created["id"]}), secret


def _report_created(
    out: Output,
    t: Target,
    chosen: Provider,
    record: Subscription,
    secret: dict[str, Any] | None,
    receiving: bool,
) -> None:
    provider, subscription = record.provider, record.subscription
    name = secret_name(t.prefix, provider, subscription)
    urls = credentials.registration_urls(chosen, t.webhook_base_url, subscription, secret)
    awaiting = (secret or {}).get("awaiting_handshake")
    out.result(
        {
            "provider": provider,
            "subscription": subscription,
            "webhook_id": record.webhook_id,
            "urls": urls,
            "secret": name,
            "secret_stored": secret is not None,
            "awaiting_handshake_until": awaiting["until"] if awaiting else None,
            "receiving": receiving,
            # Each ingest instance lists its sender's subscriptions: a new name is served within this.
            "receiving_within_seconds": t.served_within_seconds if receiving else None,
        },
        f"created {provider}/{subscription}"
        + (f" (webhook {record.webhook_id})" if record.webhook_id else ""),
    )
    if out.as_json:
        return
    out.say("register at the provider:" if len(urls) == 1 else "register at the provider, one per type:")
    for url in urls:
        out.say(f"  {url}")
    if awaiting and chosen.confirmation is not None:
        out.say(
            f"confirming {provider}'s subscription confirmations of the allowed topics until "
            f"{awaiting['until']}: subscribe the URL before then (served within "
            f"{t.served_within_seconds:g} s)"
        )
    elif awaiting:
        out.say(
            f"awaiting its secret from {provider}'s handshake until {awaiting['until']}: create the webhook "
            f"at {provider} before then (served within {t.served_within_seconds:g} s); once learned, any "
            "other handshake is refused"
        )
    elif receiving:
        out.say(
            f"its webhooks are accepted within {t.served_within_seconds:g} s (once every instance knows it)"
        )
    else:
        out.say(
            f"no secret {name} yet: its webhooks get 404 until it exists (aws secretsmanager "
            f"create-secret --name {name} --secret-string file://secret.json)"
        )


def _undo(steps: list[tuple[str, Any]]) -> None:
    """Reverses earlier writes, newest first. What cannot be undone is said, not hidden."""
    for what, step in reversed(steps):
        try:
            step()
        except Exception as exc:  # the original failure is the one reported; this one is added to it
            sys.stderr.write(f"could not undo {what} ({type(exc).__name__}): remove it by hand\n")


@app.command("delete")
def delete(
    provider: str,
    subscription: str,
    delete_secret: Annotated[
        bool, typer.Option(help="Also schedule the secret's deletion (stops ingest: webhooks get 404).")
    ] = False,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Remove a subscription's record (and, if asked, its secret)."""
    options.provider(provider)
    options.subscription(subscription)
    t = resolve(local, stack, aws_port)
    registry = SubscriptionRegistry(t.client("dynamodb"), t.subscriptions_table)
    name = secret_name(t.prefix, provider, subscription)
    try:
        registry.get(provider, subscription)
    except SubscriptionNotFound as exc:
        raise Refused(
            f"no subscription {provider}/{subscription}", "see `hookbridge subscriptions list`"
        ) from exc
    if delete_secret and not secret_exists(t, name):
        raise Refused(f"no secret {name} to delete", "run the command without --delete-secret")
    sm = t.client("secretsmanager")
    if delete_secret:
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    try:
        registry.delete(provider, subscription)
    except BaseException:
        if delete_secret:
            _undo([(f"the deletion of {name}", lambda: sm.restore_secret(SecretId=name))])
        raise
    Output(as_json).result(
        {
            "provider": provider,
            "subscription": subscription,
            "deleted": True,
            "secret_deleted": delete_secret,
            # Each ingest instance lists its sender's subscriptions again within this: then 404.
            "refused_within_seconds": t.refused_within_seconds if delete_secret else None,
        },
        f"deleted {provider}/{subscription}"
        + (
            f"; secret {name} scheduled for deletion in 7 days (restore-secret undoes it); its webhooks "
            f"get 404 within {t.refused_within_seconds:g} s"
            if delete_secret
            else "; its secret stays, so its webhooks are still accepted (--delete-secret stops them)"
        ),
    )


@app.command("rotate")
def rotate(
    provider: str,
    subscription: str,
    kind: Annotated[
        credentials.KindOption | None,
        typer.Option(
            help="Which credential: signing_secrets, tokens, basic_auth (username:password), public_keys "
            "or api_key. Default: the one kind the secret holds."
        ),
    ] = None,
    drop_old: Annotated[
        bool, typer.Option(help="Step 2: keep only the newest value (once the provider sends with it).")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Show the resulting secret's shape; change nothing.")] = False,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Rotate a credential in two steps: add the new value in front (old and new both verify), then
    --drop-old. The new value is read from stdin or a hidden prompt, never from the command line."""
    chosen = options.provider(provider)
    options.subscription(subscription)
    piped = None if sys.stdin.isatty() else sys.stdin.read()
    if drop_old and piped and piped.strip():
        raise Usage(
            "--drop-old takes no new value, but one was piped in",
            f"add it first: hookbridge subscriptions rotate {provider} {subscription} (without --drop-old)",
        )
    t = resolve(local, stack, aws_port)
    current = read_secret(t, provider, subscription)
    which = credentials.choose_kind(chosen, current, None if kind is None else kind.value)
    new = None
    if not drop_old:
        text = piped if piped is not None else typer.prompt(f"new {which} value", hide_input=True, default="")
        new = credentials.parse_value(which, text)
    rotation = credentials.rotate(current, which, new, drop_old)
    name = secret_name(t.prefix, provider, subscription)
    if rotation.changed and not dry_run:
        t.client("secretsmanager").put_secret_value(SecretId=name, SecretString=json.dumps(rotation.secret))
    out = Output(as_json)
    record = {
        "provider": provider,
        "subscription": subscription,
        "kind": which,
        "changed": rotation.changed and not dry_run,
        "dry_run": dry_run,
        "secret": rotation.shape,
    }
    prefix = "dry run, nothing changed: " if dry_run else ""
    out.result(record, f"{prefix}{provider}/{subscription}: {rotation.summary}")
    if not as_json:
        out.say(f"resulting secret: {json.dumps(rotation.shape)}")
        if rotation.changed and not dry_run:
            out.say("ingest picks it up within 5 minutes (at once for a request that needs the new value)")
            if not drop_old and which != "api_key":
                out.say(
                    "once the provider sends with the new value: "
                    f"hookbridge subscriptions rotate {provider} {subscription} --kind {which} --drop-old"
                )
