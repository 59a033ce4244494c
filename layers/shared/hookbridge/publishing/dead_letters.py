"""The publisher's dead-letter queue: which stored events could not be published, and whose they are.

Lambda writes the queue's messages itself (the stream mapping's on-failure destination): one per batch
that ran out of retries, naming the stream, the shard and the first and last sequence number, never the
events. What we control is reading them back: the named records are on the stream for 24 hours, and each
carries its stored event, hence its provider and subscription. The health check uses this to degrade
only the subscriptions whose events are stuck; `hookbridge dlq` to list and redrive them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parser.models.dynamodb import DDBStreamBatchInfo
from botocore.exceptions import ClientError
from pydantic import ValidationError

from hookbridge.model import is_publishable, owner_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

# GetRecords calls spent on one batch before giving up on finding its last record.
MAX_READS_PER_BATCH = 20


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receipt_handle: str
    batch: DDBStreamBatchInfo | None  # None: not an on-failure message of a stream batch


@dataclass
class Culprits:
    """Whose events the read dead letters name."""

    # (provider, subscription) -> ids of the dead-letter messages naming its events, and their number
    messages: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    events: Counter[tuple[str, str]] = field(default_factory=Counter)
    unresolved: set[str] = field(default_factory=set)  # messages whose records could not be read back
    unread: int = 0  # messages in the queue beyond what was read

    def add(self, message_id: str, records: list[dict[str, Any]] | None) -> None:
        try:
            named = [culprit_of(r["dynamodb"]["NewImage"]) for r in records or ()]
        except (KeyError, TypeError, ValueError):
            named = []
        if not named:  # nothing read back, or not our items: fail closed, name no one
            self.unresolved.add(message_id)
            return
        for culprit in named:
            self.messages.setdefault(culprit, set()).add(message_id)
            self.events[culprit] += 1


def culprit_of(image: dict[str, Any]) -> tuple[str, str]:
    """The provider and subscription of a stored event's stream image."""
    return owner_of(image["by_day"]["S"])


class DeadLetterQueue:
    def __init__(self, sqs: SQSClient, queue_url: str) -> None:
        self._sqs = sqs
        self._url = queue_url

    def depth(self) -> int:
        """Messages visible to the next reader."""
        return self._count("ApproximateNumberOfMessages")

    def in_flight(self) -> int:
        """Messages received and not yet deleted or made visible again, by any reader."""
        return self._count("ApproximateNumberOfMessagesNotVisible")

    def _count(self, attribute: QueueAttributeNameType) -> int:
        answer = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=[attribute])
        return int(answer["Attributes"][attribute])

    def receive(self, limit: int, visibility_seconds: int) -> list[DeadLetter]:
        """Up to ``limit`` messages, each hidden for ``visibility_seconds`` so it is read once."""
        letters: list[DeadLetter] = []
        while len(letters) < limit:
            messages = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(10, limit - len(letters)),
                VisibilityTimeout=visibility_seconds,
            ).get("Messages", [])
            if not messages:
                break
            letters += [
                DeadLetter(m["MessageId"], m["ReceiptHandle"], _batch_info(m["Body"])) for m in messages
            ]
        return letters

    def release(self, letters: list[DeadLetter]) -> None:
        """Makes read messages visible again at once, for the next reader (an operator's redrive)."""
        for start in range(0, len(letters), 10):
            chunk = letters[start : start + 10]
            self._sqs.change_message_visibility_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": letter.receipt_handle, "VisibilityTimeout": 0}
                    for i, letter in enumerate(chunk)
                ],
            )

    def delete(self, letter: DeadLetter) -> None:
        self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=letter.receipt_handle)


class StreamRecords:
    """The stream records a dead letter names, read back from the events table's stream."""

    def __init__(self, streams: DynamoDBStreamsClient) -> None:
        self._streams = streams

    def named_by(self, batch: DDBStreamBatchInfo) -> list[dict[str, Any]] | None:
        """The batch's records the publisher handles (``is_publishable``), or None when they are no longer
        all on the stream (24 h)."""
        end = int(batch.end_sequence_number)
        try:
            iterator: str | None = self._streams.get_shard_iterator(
                StreamArn=batch.stream_arn,
                ShardId=batch.shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=batch.start_sequence_number,
            )["ShardIterator"]
            records: list[dict[str, Any]] = []
            for _ in range(MAX_READS_PER_BATCH):
                if iterator is None:
                    break
                answer = self._streams.get_records(ShardIterator=iterator)
                for record in answer["Records"]:
                    sequence = int(record["dynamodb"]["SequenceNumber"])
                    if sequence > end:
                        return records
                    if is_publishable(record["eventName"], record["dynamodb"].get("NewImage")):
                        records.append(dict(record))
                    if sequence == end:
                        return records
                iterator = answer.get("NextShardIterator")
        except ClientError:  # trimmed (older than 24 h), or the shard or stream is gone
            return None
        return None  # the last named record was never reached: fail closed, name no one


def _batch_info(body: str) -> DDBStreamBatchInfo | None:
    try:
        info = json.loads(body)["DDBStreamBatchInfo"]
        return DDBStreamBatchInfo.model_validate(info)
    except (ValueError, KeyError, TypeError, ValidationError):
        return None


def find_culprits(
    queue: DeadLetterQueue, streams: StreamRecords, *, limit: int, visibility_seconds: int = 60
) -> Culprits:
    """Reads up to ``limit`` dead letters, names whose events they hold, and leaves every message in the
    queue, visible again, for the operator's redrive."""
    culprits = Culprits()
    depth = queue.depth()
    if not depth:
        return culprits
    letters = queue.receive(limit, visibility_seconds)
    try:
        for letter in letters:
            culprits.add(letter.message_id, streams.named_by(letter.batch) if letter.batch else None)
    finally:
        queue.release(letters)
    culprits.unread = max(0, depth - len(letters))
    return culprits
