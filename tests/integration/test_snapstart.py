"""Under SnapStart (the IngestSnapStart parameter) an ingest function is built and its AWS clients warmed
before the snapshot, without reading a secret, writing anything or drawing an id that restored copies
would share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from hookbridge.assembly.ingest import ingest_handler
from hookbridge.ingest.pipeline import IngestPipeline
from tests.support.events import LambdaContext, demo_secret, signed
from tests.support.stack import Stack
from tests.support.template import function_environment


@pytest.fixture
def requests_sent(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every AWS request a client built from now on sends, by service and operation."""
    sent: Counter[str] = Counter()
    client = boto3.session.Session.client

    def counting_client(self: Any, service: str, *args: Any, **kwargs: Any) -> Any:
        built = client(self, service, *args, **kwargs)

        def count(model: Any, **_: Any) -> None:
            sent[f"{service}.{model.name}"] += 1

        built.meta.events.register("before-call", count)
        return built

    monkeypatch.setattr(boto3.session.Session, "client", counting_client)
    return sent


def snapstart_environ(stack: Stack) -> dict[str, str]:
    return {**stack.environ, **function_environment("zippex"), "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}


def test_without_snapstart_nothing_is_registered_or_built(stack: Stack, requests_sent: Counter[str]) -> None:
    registered: list[Callable[[], None]] = []
    ingest_handler({**stack.environ, **function_environment("zippex")}, registered.append)
    assert registered == []
    assert requests_sent == Counter()


def test_before_the_snapshot_every_client_makes_a_round_trip_and_nothing_is_kept(
    stack: Stack, requests_sent: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    registered: list[Callable[[], None]] = []
    handler = ingest_handler(snapstart_environ(stack), registered.append)
    [before_snapshot] = registered
    assert requests_sent == Counter()  # importing and registering is free: Lambda runs the hook

    def no_ids_before_the_snapshot(*_: object) -> None:
        raise AssertionError("an id drawn before the snapshot would be shared by every restored copy")

    with monkeypatch.context() as m:
        # The one place an event's id (os.urandom) is drawn.
        m.setattr(IngestPipeline, "_record", no_ids_before_the_snapshot)
        before_snapshot()

    assert requests_sent == Counter({"secretsmanager.GetSecretValue": 1, "dynamodb.PutItem": 1})
    assert stack.items() == []  # the warm-up PutItem is refused by DynamoDB: nothing written

    # Restored: the first webhook is served by what was built, reading its secret only now.
    event = signed("zippex", "delivery.created", demo_secret("zippex"))
    assert handler(event, LambdaContext())["statusCode"] == 200
    assert requests_sent["secretsmanager.GetSecretValue"] == 2
    assert len(stack.items()) == 1


def test_a_failing_warm_up_does_not_fail_the_snapshot(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[Callable[[], None]] = []
    handler = ingest_handler({**snapstart_environ(stack), "EVENTS_TABLE": "no-such-table"}, registered.append)
    registered[0]()  # the table does not exist: the round trip fails, the snapshot goes ahead
    assert handler is not None
