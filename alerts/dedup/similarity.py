"""Near-duplicate verdicts: is a matched story one already alerted to the same chat?

Policy (precision first: a wrongly merged story is a lost alert), in this order:

1. **Same link** after normalisation (scheme, ``www.``, trailing slash, fragment and tracking
   parameters such as ``utm_*``, ``fbclid``, ``gclid`` ignored) is the same story.
2. **Same title, reworded.** A title is normalised (``text.normalize``: case, accents,
   dashes; then possessives and punctuation removed: ``comparable_title``) and cut into
   *content words*: wire labels ("UPDATE 2-") and English function words dropped, initials
   joined ("u s" = "us"), numbers in digits ("six" = "6", "18,000" = "18000", "7th" = "7"),
   "-ize" spelt "-ise", and places in one form ("S. Korean" = "south_korea", "Syrian" =
   "syria", "British" = "uk", "Kyiv" = "kiev"). Two words are one word when they differ only
   by an ending ("protest"/"protesters", "marry"/"married", "Afghan"/"Afghanistan"), when one
   abbreviates the other ("Aust"/"Australia", "Sept"/"September"), when one is two words of
   the other joined ("faceoff"/"face off"), or when a long word has one typo ("cemetary").
   The words only one title has are read as *substitutions* (paired across the titles) and
   *additions* (the rest of the longer side). A retelling adds detail cheaply ("North Korea's
   Kim Jong-un sends ..."), while a substitution is how two stories share a template ("Indian
   / Tokyo stocks open lower"), so it is dear. The score is::

       100 - 8 * cost / shared words        (at least 0)
       cost = 5 per substitution + 1 per addition + 1 more per number only one title has
              + 10 more when the substitution is a different place

   and a pair at or above ``threshold`` (default **88**, ``dedup.threshold``) is one story:
   cost at most 1.5 per shared word. One substitution needs four shared words (and allows one
   addition more: "Federer wins / captures 7th Wimbledon title"); a title wholly contained in
   a longer one needs three shared words and allows four additions. Guards, which refuse the
   pair (score 0) whatever the threshold, judged on the words only one title has:

   - **numbers differ**: different numbers ("kills 12" / "kills 21"), or a number against a
     vague quantity ("killing 40" / "killing dozens");
   - **changed key word**: opposite directions ("rise"/"fall", "up"/"down", "higher"/"lower",
     "raises"/"cuts"), results ("wins"/"loses"), "opens"/"closes", "confirms"/"denies",
     "accepts"/"rejects", "convicted"/"acquitted", "arrested"/"freed", "joins"/"quits",
     "more"/"fewer", and different weekdays, months or compass points;
   - **negation on one side only** ("will not raise" / "will raise"; "no" on the other side
     is enough to count as negated there);
   - **short title**: below 3 content words ("Business Highlights") every word must be shared,
     since such a title is contained in any title that repeats it.

   **A different place** (a place in each title that no place of the other contains or lies
   within: "UK" / "Australia", "Moscow" / "Vladivostok"; a city lies within its country, a state
   within the US) costs three substitutions rather than refusing, because the gazetteer is
   incomplete and some of its names are also common words (Jordan, Turkey, Chad).

   All lists (stopwords, endings, number words, places and demonyms, opposite key words) are
   general-purpose English and geography, none taken from the labelled pairs below.

Why 88: on the STS headlines pairs (``../shared/data/dedup``, 1,283 pairs, same story = human
score >= 4, different <= 2) the policy gives precision 0.990 and recall 0.610 at 88 (311 of 510
stories found, 3 wrong merges; precision 0.974 to 1.0 in each year of the data); 86 gives
0.980 / 0.659 and 90 gives 0.992 / 0.518. The first version gave 0.957 / 0.439 at 88, plain
``token_set_ratio`` 0.972 / 0.271 at its best threshold (``python bench/dedup_quality.py``
prints the curve and the baselines). 88 keeps precision near 0.99, a margin over the 0.97 that
unseen headlines must reach, for a loss of 0.05 in recall against 86.

Known false merges: a changed name that is not a place ("Avengers" / "Hunger Games sets box
office record"), a changed verb that is not a listed opposite ("FAA continues / lifts ban on US
flights to Tel Aviv"), a short title and one new fact ("Donna Summer, the queen of disco" /
"..., dies at 63"), a place the gazetteer lacks, a title of three or four content words all
found in a longer title on the same topic ("What is Bitcoin and where is Mt Gox?" / "Bitcoin
traders hit by Mt Gox crash"), and a place whose role changes ("China stocks sink on weak data"
/ "US stocks dip on weak data from China"). Known misses: retellings in synonyms ("blast" /
"explosion", "quits" / "resigns") unless four other words are shared, one fact in other words
("found not guilty" / "acquitted", "kill 24" / "kill dozens"), a person named two ways ("Google
CEO" / "Larry Page"), a place named at two levels ("Greek" / "Athens" is no different place,
but still a substitution), and two places of one story ("Syria's Aleppo" / "Damascus").

Cost: content words are worked out once per title (``comparable_title`` does it, and a cache
of 131,072 titles keeps them); judging a pair then costs some 20 to 30 microseconds, and
``find_duplicate`` first rules out most candidates with an upper bound on their score that
costs a few microseconds, so judging a story against 64 candidates stays well under 1 ms.

The window is kept by ``alerts.dedup.window``; this module only judges a story against candidates.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rapidfuzz import fuzz, utils

from alerts.dedup import wordlists as lists
from alerts.models import StoryKey
from alerts.text.normalize import normalize

DEFAULT_THRESHOLD = 88.0
SHORT_TITLE_WORDS = 3  # content words; below this, every word must be shared
SUBSTITUTED, ADDED, PLACE_EXTRA = 5, 1, 10  # costs: a different place is 3 substitutions
NUMBER_EXTRA = 1  # a number only one title has is a new fact: it costs two additions
POINTS = 8  # score points per unit of cost per shared word

_PUNCTUATION = re.compile(r"[^\w\s]")
_POSSESSIVE = re.compile(r"(?<=\w)'s?\b")
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|ocid|cmpid|ref)$")


def _entries(text: str) -> list[tuple[str, list[str]]]:
    """``head: word word; head: word`` lines as (head, words) pairs."""
    out = []
    for entry in text.replace("\n", ";").split(";"):
        head, _, words = entry.partition(":")
        if head.strip():
            out.append((head.strip(), words.split()))
    return out


def _inflections(word: str) -> set[str]:
    """A word with its regular -s, -es, -ed, -d and -ing forms."""
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing"}
    if word.endswith("e"):
        forms.add(word[:-1] + "ing")
    if word.endswith("y"):
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    return forms


def _gazetteer(text: str) -> tuple[dict[str, str], frozenset[str]]:
    """Each place's parent, and all places."""
    parent: dict[str, str] = {}
    for head, words in _entries(text):
        for word in words:
            parent.setdefault(word, head)
    return parent, frozenset(parent) | {head for head, _ in _entries(text)}


