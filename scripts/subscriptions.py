"""Create, list and delete subscription records in the registry (the subscriptions table).

    python -m uv run python scripts/subscriptions.py --table <SubscriptionsTableName> list
    python -m uv run python scripts/subscriptions.py --table T create zippex prod --webhook-id wh_x1y2z3a4 \
        --quiet-period 3600 --contact ops@example.com --event delivery.created --event delivery.delivered
    python -m uv run python scripts/subscriptions.py --table T delete zippex prod

Uses your AWS credentials and region. The secret itself goes to Secrets Manager
(docs/deploying.md, "Adding a subscription").
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import boto3

from hookbridge.aws.registry import SubscriptionExists, SubscriptionNotFound, SubscriptionRegistry
from hookbridge.subscription import Subscription


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--table", required=True, help="the stack's SubscriptionsTableName output")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="print every subscription as JSON lines")
    create = commands.add_parser("create", help="register a subscription")
    create.add_argument("provider")
    create.add_argument("subscription")
    create.add_argument("--webhook-id", help="the provider's id of the webhook (for its health)")
    create.add_argument("--quiet-period", type=int, default=86_400, help="longest normal silence, seconds")
    create.add_argument("--contact")
    create.add_argument("--event", action="append", default=[], help="an expected event type (repeat)")
    delete = commands.add_parser("delete", help="remove a subscription's record")
    delete.add_argument("provider")
    delete.add_argument("subscription")
    args = parser.parse_args(argv)

    registry = SubscriptionRegistry(boto3.client("dynamodb"), args.table)
    try:
        if args.command == "list":
            for record in registry.list():
                print(record.model_dump_json())
        elif args.command == "create":
            record = registry.create(
                Subscription(
                    provider=args.provider,
                    subscription=args.subscription,
                    webhook_id=args.webhook_id,
                    quiet_period_seconds=args.quiet_period,
                    contact=args.contact,
                    expected_events=tuple(args.event),
                )
            )
            print(json.dumps({"created": f"{record.provider}/{record.subscription}"}))
        else:
            registry.delete(args.provider, args.subscription)
            print(json.dumps({"deleted": f"{args.provider}/{args.subscription}"}))
    except (SubscriptionExists, SubscriptionNotFound) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
