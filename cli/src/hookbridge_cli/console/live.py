"""The live page's look at the bus: the temporary rule and queue `hookbridge listen` uses (bus_tap), opened
when the live page is first asked for, renewed before its expiry as listen renews its own, and removed when
the console stops (or, after a crash, by the next listen, verify or console once it has expired)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hookbridge_cli import bus_tap
from hookbridge_cli.target import Target

LEASE_SECONDS = 600
KEPT = 200  # the newest bus events the page can show


@dataclass(frozen=True)
class Seen:
    number: int  # 1, 2, ... in the order they arrived here
    arrived_at: str
    event: dict[str, Any]


class Live:
    def __init__(self, t: Target, lease_seconds: int = LEASE_SECONDS) -> None:
        self.t = t
        self.lease = lease_seconds
        self.margin = min(60.0, lease_seconds / 4)
        self.events: deque[Seen] = deque(maxlen=KEPT)
        self.error: str | None = None
        self._count = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._tap: bus_tap.Tap | None = None
        self._thread: threading.Thread | None = None
        self.opened_at: str | None = None

    @property
    def name(self) -> str | None:
        return self._tap.name if self._tap else None

    def start(self) -> None:
        """Opens the tap (once; failures are raised to the page that asked) and starts reading it."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            bus_tap.sweep(self.t)
            self._tap = self._open()
            self.opened_at = datetime.now(UTC).isoformat(timespec="seconds")
            self._thread = threading.Thread(target=self._run, name="console-live", daemon=True)
            self._thread.start()

    def after(self, number: int) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.events if seen.number > number]

    def close(self) -> list[str]:
        """Stops reading and removes the rule and queue: what could not be removed (empty: all)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=25)
        with self._lock:
            tap, self._tap = self._tap, None
        return bus_tap.close_tap(self.t, tap) if tap is not None else []

    def _open(self) -> bus_tap.Tap:
        expiry = datetime.now(UTC) + timedelta(seconds=self.lease)
        return bus_tap.open_tap(self.t, "console", expiry, bus_tap.event_pattern(self.t.prefix))

    def _run(self) -> None:
        while not self._stop.is_set():
            tap = self._tap
            if tap is None:
                return
            try:
                left = tap.expiry.timestamp() - self.margin - datetime.now(UTC).timestamp()
                if left <= 0:
                    self._renew(tap)
                    continue
                self._take(tap, int(min(2, max(1, left))))
                self.error = None
            except Exception as exc:  # shown on the page; the next poll tries again
                self.error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(2)

    def _take(self, tap: bus_tap.Tap, wait_seconds: int) -> int:
        received = bus_tap.receive(self.t, tap, wait_seconds)
        for event, receipt in received:
            with self._lock:
                # A renewal's overlap delivers an event to both queues: shown once.
                if not any(seen.event.get("id") == event.get("id") for seen in self.events):
                    self._count += 1
                    arrived = datetime.now(UTC).isoformat(timespec="seconds")
                    self.events.append(Seen(self._count, arrived, event))
            bus_tap.done(self.t, tap, receipt)
        return len(received)

    def _renew(self, old: bus_tap.Tap) -> None:
        new = self._open()
        with self._lock:
            self._tap = new
        bus_tap.remove_rule(self.t, old.bus, old.name)
        while self._take(old, 0):
            pass
        bus_tap.remove_queue(self.t, old.queue_url, old.name)