def _key_table(text: str) -> dict[str, tuple[str, str]]:
    """Each key word form's (axis, value)."""
    table: dict[str, tuple[str, str]] = {}
    for head, words in _entries(text):
        axis, value = head.split("=") if "=" in head else (head[:-1], head[-1])
        for word in words:
            for form in _inflections(word) if "=" not in head else {word}:
                table.setdefault(form, (axis, value))
    return table


_PARENT, _PLACE_SET = _gazetteer(lists.PLACES)
_ALIAS = {w: head for head, words in _entries(lists.PLACE_NAMES) for w in words}
_KEY = _key_table(lists.KEY_WORDS)
_PHRASES = {name.replace("_", " "): name for name in _PLACE_SET | set(_ALIAS) if "_" in name}
_PHRASE_LENGTHS = sorted({name.count(" ") + 1 for name in _PHRASES}, reverse=True)
_PHRASE_STARTS = frozenset(name.split()[0] for name in _PHRASES)
_PHRASE_FORMS = {  # with demonym endings: "south korean" = "south_korea"
    phrase + ending: name
    for phrase, name in _PHRASES.items()
    for ending in ("", "n", "ns", "an", "ans", "ian", "ians", "i", "is", "ese")
}
# Wire-service labels before a title ("UPDATE 2-", "RPT-", "EXCLUSIVE-").
_LABELS = re.compile(r"^(?:(?:exclusive|update|rpt|refile|corrected|wrapup|breaking)(?: \d+)? )+")
_LABEL_WORDS = ("exclusive", "update", "rpt", "refile", "corrected", "wrapup", "breaking")
_KNOWN: dict[str, str] = {}  # word -> content word ("" for a stopword), see _content_word
_IZE = re.compile(r"^(\w{3,})iz(e|ed|es|ing|ation|ations)$")
_NUMBER_WITH_LETTERS = re.compile(r"^(\d+)(st|nd|rd|th|[a-z]+)$")  # 7th; 792p, 840mb


