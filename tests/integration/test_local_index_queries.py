"""The local stack's index Queries (hookbridge_cli.local.index_queries) read the partition asked for, not the
whole table, and answer exactly as moto answers walking it: the same items in the same order, the same
Count, ScannedCount, LastEvaluatedKey and errors, page after page, for every shape of Query (key
conditions, ScanIndexForward, Limit, ExclusiveStartKey, filters, projections, Select), on indexes with and
without a range key, global and local, across puts, deletes, updates, batches and transactions (committed
or cancelled) between them. moto's own answer is its Table.query, unpatched, over the same data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hookbridge_cli.local.index_queries import make_index_queries_read_one_partition
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws
from moto.dynamodb.models.table import Table

TABLE = "t"
KEYS = [f"k{n}" for n in range(8)]
DAYS = ["d1", "d2", "d3"]
TIMES = ["t", "t0", "t01", "t1", "t10", "t2", "u"]  # prefixes of each other, for begins_with
NUMBERS = ["1", "1.0", "2", "-3", "10"]  # "1" and "1.0" are one number
KINDS = ["a", "b"]


def layout(with_range: bool) -> dict[str, Any]:
    """A table like the events table (hash key only, a sparse index by day and time, projecting a few
    attributes), or one with a range key and a local index; both with an index without a range key."""
    attributes = [("pk", "S"), ("day", "S"), ("at", "S"), ("num", "N")] + (
        [("sk", "N")] if with_range else []
    )
    table: dict[str, Any] = {
        "TableName": TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]
        + ([{"AttributeName": "sk", "KeyType": "RANGE"}] if with_range else []),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_day",
                "KeySchema": [
                    {"AttributeName": "day", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["kind"]},
            },
            {
                "IndexName": "by_num",
                "KeySchema": [{"AttributeName": "num", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    }
    if with_range:
        table["LocalSecondaryIndexes"] = [
            {
                "IndexName": "by_at",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ]
    return table


def s(value: str) -> dict[str, str]:
    return {"S": value}


@st.composite
def items(draw: st.DrawFn, with_range: bool) -> dict[str, Any]:
    """An item, often without one index's key attributes (a sparse index leaves it out)."""
    item: dict[str, Any] = {"pk": s(draw(st.sampled_from(KEYS))), "kind": s(draw(st.sampled_from(KINDS)))}
    if with_range:
        item["sk"] = {"N": str(draw(st.integers(0, 2)))}
    for name, values in (("day", DAYS), ("at", TIMES)):
        if draw(st.integers(0, 5)):
            item[name] = s(draw(st.sampled_from(values)))
    if draw(st.booleans()):
        item["num"] = {"N": draw(st.sampled_from(NUMBERS))}
    if draw(st.integers(0, 3)) == 0:
        item["body"] = s("x" * draw(st.integers(0, 2000)))
    return item


def key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in ("pk", "sk")}


@st.composite
def queries(draw: st.DrawFn, with_range: bool) -> dict[str, Any]:
    """A Query of any shape, of an index (whose every page is then read, following LastEvaluatedKey)."""
    index = draw(st.sampled_from(["by_day", "by_num"] + (["by_at"] if with_range else [])))
    hash_name, hash_value = {
        "by_day": ("day", s(draw(st.sampled_from(DAYS)))),
        "by_num": ("num", {"N": draw(st.sampled_from(NUMBERS))}),
        "by_at": ("pk", s(draw(st.sampled_from(KEYS)))),
    }[index]
    values: dict[str, Any] = {":h": hash_value}
    condition = f"{hash_name} = :h"
    if index != "by_num":
        low, high = sorted(draw(st.lists(st.sampled_from(TIMES), min_size=2, max_size=2)))
        which = draw(st.sampled_from(["", "=", "<", "<=", ">", ">=", "between", "begins_with"]))
        if which == "between":
            condition += " AND #at BETWEEN :a AND :b"
            values |= {":a": s(low), ":b": s(high)}
        elif which == "begins_with":
            condition += " AND begins_with(#at, :a)"
            values[":a"] = s(low)
        elif which:
            condition += f" AND #at {which} :a"
            values[":a"] = s(low)
    query: dict[str, Any] = {
        "TableName": TABLE,
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": draw(st.booleans()),
    }
    if "#at" in condition:
        query["ExpressionAttributeNames"] = {"#at": "at"}
    if draw(st.booleans()):
        query["Limit"] = draw(st.integers(1, 4))
    shown = draw(st.sampled_from(["all", "filter", "exists", "projection", "count"]))
    if shown == "filter":
        query["FilterExpression"] = "kind = :k"
        values[":k"] = s(draw(st.sampled_from(KINDS)))
    elif shown == "exists":
        query["FilterExpression"] = "attribute_exists(body)"
    elif shown == "projection":
        query["ProjectionExpression"] = "pk, kind"
    elif shown == "count":
        query["Select"] = "COUNT"
    return query


