"""DynamoDB answers a Query on an index by reading one partition of the index; moto has no index: it answers
every index Query by walking the whole table (every subscription's items, sorted by key), keeping the items
of the partition asked for, and sorting them. With 20,000 stored events that is 70-220 ms a query here, and
the console's event list makes one a shard (eight by default): 1.6-1.9 s a page. Written by hand because
moto has no switch for it: each index's items are kept by partition (the values of the index's hash key
attributes), brought up to date by every write of an item, and moto's own query runs over the one partition
instead of the whole table. It still filters, sorts, pages, limits and projects as it did, so every answer
is moto's: the partition only spares it the walk of the items it would have left out.

What writes an item: Table.put_item (PutItem, BatchWriteItem, a transaction's Put, PartiQL, an import,
UpdateItem of a new key), Table.delete_item (DeleteItem, and the same paths) and the backend's update_item,
which changes the stored item in place. A table replaced as a whole (a transaction rolled back, a restore) is
another object, whose partitions are made at its first index Query; so are an index's after UpdateTable
changed its key schema."""

from __future__ import annotations

import functools
import inspect
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

# The methods replaced: on moto's Table, its query and its two writes of a whole item; on the backend, the
# write that changes an item in place.
TABLE_METHODS = ("query", "put_item", "delete_item")
BACKEND_METHODS = ("update_item",)
_PATCHED = "_hookbridge_index"

Key = tuple[Any, Any]  # an item's table key: its hash key and range key (None without one), as DynamoTypes


class Partitions:
    """One index's items of one table by partition: by the values of the index's hash key attributes, only
    the items that have every key attribute of the index (as DynamoDB's indexes, which are sparse). A
    partition keeps its items in the order written, which for a log of events is already nearly the
    index's order, so moto's sort of a partition costs little."""

    def __init__(self, schema: list[dict[str, str]], items: Iterable[Any]) -> None:
        self.schema = [dict(key) for key in schema]
        self.hash_names = [k["AttributeName"] for k in schema if k["KeyType"] == "HASH"]
        self.key_names = [k["AttributeName"] for k in schema]
        self.items: dict[tuple[Any, ...], dict[Key, Any]] = {}
        self.partition_of: dict[Key, tuple[Any, ...]] = {}
        for item in items:
            self.put(item)

    def partition(self, item: Any) -> tuple[Any, ...] | None:
        if not all(name in item.attrs for name in self.key_names):
            return None
        return tuple(item.attrs[name] for name in self.hash_names)

    def put(self, item: Any) -> None:
        key: Key = (item.hash_key, item.range_key)
        partition = self.partition(item)
        if self.partition_of.get(key) != partition:
            self.remove(key)
        if partition is not None:
            self.items.setdefault(partition, {})[key] = item  # in place when it stays in its partition
            self.partition_of[key] = partition

    def remove(self, key: Key) -> None:
        partition = self.partition_of.pop(key, None)
        if partition is not None:
            del self.items[partition][key]
            if not self.items[partition]:
                del self.items[partition]

    def of(self, conditions: list[tuple[str, Any]]) -> list[Any] | None:
        """The items of the partition the hash key conditions name; None if they do not name exactly the
        index's hash key attributes (moto answers as it would)."""
        values = dict(conditions)
        if len(values) != len(conditions) or set(values) != set(self.hash_names):
            return None
        return list(self.items.get(tuple(values[name] for name in self.hash_names), {}).values())


class _OnePartition:
    """The table as moto's query reads it, but that its walk of every item (all_items) is the partition's."""

    def __init__(self, table: Any, items: list[Any]) -> None:
        self._table = table
        self._items = items

    def all_items(self) -> list[Any]:
        return self._items

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)


