"""Prove the fake Bot API server works with the real python-telegram-bot over HTTP."""

import asyncio
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import telegram
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from tests.fakes.botapi import FakeBotAPI, SentMessage, parse_telegram_html, utf16_length

# PTB reads this at call time; without it every RetryAfter emits a deprecation warning.
os.environ["PTB_TIMEDELTA"] = "true"

TOKEN = "123:ABC"
CHANNEL = "@news"
T = TypeVar("T")


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    """A started fake server."""
    with FakeBotAPI(TOKEN) as server:
        yield server


def with_bot(fake: FakeBotAPI, scenario: Callable[[telegram.Bot], Awaitable[T]]) -> T:
    """Run ``scenario`` with an initialized Bot pointed at the fake."""

    async def main() -> T:
        async with telegram.Bot(TOKEN, base_url=fake.base_url) as bot:
            return await scenario(bot)

    return asyncio.run(main())


def raises(
    fake: FakeBotAPI, scenario: Callable[[telegram.Bot], Awaitable[object]]
) -> telegram.error.TelegramError:
    """Run ``scenario`` and return the TelegramError it raised."""

    async def wrapped(bot: telegram.Bot) -> telegram.error.TelegramError:
        try:
            await scenario(bot)
        except telegram.error.TelegramError as exc:
            return exc
        raise AssertionError("no TelegramError raised")

    return with_bot(fake, wrapped)


def send(text: str, chat_id: str = CHANNEL) -> Callable[[telegram.Bot], Awaitable[object]]:
    """A scenario that sends one HTML message."""

    async def scenario(bot: telegram.Bot) -> object:
        return await bot.send_message(chat_id, text, parse_mode="HTML")

    return scenario


# ----------------------------------------------------------------------------- with PTB


def test_get_me_through_initialize(fake: FakeBotAPI) -> None:
    async def scenario(bot: telegram.Bot) -> telegram.User:
        return bot.bot

    me = with_bot(fake, scenario)
    assert (me.id, me.is_bot, me.first_name, me.username) == (123, True, "Fake", "fake_bot")
    assert [method for method, _ in fake.calls] == ["getMe"]


def test_send_message_html_is_recorded(fake: FakeBotAPI) -> None:
    async def scenario(bot: telegram.Bot) -> list[telegram.Message]:
        first = await bot.send_message(
            CHANNEL,
            '<b>Big</b> news &amp; more: <a href="https://e.com/?a=1&amp;b=2">link</a>',
            parse_mode="HTML",
            link_preview_options=telegram.LinkPreviewOptions(is_disabled=True),
        )
        second = await bot.send_message("-100123", "plain <not html>")
        return [first, second]

    first, second = with_bot(fake, scenario)
    assert first.message_id == 1
    assert first.text == "Big news & more: link"
    assert first.chat.type == "channel"
    assert first.chat.username == "news"
    assert first.chat.id < 0
    assert isinstance(first.date, dt.datetime)
    assert [(e.type, e.offset, e.length) for e in first.entities] == [
        ("bold", 0, 3),
        ("text_link", 17, 4),
    ]
    assert first.entities[1].url == "https://e.com/?a=1&b=2"
    assert second.message_id == 2
    assert second.chat.id == -100123
    assert second.text == "plain <not html>"

    messages = fake.messages
    assert [(m.message_id, m.chat_id) for m in messages] == [(1, "@news"), (2, "-100123")]
    assert messages[0].text.startswith("<b>Big</b> news &amp; more")
    assert messages[0].params["parse_mode"] == "HTML"
    assert json.loads(messages[0].params["link_preview_options"]) == {"is_disabled": True}
    assert "parse_mode" not in messages[1].params
    assert [method for method, _ in fake.calls] == ["getMe", "sendMessage", "sendMessage"]


def test_chat_id_for_a_name_is_stable(fake: FakeBotAPI) -> None:
    async def scenario(bot: telegram.Bot) -> list[int]:
        a = await bot.send_message("@news", "one")
        b = await bot.send_message("@news", "two")
        c = await bot.send_message("@other", "three")
        return [a.chat.id, b.chat.id, c.chat.id]

    a, b, c = with_bot(fake, scenario)
    assert a == b != c