@st.composite
def operations(draw: st.DrawFn, with_range: bool) -> tuple[str, Any]:
    item = items(with_range)
    return draw(
        st.one_of(
            st.tuples(st.just("put"), item),
            st.tuples(st.just("put if absent"), item),
            st.tuples(st.just("delete"), item.map(key_of)),
            st.tuples(st.just("update"), st.tuples(item.map(key_of), st.sampled_from(sorted(UPDATES)))),
            st.tuples(st.just("batch"), st.lists(item, max_size=4, unique_by=lambda i: str(key_of(i)))),
            st.tuples(st.just("transaction"), st.tuples(item, item, st.booleans())),
        )
    )


# What an update changes: an index key of an item (so that it moves from one partition to another, into
# an index or out of it), or none of them.
UPDATES: dict[str, tuple[str, dict[str, Any]]] = {
    "move day": ("SET #d = :v", {":v": s("d2")}),
    "move time": ("SET #a = :v", {":v": s("t1")}),
    "number": ("SET num = :v", {":v": {"N": "1.0"}}),
    "out of by_day": ("REMOVE #a", {}),
    "out of by_num": ("REMOVE num", {}),
    "kind only": ("SET kind = :v", {":v": s("b")}),
    "too large": ("SET body = :v", {":v": s("x" * 410_000)}),  # refused: the item stays as it was
    # Refused too, but moto has already moved the item to another day (DynamoDB would not have).
    "moved, then too large": ("SET #d = :d, body = :v", {":d": s("d3"), ":v": s("x" * 410_000)}),
}


REFUSALS = {"ConditionalCheckFailedException", "TransactionCanceledException", "ValidationException"}


class Dynamo:
    """A moto DynamoDB with the local stack's index queries, and moto's own Table.query to compare with."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, moto_query: Callable[..., Any]) -> None:
        self.client = boto3.client("dynamodb", region_name="eu-west-1")
        self.monkeypatch = monkeypatch
        self.moto_query = moto_query

    def apply(self, operation: str, arg: Any) -> None:
        try:
            self._apply(operation, arg)
        except ClientError as refused:  # a condition not met, a transaction cancelled, an item too large
            if refused.response["Error"]["Code"] not in REFUSALS:
                raise

    def _apply(self, operation: str, arg: Any) -> None:
        c = self.client
        if operation == "put":
            c.put_item(TableName=TABLE, Item=arg)
        elif operation == "put if absent":
            c.put_item(TableName=TABLE, Item=arg, ConditionExpression="attribute_not_exists(pk)")
        elif operation == "delete":
            c.delete_item(TableName=TABLE, Key=arg)
        elif operation == "update":
            key, which = arg
            expression, values = UPDATES[which]
            names = {n: v for n, v in (("#d", "day"), ("#a", "at")) if n in expression}
            c.update_item(
                TableName=TABLE,
                Key=key,
                UpdateExpression=expression,
                **({"ExpressionAttributeNames": names} if names else {}),
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        elif operation == "batch":
            if arg:
                c.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": i}} for i in arg]})
        elif operation == "transaction":
            first, second, cancel = arg
            if key_of(first) == key_of(second):
                return  # a transaction may not name one item twice
            condition = (
                "attribute_exists(pk)" if cancel else "attribute_exists(pk) OR attribute_not_exists(pk)"
            )
            c.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": first}},
                    {"Put": {"TableName": TABLE, "Item": second, "ConditionExpression": condition}},
                ]
            )

    def every_page(self, query: dict[str, Any]) -> list[Any]:
        """Every page's answer (or the error) from the first, following LastEvaluatedKey."""
        pages: list[Any] = []
        start: dict[str, Any] | None = None
        for _ in range(60):
            try:
                page = self.client.query(**query, **({"ExclusiveStartKey": start} if start else {}))
            except ClientError as refused:
                return [*pages, refused.response["Error"]]
            page.pop("ResponseMetadata")
            pages.append(page)
            start = page.get("LastEvaluatedKey")
            if start is None:
                return pages
        raise AssertionError(f"more than 60 pages: {pages[-3:]}")

    def both(self, query: dict[str, Any]) -> tuple[list[Any], list[Any]]:
        """Every page as the local stack answers, and as moto answers walking the table."""
        ours = self.every_page(query)
        with self.monkeypatch.context() as m:
            m.setattr(Table, "query", self.moto_query)
            moto = self.every_page(query)
        return ours, moto


