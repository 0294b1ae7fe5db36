#!/usr/bin/env python3
"""News alert bot: see ``python bot.py --help`` and README.md."""

import os
import sys

if __name__ == "__main__":
    # Imported here, not above: the parse processes (spawned) import this file as their main
    # module, and need nothing of the bot beyond the parser.
    from alerts.cli import main

    try:
        sys.exit(main())
    except BrokenPipeError:
        # Specs: https://docs.python.org/3/library/signal.html#note-on-sigpipe
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