def test_queued_429_raises_retry_after(fake: FakeBotAPI) -> None:
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 7", parameters={"retry_after": 7})
    exc = raises(fake, send("hello"))
    assert isinstance(exc, RetryAfter)
    assert exc.retry_after == dt.timedelta(seconds=7)
    assert fake.count_429 == 1
    assert fake.messages == []
    # the failure was used up: the next call succeeds
    with_bot(fake, send("hello"))
    assert [m.text for m in fake.messages] == ["hello"]


def test_queued_failure_repeats_and_matches_method_case_insensitively(fake: FakeBotAPI) -> None:
    fake.fail("SENDMESSAGE", 429, "Too Many Requests: retry after 1", times=2)
    for _ in range(2):
        exc = raises(fake, send("x"))
        assert isinstance(exc, RetryAfter)
        assert exc.retry_after == dt.timedelta(seconds=1)
    with_bot(fake, send("x"))
    assert fake.count_429 == 2
    assert len(fake.messages) == 1


def test_500_raises_network_error(fake: FakeBotAPI) -> None:
    fake.fail("sendMessage", 500, "Internal Server Error")
    exc = raises(fake, send("hello"))
    assert type(exc) is NetworkError
    assert "Internal Server Error" in exc.message


def test_403_raises_forbidden(fake: FakeBotAPI) -> None:
    fake.fail("sendMessage", 403, "Forbidden: bot was kicked from the channel chat")
    exc = raises(fake, send("hello"))
    assert isinstance(exc, Forbidden)
    assert "bot was kicked" in exc.message


def test_migrate_raises_chat_migrated(fake: FakeBotAPI) -> None:
    fake.fail(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": -100999},
    )
    exc = raises(fake, send("hello"))
    assert isinstance(exc, ChatMigrated)
    assert exc.new_chat_id == -100999


@pytest.mark.parametrize(
    "text",
    ["<x>", "a & b", "&nbsp;", "a < b", "<b>unclosed", "<b><i>x</b></i>", "x</b>", "<p>x</p>"],
)
def test_bad_html_raises_bad_request(fake: FakeBotAPI, text: str) -> None:
    exc = raises(fake, send(text))
    assert isinstance(exc, BadRequest)
    assert "can't parse entities" in exc.message.lower()
    assert fake.messages == []
    assert [method for method, _ in fake.calls][-1] == "sendMessage"


def test_length_and_empty_checks(fake: FakeBotAPI) -> None:
    with_bot(fake, send("a" * 4096))
    with_bot(fake, send("😀" * 2048))
    with_bot(fake, send("&lt;" * 4096))
    for text in ["a" * 4097, "😀" * 2048 + "a", "<b>" + "a" * 4097 + "</b>"]:
        exc = raises(fake, send(text))
        assert isinstance(exc, BadRequest)
        assert "message is too long" in exc.message.lower()
    for text in ["", "   ", "<b></b>"]:
        exc = raises(fake, send(text))
        assert isinstance(exc, BadRequest)
        assert "message text is empty" in exc.message.lower()
    assert len(fake.messages) == 3


def test_edit_message_text(fake: FakeBotAPI) -> None:
    async def scenario(bot: telegram.Bot) -> list[object]:
        sent = await bot.send_message(CHANNEL, "<b>v1</b>", parse_mode="HTML")
        edited = await bot.edit_message_text(
            "<b>v2</b>", chat_id=CHANNEL, message_id=sent.message_id, parse_mode="HTML"
        )
        results: list[object] = [sent, edited]
        for text, message_id in [("<b>v2</b>", sent.message_id), ("v3", 99)]:
            try:
                await bot.edit_message_text(
                    text, chat_id=CHANNEL, message_id=message_id, parse_mode="HTML"
                )
            except BadRequest as exc:
                results.append(exc.message)
        return results

    sent, edited, same, missing = with_bot(fake, scenario)
    assert isinstance(sent, telegram.Message)
    assert isinstance(edited, telegram.Message)
    assert edited.message_id == sent.message_id
    assert edited.text == "v2"
    assert edited.edit_date is not None
    assert isinstance(same, str)
    assert "message is not modified" in same.lower()
    assert missing == "Message to edit not found"
    assert [(e.message_id, e.text) for e in fake.edits] == [(1, "<b>v2</b>")]
    assert len(fake.messages) == 1


