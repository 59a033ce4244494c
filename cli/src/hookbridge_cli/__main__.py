from hookbridge_cli.entry import entry

entry()
