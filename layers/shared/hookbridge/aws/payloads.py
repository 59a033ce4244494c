"""Bodies too large for a DynamoDB item, and a batch's elements too many for it, in the payload bucket (its
lifecycle matches the retention).

An object is written before the item that points at it, so an acknowledged event never points at nothing,
and is named after the request, so a retry after a failed write puts the same object again. A duplicate's
object is deleted at once (best effort) unless it is the stored event's own; anything left over expires
with the lifecycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from hookbridge.aws.storage import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)


class PayloadStore:
    def __init__(self, client: Callable[[], S3Client], bucket: str) -> None:
        # A factory: an S3 client costs ~100 ms of cold start, and almost no container ever needs one.
        self._make_client = client
        self.bucket = bucket

    @cached_property
    def _client(self) -> S3Client:
        return self._make_client()

    def put(self, key: str, body: bytes) -> None:
        try:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body)
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"payload bucket failed: {type(exc).__name__}") from exc

    def get(self, key: str) -> bytes:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"payload bucket failed: {type(exc).__name__}") from exc

    def discard(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError):
            log.warning("could not delete a duplicate's payload; the lifecycle will", extra={"key": key})
