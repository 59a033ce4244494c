"""Each provider's event (the `data` of the envelope), as far as its documentation describes it.

Every model allows unknown fields: providers add fields without notice, and a consumer should keep working.
"""

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

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


class TwilioData(_Open):
    """Twilio's form fields, published as an object (a status callback's, or an incoming message's)."""

    AccountSid: str | None = None
    MessageSid: str | None = None
    MessageStatus: str | None = None
    CallSid: str | None = None
    CallStatus: str | None = None
    From: str | None = None
    To: str | None = None


class PlivoData(_Open):
    """Plivo's form fields, published as an object (a message status callback's, or a call's)."""

    MessageUUID: str | None = None
    Status: str | None = None
    CallUUID: str | None = None
    CallStatus: str | None = None
    From: str | None = None
    To: str | None = None


class SlackData(_Open):
    """An Events API envelope (event_callback); slash commands and interactivity carry their own fields."""

    type: str | None = None
    team_id: str | None = None
    api_app_id: str | None = None
    event: dict[str, Any] | None = None
    event_id: str | None = None
    event_time: int | None = None


class DiscordData(_Open):
    version: int | None = None
    application_id: str | None = None
    type: int | None = None
    event: dict[str, Any] | None = None


class SendgridData(_Open):
    """One element of SendGrid's batch."""

    event: str
    email: str | None = None
    timestamp: int | None = None
    sg_event_id: str | None = None
    sg_message_id: str | None = None


class SquareData(_Open):
    merchant_id: str | None = None
    type: str
    event_id: str
    created_at: str | None = None
    data: dict[str, Any] | None = None


class PaddleData(_Open):
    event_id: str
    event_type: str
    occurred_at: str | None = None
    notification_id: str | None = None
    data: dict[str, Any] | None = None


class AdyenData(_Open):
    """One NotificationRequestItem of Adyen's batch."""

    eventCode: str
    pspReference: str | None = None
    originalReference: str | None = None
    merchantAccountCode: str | None = None
    merchantReference: str | None = None
    amount: dict[str, Any] | None = None
    success: str | None = None
    eventDate: str | None = None
    additionalData: dict[str, Any] | None = None


class SvixData(_Open):
    """Svix leaves the body to the sending application; most send {type, data}."""

    type: str | None = None
    data: dict[str, Any] | None = None


class MetaData(_Open):
    """One change (WhatsApp, Instagram: field and value) or messaging event (Messenger) of Meta's batch."""

    field: str | None = None
    value: dict[str, Any] | None = None
    sender: dict[str, Any] | None = None
    recipient: dict[str, Any] | None = None
    timestamp: int | None = None


class ZoomData(_Open):
    event: str
    event_ts: int | None = None
    payload: dict[str, Any] | None = None


class TwitchData(_Open):
    subscription: dict[str, Any]
    event: dict[str, Any] | None = None


class MailgunData(_Open):
    """Mailgun's body: the signature object and event-data."""

    signature: dict[str, Any] | None = None
    event_data: dict[str, Any] | None = Field(None, alias="event-data")


class HubspotData(_Open):
    """One event of HubSpot's batch."""

    subscriptionType: str
    eventId: int | None = None
    subscriptionId: int | None = None
    portalId: int | None = None
    appId: int | None = None
    occurredAt: int | None = None
    objectId: int | None = None
    propertyName: str | None = None
    propertyValue: str | None = None
    changeSource: str | None = None
    attemptNumber: int | None = None


class TypeformData(_Open):
    event_id: str
    event_type: str
    form_response: dict[str, Any] | None = None


class TelnyxData(_Open):
    """Telnyx's API v2 envelope: data.event_type, data.id, data.payload; meta."""

    data: dict[str, Any]
    meta: dict[str, Any] | None = None


class PostmarkData(_Open):
    RecordType: str
    MessageID: str | None = None
    MessageStream: str | None = None
    Recipient: str | None = None
    Metadata: dict[str, Any] | None = None


class CalendlyData(_Open):
    event: str
    created_at: str | None = None
    created_by: str | None = None
    payload: dict[str, Any] | None = None


class DocusignData(_Open):
    """A Connect JSON SIM message."""

    event: str
    apiVersion: str | None = None
    uri: str | None = None
    generatedDateTime: str | None = None
    data: dict[str, Any] | None = None


