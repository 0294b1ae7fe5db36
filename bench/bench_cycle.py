"""Poll cycles side by side: the bot against newsboat, rss2email and feedparser alone.

Issue 8: N feeds of 30 items (default 1,000) are written as static files and served by nginx
on 127.0.0.1 (which answers conditional GETs itself); each tool runs three cycles on a fresh
copy of the farm: the first (everything new), one with no change, and the steady cycle after
10% of the feeds gained an item. The bot's cycle is ``bot.py run --once`` as a whole process,
start-up included, against a fake Bot API that does not throttle. Wall time, CPU time (user +
system, children included) and peak resident memory are measured per cycle; peak memory is the
largest sum of the resident sets of the tool's whole process tree (the bot's parse processes
included), sampled every 50 ms. A fourth bot cycle runs with 100,000 stories in the dedup
window (written to the state file as the bot writes them) for the memory goal. Ratios are
against the other tools measured in the same run. Missing tools are installed with apt-get.

    python bench/bench_cycle.py [--feeds N]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STREAM = ROOT.parent / "shared" / "data" / "streams" / "uci-news-aggregator-2014-03-slice.tsv"
ITEMS, CHANGED = 30, 0.10
WINDOW = 100_000  # stories in the dedup window for the memory goal
TOOLS = {"nginx": "nginx-light", "newsboat": "newsboat", "r2e": "rss2email"}


@dataclass
class Cycle:
    wall: float
    cpu: float
    peak_mb: float


def ensure_tools() -> None:
    missing = [pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None]
    if missing:
        print(f"installing {', '.join(missing)} with apt-get ...", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def headlines() -> list[str]:
    if STREAM.exists():
        lines = STREAM.read_text(encoding="utf-8").splitlines()[1:]
        return [line.split("\t")[6] for line in lines if line.count("\t") >= 7]
    rng = random.Random(3)
    return [" ".join(f"word{rng.randrange(3000)}" for _ in range(8)) for _ in range(6000)]


def item_xml(title: str, n: str, when: datetime) -> str:
    return (
        f"<item><title>{escape(title)}</title><link>https://farm.example/{n}</link>"
        f'<guid isPermaLink="false">{n}</guid><pubDate>{format_datetime(when, usegmt=True)}'
        f"</pubDate><description>{escape(title)}. Details of the story follow here, "
        f"with a few sentences of text as feeds carry them.</description></item>"
    )


class Farm:
    """The static feeds: 30 items each; about 3% mention watched words, some are retellings."""

    def __init__(self, root: Path, feeds: int, rng: random.Random) -> None:
        self.root, self.rng = root, rng
        self.titles = headlines()
        self.items: list[list[str]] = []
        now = datetime.now(UTC)
        for f in range(feeds):
            entries = []
            for i in range(ITEMS):
                title = rng.choice(self.titles)
                if rng.random() < 0.03:
                    title = f"Earthquake report: {title}"
                entries.append(item_xml(title, f"f{f}-i{i}", now - timedelta(minutes=i + f % 60)))
            self.items.append(entries)
            self.write(f)

    def write(self, f: int) -> None:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Feed {f}</title><link>https://farm.example/{f}</link>"
            "<description>bench</description>" + "".join(self.items[f]) + "</channel></rss>"
        )
        # Written aside and renamed: a poll never reads half a file.
        path = self.root / f"feed{f}.xml"
        path.with_suffix(".tmp").write_text(body, encoding="utf-8")
        path.with_suffix(".tmp").rename(path)

    def change(self, fraction: float) -> None:
        now = datetime.now(UTC)
        for f in self.rng.sample(range(len(self.items)), int(len(self.items) * fraction)):
            title = self.rng.choice(self.titles)  # about 1 in 10 matches a rule: a few alerts
            if self.rng.random() < 0.1:
                title = f"Earthquake update: {title}"
            self.items[f].insert(0, item_xml(title, f"f{f}-new{time.time_ns()}", now))
            self.items[f] = self.items[f][:ITEMS]
            self.write(f)
        time.sleep(1.1)  # nginx's Last-Modified has one-second resolution


def start_nginx(farm: Path, work: Path, port: int) -> subprocess.Popen[bytes]:
    conf = work / "nginx.conf"
    conf.write_text(f"""worker_processes 1; pid {work}/nginx.pid; error_log {work}/nginx.err;
daemon off; events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; keepalive_requests 100000;
  types {{ application/rss+xml xml; }}
  client_body_temp_path {work}/cb; proxy_temp_path {work}/pt; fastcgi_temp_path {work}/ft;
  uwsgi_temp_path {work}/ut; scgi_temp_path {work}/st;
  server {{ listen 127.0.0.1:{port}; root {farm}; etag on; if_modified_since exact; }} }}
