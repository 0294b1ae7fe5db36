"""Alert latency: from the moment an item is served to the moment Telegram receives it.

Issue 8: the bot runs as a service (``bot.py run``) over N feeds (default 1,000) served by
nginx, with ``interval: 30s`` and ``jitter: 0s``. Once every feed has been polled once, 20
matching items appear at random moments over 5 minutes, each in a random feed (the file is
replaced whole, so it is served from that instant). The fake Bot API (in this process, over
real HTTP) notes when each alert arrives. A poll every 30 s means a wait of up to 30 s before
an item is seen; the goal is a 95th percentile of at most 32 s, so fetching, parsing, matching
and sending must add little. The distribution is printed.

    python bench/bench_latency.py [--feeds N] [--items 20] [--over 300]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cycle import (
    ITEMS,
    PYTHON,
    ROOT,
    Farm,
    bot_config,
    ensure_tools,
    free_port,
    item_xml,
    start_nginx,
)

from tests.fakes.botapi import FakeBotAPI, SentMessage

GOAL_P95 = 32.0
PROBE = re.compile(r"Earthquake probe (\d+)")


def wait_first_polls(state: Path, feeds: int, limit: float = 300.0) -> float:
    """Seconds until the bot has recorded every item of every feed (its first poll)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            with sqlite3.connect(state, timeout=1) as db:
                if db.execute("SELECT COUNT(*) FROM items").fetchone()[0] >= feeds * ITEMS:
                    return time.monotonic() - started
        except sqlite3.Error:
            pass
        time.sleep(0.5)
    raise RuntimeError("the bot did not finish its first polls")


def publish(
    farm: Farm, feeds: int, count: int, over: float, rng: random.Random
) -> dict[int, float]:
    """Add ``count`` matching items at random moments over ``over`` seconds; returns when
    each was served."""
    moments = sorted(rng.uniform(0, over) for _ in range(count))
    served: dict[int, float] = {}
    start = time.monotonic()
    for n, moment in enumerate(moments):
        time.sleep(max(0.0, start + moment - time.monotonic()))
        f = rng.randrange(feeds)
        title = f"Earthquake probe {n}: {rng.choice(farm.titles)}"
        now = datetime.now(UTC)
        farm.items[f].insert(0, item_xml(title, f"f{f}-probe{n}", now))
        farm.items[f] = farm.items[f][:ITEMS]
        farm.write(f)
        served[n] = time.time()
    return served


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=int(os.environ.get("BENCH_FEEDS", 1000)))
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--over", type=float, default=300.0, help="seconds")
    args = parser.parse_args()
    ensure_tools()
    work = Path(tempfile.mkdtemp(prefix="alerts-latency-"))
    work.chmod(0o755)  # nginx's workers run as another user and must read the farm
    farm_dir = work / "farm"
    farm_dir.mkdir()
    port = free_port()
    nginx = start_nginx(farm_dir, work, port)
    received: dict[int, float] = {}
    arrived = threading.Condition()

    def on_message(method: str, message: SentMessage) -> None:
        found = PROBE.search(message.text)
        if method == "sendMessage" and found:
            with arrived:
                received.setdefault(int(found.group(1)), time.time())
                arrived.notify_all()

    fake = FakeBotAPI().start()
    fake.on_message(on_message)
    bot: subprocess.Popen[bytes] | None = None
    try:
        farm = Farm(farm_dir, args.feeds, random.Random(8))
        base, polling = f"http://127.0.0.1:{port}", "{interval: 30s, jitter: 0s, concurrency: 32}"
        path = bot_config(work, base, args.feeds, fake.base_url, polling)
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "LOGLEVEL": "WARNING"}
        bot = subprocess.Popen([PYTHON, str(ROOT / "bot.py"), "run", "--config", str(path)],
                               env=env, cwd=work, stderr=subprocess.DEVNULL)  # fmt: skip
        first = wait_first_polls(work / "state.db", args.feeds)
        print(
            f"latency: {args.feeds} feeds, interval 30s, jitter 0s; first polls took {first:.1f}s"
        )
        print(f"publishing {args.items} matching items over {args.over:.0f}s ...", flush=True)
        served = publish(farm, args.feeds, args.items, args.over, random.Random(20))
        with arrived:
            arrived.wait_for(lambda: len(received) >= args.items, timeout=90)
    finally:
        if bot is not None:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=60)
        fake.stop()
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return report(served, received, args.items)


def report(served: dict[int, float], received: dict[int, float], count: int) -> int:
    latencies = sorted(received[n] - served[n] for n in served if n in received)
    missing = count - len(latencies)
    if not latencies:
        print("no alert arrived")
        return 1
    cuts = statistics.quantiles(latencies, n=20, method="inclusive")  # 5% steps
    p50, p90, p95 = statistics.median(latencies), cuts[17], cuts[18]
    print(
        f"alerts received: {len(latencies)} of {count}"
        + (f" ({missing} MISSING)" if missing else "")
    )
    print("latency, seconds from served to received by the Bot API:")
    low, high = latencies[0], latencies[-1]
    print(f"  min {low:.1f}  p50 {p50:.1f}  p90 {p90:.1f}  p95 {p95:.1f}  max {high:.1f}")
    print("  each: " + " ".join(f"{x:.1f}" for x in latencies))
    met = p95 <= GOAL_P95 and not missing
    print(f"  p95 {p95:.1f}s (goal <= {GOAL_P95:g}s): {'MET' if met else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