def every_partition(with_range: bool) -> list[dict[str, Any]]:
    """A Query of each partition of each index, all of it: what the index holds."""
    partitions = [("by_day", "day", s(d)) for d in DAYS] + [("by_num", "num", {"N": n}) for n in NUMBERS]
    partitions += [("by_at", "pk", s(k)) for k in KEYS] if with_range else []
    return [
        {
            "TableName": TABLE,
            "IndexName": index,
            "KeyConditionExpression": f"{name} = :h",
            "ExpressionAttributeValues": {":h": value},
        }
        for index, name, value in partitions
    ]


@given(data=st.data(), with_range=st.booleans())
def test_every_query_answers_as_moto_does_walking_the_table_across_writes(
    data: st.DataObject, with_range: bool
) -> None:
    """Stored items, a Query of every partition (each index's partitions are then made), and writes of any
    kind, each followed by a Query of any shape; then every partition again."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        moto_query = Table.query
        make_index_queries_read_one_partition(monkeypatch.setattr)
        with mock_aws():
            d = Dynamo(monkeypatch, moto_query)
            d.client.create_table(**layout(with_range))
            for item in data.draw(st.lists(items(with_range), max_size=30), label="stored"):
                d.apply("put", item)
            for query in every_partition(with_range):
                ours, moto = d.both(query)
                assert ours == moto, query
            for operation, arg in data.draw(st.lists(operations(with_range), max_size=12), label="writes"):
                d.apply(operation, arg)
                query = data.draw(queries(with_range), label="then")
                ours, moto = d.both(query)
                assert ours == moto, (operation, arg, query)
            for query in every_partition(with_range):
                ours, moto = d.both(query)
                assert ours == moto, query


@pytest.fixture
def dynamo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dynamo]:
    """A table like the events table, in a moto with the local stack's index queries."""
    moto_query = Table.query
    make_index_queries_read_one_partition(monkeypatch.setattr)
    with mock_aws():
        d = Dynamo(monkeypatch, moto_query)
        d.client.create_table(**layout(with_range=False))
        yield d


def by_day(day: str, **more: Any) -> dict[str, Any]:
    values = {":h": s(day), **more.pop("values", {})}
    return {
        "TableName": TABLE,
        "IndexName": "by_day",
        "KeyConditionExpression": "day = :h",
        "ExpressionAttributeValues": values,
        **more,
    }


