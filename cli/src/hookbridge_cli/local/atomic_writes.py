"""DynamoDB evaluates a write's condition and writes in one atomic step; moto does it in two Python steps, so
two threads of one process can both pass `attribute_not_exists(pk)` for the same key and both write. The
local stack serves many functions' invocations at once (as Lambda does), and a retried delivery arriving
while the first is still in flight is ordinary (`hookbridge load` sends them on purpose): without this, both
were accepted and the second record replaced the first. Written by hand because moto has no switch for it:
one lock around moto's item writes, which cost microseconds each. Reads that walk a table (Query, Scan,
DescribeTable's item count) take it too: they iterate the table's dict, and a write of a new key meanwhile
could make moto answer 500 ("dictionary changed size during iteration").

moto also makes each TransactWriteItems a deep copy of every table it names, to roll back (3.5 s a call at
5,000 items, and growing): the windowed dedupe of Zencargo and Dropbox is one transaction a delivery. Under
the lock, a transaction of puts and condition checks (ours) is decided first, cancelled as DynamoDB would
with nothing written, else its puts are made; any other transaction is moto's own."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

# The backend's writes that take a condition, and its reads that walk a table (GetItem is one lookup).
LOCKED_OPERATIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "query",
    "scan",
    "describe_table",
)
_ATOMIC = "_hookbridge_atomic"


def make_conditional_writes_atomic(patch: Callable[[Any, str, Any], None] = setattr) -> None:
    """Serialises moto's DynamoDB writes (and reads that walk a table) in this process. ``patch`` sets each
    wrapped method (pytest's ``monkeypatch.setattr`` undoes it after a test); a second call does nothing."""
    from moto.dynamodb.models import DynamoDBBackend  # moto is the local stack's, imported when it runs

    lock = threading.RLock()
    for name in LOCKED_OPERATIONS:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, _ATOMIC, False):
            continue
        if name == "transact_write_items":
            original = _puts_without_table_copies(original)

        @functools.wraps(original)
        def atomic(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        setattr(atomic, _ATOMIC, True)
        patch(DynamoDBBackend, name, atomic)


def _puts_without_table_copies(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's TransactWriteItems, without its copy of whole tables where the transaction is only puts and
    condition checks on distinct items (called under the lock, so nothing changes between check and put)."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import TransactionCanceledException

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        operations = [next(iter(entry.items())) for entry in transact_items]
        if len(operations) > 100 or any(kind not in ("Put", "ConditionCheck") for kind, _ in operations):
            return original(self, transact_items)  # type: ignore[no-any-return]
        keys: list[tuple[str, str]] = []
        errors: list[tuple[str | None, str | None, Any]] = []
        for kind, operation in operations:
            table = self.get_table(operation["TableName"])
            attributes = operation["Item"] if kind == "Put" else operation["Key"]
            key = {name: attributes[name] for name in (table.hash_key_attr, table.range_key_attr) if name}
            keys.append((operation["TableName"], repr(sorted(key.items()))))
            current = self.get_item(operation["TableName"], key)
            condition = operation.get("ConditionExpression")
            names = operation.get("ExpressionAttributeNames")
            values = operation.get("ExpressionAttributeValues")
            met = condition is None or get_filter_expression(condition, names, values).expr(current)
            if met:
                errors.append((None, None, None))
                continue
            wanted = operation.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None
            old = current.to_json()["Attributes"] if wanted else None
            errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
        if len(set(keys)) != len(keys):
            return original(self, transact_items)  # type: ignore[no-any-return]  # moto refuses it
        if any(code for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        for kind, operation in operations:
            if kind == "Put":
                self.put_item(operation["TableName"], operation["Item"])
        return None

    return transact_write_items
