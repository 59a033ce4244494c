"""Each provider's event (the `data` of the envelope), as far as its documentation describes it.

Every model allows unknown fields: providers add fields without notice, and a consumer should keep working.
"""

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict

from hookbridge.schemas.envelope import Metadata


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ZippexData(_Open):
    id: str
    type: str
    created_at: str | None = None
    data: dict[str, Any] | None = None


class ZencargoPointer(_Open):
    topic: str
    targetType: str | None = None  # the provider's field name
    targetId: str | None = None
    accountId: str | None = None


class ZencargoData(_Open):
    data: ZencargoPointer


class ZincData(_Open):
    """Zinc posts the order response itself; `_type` says which kind of response."""

    request_id: str | None = None
    code: str | None = None


class ZonosData(_Open):
    id: str | None = None
    type: str | None = None
    createdAt: str | None = None
    data: dict[str, Any] | None = None


class StandardWebhooksData(_Open):
    """Standard Webhooks recommends {type, timestamp, data}; a sender may post anything."""

    type: str | None = None
    timestamp: str | None = None
    data: dict[str, Any] | None = None


class StripeData(_Open):
    id: str
    object: str | None = None
    type: str
    created: int | None = None
    livemode: bool | None = None
    api_version: str | None = None
    data: dict[str, Any]


class GithubData(_Open):
    """GitHub's payload depends on X-GitHub-Event; these fields are common to most of them."""

    action: str | None = None
    repository: dict[str, Any] | None = None
    sender: dict[str, Any] | None = None
    installation: dict[str, Any] | None = None


class ShopifyData(_Open):
    """Shopify posts the resource itself (an order, a product, ...)."""

    id: int | str | None = None
    admin_graphql_api_id: str | None = None


class _Detail(_Open):
    """The envelope's `detail`: {metadata, data}. `data` is null when metadata.payload_ref is set."""

    metadata: Metadata


class ZippexDetail(_Detail):
    data: ZippexData | None = None


class ZippexEvent(EventBridgeModel):
    detail: ZippexDetail  # narrows the parser's dict to the typed detail


class ZencargoDetail(_Detail):
    data: ZencargoData | None = None


class ZencargoEvent(EventBridgeModel):
    detail: ZencargoDetail  # narrows the parser's dict to the typed detail


class ZincDetail(_Detail):
    data: ZincData | None = None


class ZincEvent(EventBridgeModel):
    detail: ZincDetail  # narrows the parser's dict to the typed detail


class ZonosDetail(_Detail):
    data: ZonosData | None = None


class ZonosEvent(EventBridgeModel):
    detail: ZonosDetail  # narrows the parser's dict to the typed detail


class StandardWebhooksDetail(_Detail):
    data: StandardWebhooksData | None = None


class StandardWebhooksEvent(EventBridgeModel):
    detail: StandardWebhooksDetail  # narrows the parser's dict to the typed detail


class StripeDetail(_Detail):
    data: StripeData | None = None


class StripeEvent(EventBridgeModel):
    detail: StripeDetail  # narrows the parser's dict to the typed detail


class GithubDetail(_Detail):
    data: GithubData | None = None


class GithubEvent(EventBridgeModel):
    detail: GithubDetail  # narrows the parser's dict to the typed detail


class ShopifyDetail(_Detail):
    data: ShopifyData | None = None


class ShopifyEvent(EventBridgeModel):
    detail: ShopifyDetail  # narrows the parser's dict to the typed detail


DATA_MODELS: dict[str, type[BaseModel]] = {
    "zippex": ZippexData,
    "zencargo": ZencargoData,
    "zinc": ZincData,
    "zonos": ZonosData,
    "standard-webhooks": StandardWebhooksData,
    "stripe": StripeData,
    "github": GithubData,
    "shopify": ShopifyData,
}
DETAIL_MODELS: dict[str, type[_Detail]] = {
    "zippex": ZippexDetail,
    "zencargo": ZencargoDetail,
    "zinc": ZincDetail,
    "zonos": ZonosDetail,
    "standard-webhooks": StandardWebhooksDetail,
    "stripe": StripeDetail,
    "github": GithubDetail,
    "shopify": ShopifyDetail,
}
EVENT_MODELS: dict[str, type[EventBridgeModel]] = {
    "zippex": ZippexEvent,
    "zencargo": ZencargoEvent,
    "zinc": ZincEvent,
    "zonos": ZonosEvent,
    "standard-webhooks": StandardWebhooksEvent,
    "stripe": StripeEvent,
    "github": GithubEvent,
    "shopify": ShopifyEvent,
}


def detail_model(provider: str) -> type[BaseModel]:
    """The `detail` of a provider's events, for Powertools parser with `envelope=EventBridgeEnvelope`."""
    return DETAIL_MODELS[provider]


def event_model(provider: str) -> type[EventBridgeModel]:
    """The whole EventBridge event with a typed `detail`, for Powertools parser `model=`."""
    return EVENT_MODELS[provider]
