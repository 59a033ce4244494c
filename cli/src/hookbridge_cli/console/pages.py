"""The console's pages and the two small JSON answers their scripts poll. Each reads through the modules
the other commands use; each changing action is a POST answered with a redirect (post/redirect/get), so a
reload never repeats it. Pages work without JavaScript; with it, the live page and the last events fill in
as they come."""

from __future__ import annotations

import base64
import binascii
import json
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hookbridge.health.checker import LastEventFinder
from hookbridge.model import StoredEvent
from hookbridge.publishing.dead_letters import DeadLetterQueue
from hookbridge.publishing.publisher import Publisher
from hookbridge_cli import options, records, stored
from hookbridge_cli.commands import dlq, health
from hookbridge_cli.console.access import CSRF_FIELD, Access, AccessMiddleware
from hookbridge_cli.console.live import Live
from hookbridge_cli.errors import Usage, report
from hookbridge_cli.target import Target

HERE = Path(__file__).parent
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
LIST_DAYS = 7  # the event list's window when no --since is given; the page links further back
FIND_DAYS = 30  # how far back an event is looked for by its id alone
LAST_EVENT_DAYS = 3  # a silent subscription costs a query per shard and day of it
# Exit codes (errors.report) as HTTP statuses: refused is mostly "not found", usage a bad parameter.
STATUS = {1: 404, 2: 400, 3: 502, 4: 500}

Handler = Callable[[Request], Awaitable[Response]]