class AwsSnsData(_Open):
    """An SNS message as SNS posts it: its own fields; a notification's Message is the publisher's text."""

    Type: str
    MessageId: str
    TopicArn: str
    Message: str
    Timestamp: str
    Subject: str | None = None
    SignatureVersion: str | None = None
    Signature: str | None = None
    SigningCertURL: str | None = None
    UnsubscribeURL: str | None = None
    SubscribeURL: str | None = None
    Token: str | None = None


class GooglePubsubMessage(_Open):
    """A Pub/Sub message: the publisher's data (base64) and attributes, and Google's id and time."""

    messageId: str
    publishTime: str | None = None
    data: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    orderingKey: str | None = None


class GooglePubsubData(_Open):
    """A push delivery as Pub/Sub posts it (wrapped: the subscription's payload unwrapping off)."""

    message: GooglePubsubMessage
    subscription: str
    deliveryAttempt: int | None = None


class PaypalData(_Open):
    """A PayPal webhook event notification (its Webhooks API's `event`); `resource` is the payment, order,
    subscription or dispute the event is about."""

    id: str
    event_type: str
    create_time: str | None = None
    resource_type: str | None = None
    event_version: str | None = None
    resource_version: str | None = None
    summary: str | None = None
    resource: dict[str, Any] | None = None
    links: list[dict[str, Any]] | None = None


class BraintreeData(_Open):
    """A Braintree notification as published: its bt_payload, the base64 of the signed XML <notification>
    (decode it to read the XML: kind, timestamp and the subject entity)."""

    raw: str


class DropboxListFolder(_Open):
    accounts: list[str] = Field(default_factory=list)  # the linked accounts whose files changed


class DropboxData(_Open):
    """A Dropbox notification: only which accounts changed (call files/list_folder/continue for them)."""

    list_folder: DropboxListFolder
    delta: dict[str, Any] | None = None  # the API v1 form: {"users": [...]}


class TrelloAction(_Open):
    id: str
    type: str
    date: str | None = None  # ISO 8601
    idMemberCreator: str | None = None  # the sender's field name
    data: dict[str, Any] | None = None  # what the action touched: board, list, card, old values


class TrelloData(_Open):
    """A Trello notification: the action that changed the watched model, and that model now."""

    action: TrelloAction
    model: dict[str, Any] | None = None


class OktaData(_Open):
    """One System Log event of an Okta event hook delivery (each of its `data.events` is published)."""

    uuid: str
    eventType: str  # the sender's field name
    published: str | None = None  # ISO 8601
    displayMessage: str | None = None
    severity: str | None = None
    actor: dict[str, Any] | None = None
    target: list[dict[str, Any]] | None = None
    outcome: dict[str, Any] | None = None


class MicrosoftGraphResourceData(_Open):
    """What a notification says of the changed resource (its properties depend on the resource)."""

    id: str | None = None
    odata_type: str | None = Field(None, alias="@odata.type")
    odata_id: str | None = Field(None, alias="@odata.id")
    odata_etag: str | None = Field(None, alias="@odata.etag")


class MicrosoftGraphData(_Open):
    """One Microsoft Graph change notification or lifecycle notification (each of a delivery's `value` is
    published): changeType for a change, lifecycleEvent for a lifecycle notification, never both."""

    subscriptionId: str  # the sender's field names
    subscriptionExpirationDateTime: str | None = None  # ISO 8601
    tenantId: str | None = None
    clientState: str | None = None
    changeType: str | None = None  # created, updated, deleted
    lifecycleEvent: str | None = None  # reauthorizationRequired, subscriptionRemoved, missed
    resource: str | None = None
    resourceData: MicrosoftGraphResourceData | None = None
    id: str | None = None  # "Unique ID for the notification. Optional."


class VonageData(_Open):
    """A Vonage Messages API webhook: a message's status (``status``) or an inbound message
    (``message_type``)."""

    message_uuid: str | None = None
    to: str | None = None
    from_: str | None = Field(None, alias="from")
    timestamp: str | None = None  # ISO 8601
    channel: str | None = None
    status: str | None = None
    message_type: str | None = None
    text: str | None = None
    error: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None


