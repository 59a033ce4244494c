"""A temporary look at the bus: an EventBridge rule whose target is an SQS queue, both created by a
command (`listen`, `verify`, the console's live page) and removed by it. AWS and the local stack (moto)
run the same calls.

Both are named ``{prefix}-{purpose}-{expiry}-{token}``: the expiry is when the command stops using them. A
command that lives longer renews its tap before then (a new rule and queue with a later expiry, the old
ones removed), so a name whose expiry has passed belongs to a command that died without cleaning up
(SIGKILL, a power cut), and the next command removes it (``sweep``).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from hookbridge_cli.target import Target

PURPOSES = ("listen", "verify", "console")
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(
    r"^(?P<prefix>.+)-(?P<purpose>listen|verify|console)-(?P<expiry>\d{8}T\d{6}Z)-(?P<token>[0-9a-f]{8})$"
)
# SQS keeps an undelivered message at least 60 s: a dead tap's queue holds a minute of events, not days.
_RETENTION_SECONDS = 300


def tap_name(prefix: str, purpose: str, expiry: datetime, token: str | None = None) -> str:
    """A rule's and its queue's name (at most 64 characters, EventBridge's limit, for a short prefix)."""
    return f"{prefix}-{purpose}-{expiry.astimezone(UTC).strftime(_STAMP)}-{token or secrets.token_hex(4)}"


def expiry_of(name: str, prefix: str) -> datetime | None:
    """The expiry a tap's name carries; None for any other name (never swept)."""
    found = _NAME.match(name)
    if found is None or found["prefix"] != prefix:
        return None
    return datetime.strptime(found["expiry"], _STAMP).replace(tzinfo=UTC)


def is_stale(name: str, prefix: str, now: datetime) -> bool:
    expiry = expiry_of(name, prefix)
    return expiry is not None and expiry < now


def event_pattern(
    prefix: str,
    providers: tuple[str, ...] = (),
    subscriptions: tuple[str, ...] = (),
    event_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The rule's pattern: this stack's events, narrowed by sender, subscription and event type."""
    pattern: dict[str, Any] = {
        "source": [f"{prefix}.{p}" for p in providers] if providers else [{"prefix": f"{prefix}."}]
    }
    if event_types:
        pattern["detail-type"] = list(event_types)
    if subscriptions:
        pattern["detail"] = {"metadata": {"subscription": list(subscriptions)}}
    return pattern


@dataclass(frozen=True)
class Tap:
    name: str  # the rule's and the queue's
    bus: str
    queue_url: str
    expiry: datetime


def open_tap(t: Target, purpose: str, expiry: datetime, pattern: Mapping[str, Any]) -> Tap:
    """Creates the queue, then the rule and its target; on any failure, removes what it created."""
    events, sqs = t.client("events"), t.client("sqs")
    name = tap_name(t.prefix, purpose, expiry)
    queue_url = sqs.create_queue(
        QueueName=name, Attributes={"MessageRetentionPeriod": str(_RETENTION_SECONDS)}
    )["QueueUrl"]
    tap = Tap(name, t.bus, queue_url, expiry)
    try:
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        rule_arn = events.put_rule(
            Name=name,
            EventBusName=t.bus,
            EventPattern=json.dumps(pattern),
            Description=f"hookbridge {purpose}: removed by it; if it died, by the next one after {name}",
        )["RuleArn"]
        # Only this rule may send to this queue.
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
        events.put_targets(Rule=name, EventBusName=t.bus, Targets=[{"Id": "tap", "Arn": queue_arn}])
    except BaseException:
        close_tap(t, tap)
        raise
    return tap


def close_tap(t: Target, tap: Tap) -> list[str]:
    """Removes the rule (its target first) and the queue; what could not be removed, said (empty: all)."""
    return remove_rule(t, tap.bus, tap.name) + remove_queue(t, tap.queue_url, tap.name)


def remove_rule(t: Target, bus: str, name: str) -> list[str]:
    events = t.client("events")
    try:
        targets = events.list_targets_by_rule(Rule=name, EventBusName=bus).get("Targets", [])
        if targets:
            events.remove_targets(Rule=name, EventBusName=bus, Ids=[x["Id"] for x in targets])
        events.delete_rule(Name=name, EventBusName=bus)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return []
        return [f"rule {name} ({exc.response.get('Error', {}).get('Code')})"]
    except Exception as exc:
        return [f"rule {name} ({type(exc).__name__})"]
    return []


def remove_queue(t: Target, queue_url: str, name: str) -> list[str]:
    try:
        t.client("sqs").delete_queue(QueueUrl=queue_url)
    except ClientError as exc:
        if "NonExistentQueue" in exc.response.get("Error", {}).get("Code", ""):
            return []
        return [f"queue {name} ({exc.response.get('Error', {}).get('Code')})"]
    except Exception as exc:
        return [f"queue {name} ({type(exc).__name__})"]
    return []


def sweep(t: Target, now: datetime | None = None) -> list[str]:
    """Removes the taps of commands that died (their expiry has passed); the names removed."""
    now = now or datetime.now(UTC)
    events, sqs = t.client("events"), t.client("sqs")
    removed: list[str] = []
    for purpose in PURPOSES:
        started = f"{t.prefix}-{purpose}-"
        for rule in _rules(events, t.bus, started):
            if is_stale(rule, t.prefix, now) and not remove_rule(t, t.bus, rule):
                removed.append(f"rule {rule}")
        for url in sqs.list_queues(QueueNamePrefix=started).get("QueueUrls", []):
            name = url.rsplit("/", 1)[-1]
            if is_stale(name, t.prefix, now) and not remove_queue(t, url, name):
                removed.append(f"queue {name}")
    return removed


def _rules(events: Any, bus: str, started: str) -> Iterator[str]:
    token: str | None = None
    while True:
        page = events.list_rules(
            NamePrefix=started, EventBusName=bus, **({"NextToken": token} if token else {})
        )
        yield from (rule["Name"] for rule in page.get("Rules", []))
        token = page.get("NextToken")
        if not token:
            return


def receive(t: Target, tap: Tap, wait_seconds: int) -> list[tuple[dict[str, Any], str]]:
    """Bus events that reached the tap (waiting up to ``wait_seconds`` for one), each with the receipt
    handle that deletes it once handled."""
    sqs = t.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=tap.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=max(0, min(20, wait_seconds))
    ).get("Messages", [])
    received = []
    for message in messages:
        try:
            received.append((json.loads(message["Body"]), message["ReceiptHandle"]))
        except ValueError:  # not a bus event: nothing sends here but the rule, but never stop on one
            with contextlib.suppress(ClientError):
                sqs.delete_message(QueueUrl=tap.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return received


def done(t: Target, tap: Tap, receipt: str) -> None:
    t.client("sqs").delete_message(QueueUrl=tap.queue_url, ReceiptHandle=receipt)
