"""The events table: store a webhook exactly once with one conditional write.

Dedupe is never read-then-write. The put is conditional on the key being new, and on a conflict DynamoDB
returns the existing record in the same call (``ReturnValuesOnConditionCheckFailure``), so we can tell a
duplicate (inside the existing record's window) from a new delivery of identical content after the window,
and a retried attempt of our own write (its id is ours) from another delivery's. The earlier record is never
overwritten.

Content remembered for a window (a sender whose identical notifications can be genuine: Zencargo, Dropbox)
is keyed by the window-long slot it arrived in (``key#t<slot>``), so each delivery costs one write however
often the content repeats (keying it by generations, ``key#1``, ``key#2``..., cost a write per earlier
generation and refused the 257th repeat within the retention). A delivery inside the window of one in the
previous slot is a duplicate too: one transaction puts the new item on the condition that the previous
slot's item, if any, has seen its window end. Content remembered for the whole retention, an id or a claim,
is one PutItem; it takes a generation only when it is seen again after TTL's expiry and before the deletion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from hookbridge.errors import Unavailable
from hookbridge.model import PUBLISHED_ELEMENTS, StoredEvent, StoreOutcome, encode_indexes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)

# Generations of a key remembered for the retention: a repeat after its TTL, before DynamoDB deleted it.
MAX_GENERATIONS = 8
# The attributes of an item that name objects in the payload bucket.
_OBJECT_ATTRIBUTES = ("payload_s3_key", "elements_s3_key")


class StorageUnavailable(Unavailable):
    pass


class DynamoEventStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put_once(self, event: StoredEvent, now: float) -> StoreOutcome:
        if event.dedupe_until < event.expires_at:
            return self._put_in_window(event, now)
        item = event.to_item()
        for generation in range(MAX_GENERATIONS):
            key = event.dedupe_key if generation == 0 else f"{event.dedupe_key}#{generation}"
            item["pk"] = {"S": key}
            if generation:  # the item keeps its dedupe key only where the key does not say it
                item["dedupe_key"] = {"S": event.dedupe_key}
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise StorageUnavailable(f"put_item failed: {_code(exc)}") from exc
                existing: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
                if existing is None:
                    raise StorageUnavailable("conflict without the existing item") from exc
                outcome = _against(existing, event, now)
                if outcome is not None:
                    return outcome
                continue  # the earlier record's TTL is over: this is a new delivery
            except BotoCoreError as exc:  # timeouts, connection errors
                raise StorageUnavailable(f"put_item failed: {type(exc).__name__}") from exc
            return StoreOutcome("accepted", event.id)
        raise StorageUnavailable("too many generations of one key")

    def _put_in_window(self, event: StoredEvent, now: float) -> StoreOutcome:
        """One transaction: the item in its window-long slot, if the slot is free and the previous slot holds
        no delivery still inside its window. The pipeline sets ``dedupe_until`` to arrival plus the window."""
        arrived = int(now)
        window = max(1, event.dedupe_until - arrived)
        slot = arrived // window
        item = event.to_item()
        item["pk"] = {"S": f"{event.dedupe_key}#t{slot}"}
        item["dedupe_key"] = {"S": event.dedupe_key}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": f"{event.dedupe_key}#t{slot - 1}"}},
                            "ConditionExpression": "attribute_not_exists(pk) OR dedupe_until <= :now",
                            "ExpressionAttributeValues": {":now": {"N": str(arrived)}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                ],
                # The same call retried by botocore after a lost answer is the same transaction (for ten
                # minutes): DynamoDB answers it as committed rather than cancelled by our own item.
                ClientRequestToken=event.id[:36],
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise StorageUnavailable(f"transact_write_items failed: {_code(exc)}") from exc
            reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])  # type: ignore[assignment]
            for reason in reasons:
                if reason.get("Code") == "ConditionalCheckFailed" and "Item" in reason:
                    outcome = _against(reason["Item"], event, now)
                    if outcome is not None:
                        return outcome
            # A transaction in flight on either item (TransactionConflict), or capacity: the sender retries.
            codes = ",".join(str(r.get("Code")) for r in reasons)
            raise StorageUnavailable(f"transact_write_items cancelled: {codes}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"transact_write_items failed: {type(exc).__name__}") from exc
        return StoreOutcome("accepted", event.id)


def _against(existing: dict[str, Any], event: StoredEvent, now: float) -> StoreOutcome | None:
    """What an existing item under the event's key makes of it: our own committed write (its id is ours, a
    retry of the call whose answer was lost; the id is 128 random bits), a duplicate while the existing
    record's window lasts, else nothing (a new delivery)."""
    if existing["id"]["S"] == event.id:
        return StoreOutcome("accepted", event.id)
    if int(existing["dedupe_until"]["N"]) > now:
        objects = frozenset(existing[name]["S"] for name in _OBJECT_ATTRIBUTES if name in existing)
        return StoreOutcome("duplicate", existing["id"]["S"], objects)
    return None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "ClientError"))


class DynamoPublishProgress:
    """Writes a batch's published elements onto its item, so that its MODIFY record publishes the rest.
    Only on the failure path, so the client is built on first use: the publisher's cold start stays
    EventBridge's alone."""

    def __init__(self, client: Callable[[], DynamoDBClient], table_name: str) -> None:
        self._client_factory = client
        self._client: DynamoDBClient | None = None
        self._table = table_name

    def record(self, key: str, published: frozenset[int]) -> bool:
        if self._client is None:
            self._client = self._client_factory()
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET #published = :published",
                ConditionExpression="attribute_exists(pk)",  # never creates an item (one that expired)
                ExpressionAttributeNames={"#published": PUBLISHED_ELEMENTS},
                ExpressionAttributeValues={":published": {"S": encode_indexes(published)}},
            )
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not record a batch's progress", extra={"error": type(exc).__name__})
            return False
        return True


class DynamoElementClaims:
    """Claims for a batch's elements whose items are signed one by one (Adyen): before an element is
    published, one conditional PutItem under ``{provider}#{subscription}#item#{its signed message's hash}``
    says which stored batch publishes it. An item captured and sent again, alone or in another batch, then
    finds the claim (or the stored item of a batch of one, which has that key) and is not published twice.
    A claim has no ``by_day``: it is in no index, and the stream filter does not hand it to the publisher.
    Only such batches pay for it, one write per element, off the ingest function's warm path."""

    def __init__(self, client: Callable[[], DynamoDBClient], table_name: str) -> None:
        self._client_factory = client
        self._client: DynamoDBClient | None = None
        self._table = table_name

    def claim(self, key: str, owner: str, expires_at: int) -> bool:
        """Whether the element is the owner's to publish (claimed now, or by an earlier attempt of its
        own); StorageUnavailable when DynamoDB could not say."""
        if self._client is None:
            self._client = self._client_factory()
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": key},
                    "id": {"S": owner},
                    "expires_at": {"N": str(expires_at)},
                    "dedupe_until": {"N": str(expires_at)},
                },
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise StorageUnavailable(f"claim failed: {_code(exc)}") from exc
            existing: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            if existing is None:
                raise StorageUnavailable("claim conflict without the existing item") from exc
            return bool(existing.get("id", {}).get("S") == owner)
        except BotoCoreError as exc:
            raise StorageUnavailable(f"claim failed: {type(exc).__name__}") from exc
        return True