def test_edit_with_different_markup_is_a_modification(fake: FakeBotAPI) -> None:
    async def scenario(bot: telegram.Bot) -> str:
        sent = await bot.send_message(CHANNEL, "<b>v1</b>", parse_mode="HTML")
        edited = await bot.edit_message_text("v1", chat_id=CHANNEL, message_id=sent.message_id)
        assert isinstance(edited, telegram.Message)
        return edited.text or ""

    assert with_bot(fake, scenario) == "v1"
    assert len(fake.edits) == 1


def test_per_chat_rate_limit() -> None:
    with FakeBotAPI(TOKEN, per_chat_per_minute=3) as fake:

        async def scenario(bot: telegram.Bot) -> RetryAfter:
            for i in range(3):
                await bot.send_message(CHANNEL, f"m{i}")
            try:
                await bot.send_message(CHANNEL, "m3")
            except RetryAfter as exc:
                await bot.send_message("@elsewhere", "other chat is fine")
                return exc
            raise AssertionError("4th message was not limited")

        exc = with_bot(fake, scenario)
        assert isinstance(exc.retry_after, dt.timedelta)
        assert dt.timedelta(seconds=55) <= exc.retry_after <= dt.timedelta(seconds=60)
        assert fake.count_429 == 1
        assert [m.text for m in fake.messages] == ["m0", "m1", "m2", "other chat is fine"]
        raw = httpx.post(
            f"{fake.base_url}{TOKEN}/sendMessage", data={"chat_id": CHANNEL, "text": "x"}
        )
        assert raw.status_code == 429
        body = raw.json()
        assert body["error_code"] == 429
        retry_after = body["parameters"]["retry_after"]
        assert body["description"] == f"Too Many Requests: retry after {retry_after}"
        assert 55 <= retry_after <= 60
        assert fake.count_429 == 2


def test_global_rate_limit() -> None:
    with FakeBotAPI(TOKEN, global_per_second=2) as fake:

        async def scenario(bot: telegram.Bot) -> RetryAfter:
            await bot.send_message("@a", "1")
            await bot.send_message("@b", "2")
            try:
                await bot.send_message("@c", "3")
            except RetryAfter as exc:
                return exc
            raise AssertionError("3rd message in a second was not limited")

        exc = with_bot(fake, scenario)
        assert exc.retry_after == dt.timedelta(seconds=1)
        time.sleep(1.05)
        with_bot(fake, send("after the window", "@c"))
        assert len(fake.messages) == 3


def test_wrong_token_raises_invalid_token(fake: FakeBotAPI) -> None:
    async def main() -> None:
        async with telegram.Bot("123:WRONG", base_url=fake.base_url):
            pass

    with pytest.raises(InvalidToken):
        asyncio.run(main())
    assert fake.calls[0][0] == "getMe"


def test_down_answers_500(fake: FakeBotAPI) -> None:
    fake.set_down(True)
    with pytest.raises(NetworkError) as info:
        with_bot(fake, send("hello"))
    assert type(info.value) is NetworkError
    fake.set_down(False)
    with_bot(fake, send("hello"))
    assert len(fake.messages) == 1


def test_polling_methods(fake: FakeBotAPI) -> None:
    async def scenario(bot: telegram.Bot) -> list[object]:
        started = time.monotonic()
        updates = await bot.get_updates(timeout=5)
        waited = time.monotonic() - started
        return [
            await bot.delete_webhook(),
            await bot.set_my_commands([("start", "Start")]),
            await bot.delete_my_commands(),
            updates,
            waited,
        ]

    deleted, commands_set, commands_deleted, updates, waited = with_bot(fake, scenario)
    assert deleted is True
    assert commands_set is True
    assert commands_deleted is True
    assert updates == ()
    assert isinstance(waited, float)
    assert 0.15 <= waited < 2.0


