"""`hookbridge verify`: after `sam deploy` (or against `hookbridge dev`), proves each deployed sender's route
end to end. For each sender: a throwaway subscription (a secret of its own, random), a genuine signed sample
posted through the public URL and accepted, a forged one (signed with another secret) refused, and the
genuine one seen on the bus (through a temporary rule and queue, see bus_tap). Everything it made (secrets,
stored events, rule, queue) is removed in a finally, whether the checks pass, fail or are interrupted."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from hookbridge import providers
from hookbridge.model import StoredEvent
from hookbridge.publishing.publisher import claim_keys
from hookbridge.samples import example_secret
from hookbridge.subscription import SubscriptionSecret, secret_name
from hookbridge_cli import bus_tap, options, stored
from hookbridge_cli.errors import Interrupted, Refused, Usage, stop_on_signals
from hookbridge_cli.output import Output
from hookbridge_cli.samples import demo_secret, is_stored, load_event, sample_names, signed_request
from hookbridge_cli.target import Target, require_received, resolve

# Far longer than a run. Its subscription, rule and queue carry this expiry in their names: a verify
# that was killed leaves them, and the next verify removes them once it has passed.
LIFETIME_SECONDS = 1800
REFUSED = (401, 403)


@dataclass
class Check:
    provider: str
    genuine: int | None = None  # the answers' statuses (None: not sent, or no answer)
    forged: int | None = None
    on_bus_seconds: float | None = None
    problem: str | None = None
    sent_at: float = field(default=0.0, repr=False)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def row(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "ok": self.ok,
            "genuine": self.genuine,
            "forged": self.forged,
            "on_bus_seconds": self.on_bus_seconds,
            "problem": self.problem,
        }

    def line(self) -> str:
        if not self.ok:
            return f"FAIL {self.provider}: {self.problem}"
        return (
            f"ok   {self.provider}: genuine {self.genuine}, forged {self.forged}, "
            f"on the bus in {self.on_bus_seconds:.1f} s"
        )


def verify(
    provider: Annotated[
        list[str] | None, typer.Option("--provider", help="Only this sender (repeat; default: every one).")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="The public webhook base URL (default: the stack's WebhookBaseUrl).")
    ] = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the genuine events on the bus.", min=1)
    ] = 30,
    lifetime: Annotated[int, typer.Option(hidden=True, min=1)] = LIFETIME_SECONDS,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Prove each deployed sender: genuine accepted, forged refused, genuine on the bus; everything made
    removed. One line per sender; exit 1 if any failed."""
    chosen = tuple(options.provider(p).name for p in provider or ())
    if url is not None and not url.startswith(("http://", "https://")):
        raise Usage(f"--url {url!r} is not an http(s) URL", "give the stack's WebhookBaseUrl")
    out = Output(as_json)
    t = resolve(local, stack, aws_port)
    for name in chosen:
        require_received(t, name)
    senders = chosen or t.providers
    for swept in bus_tap.sweep(t) + _sweep_subscriptions(t):
        out.note(f"removed {swept}, left by a listen or verify that did not end cleanly")
    expiry = datetime.now(UTC) + timedelta(seconds=lifetime)
    subscription = bus_tap.tap_name(t.prefix, "verify", expiry).removeprefix(f"{t.prefix}-")
    run = _Run(t, url or t.webhook_base_url, subscription, senders, expiry)
    # Ctrl-C or SIGTERM: what was made is removed below, then the command ends with 130 and one line.
    stop_on_signals()
    try:
        checks = run.checks(wait)
    except KeyboardInterrupt:
        left = run.clean_up()
        if left:
            raise Interrupted(
                f"interrupted; could not remove {', '.join(left)}", "remove them by hand (see the README)"
            ) from None
        raise Interrupted("interrupted; removed everything verify had made") from None
    except BaseException:
        for what in run.clean_up():  # the original failure is the one reported; this is added to it
            out.note(f"could not remove {what}: remove it by hand")
        raise
    left = run.clean_up()
    for check in checks:
        out.result(check.row(), check.line())
    if left:
        raise Refused(f"could not remove {', '.join(left)}", "remove them by hand (see the README)")
    failed = [c.provider for c in checks if not c.ok]
    if failed:
        raise Refused(
            f"{len(failed)} of {len(checks)} sender(s) failed verification: {', '.join(failed)}",
            "see the lines above",
        )
    out.note(f"all {len(checks)} sender(s) verified; nothing left behind")


