"""Typed models of what hookbridge puts on the bus, for consumers (and the schema registry).

Only consumers and the schema generator import this package; ingest and the publisher never do, so the
cold start of the webhook path is unaffected.
"""

from hookbridge.schemas.envelope import Metadata, PayloadRef
from hookbridge.schemas.providers import DATA_MODELS, detail_model, event_model

__all__ = ["DATA_MODELS", "Metadata", "PayloadRef", "detail_model", "event_model"]
