"""In-memory stand-ins for the AWS calls of the warm path, so the figures are our own code's, and so every
call is counted. They keep DynamoDB's conditional-put semantics (a duplicate answers as DynamoDB does)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from botocore.config import Config
from botocore.exceptions import ClientError


class Calls(Counter[str]):
    pass


class FakeDynamoDB:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.items: dict[str, dict[str, Any]] = {}

    def put_item(
        self,
        *,
        TableName: str,
        Item: dict[str, Any],
        ConditionExpression: str,
        ReturnValuesOnConditionCheckFailure: str,
    ) -> dict[str, Any]:
        self.calls["dynamodb.PutItem"] += 1
        key = Item["pk"]["S"]
        if key in self.items:
            raise ClientError(
                {"Error": {"Code": "ConditionalCheckFailedException"}, "Item": self.items[key]},  # type: ignore[typeddict-unknown-key]  # DynamoDB's own answer carries it
                "PutItem",
            )
        self.items[key] = Item  # sized after the run: not the warm path's cost
        return {}

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        """The windowed content dedupe's transaction (hookbridge.aws.storage): a condition on the previous
        slot's item and a conditional put, both as DynamoDB evaluates them."""
        self.calls["dynamodb.TransactWriteItems"] += 1
        [check], [put] = TransactItems[0].values(), TransactItems[1].values()
        previous = self.items.get(check["Key"]["pk"]["S"])
        now = int(check["ExpressionAttributeValues"][":now"]["N"])
        key = put["Item"]["pk"]["S"]
        failed = [
            previous if previous is not None and int(previous["dedupe_until"]["N"]) > now else None,
            self.items.get(key),
        ]
        if any(failed):
            none = {"Code": "None"}
            reasons = [{"Code": "ConditionalCheckFailed", "Item": f} if f else none for f in failed]
            answer: Any = {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons}
            raise ClientError(answer, "TransactWriteItems")
        self.items[key] = put["Item"]
        return {}

    def item_sizes(self) -> list[int]:
        return [item_size(item) for item in self.items.values()]

    def update_item(self, **_: Any) -> dict[str, Any]:
        self.calls["dynamodb.UpdateItem"] += 1
        return {}


class _Raw:
    def stream(self, **_: Any) -> Any:
        yield b"{}"


def in_process_dynamodb() -> Any:
    """A real botocore DynamoDB client, configured as the ingest functions' own, whose every call is
    answered in-process with ``{}``: all of botocore's own work (serialise, sign, parse), no network."""
    from hookbridge.aws.clients import WARM_PATH_DYNAMODB_CONFIG

    dummy = "bench-not-a-credential"  # signing needs some; nothing leaves the process
    client = boto3.session.Session(
        aws_access_key_id=dummy, aws_secret_access_key=dummy, region_name="us-east-1"
    ).client("dynamodb", config=WARM_PATH_DYNAMODB_CONFIG.merge(Config(retries={"total_max_attempts": 1})))

    def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, HTTPHeaders(), _Raw())

    client.meta.events.register("before-send.dynamodb", answer)  # type: ignore[arg-type]
    return client


class BotocoreDynamoDB(FakeDynamoDB):
    """FakeDynamoDB's semantics and counts, each call also made through a real botocore client answered
    in-process: the warm path's CPU as Lambda spends it, short of the network."""

    def __init__(self, calls: Calls) -> None:
        super().__init__(calls)
        self.client = in_process_dynamodb()

    def put_item(self, **request: Any) -> dict[str, Any]:
        answer = super().put_item(**request)
        self.client.put_item(**request)
        return answer

    def transact_write_items(self, **request: Any) -> dict[str, Any]:
        answer = super().transact_write_items(**request)
        self.client.transact_write_items(**request)
        return answer


class FakeSecrets:
    """Powertools' SecretsProvider in front of Secrets Manager: caches like it (one call per secret)."""

    def __init__(self, calls: Calls, secrets: dict[str, dict[str, Any]]) -> None:
        self.calls = calls
        self.secrets = secrets
        self.cache: dict[str, str] = {}

    def get(self, name: str, max_age: int | None = None, *, force_fetch: bool = False) -> str:
        if force_fetch or name not in self.cache:
            self.calls["secretsmanager.GetSecretValue"] += 1
            self.cache[name] = json.dumps(self.secrets[name])
        return self.cache[name]


class FakeSecretsManagerList:
    """Secrets Manager's ListSecrets over a few secret names (one page), each call counted."""

    def __init__(self, calls: Calls, names: list[str]) -> None:
        self.calls = calls
        self.names = names

    def list_secrets(self, **request: Any) -> dict[str, Any]:
        self.calls["secretsmanager.ListSecrets"] += 1
        [prefix] = request["Filters"][0]["Values"]
        return {"SecretList": [{"Name": n} for n in self.names if n.startswith(prefix)]}


class FakeS3:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def put_object(self, **_: Any) -> dict[str, Any]:
        self.calls["s3.PutObject"] += 1
        return {}

    def delete_object(self, **_: Any) -> dict[str, Any]:
        self.calls["s3.DeleteObject"] += 1
        return {}


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings and binary by length, numbers ~ digits)."""
    total = 0
    for name, value in item.items():
        total += len(name.encode())
        ((kind, raw),) = value.items()
        if kind == "S":
            total += len(raw.encode())
        elif kind == "B":
            total += len(raw)
        elif kind == "N":
            total += len(str(raw)) // 2 + 1
        elif kind == "BOOL":
            total += 1
        elif kind == "M":
            total += 3 + item_size(raw)
    return total
