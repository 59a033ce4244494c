"""The ingest functions' metrics, counted in memory and printed as one EMF line at most once per interval per
function instance, so that a flood of forged requests costs no log ingestion per request.

One EMF line per refused request (~250 bytes, with a log line of ~400 beside it) was 30 % of what a forged
request cost us (bench/cost.py, the attack's bill). Counted here instead: the first count after a quiet
interval is printed at the end of its own invocation, as before, so an occasional refusal is seen at once;
during a flood one line an interval carries every count, with the latest reason of each refused status
(never a secret, a signature or a payload: the reasons are ours). 5xx answers are printed at once: they are
our failures, rare, and an operator needs them now. What a Lambda instance counted in its last interval
before it is shut down is lost: at most one interval of counts per instance.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from hookbridge.metrics import Metric


class MetricTally:
    def __init__(
        self,
        metrics: EphemeralMetrics,
        interval_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metrics = metrics
        self._interval = interval_seconds
        self._clock = clock
        self._counts: Counter[Metric] = Counter()
        self._reasons: dict[str, str] = {}  # status -> the latest reason it was refused for
        self._urgent = False
        self._printed_at = float("-inf")

    def add(self, metric: Metric, status: int | None = None, reason: str | None = None) -> None:
        self._counts[metric] += 1
        if status is not None and reason is not None:
            self._reasons[str(status)] = reason
        if status is not None and status >= 500:
            self._urgent = True

    def print_if_due(self) -> None:
        """At the end of an invocation: one line with every count since the last, when one is due."""
        if not self._counts:
            return
        now = self._clock()
        if not self._urgent and now - self._printed_at < self._interval:
            return
        for metric, count in sorted(self._counts.items()):
            # Metric(...): a value outside the catalogue raises (tests/template/test_dashboard.py reads this).
            self._metrics.add_metric(name=Metric(metric), unit=MetricUnit.Count, value=count)
        if self._reasons:
            self._metrics.add_metadata(key="reasons", value=dict(sorted(self._reasons.items())))
        self._metrics.flush_metrics()
        self._counts.clear()
        self._reasons.clear()
        self._urgent = False
        self._printed_at = now
