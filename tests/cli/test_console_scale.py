"""The console's event list over 20,000 stored events of one subscription, against `hookbridge dev`, timed
(docs/performance.md has the figures). The issue's target, 300 ms a page, is not met on the local stack:
moto answers each index Query by walking and sorting the whole table (70-150 ms here), a page is one Query
per index shard (eight), and the local stack serialises them. What this checks: every page full and newest
first, and the first page, the next and a filtered one within LOCAL_BOUND_MS, a bound that catches a page
reading far more than its eight queries. The events are written as ingest writes them
(StoredEvent.to_item) into a state dir that `hookbridge dev --state-dir` loads at start, so they are stored
but not published again (20,000 bus events would keep the local publisher busy for most of an hour)."""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hookbridge_cli.local import snapshot

from tests.cli.conftest import start_dev
from tests.cli.test_console import Console, answer, start_console
from tests.support.stored import stored_event

pytestmark = [pytest.mark.slow, pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

EVENTS = 20_000
DAYS = 3  # spread over the last three days, eight index shards a day as the template's default
LOCAL_BOUND_MS = 4_000
TYPES = (
    "delivery.created",
    "delivery.picked_up",
    "delivery.in_transit",
    "delivery.delivered",
    "delivery.failed",
)


def stored(n: int, now: datetime) -> dict[str, Any]:
    at = now - timedelta(seconds=(EVENTS - n) * DAYS * 86_400 / EVENTS)
    received = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    event_type = "delivery.cancelled" if n % 100 == 0 else TYPES[n % len(TYPES)]  # 1 in 100: a rare type
    body = json.dumps({"id": f"evt_scale_{n}", "type": event_type, "data": {"id": f"del_{n}"}}).encode()
    sha = hashlib.sha256(body).hexdigest()
    key = f"zippex#demo#id#evt_scale_{n}"
    return stored_event(
        id=hashlib.sha256(key.encode()).hexdigest()[:32],
        subscription="demo",
        event_type=event_type,
        received_at=received,
        payload=body,
        payload_sha256=sha,
        expires_at=int(at.timestamp()) + 30 * 86_400,
        dedupe_until=int(at.timestamp()) + 30 * 86_400,
        by_day=f"zippex#demo#{received[:10]}#{int(sha[:8], 16) % 8}",  # as ingest shards
        event_id=f"evt_scale_{n}",
        subject=f"del_{n}",
    ).to_item()


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, list[dict[str, Any]]]]:
    home = tmp_path_factory.mktemp("scale")
    state = home / "state"
    state.mkdir()
    items = [stored(n, datetime.now(UTC)) for n in range(EVENTS)]
    document = {
        "version": snapshot.VERSION,
        "tables": {"hookbridge-events": items},
        "secrets": {},
        "payloads": {},
    }
    (state / snapshot.FILE).write_text(json.dumps(snapshot._encode(document)))
    # Loading them takes a minute or two (one PutItem each, as `dev` restores a state dir).
    dev = start_dev(home, "--state-dir", str(state), "--providers", "zippex", wait=600)
    console = start_console(home)
    try:
        yield console, items
    finally:
        console.interrupt()
        dev.stop()


def timed(url: str, cookie: str, times: int = 7) -> tuple[float, str]:
    """The median time of the answer (ms) over ``times`` requests, and the last answer's page."""
    took, page = [], ""
    for _ in range(times):
        request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            page = answer.read().decode()
        took.append((time.perf_counter() - start) * 1000)
    return statistics.median(took), page


def test_the_event_list_over_20000_events_reads_pages_not_the_subscription(
    big: tuple[Console, list[dict[str, Any]]],
) -> None:
    console, items = big
    cookie = answer(console.url)[1]["set-cookie"].split(";")[0]
    base = f"{console.base}/events/zippex/demo"
    newest = max(items, key=lambda i: i["received_at"]["S"])

    first, page = timed(base, cookie)
    assert newest["id"]["S"] in page
    assert page.count("<tr>") == 50 + 1  # the header row and a full page
    older = page.split('id="older" href="')[1].split('"')[0].replace("&amp;", "&")
    second, page = timed(f"{console.base}{older}", cookie)
    assert page.count("<tr>") == 51
    typed, page = timed(f"{base}?type=delivery.delivered", cookie)
    assert page.count("delivery.delivered</td>") == 50
    rare, page = timed(f"{base}?type=delivery.cancelled", cookie)
    assert page.count("delivery.cancelled</td>") == 50
    one, page = timed(f"{base}/{newest['id']['S']}?at={newest['received_at']['S']}", cookie)
    assert "evt_scale_" in page
    figures = {
        "first page": first,
        "next page (cursor)": second,
        "type filter, 1 in 5": typed,
        "type filter, 1 in 100": rare,
        "one event (from the list's link)": one,
    }
    sys.stdout.write("".join(f"\n{name}: {ms:.0f} ms" for name, ms in figures.items()) + "\n")
    assert max(first, second, typed) <= LOCAL_BOUND_MS, figures
