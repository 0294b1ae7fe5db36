"""Regular expressions written by operators, compiled with RE2; the only module importing re2.

RE2 runs in time linear in the text (https://github.com/google/re2/wiki/WhyRE2), so no pattern
in a rule, however written, can stall the bot (``/(a+)+$/`` over 100,000 characters takes
microseconds). The price is RE2's dialect: no look-arounds and no back-references; a pattern
using them is a config error. Patterns run over normalised text (``text.normalize``),
which is case-folded, so they are compiled case-insensitively as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print parse errors on stderr; we report them ourselves
_OPTIONS.case_sensitive = False


@dataclass(frozen=True, slots=True)
class Regex:
    """A compiled pattern; ``search`` gives the first match's start and text."""

    source: str
    _compiled: re2._Regexp[str]

    def search(self, text: str) -> tuple[int, str] | None:
        """Start and text of the first match, or None."""
        m = self._compiled.search(text)
        return None if m is None else (m.start(), m.group())


def is_regex_term(term: str) -> bool:
    """Whether a rule term is written ``/.../``."""
    term = term.strip()
    return len(term) > 2 and term.startswith("/") and term.endswith("/")


def compile_regex(source: str) -> Regex:
    """Compile a pattern (without its slashes); raises ValueError with RE2's reason."""
    try:
        return Regex(source, re2.compile(source, options=_OPTIONS))
    except re2.error as e:
        reason = e.args[0] if e.args else e
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"invalid regular expression: {reason}") from e
