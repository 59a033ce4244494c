from __future__ import annotations

import logging

import pytest

from hookbridge.handlers import _observability
from hookbridge.settings import Settings


def test_each_function_built_in_one_process_gets_its_own_log_level() -> None:
    """The local stack builds every function in one process; Powertools alone keeps the first level."""
    for level in ("ERROR", "DEBUG", "WARNING"):
        _observability(Settings.model_validate({"EVENTS_TABLE": "events", "LOG_LEVEL": level}), "test")
        assert logging.getLogger("hookbridge").level == getattr(logging, level)


def test_sdk_loggers_never_go_below_warning() -> None:
    _observability(Settings.model_validate({"EVENTS_TABLE": "events", "LOG_LEVEL": "DEBUG"}), "test")
    for name in ("botocore", "boto3", "urllib3"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING


def test_an_unexpected_error_is_a_500_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    from dataclasses import replace

    from hookbridge import providers
    from hookbridge.handlers import build_ingest_handler
    from hookbridge.secrets import SecretStore
    from tests.property.test_verification import MemorySecrets, MemoryStore
    from tests.support.events import LambdaContext, signed

    def broken_describe(*_: object) -> None:
        raise RuntimeError("a bug in describe")

    provider = replace(providers.load("zencargo"), describe=broken_describe)
    settings = Settings.model_validate({"EVENTS_TABLE": "events", "LOG_LEVEL": "ERROR"})
    handler = build_ingest_handler(
        provider,
        settings,
        SecretStore(MemorySecrets(), "hookbridge", 300, 30),
        MemoryStore(),  # type: ignore[arg-type]
    )
    event = signed("zencargo", "BOOKING_CREATED", {"signing_secrets": ["k" * 16]})
    assert handler(event, LambdaContext())["statusCode"] == 500  # retryable; nothing was acknowledged
    [record] = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert record.exc_info is not None
    assert "a bug in describe" in str(record.exc_info[1])
