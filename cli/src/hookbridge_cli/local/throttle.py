"""DynamoDB's write throttling, on request, in front of the local stack's moto: how `hookbridge load
--write-limit` shows on this machine what a deployment does on its first day, when a new on-demand events
table takes 4,000 writes/s at once (bench/scale.py) and the providers send more.

`WriteLimits` is a WSGI middleware around moto's server. A load run asks it, over the local AWS port, to
limit its own subscriptions' writes to the events table; past that rate a PutItem is answered as DynamoDB
answers a throttled one (HTTP 400, ProvisionedThroughputExceededException with its ThrottlingReasons), so the
real ingest function, botocore's retries and its 503 run as they do in AWS. moto never sees a refused
request: nothing of it is stored. Scoped to the run's subscriptions, so other traffic on the same `dev` is
never throttled and the counts are the run's alone.

The client half (`set_limit`, `clear_limit`) is the standard library only: every command may import it.
"""

from __future__ import annotations

import http.client
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from hookbridge_cli.local.names import REGION

CONTROL_PATH = "/_hookbridge/write-limits/"
PUT_ITEM = "DynamoDB_20120810.PutItem"
# What DynamoDB answers an on-demand table's write past what its partitions take (a new table's warm
# throughput): the exception botocore retries as a throttle, the reason naming the table's key range.
THROTTLED_TYPE = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
THROTTLED_MESSAGE = (
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your "
    "table or index so please try again shortly. If exceptions persist, check if you have a hot key: "
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
)
THROTTLED_REASON = "TableWriteKeyRangeThroughputExceeded"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class Limit:
    """A token bucket: ``per_second`` writes a second, up to a second's worth at once."""

    per_second: float
    clock: Callable[[], float]
    writes: int = 0  # PutItem requests of the scope that reached the limit
    throttled: int = 0  # of them, refused
    _tokens: float = field(init=False)
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens, self._last = self._capacity, self.clock()

    @property
    def _capacity(self) -> float:
        return max(1.0, self.per_second)

    def take(self) -> bool:
        now = self.clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self.per_second)
        self._last = now
        self.writes += 1
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self.throttled += 1
        return False

    def counts(self) -> dict[str, Any]:
        return {"writes_per_second": self.per_second, "writes": self.writes, "throttled": self.throttled}


class WriteLimits:
    """The middleware: the control path, and PutItem requests to ``table`` checked against the limit of
    the scope (a prefix of subscription names) their item's key falls in."""

    def __init__(self, app: WsgiApp, table: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._app = app
        self._table = table
        self._clock = clock
        self._limits: dict[str, Limit] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PATH):
            return self._control(environ, path[len(CONTROL_PATH) :], start_response)
        if self._limits and environ.get("HTTP_X_AMZ_TARGET") == PUT_ITEM:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
            if not self._admit(body):
                return self._throttled(start_response)
        return self._app(environ, start_response)

    def _admit(self, body: bytes) -> bool:
        try:
            request = json.loads(body)
            subscription = request["Item"]["pk"]["S"].split("#")[1]
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return True  # not a webhook's write (SnapStart's empty PutItem): moto answers it
        if request.get("TableName") != self._table:
            return True
        with self._lock:
            scope = next((s for s in self._limits if subscription.startswith(s)), None)
            return scope is None or self._limits[scope].take()

    def _throttled(self, start_response: StartResponse) -> Iterable[bytes]:
        resource = f"arn:aws:dynamodb:{REGION}:123456789012:table/{self._table}"
        body = json.dumps(
            {
                "__type": THROTTLED_TYPE,
                "message": THROTTLED_MESSAGE,
                "ThrottlingReasons": [{"reason": THROTTLED_REASON, "resource": resource}],
            }
        ).encode()
        start_response(
            "400 Bad Request",
            [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("x-amzn-RequestId", uuid.uuid4().hex.upper()),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    def _control(self, environ: dict[str, Any], scope: str, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        status, answer = "200 OK", {}
        with self._lock:
            if not scope:
                status, answer = "400 Bad Request", {"message": "name a scope: a prefix of subscriptions"}
            elif method == "PUT":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    per_second = float(json.loads(environ["wsgi.input"].read(length))["writes_per_second"])
                except (ValueError, KeyError, TypeError):
                    per_second = 0.0
                if per_second > 0:
                    self._limits[scope] = Limit(per_second, self._clock)
                    answer = self._limits[scope].counts()
                else:
                    status, answer = "400 Bad Request", {"message": "give writes_per_second above 0"}
            elif scope not in self._limits:
                status, answer = "404 Not Found", {"message": f"no write limit for {scope}"}
            elif method == "GET":
                answer = self._limits[scope].counts()
            elif method == "DELETE":
                answer = self._limits.pop(scope).counts()
            else:
                status, answer = "405 Method Not Allowed", {"message": "PUT, GET or DELETE"}
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


class LimitRefused(Exception):
    """The local stack did not take the request: it answered ``status`` (404: a `dev` without limits)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _call(endpoint: str, method: str, scope: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    try:
        connection.request(
            method,
            CONTROL_PATH + scope,
            body=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        answer: dict[str, Any] = json.loads(raw)
    except ValueError:
        answer = {}
    if response.status != 200 or not isinstance(answer, dict):
        raise LimitRefused(response.status, str(answer.get("message") if answer else raw[:200]))
    return answer


def set_limit(endpoint: str, scope: str, writes_per_second: float) -> dict[str, Any]:
    """Throttles writes of the subscriptions named ``scope``... past ``writes_per_second``."""
    return _call(endpoint, "PUT", scope, {"writes_per_second": writes_per_second})


def clear_limit(endpoint: str, scope: str) -> dict[str, Any]:
    """Removes the limit; returns its counts (``writes``, ``throttled``)."""
    return _call(endpoint, "DELETE", scope)
