from __future__ import annotations

import json
import logging

import pytest
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError, EndpointConnectionError

from hookbridge.aws.secrets import SecretStore
from hookbridge.errors import NotFound, Unavailable
from hookbridge.subscription import SubscriptionSecret


class FakeSource:
    """Raises the way Powertools' SecretsProvider does: GetParameterError raised while handling the cause."""

    def __init__(self, values: dict[str, str], error: Exception | None = None) -> None:
        self.values = values
        self.error = error
        self.calls: list[str] = []

    def get(self, name: str, max_age: int | None = None, *, force_fetch: bool = False) -> str:
        self.calls.append(name)
        try:
            if self.error is not None:
                raise self.error
            if name not in self.values:
                raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "GetSecretValue")
            return self.values[name]
        except Exception as exc:
            raise GetParameterError(str(exc))  # noqa: B904 - exactly as Powertools does


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def store(source: FakeSource, clock: Clock | None = None, capacity: int = 4096) -> SecretStore:
    return SecretStore(source, "hookbridge", 300, 30, clock or Clock(), capacity)


def test_reads_the_contract_name_and_layout() -> None:
    source = FakeSource({"hookbridge/zippex/prod": '{"signing_secrets": ["a", "b"], "unused": 1}'})
    secret = store(source).get("zippex", "prod")
    assert secret.signing_keys() == [b"a", b"b"]
    assert source.calls == ["hookbridge/zippex/prod"]


def test_not_found_is_cached_briefly() -> None:
    source, clock = FakeSource({}), Clock()
    secrets = store(source, clock)
    for _ in range(3):
        with pytest.raises(NotFound):
            secrets.get("zippex", "ghost")
    assert len(source.calls) == 1
    clock.now += 31
    with pytest.raises(NotFound):
        secrets.get("zippex", "ghost")
    assert len(source.calls) == 2


def test_not_found_cache_is_bounded() -> None:
    source = FakeSource({})
    secrets = store(source, capacity=10)
    for i in range(100):
        with pytest.raises(NotFound):
            secrets.get("zippex", f"made-up-{i}")
    assert len(secrets._not_found) == 10


@pytest.mark.parametrize(
    "error",
    [
        ClientError({"Error": {"Code": "InternalServiceError"}}, "GetSecretValue"),
        ClientError({"Error": {"Code": "AccessDeniedException"}}, "GetSecretValue"),
        EndpointConnectionError(endpoint_url="https://secretsmanager"),
    ],
)
def test_other_failures_are_unavailable_and_not_cached(error: Exception) -> None:
    source = FakeSource({}, error)
    secrets = store(source)
    for _ in range(2):
        with pytest.raises(Unavailable):
            secrets.get("zippex", "prod")
    assert len(source.calls) == 2


@pytest.mark.parametrize(
    "raw", ["not json", '{"signing_secrets": "one"}', '{"hmac_encoding": "rot13"}', "[]"]
)
def test_malformed_secret_is_unavailable(raw: str) -> None:
    with pytest.raises(Unavailable, match="malformed"):
        store(FakeSource({"hookbridge/zippex/prod": raw})).get("zippex", "prod")


def test_secret_values_never_appear_in_repr() -> None:
    secret = SubscriptionSecret.model_validate(
        {
            "signing_secrets": ["whsec_x"],
            "tokens": ["tkn_7q"],
            "basic_auth": [{"username": "usr_9z", "password": "pw_8y"}],
            "api_key": "key_1",
        }
    )
    text = repr(secret) + str(secret)
    for value in ("whsec_x", "tkn_7q", "usr_9z", "pw_8y", "key_1"):
        assert value not in text


class BrokenHandler(logging.Handler):
    """Fails the way a StreamHandler with a closed stream does: it reports through handleError."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            raise OSError("log destination gone")
        except OSError:
            self.handleError(record)


def test_a_failing_log_handler_does_not_print_the_malformed_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """logging prints the exception being handled when a handler fails: never one holding the secret."""
    value = "whsec_" + "leak"  # built here, so a printed source line of this test cannot contain it
    raw = json.dumps({"signing_secrets": value})
    handler = BrokenHandler()
    logger = logging.getLogger("hookbridge.aws.secrets")
    logger.addHandler(handler)
    try:
        with pytest.raises(Unavailable):
            store(FakeSource({"hookbridge/zippex/prod": raw})).get("zippex", "prod")
    finally:
        logger.removeHandler(handler)
    printed = capsys.readouterr().err
    assert "log destination gone" in printed  # the handler did fail and logging did report it
    assert value not in printed


def test_a_cached_secret_is_validated_once_and_a_changed_one_again(monkeypatch: pytest.MonkeyPatch) -> None:
    source = FakeSource({"hookbridge/zippex/prod": '{"signing_secrets": ["a"]}'})
    secrets = store(source)
    validations: list[object] = []
    original = SubscriptionSecret.model_validate_json

    def counting(raw: object) -> SubscriptionSecret:
        validations.append(raw)
        return original(raw)  # type: ignore[arg-type]

    monkeypatch.setattr(SubscriptionSecret, "model_validate_json", counting)
    first = secrets.get("zippex", "prod")
    assert secrets.get("zippex", "prod") is first
    assert len(validations) == 1
    source.values["hookbridge/zippex/prod"] = '{"signing_secrets": ["b"]}'  # rotated
    assert secrets.get("zippex", "prod").signing_keys() == [b"b"]
    assert len(validations) == 2


@pytest.mark.parametrize(
    "message",
    [
        "You can't perform this operation on the secret because it was marked for deletion.",  # AWS
        "You tried to perform the operation on a secret that's currently marked deleted.",  # moto
    ],
)
def test_a_secret_scheduled_for_deletion_is_no_subscription(message: str) -> None:
    """404, not 503: `subscriptions delete --delete-secret` ended it; a 503 would have its provider retry."""
    error = ClientError({"Error": {"Code": "InvalidRequestException", "Message": message}}, "GetSecretValue")
    with pytest.raises(NotFound):
        store(FakeSource({}, error)).get("zippex", "prod")


def test_another_invalid_request_is_still_unavailable() -> None:
    error = ClientError({"Error": {"Code": "InvalidRequestException", "Message": "other"}}, "GetSecretValue")
    with pytest.raises(Unavailable):
        store(FakeSource({}, error)).get("zippex", "prod")
