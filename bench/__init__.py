"""Benchmarks: run `python -m uv run python -m bench` (see docs/performance.md)."""
