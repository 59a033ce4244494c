"""Benchmarks: run `python -m uv run python -m bench` (see README, "Performance")."""
