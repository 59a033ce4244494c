"""The local stack's DynamoDB write throttling (hookbridge_cli.local.throttle), driven through WSGI without a
socket: what it throttles, what it lets through untouched, and that what it answers is DynamoDB's throttle as
botocore reads it (tests/integration/test_throttled_writes.py runs the real ingest function through it)."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.parsers import create_parser
from botocore.retries.standard import ThrottledRetryableChecker
from hookbridge_cli.local.throttle import CONTROL_PATH, PUT_ITEM, WriteLimits
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

TABLE = "hookbridge-events"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Moto:
    """Stands for moto: records each request's body it is handed."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.bodies.append(Request(environ).get_data())
        return Response("{}", content_type="application/x-amz-json-1.0")(environ, start_response)


def put_item(
    client: Client, subscription: str = "load-abc123-1", table: str = TABLE, target: str = PUT_ITEM
) -> Any:
    body = {"TableName": table, "Item": {"pk": {"S": f"zippex#{subscription}#id#evt_1"}}}
    return client.post("/", data=json.dumps(body), headers={"X-Amz-Target": target})


def limited(per_second: float, scope: str = "load-abc123-") -> tuple[Client, Moto, Clock]:
    moto, clock = Moto(), Clock()
    client = Client(WriteLimits(moto, TABLE, clock))
    answer = client.put(CONTROL_PATH + scope, json={"writes_per_second": per_second})
    assert answer.status_code == 200, answer.get_data()
    return client, moto, clock


def test_past_the_rate_a_write_is_refused_and_never_reaches_moto() -> None:
    client, moto, clock = limited(2)
    assert [put_item(client).status_code for _ in range(3)] == [200, 200, 400]  # a second's worth at once
    assert len(moto.bodies) == 2
    clock.now += 0.5  # one more write's worth
    assert [put_item(client).status_code for _ in range(2)] == [200, 400]
    counts = client.delete(CONTROL_PATH + "load-abc123-").get_json()
    assert counts == {"writes_per_second": 2.0, "writes": 5, "throttled": 2}
    assert client.get(CONTROL_PATH + "load-abc123-").status_code == 404  # removed
    assert put_item(client).status_code == 200


def test_only_the_scopes_writes_to_the_events_table_are_limited_and_moto_reads_the_same_body() -> None:
    client, moto, _ = limited(1)
    assert put_item(client).status_code == 200  # the one token
    assert put_item(client, subscription="prod").status_code == 200  # another subscription
    assert put_item(client, table="hookbridge-subscriptions").status_code == 200
    assert put_item(client, target="DynamoDB_20120810.GetItem").status_code == 200
    empty = client.post(
        "/", data=json.dumps({"TableName": TABLE, "Item": {}}), headers={"X-Amz-Target": PUT_ITEM}
    )
    assert empty.status_code == 200  # SnapStart's empty PutItem, refused by DynamoDB itself
    assert put_item(client).status_code == 400
    assert json.loads(moto.bodies[1])["Item"]["pk"]["S"] == "zippex#prod#id#evt_1"
    assert client.get(CONTROL_PATH + "load-abc123-").get_json()["throttled"] == 1


def test_the_answer_is_dynamodbs_throttle_as_botocore_reads_it_and_retries_it() -> None:
    client, _, _ = limited(1)
    put_item(client)
    answer = put_item(client)
    service = botocore.session.get_session().get_service_model("dynamodb")
    parsed = create_parser("json").parse(
        {
            "status_code": answer.status_code,
            "headers": {k.lower(): v for k, v in answer.headers.items()},
            "body": answer.get_data(),
        },
        service.operation_model("PutItem").output_shape,
    )
    assert parsed["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert parsed["ResponseMetadata"]["RequestId"]
    reasons = json.loads(answer.get_data())["ThrottlingReasons"]
    assert reasons == [
        {
            "reason": "TableWriteKeyRangeThroughputExceeded",
            "resource": f"arn:aws:dynamodb:eu-west-1:123456789012:table/{TABLE}",
        }
    ]
    assert "ProvisionedThroughputExceededException" in ThrottledRetryableChecker._THROTTLED_ERROR_CODES


def test_the_control_path_refuses_what_it_cannot_do() -> None:
    client = Client(WriteLimits(Moto(), TABLE, Clock()))
    assert client.put(CONTROL_PATH + "load-x-", json={"writes_per_second": 0}).status_code == 400
    assert client.put(CONTROL_PATH + "load-x-", data="not json").status_code == 400
    assert client.put(CONTROL_PATH, json={"writes_per_second": 5}).status_code == 400
    assert client.get(CONTROL_PATH + "load-x-").status_code == 404
    assert client.delete(CONTROL_PATH + "load-x-").status_code == 404
    assert client.put(CONTROL_PATH + "load-x-", json={"writes_per_second": 5}).status_code == 200
    assert client.post(CONTROL_PATH + "load-x-").status_code == 405
