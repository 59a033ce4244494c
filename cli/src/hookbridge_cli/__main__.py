from hookbridge_cli.main import app

app(prog_name="hookbridge")
