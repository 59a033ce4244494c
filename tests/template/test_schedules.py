"""Issue 22: the providers' own schedules against ours. A sender that gives up before our answer arrives
counts a failure however good the answer (Zencargo disables a subscription after 5 in a row), so the ingest
function answers well inside the shortest wait a sender's page states, even at a cold start, and its AWS
clients give up (503, the provider retries) before the function is cut off."""

from __future__ import annotations

from hookbridge import providers
from hookbridge.aws.clients import (
    RETRY_BACKOFF_MAX_SECONDS,
    WARM_PATH_CLIENT_CONFIG,
    WARM_PATH_DYNAMODB_CONFIG,
)
from tests.support.template import every_sender_deployed, ingest_function, resource

# A cold start before the handler runs: bench/RESULTS.md has measured the ingest function ready in ~1.05 s
# on a quiet run of our 2-core machine (1.5 s on a busy one: it promises ratios, not times, so no test reads
# it); Lambda at 512 MB is of the same order, and SnapStart makes it a restore. Its first AWS calls open
# their connections (a listing of the subscriptions, the secret, the write): together at most this, stated.
COLD_START_SECONDS = 1.5
# API Gateway's own work and the sender's network, both ways.
NETWORK_SECONDS = 0.5


def waits() -> dict[str, float]:
    """Each sender's wait for an answer, where its page states one."""
    found = {}
    for name in providers.names():
        delivery = providers.definition(name).delivery
        if delivery is not None and delivery.timeout_seconds is not None:
            found[name] = delivery.timeout_seconds
    return found


def ingest_timeouts() -> set[int]:
    return {resource(ingest_function(p))["Properties"]["Timeout"] for p in providers.names()}


def test_the_providers_pages_are_read_into_their_definitions() -> None:
    assert waits() == {
        "asana": 10,
        "zippex": 10,
        "zencargo": 5,
        "box": 30,
        "calendly": 15,
        "gitlab": 10,
        "bitbucket": 10,
        "linear": 5,
        "dropbox": 10,
        "aws-sns": 15,
        "google-pubsub": 10,
        "plaid": 10,
        "braintree": 30,
    }
    zencargo = providers.definition("zencargo").delivery
    assert zencargo is not None
    assert "5 times over the next 5 hours" in zencargo.retries
    assert "5 consecutive failures" in zencargo.disables


def test_an_answer_even_at_a_cold_start_arrives_before_the_most_impatient_sender_gives_up() -> None:
    [timeout] = ingest_timeouts()  # one definition: one timeout for every sender
    shortest = min(waits().values())
    assert timeout + COLD_START_SECONDS + NETWORK_SECONDS <= shortest, (timeout, shortest)


def test_the_warm_path_clients_give_up_before_the_function_is_cut_off() -> None:
    """Two hung attempts (no answer within the read timeout) and the backoff between them end inside the
    function's timeout, so the provider gets a 503 with Retry-After rather than an error of Lambda's (which
    also throws away the instance's caches); a throttled attempt is retried after at most a second."""
    [timeout] = ingest_timeouts()
    for config in (WARM_PATH_CLIENT_CONFIG, WARM_PATH_DYNAMODB_CONFIG):
        attempts = config.retries["total_max_attempts"]  # type: ignore[index]
        per_attempt = config.connect_timeout + config.read_timeout  # type: ignore[operator]
        hung = attempts * per_attempt + (attempts - 1) * RETRY_BACKOFF_MAX_SECONDS["timed out"]
        assert hung <= timeout, (hung, timeout)
        throttled = (attempts - 1) * RETRY_BACKOFF_MAX_SECONDS["throttled"]
        assert throttled + per_attempt <= timeout
    # The local stack's patience with its moto (IngestSettings.local_read_timeout_seconds) is never deployed.
    template = every_sender_deployed().expanded
    variables = [
        template["Globals"]["Function"]["Environment"]["Variables"],
        *(resource(ingest_function(p))["Properties"]["Environment"]["Variables"] for p in providers.names()),
    ]
    assert not any("LOCAL_READ_TIMEOUT_SECONDS" in v for v in variables)
