"""One module per provider: its verification scheme and how it names its events."""
