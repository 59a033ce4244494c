"""Clients for the providers' own APIs: Zippex (REST) and Zonos (GraphQL), for health and registration.

Written on the standard library's urllib: two JSON calls do not justify another dependency in the layer
every function loads. Every call has a timeout, and 5xx and 429 answers are retried with exponential
backoff (honouring a short ``Retry-After``); anything else fails at once with ProviderApiError.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 10.0


class ProviderApiError(Exception):
    pass


@dataclass
class JsonHttpClient:
    timeout_seconds: float = 5.0
    attempts: int = 3
    backoff_seconds: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def request(self, method: str, url: str, headers: Mapping[str, str], body: Any | None = None) -> Any:
        if not url.startswith(("https://", "http://")):
            raise ProviderApiError(f"not an http(s) URL: {url}")
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Accept": "application/json", **headers}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(url, data=data, headers=all_headers, method=method)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRYABLE or attempt == self.attempts:
                    raise ProviderApiError(f"{method} {url}: HTTP {exc.code}") from exc
                delay = self._retry_after(exc) or self.backoff_seconds * 2 ** (attempt - 1)
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if attempt == self.attempts:
                    raise ProviderApiError(f"{method} {url}: {type(exc).__name__}") from exc
                delay = self.backoff_seconds * 2 ** (attempt - 1)
            except ValueError:
                # Not chained: a JSONDecodeError carries the whole answer, which can hold a webhook secret.
                raise ProviderApiError(f"{method} {url}: answer is not JSON") from None
            log.info("retrying provider API", extra={"url": url, "attempt": attempt, "delay": delay})
            self.sleep(delay)
        raise AssertionError("unreachable")

    @staticmethod
    def _retry_after(exc: urllib.error.HTTPError) -> float | None:
        value = exc.headers.get("Retry-After") if exc.headers else None
        try:
            return min(float(value), MAX_RETRY_AFTER_SECONDS) if value is not None else None
        except ValueError:
            return None


@dataclass
class ZippexApi:
    base_url: str
    api_key: str
    http: JsonHttpClient

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def list_webhooks(self) -> list[dict[str, Any]]:
        answer = self.http.request("GET", f"{self.base_url.rstrip('/')}/v1/webhooks", self._headers())
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise ProviderApiError("GET /v1/webhooks: no data list")
        return [w for w in data if isinstance(w, dict)]

    def create_webhook(self, url: str, events: list[str], description: str) -> dict[str, Any]:
        """Registers a webhook; the answer holds the signing ``secret``, which Zippex shows only once."""
        answer = self.http.request(
            "POST",
            f"{self.base_url.rstrip('/')}/v1/webhooks",
            self._headers(),
            {"url": url, "events": events, "description": description},
        )
        if not isinstance(answer, dict) or not answer.get("id") or not answer.get("secret"):
            raise ProviderApiError("POST /v1/webhooks: no id or secret in the answer")
        return answer

    def delete_webhook(self, webhook_id: str) -> None:
        self.http.request("DELETE", f"{self.base_url.rstrip('/')}/v1/webhooks/{webhook_id}", self._headers())


@dataclass
class ZonosApi:
    url: str
    api_key: str
    http: JsonHttpClient

    # Zonos authenticates API calls with the account's credential token in this header.
    CREDENTIAL_HEADER = "credentialToken"

    def _query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.request(
            "POST", self.url, {self.CREDENTIAL_HEADER: self.api_key}, {"query": query, "variables": variables}
        )
        if not isinstance(answer, dict):
            raise ProviderApiError("GraphQL answer is not an object")
        if answer.get("errors"):
            messages = [str(e.get("message")) for e in answer["errors"] if isinstance(e, dict)]
            raise ProviderApiError(f"GraphQL errors: {messages}")
        data = answer.get("data")
        if not isinstance(data, dict):
            raise ProviderApiError("GraphQL answer has no data")
        return data

    def webhooks(self) -> list[dict[str, Any]]:
        data = self._query("query { webhooks { id url type status } }", {})
        hooks = data.get("webhooks")
        if not isinstance(hooks, list):
            raise ProviderApiError("webhooks: not a list")
        return [h for h in hooks if isinstance(h, dict)]

    def webhook_log_statuses(self, webhook_type: str, first: int = 50) -> list[int | None]:
        """``responseStatus`` of the most recent deliveries of one webhook type."""
        data = self._query(
            "query ($first: Int!, $type: WebhookType!) { webhookLogs(first: $first, filter: {type: $type}) "
            "{ edges { node { id type url createdAt responseStatus } } } }",
            {"first": first, "type": webhook_type},
        )
        edges = (data.get("webhookLogs") or {}).get("edges")
        if not isinstance(edges, list):
            raise ProviderApiError("webhookLogs: no edges")
        statuses: list[int | None] = []
        for edge in edges:
            node = edge.get("node") if isinstance(edge, dict) else None
            status = node.get("responseStatus") if isinstance(node, dict) else None
            statuses.append(status if isinstance(status, int) else None)
        return statuses

    def enable(self, webhook: Mapping[str, Any]) -> None:
        self._query(
            "mutation ($input: WebhookUpdateInput!) { webhookUpdate(input: $input) { id status } }",
            {
                "input": {
                    "id": webhook["id"],
                    "url": webhook["url"],
                    "type": webhook["type"],
                    "status": "ENABLED",
                }
            },
        )
