"""What video and podcast feeds add to an item's text: promotion patterns; pure, standard library.

A video's description or a podcast's show notes end with the channel's own lines, one per line:
links, calls to subscribe, follow or watch more, a hashtag line and the channel's blurb. Each is
matched against one line (and against each sentence), as ``alerts.message.boilerplate`` does,
and dropped alone; none ends the article, since a description may go on after them.

- :func:`is_link_list`: a line that is only links and their labels, as text:
  "https://bit.ly/...", "Apple: https://apple.co/... Google: https://bit.ly/... Spotify: ...",
  "Twitter: @channel", "@channel". A link is ``http(s)://``, ``www.`` or a host with a path
  ("bit.ly/abc"). :func:`cites_a_link`: a sentence that holds a link and at most 8 other
  words, or a call to action and a link ("Download the app at ..."): a real sentence that cites
  a link has more to say (8 words: "For more information on the report, visit the site at").
- ``PROMO_LINES``: calls to action ("Subscribe to X!", "Subscribe: ...", "Follow us on ...",
  "Follow X on Instagram", "Watch more X: ...", "Listen on Apple Podcasts", "Turn on
  notifications", "Like and subscribe", "Learn more about your ad choices", "... for privacy
  information"), chapter marks ("00:00 Intro", "12:41 - The vote") and a line of hashtags.
- ``BLURBS``: the channel describing itself: "X is GMA Network's flagship newscast, anchored by
  ...", "X is the official channel of ...", "Welcome to the official YouTube channel of ...",
  "X brings you the latest news ...", "... airs weeknights at 6 pm ...".
- :func:`strip_hashtag_tail` removes a run of hashtags that ends a line ("... on Friday.
  #Putin #Erdogan"): two or more, or one after a sentence end; a hashtag inside a sentence
  ("the #MeToo movement") stays.
"""

from __future__ import annotations

import re

_URL = r"(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/\S*"
URL = re.compile(_URL, re.IGNORECASE)
_SOCIAL = (
    r"(?:x|twitter|facebook|instagram|tiktok|youtube|threads|bluesky|linkedin|telegram|whatsapp"
    r"|snapchat|reddit|twitch|discord|mastodon|spotify|apple podcasts|google podcasts|podcasts?"
    r"|website|web|e-?mail|newsletter|merch|shop|store|patreon)"
)
_ACTION = (
    r"(?:subscribe|follow|watch|listen|stream|download|visit|click|tap|sign up|join|get|shop"
    r"|buy|donate|support|check out|learn more|find out more|read more|see more|more info)"
)
_LABELLED_LINK = rf"(?:[^:.!?|/]{{0,40}}:\s*)?(?:{_URL}|@\w+)"
LINK_LINE = re.compile(rf"^{_LABELLED_LINK}(?:\s*[|,/·•]?\s*{_LABELLED_LINK})*$", re.IGNORECASE)
PROMO_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:please |don'?t forget to |make sure (?:to|you) |be sure to )?(?:like,? (?:and |& )?)?"
        r"(?:subscribe|sign up|register)\b(?! (?:to|for) (?:the|our) newsletter)"
        r"(?:\s*(?:[:!]|now|here|today|(?:to|for|on|at)\b)).{0,150}$",
        r"^(?:follow|like|join|find|connect with|catch|watch) us\b.{0,150}$",
        rf"^(?:follow|find|join) .{{1,60}} (?:on|at|via) {_SOCIAL}\b.{{0,100}}$",
        r"^(?:watch|listen|stream|see|catch|get) (?:more|all|the (?:full|latest|rest|whole|app)"
        r"|full|live|now|every|past|previous|other|our|new episodes?)\b.{0,120}$",
        rf"^(?:listen|watch|available|subscribe) (?:on|in|at|via|wherever)\b.{{0,30}}"
        rf"(?:{_SOCIAL}|podcasts?|app)\b.{{0,80}}$",
        r"\b(?:turn on|hit|click|tap|ring|smash) (?:the )?(?:bell|notifications?|like button"
        r"|subscribe button)\b",
        r"^(?:like|comment|share)(?:,? (?:and |& )?(?:like|comment|share|subscribe))+\b.{0,80}$",
        r"^learn more about your ad[ -]?choices\b",
        r"\bfor privacy information\W*$",
        r"^(?:hosted|powered) (?:on|by) (?:acast|megaphone|libsyn|anchor|spotify|simplecast|omny)",
        r"^(?:advertising|sponsorship|business|press) (?:inquiries|enquiries|contact)\b",
        r"^\(?\d{1,2}:\d{2}(?::\d{2})?\)?\s*[-–—:]?\s*[^.!?]{0,80}$",
        r"^(?:#[^\W_][\w-]*[\s,]*)+$",
    )
]
BLURBS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:is|are)\b.{0,60}\b(?:flagship|official|leading|premier|award-winning|24-hour|24/7"
        r"|longest-running|most-watched|most trusted|number one|#1|top-rated)\b.{0,60}"
        r"\b(?:newscasts?|news|channels?|networks?|podcasts?|programs?|programmes?|shows?"
        r"|broadcasters?|newspapers?|magazines?|brands?|sources?)\b",
        r"\b(?:newscast|channel|programme|program|show|podcast)\b.{0,80}\b(?:anchored|hosted"
        r"|presented) by\b",
        r"^(?:welcome to|this is) (?:the )?(?:official )?.{0,60}\b(?:channel|podcast|page"
        r"|account)\b",
        r"\bbrings you (?:the )?(?:latest|best|top|breaking)\b",
        r"\bairs (?:every|weeknights|weekdays|daily|live|on (?:weekdays|weeknights|\w+days))\b",
    )
]
_WORD = re.compile(r"[^\W_]+")
_ACTION_WORDS = re.compile(rf"\b{_ACTION}\b", re.IGNORECASE)
_HASHTAG_TAIL = re.compile(r"(?:(?<=[.!?…])|(?=(?:\s*#[^\W_][\w-]*){2}))(?:\s*#[^\W_][\w-]*)+\s*$")
MAX_WORDS_WITH_A_LINK = 8


def is_link_list(line: str) -> bool:
    """Whether ``line`` is only links as text, each with its label ("Apple: https://...")."""
    return bool(LINK_LINE.search(line))


def cites_a_link(sentence: str) -> bool:
    """Whether ``sentence`` is a link with at most 8 other words, or a call to follow one."""
    if not URL.search(sentence):
        return False
    rest = URL.sub(" ", sentence)
    if len(_WORD.findall(rest)) <= MAX_WORDS_WITH_A_LINK:
        return True
    return bool(_ACTION_WORDS.search(rest))


def is_promo(line: str) -> bool:
    """Whether ``line`` is a channel's promotion: links, a call to action, a blurb, hashtags."""
    return (
        is_link_list(line)
        or any(p.search(line) for p in PROMO_LINES)
        or any(p.search(line) for p in BLURBS)
    )


def strip_hashtag_tail(line: str) -> str:
    """``line`` without the hashtags that end it (two or more, or one after a sentence end)."""
    return _HASHTAG_TAIL.sub("", line) if "#" in line else line