class Console:
    def __init__(self, t: Target, access: Access, where: str, live: Live) -> None:
        self.t, self.access, self.where, self.live = t, access, where, live
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(), auto_reload=False
        )

    def render(self, request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.templates.get_template(name).render(
            where=self.where, csrf=self.access.csrf, csrf_field=CSRF_FIELD, path=request.url.path, **values
        )
        return HTMLResponse(html, status_code=status)

    def failed(self, request: Request, exc: BaseException) -> Response:
        code, line = report(exc)
        if code == 4:  # a bug: its traceback on the console's terminal, as --debug would show it
            traceback.print_exception(exc)
        return self.render(request, "error.html", status=STATUS.get(code, 500), line=line)

    # --- pages -----------------------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        rows = records.rows(self.t)
        depth = DeadLetterQueue(self.t.client("sqs"), self.t.dead_letter_queue_url).depth()
        return self.render(
            request,
            "home.html",
            rows=rows,
            depth=depth,
            last_event_days=LAST_EVENT_DAYS,
            checked=_numbers(request, "checked", "unhealthy"),
        )

    def last_event(self, request: Request) -> Response:
        provider, subscription = _subscription(request)
        finder = LastEventFinder(self.t.client("dynamodb"), self.t.events_table, self.t.index_shards)
        at = finder.last_event_at(provider, subscription, datetime.now(UTC), timedelta(days=LAST_EVENT_DAYS))
        shown = at.isoformat(timespec="milliseconds").replace("+00:00", "Z") if at else None
        return JSONResponse({"last_event_at": shown})

    def check(self, request: Request, form: dict[str, str]) -> Response:
        result = health.check_now(self.t)
        return _redirect("/", checked=result["checked"], unhealthy=result["unhealthy"])

    def events(self, request: Request) -> Response:
        provider, subscription = _subscription(request)
        q = request.query_params
        now = datetime.now(UTC)
        since = options.when(q.get("since") or None, now - timedelta(days=LIST_DAYS), "since")
        until = options.when(q.get("until") or None, now, "until")
        if since > until:
            raise Usage("since is after until", "swap them, or leave one empty")
        if wanted := (q.get("id") or "").strip():
            start = since if q.get("since") else now - timedelta(days=FIND_DAYS)
            key = stored.find_by_id(self.t, provider, subscription, wanted, start, until)
            at = stored.item(self.t, key)["received_at"]["S"]
            # The id as given (an id, or a key with its "#"s), as one path segment.
            return _redirect(f"/events/{provider}/{subscription}/{quote(wanted, safe='')}", at=at)
        event_type = (q.get("type") or "").strip() or None
        before = _cursor(q.get("cursor"))
        limit = _limit(q.get("limit"))
        page, following = stored.newest(
            self.t, provider, subscription, since, until, limit, event_type=event_type, before=before
        )
        if not page and before is None:
            records.require_subscription(self.t, provider, subscription)
        filters = {k: q[k] for k in ("type", "since", "until", "limit") if q.get(k)}
        return self.render(
            request,
            "events.html",
            provider=provider,
            subscription=subscription,
            page=[_listed(i) for i in page],
            filters=filters,
            since=since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            until=until.strftime("%Y-%m-%dT%H:%M:%SZ"),
            earlier=urlencode({**filters, "since": (since - timedelta(days=FIND_DAYS)).strftime("%Y-%m-%d")}),
            following=urlencode({**filters, "cursor": _encode(following)}) if following else None,
            paged=before is not None,
        )

    def event(self, request: Request) -> Response:
        provider, subscription = _subscription(request)
        event_id = request.path_params["id"]
        key, item = self._find(request, provider, subscription, event_id)
        webhook = StoredEvent.from_stream_image(item)
        shown = stored.shown(self.t, key, item)
        raw = stored.body(self.t, item)
        bus = [
            {
                "source": e.entry["Source"],
                "detail_type": e.entry["DetailType"],
                "detail": json.dumps(json.loads(e.entry["Detail"]), indent=2),
            }
            for e in stored.envelopes(self.t, key, item)
        ]
        return self.render(
            request,
            "event.html",
            provider=provider,
            subscription=subscription,
            event_id=event_id,
            event_type=webhook.event_type,
            at=webhook.received_at,
            key=key,
            metadata=shown.get("metadata", {}),
            body=_body(raw, webhook),
            bus=bus,
            replayed=_numbers(request, "replayed", "failed"),
        )

    def replay(self, request: Request, form: dict[str, str]) -> Response:
        provider, subscription = _subscription(request)
        event_id = request.path_params["id"]
        key, item = self._find(request, provider, subscription, event_id, form.get("at"))
        envelopes = stored.envelopes(self.t, key, item)
        failed = Publisher(self.t.client("events")).publish(envelopes)
        return _redirect(
            f"/events/{provider}/{subscription}/{quote(event_id, safe='')}",
            at=item["received_at"]["S"],
            replayed=len(envelopes) - len(failed),
            failed=len(failed),
        )

    def dead_letters(self, request: Request) -> Response:
        depth, letters = dlq.dead_letters(self.t)
        return self.render(
            request,
            "dead_letters.html",
            depth=depth,
            letters=letters,
            redrove=_numbers(request, "redriven", "kept", "held"),
        )

    def redrive(self, request: Request, form: dict[str, str]) -> Response:
        done, kept, held = dlq.redrive_all(self.t)
        return _redirect("/dead-letters", redriven=done, kept=kept, held=held)

    def live_page(self, request: Request) -> Response:
        self.live.start()
        return self.render(
            request, "live.html", seen=list(reversed(self.live.after(0))), tap=self.live.name, live=self.live
        )

    def live_events(self, request: Request) -> Response:
        self.live.start()
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            after = 0
        return JSONResponse(
            {
                "error": self.live.error,
                "events": [
                    {"number": s.number, "arrived_at": s.arrived_at, **_on_bus(s.event)}
                    for s in self.live.after(after)
                ],
            }
        )

    # --- helpers ---------------------------------------------------------------------------------------

    def _find(
        self, request: Request, provider: str, subscription: str, event_id: str, at: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The stored event with this id: looked for around ``at`` (the list's links carry it), else over
        the last FIND_DAYS days."""
        now = datetime.now(UTC)
        at = at or request.query_params.get("at")
        if at:
            when = options.when(at, now, "at")
            start, end = when - timedelta(seconds=1), when + timedelta(seconds=1)
        else:
            start, end = now - timedelta(days=FIND_DAYS), now
        key = stored.find_by_id(self.t, provider, subscription, event_id, start, end)
        return key, stored.item(self.t, key)

    def app(self) -> Starlette:
        def page(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
            def answer(request: Request) -> Response:
                try:
                    return handler(request)
                except Exception as exc:
                    return self.failed(request, exc)

            return answer

        def action(handler: Callable[[Request, dict[str, str]], Response]) -> Handler:
            """A changing request: same-origin and carrying the page's CSRF token; run off the event loop."""

            async def answer(request: Request) -> Response:
                if not self.access.same_origin(request):
                    return PlainTextResponse("403: a cross-site request; use the console's own page", 403)
                form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
                if not self.access.csrf_matches(form.get(CSRF_FIELD)):
                    return PlainTextResponse(
                        "403: the form's token is missing or stale; reload the page", 403
                    )
                return await run_in_threadpool(page(lambda r: handler(r, form)), request)

            return answer

        routes = [
            Route("/", page(self.home)),
            Route("/health/check", action(self.check), methods=["POST"]),
            Route("/api/last-event/{provider}/{subscription}", page(self.last_event)),
            Route("/events/{provider}/{subscription}", page(self.events)),
            Route("/events/{provider}/{subscription}/{id}", page(self.event)),
            Route("/events/{provider}/{subscription}/{id}/replay", action(self.replay), methods=["POST"]),
            Route("/dead-letters", page(self.dead_letters)),
            Route("/dead-letters/redrive", action(self.redrive), methods=["POST"]),
            Route("/live", page(self.live_page)),
            Route("/api/live", page(self.live_events)),
            Route("/favicon.ico", lambda request: RedirectResponse("/static/favicon.svg", status_code=301)),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        return Starlette(
            routes=routes,
            middleware=[Middleware(AccessMiddleware, access=self.access), Middleware(Headers)],
        )


class Headers:
    """What every answer carries: no caching, no framing, scripts and styles only from the console."""

    POLICY = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] += [
                    (b"content-security-policy", self.POLICY.encode()),
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                    # Not no-referrer: with it, a browser sends "Origin: null" on the console's own forms.
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def _subscription(request: Request) -> tuple[str, str]:
    provider = request.path_params["provider"]
    subscription = request.path_params["subscription"]
    options.provider(provider)
    options.subscription(subscription)
    return provider, subscription


def _redirect(path: str, **query: object) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode(query)}" if query else path, status_code=303)


def _numbers(request: Request, *names: str) -> dict[str, int] | None:
    """The outcome a redirect after an action carries, when it does."""
    try:
        return {name: int(request.query_params[name]) for name in names}
    except (KeyError, ValueError):
        return None


def _limit(value: str | None) -> int:
    if not value:
        return PAGE_SIZE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise Usage(f"limit {value!r} is not a page size", f"use 1 to {MAX_PAGE_SIZE}")
    return int(value)


def _encode(cursor: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(cursor)).encode()).decode().rstrip("=")


def _cursor(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    try:
        received_at, key = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise Usage("the page's cursor is damaged", "go back to the newest events") from exc
    if not isinstance(received_at, str) or not isinstance(key, str):
        raise Usage("the page's cursor is damaged", "go back to the newest events")
    return received_at, key


def _listed(index_item: dict[str, Any]) -> dict[str, Any]:
    return {
        "received_at": index_item["received_at"]["S"],
        "event_type": index_item["event_type"]["S"],
        "event_id": index_item.get("event_id", {}).get("S"),
        "subject": index_item.get("subject", {}).get("S"),
        "id": index_item["id"]["S"],
        "recognized": index_item.get("recognized", {}).get("BOOL", True),
    }


def _body(raw: bytes, webhook: StoredEvent) -> dict[str, Any]:
    """The body as received, for reading: JSON indented, a form's fields, text, or base64 for bytes."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode(), "size": len(raw)}
    if webhook.form:  # form-encoded: its fields, whichever one carries the payload
        return {"form": parse_qsl(text, keep_blank_values=True), "size": len(raw)}
    try:
        return {"json": json.dumps(json.loads(text), indent=2, ensure_ascii=False), "size": len(raw)}
    except ValueError:
        return {"text": text, "size": len(raw)}


def _on_bus(event: dict[str, Any]) -> dict[str, Any]:
    meta = event.get("detail", {}).get("metadata", {})
    return {
        "source": event.get("source"),
        "detail_type": event.get("detail-type"),
        "provider": meta.get("provider"),
        "subscription": meta.get("subscription"),
        "id": meta.get("id"),
        "batch_id": meta.get("batch_id"),
        "received_at": meta.get("received_at"),
        "detail": json.dumps(event.get("detail", {}), indent=2),
    }
