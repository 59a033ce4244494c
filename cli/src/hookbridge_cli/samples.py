"""The sample events in events/<provider>/ and the demo secret each provider's samples are signed with:
what the local stack, `hookbridge send`, the tests and the benchmark all read."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from hookbridge import providers
from hookbridge.model import Provider, WebhookRequest
from hookbridge.providers.bodies import items_at
from hookbridge.providers.definition import ProviderDefinition
from hookbridge.providers.signed_content import FORM
from hookbridge.samples import DEMO_SUBSCRIPTION, example_secret, fresh_event
from hookbridge.subscription import SubscriptionSecret
from hookbridge_cli.paths import EVENTS

DEMO_SECRET = "demo-secret"  # noqa: S105 - the file events/<provider>/demo-secret.json


def load_event(provider: str, name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / provider / f"{name}.json").read_text())
    return event


def demo_secret(provider: str) -> dict[str, Any]:
    return load_event(provider, DEMO_SECRET)


# Valid in every layout, Standard Webhooks' whsec_<base64> included.
FORGED_KEY = "whsec_Zm9yZ2VkLXNlY3JldC12YWx1ZQ=="


def forged_secret(provider: str) -> dict[str, Any]:
    """The demo secret's layout (same header names, topics, URL) with other values: what a forger signs
    with. The tests' and the benchmark's forged requests."""
    demo = demo_secret(provider)
    # A definition's example layout; a sender in code has one when its module makes it (AWS SNS).
    forger = example_secret(providers.definition(provider), "forger")
    return {
        **demo,
        **{k: [FORGED_KEY] for k in ("signing_secrets", "tokens") if k in demo},
        # A definition's own layout where it has one (Adyen's hex key; a key pair not the sender's).
        **{k: v for k, v in forger.items() if k in ("signing_secrets", "public_keys", "private_keys")},
        # A pair that is not the subscription's (Postmark proves itself by basic auth alone).
        "basic_auth": [{"username": "forger", "password": "not-the-password"}],
    }


def sample_names(provider: str) -> list[str]:
    """The samples' event types; a type with slashes (Shopify's ``orders/create``) is a sub-folder."""
    folder = EVENTS / provider
    found = (p.relative_to(folder).with_suffix("") for p in folder.rglob("*.json"))
    return sorted(name.as_posix() for name in found if name.name != DEMO_SECRET)


# The senders whose samples distinct_payload knows (the rest are made distinct from their definitions).
BY_PROVIDER = (
    "zippex", "zonos", "stripe", "zencargo", "zinc", "github", "shopify", "standard-webhooks", "aws-sns",
    "google-pubsub",
    "paypal",
)  # fmt: skip


def distinct_payload(provider: str, payload: dict[str, Any], n: int) -> dict[str, Any]:
    """A copy of a sample's payload made the n-th distinct event: what identifies an event of this
    provider (its event id, or the entity it is about when it has none) is changed."""
    distinct = copy.deepcopy(payload)
    if provider in ("zippex", "zonos", "stripe", "paypal"):  # PayPal's: defined in code, its event id
        distinct["id"] = f"evt_{provider}_{n}"
    elif provider == "zencargo":
        distinct["data"]["targetId"] = f"ZTEST-{n}"
    elif provider == "aws-sns":  # defined in code: its id is the signed MessageId
        distinct["MessageId"] = f"{distinct['MessageId']}-{n}"
    elif provider == "google-pubsub":  # defined in code: its id is the messageId
        distinct["message"]["messageId"] = distinct["message"]["message_id"] = (
            f"{distinct['message']['messageId']}-{n}"
        )
    else:
        # Zinc's order; senders whose event id is a header (GitHub, Shopify, Standard Webhooks) sign each
        # distinct body with a delivery id of its own.
        distinct["request_id"] = f"req_{n}"
    return distinct


def is_stored(provider: Provider, sample: dict[str, Any]) -> bool:
    """Whether a sample is a webhook that is stored and published, not a handshake the stack answers."""
    method = sample.get("requestContext", {}).get("http", {}).get("method", "POST")
    if method != "POST":
        return False
    request = WebhookRequest(
        provider.name,
        DEMO_SUBSCRIPTION,
        {k.lower(): v for k, v in (sample.get("headers") or {}).items()},
        sample.get("queryStringParameters") or {},
        sample.get("pathParameters") or {},
        (sample.get("body") or "").encode(),
        0,
    )
    payload, _ = provider.parse(request)
    return not any(
        (h.verified or h.empty_body or (h.learns is not None and h.learns(request, payload) is not None))
        and h.matches(request, payload)
        for h in provider.handshakes
    )


def distinct_body(provider: str, sample: dict[str, Any], n: int) -> str:
    """A posted sample's body made the n-th distinct event: its event ids (every element's, in a batch)
    changed where the definition reads them, else a field of its own added, so that neither the sender's
    id nor the content repeats. A form stays a form."""
    body = sample.get("body") or ""
    if provider in BY_PROVIDER:
        return json.dumps(distinct_payload(provider, json.loads(body), n))
    definition = providers.definition(provider)
    is_form = (sample.get("headers") or {}).get("content-type", "").startswith(FORM)
    payload: Any = dict(parse_qsl(body, keep_blank_values=True)) if is_form else json.loads(body)
    inner = definition.body.json_field if definition.body else None
    if is_form and inner and inner in payload:  # Slack's interactivity: the event is the JSON in a field
        try:
            event = json.loads(payload[inner])
        except ValueError:  # Braintree's: the field is base64 of an XML notification
            payload[inner] = _distinct_xml(payload[inner], n)
        else:
            payload[inner] = json.dumps({**event, "hookbridge_n": n})
        return urlencode(payload)
    id_paths = _id_paths(definition)
    for index, item in enumerate(_items(definition, payload)):
        _make_distinct(item, id_paths, n, index)
    if is_form:
        return urlencode(payload)
    return json.dumps(payload)


def _distinct_xml(encoded: str, n: int) -> str:
    """A base64 XML notification with an element of its own added (its signer signs it anew)."""
    xml = base64.b64decode(encoded)
    root_end = xml.rstrip().rsplit(b"</", 1)
    marked = root_end[0] + f"<hookbridge-n>{n}</hookbridge-n></".encode() + root_end[1]
    return base64.encodebytes(marked).decode("ascii")


def _items(definition: ProviderDefinition, payload: Any) -> list[Any]:
    """The events a payload holds: a batch's elements where the definition reads them, else the payload."""
    if not definition.batch:
        return [payload]
    return [item for path in definition.batch.items for _, item in items_at(payload, path)]