# ---------------------------------------------------------------- keys


@dataclass(frozen=True, slots=True)
class Verdict:
    """A duplicate verdict: which candidate, how similar, and why."""

    index: int
    score: float
    reason: str


def story_key(title: str, link: str, feed_url: str = "", guid: str = "") -> StoryKey:
    """The comparable form of a story (its guid identifies it within ``feed_url``)."""
    return StoryKey(comparable_title(title), normalize_link(link), feed_url, guid)


def comparable_title(title: str) -> str:
    """Normalised title without possessives and punctuation, words separated by one space.

    Its content words are worked out and cached here too, so that judging a story against
    the window finds them ready."""
    text = _POSSESSIVE.sub("", normalize(title))
    comparable = " ".join(_PUNCTUATION.sub(" ", text).split())
    _content_words(comparable)
    return comparable


def normalize_link(link: str) -> str:
    """A link without the parts that differ between copies of one page."""
    if not link:
        return ""
    parts = urlsplit(link.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(k.lower())
    ]
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("", host, path, urlencode(sorted(query)), ""))


# ---------------------------------------------------------------- content words


@lru_cache(maxsize=1 << 17)  # a 100,000-story window: about 25 MB when full
def _content_words(title: str) -> tuple[str, ...]:
    """The content words of a comparable title, in order, each once (see the docstring)."""
    raw = (_LABELS.sub("", title) if title.startswith(_LABEL_WORDS) else title).split()
    words: list[str] = []
    i = 0
    while i < len(raw):
        word = raw[i]
        i += 1
        known = _KNOWN.get(word)
        if known is None:
            if len(word) == 1 or word in _PHRASE_STARTS:
                word, i = _next_word(raw, i - 1)
            elif word[0].isdigit():
                if (match := _NUMBER_WITH_LETTERS.match(word)) is not None:
                    word, unit = match.groups()
                    if unit not in ("st", "nd", "rd", "th"):
                        raw.insert(i, unit)  # "840mb" = "840 mb"
                elif len(word) == 3 and words and words[-1].isdigit() and raw[i - 2].isdigit():
                    words[-1] += word  # "18 000" (from "18,000") = "18000"
                    continue
                words.append(word)
                continue
            known = _KNOWN.get(word) or _content_word(word)
        if known:
            words.append(known)
    return tuple(dict.fromkeys(words))


def _content_word(raw: str) -> str:
    """One word as content words hold it ("" for a stopword), remembered in ``_KNOWN`` unless
    its neighbours matter (initials, the first word of a place name, digits)."""
    if raw in lists.STOPWORDS:
        known = ""
    else:
        word = _IZE.sub(r"\1is\2", raw) if "iz" in raw else raw
        word = lists.NUMBER_WORDS.get(word, word)
        known = sys.intern(_place(word) or word)
    if len(raw) > 1 and raw not in _PHRASE_STARTS and not raw[0].isdigit():
        if len(_KNOWN) > 100_000:  # a bound on memory; the vocabulary of news is smaller
            _KNOWN.clear()
        _KNOWN[raw] = known
    return known


