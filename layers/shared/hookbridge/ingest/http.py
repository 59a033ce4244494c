"""The HTTP edge: API Gateway HTTP API (payload 2.0) in, the design's status codes out.

This is the one place that maps domain errors to HTTP. Providers see a generic message. An ordinary refusal
(401, 404) writes no log line at INFO: the access log has every request's path and status, the metrics count
them and carry the latest reason (``hookbridge.ingest.tally``), and a line per forged request would be paid
per forged request. Other refusals and our failures are logged with their reason, never headers, signatures
or body.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from hookbridge.errors import Unauthorized, WebhookError
from hookbridge.ingest.pipeline import IngestPipeline
from hookbridge.ingest.tally import MetricTally
from hookbridge.metrics import Metric, refusal
from hookbridge.model import Answer, WebhookRequest

log = logging.getLogger(__name__)
# One encoder for every answer: json.dumps with separators builds a new one on each call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))
# Refusals anyone can cause by the million: counted, not logged (DEBUG logs them).
ORDINARY_REFUSALS = frozenset({401, 404})


class _OwnEventResolver(APIGatewayHttpResolver):
    """Powertools' resolver keeps the request it resolves on its BaseRouter class, shared by every resolver
    in the process (powertools-lambda-python 3.37; its fix for concurrent requests, #8452, is for the local
    ASGI resolver only). Lambda runs one invocation per process at a time, but `hookbridge dev`, `load` and
    the tests run many functions' invocations at once in one process, where a genuine webhook was answered
    with a forged one's 401 it read from another resolver. This one also keeps the request it builds on
    itself, where Powertools' routing and our route read it first (nothing on our path reads the context
    it keeps on the class)."""

    def _to_proxy_event(self, event: dict[str, Any]) -> BaseProxyEvent:
        self.current_event = cast(APIGatewayProxyEventV2, super()._to_proxy_event(event))
        return self.current_event


def create_app(pipeline: IngestPipeline, tally: MetricTally) -> APIGatewayHttpResolver:
    provider = pipeline.provider.name
    app = _OwnEventResolver()

    @app.route(pipeline.provider.route, method=sorted(pipeline.provider.methods))
    def receive(subscription: str, **path: str) -> Response[str]:
        # The raw payload 2.0 dict: the data class's wrappers cost more than all our dict reads together.
        event = app.current_event.raw_event
        context = event["requestContext"]
        result = pipeline.handle(
            WebhookRequest(
                provider=provider,
                subscription=subscription,
                headers={k.lower(): v for k, v in (event.get("headers") or {}).items()},
                query=event.get("queryStringParameters") or {},
                path=path,
                body=_raw_body(event.get("body"), bool(event.get("isBase64Encoded")), pipeline),
                received_at_ms=context["timeEpoch"],
                method=context["http"]["method"],
                raw_path=event.get("rawPath", ""),
                raw_query=event.get("rawQueryString", ""),
            )
        )
        outcome = result.outcome
        if outcome is None:  # a handshake, answered as its sender requires; nothing stored
            assert result.answer is not None
            log.info(
                "handshake answered", extra={"subscription": subscription, "handshake": result.event_type}
            )
            return _answer(result.answer)
        if outcome.status == "duplicate":
            tally.add(Metric.WEBHOOK_DUPLICATE)
        # An accepted webhook costs no line and no metric of ours: its record is the event in the table,
        # API Gateway's access log has the request, and the publisher counts accepted events per provider
        # in batches (EventsPublished). DEBUG adds a line per webhook.
        if log.isEnabledFor(logging.DEBUG):  # not even the extra dict otherwise
            log.debug(
                "webhook %s",
                outcome.status,
                extra={"subscription": subscription, "event_type": result.event_type, "id": outcome.id},
            )
        if result.answer is not None:  # the sender's own answer (Adyen's "[accepted]", Discord's 204)
            return _answer(result.answer)
        return _json(200, {"status": outcome.status, "id": outcome.id})

    @app.exception_handler(WebhookError)  # type: ignore[untyped-decorator]
    def webhook_error(exc: WebhookError) -> Response[str]:
        tally.add(refusal(exc.status), exc.status, exc.reason)
        level = (
            logging.ERROR
            if exc.status >= 500
            else logging.DEBUG
            if exc.status in ORDINARY_REFUSALS
            else logging.WARNING
        )
        if log.isEnabledFor(level):
            log.log(level, "webhook refused", extra={"status": exc.status, "reason": exc.reason})
        headers = {"Retry-After": "30"} if exc.status == 503 else None
        return _json(exc.status, {"message": exc.public_message}, headers)

    @app.exception_handler(ServiceError)  # type: ignore[untyped-decorator]
    def routing_error(exc: ServiceError) -> Response[str]:
        # Powertools' own answers (no route matches the path: 404), which the catch-all below would hide.
        tally.add(refusal(exc.status_code), exc.status_code, str(exc.msg))
        if exc.status_code != 404:  # WebhookRefusedOther does not say which status; this line does
            log.warning("webhook refused", extra={"status": exc.status_code, "reason": exc.msg})
        return _json(exc.status_code, {"message": "Not found" if exc.status_code == 404 else "Bad request"})

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def unexpected(exc: Exception) -> Response[str]:
        # A bug, not a verdict on the webhook: 500 makes the provider retry, and nothing was acknowledged.
        # exc_info explicitly: Powertools calls this handler after its own except block has ended.
        log.error("unexpected error", exc_info=exc)
        tally.add(Metric.WEBHOOK_ERROR, 500, "unexpected error")
        return _json(500, {"message": "Internal error"})

    return app


def _raw_body(body: str | None, is_base64: bool, pipeline: IngestPipeline) -> bytes:
    if body is None:
        return b""
    if not is_base64:
        raw = body.encode("utf-8")
        pipeline.check_size(len(raw))
        return raw
    # Refuse before decoding: base64 is 4/3 the size of what it encodes.
    pipeline.check_size(len(body) * 3 // 4 - 2)
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        # API Gateway encodes it, so this is never a genuine delivery: there are no bytes to verify.
        raise Unauthorized("body marked base64 is not valid base64") from exc


def _answer(answer: Answer) -> Response[str]:
    return Response(
        status_code=answer.status,
        content_type=answer.content_type,
        body=answer.body,
        headers=dict(answer.headers) or None,
    )


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=_COMPACT_JSON.encode(body),
        headers=headers,
    )