def _id_paths(definition: ProviderDefinition) -> list[str]:
    """The dotted paths the definition reads an event's id from (a joined id's first part)."""
    return [
        path
        for source in (definition.event.id if definition.event else ())
        for path in ([source.json_path] if source.json_path else list(source.joined or ())[:1])
    ]


def _make_distinct(item: Any, id_paths: list[str], n: int, index: int) -> None:
    """The first id found at ``id_paths`` changed for the n-th run's ``index``-th element, else a field of
    our own added."""
    for path in id_paths:
        *parents, last = path.split(".")
        holder = item
        for key in parents:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and last in holder:
            holder[last] = f"{holder[last]}-{n}-{index}"
            return
    if isinstance(item, dict):
        item["hookbridge_n"] = str(n)


@dataclass(frozen=True)
class SignedRequest:
    """One delivery as the provider makes it over HTTP: where it posts, the body and the headers."""

    url: str
    body: bytes
    headers: dict[str, str]
    method: str = "POST"

    @property
    def where(self) -> str:
        """The URL without its query (which may carry a token): safe to print."""
        return self.url.split("?")[0]


# A sample's headers that describe the request API Gateway received, not one to send again: its Host and
# scheme (the stack's are used), and its body's framing, which the HTTP client sets for the body it sends (a
# sample's Content-Length, Microsoft Graph's, kept the server waiting for bytes that never came).
NOT_SENT = frozenset({"host", "x-forwarded-proto", "content-length", "transfer-encoding", "connection"})


def signed_request(
    sample: dict[str, Any],
    provider: Provider,
    secret: SubscriptionSecret,
    subscription: str,
    base_url: str,
    body: str | None = None,
) -> SignedRequest:
    """A sample (an API Gateway event from events/), or ``body`` in its place, signed or authenticated for
    now with ``secret`` as its provider does, addressed to ``subscription`` under the stack's webhook
    base URL (with or without its trailing ``/webhooks``). A sender that signs the URL signs this one."""
    addressed = copy.deepcopy(sample)
    path = addressed["rawPath"].split("/")
    path[3] = subscription
    addressed["rawPath"] = "/".join(path)
    root = urlsplit(base_url.rstrip("/").removesuffix("/webhooks"))
    headers = addressed.setdefault("headers", {})
    headers["host"], headers["x-forwarded-proto"] = root.netloc, root.scheme
    event = fresh_event(addressed, provider, secret, body=body)
    url = f"{root.scheme}://{root.netloc}{root.path}{event['rawPath']}"
    if event.get("rawQueryString"):
        url += "?" + event["rawQueryString"]
    headers = {k: v for k, v in event["headers"].items() if k not in NOT_SENT}
    method = event.get("requestContext", {}).get("http", {}).get("method", "POST")
    return SignedRequest(url, (event.get("body") or "").encode(), headers, method)
