"""The `hookbridge` console script. Kept free of imports: Ctrl-C while the command's modules load (about
a second) ends it with one line, like Ctrl-C at any later moment, not with a traceback."""

import sys


def entry() -> None:
    try:
        from hookbridge_cli.main import main
    except KeyboardInterrupt:
        sys.stderr.write("hookbridge: interrupted\n")
        sys.exit(130)
    sys.exit(main())