""")
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)])
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    raise RuntimeError("nginx did not start")


def tree_rss_mb(root: int) -> float:
    """The resident memory of a process and all its descendants, in MB (from /proc)."""
    pages, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        try:
            pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            for task in Path(f"/proc/{pid}/task").iterdir():
                frontier += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):  # the process ended meanwhile
            continue
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Cycle:
    """Run a command: its wall time, CPU time and the peak resident memory of its process tree
    (sampled every 50 ms; wait4's ru_maxrss would count the bench's own pages, copied into
    the child by fork before its exec)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if proc.returncode not in (0, 75):
        raise RuntimeError(f"{cmd[0:3]} exited {proc.returncode}")
    cpu = usage.ru_utime + usage.ru_stime  # children the tool waited for included
    return Cycle(wall, cpu, peak[0])


def served_all(work: Path, feeds: int) -> None:
    """The bot's state must hold every item: the cycle measured real fetches and parses."""
    import sqlite3

    with sqlite3.connect(work / "state.db") as db:
        seen = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    if seen < feeds * ITEMS:
        raise RuntimeError(f"the bot saw {seen} items, not {feeds * ITEMS}: check the farm")


def bot_config(
    work: Path, base: str, feeds: int, api: str, polling: str = "{concurrency: 32}"
) -> Path:
    lines = [
        f'telegram: {{chat: "@bench", api_url: "{api}"}}',
        "state: state.db",
        f"polling: {polling}",
        "feeds:",
    ]
    lines += [f'  - {{url: "{base}/feed{f}.xml", name: "Feed {f}"}}' for f in range(feeds)]
    lines += [
        "rules:",
        "  - {name: Quakes, any: [earthquake]}",
        "  - {name: Leaders, any: [Obama, Putin, Merkel], none: [football]}",
    ]
    path = work / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_bot(work: Path, base: str, feeds: int, farm: Farm, api: str) -> list[Cycle]:
    config = bot_config(work, base, feeds, api)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123:ABC", "LOGLEVEL": "WARNING"}
    cmd = [PYTHON, str(ROOT / "bot.py"), "run", "--once", "--config", str(config)]
    first = measure(cmd, env=env)
    served_all(work, feeds)
    unchanged = measure(cmd, env=env)
    farm.change(CHANGED)
    steady = measure(cmd, env=env)
    seed_window(work / "state.db", base, feeds, WINDOW)
    farm.change(CHANGED)
    return [first, unchanged, steady, measure(cmd, env=env)]


