"""Local stand-ins for the outside world: a feed server and a fake Telegram Bot API."""

from __future__ import annotations

import os

# Tests wait for events; a wait's bound only stops a broken test from hanging. On a loaded
# machine (a second suite beside this one, CI under load) events come late, so every bound is
# stretched by this factor: a wait still returns the moment its event happens.
WAIT_SCALE = float(os.environ.get("ALERTS_TEST_WAIT_SCALE", "4"))
