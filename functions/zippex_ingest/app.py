"""Zippex ingest function: POST /webhooks/zippex/{subscription}."""

from hookbridge.handlers import ingest_handler
from hookbridge.providers.zippex import ZIPPEX

handler = ingest_handler(ZIPPEX)
