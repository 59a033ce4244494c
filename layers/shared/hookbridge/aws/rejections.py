"""Counting rejected requests per subscription at a cost a flood of forgeries cannot raise.

Only subscriptions whose secret exists are counted (so the keys are bounded by real subscriptions), the
counts are kept in memory, and they are flushed with one ``UpdateItem ADD`` per subscription at most once
per interval per Lambda instance, onto registry records that exist. Counting must never fail a request:
a failed flush is logged and its counts are kept for the next one.

When: ``flush_if_due`` at the end of every invocation, of any kind (the ingest handler calls it), writes
what is pending once the interval since the last write has passed. So the first rejection after a quiet
interval is written at the end of its own invocation, and a flood's counts are written once an interval,
by whichever invocation ends after the interval, accepted or refused: a burst's last counts no longer wait
for the next rejection. What an instance still holds after its last invocation (at most one interval's
rejections, counted after its last write) is written by its next invocation; Lambda freezes an instance
between invocations and gives function code no hook before it shuts one down, so counts of an instance that
is never invoked again are lost. A flood big enough to matter writes most of its counts on the way.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)


class RejectionCounter:
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        flush_interval_seconds: float = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._table = table_name
        self._interval = flush_interval_seconds
        self._clock = clock
        self._pending: Counter[tuple[str, str]] = Counter()
        self._last_flush = float("-inf")

    def record(self, provider: str, subscription: str) -> None:
        """Counts one rejection, in memory: written by ``flush_if_due`` at the end of the invocation."""
        self._pending[(provider, subscription)] += 1

    def flush_if_due(self) -> None:
        """At the end of every invocation: writes the pending counts once the interval has passed since the
        last write (at once after a quiet interval)."""
        if self._pending and self._clock() - self._last_flush >= self._interval:
            self.flush()

    def flush(self) -> None:
        self._last_flush = self._clock()
        pending, self._pending = self._pending, Counter()
        for (provider, subscription), count in pending.items():
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key={"provider": {"S": provider}, "subscription": {"S": subscription}},
                    UpdateExpression="ADD rejected_total :n",
                    # Never creates a record: an unregistered subscription's rejections are not tracked.
                    ConditionExpression="attribute_exists(provider)",
                    ExpressionAttributeValues={":n": {"N": str(count)}},
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    log.warning("could not record rejections", extra={"error": type(exc).__name__})
                    self._pending[(provider, subscription)] += count
            except BotoCoreError as exc:
                log.warning("could not record rejections", extra={"error": type(exc).__name__})
                self._pending[(provider, subscription)] += count