def test_wait_for_messages(fake: FakeBotAPI) -> None:
    def later() -> None:
        time.sleep(0.2)
        with_bot(fake, send("one"))
        with_bot(fake, send("two"))

    thread = threading.Thread(target=later)
    thread.start()
    got = fake.wait_for_messages(2, timeout=10)
    thread.join()
    assert [m.text for m in got] == ["one", "two"]
    with pytest.raises(TimeoutError):
        fake.wait_for_messages(3, timeout=0.1)


# ----------------------------------------------------------------------------- raw HTTP


def test_raw_http_shapes(fake: FakeBotAPI) -> None:
    url = f"{fake.base_url}{TOKEN}"
    with httpx.Client() as client:
        wrong = client.post(f"{fake.base_url}1:NOPE/getMe")
        unknown = client.post(f"{url}/fooBar")
        upper = client.post(f"{url}/SENDMESSAGE", data={"chat_id": "@news", "text": "form"})
        as_json = client.post(f"{url}/sendMessage", json={"chat_id": -100123, "text": "json"})
        multipart = client.post(
            f"{url}/sendMessage",
            data={"chat_id": "@news", "parse_mode": "HTML"},
            files={"text": (None, "<i>multi</i>")},
        )
        missing = client.post(f"{url}/sendMessage", data={"text": "no chat"})
        bad_html = client.post(
            f"{url}/sendMessage", data={"chat_id": "@news", "text": "<x>", "parse_mode": "HTML"}
        )
        gone = client.post(f"{url}/editMessageText", data={"chat_id": "@news", "text": "x"})
        logout = client.post(f"{url}/logOut")
        close = client.post(f"{url}/close")

    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert upper.status_code == 200
    assert upper.json()["result"]["text"] == "form"
    assert as_json.status_code == 200
    assert as_json.json()["result"]["chat"]["id"] == -100123
    assert multipart.status_code == 200
    assert multipart.json()["result"]["text"] == "multi"
    assert missing.status_code == 400
    assert bad_html.status_code == 400
    assert bad_html.json()["description"].startswith("Bad Request: can't parse entities: ")
    assert gone.status_code == 400
    assert logout.json() == {"ok": True, "result": True}
    assert close.json() == {"ok": True, "result": True}

    assert [m.chat_id for m in fake.messages] == ["@news", "-100123", "@news"]
    assert fake.messages[2] == SentMessage(
        3,
        "@news",
        "<i>multi</i>",
        {"chat_id": "@news", "parse_mode": "HTML", "text": "<i>multi</i>"},
    )
    methods = [method for method, _ in fake.calls]
    assert methods[:3] == ["getMe", "fooBar", "sendMessage"]
    assert len(methods) == 10


def test_fail_rejects_non_positive_retry_after(fake: FakeBotAPI) -> None:
    with pytest.raises(ValueError):
        fake.fail("sendMessage", 429, "Too Many Requests", parameters={"retry_after": 0})


