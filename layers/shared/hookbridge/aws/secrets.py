"""Subscriptions' secrets from Secrets Manager, as the functions read them (the layout of a secret is the
core's: ``hookbridge.subscription.SubscriptionSecret``).

Values are fetched through Powertools' SecretsProvider, which caches them for ``secret_max_age_seconds``.
Powertools caches only values that exist, so "not found" is cached here as well, briefly and in a bounded
map, so that a flood of made-up subscription names cannot hammer Secrets Manager.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError
from pydantic import ValidationError

from hookbridge.errors import NotFound, Unauthorized, Unavailable
from hookbridge.subscription import SubscriptionSecret, secret_name

log = logging.getLogger(__name__)


class SecretSource(Protocol):
    """The part of Powertools' SecretsProvider we use (a port, so unit tests can pass a fake)."""

    def get(
        self, name: str, max_age: int | None = None, *, force_fetch: bool = False
    ) -> str | bytes | dict[str, object] | None: ...


class SecretStore:
    def __init__(
        self,
        source: SecretSource,
        prefix: str,
        max_age_seconds: int,
        not_found_max_age_seconds: int,
        clock: Callable[[], float] = time.monotonic,
        not_found_capacity: int = 4096,
        refresh_interval_seconds: float = 60,
    ) -> None:
        self._refresh_interval = refresh_interval_seconds
        # name -> (raw value, its parsed model): Powertools hands back the same cached string on every warm
        # request, so it is validated once, not per request. One entry per existing secret.
        self._parsed: dict[str, tuple[object, SubscriptionSecret]] = {}
        self._refreshed: dict[str, float] = {}  # name -> monotonic time of the last forced fetch
        self._source = source
        self._prefix = prefix
        self._max_age = max_age_seconds
        self._not_found_max_age = not_found_max_age_seconds
        self._clock = clock
        self._not_found: OrderedDict[str, float] = OrderedDict()  # name -> monotonic expiry
        self._not_found_capacity = not_found_capacity

    def refreshed(self, provider: str, subscription: str) -> SubscriptionSecret | None:
        """The secret fetched anew, when a verification with the cached one failed: the secret may have
        been rotated since it was cached. At most once per interval per subscription, so forged requests
        cannot hammer Secrets Manager; None when a refresh is not due. Only subscriptions whose secret
        exists get here, so the map stays as small as the number of real subscriptions."""
        name = secret_name(self._prefix, provider, subscription)
        now = self._clock()
        if now - self._refreshed.get(name, float("-inf")) < self._refresh_interval:
            return None
        self._refreshed[name] = now
        return self.get(provider, subscription, force_fetch=True)

    def get(self, provider: str, subscription: str, force_fetch: bool = False) -> SubscriptionSecret:
        name = secret_name(self._prefix, provider, subscription)
        expiry = self._not_found.get(name)
        if expiry is not None:
            if expiry > self._clock():
                raise NotFound("no secret for this subscription (cached)")
            del self._not_found[name]
        try:
            raw = self._source.get(name, max_age=self._max_age, force_fetch=force_fetch)
        except GetParameterError as exc:
            if _is_not_found(exc):
                self._remember_not_found(name)
                raise NotFound("no secret for this subscription") from exc
            raise Unavailable(f"secrets manager failed: {_error_code(exc)}") from exc
        cached = self._parsed.get(name)
        if cached is not None and cached[0] == raw:
            return cached[1]
        parsed = _parse(raw)
        self._parsed[name] = (raw, parsed)
        return parsed

    def _remember_not_found(self, name: str) -> None:
        if self._not_found_max_age <= 0:
            return
        self._not_found[name] = self._clock() + self._not_found_max_age
        self._not_found.move_to_end(name)
        while len(self._not_found) > self._not_found_capacity:
            self._not_found.popitem(last=False)


class LearnedSecrets:
    """Stores the signing secret a handshake hands over (Asana, Notion): the ``SecretLearner`` port. Made
    only for the senders whose definition has such a handshake; their role alone may PutSecretValue, on
    their own secrets (template.yaml).

    The write is conditional twice over. The secret is read afresh (no cache) and must carry the awaiting
    marker `hookbridge subscriptions create --await-handshake` set, with its time not past. Then the new value
    (the secret as it was, its signing secret the learned one, the marker gone) is put with the marker's
    token as ClientRequestToken, which names the version it creates. Two handshakes racing both read the
    marker, but only one version can ever have that id: Secrets Manager refuses a second, different value
    under it (ResourceExistsException), so the loser is refused and nothing changes; the very same value
    again is the same version (PutSecretValue is idempotent), so a sender's retry changes nothing either.
    After the write the marker is gone, so every later handshake is refused at the first check."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def learn(self, provider: str, subscription: str, value: str, now: float) -> str:
        name = secret_name(self._prefix, provider, subscription)
        try:
            raw = self._client.get_secret_value(SecretId=name)["SecretString"]
        except ClientError as exc:
            raise Unavailable(f"secrets manager failed: {_client_error_code(exc)}") from exc
        current = _parse(raw)
        marker = current.awaiting_handshake
        if marker is None or not marker.open_at(now):
            raise Unauthorized("the subscription awaits no secret now")
        learned = {k: v for k, v in json.loads(raw).items() if k != "awaiting_handshake"}
        learned["signing_secrets"] = [value]
        try:
            answer = self._client.put_secret_value(
                SecretId=name,
                ClientRequestToken=marker.token,
                SecretString=json.dumps(learned, sort_keys=True),
            )
        except ClientError as exc:
            if _client_error_code(exc) == "ResourceExistsException":
                raise Unauthorized("another secret was learned for this subscription") from exc
            raise Unavailable(f"secrets manager failed: {_client_error_code(exc)}") from exc
        return str(answer.get("VersionId", marker.token))


def _client_error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "ClientError"))


def _parse(raw: object) -> SubscriptionSecret:
    try:
        if isinstance(raw, str | bytes):
            return SubscriptionSecret.model_validate_json(raw)
        return SubscriptionSecret.model_validate(raw)
    except ValidationError as exc:
        # Locations and error types only: the input would be the secret itself.
        problems = [f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['type']}" for e in exc.errors()]
    # Logged outside the except block on purpose: if a log handler fails, logging prints the exception
    # being handled, and a ValidationError carries the secret's value.
    log.error("subscription secret is malformed", extra={"problems": problems})
    # 503, not 401: the provider keeps retrying while an operator fixes the secret.
    raise Unavailable("subscription secret is malformed")


def _cause(exc: GetParameterError) -> BaseException | None:
    # Powertools wraps every failure in GetParameterError, raised inside its except block.
    return exc.__cause__ or exc.__context__


def _is_not_found(exc: GetParameterError) -> bool:
    code = _error_code(exc)
    if code == "InvalidRequestException":
        # A secret scheduled for deletion (`subscriptions delete --delete-secret`) is no subscription: 404,
        # not a 503 that would have its provider retry for nothing.
        cause = _cause(exc)
        message = cause.response.get("Error", {}).get("Message", "") if isinstance(cause, ClientError) else ""
        return "delet" in str(message).lower()  # "marked for deletion" (AWS), "marked deleted" (moto)
    return code == "ResourceNotFoundException"


def _error_code(exc: GetParameterError) -> str:
    cause = _cause(exc)
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", "ClientError"))
    return type(cause).__name__ if cause is not None else "unknown"
