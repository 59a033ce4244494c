"""DynamoDB evaluates a write's condition and writes in one atomic step; moto does it in two Python steps, so
two threads of one process can both pass `attribute_not_exists(pk)` for the same key and both write. The
local stack serves many functions' invocations at once (as Lambda does), and a retried delivery arriving
while the first is still in flight is ordinary (`hookbridge load` sends them on purpose): without this, both
were accepted and the second record replaced the first. Written by hand because moto has no switch for it:
one lock around moto's item writes, which cost microseconds each. Reads that walk a table (Query, Scan,
DescribeTable's item count) take it too: they iterate the table's dict, and a write of a new key meanwhile
could make moto answer 500 ("dictionary changed size during iteration")."""

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

        @functools.wraps(original)
        def atomic(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        setattr(atomic, _ATOMIC, True)
        patch(DynamoDBBackend, name, atomic)