# ----------------------------------------------------------------------------- parser


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("plain text", "plain text"),
        ("<b>b</b><strong>s</strong><i>i</i><em>e</em>", "bsie"),
        ("<u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>", "unskd"),
        ('<a href="https://example.com/?a=1&amp;b=2">link</a>', "link"),
        ("<code>x &lt; y</code>", "x < y"),
        ('<pre><code class="language-python">print(1)</code></pre>', "print(1)"),
        ("<blockquote>q</blockquote><blockquote expandable>e</blockquote>", "qe"),
        ('<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">p</span>', "sp"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("<B>upper</B>", "upper"),
        ("&lt;&gt;&amp;&quot;", '<>&"'),
        ("&#65;&#x42;&#X43;", "ABC"),
        ("&#128512;", "😀"),
        ("1 > 0", "1 > 0"),
        ("<b>bold <i>both</i></b> end", "bold both end"),
        ("line\nbreak", "line\nbreak"),
    ],
)
def test_parse_telegram_html_accepts(html: str, plain: str) -> None:
    assert parse_telegram_html(html) == plain


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<x>", 'Unsupported start tag "x"'),
        ("<p>para</p>", 'Unsupported start tag "p"'),
        ("<br/>", 'Unsupported start tag "br"'),
        ("a < b", 'Unsupported start tag ""'),
        ("trailing <", 'Unsupported start tag ""'),
        ("a & b", 'Character "&"'),
        ("&nbsp;", 'Unsupported entity "&nbsp;"'),
        ("&mdash;", 'Unsupported entity "&mdash;"'),
        ("&#0;", 'Character "&"'),
        ("<b>open", "Can't find end tag"),
        ("close</b>", "Unexpected end tag"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("<b", "Unclosed start tag"),
        ("<b>x</b", "Unclosed end tag"),
        ("<a>no href</a>", '"href"'),
        ('<a href="x&y">bad</a>', 'Unsupported entity "&y"'),
        ("<span>x</span>", "tg-spoiler"),
        ("<tg-emoji>x</tg-emoji>", "emoji-id"),
        ('<a href="unterminated>x</a>', "Unclosed start tag"),
    ],
)
def test_parse_telegram_html_rejects(html: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_telegram_html(html)


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_length("a") == 1
    assert utf16_length("é") == 1
    assert utf16_length("😀") == 2
    assert utf16_length(parse_telegram_html("<b>😀</b>&#128512;")) == 4
    assert utf16_length("😀" * 2048) == 4096


# ----------------------------------------------------------------------------- standalone


def test_standalone_mode_prints_url_and_messages() -> None:
    root = Path(__file__).resolve().parent.parent
    command = [
        sys.executable,
        "-m",
        "tests.fakes.botapi",
        "--port",
        "0",
        "--per-chat-per-minute",
        "5",
    ]
    with subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, text=True, encoding="utf-8"
    ) as proc:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/bot")
        with httpx.Client() as client:
            answer = client.post(
                f"{base_url}{TOKEN}/sendMessage",
                data={"chat_id": "@news", "text": "<b>hi</b>", "parse_mode": "HTML"},
            )
        assert answer.status_code == 200
        line = json.loads(proc.stdout.readline())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert line["method"] == "sendMessage"
    assert line["message_id"] == 1
    assert line["chat_id"] == "@news"
    assert line["text"] == "<b>hi</b>"


# ----------------------------------------------------------------------------- forum topics

FORUM = "-1001234567890"


def to_topic(
    text: str, topic: int | None, chat_id: str = FORUM
) -> Callable[[telegram.Bot], Awaitable[telegram.Message]]:
    """A scenario that sends one message to a topic (None: no message_thread_id)."""

    async def scenario(bot: telegram.Bot) -> telegram.Message:
        return await bot.send_message(chat_id, text, message_thread_id=topic)

    return scenario


def test_topic_send_is_stored_per_topic(fake: FakeBotAPI) -> None:
    fake.make_forum(FORUM, topics=[42, 43])
    in_42 = with_bot(fake, to_topic("to 42", 42))
    with_bot(fake, to_topic("to 43", 43))
    general = with_bot(fake, to_topic("to general", None))
    assert in_42.message_thread_id == 42
    assert in_42.is_topic_message is True
    assert in_42.chat.type == "supergroup"
    assert in_42.chat.is_forum is True
    assert general.message_thread_id is None
    assert [m.text for m in fake.topic_messages(FORUM, 42)] == ["to 42"]
    assert [m.text for m in fake.topic_messages(int(FORUM), 43)] == ["to 43"]
    assert [m.text for m in fake.topic_messages(FORUM, None)] == ["to general"]
    assert [m.thread_id for m in fake.messages] == [42, 43, None]
    assert [m.text for m in fake.wait_for_topic(FORUM, 42, 1)] == ["to 42"]
    with pytest.raises(TimeoutError):
        fake.wait_for_topic(FORUM, 42, 2, timeout=0.05)


@pytest.mark.parametrize(
    ("chat_id", "topic"),
    [(FORUM, 99), (FORUM, 42), ("@news", 42), ("-100555", 7)],
    ids=["unknown topic", "deleted topic", "channel", "no forum"],
)
def test_send_to_a_missing_thread_is_refused(fake: FakeBotAPI, chat_id: str, topic: int) -> None:
    fake.make_forum(FORUM, topics=[42, 43])
    fake.delete_topic(FORUM, 42)
    exc = raises(fake, to_topic("lost", topic, chat_id))
    assert isinstance(exc, BadRequest)
    assert exc.message == "Message thread not found"
    assert fake.messages == []
    raw = httpx.post(
        f"{fake.base_url}{TOKEN}/sendMessage",
        data={"chat_id": chat_id, "text": "x", "message_thread_id": str(topic)},
    )
    assert (raw.status_code, raw.json()["description"]) == (
        400,
        "Bad Request: message thread not found",
    )


