"""Where a line of article text starts: what comes before its first word is cut; pure, stdlib.

Policy, for each line (paragraph) of article text, so that a summary starts at a sentence:

- Invisible characters at its edges and beside spaces go (``text.chars.strip_invisible``: a
  zero-width space or non-joiner, a BOM, bidi marks), as do emoji and symbols before a label.
- A line with bullets inside it ("Key points: • Shops reopen • Schools stay shut") is cut at each
  bullet (•, ▪, ●, ◦, ‣, ⁃, ■, ►, ▶) that has a space on both sides; each piece is a line.
- At the start, as often as they come (``COVID LATEST: * Cabinet meets``):
  - a list bullet with a space after it: one of the above, or "*", "-", "–", "—", "·";
  - a section label ending in ":" or "|": "Key points:", "LATEST:", "BREAKING NEWS:", "Live
    updates |", "Editor's note:", "Watch:", with up to three capitalised words or numbers before
    it ("COVID LATEST:", "Election 2026 latest:"); never lower-case words, so "He said the key
    points: ..." stays whole;
  - a credit glued to the first words: "From RNZ" (an acronym), "(Reuters) -", "AP —",
    "Reuters -", a wire dateline "SEOUL (Meridian Wire) —", "KYIV, Ukraine (AP) —", "VILNIUS —"
    (capitals, then a dash), and a byline with a separator "By Jane Doe | ", "By Jane Doe,
    Reuters — ". Each needs a capital letter, digit or quote after it: the sentence it starts.
- A run of hashtags that ends the line goes (``promo.strip_hashtag_tail``).
"""

from __future__ import annotations

import re
import unicodedata

from alerts.message.promo import strip_hashtag_tail
from alerts.text.chars import strip_invisible

_BULLETS = "•▪●◦‣⁃■►▶"
_INNER_BULLET = re.compile(rf"\s+[{_BULLETS}]\s+")
_BULLET = re.compile(rf"^[{_BULLETS}*·\-–—]+\s+")
_LABEL_WORDS = (
    r"key (?:points?|takeaways?|facts)|(?:the )?latest|breaking(?: news)?|(?:news )?alert|updated?"
    r"|live(?: updates?| blog)?|watch|listen|exclusive|analysis|opinion|explainer|in brief|brief"
    r"|highlights?|summary|at a glance|what we know|what you need to know|need to know"
    r"|fact ?check|editor'?s note|background|context|developing(?: story)?|just in|urgent|flash"
    r"|recap|bulletin|top stories|headlines|in short|tl;? ?dr|snapshot|video|photos?|gallery|audio"
)
_QUALIFIER = r"(?:[A-Z0-9][\w'’&.-]*\s+){0,3}"
_LABEL = re.compile(rf"^#?{_QUALIFIER}(?i:{_LABEL_WORDS})\s*[:|]\s*")
_STARTS = r"(?=[A-Z0-9\"“‘'¿¡]|$)"
_CAPS = r"[A-Z][A-Z.'’-]+"
_CREDITS = [
    re.compile(p)
    for p in (
        rf"^(?i:from|via)\s+[A-Z]{{2,}}[a-z]?\b[,:]?\s+{_STARTS}",
        rf"^\([^()]{{2,40}}\)\s*[—–-]+\s+{_STARTS}",
        rf"^(?:Reuters|Bloomberg|Xinhua|Yonhap|Kyodo|Bernama|Anadolu)\s*[—–-]+\s+{_STARTS}",
        rf"^{_CAPS}(?:[ /]{_CAPS})*(?:,\s*[A-Z0-9][\w.'’-]*(?:\s[A-Z0-9][\w.'’-]*)*)?"
        rf"\s*(?:\([^()]{{2,40}}\))?\s*[—–-]+\s+{_STARTS}",
        rf"^By [A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){{1,3}}\s*(?:,[^,.!?|—–]{{1,40}})?\s*[|•·—–-]\s+"
        rf"{_STARTS}",
    )
]


def opening_lines(line: str) -> list[str]:
    """The pieces of one line, each without what comes before its first word (see above)."""
    line = strip_invisible(line)
    pieces = _INNER_BULLET.split(line) if any(b in line for b in _BULLETS) else [line]
    out = [strip_hashtag_tail(clean_start(piece)).strip() for piece in pieces]
    return [piece for piece in out if piece]


def clean_start(line: str) -> str:
    """``line`` without bullets, section labels and glued credits at its start."""
    while True:
        before = line
        line = _without_symbols(line)
        line = _BULLET.sub("", line, count=1)
        line = _LABEL.sub("", line, count=1)
        for credit in _CREDITS:
            line = credit.sub("", line, count=1)
        line = strip_invisible(line)
        if line == before:
            return line


def _without_symbols(line: str) -> str:
    """``line`` without the emoji and symbols before a label: "🔴 LIVE: ..." -> "LIVE: ..."."""
    at = 0
    while at < len(line) and unicodedata.category(line[at]) in ("So", "Sk", "Zs", "Mn", "Cf"):
        at += 1
    rest = line[at:]
    return rest if at and _LABEL.match(rest) else line
