"""What every function writes besides its answer: the logger (never a secret's level), the metrics, and the
Lambda context on each line; and the lazily built handler every entry point is."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.metrics import EphemeralMetrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookbridge.settings import FunctionSettings

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

# At DEBUG these log whole requests and responses: secret values, webhook payloads and request
# signatures. Our own LOG_LEVEL, or the Lambda application log level, must never turn that on.
SDK_LOGGERS = ("botocore", "boto3", "urllib3")


def observability(settings: FunctionSettings, service: str) -> tuple[Logger, EphemeralMetrics]:
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
    # service "hookbridge": module loggers ("hookbridge.ingest", ...) propagate to this one's handler.
    logger = Logger(service="hookbridge", level=settings.log_level)
    # Powertools applies the level only when it first configures the logger in a process; the local stack
    # and the tests build several functions in one process, each with its own level.
    logger.setLevel(settings.log_level)
    # Which function wrote a line is its function_name, from the Lambda context on every line. (A key
    # appended here would be wiped by the first invocation's clear_state, and in the local stack, where
    # functions share this logger, would name whichever function was built last.)
    # Ephemeral: Powertools' Metrics share one set across every instance in a process, so where several
    # functions run in one process (the local stack, the tests) one would flush another's metrics under
    # its own service, or find the set emptied between its check and its flush.
    metrics = EphemeralMetrics(namespace=settings.metrics_namespace, service=service)
    return logger, metrics


class InvocationKeys(logging.Filter):
    """Powertools' Lambda context keys (function name, request id, cold start, ...) on every line an
    invocation writes, put on each line as it is written rather than into the logger at each start.

    Powertools' inject_lambda_context does its work at the start of every invocation: ~6 us alone and
    ~12 us in the warm path (bench/warm.py), for lines an accepted webhook never writes. Here an invocation
    costs one context-variable set, and a line the keys Powertools would have given it (its own
    ``build_lambda_context_model``). Per thread: the local stack runs several functions in one process, and
    a line names the invocation of the thread that wrote it, never another's.
    """

    def __init__(self, provisioned: bool) -> None:
        super().__init__()
        self._invocation: ContextVar[tuple[LambdaContext, bool] | None] = ContextVar(
            "invocation", default=None
        )
        # As Powertools: under provisioned concurrency no invocation is a cold start.
        self._cold = not provisioned

    @classmethod
    def of(cls, logger: Logger, settings: FunctionSettings) -> InvocationKeys:
        """The one filter on the logger's handler (functions built in one process share the handler)."""
        handler = logger.registered_handler
        for existing in handler.filters:
            if isinstance(existing, cls):
                return existing
        keys = cls(provisioned=settings.initialization_type == "provisioned-concurrency")
        handler.addFilter(keys)
        return keys

    def invoked(self, context: LambdaContext) -> None:
        cold_start, self._cold = self._cold, False
        self._invocation.set((context, cold_start))

    def filter(self, record: logging.LogRecord) -> bool:
        invocation = self._invocation.get()
        if invocation is not None:
            context, cold_start = invocation
            # Attributes of the record are keys of the line in Powertools' formatter.
            record.__dict__.update(build_lambda_context_model(context).__dict__, cold_start=cold_start)
        return True


def with_lambda_context(
    logger: Logger, settings: FunctionSettings
) -> Callable[[LambdaHandler], LambdaHandler]:
    """The Lambda context on every log line of an invocation (``InvocationKeys``). Never the whole event:
    that holds signatures and payloads."""
    keys = InvocationKeys.of(logger, settings)

    def decorate(handler: LambdaHandler) -> LambdaHandler:
        @functools.wraps(handler)
        def with_keys(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            keys.invoked(context)
            return handler(event, context)

        return with_keys

    return decorate


class Lazy:
    """A handler built on its first invocation, or by ``ready()`` before a SnapStart snapshot."""

    def __init__(self, build: Callable[[], LambdaHandler]) -> None:
        self._build = build
        self._built: LambdaHandler | None = None

    def ready(self) -> LambdaHandler:
        if self._built is None:
            self._built = self._build()
        return self._built

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return self.ready()(event, context)