def seed_window(state: Path, base: str, feeds: int, stories: int) -> None:
    """Stories alerted over the last day, as the bot records them, until the window holds
    ``stories``: the next cycle loads them all into its dedup window."""
    import sqlite3

    rng, titles, now = random.Random(5), headlines(), time.time()
    with sqlite3.connect(state) as db:
        have = db.execute("SELECT COUNT(*) FROM stories").fetchone()[0]
        rows = [
            (
                "@bench",
                rng.choice(titles),
                f"https://seed.example/{n}",
                f"{base}/feed{n % feeds}.xml",
                f"seed-{n}",
                f"seed-{n}",
                now - rng.uniform(60, 86400),
                f"Feed {n % feeds}",
            )
            for n in range(max(0, stories - have))
        ]
        # Those stories were sent over the day, and the steady cycle's sends a minute ago by
        # now: the pace of 20 a minute per channel starts afresh, as it would in service.
        db.execute("DELETE FROM send_log")
        db.executemany(
            "INSERT INTO stories (chat, title, link, feed_url, guid, alert_key, created_at,"
            " source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def run_newsboat(work: Path, base: str, feeds: int, farm: Farm) -> list[Cycle]:
    urls, conf = work / "urls", work / "newsboat.conf"
    urls.write_text("".join(f"{base}/feed{f}.xml\n" for f in range(feeds)))
    conf.write_text("reload-threads 8\n")
    cmd = ["newsboat", "-u", str(urls), "-c", str(work / "cache.db"), "-C", str(conf),
           "-x", "reload"]  # fmt: skip
    env = {**os.environ, "HOME": str(work)}
    return cycles(lambda: measure(cmd, env=env, cwd=work), farm)


def run_rss2email(work: Path, base: str, feeds: int, farm: Farm) -> list[Cycle]:
    conf, data = work / "r2e.cfg", work / "r2e.json"
    sections = ["[DEFAULT]", "to = bench@example.com", "from = r2e@example.com", ""]
    for f in range(feeds):
        sections += [f"[feed.f{f}]", f"url = {base}/feed{f}.xml", ""]
    conf.write_text("\n".join(sections))
    data.write_text(json.dumps({"version": 2, "feeds": []}))
    cmd = ["r2e", "-c", str(conf), "-d", str(data), "run", "--no-send"]
    return cycles(lambda: measure(cmd, env={**os.environ, "HOME": str(work)}), farm)


def run_feedparser(farm_dir: Path, feeds: int) -> Cycle:
    script = (
        "import sys, feedparser, pathlib\n"
        "for p in sorted(pathlib.Path(sys.argv[1]).glob('feed*.xml')):\n"
        "    feedparser.parse(p.read_bytes())\n"
    )
    return measure([PYTHON, "-c", script, str(farm_dir)])


def cycles(run: object, farm: Farm) -> list[Cycle]:
    first = run()  # type: ignore[operator]
    unchanged = run()  # type: ignore[operator]
    farm.change(CHANGED)
    steady = run()  # type: ignore[operator]
    return [first, unchanged, steady]


def fresh_farm(work: Path, name: str, feeds: int, seed: int) -> tuple[Path, Farm]:
    directory = work / name
    directory.mkdir()
    return directory, Farm(directory, feeds, random.Random(seed))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=int(os.environ.get("BENCH_FEEDS", 1000)))
    feeds = parser.parse_args().feeds
    ensure_tools()
    # An installed bot has its bytecode; a checkout run with PYTHONDONTWRITEBYTECODE (set on
    # these machines) would compile every module of the package again on each start.
    compileall.compile_dir(ROOT / "alerts", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="alerts-bench-"))
    work.chmod(0o755)  # nginx's workers run as another user and must read the farm
    port, api_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    farm_root = work / "farm"
    farm_root.mkdir()
    nginx = start_nginx(farm_root, work, port)
    api = subprocess.Popen([PYTHON, "-m", "tests.fakes.botapi", "--port", str(api_port)],
                           cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
    results: dict[str, list[Cycle]] = {}
    try:
        for name, runner in (("bot", "bot"), ("rss2email", "r2e"), ("newsboat", "nb")):
            _directory, farm = fresh_farm(farm_root, name, feeds, seed=8)
            tool_work = work / f"{name}-work"
            tool_work.mkdir()
            url = f"{base}/{name}"
            print(f"running {name} ...", flush=True)
            if runner == "bot":
                results[name] = run_bot(tool_work, url, feeds, farm,
                                        f"http://127.0.0.1:{api_port}/bot")  # fmt: skip
            elif runner == "r2e":
                results[name] = run_rss2email(tool_work, url, feeds, farm)
            else:
                results[name] = run_newsboat(tool_work, url, feeds, farm)
        alone = run_feedparser(farm_root / "bot", feeds)
    finally:
        nginx.send_signal(signal.SIGQUIT)
        api.terminate()
        nginx.wait(timeout=10)
        api.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    report(results, alone, feeds)
    return 0


def report(results: dict[str, list[Cycle]], alone: Cycle, feeds: int) -> None:
    print(
        f"\npoll cycles: {feeds} feeds x {ITEMS} items on nginx, {CHANGED:.0%} changed "
        "before the steady cycle"
    )
    print(f"{'tool':<12}{'cycle':<11}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}")
    labels = ("first", "unchanged", "steady", "window 100k")
    for tool, runs in results.items():
        for label, c in zip(labels, runs, strict=False):
            print(f"{tool:<12}{label:<11}{c.wall:>9.2f}{c.cpu:>9.2f}{c.peak_mb:>9.1f}")
    print(
        f"{'feedparser':<12}{'parse all':<11}{alone.wall:>9.2f}{alone.cpu:>9.2f}"
        f"{alone.peak_mb:>9.1f}"
    )
    bot, r2e, nb = results["bot"], results["rss2email"], results["newsboat"]
    goals = [
        ("bot steady / rss2email steady", bot[2].wall / r2e[2].wall, 0.6, ""),
        ("bot steady / newsboat steady", bot[2].wall / nb[2].wall, 0.25, ""),
        ("bot first / feedparser alone", bot[0].wall / alone.wall, 1.3, ""),
        ("bot first / rss2email first", bot[0].wall / r2e[0].wall, 1.0, ""),
        ("bot first / newsboat first", bot[0].wall / nb[0].wall, 1.0, ""),
        ("bot peak memory, 3 cycles", max(c.peak_mb for c in bot[:3]), 250, " MB"),
        (f"bot peak memory, {WINDOW:,}-story window", bot[3].peak_mb, 250, " MB"),
    ]
    print("\nratios (goal)")
    for name, value, limit, unit in goals:
        shown = f"{value:.0f}{unit}" if unit else f"{value:.2f}"
        verdict = "met" if value <= limit else "NOT MET"
        print(f"  {name + ':':<42}{shown:>8}  (<= {limit:g}{unit})  {verdict}")
    met = all(value <= limit for _, value, limit, _ in goals)
    print(f"  cycle goals: {'MET' if met else 'NOT MET'}")


if __name__ == "__main__":
    sys.exit(main())
