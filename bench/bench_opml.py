"""OPML import at scale: ``bot.py feeds import`` of a 1,000-feed export, against listparser's
parse of the same file alone, in one run.

Issue 17's goal: a 1,000-feed OPML file in the form Miniflux and FreshRSS write imports in under
10 s, keeps every comment of ``config.yaml``, and exports back to the same set of feeds. Each
form (Miniflux: feeds in folders, outlines with end tags and no ``type``; FreshRSS: self-closing
``type="rss"`` outlines with its namespace's attributes) is written with N feeds (default 1,000)
in 25 folders and imported into a fresh copy of the repository's ``config.yaml`` by the bot as a
whole process (start-up, the expat check, listparser, the round-trip edit, the validation by the
bot's loader, the atomic replace), timed over three runs (median). The baseline is
``listparser.parse`` of the same bytes in this process, also the median of three: the ratio says
what the bot costs on top of reading the file at all. The stages in process are timed once.

    python bench/bench_opml.py [--feeds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import listparser

from alerts import config as config_mod
from alerts.config.edit import append_feeds
from alerts.opml.merge import plan_import
from alerts.opml.read import read_opml

GOAL_S, FOLDERS, RUNS = 10.0, 25, 3


def reader_opml(feeds: int, form: str) -> str:
    """An export as Miniflux or FreshRSS writes it (their serializers' shapes)."""
    if form == "miniflux":
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n    <head>\n'
                 "        <title>Miniflux</title>\n"
                 "        <dateCreated>Wed, 20 Dec 2023 10:28:26 UTC</dateCreated>\n"
                 "    </head>\n    <body>\n"]  # fmt: skip
    else:
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<opml version="2.0" xmlns:frss="https://freshrss.org/opml">\n\t<head>\n'
                 "\t\t<title>FreshRSS</title>\n"
                 "\t\t<dateCreated>Wed, 20 Dec 2023 10:28:26 +0000</dateCreated>\n"
                 "\t</head>\n\t<body>\n"]  # fmt: skip
    for folder in range(FOLDERS):
        parts.append(f'<outline text="Dossier {folder} — é" title="Dossier {folder} — é">\n')
        for n in range(folder, feeds, FOLDERS):
            url = f"https://news{n}.example.org/rss.xml?id={n}&amp;format=rss2"
            if form == "miniflux":
                parts.append(f'<outline title="Site {n} &amp; Co" text="Site {n} &amp; Co" '
                             f'xmlUrl="{url}" htmlUrl="https://news{n}.example.org/">'
                             "</outline>\n")  # fmt: skip
            else:
                parts.append(f'<outline text="Site {n} &amp; Co" type="rss" xmlUrl="{url}" '
                             f'htmlUrl="https://news{n}.example.org/" description="d {n}" '
                             'frss:cssFullContent="article"/>\n')  # fmt: skip
        parts.append("</outline>\n")
    return "".join(parts) + "</body>\n</opml>\n"


def timed(run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - start


def import_once(opml: Path, work: Path) -> tuple[float, Path]:
    config = work / "config.yaml"
    config.write_bytes((ROOT / "config.yaml").read_bytes())
    command = [sys.executable, str(ROOT / "bot.py"), "feeds", "import", str(opml), "--config",
               str(config)]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr}")
    return wall, config


def kept_and_whole(config: Path, opml: Path, feeds: int) -> tuple[bool, bool]:
    """Every line of the original config still there, in order and unchanged (only new lines
    added), and the export of the result holding the OPML's feeds and the config's own."""
    before = (ROOT / "config.yaml").read_text(encoding="utf-8").splitlines()
    after = config.read_text(encoding="utf-8").splitlines()
    end = before.index("entities:                     # a name and its aliases; a rule term "
                       "naming the entity matches any") - 1  # fmt: skip
    kept = after[:end] == before[:end] and after[end + feeds :] == before[end:]
    exported = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "feeds", "export", "--config", str(config)],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    back = {o.get("xmlUrl") for o in ET.fromstring(exported).iter("outline") if o.get("xmlUrl")}
    wanted = {str(f.url) for f in listparser.parse(opml.read_bytes()).feeds}
    mine = {f.url for f in config_mod.load(ROOT / "config.yaml").feeds}
    return kept, back == wanted | mine


def stages(opml: Path, config: Path) -> dict[str, float]:
    """The stages of one import in this process, for where the time goes."""
    found = read_opml(opml)
    loaded = config_mod.load(config)
    decisions = list(plan_import(found.feeds, loaded))
    entries = [{"url": d.feed.url, "name": d.feed.name, "tags": d.feed.tags}
               for d in decisions if d.feed]  # fmt: skip
    text = config.read_text(encoding="utf-8")
    edited = append_feeds(text, entries)
    return {
        "expat check + listparser": timed(lambda: read_opml(opml)),
        "config load (existing)": timed(lambda: config_mod.load(config)),
        "decisions": timed(lambda: list(plan_import(found.feeds, loaded))),
        "round-trip edit (ruamel)": timed(lambda: append_feeds(text, entries)),
        "validation (bot's loader)": timed(lambda: config_mod.loads(edited)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    feeds = parser.parse_args().feeds
    met = True
    print(f"OPML import of {feeds:,} feeds in {FOLDERS} folders into config.yaml "
          f"(median of {RUNS} runs)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for form in ("miniflux", "freshrss"):
            work = Path(tmp) / form
            work.mkdir()
            opml = work / f"{form}.opml"
            opml.write_text(reader_opml(feeds, form), encoding="utf-8")
            data = opml.read_bytes()
            base = statistics.median(
                timed(lambda data=data: listparser.parse(data)) for _ in range(RUNS)
            )
            runs = [import_once(opml, work) for _ in range(RUNS)]
            wall = statistics.median(w for w, _ in runs)
            kept, whole = kept_and_whole(runs[-1][1], opml, feeds)
            ok = wall < GOAL_S and kept and whole
            met &= ok
            print(f"\n{form} ({len(data) / 1024:.0f} KB)")
            print(f"  bot.py feeds import, whole process: {wall:8.2f} s    (goal < {GOAL_S:g} s)")
            print(f"  listparser.parse alone (baseline):  {base:8.3f} s")
            print(f"  ratio import/baseline:              {wall / base:8.1f} x")
            for name, seconds in stages(opml, ROOT / "config.yaml").items():
                print(f"    {name + ':':<33}{seconds:8.3f} s")
            print(f"  every comment and line of config.yaml kept: {'yes' if kept else 'NO'}")
            print(f"  export gives back the same set of feeds:   {'yes' if whole else 'NO'}")
    print("\n  opml goals:", "MET" if met else "NOT MET")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