class PlaidData(_Open):
    """A Plaid webhook: ``webhook_type`` and ``webhook_code`` name it, ``item_id`` the Item it is about."""

    webhook_type: str | None = None
    webhook_code: str | None = None
    item_id: str | None = None
    environment: str | None = None  # sandbox or production
    error: dict[str, Any] | None = None
    account_id: str | None = None
    new_transactions: int | None = None
    initial_update_complete: bool | None = None
    historical_update_complete: bool | None = None


class MondayBoardEvent(_Open):
    type: str
    triggerUuid: str | None = None  # the sender's field names
    triggerTime: str | None = None  # ISO 8601
    boardId: int | None = None
    pulseId: int | None = None
    userId: int | None = None
    subscriptionId: int | None = None
    columnId: str | None = None
    value: dict[str, Any] | None = None
    previousValue: dict[str, Any] | None = None


class MondayData(_Open):
    """A monday.com board webhook: the ``event`` that happened on the board."""

    event: MondayBoardEvent


class AsanaResource(_Open):
    gid: str
    resource_type: str
    resource_subtype: str | None = None


class AsanaData(_Open):
    """One event of an Asana webhook delivery (each of its `events` is published): no id of its own."""

    action: str  # added, changed, removed, deleted, undeleted
    resource: AsanaResource
    created_at: str | None = None  # ISO 8601
    user: dict[str, Any] | None = None
    parent: AsanaResource | None = None
    change: dict[str, Any] | None = None


class NotionEntity(_Open):
    id: str
    type: str  # page, database, data_source, comment


class NotionData(_Open):
    """A Notion webhook event: what happened (type) to which entity, in which workspace."""

    id: str
    type: str
    timestamp: str | None = None  # ISO 8601
    workspace_id: str | None = None
    subscription_id: str | None = None
    integration_id: str | None = None
    entity: NotionEntity | None = None
    authors: list[dict[str, Any]] | None = None
    attempt_number: int | None = None
    data: dict[str, Any] | None = None


class BoxData(_Open):
    trigger: str
    id: str
    type: str | None = None
    created_at: str | None = None
    webhook: dict[str, Any] | None = None
    created_by: dict[str, Any] | None = None
    source: dict[str, Any] | None = None


class TelegramData(_Open):
    """A Bot API Update: update_id and one optional field, whose name is the type."""

    update_id: int


class LineData(_Open):
    """One event of LINE's batch (events[])."""

    type: str
    webhookEventId: str | None = None
    timestamp: int | None = None
    mode: str | None = None
    source: dict[str, Any] | None = None
    deliveryContext: dict[str, Any] | None = None


class LemonsqueezyData(_Open):
    meta: dict[str, Any]
    data: dict[str, Any] | None = None


class MuxData(_Open):
    type: str
    id: str
    object: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    created_at: str | None = None


class WorkosData(_Open):
    event: str
    id: str
    data: dict[str, Any] | None = None
    created_at: str | None = None


class RazorpayData(_Open):
    """Razorpay's event: the entities it is about under `payload`, each as `{"entity": {...}}`."""

    entity: str | None = None
    account_id: str | None = None
    event: str
    contains: list[str] | None = None
    payload: dict[str, Any] | None = None
    created_at: int | None = None


class PagerdutyData(_Open):
    """PagerDuty's V3 webhook: the event, its `data` the incident, service, ... it is about."""

    event: dict[str, Any]


class ZendeskData(_Open):
    """A Zendesk event (an event subscription); a trigger's or automation's body is the one its admin
    wrote, so every field is optional."""

    id: str | None = None
    type: str | None = None
    subject: str | None = None
    time: str | None = None
    account_id: int | None = None
    detail: dict[str, Any] | None = None
    event: dict[str, Any] | None = None


class GitlabData(_Open):
    """A GitLab webhook body: `object_kind` says which event, the rest is shaped by it."""

    object_kind: str | None = None
    event_name: str | None = None
    project: dict[str, Any] | None = None
    object_attributes: dict[str, Any] | None = None


class MollieData(_Open):
    """A Mollie next-gen event; `_embedded.entity` is the resource when the subscription asks for the full
    payload."""

    resource: str | None = None
    id: str
    type: str
    entityId: str | None = None  # the sender's field name
    createdAt: str | None = None


class VercelData(_Open):
    id: str
    type: str
    createdAt: int | None = None  # the sender's field name: milliseconds
    region: str | None = None
    payload: dict[str, Any] | None = None


