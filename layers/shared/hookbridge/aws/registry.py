"""The subscription registry: one record per webhook registration, in the subscriptions table.

Secrets stay in Secrets Manager; the record holds what operations need (the provider's webhook id, the
events expected, the longest normal quiet period, a contact) and the last health check. The ingest path
never reads it; it only adds to ``rejected_total`` (see ``hookbridge.aws.rejections``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from hookbridge.ingest.pipeline import SUBSCRIPTION_NAME

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HealthStatus = Literal["healthy", "degraded", "silent", "disabled", "unknown"]


class Health(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: HealthStatus
    reasons: tuple[str, ...] = ()
    checked_at: str
    # Ids of the dead-letter messages found to hold this subscription's events: they stay attributed
    # after their stream records expire.
    dead_letters: tuple[str, ...] = ()


class Subscription(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,30}$")  # a definition name: standard-webhooks
    subscription: str = Field(pattern=SUBSCRIPTION_NAME.pattern)
    webhook_id: str | None = None  # the provider's id of our webhook (Zippex wh_..., Zonos webhook id)
    expected_events: tuple[str, ...] = ()
    quiet_period_seconds: int = Field(86_400, ge=60)  # the longest silence that is still normal
    contact: str | None = None
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    health: Health | None = None
    rejected_total: int = 0  # added to by the ingest functions
    rejected_total_at_check: int = 0  # rejected_total when health was last checked


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
    return Subscription.model_validate({k: _deserializer.deserialize(v) for k, v in item.items()})


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
                raise SubscriptionExists(f"{subscription.provider}/{subscription.subscription}") from None
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
                raise SubscriptionNotFound(f"{provider}/{subscription}") from None
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