def _next_word(raw: list[str], i: int) -> tuple[str, int]:
    """The word at ``raw[i]``, with initials and place names of several words joined, and the
    index after it."""
    word = raw[i]
    if len(word) == 1 and word.isalpha():  # "u s" = "us", "n c" = "nc"
        j = i + 1
        while j < len(raw) and len(raw[j]) == 1 and raw[j].isalpha():
            j += 1
        if j > i + 1:
            return "".join(raw[i:j]), j
    if word in _PHRASE_STARTS:
        for length in _PHRASE_LENGTHS:
            name = _PHRASE_FORMS.get(" ".join(raw[i : i + length]))
            if name is not None and i + length <= len(raw):
                return name, i + length
    return word, i + 1


def _place(word: str) -> str | None:
    """The canonical place a word names ("syrian" -> "syria"), or None."""
    word = _ALIAS.get(word, word)
    if word in _PLACE_SET:
        return word
    if word.endswith("s") and len(word) > 5 and (place := _place(word[:-1])):
        return place  # Nigerians
    for ending in lists.DEMONYM_ENDINGS:
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= 3:
            for candidate in (stem, stem + "a", stem + "e", stem + "y", stem + "o"):
                if candidate in _PLACE_SET:
                    return candidate
    return None


def _within(place: str, other: str) -> bool:
    """Whether ``place`` is ``other`` or lies within it (Aleppo within Syria)."""
    while place != other and place in _PARENT:
        place = _PARENT[place]
    return place == other


def _same_word(x: str, y: str) -> bool:
    """Whether two different words are one word (see the docstring); digits never are."""
    if x[0] != y[0] or x.isdigit() or y.isdigit():
        return False
    if x in _PLACE_SET and y in _PLACE_SET:
        return False  # canonical already: India is not Indiana
    p, n = 1, min(len(x), len(y))
    while p < n and x[p] == y[p]:
        p += 1
    rest_x, rest_y = x[p:], y[p:]
    if p >= 4 and (not rest_x or not rest_y):
        return True  # an ending or an abbreviation: "protest"/"protesters", "fest"/"festival"
    if p >= 4 and _ending(rest_x, x[p - 1]) and _ending(rest_y, y[p - 1]):
        return True  # "rally"/"rallies", "syrian"/"syria" (also canonical already)
    if p == 3 and _inflection(rest_x, x[2]) and _inflection(rest_y, y[2]):
        return True  # "win"/"winning", "die"/"died", but not "arm"/"army"
    return min(len(x), len(y)) >= 6 and abs(len(x) - len(y)) <= 1 and fuzz.ratio(x, y) >= 85


def _ending(rest: str, last: str) -> bool:
    """An inflection or demonym ending."""
    return rest in lists.ENDINGS or _inflection(rest, last)


def _inflection(rest: str, last: str) -> bool:
    """A plain inflection, also after a doubled consonant ("stop" -> "stopped")."""
    return rest in lists.PLAIN_ENDINGS or (
        len(rest) >= 3 and rest[0] == last and rest[1:] in ("ing", "ed", "er", "ers")
    )


