"""The command line's error contract for failures a local stack cannot produce on demand."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoRegionError
from hookbridge_cli.errors import AWS_FAILED, BUG, USAGE, WHERE, Refused, report


def test_an_unexpected_exception_is_a_bug_with_one_line() -> None:
    code, line = report(ZeroDivisionError("division by zero"))
    assert code == BUG
    assert "--debug" in line
    assert "\n" not in line


def test_aws_failures_are_retryable_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetSecretValue")
    assert report(denied) == (AWS_FAILED, report(denied)[1])
    assert "credentials allowed to operate the stack" in report(denied)[1]
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "Query")
    assert report(throttled)[0] == AWS_FAILED
    assert "run the command again" in report(throttled)[1]
    monkeypatch.setattr(WHERE, "local", False)
    down = EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")
    assert report(down)[0] == AWS_FAILED
    assert "check your network" in report(down)[1]


def test_no_region_is_a_usage_error_that_suggests_local() -> None:
    code, line = report(NoRegionError())
    assert code == USAGE
    assert "add --local" in line


def test_a_refusal_carries_its_hint() -> None:
    assert report(Refused("no subscription zippex/x", "see `hookbridge subscriptions list`")) == (
        1,
        "no subscription zippex/x: see `hookbridge subscriptions list`",
    )
