"""Progress bars for long work on a terminal: ``run --once`` (feeds polled), ``backtest``
(items judged) and ``feeds import`` (feeds added), with a rate and an ETA.

tqdm draws them (the well-kept library every Python CLI user knows; its bar shows count, rate
and ETA with no set-up, and it is already installed beside python-telegram-bot's tooling).
A bar is drawn only when its stream is a terminal: in a pipe, under cron or systemd, nothing is
written and the logs stay as they are. While a bar is drawn, log lines to the terminal go
through tqdm (``logging_redirect_tqdm``: same handler format, so secrets stay redacted) so that
each prints above the bar instead of into it. This is the only module that imports tqdm.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from types import TracebackType
from typing import Any, TextIO

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm


class Progress:
    """One bar over ``total`` steps of work named ``what`` (e.g. "feeds"), after ``label`` (the
    phase of a command that has several); a no-op off a tty, and when there is nothing to do."""

    def __init__(
        self, what: str, total: int | None, stream: TextIO | None = None, label: str = ""
    ) -> None:
        out = stream if stream is not None else sys.stderr
        self._bar: tqdm[Any] | None = None
        self._logs = ExitStack()
        if _is_terminal(out) and total != 0:  # nothing to count: no bar
            self._bar = tqdm(total=total, unit=f" {what}", file=out, dynamic_ncols=True,
                             desc=label or None)  # fmt: skip
            self._logs.enter_context(logging_redirect_tqdm())

    @property
    def shown(self) -> bool:
        """Whether a bar is being drawn (the stream is a terminal)."""
        return self._bar is not None

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` more done."""
        if self._bar is not None:
            self._bar.update(steps)

    def close(self) -> None:
        """Finish the bar (its last state stays on screen)."""
        if self._bar is not None:
            self._logs.close()
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