class _Run:
    def __init__(
        self, t: Target, base_url: str, subscription: str, senders: tuple[str, ...], expiry: datetime
    ) -> None:
        self.t, self.base_url, self.subscription, self.senders = t, base_url, subscription, senders
        self.started, self.expiry = datetime.now(UTC), expiry
        self.tap: bus_tap.Tap | None = None
        self.secrets: list[str] = []

    def checks(self, wait: float) -> list[Check]:
        pattern = bus_tap.event_pattern(self.t.prefix, self.senders, (self.subscription,))
        self.tap = bus_tap.open_tap(self.t, "verify", self.expiry, pattern)
        genuine, forged = {}, {}
        sm = self.t.client("secretsmanager")
        for sender in self.senders:
            genuine[sender], forged[sender] = _secrets(sender)
            name = secret_name(self.t.prefix, sender, self.subscription)
            sm.create_secret(Name=name, SecretString=json.dumps(genuine[sender]))
            self.secrets.append(name)
        # A new subscription is served once each ingest instance lists its sender's subscriptions again.
        served_by = time.monotonic() + self.t.served_within_seconds + 5
        checks = [self._send(sender, genuine[sender], forged[sender], served_by) for sender in self.senders]
        self._watch_bus(checks, wait)
        return checks

    def _send(self, sender: str, genuine: dict[str, Any], forged: dict[str, Any], served_by: float) -> Check:
        check = Check(sender)
        sample = _sample(sender)
        check.sent_at = time.monotonic()
        while True:
            check.genuine, answer = _post(self._signed(sender, sample, genuine))
            if check.genuine != 404 or time.monotonic() > served_by:
                break
            time.sleep(0.5)
        if check.genuine is None or not 200 <= check.genuine < 300:
            check.problem = f"the genuine request was not accepted ({check.genuine or answer})"
            return check
        check.forged, answer = _post(self._signed(sender, sample, forged))
        if check.forged not in REFUSED:
            check.problem = (
                f"the forged request was ACCEPTED ({check.forged})"
                if check.forged is not None and 200 <= check.forged < 300
                else f"the forged request got {check.forged or answer}, not 401/403"
            )
        return check

    def _signed(self, sender: str, sample: dict[str, Any], secret: dict[str, Any]) -> Any:
        loaded = providers.load(sender)
        return signed_request(
            sample, loaded, SubscriptionSecret.model_validate(secret), self.subscription, self.base_url
        )

    def _watch_bus(self, checks: list[Check], wait: float) -> None:
        assert self.tap is not None
        waiting = {c.provider: c for c in checks if c.genuine is not None and 200 <= c.genuine < 300}
        deadline = time.monotonic() + wait
        while waiting and time.monotonic() < deadline:
            left = int(max(1, min(5, deadline - time.monotonic())))
            for event, receipt in bus_tap.receive(self.t, self.tap, left):
                meta = event.get("detail", {}).get("metadata", {})
                if meta.get("subscription") == self.subscription and meta.get("provider") in waiting:
                    check = waiting.pop(meta["provider"])
                    check.on_bus_seconds = round(time.monotonic() - check.sent_at, 2)
                bus_tap.done(self.t, self.tap, receipt)
        for check in waiting.values():
            check.problem = (
                check.problem or f"the genuine request was accepted but not on the bus in {wait:g} s"
            )

    def clean_up(self) -> list[str]:
        """Removes everything this run made; what could not be removed, said."""
        left: list[str] = []
        if self.tap is not None:
            left += bus_tap.close_tap(self.t, self.tap)
        sm = self.t.client("secretsmanager")
        for name in self.secrets:
            try:
                sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
            except Exception as exc:
                left.append(f"secret {name} ({type(exc).__name__})")
        until = datetime.now(UTC) + timedelta(minutes=1)
        for sender in self.senders:
            try:
                _delete_stored(self.t, sender, self.subscription, self.started - timedelta(minutes=1), until)
            except Exception as exc:
                left.append(f"{sender}/{self.subscription}'s stored events ({type(exc).__name__})")
        return left


def _delete_stored(t: Target, sender: str, subscription: str, since: datetime, until: datetime) -> None:
    """Its stored events, and the claims their publishing made (items of their own, in no index)."""
    dynamodb = t.client("dynamodb")
    for found in stored.in_range(t, sender, subscription, since, until):
        key = found["pk"]["S"]
        for claim in claim_keys(StoredEvent.from_stream_image(stored.item(t, key))):
            dynamodb.delete_item(TableName=t.events_table, Key={"pk": {"S": claim}})
        dynamodb.delete_item(TableName=t.events_table, Key={"pk": found["pk"]})


def _sweep_subscriptions(t: Target) -> list[str]:
    """The throwaway subscriptions of a verify that was killed (their expiry passed): secrets and stored
    events removed; what was removed."""
    now = datetime.now(UTC)
    sm = t.client("secretsmanager")
    removed = []
    pages = sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [f"{t.prefix}/"]}])
    for page in pages:
        for secret in page.get("SecretList", []):
            prefix, _, rest = secret["Name"].partition("/")
            sender, _, subscription = rest.partition("/")
            expiry = bus_tap.expiry_of(f"{prefix}-{subscription}", t.prefix)
            if (
                prefix != t.prefix
                or expiry is None
                or expiry >= now
                or not subscription.startswith("verify-")
            ):
                continue
            started = expiry - timedelta(days=1)  # the longest a run's lifetime can sensibly be set to
            _delete_stored(t, sender, subscription, started, expiry + timedelta(minutes=1))
            sm.delete_secret(SecretId=secret["Name"], ForceDeleteWithoutRecovery=True)
            removed.append(f"secret {secret['Name']}")
    return removed


def _secrets(sender: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A genuine secret of the sender's layout with random values, and a forger's (other random values)."""
    definition = providers.definition(sender)
    base = demo_secret(sender)  # the layout's settings (e.g. Zonos's header names); its values replaced

    def fresh() -> dict[str, Any]:
        key = secrets.token_hex(16)
        made = {**base, **example_secret(definition, key)}
        # A sender defined in code (Zonos) has no example layout: its plain values replaced here.
        for kind in ("signing_secrets", "tokens"):
            if kind in made and made[kind] == base.get(kind):
                made[kind] = [f"{key}-{kind}"]
        if made.get("basic_auth") and made["basic_auth"] == base.get("basic_auth"):
            made["basic_auth"] = [{"username": f"u-{key}", "password": key}]
        return made

    return fresh(), fresh()


def _sample(sender: str) -> dict[str, Any]:
    """The sender's first sample that is stored and published (not a handshake)."""
    loaded = providers.load(sender)
    for name in sample_names(sender):
        event = load_event(sender, name)
        if is_stored(loaded, event):
            return event
    raise Refused(f"{sender} has no sample that is stored", "add one under events/")


def _post(signed: Any) -> tuple[int | None, str]:
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked
        signed.url, data=signed.body or None, method=signed.method, headers=signed.headers
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError) as exc:
        return None, f"no answer from {signed.where}: {getattr(exc, 'reason', exc)}"