class IntercomData(_Open):
    """An Intercom notification; `data.item` is the object the topic is about."""

    type: str | None = None
    id: str | None = None
    topic: str
    app_id: str | None = None
    created_at: int | None = None
    delivery_attempts: int | None = None
    data: dict[str, Any] | None = None


class SentryData(_Open):
    """A Sentry integration webhook: `data` holds the resource the Sentry-Hook-Resource header names."""

    action: str | None = None
    installation: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    actor: dict[str, Any] | None = None


class BitbucketData(_Open):
    """A Bitbucket webhook body: the X-Event-Key header names the event, the body holds its objects."""

    repository: dict[str, Any] | None = None
    actor: dict[str, Any] | None = None
    push: dict[str, Any] | None = None
    pullrequest: dict[str, Any] | None = None


class LinearData(_Open):
    """A Linear webhook: `type` names the entity, `action` what happened to it, `data` the entity."""

    action: str | None = None
    type: str
    data: dict[str, Any] | None = None
    url: str | None = None
    createdAt: str | None = None  # the sender's field names
    organizationId: str | None = None
    webhookTimestamp: int | None = None
    webhookId: str | None = None


class JiraData(_Open):
    """A Jira webhook: `webhookEvent` names it, the objects it is about beside it (issue, comment, ...)."""

    timestamp: int | None = None
    webhookEvent: str  # the sender's field name
    issue_event_type_name: str | None = None
    user: dict[str, Any] | None = None
    issue: dict[str, Any] | None = None
    comment: dict[str, Any] | None = None


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


class TwilioDetail(_Detail):
    data: TwilioData | None = None


class TwilioEvent(EventBridgeModel):
    detail: TwilioDetail  # narrows the parser's dict to the typed detail


class SlackDetail(_Detail):
    data: SlackData | None = None


class SlackEvent(EventBridgeModel):
    detail: SlackDetail  # narrows the parser's dict to the typed detail


class DiscordDetail(_Detail):
    data: DiscordData | None = None


class DiscordEvent(EventBridgeModel):
    detail: DiscordDetail  # narrows the parser's dict to the typed detail


class SendgridDetail(_Detail):
    data: SendgridData | None = None


class SendgridEvent(EventBridgeModel):
    detail: SendgridDetail  # narrows the parser's dict to the typed detail


class SquareDetail(_Detail):
    data: SquareData | None = None


class SquareEvent(EventBridgeModel):
    detail: SquareDetail  # narrows the parser's dict to the typed detail


class PaddleDetail(_Detail):
    data: PaddleData | None = None


class PaddleEvent(EventBridgeModel):
    detail: PaddleDetail  # narrows the parser's dict to the typed detail


class AdyenDetail(_Detail):
    data: AdyenData | None = None


class AdyenEvent(EventBridgeModel):
    detail: AdyenDetail  # narrows the parser's dict to the typed detail


class SvixDetail(_Detail):
    data: SvixData | None = None


class SvixEvent(EventBridgeModel):
    detail: SvixDetail  # narrows the parser's dict to the typed detail


class MetaDetail(_Detail):
    data: MetaData | None = None


class MetaEvent(EventBridgeModel):
    detail: MetaDetail  # narrows the parser's dict to the typed detail


class ZoomDetail(_Detail):
    data: ZoomData | None = None


class ZoomEvent(EventBridgeModel):
    detail: ZoomDetail  # narrows the parser's dict to the typed detail


class TwitchDetail(_Detail):
    data: TwitchData | None = None


class TwitchEvent(EventBridgeModel):
    detail: TwitchDetail  # narrows the parser's dict to the typed detail


class MailgunDetail(_Detail):
    data: MailgunData | None = None


class MailgunEvent(EventBridgeModel):
    detail: MailgunDetail  # narrows the parser's dict to the typed detail


class HubspotDetail(_Detail):
    data: HubspotData | None = None


class HubspotEvent(EventBridgeModel):
    detail: HubspotDetail  # narrows the parser's dict to the typed detail


class TypeformDetail(_Detail):
    data: TypeformData | None = None


class TypeformEvent(EventBridgeModel):
    detail: TypeformDetail  # narrows the parser's dict to the typed detail


class TelnyxDetail(_Detail):
    data: TelnyxData | None = None


