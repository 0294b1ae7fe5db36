"""Warnings: what a valid config may say without meaning it. ``check`` prints them, with the
key and its line, and exits 0; ``run`` logs them and runs.

- **A term that is only stop words** ("the", "of the", "May" for Theresa May, "Will" for Will
  Smith), in an entity or a rule: terms match whole words, so it matches almost every story
  (in ``none``: holds almost every story back). The stop words are the dedup's list of words
  that carry no content (``dedup.wordlists``). Acronyms (US, WHO) are matched in capitals only
  and regular expressions are the operator's own: neither is judged.
- **An interval under a minute** (``polling.interval`` or a feed's): feeds rarely change that
  often, and publishers block clients that poll faster. Below 1s is an error (``model``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

from alerts.config.durations import format_duration
from alerts.config.model import Config
from alerts.dedup.wordlists import STOPWORDS
from alerts.errors import ConfigProblem
from alerts.text.normalize import normalize
from alerts.text.terms import is_acronym, term_form

BRISK_INTERVAL = timedelta(minutes=1)  # below this, `check` warns


def lint(config: Config) -> list[ConfigProblem]:
    """Every warning of a valid config; the caller fills in the lines."""
    return [*_interval_warnings(config), *_stop_word_warnings(config)]


def _interval_warnings(config: Config) -> Iterator[ConfigProblem]:
    intervals = [("polling.interval", config.polling.interval)] + [
        (f"feeds[{i}].interval", feed.interval)
        for i, feed in enumerate(config.feeds)
        if feed.interval is not None
    ]
    for path, interval in intervals:
        if interval < BRISK_INTERVAL:
            yield ConfigProblem(
                path,
                None,
                f"a poll every {format_duration(interval)}: feeds rarely change that often, "
                "and publishers may block a client that polls this fast",
            )


def _stop_word_warnings(config: Config) -> Iterator[ConfigProblem]:
    for name, aliases in config.entities.items():
        yield from _stop_words(f"entities.{name}", [name], "", matches=True)
        yield from _stop_words(f"entities.{name}", aliases, "[{}]", matches=True)
    for i, rule in enumerate(config.rules):
        for key in ("all", "any", "none"):
            terms = getattr(rule, key)
            yield from _stop_words(f"rules[{i}].{key}", terms, "[{}]", matches=key != "none")


def _stop_words(
    path: str, terms: Sequence[str], index: str, *, matches: bool
) -> Iterator[ConfigProblem]:
    effect = "matches almost every story" if matches else "holds almost every story back"
    for j, term in enumerate(terms):
        if _is_stop_words(term):
            yield ConfigProblem(
                path + index.format(j), None, f"{term.strip()!r} is only stop words: it {effect}"
            )


def _is_stop_words(term: str) -> bool:
    """Whether a spelling is matched as words that carry no content."""
    form = term_form(term)
    if form is None or is_acronym(term.strip()):
        return False
    words = normalize(term.strip().rstrip("*")).split()
    return bool(words) and all(word in STOPWORDS for word in words)
