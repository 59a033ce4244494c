from __future__ import annotations

import logging

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
