"""Near-duplicate verdicts and the window of alerted stories (policy: ``similarity``)."""
