"""How the functions' AWS clients wait and retry: the warm path fails fast, the publisher and the health
check are patient."""

from __future__ import annotations

from botocore.config import Config

# A provider waits 5-10 s for an answer (Zencargo 5 s), and the ingest function's timeout is 3 s: fail fast
# and answer 503 rather than be cut off. DynamoDB and Secrets Manager answer in milliseconds, so a second
# without an answer is a hang: two hung attempts, and the backoff between them, end inside the 3 s
# (tests/template/test_schedules.py), and a throttled call is retried once after at most a second.
WARM_PATH_CLIENT_CONFIG = Config(
    connect_timeout=0.4, read_timeout=1, retries={"mode": "standard", "total_max_attempts": 2}
)
# botocore's standard mode waits a random share of this before a retry: 1 s after throttling, 50 ms after
# anything else (a timeout), 25 ms for DynamoDB (botocore.retries.standard.ExponentialBackoff).
RETRY_BACKOFF_MAX_SECONDS = {"throttled": 1.0, "timed out": 0.05}
# The one PutItem of every webhook: botocore's checking of the request against the API model costs
# ~50 us of a ~400 us call, and the item is built by StoredEvent.to_item, whose types tests pin
# (tests/unit/test_stored_item.py); DynamoDB still rejects a malformed request.
WARM_PATH_DYNAMODB_CONFIG = WARM_PATH_CLIENT_CONFIG.merge(Config(parameter_validation=False))
PUBLISHER_CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 3}
)
