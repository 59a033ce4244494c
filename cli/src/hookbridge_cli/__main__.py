from hookbridge_cli.main import entry

entry()
