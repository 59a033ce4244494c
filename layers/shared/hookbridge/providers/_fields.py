"""Reading values out of a provider's JSON leniently: a describe function never raises."""

from __future__ import annotations

MAX_FIELD_LENGTH = 128


def short_str(value: object) -> str | None:
    """The value when it is a non-empty string of a sane length, else None. Values become keys, metadata
    and EventBridge detail-types, and a provider never documents a 10 KB event name."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_FIELD_LENGTH else None
