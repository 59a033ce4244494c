"""The scheduled health check and the provider APIs it asks.

Nothing is imported here: the ingest functions never load this subpackage."""