def test_a_query_sorts_its_partition_and_never_walks_the_table(
    dynamo: Dynamo, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(600):
        dynamo.apply(
            "put", {"pk": s(f"e{n:04d}"), "day": s(DAYS[n % 3]), "at": s(f"t{n:04d}"), "kind": s("a")}
        )
    queries = [
        by_day("d2", ScanIndexForward=False, Limit=52),
        by_day(
            "d2",
            KeyConditionExpression="day = :h AND #at BETWEEN :a AND :b",
            values={":a": s("t0100"), ":b": s("t0300")},
            ExpressionAttributeNames={"#at": "at"},
        ),
    ]
    answers = []
    for query in queries:
        ours, moto = dynamo.both(query)
        assert ours == moto, query
        answers.append(ours)

    sorted_ = []
    sort = Table.sorted_items

    def sorted_items(table: Table, hash_keys: Any, range_keys: Any, found: list[Any]) -> list[Any]:
        sorted_.append(len(found))
        return sort(table, hash_keys, range_keys, found)

    def all_items(table: Table) -> list[Any]:
        raise AssertionError("walked the whole table")

    monkeypatch.setattr(Table, "sorted_items", sorted_items)
    monkeypatch.setattr(Table, "all_items", all_items)
    assert [dynamo.every_page(query) for query in queries] == answers
    assert sorted_ == [200] * 5  # each page (four of the first, one of the second): the day's items, not 600


def test_an_update_moto_refused_after_moving_the_item_has_moved_it_in_the_index_too(dynamo: Dynamo) -> None:
    dynamo.apply("put", {"pk": s("k0"), "day": s("d1"), "at": s("t")})
    assert dynamo.both(by_day("d1"))[0][0]["Count"] == 1
    dynamo.apply("update", ({"pk": s("k0")}, "moved, then too large"))  # refused, yet moved to d3 by moto
    for day in ("d1", "d3"):
        ours, moto = dynamo.both(by_day(day))
        assert ours == moto
    assert moto[0]["Count"] == 1


def test_an_update_of_the_table_named_by_its_arn_moves_the_item_in_the_index(dynamo: Dynamo) -> None:
    dynamo.apply("put", {"pk": s("k0"), "day": s("d1"), "at": s("t")})
    dynamo.both(by_day("d1"))
    arn = dynamo.client.describe_table(TableName=TABLE)["Table"]["TableArn"]
    dynamo.client.update_item(
        TableName=arn,
        Key={"pk": s("k0")},
        UpdateExpression="SET #d = :d",
        ExpressionAttributeNames={"#d": "day"},
        ExpressionAttributeValues={":d": s("d2")},
    )
    for day in ("d1", "d2"):
        ours, moto = dynamo.both(by_day(day))
        assert ours == moto
    assert moto[0]["Count"] == 1


def test_an_index_update_table_makes_again_under_its_name_is_read_as_it_is_now(dynamo: Dynamo) -> None:
    for n in range(21):  # a third of them without the index's range key: not in by_day
        item = {"pk": s(f"k{n}"), "day": s(DAYS[n % 3]), "kind": s(KINDS[n % 2])}
        dynamo.apply("put", item | ({"at": s(TIMES[n % 7])} if n % 3 else {}))
    ours, moto = dynamo.both(by_day("d2"))
    assert ours == moto
    assert moto[0]["Count"] == 7

    for change in (
        {"Delete": {"IndexName": "by_day"}},
        {
            "Create": {  # its name again, without its range key: every item with a day is in it
                "IndexName": "by_day",
                "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        },
    ):
        dynamo.client.update_table(TableName=TABLE, GlobalSecondaryIndexUpdates=[change])
    for day in DAYS:
        ours, moto = dynamo.both(by_day(day))
        assert ours == moto
        assert moto[0]["Count"] == 7


def test_after_a_cancelled_transaction_the_table_put_back_is_read(dynamo: Dynamo) -> None:
    dynamo.apply("put", {"pk": s("k0"), "day": s("d1"), "at": s("t")})
    dynamo.both(by_day("d1"))
    # moto puts the first item, then finds the condition unmet and puts back a copy of the whole table.
    dynamo.apply("transaction", ({"pk": s("k1"), "day": s("d1"), "at": s("u")}, {"pk": s("k2")}, True))
    ours, moto = dynamo.both(by_day("d1"))
    assert ours == moto
    assert moto[0]["Count"] == 1


def test_pages_of_a_megabyte_end_where_moto_ends_them(dynamo: Dynamo) -> None:
    for n in range(25):
        dynamo.apply(
            "put", {"pk": s(f"k{n:02d}"), "day": s("d1"), "at": s(f"t{n:02d}"), "body": s("x" * 100_000)}
        )
    for forward in (True, False):
        ours, moto = dynamo.both(by_day("d1", ScanIndexForward=forward))
        assert ours == moto
        assert len(moto) > 1  # the 1 MB limit pages the 2.5 MB before any Limit does


def test_queries_of_the_table_or_of_no_such_index_are_moto_s(dynamo: Dynamo) -> None:
    dynamo.apply("put", {"pk": s("k0"), "day": s("d1"), "at": s("t")})
    table = {
        "TableName": TABLE,
        "KeyConditionExpression": "pk = :h",
        "ExpressionAttributeValues": {":h": s("k0")},
    }
    for query in (table, by_day("d1", IndexName="by_nothing"), by_day("d1", ConsistentRead=True)):
        ours, moto = dynamo.both(query)
        assert ours == moto, query
    assert "Invalid index" in moto[-1]["Message"] or moto[-1]["Code"] == "ValidationException"
