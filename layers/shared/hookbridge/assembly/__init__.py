"""Where the functions' handlers are assembled: the only modules that read the environment and build AWS
clients, each on its function's first invocation (or before a SnapStart snapshot), not at import, so that
importing an entry point is free of AWS and tests can import every one. functions/*/app.py call these.

Nothing is imported here: a function loads only its own assembly."""
