"""The entry point of every sender's ingest function (template.yaml: CodeUri functions/ingest, Handler
app.handler). PROVIDER names the sender's definition; all the code, and its dependencies, are in the
shared layer, so this directory is all a function's own package holds."""

from hookbridge.assembly.ingest import ingest_handler

# Assembled on the first invocation (or before a SnapStart snapshot), never at import.
handler = ingest_handler()
