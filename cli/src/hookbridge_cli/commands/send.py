"""`hookbridge send`: a sample event, signed or authenticated as its provider does, posted to the stack."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer

from hookbridge.model import Provider
from hookbridge.samples import DEMO_SUBSCRIPTION
from hookbridge.subscription import SubscriptionSecret
from hookbridge_cli import credentials, options
from hookbridge_cli.errors import AwsFailed, Refused, Usage
from hookbridge_cli.output import Output
from hookbridge_cli.paths import EVENTS
from hookbridge_cli.records import read_secret
from hookbridge_cli.samples import SignedRequest, sample_names, signed_request
from hookbridge_cli.target import require_received, resolve, use_local


def send(
    provider: Annotated[str, typer.Argument(help="A provider, as `hookbridge subscriptions list` names it.")],
    event_type: Annotated[str, typer.Argument(help="A sample in events/<provider>/.")],
    subscription: Annotated[str, typer.Option(help="The subscription to send to.")] = DEMO_SUBSCRIPTION,
    url: Annotated[
        str | None, typer.Option(help="Webhook base URL (default: the stack's WebhookBaseUrl).")
    ] = None,
    secret_file: Annotated[
        Path | None, typer.Option(help="Sign with this secret JSON instead of the stored one.")
    ] = None,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Build a sample event, sign or authenticate it as the provider does, post it, print the answer (a
    handshake sample, e.g. `slack url_verification`, prints the answer the sender would check). Exit 0 when
    the stack accepted it (2xx), 1 when it refused it."""
    chosen = options.provider(provider)
    options.subscription(subscription)
    sample = _sample(provider, event_type)
    if url is not None and not url.startswith(("http://", "https://")):
        raise Usage(f"--url {url!r} is not an http(s) URL", "give the stack's WebhookBaseUrl")
    secret_value = credentials.read_secret_file(secret_file) if secret_file is not None else None
    if secret_value is None or url is None:
        t = resolve(local, stack, aws_port)
        require_received(t, provider)
        base = url or t.webhook_base_url
        secret_value = secret_value or read_secret(t, provider, subscription)
    else:
        if local:
            use_local(aws_port)
        base = url
    signed = _sign(sample, chosen, secret_value, subscription, base)
    status, answer = _post(signed, local)
    try:
        parsed: Any = json.loads(answer)
    except ValueError:
        parsed = answer
    out = Output(as_json)
    out.result(
        {
            "provider": provider,
            "subscription": subscription,
            "event_type": event_type,
            "url": signed.where,
            "status_code": status,
            "response": parsed,
        },
        f"{status} {answer}" if answer else f"{status} (no body)",
    )
    # Any 2xx is the sender's success: Discord's events are answered 204, a handshake with its answer.
    if not 200 <= status < 300:
        raise Refused(f"the stack answered {status}", _advice(status))
    if isinstance(parsed, dict) and parsed.get("id"):
        where_flag = " --local" if local else ""
        out.note(f"see it: hookbridge events show {provider} {subscription} {parsed['id']}{where_flag}")


def _sample(provider: str, event_type: str) -> Path:
    sample = EVENTS / provider / f"{event_type}.json"
    if not sample.is_file():
        raise Usage(
            f"no sample {event_type!r} for {provider}", f"use one of {', '.join(sample_names(provider))}"
        )
    return sample


def _sign(
    sample: Path, provider: Provider, secret_value: dict[str, Any], subscription: str, base: str
) -> SignedRequest:
    try:
        secret = SubscriptionSecret.model_validate(secret_value)
        return signed_request(json.loads(sample.read_text()), provider, secret, subscription, base)
    except Exception as exc:  # a secret that cannot sign this provider's requests
        # Not chained: the cause (a ValidationError, a signing error) can carry the secret's values.
        raise Refused(
            f"cannot sign a {provider.name} request with that secret ({type(exc).__name__})",
            "check the secret holds what the sender's page in docs/senders/ lists",
        ) from None


def _post(signed: SignedRequest, local: bool) -> tuple[int, str]:
    """The stack's answer: its status and body, whatever the status."""
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked by send
        signed.url, data=signed.body or None, method=signed.method, headers=signed.headers
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - http(s) only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        hint = "is `hookbridge dev` running?" if local else "check --url and your network"
        raise AwsFailed(f"could not reach {signed.where}: {reason}", hint) from exc


def _advice(status: int) -> str:
    if status == 401:
        return "the secret does not match the subscription's: check --secret-file or rotate the secret"
    if status == 403:
        return "the verify token is not the subscription's: check the secret's verify_token"
    if status == 404:
        return "no such subscription or route: check the provider, --subscription and --url"
    if status == 503:
        return "the stack could not reach DynamoDB or Secrets Manager; it is safe to send again"
    return "see docs/architecture.md for what each answer means"
