"""The ingest path: the HTTP edge, the pipeline every provider shares, its handler and its metrics.

Nothing is imported here: an ingest function loads only the modules it uses."""
