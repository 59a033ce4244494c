"""An example consumer: hookbridge events from an SQS queue, each parsed into its provider's typed model.

Reports only the records it could not handle, so SQS retries those (then moves them to the dead-letter
queue) and deletes the rest.
"""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookbridge.schemas.providers import ZencargoEvent, ZippexEvent

logger = Logger(service="hookbridge-consumer")
processor = BatchProcessor(event_type=EventType.SQS)

# source -> the model of its events (the rule only lets these two in).
MODELS: dict[str, type[ZippexEvent] | type[ZencargoEvent]] = {
    "hookbridge.zippex": ZippexEvent,
    "hookbridge.zencargo": ZencargoEvent,
}


def handle(event: ZippexEvent | ZencargoEvent) -> None:
    """Where your code goes. Here: log what arrived, by its typed fields (never the whole payload)."""
    metadata = event.detail.metadata
    if isinstance(event, ZippexEvent) and event.detail.data is not None:
        logger.info("delivery", delivery=event.detail.data.data, event_id=metadata.event_id)
    elif isinstance(event, ZencargoEvent) and event.detail.data is not None:
        pointer = event.detail.data.data
        logger.info("zencargo", topic=pointer.topic, target=pointer.targetId)
    else:
        # Too big for the bus: metadata.payload_ref says where the body is stored.
        logger.info("by reference", payload_ref=metadata.payload_ref)


def record_handler(record: SQSRecord) -> ZippexEvent | ZencargoEvent:
    body: dict[str, Any] = record.json_body  # the EventBridge event, as the rule's target delivers it
    model = MODELS[body["source"]]
    typed = parse(event=body, model=model)
    handle(typed)
    return typed


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