class TelnyxEvent(EventBridgeModel):
    detail: TelnyxDetail  # narrows the parser's dict to the typed detail


class PostmarkDetail(_Detail):
    data: PostmarkData | None = None


class PostmarkEvent(EventBridgeModel):
    detail: PostmarkDetail  # narrows the parser's dict to the typed detail


class CalendlyDetail(_Detail):
    data: CalendlyData | None = None


class CalendlyEvent(EventBridgeModel):
    detail: CalendlyDetail  # narrows the parser's dict to the typed detail


class DocusignDetail(_Detail):
    data: DocusignData | None = None


class DocusignEvent(EventBridgeModel):
    detail: DocusignDetail  # narrows the parser's dict to the typed detail


class AwsSnsDetail(_Detail):
    data: AwsSnsData | None = None


class AwsSnsEvent(EventBridgeModel):
    detail: AwsSnsDetail  # narrows the parser's dict to the typed detail


class GooglePubsubDetail(_Detail):
    data: GooglePubsubData | None = None


class GooglePubsubEvent(EventBridgeModel):
    detail: GooglePubsubDetail  # narrows the parser's dict to the typed detail


class PaypalDetail(_Detail):
    data: PaypalData | None = None


class PaypalEvent(EventBridgeModel):
    detail: PaypalDetail  # narrows the parser's dict to the typed detail


class BraintreeDetail(_Detail):
    data: BraintreeData | None = None


class BraintreeEvent(EventBridgeModel):
    detail: BraintreeDetail  # narrows the parser's dict to the typed detail


class DropboxDetail(_Detail):
    data: DropboxData | None = None


class DropboxEvent(EventBridgeModel):
    detail: DropboxDetail  # narrows the parser's dict to the typed detail


class TrelloDetail(_Detail):
    data: TrelloData | None = None


class TrelloEvent(EventBridgeModel):
    detail: TrelloDetail  # narrows the parser's dict to the typed detail


class OktaDetail(_Detail):
    data: OktaData | None = None


class OktaEvent(EventBridgeModel):
    detail: OktaDetail  # narrows the parser's dict to the typed detail


class MicrosoftGraphDetail(_Detail):
    data: MicrosoftGraphData | None = None


class MicrosoftGraphEvent(EventBridgeModel):
    detail: MicrosoftGraphDetail  # narrows the parser's dict to the typed detail


class VonageDetail(_Detail):
    data: VonageData | None = None


class VonageEvent(EventBridgeModel):
    detail: VonageDetail  # narrows the parser's dict to the typed detail


class PlaidDetail(_Detail):
    data: PlaidData | None = None


class PlaidEvent(EventBridgeModel):
    detail: PlaidDetail  # narrows the parser's dict to the typed detail


class MondayDetail(_Detail):
    data: MondayData | None = None


class MondayEvent(EventBridgeModel):
    detail: MondayDetail  # narrows the parser's dict to the typed detail


class AsanaDetail(_Detail):
    data: AsanaData | None = None


class AsanaEvent(EventBridgeModel):
    detail: AsanaDetail  # narrows the parser's dict to the typed detail


class NotionDetail(_Detail):
    data: NotionData | None = None


class NotionEvent(EventBridgeModel):
    detail: NotionDetail  # narrows the parser's dict to the typed detail


class BoxDetail(_Detail):
    data: BoxData | None = None


class BoxEvent(EventBridgeModel):
    detail: BoxDetail  # narrows the parser's dict to the typed detail


class TelegramDetail(_Detail):
    data: TelegramData | None = None


class TelegramEvent(EventBridgeModel):
    detail: TelegramDetail  # narrows the parser's dict to the typed detail


class LineDetail(_Detail):
    data: LineData | None = None


class LineEvent(EventBridgeModel):
    detail: LineDetail  # narrows the parser's dict to the typed detail


class LemonsqueezyDetail(_Detail):
    data: LemonsqueezyData | None = None


class LemonsqueezyEvent(EventBridgeModel):
    detail: LemonsqueezyDetail  # narrows the parser's dict to the typed detail


class MuxDetail(_Detail):
    data: MuxData | None = None


class MuxEvent(EventBridgeModel):
    detail: MuxDetail  # narrows the parser's dict to the typed detail


class WorkosDetail(_Detail):
    data: WorkosData | None = None


