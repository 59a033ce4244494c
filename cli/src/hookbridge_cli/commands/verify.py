"""placeholder"""


def verify() -> None:
    """Check each deployed sender end to end."""
