"""Print a sample event from events/ authenticated for now, for `sam local invoke -e` or a test by hand.

    python -m uv run python scripts/fresh_event.py events/zippex/delivery.delivered.json \
        [--secret-file secret.json] > /tmp/event.json

The secret file holds the subscription's secret JSON (the layout in docs/deploying.md). Without one, the
provider's demo secret (events/<provider>/demo-secret.json) is used, which the samples were made with.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hookbridge import providers
from hookbridge.samples import fresh_event
from hookbridge.subscription import SubscriptionSecret


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("event", type=Path, help="a file under events/<provider>/")
    parser.add_argument("--secret-file", type=Path, help="the subscription's secret JSON")
    args = parser.parse_args()
    event = json.loads(args.event.read_text())
    name = event["rawPath"].split("/")[2]
    try:
        provider = providers.load(name)
    except ValueError as exc:
        parser.error(str(exc))
    # events/<provider>/demo-secret.json, also for a type in a folder (events/shopify/orders/create.json).
    folder = next((p for p in args.event.resolve().parents if p.name == name), args.event.parent)
    secret_file = args.secret_file or folder / "demo-secret.json"
    secret = SubscriptionSecret.model_validate_json(secret_file.read_text())
    json.dump(fresh_event(event, provider, secret), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
