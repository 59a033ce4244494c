"""Every test runs with dummy AWS credentials and no network (pytest-socket, see pyproject)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import botocore.session
import pytest
from hypothesis import HealthCheck, settings

# The moto stack and the functions' fixtures (tests/support/stack.py), for every test that asks for them.
pytest_plugins = ["tests.support.stack"]

# Hypothesis' examples per property: a few dozen in the quick run; `--hypothesis-profile=thorough` (CI) tries
# ten times as many. No deadline in either: on a shared 2-core machine a slow example is load, not a bug.
settings.register_profile(
    "quick", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("quick")


@pytest.fixture(autouse=True, scope="session")
def _one_botocore_loader() -> Iterator[None]:
    """moto hands every mock a new default boto3 session, and each session's first client of a service
    reads that service's model (megabytes of JSON) again: a tenth of a second per client, minutes per run.
    One loader for the run reads each model once; clients, sessions and moto's state stay per test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", functools.cache(botocore.session.create_loader))
        yield


@pytest.fixture(autouse=True)
def _aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    # botocore >= 1.40 sends DynamoDB Streams calls to an account endpoint moto does not serve.
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "hookbridge")
    return
