from __future__ import annotations

import json
import logging
import sys
import threading
from typing import Any

import pytest

from hookbridge.observability import observability
from hookbridge.settings import FunctionSettings
from tests.support.settings import function_settings, ingest_settings


def test_each_function_built_in_one_process_gets_its_own_log_level() -> None:
    """The local stack builds every function in one process; Powertools alone keeps the first level."""
    for level in ("ERROR", "DEBUG", "WARNING"):
        observability(function_settings(LOG_LEVEL=level), "test")
        assert logging.getLogger("hookbridge").level == getattr(logging, level)


def test_sdk_loggers_never_go_below_warning() -> None:
    observability(function_settings(LOG_LEVEL="DEBUG"), "test")
    for name in ("botocore", "boto3", "urllib3"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING


def test_an_unexpected_error_is_a_500_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    from dataclasses import replace

    from hookbridge import providers
    from hookbridge.aws.secrets import SecretStore
    from hookbridge.ingest.handler import build_ingest_handler
    from tests.support.events import LambdaContext, signed
    from tests.support.fakes import MemorySecrets, MemoryStore

    def broken_describe(*_: object) -> None:
        raise RuntimeError("a bug in describe")

    provider = replace(providers.load("zencargo"), describe=broken_describe)
    settings = ingest_settings("zencargo")
    handler = build_ingest_handler(
        provider,
        settings,
        SecretStore(MemorySecrets(), "hookbridge", 300, 30),
        MemoryStore(),
    )
    event = signed("zencargo", "BOOKING_CREATED", {"signing_secrets": ["k" * 16]})
    assert handler(event, LambdaContext())["statusCode"] == 500  # retryable; nothing was acknowledged
    [record] = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert record.exc_info is not None
    assert "a bug in describe" in str(record.exc_info[1])


def _zencargo_handler(log_level: str) -> Any:
    from hookbridge import providers
    from hookbridge.aws.secrets import SecretStore
    from hookbridge.ingest.handler import build_ingest_handler
    from tests.support.fakes import MemorySecrets, MemoryStore

    settings = ingest_settings("zencargo", LOG_LEVEL=log_level)
    secrets = SecretStore(MemorySecrets(), "hookbridge", 300, 30)
    return build_ingest_handler(providers.load("zencargo"), settings, secrets, MemoryStore())


def _printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_an_accepted_webhook_prints_no_line_and_a_duplicate_one_metric(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> None:
    """The warm path's only output is the write: the publisher counts accepted events in batches, API
    Gateway's access log records the request. Powertools' log_metrics would also warn on every one."""
    from tests.support.events import LambdaContext, signed

    handler = _zencargo_handler("INFO")
    event = signed("zencargo", "BOOKING_CREATED", {"signing_secrets": ["k" * 16]})

    assert json.loads(handler(event, LambdaContext())["body"])["status"] == "accepted"
    assert _printed(capsys) == []
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]
    assert not [w for w in recwarn if "metrics" in str(w.message)]

    assert json.loads(handler(event, LambdaContext())["body"])["status"] == "duplicate"
    [line] = _printed(capsys)
    assert line["WebhookDuplicate"] == [1.0]
    assert line["service"] == "ingest-zencargo"


def _print_to_captured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Called first in a test: the logger's handler keeps the stdout of the test that first built it;
    for this test's duration it writes to this test's captured one (pytest swaps stdout between a
    fixture's setup and the test, so this is no fixture)."""
    observability(function_settings(LOG_LEVEL="INFO"), "test")
    [stream] = logging.getLogger("hookbridge").handlers
    assert isinstance(stream, logging.StreamHandler)
    monkeypatch.setattr(stream, "stream", sys.stdout)


def _as_in_a_fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """No function built yet: the next one built makes the first invocation of the process."""
    [stream] = logging.getLogger("hookbridge").handlers
    monkeypatch.setattr(stream, "filters", [])


def test_every_line_names_the_invocation_that_wrote_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines carry the Lambda context of their own invocation, never a stale one, also when the
    invocations between them wrote nothing."""
    from tests.support.events import LambdaContext, signed

    _print_to_captured(monkeypatch)
    handler = _zencargo_handler("DEBUG")  # at INFO a forged request writes no line (test_refusals below)
    genuine = signed("zencargo", "BOOKING_CREATED", {"signing_secrets": ["k" * 16]})
    forged = {**genuine, "headers": {**genuine["headers"], "zencargo-hmac-sha256": "Zm9yZ2Vk"}}
    first, quiet, third = (LambdaContext(function_name="ingest-zencargo") for _ in range(3))

    assert handler(forged, first)["statusCode"] == 401
    [line] = [line for line in _printed(capsys) if line.get("message") == "webhook refused"]
    assert line["function_request_id"] == first.aws_request_id
    assert line["function_name"] == "ingest-zencargo"
    assert "cold_start" in line

    assert handler(genuine, quiet)["statusCode"] == 200
    assert handler(forged, third)["statusCode"] == 401
    [line] = [line for line in _printed(capsys) if line.get("message") == "webhook refused"]
    assert line["function_request_id"] == third.aws_request_id
    assert line["cold_start"] is False


def _logging_handler(settings: FunctionSettings, barrier: threading.Barrier | None = None) -> Any:
    """A function that writes two lines an invocation (waiting at ``barrier`` between them)."""
    from hookbridge.observability import with_lambda_context

    logger, _ = observability(settings, "test")
    log = logging.getLogger("hookbridge.test")

    @with_lambda_context(logger, settings)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        log.warning("first line of %s", context.function_name)
        if barrier is not None:
            barrier.wait(timeout=5)
        log.warning("second line of %s", context.function_name)
        return {}

    return handler


def test_every_line_of_an_invocation_carries_its_keys(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.events import LambdaContext

    _print_to_captured(monkeypatch)
    _as_in_a_fresh_process(monkeypatch)
    handler = _logging_handler(function_settings(LOG_LEVEL="INFO"))
    contexts = [LambdaContext(), LambdaContext()]
    for context in contexts:
        handler({}, context)
    lines = [line for line in _printed(capsys) if " line of " in line.get("message", "")]
    assert [line["function_request_id"] for line in lines] == [
        c.aws_request_id for c in contexts for _ in ("first", "second")
    ]
    assert [line["cold_start"] for line in lines] == [True, True, False, False]


def test_concurrent_invocations_in_one_process_each_name_their_own_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local stack runs functions side by side in threads of one process."""
    from tests.support.events import LambdaContext

    _print_to_captured(monkeypatch)
    barrier = threading.Barrier(2)
    handler = _logging_handler(function_settings(LOG_LEVEL="INFO"), barrier)
    contexts = {name: LambdaContext(function_name=name) for name in ("ingest-a", "ingest-b")}
    threads = [threading.Thread(target=handler, args=({}, c)) for c in contexts.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    lines = [line for line in _printed(capsys) if " line of " in line.get("message", "")]
    assert len(lines) == 4
    for line in lines:  # the message names the invocation that wrote it; the keys must name the same one
        writer = contexts[line["message"].rsplit(" ", 1)[1]]
        assert (line["function_name"], line["function_request_id"]) == (
            writer.function_name,
            writer.aws_request_id,
        )


def test_no_invocation_is_a_cold_start_under_provisioned_concurrency(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.events import LambdaContext

    _print_to_captured(monkeypatch)
    settings = function_settings(LOG_LEVEL="INFO", AWS_LAMBDA_INITIALIZATION_TYPE="provisioned-concurrency")
    _as_in_a_fresh_process(monkeypatch)
    _logging_handler(settings)({}, LambdaContext())
    assert {
        line["cold_start"] for line in _printed(capsys) if line.get("message", "").startswith("first line")
    } == {False}


def test_debug_adds_a_line_per_accepted_webhook(caplog: pytest.LogCaptureFixture) -> None:
    from tests.support.events import LambdaContext, signed

    handler = _zencargo_handler("DEBUG")
    handler(signed("zencargo", "BOOKING_CREATED", {"signing_secrets": ["k" * 16]}), LambdaContext())
    [record] = [r for r in caplog.records if r.getMessage() == "webhook accepted"]
    assert record.__dict__["subscription"] == "demo"
    assert record.__dict__["event_type"] == "BOOKING_CREATED"


def test_powertools_log_event_setting_cannot_log_signatures_or_payloads(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """POWERTOOLS_LOGGER_LOG_EVENT=true makes Powertools' inject_lambda_context log every whole event; the
    functions add the Lambda context themselves (InvocationKeys), and the setting stays inert."""
    from tests.support.events import LambdaContext, signed

    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    handler = _zencargo_handler("DEBUG")
    event = signed("zencargo", "BOOKING_CREATED", {"signing_secrets": ["k" * 16]})
    assert handler(event, LambdaContext())["statusCode"] == 200
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "webhook accepted" in logged  # we did capture the logs
    assert event["headers"]["zencargo-hmac-sha256"] not in logged
    assert event["body"][:40] not in logged


def test_functions_in_one_process_keep_their_metrics_apart() -> None:
    """The local stack runs every function in one process: Powertools' shared Metrics set let one function
    flush another's metrics under its own service, or empty the set between another's check and flush
    (SchemaValidationError: a 500 for a webhook)."""
    from aws_lambda_powertools.metrics import MetricUnit

    settings = function_settings()
    _, zippex = observability(settings, "ingest-zippex")
    _, zinc = observability(settings, "ingest-zinc")
    zippex.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
    assert zippex.metric_set
    assert not zinc.metric_set
