"""Workers on one PostgreSQL database against the SQLite bot: feeds per minute, CPU per feed,
memory per worker (issue 18).

The feeds are bench_cycle's farm (N static feeds of 30 items, served by nginx on 127.0.0.1,
which answers conditional GETs itself). Measured in one run, each on a fresh farm copy:

- the SQLite bot: ``bot.py run --once`` as a whole process, a first cycle (everything new) and
  an unchanged one (304s), start-up included, as bench_cycle measures it;
- 1 and 2 workers: ``bot.py run`` services on one PostgreSQL schema (the server the tests
  start, tests/pgserver.py), from their start until every feed's first trip is written (the
  first cycle), then every feed made due at once (``release_feeds``) until every one is
  written again (the unchanged cycle, no start-up).

CPU is user + system time of each worker's process tree (its parse processes included), read
from /proc; memory is the largest sum of the tree's resident sets, sampled every 50 ms. The
per-worker cost projects to 100,000 feeds at a 5-minute interval: cores = CPU per feed x feeds
/ 300 s. Memory per worker at 10,000 feeds is measured with ``--feeds 10000``, else projected
linearly from the 1-worker runs at N/4 and N feeds (said as projected).

    python bench/bench_workers.py [--feeds N]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_cycle import (  # a script beside this one, importable once bench/ is on the path
    PYTHON,
    Cycle,
    bot_config,
    ensure_tools,
    free_port,
    fresh_farm,
    measure,
    start_nginx,
    tree_rss_mb,
)

from alerts.store.pg_store import PgStore
from tests import pgserver

ENV = {**os.environ, "TELEGRAM_BOT_TOKEN": "123:ABC", "LOGLEVEL": "WARNING"}
POLLING = "{concurrency: 32, interval: 1h, jitter: 0s, timeout: 20s}"
PROJECT_FEEDS, PROJECT_INTERVAL = 100_000, 300.0


@dataclass
class Run:
    """A run of 1 or 2 workers: its two cycles, each worker's peak memory."""

    first: Cycle
    unchanged: Cycle
    peaks: list[float]


def tree_cpu(root: int) -> float:
    """User + system seconds of a process and its live descendants (and their reaped ones)."""
    tick, total, frontier = os.sysconf("SC_CLK_TCK"), 0.0, [root]
    while frontier:
        pid = frontier.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / tick
            for task in Path(f"/proc/{pid}/task").iterdir():
                frontier += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def wait_written(store: PgStore, feeds: int, since: float) -> None:
    """Until every feed's trip since ``since`` is written."""
    while True:
        done = sum(1 for s in store.feed_states()
                   if s.last_success and s.last_success.timestamp() >= since)  # fmt: skip
        if done >= feeds:
            return
        time.sleep(0.5)