class WorkosEvent(EventBridgeModel):
    detail: WorkosDetail  # narrows the parser's dict to the typed detail


class RazorpayDetail(_Detail):
    data: RazorpayData | None = None


class RazorpayEvent(EventBridgeModel):
    detail: RazorpayDetail  # narrows the parser's dict to the typed detail


class PagerdutyDetail(_Detail):
    data: PagerdutyData | None = None


class PagerdutyEvent(EventBridgeModel):
    detail: PagerdutyDetail  # narrows the parser's dict to the typed detail


class ZendeskDetail(_Detail):
    data: ZendeskData | None = None


class ZendeskEvent(EventBridgeModel):
    detail: ZendeskDetail  # narrows the parser's dict to the typed detail


class GitlabDetail(_Detail):
    data: GitlabData | None = None


class GitlabEvent(EventBridgeModel):
    detail: GitlabDetail  # narrows the parser's dict to the typed detail


class MollieDetail(_Detail):
    data: MollieData | None = None


class MollieEvent(EventBridgeModel):
    detail: MollieDetail  # narrows the parser's dict to the typed detail


class VercelDetail(_Detail):
    data: VercelData | None = None


class VercelEvent(EventBridgeModel):
    detail: VercelDetail  # narrows the parser's dict to the typed detail


class IntercomDetail(_Detail):
    data: IntercomData | None = None


class IntercomEvent(EventBridgeModel):
    detail: IntercomDetail  # narrows the parser's dict to the typed detail


class SentryDetail(_Detail):
    data: SentryData | None = None


class SentryEvent(EventBridgeModel):
    detail: SentryDetail  # narrows the parser's dict to the typed detail


class BitbucketDetail(_Detail):
    data: BitbucketData | None = None


class BitbucketEvent(EventBridgeModel):
    detail: BitbucketDetail  # narrows the parser's dict to the typed detail


class LinearDetail(_Detail):
    data: LinearData | None = None


class LinearEvent(EventBridgeModel):
    detail: LinearDetail  # narrows the parser's dict to the typed detail


class JiraDetail(_Detail):
    data: JiraData | None = None


class JiraEvent(EventBridgeModel):
    detail: JiraDetail  # narrows the parser's dict to the typed detail


class PlivoDetail(_Detail):
    data: PlivoData | None = None


class PlivoEvent(EventBridgeModel):
    detail: PlivoDetail  # narrows the parser's dict to the typed detail