def _align(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[int, list[str], list[str]]:
    """Shared word count, and the words only in ``a`` and only in ``b``."""
    in_a, in_b = set(a), set(b)
    only_a = [w for w in a if w not in in_b]
    only_b = [w for w in b if w not in in_a]
    shared = len(a) - len(only_a)
    if only_a and only_b:
        rest_a = []
        for x in only_a:
            for j, y in enumerate(only_b):
                if y[0] == x[0] and _same_word(x, y):
                    del only_b[j]
                    shared += 1
                    break
            else:
                rest_a.append(x)
        only_a = rest_a
        if only_a and only_b and len(only_a) + len(only_b) > 2:  # a compound and two halves
            shared += _join_compounds(only_a, only_b) + _join_compounds(only_b, only_a)
    return shared, only_a, only_b


def _join_compounds(words: list[str], halves: list[str]) -> int:
    """Match a word of ``words`` with two neighbours of ``halves`` ("faceoff"/"face off")."""
    for i in range(len(halves) - 1):
        joined = halves[i] + halves[i + 1]
        if joined in words:
            words.remove(joined)
            del halves[i : i + 2]
            return 1
    return 0


# ---------------------------------------------------------------- guards and score


def _refusal(
    a: tuple[str, ...], b: tuple[str, ...], only_a: list[str], only_b: list[str]
) -> str | None:
    """Why two titles cannot be one story, judged mostly on the words they do not share."""
    nums_a = [w for w in only_a if w.isdigit()]
    nums_b = [w for w in only_b if w.isdigit()]
    if nums_a and nums_b:
        return f"numbers differ: {' '.join(nums_a)} vs {' '.join(nums_b)}"
    vague = [w for w in (only_b if nums_a else only_a) if w in lists.VAGUE_QUANTITIES]
    if (nums_a or nums_b) and vague:
        return f"numbers differ: {' '.join(nums_a or nums_b)} vs {vague[0]}"
    axes_a, axes_b = _key_words(only_a), _key_words(only_b)
    for axis in axes_a:  # in the order of the words
        if axis in axes_b and axes_a[axis].keys().isdisjoint(axes_b[axis]):
            return f"changed key word: {min(axes_a[axis].values())}/{min(axes_b[axis].values())}"
    for negated, other in ((a, b), (b, a)):
        negation = lists.NEGATIONS.intersection(negated)
        if negation and lists.NEGATIVES.isdisjoint(other):
            return f"negation on one side only: {min(negation)}"
    return None


def _key_words(words: list[str]) -> dict[str, dict[str, str]]:
    """The key words among ``words``: axis -> value -> word."""
    axes: dict[str, dict[str, str]] = {}
    for w in words:
        if w in _KEY:
            axis, value = _KEY[w]
            axes.setdefault(axis, {}).setdefault(value, w)
    return axes


def _different_place(
    a: tuple[str, ...], b: tuple[str, ...], only_a: list[str], only_b: list[str]
) -> tuple[str, str] | None:
    """A place only in each title that the other's most specific places neither contain nor
    lie within (Aleppo against Damascus even when one title also says Syria)."""
    x = _foreign(only_a, _specific(b))
    y = _foreign(only_b, _specific(a)) if x is not None else None
    return (x, y) if x is not None and y is not None else None


def _specific(words: tuple[str, ...]) -> list[str]:
    """The places among ``words`` that contain no other of them (Aleppo, not Syria)."""
    places = [w for w in words if w in _PLACE_SET]
    return [p for p in places if not any(o != p and _within(o, p) for o in places)]


def _foreign(words: list[str], places: list[str]) -> str | None:
    """The first place of ``words`` that none of ``places`` contains or lies within."""
    for w in words:
        if w in _PLACE_SET and not any(_within(w, p) or _within(p, w) for p in places):
            return w
    return None


def _judge(a: str, b: str, reasons: list[str] | None, floor: float = 0.0) -> float:
    """The score of two comparable titles, with reasons appended when a list is given. Below
    ``floor`` the guards are skipped (they can only lower the score) and the score is rough."""
    if not a or not b or a == b:
        if reasons is not None:
            reasons.append("same comparable title" if a == b and a else "empty title")
        return 100.0 if a == b and a else 0.0
    words_a, words_b = _content_words(a), _content_words(b)
    shared, only_a, only_b = _align(words_a, words_b)
    substituted = min(len(only_a), len(only_b))
    added = abs(len(only_a) - len(only_b))
    numbers = len([w for w in only_a + only_b if w.isdigit()])
    cost = SUBSTITUTED * substituted + ADDED * added + NUMBER_EXTRA * numbers
    score = max(0.0, 100.0 - POINTS * cost / shared) if shared else 0.0
    if score < floor:
        return score
    refusal = _refusal(words_a, words_b, only_a, only_b)
    if refusal is None and min(len(words_a), len(words_b)) < SHORT_TITLE_WORDS and cost:
        refusal = (
            f"short title: fewer than {SHORT_TITLE_WORDS} content words, so every word must"
            f" be shared (only in one: {' '.join(only_a + only_b)})"
        )
    if refusal is not None or not shared:
        if reasons is not None:
            reasons.append(refusal or "no content word shared")
        return 0.0
    place = _different_place(words_a, words_b, only_a, only_b) if substituted else None
    if place is not None:
        cost += PLACE_EXTRA
        score = max(0.0, 100.0 - POINTS * cost / shared)
    if reasons is not None:
        if place is not None:
            reasons.append(f"different place: {place[0]}/{place[1]} (counts as 3 substitutions)")
        reasons.append(
            f"{shared} shared words; only in first: {' '.join(only_a) or '-'};"
            f" only in second: {' '.join(only_b) or '-'}"
        )
        reasons.append(f"score 100 - {POINTS} x cost {cost} / {shared} shared = {score:.1f}")
    return score


def similarity(a: str, b: str) -> float:
    """Title similarity (0-100) under this module's policy; 0 when a guard refuses."""
    return _judge(a, b, None)


def explain_similarity(a_title: str, b_title: str) -> tuple[float, list[str]]:
    """The similarity of two raw titles and the reasons for it, for people."""
    reasons: list[str] = []
    score = _judge(comparable_title(a_title), comparable_title(b_title), reasons)
    return score, reasons


def plain_similarities(a_title: str, b_title: str) -> dict[str, float]:
    """Plain rapidfuzz scorers on two raw titles (``default_process``), as baselines."""
    a, b = utils.default_process(a_title), utils.default_process(b_title)
    return {
        "token_set_ratio": fuzz.token_set_ratio(a, b),
        "token_sort_ratio": fuzz.token_sort_ratio(a, b),
        "ratio": fuzz.ratio(a, b),
    }


def find_duplicate(
    story: StoryKey, window: Sequence[StoryKey], threshold: float = DEFAULT_THRESHOLD
) -> Verdict | None:
    """The candidate in ``window`` that ``story`` duplicates, or None when it is new: the same
    link, else the most similar title at or above ``threshold`` (the first of equals)."""
    if story.link:
        for i, other in enumerate(window):
            if other.link == story.link:
                return Verdict(i, 100.0, "same link")
    if not story.title:
        return None
    words = _content_words(story.title)
    in_words = frozenset(words)
    best, best_score = -1, threshold
    for i, other in enumerate(window):
        # The bound is cheap and rules out most candidates before the full judgement.
        bound = (
            _upper_bound(words, in_words, _content_words(other.title), _word_set(other.title))
            if other.title
            else 0.0
        )
        if bound > best_score or (bound == best_score and best < 0):
            score = _judge(story.title, other.title, None, best_score)
            if score >= best_score and (best < 0 or score > best_score):
                best, best_score = i, score
                if score >= 100.0:
                    break
    return Verdict(best, best_score, "similar title") if best >= 0 else None


@lru_cache(maxsize=1 << 17)
def _word_set(title: str) -> frozenset[str]:
    """The content words of a comparable title, as a set (cached beside the words)."""
    return frozenset(_content_words(title))


def _upper_bound(
    words_a: tuple[str, ...],
    in_a: frozenset[str],
    words_b: tuple[str, ...],
    in_b: frozenset[str],
) -> float:
    """A score that ``_judge`` cannot exceed for these content words, from counts alone.

    At most as many more words can be matched as the words only in ``a`` whose first letter
    starts a word only in ``b``, and one compound match per side consumes one word more; the
    words left cost at least their additions and substitutions, without numbers or places."""
    shared = len(in_a & in_b)
    left_a, left_b = len(words_a) - shared, len(words_b) - shared
    more = 0
    if left_a and left_b:
        letters = {w[0] for w in words_b if w not in in_a}
        more = min(left_b, sum(1 for w in words_a if w[0] in letters and w not in in_b))
    most = shared + more
    if not most:
        return 0.0
    rest_a, rest_b = max(0, left_a - more - 1), max(0, left_b - more - 1)
    low, high = min(rest_a, rest_b), max(rest_a, rest_b)
    return max(0.0, 100.0 - POINTS * (SUBSTITUTED * low + ADDED * (high - low)) / most)