class _Indexes:
    """Each table's Partitions by index name: made at the index's first Query, then kept by every write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # taken for the partitions' own state only, never around moto's code
        self.of_table: weakref.WeakKeyDictionary[Any, dict[str, Partitions]] = weakref.WeakKeyDictionary()

    def items_of(self, table: Any, index_name: str | None, conditions: list[tuple[str, Any]] | None) -> Any:
        """The items a Query of this index and hash key can find, or None to let moto walk the table (no
        index, one the table does not have, or conditions that are not the index's hash key)."""
        index = next((i for i in table.all_indexes() if i.name == index_name), None)
        if index is None or not conditions:
            return None
        with self.lock:
            indexes = self.of_table.setdefault(table, {})
            partitions = indexes.get(index.name)
            if partitions is None or partitions.schema != index.schema:
                partitions = indexes[index.name] = Partitions(index.schema, _every_item(table))
            return partitions.of(conditions)

    def written(self, table: Any, key: Key) -> None:
        """The item at ``key`` was written or deleted: each index made for the table follows it."""
        with self.lock:
            indexes = self.of_table.get(table)
            if not indexes:
                return
            item = _stored(table, key)
            for partitions in indexes.values():
                if item is None:
                    partitions.remove(key)
                else:
                    partitions.put(item)


_INDEXES = _Indexes()


def _every_item(table: Any) -> Iterable[Any]:
    """The table's items in the order written (moto's all_items sorts them by key: not needed here)."""
    for stored in table.items.values():
        if table.range_key_attr is None:
            yield stored
        else:
            yield from stored.values()


def _stored(table: Any, key: Key) -> Any:
    """The item stored at ``key`` now, or None (without adding the empty dict moto's defaultdict would)."""
    hash_key, range_key = key
    stored = table.items.get(hash_key)
    if stored is None or table.range_key_attr is None:
        return stored
    return stored.get(range_key)


def _updated(backend: Any, table_name: str, key: dict[str, Any]) -> None:
    """UpdateItem of ``key`` (the request's) in the table of that name or ARN ran: the indexes follow the
    item, unless there is no such table or the key is not one of its keys (moto refused it)."""
    from moto.dynamodb.exceptions import ResourceNotFoundException
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        table = backend.get_table(table_name)
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = None if table.range_key_attr is None else DynamoType(key[table.range_key_attr])
    except (ResourceNotFoundException, KeyError, TypeError, IndexError):
        return
    _INDEXES.written(table, (hash_key, range_key))


def _query(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(self, *args, **kwargs).arguments
        items = _INDEXES.items_of(self, asked.get("index_name"), asked.get("hash_key_conditions"))
        return original(self if items is None else _OnePartition(self, items), *args, **kwargs)

    return query


def _put_item(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original(self, *args, **kwargs)
        _INDEXES.written(self, (item.hash_key, item.range_key))
        return item

    return put_item


def _delete_item(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def delete_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original(self, *args, **kwargs)
        if item is not None:
            _INDEXES.written(self, (item.hash_key, item.range_key))
        return item

    return delete_item


def _update_item(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def update_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(self, *args, **kwargs).arguments
        try:
            return original(self, *args, **kwargs)
        finally:  # also when it failed: an update can fail after changing the item
            _updated(self, asked["table_name"], asked["key"])

    return update_item


def make_index_queries_read_one_partition(patch: Callable[[Any, str, Any], None] = setattr) -> None:
    """Has moto's index Queries in this process read the partition asked for, not the whole table. ``patch``
    sets each wrapped method (pytest's ``monkeypatch.setattr`` undoes it after a test); a second call does
    nothing. Before make_conditional_writes_atomic, so that its lock is around these too."""
    from moto.dynamodb.models import DynamoDBBackend  # moto is the local stack's, imported when it runs
    from moto.dynamodb.models.table import Table

    wrappers = {
        "query": _query,
        "put_item": _put_item,
        "delete_item": _delete_item,
        "update_item": _update_item,
    }
    for owner, names in ((Table, TABLE_METHODS), (DynamoDBBackend, BACKEND_METHODS)):
        for name in names:
            original = getattr(owner, name)
            if getattr(original, _PATCHED, False):
                continue
            wrapped = wrappers[name](original)
            setattr(wrapped, _PATCHED, True)
            patch(owner, name, wrapped)
