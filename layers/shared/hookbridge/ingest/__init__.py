"""The ingest path: the HTTP edge, the pipeline every provider shares, and the verification building blocks.

Nothing is imported here: an ingest function loads only the modules it uses."""
