"""The whole stack on this machine, without Docker or AWS.

moto's server stands in for AWS; the tables, bus and queues are created from template.yaml; a local HTTP
server routes the template's HTTP API routes to the real handlers with API Gateway 2.0 events; a poller
reads the events table's stream and drives the real publisher as Lambda would (retrying from the first
failed record); and a tap queue behind a bus rule shows what reaches the bus. In front of moto, DynamoDB's
write throttling waits for a load run to ask for it (throttle.py). moto's DynamoDB is made to keep two of
DynamoDB's properties it lacks: conditional writes that are atomic (atomic_writes.py), and index Queries
that read one partition of the index, not the whole table (index_queries.py). An unsigned SNS
ConfirmSubscription reaches moto's SNS of its topic's region (unsigned_requests.py).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import parse_qsl, urlsplit

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, DechunkedInput, make_server

from hookbridge import providers
from hookbridge.assembly.ingest import ingest_handler
from hookbridge.assembly.publisher import publisher_handler
from hookbridge.aws.registry import SubscriptionExists, SubscriptionRegistry
from hookbridge.model import is_publishable
from hookbridge.observability import LambdaHandler
from hookbridge.samples import DEMO_SUBSCRIPTION
from hookbridge.subscription import Subscription
from hookbridge_cli.local import snapshot
from hookbridge_cli.local.atomic_writes import make_conditional_writes_atomic
from hookbridge_cli.local.index_queries import make_index_queries_read_one_partition
from hookbridge_cli.local.lambda_events import context, lambda_stream_event, on_failure_message
from hookbridge_cli.local.names import (
    LOCAL,
    LOCAL_READ_TIMEOUT_SECONDS,
    PREFIX,
    REGION,
    local_environment,
    local_function_environment,
)
from hookbridge_cli.local.throttle import WriteLimits
from hookbridge_cli.local.unsigned_requests import route_unsigned_sns_confirmations
from hookbridge_cli.samples import demo_secret
from hookbridge_cli.template import HttpRoute, create_table, deployment, every_sender


def api_gateway_event(
    route: HttpRoute,
    method: str,
    path: str,
    params: dict[str, str],
    query: str,
    headers: dict[str, str],
    body: bytes,
    source_ip: str,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event, as API Gateway builds it."""
    joined_query: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        joined_query[name] = f"{joined_query[name]},{value}" if name in joined_query else value
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode(), True
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        **({"queryStringParameters": joined_query} if joined_query else {}),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "pathParameters": params,
        "body": text,
        "isBase64Encoded": is_base64,
    }


class _HttpApi(ThreadingHTTPServer):
    """The local HTTP API's server. socketserver's listen backlog of 5 resets connections as soon as a few
    dozen clients connect at once (`hookbridge load --concurrency 32`); API Gateway never does."""

    request_queue_size = 256


class Environments:
    """One function's execution environments, as Lambda keeps them: each serves one invocation at a time,
    and another is started when every one is busy. The HTTP server answers requests in parallel threads;
    handing two of them to one handler at once would be something Lambda never does (a function instance
    keeps its current request: ingest/http._OwnEventResolver)."""

    def __init__(self, build: Callable[[], LambdaHandler]) -> None:
        self._build = build
        self._idle: queue.SimpleQueue[LambdaHandler] = queue.SimpleQueue()
        self.started = 0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            handler = self._idle.get_nowait()
        except queue.Empty:
            handler = self._build()
            self.started += 1
        try:
            return handler(event, context)
        finally:
            self._idle.put(handler)


