"""Confirms an AWS SNS subscription with the token its SubscriptionConfirmation carries: the
``SubscriptionConfirmer`` port.

SNS's own ConfirmSubscription API, in the topic's region (botocore finds the partition's endpoint), never the
``SubscribeURL`` the message names: the pipeline hands over only a topic the subscription allows and a token,
both covered by SNS's signature. The call is unsigned: SNS "requires an AWS signature only when the
AuthenticateOnUnsubscribe flag is set" (ConfirmSubscription, SNS API reference), as it is for anyone holding
the token, so the ingest role needs no SNS permission on topics of other accounts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hookbridge.errors import Unauthorized, Unavailable
from hookbridge.model import Confirmation

# Inside the ingest function's 3 s and SNS's 15 s wait; SNS retries the confirmation when it gets no 200.
CONFIRM_CLIENT_CONFIG = Config(
    signature_version=UNSIGNED,
    connect_timeout=0.5,
    read_timeout=1.5,
    retries={"mode": "standard", "total_max_attempts": 1},
)
# SNS's answers to a token it will not take: retrying cannot help, so the confirmation is stored as it is.
_REFUSALS = frozenset({"InvalidParameter", "NotFound", "AuthorizationError", "InvalidParameterValue"})


class SnsSubscriptions:
    """One SNS client per region, made on first use (a confirmation is rare: none on the warm path)."""

    def __init__(self, client_for_region: Callable[[str, Config], Any]) -> None:
        self._client_for_region = client_for_region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def confirm(self, asked: Confirmation) -> str:
        region = asked.topic_arn.split(":")[3]
        try:
            answer = self._client(region).confirm_subscription(TopicArn=asked.topic_arn, Token=asked.token)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            if code in _REFUSALS:
                raise Unauthorized(f"SNS refused the confirmation: {code}") from exc
            raise Unavailable(f"SNS failed to confirm: {code}") from exc
        except (BotoCoreError, KeyError, ValueError) as exc:  # unreachable, or an answer botocore cannot read
            raise Unavailable(f"SNS could not be reached: {type(exc).__name__}") from exc
        return str(answer.get("SubscriptionArn", ""))

    def _client(self, region: str) -> Any:
        with self._lock:
            if region not in self._clients:
                self._clients[region] = self._client_for_region(region, CONFIRM_CLIENT_CONFIG)
            return self._clients[region]