def test_edits_keep_the_topic_and_die_with_it(fake: FakeBotAPI) -> None:
    fake.make_forum(FORUM, topics=[42])

    async def scenario(bot: telegram.Bot) -> str:
        sent = await bot.send_message(FORUM, "v1", message_thread_id=42)
        edited = await bot.edit_message_text("v2", chat_id=FORUM, message_id=sent.message_id)
        assert isinstance(edited, telegram.Message)
        assert edited.message_thread_id == 42
        fake.delete_topic(FORUM, 42)
        try:
            await bot.edit_message_text("v3", chat_id=FORUM, message_id=sent.message_id)
        except BadRequest as exc:
            return exc.message
        raise AssertionError("an edit in a deleted topic was accepted")

    assert with_bot(fake, scenario) == "Message to edit not found"
    assert [(e.text, e.thread_id) for e in fake.edits] == [("v2", 42)]


def test_topics_share_their_chats_pace() -> None:
    with FakeBotAPI(TOKEN, per_chat_per_minute=2) as fake:
        fake.make_forum(FORUM, topics=[42, 43])
        with_bot(fake, to_topic("a", 42))
        with_bot(fake, to_topic("b", 43))
        exc = raises(fake, to_topic("c", None))
        assert isinstance(exc, RetryAfter)
        exc = raises(fake, to_topic("d", 42))
        assert isinstance(exc, RetryAfter)
        assert [m.text for m in fake.messages] == ["a", "b"]


# ----------------------------------------------------------------------------- keyboards


def buttons(*data: str) -> telegram.InlineKeyboardMarkup:
    """One row of callback buttons."""
    return telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton(f"b{i}", callback_data=d) for i, d in enumerate(data)]]
    )


def test_reply_markup_is_stored_and_returned(fake: FakeBotAPI) -> None:
    async def scenario(bot: telegram.Bot) -> telegram.Message:
        return await bot.send_message(CHANNEL, "alert", reply_markup=buttons("m:1", "é" * 32))

    sent = with_bot(fake, scenario)
    assert sent.reply_markup is not None
    assert [b.callback_data for b in sent.reply_markup.inline_keyboard[0]] == ["m:1", "é" * 32]
    assert fake.keyboard(CHANNEL, sent.message_id) == {
        "inline_keyboard": [
            [{"text": "b0", "callback_data": "m:1"}, {"text": "b1", "callback_data": "é" * 32}]
        ]
    }
    assert fake.messages[0].reply_markup == fake.keyboard(CHANNEL, sent.message_id)


@pytest.mark.parametrize("data", ["x" * 65, "é" * 33, ""], ids=["65 bytes", "66 utf-8", "empty"])
def test_callback_data_is_one_to_64_bytes(fake: FakeBotAPI, data: str) -> None:
    markup = {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}
    raw = httpx.post(
        f"{fake.base_url}{TOKEN}/sendMessage",
        data={"chat_id": CHANNEL, "text": "x", "reply_markup": json.dumps(markup)},
    )
    assert (raw.status_code, raw.json()["description"]) == (
        400,
        "Bad Request: BUTTON_DATA_INVALID",
    )

    async def edit(bot: telegram.Bot) -> object:
        sent = await bot.send_message(CHANNEL, "x")
        return await bot.edit_message_text(
            "y", chat_id=CHANNEL, message_id=sent.message_id, reply_markup=buttons(data)
        )

    exc = raises(fake, edit)
    assert isinstance(exc, BadRequest)
    assert exc.message == "Button_data_invalid"
    assert len(fake.messages) == 1
    assert fake.edits == []