class Invocations:
    """The HTTP API's invocations in progress. Stopping closes it (a later request is answered 503, which
    its sender retries, as when an API is unavailable) and waits for those in progress: their writes
    belong in the state dir's snapshot. The HTTP server's request threads are daemons and keep-alive
    connections outlive its shutdown, so neither tells when the last invocation ended."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._running = 0
        self._closed = False

    @contextlib.contextmanager
    def one(self) -> Iterator[bool]:
        """Yields False when stopping: the caller answers without invoking anything."""
        with self._changed:
            if self._closed:
                yield False
                return
            self._running += 1
        try:
            yield True
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def close(self, timeout: float) -> bool:
        """No more invocations; True when those in progress ended within ``timeout`` seconds."""
        with self._changed:
            self._closed = True
            return self._changed.wait_for(lambda: self._running == 0, timeout)


class LocalStack:
    def __init__(
        self,
        aws_port: int = 5005,
        http_port: int = 3000,
        on_bus_event: Callable[[dict[str, Any]], None] | None = None,
        verbose: bool = False,
        state_dir: Path | None = None,
        providers: Sequence[str] | None = None,
    ) -> None:
        # The template deployed with these senders in its Providers parameter (default: every sender).
        self.providers = tuple(providers or every_sender())
        self.deployment = deployment(self.providers)
        self.verbose = verbose
        self.state_dir = state_dir
        self.restored: dict[str, int] = {}
        self.aws_port = aws_port
        self.http_port = http_port
        self.names = LOCAL
        self._on_bus_event = on_bus_event or (lambda _: None)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._moto: BaseWSGIServer | None = None
        self._moto_thread: threading.Thread | None = None
        self._latest: dict[str, str] = {}  # shard -> iterator at the stream's end when the stack started
        # socketserver's shutdown() waits for serve_forever to end, for ever if it never began.
        self._serving: set[str] = set()
        self._http: ThreadingHTTPServer | None = None
        self.bus_events: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.invocations = Invocations()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Binds both ports first (an OSError if one is taken, before anything runs), then builds the
        stack; on any failure, or Ctrl-C, what was started is stopped again."""
        os.environ.update(local_environment(self.aws_port))
        if not self.verbose:
            # The live view is the bus; the functions' own logs and metrics are there with --verbose.
            os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        make_index_queries_read_one_partition()  # as DynamoDB's: a Query of an index reads its partition
        make_conditional_writes_atomic()  # as DynamoDB's: invocations run at once here, as in Lambda
        route_unsigned_sns_confirmations()  # as AWS's: to SNS in the topic's region
        try:
            # moto's ThreadedMotoServer binds inside its thread and waits, without a timeout, for a bind
            # that may never succeed (a taken port hangs it for good): bind here, serve in a thread.
            self._moto = make_server(
                "127.0.0.1",
                self.aws_port,
                WriteLimits(DomainDispatcherApplication(create_backend_app), self.names.events_table),
                threaded=True,
                request_handler=MotoRequestHandler,
            )
            self._moto_thread = self._serve(self._moto.serve_forever)
            self._serving.add("moto")
            # Bound now, so a taken port fails before anything is built; it routes once the resources exist.
            self._http = _HttpApi(("127.0.0.1", self.http_port), BaseHTTPRequestHandler)
            self._create_resources()
            if self.state_dir is not None:
                self.restored = snapshot.restore(self.client, self.names, self.state_dir)
            self._seed()
            self._mark_stream_end()
            self._http.RequestHandlerClass = self._router()
            self._serve(self._http.serve_forever)
            self._serving.add("http")
            for target in (self._poll_stream, self._tap_bus):
                self._serve(target)
        except BaseException:
            self.stop()
            raise

    def _serve(self, target: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def stop(self) -> None:
        """Stops everything started; with a state dir, saves what is kept first (see snapshot)."""
        self._stop.set()
        # Longer than one AWS call of a function can take here (two attempts), so what it stores is saved.
        if not self.invocations.close(timeout=2 * LOCAL_READ_TIMEOUT_SECONDS + 1):
            self.errors.append("stopped with invocations still running: their webhooks may not be saved")
        if self._http is not None:
            if "http" in self._serving:
                self._http.shutdown()
            self._http.server_close()
            self._http = None
        # moto serves until shut down below, after the snapshot: waiting for it here cost every stop 5 s.
        for thread in self._threads:
            if thread is not self._moto_thread:
                thread.join(timeout=5)
        self._threads.clear()
        if self._moto is not None:
            try:
                if self.state_dir is not None and self.restored is not None and self._created:
                    snapshot.save(self.client, self.names, self.state_dir)
            finally:
                if "moto" in self._serving:
                    self._moto.shutdown()
                self._moto.server_close()
                self._moto = None

    # ------------------------------------------------------------------ resources
    def client(self, service: str) -> Any:
        return boto3.session.Session().client(service)  # type: ignore[call-overload]

    _created = False

    def _create_resources(self) -> None:
        dynamodb = self.client("dynamodb")
        create_table(dynamodb, "EventsTable", self.names.events_table)
        create_table(dynamodb, "SubscriptionsTable", self.names.subscriptions_table)
        self.client("s3").create_bucket(
            Bucket=self.names.payload_bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        events, sqs = self.client("events"), self.client("sqs")
        events.create_event_bus(Name=self.names.bus)
        self.dead_letter_queue_url = sqs.create_queue(QueueName=self.names.dead_letter_queue)["QueueUrl"]
        self.tap_queue_url = sqs.create_queue(QueueName=self.names.tap_queue)["QueueUrl"]
        tap_arn = sqs.get_queue_attributes(QueueUrl=self.tap_queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events.put_rule(
            Name="dev-tap",
            EventBusName=self.names.bus,
            EventPattern=json.dumps({"source": [{"prefix": f"{PREFIX}."}]}),
        )
        events.put_targets(
            Rule="dev-tap", EventBusName=self.names.bus, Targets=[{"Id": "tap", "Arn": tap_arn}]
        )
        self._created = True

    def resource_names(self) -> dict[str, str]:
        return {
            "EventsTable": self.names.events_table,
            "SubscriptionsTable": self.names.subscriptions_table,
            "EventBus": self.names.bus,
            "PublisherDeadLetterQueue": self.dead_letter_queue_url,
            "PayloadBucket": self.names.payload_bucket,
        }

    def _seed(self) -> None:
        """One demo subscription per sender served, with the secret the sample events are signed with."""
        secrets = self.client("secretsmanager")
        registry = SubscriptionRegistry(self.client("dynamodb"), self.names.subscriptions_table)
        self.demo: dict[str, dict[str, Any]] = {}
        for provider in self.providers:
            secret = demo_secret(provider)
            name = f"{PREFIX}/{provider}/{DEMO_SUBSCRIPTION}"
            try:
                secrets.create_secret(Name=name, SecretString=json.dumps(secret))
            except secrets.exceptions.ResourceExistsException:  # restored from the state dir, maybe rotated
                secret = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])
            with contextlib.suppress(SubscriptionExists):
                registry.create(
                    Subscription(provider=provider, subscription=DEMO_SUBSCRIPTION, contact="you@localhost")
                )
            self.demo[provider] = secret

    def demo_url(self, provider: str) -> str:
        url = f"{self.base_url}/webhooks/{provider}/{DEMO_SUBSCRIPTION}"
        if providers.load(provider).path_values:
            url += "/" + "/".join(f"{{{name}}}" for name in providers.load(provider).path_values)
        return url

    # ------------------------------------------------------------------ HTTP API
    def _router(self) -> type[BaseHTTPRequestHandler]:
        names = self.resource_names()
        quiet = {} if self.verbose else {"LOG_LEVEL": "WARNING"}
        local = local_function_environment()
        routes = [
            (route, Environments(functools.partial(ingest_handler, {**route.environment, **local, **quiet})))
            for route in self.deployment.http_routes(names)
        ]
        stack = self

        class Router(BaseHTTPRequestHandler):
            # Keep-alive, as API Gateway: a client (a provider, `hookbridge load`) reuses its connection.
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                url = urlsplit(self.path)
                try:
                    body = self._body()
                except (OSError, ValueError):
                    # Where the next request would begin is unknown: none is read from this connection.
                    self.close_connection = True
                    return self._reply(400, '{"message":"Bad Request"}', {"Connection": "close"})
                for route, handler in routes:
                    params = route.match(url.path)
                    if params is not None and route.method in (self.command, "ANY"):
                        headers: dict[str, str] = {}
                        for name, value in self.headers.items():
                            key = name.lower()
                            headers[key] = f"{headers[key]},{value}" if key in headers else value
                        # As API Gateway adds them: the scheme and port the request came in on.
                        headers["x-forwarded-proto"], headers["x-forwarded-port"] = (
                            "http",
                            str(stack.http_port),
                        )
                        event = api_gateway_event(
                            route,
                            self.command,
                            url.path,
                            params,
                            url.query,
                            headers,
                            body,
                            self.client_address[0],
                        )
                        with stack.invocations.one() as invoking:
                            if not invoking:
                                return self._reply(503, '{"message":"Stopping"}', {"Retry-After": "30"})
                            try:
                                result = handler(event, context(route.function))
                            except Exception as exc:  # what API Gateway answers when the function fails
                                stack.errors.append(f"{route.function}: {exc!r}")
                                result = {"statusCode": 500, "body": '{"message":"Internal Server Error"}'}
                        return self._reply(
                            result.get("statusCode", 200),
                            result.get("body") or "",
                            result.get("headers") or {},
                        )
                return self._reply(404, '{"message":"Not Found"}', {})

            def _body(self) -> bytes:
                """The whole body, read to its end so that a kept-alive connection's next request starts
                where it should: Content-Length's bytes, or, with ``Transfer-Encoding: chunked`` (which
                API Gateway takes, and which wins over a Content-Length), the chunks' bytes, joined by
                werkzeug's reader of chunked bodies (the server moto runs on); http.server reads none, and
                a chunked body's bytes were parsed as the next request."""
                sent = ",".join(self.headers.get_all("Transfer-Encoding") or [])
                codings = [c.strip().lower() for c in sent.split(",")]
                if codings[-1] == "chunked":
                    return DechunkedInput(cast(IO[bytes], self.rfile)).readall()
                if codings != [""]:
                    raise ValueError(f"Transfer-Encoding {codings} does not end with chunked")
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _reply(self, status: int, body: str, headers: dict[str, str]) -> None:
                data = body.encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET = do_PUT = _serve

        return Router

    # ------------------------------------------------------------------ publisher, as Lambda drives it
    def _mark_stream_end(self) -> None:
        """Events already in the table when the stack starts (restored from the state dir) were published
        before: the publisher starts after them, as Lambda's mapping would have."""
        streams = self.client("dynamodbstreams")
        arn = self.client("dynamodb").describe_table(TableName=self.names.events_table)["Table"][
            "LatestStreamArn"
        ]
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            self._latest[shard["ShardId"]] = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]

    def _poll_stream(self) -> None:
        dynamodb, streams = self.client("dynamodb"), self.client("dynamodbstreams")
        quiet = {} if self.verbose else {"LOG_LEVEL": "WARNING"}
        handler: LambdaHandler = publisher_handler(
            {**self.deployment.function_environment("PublisherFunction", self.resource_names()), **quiet}
        )
        arn = dynamodb.describe_table(TableName=self.names.events_table)["Table"]["LatestStreamArn"]
        iterators: dict[str, str] = dict(self._latest)
        pending: dict[str, list[dict[str, Any]]] = {}
        failures: dict[str, tuple[str, int]] = {}  # shard -> (its first unpublished record, invocations)
        mapping = self.deployment.resource("PublisherFunction")["Properties"]["Events"]["Stream"][
            "Properties"
        ]
        max_retries = int(mapping["MaximumRetryAttempts"])
        while not self._stop.is_set():
            try:
                for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                    shard_id = shard["ShardId"]
                    if shard_id not in iterators:
                        iterators[shard_id] = streams.get_shard_iterator(
                            StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                        )["ShardIterator"]
                    answer = streams.get_records(ShardIterator=iterators[shard_id])
                    iterators[shard_id] = answer["NextShardIterator"]
                    batch = pending.setdefault(shard_id, [])
                    # The mapping's FilterCriteria, as Lambda applies it.
                    batch += [
                        r
                        for r in answer["Records"]
                        if is_publishable(r["eventName"], r["dynamodb"].get("NewImage"))
                    ]
                    if batch:
                        result = handler(lambda_stream_event(batch, arn), context("PublisherFunction"))
                        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
                        # Like Lambda: retry from the first failed record on.
                        first = next(
                            (i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed),
                            len(batch),
                        )
                        pending[shard_id] = batch[first:]
                        if pending[shard_id]:
                            pending[shard_id] = self._retry_or_dead_letter(
                                arn, shard_id, pending[shard_id], failures, max_retries
                            )
            except Exception as exc:
                self.errors.append(f"stream poller: {exc!r}")
            self._stop.wait(0.3)

    def _retry_or_dead_letter(
        self,
        arn: str,
        shard_id: str,
        unpublished: list[dict[str, Any]],
        failures: dict[str, tuple[str, int]],
        max_retries: int,
    ) -> list[dict[str, Any]]:
        """Like the mapping: retried from the first failed record, MaximumRetryAttempts times; then the
        on-failure destination gets a message naming the records, and the shard moves on."""
        head = unpublished[0]["dynamodb"]["SequenceNumber"]
        previous, invocations = failures.get(shard_id, ("", 0))
        invocations = invocations + 1 if previous == head else 1
        if invocations <= max_retries:
            failures[shard_id] = (head, invocations)
            return unpublished
        self.client("sqs").send_message(
            QueueUrl=self.dead_letter_queue_url,
            MessageBody=on_failure_message(arn, shard_id, unpublished, invocations),
        )
        failures.pop(shard_id, None)
        return []

    def _tap_bus(self) -> None:
        sqs = self.client("sqs")
        while not self._stop.is_set():
            try:
                messages = sqs.receive_message(
                    QueueUrl=self.tap_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
                ).get("Messages", [])
                for message in messages:
                    event = json.loads(message["Body"])
                    self.bus_events.append(event)
                    self._on_bus_event(event)
                    sqs.delete_message(QueueUrl=self.tap_queue_url, ReceiptHandle=message["ReceiptHandle"])
            except Exception as exc:
                self.errors.append(f"bus tap: {exc!r}")
            self._stop.wait(0.3)
