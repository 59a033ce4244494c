"""SNS's ConfirmSubscription, unsigned as the ingest function sends it (hookbridge.aws.confirmations), served
by moto's SNS of the topic's region.

moto's server tells a request's service and region by its signature, and of an unsigned one only for a few
STS and Cognito actions (moto.moto_server.werkzeug_app.UNSIGNED_ACTIONS): an unsigned ConfirmSubscription
would reach no SNS. Here it is routed as AWS routes it, to SNS in the topic's own region (the region the
ingest function's client addresses on AWS), so the local stack runs the function's very code.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qsl

from moto.moto_server.werkzeug_app import DomainDispatcherApplication


def route_unsigned_sns_confirmations() -> None:
    original = DomainDispatcherApplication.infer_service_region_host
    if getattr(original, "routes_unsigned_sns_confirmations", False):
        return

    @functools.wraps(original)
    def infer(self: DomainDispatcherApplication, environ: dict[str, Any], path: str) -> str | None:
        if not environ.get("HTTP_AUTHORIZATION"):
            fields = dict(parse_qsl(self._get_body(environ) or environ.get("QUERY_STRING", "")))
            topic = fields.get("TopicArn", "").split(":")
            if fields.get("Action") == "ConfirmSubscription" and len(topic) == 6 and topic[2] == "sns":
                # moto reads the region from the URL's host: the host SNS has in that region.
                host = f"sns.{topic[3]}.amazonaws.com"
                environ["HTTP_HOST"] = host
                return host
        return original(self, environ, path)

    infer.routes_unsigned_sns_confirmations = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.infer_service_region_host = infer  # type: ignore[method-assign]
