"""`hookbridge dev --state-dir`: what the local stack keeps across restarts.

moto keeps everything in memory. With a state dir, the stack saves what an operator builds up (the
subscriptions, their secrets as they are now, the stored events and the large bodies in the payload
bucket) when it stops, and loads it when it starts. The bus, its queues and the table's stream are not
kept: restored events were published before, so they are not published again.

Written by hand: moto's own recorder replays every request ever made (each stream poll included), which
grows without bound and would publish every event again on each start.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hookbridge_cli.local.names import LocalNames

Client = Callable[[str], Any]  # a boto3 client of the local stack, by service name

FILE = "hookbridge-dev-state.json"
VERSION = 1


def _encode(value: Any) -> Any:
    """DynamoDB items carry bytes (B) and sets of them; JSON needs text."""
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def save(client: Client, names: LocalNames, state_dir: Path) -> dict[str, int]:
    dynamodb, sm, s3 = client("dynamodb"), client("secretsmanager"), client("s3")
    tables = {}
    for table in (names.events_table, names.subscriptions_table):
        items: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            items += page.get("Items", [])
        tables[table] = items
    secrets = {}
    for page in sm.get_paginator("list_secrets").paginate():
        for entry in page.get("SecretList", []):
            if entry.get("DeletedDate"):
                continue
            secrets[entry["Name"]] = sm.get_secret_value(SecretId=entry["ARN"])["SecretString"]
    objects = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=names.payload_bucket):
        for entry in page.get("Contents", []):
            objects[entry["Key"]] = s3.get_object(Bucket=names.payload_bucket, Key=entry["Key"])[
                "Body"
            ].read()
    state = {"version": VERSION, "tables": tables, "secrets": secrets, "payloads": objects}
    state_dir.mkdir(parents=True, exist_ok=True)
    temporary = state_dir / f"{FILE}.tmp"
    temporary.write_text(json.dumps(_encode(state)))
    temporary.replace(state_dir / FILE)  # never half a file, even if killed while writing
    return counts(state)


def counts(state: dict[str, Any]) -> dict[str, int]:
    tables = state["tables"]
    return {
        "events": len(tables.get(_events(state), [])),
        "subscriptions": sum(len(items) for name, items in tables.items() if name != _events(state)),
        "secrets": len(state["secrets"]),
        "payloads": len(state["payloads"]),
    }


def _events(state: dict[str, Any]) -> str:
    return next((name for name in state["tables"] if name.endswith("-events")), "")


def restore(client: Client, names: LocalNames, state_dir: Path) -> dict[str, int]:
    """Loads a saved state into the new stack's empty resources; an empty dict when there is none."""
    path = state_dir / FILE
    if not path.is_file():
        return {}
    state = _decode(json.loads(path.read_text()))
    if state.get("version") != VERSION:
        raise ValueError(f"{path} was written by another version of hookbridge dev")
    dynamodb, sm, s3 = client("dynamodb"), client("secretsmanager"), client("s3")
    for table, items in state["tables"].items():
        for item in items:
            dynamodb.put_item(TableName=table, Item=item)
    for name, value in state["secrets"].items():
        sm.create_secret(Name=name, SecretString=value)
    for key, data in state["payloads"].items():
        s3.put_object(Bucket=names.payload_bucket, Key=key, Body=data)
    return counts(state)
