"""One base class for the bot's expected errors, one subclass per stage.

Each carries the resource it concerns (feed URL, chat, config path) so that a log line or a
message to the admins can say what failed without parsing text (reader's ``exceptions.py``).
Causes are chained with ``raise ... from``.
"""

from __future__ import annotations

from dataclasses import dataclass


class AlertsError(Exception):
    """Base class of every error the bot expects and reports."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in a config file: key path (0-based indexes), line, message."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line else (self.path or "config")
        return f"{where}: {self.message}"


class ConfigError(AlertsError):
    """The config file cannot be used; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


class FetchError(AlertsError):
    """A feed could not be fetched; ``retry_after`` is the server's wish, in seconds."""

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"{url}: {reason}")


class FeedGone(FetchError):
    """The server answered 410 Gone: the feed is not polled again until the config changes."""


class AddressRefused(FetchError):
    """An article link, or a redirect on its way, leads to an address the bot does not fetch
    (loopback, private, link-local, reserved: ``alerts.feeds.addresses``)."""


class ParseError(AlertsError):
    """A feed body is not a feed that can be read at all."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, str]]:
        # Raised in the parse process and pickled back (``alerts.feeds.parse_pool``): pickle would
        # call __init__ with the one formatted message.
        return type(self), (self.url, self.reason)


class TripError(AlertsError):
    """An unexpected exception in one feed's trip (a bug, ours or a library's): counted as that
    feed's failure, so it backs off like any other, and the other feeds go on."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class StoreError(AlertsError):
    """The state file cannot be opened, read or written."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class EmbedderError(AlertsError):
    """The semantic stage's model cannot be used (``dedup.semantic``); ``model`` is the model
    named in the config ("" for the bundled one), and the message carries the remedy."""

    def __init__(self, model: str, reason: str) -> None:
        self.model = model
        self.reason = reason
        super().__init__(reason)


class NotifyError(AlertsError):
    """Telegram refused or could not take a message for ``chat``.

    ``permanent`` errors (403, most 400s) are not retried until an operator re-drives them;
    the others are retried with backoff.
    """

    def __init__(
        self,
        chat: str,
        reason: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        new_chat: str | None = None,
    ) -> None:
        self.chat = chat
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.new_chat = new_chat
        super().__init__(f"{chat}: {reason}")


class InvalidTokenError(NotifyError):
    """Telegram rejected the bot token (401): nothing can be sent until it is fixed."""


class InDoubtError(NotifyError):
    """Telegram may have taken the message: the request reached it and no readable answer came
    back (a read timeout, a reset after sending, an answer that is not a Message)."""
