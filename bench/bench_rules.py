"""Rules engine speed: our one-automaton matcher against one regex per term, in one run.

Issue 3's goal: with 2,000 entities of 5 aliases each and 1,000 rules, matching one story of
2 KB costs at most 0.5 ms median, and at least 30 times less than the straightforward approach
(one compiled regular expression per term, tried in turn) measured in the same run.
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts import config as config_mod
from alerts.config import rule_specs
from alerts.rules import RuleSet
from alerts.text.normalize import normalize

ENTITIES, ALIASES, RULES, STORIES, STORY_BYTES = 2000, 5, 1000, 300, 2048
SYLLABLES = "ka ri mo su ten vel dor an ish pra lo qu zim bek tar nu sol vi gra hel".split()
FILLER = (
    "the a of to and in that it for on with as was he said by at from his an be has "
    "have had were are not but they this which who their been after its new will "
    "would year two first more also people than other some into last over government "
    "officials week state could about there out against since city police told"
).split()
WORDS = (
    "talks summit missile economy trade border minister election court strike protest "
    "energy gas pipeline sanctions visit agreement treaty ceasefire report market"
).split()


def name(rng: random.Random) -> str:
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        for _ in range(rng.randint(1, 3))
    )


def build_config(rng: random.Random) -> tuple[str, list[list[str]]]:
    used: set[str] = set()

    def fresh() -> str:
        while (candidate := name(rng)) in used or normalize(candidate) in used:
            pass
        used.update((candidate, normalize(candidate)))
        return candidate

    entities = [[fresh() for _ in range(ALIASES)] for _ in range(ENTITIES)]
    lines = ["entities:"]
    lines += [f'  "{e[0]}": [{", ".join(repr(a) for a in e[1:])}]' for e in entities]
    lines.append("rules:")
    for i in range(RULES):
        who = rng.choice(entities)[0]
        any_terms = rng.sample(WORDS, 2)
        none_term = rng.choice(WORDS)
        lines.append(f'  - {{name: r{i}, all: ["{who}"], any: {any_terms}, none: ["{none_term}"]}}')
    return "\n".join(lines) + "\n", entities


def story(rng: random.Random, entities: list[list[str]]) -> tuple[str, str]:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < STORY_BYTES:
        roll = rng.random()
        if roll < 0.03:
            words.append(rng.choice(rng.choice(entities)))
        elif roll < 0.15:
            words.append(rng.choice(WORDS))
        else:
            words.append(rng.choice(FILLER))
    return " ".join(words[:12]).capitalize(), " ".join(words[12:])


class Straightforward:
    """One compiled regex per term (its spellings as alternatives), rules tried in turn."""

    def __init__(self, config: config_mod.Config) -> None:
        entities = {normalize(n): [n, *a] for n, a in config.entities.items()}
        self.cache: dict[str, re.Pattern[str]] = {}
        self.rules = [
            (
                r.name,
                [self._pattern(t, entities) for t in r.all],
                [self._pattern(t, entities) for t in r.any],
                [self._pattern(t, entities) for t in r.none],
            )
            for r in config.rules
        ]

    def _pattern(self, term: str, entities: dict[str, list[str]]) -> re.Pattern[str]:
        spellings = entities.get(normalize(term), [term])
        body = "|".join(re.escape(normalize(s)) for s in spellings)
        return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])")

    def fired(self, title: str, content: str) -> list[str]:
        text = normalize(title) + "\n" + normalize(content)
        return [
            name
            for name, all_, any_, none in self.rules
            if all(p.search(text) for p in all_)
            and (not any_ or any(p.search(text) for p in any_))
            and not any(p.search(text) for p in none)
        ]


def median_ms(fn: object, stories: list[tuple[str, str]]) -> float:
    times = []
    for title, content in stories:
        started = time.perf_counter()
        fn(title, content)  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    rng = random.Random(20261128)
    text, entities = build_config(rng)
    config = config_mod.loads(text)
    started = time.perf_counter()
    ours = RuleSet.compile(*rule_specs(config))
    compile_ms = (time.perf_counter() - started) * 1000
    baseline = Straightforward(config)
    stories = [story(rng, entities) for _ in range(STORIES)]

    def ours_fired(title: str, content: str) -> list[str]:
        return [v.rule.name for v in ours.verdicts(title, content, frozenset()) if v.fired]

    agree = sum(ours_fired(t, c) == baseline.fired(t, c) for t, c in stories)
    fired = sum(len(ours_fired(t, c)) for t, c in stories)
    ours_ms = median_ms(ours_fired, stories)
    base_ms = median_ms(baseline.fired, stories[:60])
    ratio = base_ms / ours_ms
    print(
        f"rules benchmark: {ENTITIES} entities x {ALIASES} spellings, {RULES} rules, "
        f"{STORIES} stories of {STORY_BYTES} bytes ({fired} rule firings)"
    )
    print(f"  compile once:                    {compile_ms:8.1f} ms")
    print(f"  ours, median per story:          {ours_ms:8.3f} ms   (goal <= 0.5 ms)")
    print(f"  one regex per term, median:      {base_ms:8.3f} ms")
    print(f"  ratio baseline/ours:             {ratio:8.1f} x    (goal >= 30 x)")
    print(f"  same verdicts on {agree}/{len(stories)} stories")
    ok = ours_ms <= 0.5 and ratio >= 30 and agree == len(stories)
    print("  rules goals:", "MET" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
