"""The benchmark keeps working (its figures are not asserted here: they live in bench/RESULTS.md)."""

from __future__ import annotations

import pytest

from bench import warm


def test_warm_path_measures_one_aws_call_per_accepted_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(warm.ITERATIONS, "1 KB", 20)
    result = warm.measure("zippex", "1 KB")
    assert result.aws_calls_per_accepted == 1  # the conditional PutItem, nothing else
    assert result.ours_p50_us > 0
    assert result.bare_p50_us > 0
    assert 1000 < result.item_bytes < 2048
