"""One module per command group; each defines its typer app (or command) and nothing else imports it."""
