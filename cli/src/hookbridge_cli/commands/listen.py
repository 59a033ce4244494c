"""`hookbridge listen --forward-to URL`: every event that reaches the bus from now on, sent to a local app
as its sender sent it (the stored raw body), signed with Standard Webhooks headers under a secret this
command prints. What it creates to listen (a rule and a queue, see bus_tap) is removed when it ends: on
exit, Ctrl-C or SIGTERM; after a crash, by the next `listen` or `verify` once its expiry has passed."""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from hookbridge.model import StoredEvent
from hookbridge_cli import bus_tap, forwarding, options, stored
from hookbridge_cli.errors import CliError, Interrupted, Usage, stop_on_signals
from hookbridge_cli.output import Output
from hookbridge_cli.target import Target, require_received, resolve

LEASE_SECONDS = 600  # a tap's expiry is this far ahead; a longer listen renews it before then
_SEEN = 10_000  # bus event ids remembered (a renewal's overlap delivers an event to both queues)


def listen(
    forward_to: Annotated[
        str,
        typer.Option(
            "--forward-to", help="Where to POST each event, e.g. localhost:4242/webhook (http:// implied)."
        ),
    ],
    provider: Annotated[
        list[str] | None, typer.Option("--provider", help="Only this sender's events (repeat).")
    ] = None,
    subscription: Annotated[
        list[str] | None, typer.Option("--subscription", help="Only this subscription's events (repeat).")
    ] = None,
    event_type: Annotated[
        list[str] | None, typer.Option("--event-type", help="Only events of this type (repeat).")
    ] = None,
    retries: Annotated[
        int,
        typer.Option(help="Retries of an answer that is not 2xx (waits 0.5 s, 1 s, 2 s, ...).", min=0, max=8),
    ] = 3,
    secret_env: Annotated[
        str | None,
        typer.Option(help="Sign with the whsec_ secret in this variable (default: a new one, printed)."),
    ] = None,
    lease: Annotated[int, typer.Option(hidden=True, min=2)] = LEASE_SECONDS,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Forward every event that reaches the bus from now on to a local URL, signed (Standard Webhooks),
    printing each answer. Ctrl-C stops and removes what it created."""
    url = _url(forward_to)
    providers = tuple(options.provider(p).name for p in provider or ())
    subscriptions = tuple(options.subscription(s) for s in subscription or ())
    secret = _secret(secret_env)
    out = Output(as_json)
    t = resolve(local, stack, aws_port)
    for name in providers:
        require_received(t, name)
    for swept in bus_tap.sweep(t):
        out.note(f"removed {swept}, left by a listen or verify that did not end cleanly")
    pattern = bus_tap.event_pattern(t.prefix, providers, subscriptions, tuple(event_type or ()))
    stop_on_signals()
    listener = _Listener(t, out, url, secret, retries, lease, pattern)
    interrupted = False
    try:
        listener.run()
    except KeyboardInterrupt:
        interrupted = True
    finally:  # also when listening failed: what it made is removed, or said to be left
        left = listener.close()
        if left and not interrupted:
            out.note(f"could not remove {', '.join(left)}: the next `hookbridge listen` removes them")
    if interrupted and left:
        raise Interrupted(
            f"interrupted; could not remove {', '.join(left)}",
            "the next `hookbridge listen` removes them once they expire",
        )
    if interrupted:
        raise Interrupted(
            f"interrupted; removed the rule and queue {listener.name}"
            if listener.name
            else "interrupted before listening; nothing was left"
        )


def _url(forward_to: str) -> str:
    """The URL, with http:// when no scheme is given (as `stripe listen --forward-to` takes it)."""
    url = forward_to if "://" in forward_to else f"http://{forward_to}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Usage(f"--forward-to {forward_to!r} is not an http(s) URL", "e.g. localhost:4242/webhook")
    return url


def _secret(variable: str | None) -> str:
    if variable is None:
        return forwarding.new_secret()
    value = os.environ.get(variable, "")
    try:
        forwarding.signature_headers(value, "check", b"", 0)
    except ValueError:
        value = ""
    if not value.startswith(forwarding.SECRET_PREFIX) or len(value) <= len(forwarding.SECRET_PREFIX):
        raise Usage(f"${variable} holds no whsec_ secret", f"export {variable}=whsec_<base64>, or omit it")
    return value


class _Listener:
    def __init__(
        self, t: Target, out: Output, url: str, secret: str, retries: int, lease: int, pattern: dict[str, Any]
    ) -> None:
        self.t, self.out, self.url, self.secret = t, out, url, secret
        self.delays = forwarding.retry_delays(retries)
        self.lease, self.pattern = lease, pattern
        # Renewed this long before its expiry, so a sweeper never finds it expired.
        self.margin = min(60.0, lease / 4)
        self.tap: bus_tap.Tap | None = None
        self.name = ""
        self.seen: OrderedDict[str, None] = OrderedDict()

    def _open(self) -> bus_tap.Tap:
        expiry = datetime.now(UTC) + timedelta(seconds=self.lease)
        tap = bus_tap.open_tap(self.t, "listen", expiry, self.pattern)
        self.name = tap.name
        return tap

    def run(self) -> None:
        self.tap = self._open()
        self.out.result(
            {
                "listening": True,
                "forward_to": self.url,
                "secret": self.secret,
                "tap": self.tap.name,
                "pattern": self.pattern,
            },
            f"Ready: forwarding the bus's events to {self.url}\n"
            f"Signing secret {self.secret} (Standard Webhooks: webhook-id, webhook-timestamp, "
            "webhook-signature). Ctrl-C stops.",
        )
        while True:
            left = self.tap.expiry.timestamp() - self.margin - time.time()
            if left <= 0:
                self._renew()
                continue
            for event, receipt in bus_tap.receive(self.t, self.tap, int(min(10, max(1, left)))):
                self._handle(event)
                bus_tap.done(self.t, self.tap, receipt)

    def _renew(self) -> None:
        """A new tap before the old one expires; the old one's rule removed, its queue drained, removed."""
        assert self.tap is not None
        old, self.tap = self.tap, self._open()
        left = bus_tap.remove_rule(self.t, old.bus, old.name)
        while received := bus_tap.receive(self.t, old, 0):
            for event, receipt in received:
                self._handle(event)
                bus_tap.done(self.t, old, receipt)
        left += bus_tap.remove_queue(self.t, old.queue_url, old.name)
        for what in left:
            self.out.note(f"could not remove {what}: the next `hookbridge listen` removes it")

    def close(self) -> list[str]:
        tap, self.tap = self.tap, None
        return bus_tap.close_tap(self.t, tap) if tap is not None else []

    def _first_time(self, key: str) -> bool:
        if key in self.seen:
            return False
        self.seen[key] = None
        if len(self.seen) > _SEEN:
            self.seen.popitem(last=False)
        return True

    def _handle(self, event: dict[str, Any]) -> None:
        meta = event.get("detail", {}).get("metadata", {})
        if not self._first_time(str(event.get("id"))):
            return
        # A batch is one webhook: forwarded once, for its first element on the bus.
        stored_id = meta.get("batch_id") or meta.get("id", "")
        if meta.get("batch_id") and not self._first_time(f"batch:{stored_id}"):
            return
        where = f"{meta.get('provider')}/{meta.get('subscription')}"
        try:
            item, webhook = self._stored(meta, stored_id)
            body = stored.body(self.t, item)
        except (CliError, KeyError, ValueError) as exc:
            self._say_skipped(where, stored_id, exc)
            return
        headers = {
            "content-type": forwarding.content_type(webhook),
            "user-agent": "hookbridge-listen",
            "hookbridge-provider": webhook.provider,
            "hookbridge-subscription": webhook.subscription,
            "hookbridge-event-type": webhook.event_type,
        }

        def report(attempt: forwarding.Attempt, wait: float | None) -> None:
            self._say_attempt(where, webhook, attempt, wait)

        forwarding.forward(self.url, body, headers, self.secret, webhook.id, self.delays, report)

    def _stored(self, meta: dict[str, Any], stored_id: str) -> tuple[dict[str, Any], StoredEvent]:
        received = datetime.fromisoformat(str(meta["received_at"]).replace("Z", "+00:00"))
        key = stored.find_by_id(
            self.t,
            meta["provider"],
            meta["subscription"],
            stored_id,
            received - timedelta(seconds=1),
            received + timedelta(seconds=1),
        )
        item = stored.item(self.t, key)
        return item, StoredEvent.from_stream_image(item)

    def _say_attempt(
        self, where: str, webhook: StoredEvent, attempt: forwarding.Attempt, wait: float | None
    ) -> None:
        gave_up = not attempt.delivered and wait is None
        if self.out.as_json:
            self.out.json(
                {
                    "provider": webhook.provider,
                    "subscription": webhook.subscription,
                    "event_type": webhook.event_type,
                    "id": webhook.id,
                    "attempt": attempt.number,
                    "status": attempt.status,
                    "error": attempt.error,
                    "ms": round(attempt.milliseconds, 1),
                    "delivered": attempt.delivered,
                    "retry_in": wait,
                    "gave_up": gave_up,
                }
            )
            return
        line = (
            f"{datetime.now(UTC):%H:%M:%S} {where} {webhook.event_type} {webhook.id} -> "
            f"{attempt.answer} in {attempt.milliseconds:.0f} ms"
        )
        if wait is not None:
            line += f"; retry {attempt.number} of {len(self.delays)} in {wait:g} s"
        elif gave_up:
            line += f"; gave up after {attempt.number} attempt(s)"
        self.out.say(line)

    def _say_skipped(self, where: str, stored_id: str, exc: Exception) -> None:
        why = exc.line() if isinstance(exc, CliError) else f"{type(exc).__name__}: {exc}"
        if self.out.as_json:
            self.out.json({"id": stored_id, "skipped": True, "error": why})
        else:
            self.out.say(f"{datetime.now(UTC):%H:%M:%S} {where} {stored_id}: not forwarded ({why})")