def run_workers(n: int, work: Path, base: str, feeds: int, api: str, url: str) -> Run:
    config = bot_config(work, base, feeds, api, POLLING)
    config.write_text(config.read_text().replace("state: state.db", f'state: "{url}"'))
    store = PgStore(url)
    peaks, done = [0.0] * n, threading.Event()
    started, t0 = time.monotonic(), time.time()
    procs = [subprocess.Popen([PYTHON, str(ROOT / "bot.py"), "run", "--config", str(config)],
                              env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(n)]  # fmt: skip

    def sample() -> None:
        while not done.wait(0.05):
            for i, p in enumerate(procs):
                peaks[i] = max(peaks[i], tree_rss_mb(p.pid))

    threading.Thread(target=sample, daemon=True).start()
    try:
        wait_written(store, feeds, t0)
        first = Cycle(time.monotonic() - started, sum(tree_cpu(p.pid) for p in procs), 0)
        cpu, started, t1 = first.cpu, time.monotonic(), time.time()
        store.release_feeds([s.url for s in store.feed_states()], datetime.now(UTC))
        wait_written(store, feeds, t1)
        after = sum(tree_cpu(p.pid) for p in procs)
        unchanged = Cycle(time.monotonic() - started, after - cpu, 0)
    finally:
        done.set()
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
        store.close()
    return Run(first, unchanged, peaks)


def run_sqlite(work: Path, base: str, feeds: int, api: str) -> list[Cycle]:
    config = bot_config(work, base, feeds, api, POLLING)
    cmd = [PYTHON, str(ROOT / "bot.py"), "run", "--once", "--config", str(config)]
    return [measure(cmd, env=ENV), measure(cmd, env=ENV)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=int(os.environ.get("BENCH_FEEDS", 2000)))
    feeds = parser.parse_args().feeds
    ensure_tools()
    compileall.compile_dir(ROOT / "alerts", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="alerts-bench-workers-"))
    work.chmod(0o755)  # nginx's workers run as another user and must read the farm
    port, api_port = free_port(), free_port()
    (work / "farm").mkdir()
    nginx = start_nginx(work / "farm", work, port)
    api = subprocess.Popen([PYTHON, "-m", "tests.fakes.botapi", "--port", str(api_port)],
                           cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
    api_url = f"http://127.0.0.1:{api_port}/bot"
    try:
        with pgserver.start() as server:
            results = measure_all(work, f"http://127.0.0.1:{port}", feeds, api_url, server)
    finally:
        nginx.send_signal(signal.SIGQUIT)
        api.terminate()
        nginx.wait(timeout=10)
        api.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    report(feeds, *results)
    return 0


def measure_all(work: Path, base: str, feeds: int, api: str, server: pgserver.Server
                ) -> tuple[list[Cycle], dict[int, Run], Run]:  # fmt: skip
    runs: dict[int, Run] = {}
    for name, size in (("sqlite", feeds), ("w1", feeds), ("w2", feeds), ("small", feeds // 4)):
        fresh_farm(work / "farm", name, size, seed=8)
        (work / f"{name}-work").mkdir()
        print(f"running {name} ({size} feeds) ...", flush=True)
        args = (work / f"{name}-work", f"{base}/{name}", size, api)
        if name == "sqlite":
            sqlite = run_sqlite(*args)
            continue
        url = server.fresh_url()
        run = run_workers(1 if name != "w2" else 2, *args, url)
        server.drop(url)
        if name == "small":
            return sqlite, runs, run
        runs[int(name[1])] = run
    raise AssertionError("unreachable")


def report(feeds: int, sqlite: list[Cycle], runs: dict[int, Run], small: Run) -> None:
    rows = [("SQLite bot (run --once)", sqlite[0], sqlite[1], [sqlite[0].peak_mb])]
    rows += [(f"{n} worker{'s' * (n > 1)} on PostgreSQL", r.first, r.unchanged, r.peaks)
             for n, r in runs.items()]  # fmt: skip
    print(f"\n{feeds} feeds of 30 items (nginx farm), this machine: {os.cpu_count()} cores")
    print(f"{'':30} {'first cycle':>24} {'unchanged cycle':>24} {'peak MB/worker':>15}")
    print(f"{'':30} {'feeds/min':>11} {'CPU ms/feed':>12} {'feeds/min':>11} {'CPU ms/feed':>12}")
    for name, first, again, peaks in rows:
        print(f"{name:30} {feeds / first.wall * 60:11.0f} {first.cpu / feeds * 1000:12.2f} "
              f"{feeds / again.wall * 60:11.0f} {again.cpu / feeds * 1000:12.2f} "
              f"{max(peaks):15.0f}")  # fmt: skip
    base, one, two = sqlite[0], runs[1].first, runs[2].first
    print(
        f"\nratios, first cycle: 1 worker / SQLite: {base.wall / one.wall:.2f}x the feeds/min, "
        f"{one.cpu / base.cpu:.2f}x the CPU; 2 workers / 1 worker: "
        f"{one.wall / two.wall:.2f}x the feeds/min, {two.cpu / one.cpu:.2f}x the CPU"
    )
    slope = (max(runs[1].peaks) - max(small.peaks)) / (feeds - feeds // 4)
    at_10k = max(runs[1].peaks) + slope * (10_000 - feeds)
    print(
        f"memory per worker: {max(small.peaks):.0f} MB at {feeds // 4} feeds, "
        f"{max(runs[1].peaks):.0f} MB at {feeds}; at 10,000 feeds "
        f"{'measured' if feeds == 10_000 else 'projected (linear)'}: {at_10k:.0f} MB"
    )
    per_feed = min(runs[1].unchanged.cpu, runs[1].first.cpu) / feeds
    steady = runs[1].first.cpu / feeds
    print(
        f"projection to {PROJECT_FEEDS:,} feeds every {PROJECT_INTERVAL:.0f}s: "
        f"{PROJECT_FEEDS * per_feed / PROJECT_INTERVAL:.1f} cores of workers when unchanged, "
        f"{PROJECT_FEEDS * steady / PROJECT_INTERVAL:.1f} when every feed is new; "
        f"{PROJECT_FEEDS / 10_000:.0f} workers of 10,000 feeds need "
        f"{max(runs[1].peaks) + slope * (PROJECT_FEEDS / 10 - feeds):.0f} MB each (projected)"
    )


if __name__ == "__main__":
    sys.exit(main())
