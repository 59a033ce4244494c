"""Counting rejected requests per subscription at a cost a flood of forgeries cannot raise.

Only subscriptions whose secret exists are counted (so the keys are bounded by real subscriptions), the
counts are kept in memory, and they are flushed with one ``UpdateItem ADD`` per subscription at most once
per interval per Lambda container, onto registry records that exist. Counting must never fail a request:
a failed flush is logged and its counts are kept for the next one.
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
        self._pending[(provider, subscription)] += 1
        if self._clock() - self._last_flush >= self._interval:
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
