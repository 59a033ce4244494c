"""The console's event list over 20,000 stored events of one subscription, against `hookbridge dev`, timed
against a floor measured in the same run: the same pages over another `hookbridge dev` holding 1,200 events
of the last hour, so that each index shard of the day holds more than a page in both. A page reads what it
shows (a query a shard, 52 items each), so it should take about as long over 20,000 events as over 1,200;
before the local stack's index read one partition (local/index_queries.py), every query walked the whole
table and the page took 2.3-2.5 times the floor. The pages are timed in turn, big and floor, seven times
each (medians), and what is checked is the ratio, not a time. The other figures are printed for
docs/performance.md: the time the issue's target is about (300 ms a page), and the filters, one event's page
and finding one by id, which read more than a page. The events are written as ingest writes them
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hookbridge_cli.local import snapshot

from tests.cli.conftest import Dev, start_dev
from tests.cli.test_console import Console, answer, start_console
from tests.support.stored import stored_event

pytestmark = [pytest.mark.slow, pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

EVENTS = 20_000
DAYS = 3  # spread over the last three days, eight index shards a day as the template's default
FLOOR_EVENTS = 1_200  # over the last hour: some 150 a shard, more than the 52 a page reads of each
RATIO_BOUND = 1.5  # measured 1.02-1.10 with the partitions; 2.3-2.5 when moto walked the table
TYPES = (
    "delivery.created",
    "delivery.picked_up",
    "delivery.in_transit",
    "delivery.delivered",
    "delivery.failed",
)


def stored(n: int, now: datetime, events: int = EVENTS, seconds: float = DAYS * 86_400) -> dict[str, Any]:
    """The n-th of ``events`` spread evenly over the ``seconds`` before ``now``, as ingest stores it."""
    at = now - timedelta(seconds=(events - n) * seconds / events)
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


@dataclass
class Stack:
    """A `hookbridge dev` holding ``items``, and a console over it with its session's cookie."""

    dev: Dev
    console: Console
    items: list[dict[str, Any]]
    cookie: str = ""

    def __post_init__(self) -> None:
        self.cookie = answer(self.console.url)[1]["set-cookie"].split(";")[0]

    @property
    def newest(self) -> dict[str, Any]:
        return max(self.items, key=lambda i: i["received_at"]["S"])

    def get(self, path: str) -> tuple[float, str]:
        """The time of the answer (ms) and the page."""
        request = urllib.request.Request(f"{self.console.base}{path}", headers={"Cookie": self.cookie})  # noqa: S310
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as got:  # noqa: S310
            page = got.read().decode()
        return (time.perf_counter() - start) * 1000, page

    def stop(self) -> None:
        self.console.interrupt()
        self.dev.stop()


def start(home: Path, items: list[dict[str, Any]]) -> Stack:
    state = home / "state"
    state.mkdir()
    document = {
        "version": snapshot.VERSION,
        "tables": {"hookbridge-events": items},
        "secrets": {},
        "payloads": {},
    }
    (state / snapshot.FILE).write_text(json.dumps(snapshot._encode(document)))
    # Loading 20,000 takes a minute or two (one PutItem each, as `dev` restores a state dir).
    dev = start_dev(home, "--state-dir", str(state), "--providers", "zippex", wait=600)
    return Stack(dev, start_console(home), items)


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Stack]]:
    now = datetime.now(UTC)
    floor = start(
        tmp_path_factory.mktemp("floor"), [stored(n, now, FLOOR_EVENTS, 3_600) for n in range(FLOOR_EVENTS)]
    )
    try:
        big = start(tmp_path_factory.mktemp("scale"), [stored(n, now) for n in range(EVENTS)])
        try:
            yield big, floor
        finally:
            big.stop()
    finally:
        floor.stop()


def in_turn(
    big: Stack, floor: Stack, path: str, floor_path: str = "", times: int = 7
) -> tuple[float, float, str, str]:
    """The median times (ms) of a page over each stack, asked in turn, and each one's last page."""
    took: tuple[list[float], list[float]] = ([], [])
    pages = ["", ""]
    for _ in range(times):
        for n, (stack, asked) in enumerate(((big, path), (floor, floor_path or path))):
            ms, pages[n] = stack.get(asked)
            took[n].append(ms)
    return statistics.median(took[0]), statistics.median(took[1]), pages[0], pages[1]


def median(stack: Stack, path: str, times: int = 7) -> tuple[float, str]:
    took, page = [], ""
    for _ in range(times):
        ms, page = stack.get(path)
        took.append(ms)
    return statistics.median(took), page


def older(page: str) -> str:
    """The page's link to the next (older) page."""
    return page.split('id="older" href="')[1].split('"')[0].replace("&amp;", "&")


def test_a_page_over_20000_events_takes_about_what_it_takes_over_1200(stacks: tuple[Stack, Stack]) -> None:
    big, floor = stacks
    first, first_floor, page, floor_page = in_turn(big, floor, "/events/zippex/demo")
    assert big.newest["id"]["S"] in page
    assert floor.newest["id"]["S"] in floor_page
    assert page.count("<tr>") == floor_page.count("<tr>") == 50 + 1  # the header row and a full page
    second, second_floor, page, floor_page = in_turn(big, floor, older(page), older(floor_page))
    assert page.count("<tr>") == floor_page.count("<tr>") == 51

    base = "/events/zippex/demo"
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT12:00:00Z")
    newest, middle = big.newest, big.items[EVENTS // 2]
    others: dict[str, tuple[float, str]] = {
        "type filter, 1 in 5": median(big, f"{base}?type=delivery.delivered"),
        "type filter, 1 in 100": median(big, f"{base}?type=delivery.cancelled"),
        "until yesterday noon": median(big, f"{base}?until={yesterday}"),
        "one event (from the list's link)": median(
            big, f"{base}/{newest['id']['S']}?at={newest['received_at']['S']}"
        ),
        "find by id, the newest": median(big, f"{base}?id={newest['id']['S']}", times=3),
        "find by id, 1.5 days old": median(big, f"{base}?id={middle['id']['S']}", times=3),
    }
    assert others["type filter, 1 in 5"][1].count("delivery.delivered</td>") == 50
    assert others["type filter, 1 in 100"][1].count("delivery.cancelled</td>") == 50
    assert others["until yesterday noon"][1].count("<tr>") == 51
    for found in ("one event (from the list's link)", "find by id, the newest", "find by id, 1.5 days old"):
        assert "evt_scale_" in others[found][1], found

    paired = {"first page": (first, first_floor), "next page (cursor)": (second, second_floor)}
    ratios = {name: ms / floor_ms for name, (ms, floor_ms) in paired.items()}
    figures = [
        *(
            f"{name}: {ms:.0f} ms (floor {f:.0f} ms, ratio {ratios[name]:.2f})"
            for name, (ms, f) in paired.items()
        ),
        *(f"{name}: {ms:.0f} ms" for name, (ms, _) in others.items()),
    ]
    sys.stdout.write("\n" + "\n".join(figures) + "\n")
    assert max(ratios.values()) <= RATIO_BOUND, figures