DATA_MODELS: dict[str, type[BaseModel]] = {
    "zippex": ZippexData,
    "zencargo": ZencargoData,
    "zinc": ZincData,
    "zonos": ZonosData,
    "standard-webhooks": StandardWebhooksData,
    "stripe": StripeData,
    "github": GithubData,
    "shopify": ShopifyData,
    "twilio": TwilioData,
    "slack": SlackData,
    "discord": DiscordData,
    "sendgrid": SendgridData,
    "square": SquareData,
    "paddle": PaddleData,
    "adyen": AdyenData,
    "svix": SvixData,
    "meta": MetaData,
    "zoom": ZoomData,
    "twitch": TwitchData,
    "mailgun": MailgunData,
    "hubspot": HubspotData,
    "typeform": TypeformData,
    "telnyx": TelnyxData,
    "postmark": PostmarkData,
    "calendly": CalendlyData,
    "docusign": DocusignData,
    "braintree": BraintreeData,
    "dropbox": DropboxData,
    "aws-sns": AwsSnsData,
    "google-pubsub": GooglePubsubData,
    "paypal": PaypalData,
    "trello": TrelloData,
    "okta": OktaData,
    "microsoft-graph": MicrosoftGraphData,
    "vonage": VonageData,
    "plaid": PlaidData,
    "monday": MondayData,
    "asana": AsanaData,
    "notion": NotionData,
    "box": BoxData,
    "telegram": TelegramData,
    "line": LineData,
    "lemonsqueezy": LemonsqueezyData,
    "mux": MuxData,
    "workos": WorkosData,
    "razorpay": RazorpayData,
    "pagerduty": PagerdutyData,
    "zendesk": ZendeskData,
    "gitlab": GitlabData,
    "mollie": MollieData,
    "vercel": VercelData,
    "intercom": IntercomData,
    "sentry": SentryData,
    "bitbucket": BitbucketData,
    "linear": LinearData,
    "jira": JiraData,
    "plivo": PlivoData,
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
    "twilio": TwilioDetail,
    "slack": SlackDetail,
    "discord": DiscordDetail,
    "sendgrid": SendgridDetail,
    "square": SquareDetail,
    "paddle": PaddleDetail,
    "adyen": AdyenDetail,
    "svix": SvixDetail,
    "meta": MetaDetail,
    "zoom": ZoomDetail,
    "twitch": TwitchDetail,
    "mailgun": MailgunDetail,
    "hubspot": HubspotDetail,
    "typeform": TypeformDetail,
    "telnyx": TelnyxDetail,
    "postmark": PostmarkDetail,
    "calendly": CalendlyDetail,
    "docusign": DocusignDetail,
    "braintree": BraintreeDetail,
    "dropbox": DropboxDetail,
    "aws-sns": AwsSnsDetail,
    "google-pubsub": GooglePubsubDetail,
    "paypal": PaypalDetail,
    "trello": TrelloDetail,
    "okta": OktaDetail,
    "microsoft-graph": MicrosoftGraphDetail,
    "vonage": VonageDetail,
    "plaid": PlaidDetail,
    "monday": MondayDetail,
    "asana": AsanaDetail,
    "notion": NotionDetail,
    "box": BoxDetail,
    "telegram": TelegramDetail,
    "line": LineDetail,
    "lemonsqueezy": LemonsqueezyDetail,
    "mux": MuxDetail,
    "workos": WorkosDetail,
    "razorpay": RazorpayDetail,
    "pagerduty": PagerdutyDetail,
    "zendesk": ZendeskDetail,
    "gitlab": GitlabDetail,
    "mollie": MollieDetail,
    "vercel": VercelDetail,
    "intercom": IntercomDetail,
    "sentry": SentryDetail,
    "bitbucket": BitbucketDetail,
    "linear": LinearDetail,
    "jira": JiraDetail,
    "plivo": PlivoDetail,
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
    "twilio": TwilioEvent,
    "slack": SlackEvent,
    "discord": DiscordEvent,
    "sendgrid": SendgridEvent,
    "square": SquareEvent,
    "paddle": PaddleEvent,
    "adyen": AdyenEvent,
    "svix": SvixEvent,
    "meta": MetaEvent,
    "zoom": ZoomEvent,
    "twitch": TwitchEvent,
    "mailgun": MailgunEvent,
    "hubspot": HubspotEvent,
    "typeform": TypeformEvent,
    "telnyx": TelnyxEvent,
    "postmark": PostmarkEvent,
    "calendly": CalendlyEvent,
    "docusign": DocusignEvent,
    "braintree": BraintreeEvent,
    "dropbox": DropboxEvent,
    "aws-sns": AwsSnsEvent,
    "google-pubsub": GooglePubsubEvent,
    "paypal": PaypalEvent,
    "trello": TrelloEvent,
    "okta": OktaEvent,
    "microsoft-graph": MicrosoftGraphEvent,
    "vonage": VonageEvent,
    "plaid": PlaidEvent,
    "monday": MondayEvent,
    "asana": AsanaEvent,
    "notion": NotionEvent,
    "box": BoxEvent,
    "telegram": TelegramEvent,
    "line": LineEvent,
    "lemonsqueezy": LemonsqueezyEvent,
    "mux": MuxEvent,
    "workos": WorkosEvent,
    "razorpay": RazorpayEvent,
    "pagerduty": PagerdutyEvent,
    "zendesk": ZendeskEvent,
    "gitlab": GitlabEvent,
    "mollie": MollieEvent,
    "vercel": VercelEvent,
    "intercom": IntercomEvent,
    "sentry": SentryEvent,
    "bitbucket": BitbucketEvent,
    "linear": LinearEvent,
    "jira": JiraEvent,
    "plivo": PlivoEvent,
}


def detail_model(provider: str) -> type[BaseModel]:
    """The `detail` of a provider's events, for Powertools parser with `envelope=EventBridgeEnvelope`."""
    return DETAIL_MODELS[provider]


def event_model(provider: str) -> type[EventBridgeModel]:
    """The whole EventBridge event with a typed `detail`, for Powertools parser `model=`."""
    return EVENT_MODELS[provider]
