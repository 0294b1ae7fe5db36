"""What is not article text: the boilerplate patterns of the summary stage; pure, standard library.

Each pattern is matched against one line (paragraph) of article text, white space collapsed, and
again against each sentence, since a paragraph of flattened HTML can carry a footer as its last
sentence.

- ``TAIL_MARKERS`` end the article, since what follows them is never article text: comment forms
  ("Leave a Reply", "Your email address will not be published"), syndication footers ("The post
  ... appeared first on ..."), Reddit's "submitted by /u/name [link] [comments]" and copyright
  notices ("© 2026 ...", "Copyright 2026 ...", "... All rights reserved.", Korean "저작권자",
  "무단 전재").
- ``NOISE_LINES`` are dropped alone: "Read more" and "Continue reading" links (with or without a
  URL), "Share this:" and "Like this:" and the labels of share and like buttons ("X",
  "Facebook", "Like Loading..."), a lone excerpt marker "[…]", the fallback text of embeds
  whose tag the feed's sanitiser removed ("Your browser does not support iframes.", "Please
  enable JavaScript"), and bylines: a line that is only an e-mail address, "By Jane Doe",
  "Reporter Jane Doe", "(Reporting by ...; Editing by ...)", or a Korean "김민수 기자"; and
  photo credits ("Photo: Jane Doe/Agency", "Image courtesy of ...").
- A list (``ul``/``ol``) whose every item is mostly link text (more characters inside links
  than outside) is not article text either: Google News' related headlines ("headline" and
  publisher), share buttons, navigation. ``text.html`` drops it while it reads the HTML.
- An excerpt's truncation marker at the end of a line ("promises on […]") becomes an ellipsis
  ("promises on…"), by :func:`mark_excerpt`.
"""

from __future__ import annotations

import re

_NAME = r"[A-Z][\w.'’-]*"
_NAMES = rf"{_NAME}(?:(?:,? | and | & ){_NAME}){{0,5}}"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"

TAIL_MARKERS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^leave a (reply|comment)\b",
        r"^your email address will not be published",
        r"^required fields are marked",
        r"^the post .+ appeared first on .+",
        r"^this (article|entry|post) was (originally )?published (on|at|by) .+",
        r"^(post navigation|related posts?|you may also like|comments?)\s*:?$",
        r"^(subscribe|sign up) (to|for) (our|the) newsletter",
        r"^submitted by /?u/\S+",
        r"^\W{0,3}(copyright ?)?(©|\(c\)|copyright) ?\d{4}\b",
        r"\ball rights reserved\W{0,3}$",
        r"^\W{0,3}저작권자|무단 ?전재",
    )
]
NOISE_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(read|see) (more|(the )?full (story|article))\b[^.!?]{0,40}(https?://\S+)?$",
        r"^continue reading\b.{0,80}$",
        r"^(share|like) this:?$",
        r"^(share|tweet|email|print)( (on|via) \w+)?$",
        r"^((share (on|via) )?(x|twitter|facebook|linkedin|whatsapp|telegram|reddit|pinterest"
        r"|tumblr|pocket|mastodon|bluesky|threads|e-?mail|print|more|like|loading)\W*)+$",
        r"^click here\b.{0,80}$",
        r"^(advertisement|sponsored)$",
        r"^\[?(…|\.\.\.)\]?$",
        r"^\[?(link|comments)\]?( \[?(link|comments)\]?)?$",
        r"^your browser does not support\b.{0,60}$",
        r"^(please )?(enable|turn on) javascript\b.{0,80}$",
        r"^javascript (is )?(required|disabled)\b.{0,80}$",
        rf"^(e-?mail:? ?)?{_EMAIL}$",
        rf"^(?-i:(?i:by|reporter|correspondent):? {_NAMES})$",
        r"^\((additional )?(reporting|writing|editing|compiled|research) by [^)]*\)$",
        r"^(additional )?reporting by [^.!?]*; (writing|editing) by [^.!?]*$",
        rf"^[\w·/ ]{{0,30}}기자( {_EMAIL})?$",
        r"^(photo|image|picture|video|illustration|graphic)s?( credits?)?\s*[:|/]\s*[^.!?]{0,60}$",
        r"^(photo|image|picture)s?\s+(by|courtesy( of)?)\s+[^.!?]{0,60}$",
    )
]
_EXCERPT_END = re.compile(r"\s*\[(…|\.\.\.)\]$")


def is_tail(line: str) -> bool:
    """Whether ``line`` starts the footer: it and everything after it is boilerplate."""
    return any(p.search(line) for p in TAIL_MARKERS)


def is_noise(line: str) -> bool:
    """Whether ``line`` is boilerplate to drop on its own."""
    return any(p.search(line) for p in NOISE_LINES)


def mark_excerpt(line: str) -> str:
    """An excerpt's trailing "[…]" as a plain ellipsis: "kept its promises on…"."""
    return _EXCERPT_END.sub("…", line)
