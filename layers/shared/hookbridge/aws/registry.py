"""The subscription registry: one record per webhook registration (``hookbridge.subscription.Subscription``)
in the subscriptions table.

Secrets stay in Secrets Manager; the record holds what operations need (the provider's webhook id, the
events expected, the longest normal quiet period, a contact) and the last health check. The ingest path
never reads it; it only adds to ``rejected_total`` (see ``hookbridge.aws.rejections``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from hookbridge.subscription import Health, Subscription

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class SubscriptionExists(Exception):
    pass


class SubscriptionNotFound(Exception):
    pass


_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_item(subscription: Subscription) -> dict[str, Any]:
    data = subscription.model_dump(mode="json", exclude_none=True)
    return {k: _serializer.serialize(v) for k, v in data.items() if v != [] and v != ()}


def _from_item(item: dict[str, Any]) -> Subscription:
    data = {k: _deserializer.deserialize(v) for k, v in item.items()}
    # A record without created_at (written by hand or another tool) has no known age: not "made now",
    # which would keep it new, never silent, on every check.
    data.setdefault("created_at", None)
    return Subscription.model_validate(data)


class SubscriptionRegistry:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, subscription: Subscription) -> Subscription:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_to_item(subscription),
                ConditionExpression="attribute_not_exists(provider)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise SubscriptionExists(f"{subscription.provider}/{subscription.subscription}") from exc
            raise
        return subscription

    def get(self, provider: str, subscription: str) -> Subscription:
        item = self._client.get_item(TableName=self._table, Key=_key(provider, subscription)).get("Item")
        if item is None:
            raise SubscriptionNotFound(f"{provider}/{subscription}")
        return _from_item(item)

    def list(self, provider: str | None = None) -> Iterator[Subscription]:
        paginator = self._client.get_paginator("scan")
        for page in paginator.paginate(TableName=self._table):
            for item in page.get("Items", []):
                record = _from_item(item)
                if provider is None or record.provider == provider:
                    yield record

    def delete(self, provider: str, subscription: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=_key(provider, subscription),
                ConditionExpression="attribute_exists(provider)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise SubscriptionNotFound(f"{provider}/{subscription}") from exc
            raise

    def record_health(self, subscription: Subscription, health: Health) -> None:
        """Writes the check's result and moves the rejection baseline to what the check counted."""
        self._client.update_item(
            TableName=self._table,
            Key=_key(subscription.provider, subscription.subscription),
            UpdateExpression="SET health = :health, rejected_total_at_check = :seen",
            ConditionExpression="attribute_exists(provider)",
            ExpressionAttributeValues={
                ":health": _serializer.serialize(health.model_dump(mode="json")),
                ":seen": {"N": str(subscription.rejected_total)},
            },
        )


def _key(provider: str, subscription: str) -> dict[str, Any]:
    return {"provider": {"S": provider}, "subscription": {"S": subscription}}