def test_bad_markup_and_buttons_are_refused(fake: FakeBotAPI) -> None:
    url = f"{fake.base_url}{TOKEN}/sendMessage"
    bad = [
        "{not json",
        json.dumps({"inline_keyboard": [{"text": "b"}]}),
        json.dumps({"inline_keyboard": [[{"text": "b"}]]}),
        json.dumps({"inline_keyboard": [[{"text": "", "callback_data": "x"}]]}),
    ]
    for markup in bad:
        raw = httpx.post(url, data={"chat_id": CHANNEL, "text": "x", "reply_markup": markup})
        assert raw.status_code == 400, markup
    good = json.dumps({"inline_keyboard": [[{"text": "open", "url": "https://e.com/"}]]})
    assert httpx.post(url, data={"chat_id": CHANNEL, "text": "x", "reply_markup": good}).is_success
    assert len(fake.messages) == 1


def test_edit_text_without_markup_removes_the_keyboard(fake: FakeBotAPI) -> None:
    async def scenario(bot: telegram.Bot) -> list[str]:
        sent = await bot.send_message(CHANNEL, "v1", reply_markup=buttons("a"))
        kept = await bot.edit_message_text(
            "v2", chat_id=CHANNEL, message_id=sent.message_id, reply_markup=buttons("a")
        )
        assert isinstance(kept, telegram.Message) and kept.reply_markup is not None
        assert fake.keyboard(CHANNEL, sent.message_id) is not None
        dropped = await bot.edit_message_text("v2", chat_id=CHANNEL, message_id=sent.message_id)
        assert isinstance(dropped, telegram.Message) and dropped.reply_markup is None
        assert fake.keyboard(CHANNEL, sent.message_id) is None
        errors = []
        for markup in (None, buttons("a")):  # same text and keyboard, then new keyboard
            try:
                await bot.edit_message_text(
                    "v2", chat_id=CHANNEL, message_id=sent.message_id, reply_markup=markup
                )
                errors.append("ok")
            except BadRequest as exc:
                errors.append(exc.message)
        return errors

    not_modified, modified = with_bot(fake, scenario)
    assert "message is not modified" in not_modified.lower()
    assert modified == "ok"
    assert [e.reply_markup is not None for e in fake.edits] == [True, False, True]


def test_edit_message_reply_markup(fake: FakeBotAPI) -> None:
    async def scenario(bot: telegram.Bot) -> list[str]:
        sent = await bot.send_message(CHANNEL, "<b>alert</b>", parse_mode="HTML",
                                      reply_markup=buttons("a"))  # fmt: skip
        changed = await bot.edit_message_reply_markup(
            chat_id=CHANNEL, message_id=sent.message_id, reply_markup=buttons("b", "c")
        )
        assert isinstance(changed, telegram.Message)
        assert changed.text == "alert" and changed.entities[0].type == "bold"
        out = []
        for markup, message_id in [(buttons("b", "c"), sent.message_id), (None, 999)]:
            try:
                await bot.edit_message_reply_markup(
                    chat_id=CHANNEL, message_id=message_id, reply_markup=markup
                )
            except BadRequest as exc:
                out.append(exc.message)
        await bot.edit_message_reply_markup(chat_id=CHANNEL, message_id=sent.message_id)
        return out

    same, missing = with_bot(fake, scenario)
    assert "message is not modified" in same.lower()
    assert missing == "Message to edit not found"
    assert fake.keyboard(CHANNEL, 1) is None
    assert [e.reply_markup for e in fake.markup_edits] == [
        {"inline_keyboard": [[
            {"text": "b0", "callback_data": "b"}, {"text": "b1", "callback_data": "c"}
        ]]},
        None,
    ]  # fmt: skip
    assert fake.edits == []
    assert [m.text for m in fake.messages] == ["<b>alert</b>"]


# ----------------------------------------------------------------------------- callback queries


def sent_with_buttons(fake: FakeBotAPI, *data: str) -> int:
    """Send one message with callback buttons; return its id."""

    async def scenario(bot: telegram.Bot) -> telegram.Message:
        return await bot.send_message(CHANNEL, "alert", reply_markup=buttons(*data))

    return with_bot(fake, scenario).message_id


