"""Print a sample event from events/ re-signed for now, for `sam local invoke -e` or a test by hand.

    python -m uv run python scripts/fresh_event.py events/zippex/delivery.delivered.json \
        [--secret whsec_...] > /tmp/event.json

Without --secret it signs with the demo secret the samples use (events/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hookbridge.providers.zippex import ZIPPEX
from hookbridge.samples import fresh_event

PROVIDERS = {p.name: p for p in (ZIPPEX,)}
DEMO_SECRETS = {"zippex": "whsec_hookbridge_demo_secret"}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("event", type=Path, help="a file under events/<provider>/")
    parser.add_argument("--secret", help="signing secret (default: the samples' demo secret)")
    args = parser.parse_args()
    event = json.loads(args.event.read_text())
    name = event["rawPath"].split("/")[2]
    provider = PROVIDERS.get(name)
    if provider is None:
        parser.error(f"no provider {name!r} for {event['rawPath']}")
    secret = args.secret or DEMO_SECRETS[name]
    json.dump(fresh_event(event, provider, secret), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