def test_press_queues_a_callback_query_and_answers_are_recorded(fake: FakeBotAPI) -> None:
    message_id = sent_with_buttons(fake, "mute:r1", "mute:s1")
    first = fake.press(CHANNEL, message_id, "mute:r1", user_id=4242)
    second = fake.press(CHANNEL, message_id, "mute:s1", user_id=777)
    with pytest.raises(LookupError):
        fake.press(CHANNEL, message_id, "not:a:button", user_id=4242)
    with pytest.raises(LookupError):
        fake.press(CHANNEL, 999, "mute:r1", user_id=4242)

    async def scenario(bot: telegram.Bot) -> list[object]:
        updates = await bot.get_updates(timeout=1)
        query = updates[0].callback_query
        assert query is not None
        answered = await query.answer("Muted for 24h", show_alert=True, cache_time=5)
        out: list[object] = [updates, answered]
        for query_id in (query.id, "123456"):  # answered already, unknown
            try:
                await bot.answer_callback_query(query_id, text="again")
            except BadRequest as exc:
                out.append(exc.message)
        return out

    updates, answered, again, unknown = with_bot(fake, scenario)
    assert isinstance(updates, tuple) and len(updates) == 2
    query = updates[0].callback_query
    assert (query.id, query.data, query.from_user.id) == (first, "mute:r1", 4242)
    assert query.message.message_id == message_id
    assert query.message.chat.username == "news"
    assert query.chat_instance
    assert updates[1].callback_query.from_user.id == 777
    assert answered is True
    assert (
        again == unknown == ("Query is too old and response timeout expired or query id is invalid")
    )
    answer = fake.answer_for(first)
    assert answer is not None
    assert (answer.text, answer.show_alert, answer.cache_time) == ("Muted for 24h", True, 5)
    assert fake.answers == [answer]
    assert fake.unanswered() == [second]
    assert fake.wait_for_answer(first) == answer
    with pytest.raises(TimeoutError):
        fake.wait_for_answer(second, timeout=0.05)


def test_a_query_answered_too_late_is_refused() -> None:
    with FakeBotAPI(TOKEN, callback_timeout=0.05) as fake:
        message_id = sent_with_buttons(fake, "x")
        query_id = fake.press(CHANNEL, message_id, "x", user_id=1)
        time.sleep(0.1)  # past the query's timeout: time can only pass more on a loaded machine
        exc = raises(fake, lambda bot: bot.answer_callback_query(query_id))
        assert isinstance(exc, BadRequest)
        assert "query is too old" in exc.message.lower()
        assert fake.unanswered() == [query_id]
        assert fake.answers == []


def test_answer_text_is_at_most_200_characters(fake: FakeBotAPI) -> None:
    message_id = sent_with_buttons(fake, "x")
    query_id = fake.press(CHANNEL, message_id, "x", user_id=1)
    exc = raises(fake, lambda bot: bot.answer_callback_query(query_id, text="y" * 201))
    assert isinstance(exc, BadRequest)
    assert fake.unanswered() == [query_id]
    assert with_bot(fake, lambda bot: bot.answer_callback_query(query_id, text="y" * 200))


def test_get_updates_honours_allowed_updates(fake: FakeBotAPI) -> None:
    message_id = sent_with_buttons(fake, "x")
    fake.push_command("/status", user_id=4242)
    fake.press(CHANNEL, message_id, "x", user_id=4242)

    async def scenario(bot: telegram.Bot) -> list[list[str]]:
        kinds = []
        only = await bot.get_updates(timeout=1, allowed_updates=["callback_query"])
        kinds.append([("message" if u.message else "callback_query") for u in only])
        fake.push_command("/mutes", user_id=4242)  # still filtered: the setting persists
        later = await bot.get_updates(offset=only[-1].update_id + 1, timeout=1)
        kinds.append([("message" if u.message else "callback_query") for u in later])
        fake.push_command("/help", user_id=4242)
        every = await bot.get_updates(timeout=1, allowed_updates=[])
        kinds.append([u.message.text for u in every if u.message])
        return kinds

    only, later, every = with_bot(fake, scenario)
    assert only == ["callback_query"]  # the /status message was dropped
    assert later == []
    assert every == ["/help"]
