"""OPML import and export (``bot.py feeds import`` / ``feeds export``), through the command line
in process, on real files: quirks that readers' exports carry, broken files, the comments of
config.yaml, a round trip through an empty config, and a 1,000-feed list in the forms Miniflux
and FreshRSS write."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.cli import main
from alerts.config.edit import append_feeds
from alerts.errors import ConfigError
from alerts.opml.command import replace_validated

ROOT = Path(__file__).resolve().parent.parent

QUIRKS = """\
<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Quirks</title></head>
  <body>
    <outline text="Новости" title="Новости">
      <outline text="Ведомости" title="Ведомости" type="RSS" xmlUrl="https://vedomosti.example/rss"/>
      <outline title="Tech">
        <outline text="LWN &amp; co" type="atom" xmlUrl="https://lwn.example/feed?a=1&amp;b=2"></outline>
        <outline xmlUrl="https://untitled.example/feed" />
      </outline>
      <outline text="Blog" xmlUrl="https://two.example/blog" category="korea,/Asia/Japan"/>
    </outline>
    <outline text="Blog" type="rss" xmlUrl="https://one.example/blog"/>
    <outline text="Blog again" type="rss" xmlUrl="https://one.example/blog" category="extra"/>
    <outline text="Blog in capitals" type="rss" xmlUrl="HTTPS://ONE.example:443/blog"/>
    <outline text="NK News again" type="rss" xmlUrl="https://WWW.NKNEWS.ORG/feed/"/>
    <outline text="Credentials" type="rss" xmlUrl="https://u:p@tass.com/rss/v2.xml"/>
    <outline text="Gopher" type="rss" xmlUrl="gopher://old.example/feed"/>
    <outline text="An included list" type="include" url="https://lists.example/more.opml"/>
  </body>
</opml>
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def bot_config(tmp_path: Path) -> Path:
    """A copy of the repository's config.yaml, every comment in it."""
    return write(tmp_path / "config.yaml", (ROOT / "config.yaml").read_text(encoding="utf-8"))


def feeds_import(opml: Path, config: Path, *extra: str) -> int:
    return main(["feeds", "import", str(opml), "--config", str(config), *extra])


def added_lines(before: str, after: str) -> list[str]:
    """The lines ``after`` adds to ``before``, which must be all it changes: one block, every
    other line (comments, blank lines, layout) byte for byte as it was."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    head = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), len(old))
    tail = len(old) - head
    assert new[:head] == old[:head]
    assert new[len(new) - tail :] == old[head:]
    return new[head : len(new) - tail]


def feed_set(config: config_mod.Config) -> set[tuple[str, str | None, frozenset[str]]]:
    return {(f.url, f.name, frozenset(f.tags)) for f in config.feeds}


def test_import_reads_what_readers_write_and_skips_what_the_config_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = bot_config(tmp_path)
    before = config.read_text(encoding="utf-8")
    assert feeds_import(write(tmp_path / "q.opml", QUIRKS), config, "--tag", "imported") == 0
    printed = capsys.readouterr().out
    after = config.read_text(encoding="utf-8")

    new = added_lines(before, after)
    assert len(new) == 5 and all(line.startswith("  - {url: ") for line in new)  # flow, as there
    assert new[0] == (
        '  - {url: "https://vedomosti.example/rss", name: Ведомости, tags: [Новости, imported]}\n'
    )
    loaded = config_mod.load(config)
    by_url = {f.url: f for f in loaded.feeds}
    assert by_url["https://lwn.example/feed?a=1&b=2"].name == "LWN & co"
    assert by_url["https://lwn.example/feed?a=1&b=2"].tags == ["Новости", "Tech", "imported"]
    assert by_url["https://untitled.example/feed"].name is None  # no title: the host is shown
    assert by_url["https://two.example/blog"].tags == ["korea", "Asia", "Japan", "Новости",
                                                       "imported"]  # fmt: skip
    # The first URL of a duplicate keeps its title, the file's categories are united; a second
    # "Blog" is renamed, since the config refuses two feeds of one name.
    assert by_url["https://one.example/blog"].name == "Blog (one.example)"
    assert by_url["https://one.example/blog"].tags == ["extra", "imported"]
    assert by_url["https://two.example/blog"].name == "Blog"
    assert len(loaded.feeds) == 3 + 5

    lines = printed.splitlines()
    assert (
        "renamed: 'Blog' is taken, added as 'Blog (one.example)': https://one.example/blog" in lines
    )
    assert "skipped: listed twice in the file: HTTPS://ONE.example:443/blog" in lines
    assert "skipped: already in the config (feeds[0]): https://WWW.NKNEWS.ORG/feed/" in lines
    assert "skipped: already in the config (feeds[2]): https://u:p@tass.com/rss/v2.xml" in lines
    assert any(line.startswith("skipped: not an http(s) URL") for line in lines)
    assert any(line.endswith("https://lists.example/more.opml") for line in lines)
    assert lines[-1] == f"{config}: 5 feed(s) added, 5 skipped"


def test_a_second_import_of_the_same_file_adds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, opml = bot_config(tmp_path), write(tmp_path / "q.opml", QUIRKS)
    assert feeds_import(opml, config) == 0
    once = config.read_bytes()
    capsys.readouterr()
    assert feeds_import(opml, config) == 0
    assert config.read_bytes() == once
    assert capsys.readouterr().out.splitlines()[-1] == f"{config}: 0 feed(s) added, 10 skipped"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (QUIRKS[: QUIRKS.index('<outline text="Blog" xmlUrl')], "line 11: not well-formed XML"),
        (QUIRKS.replace("&amp;b=2", "&b=2"), "line 8: not well-formed XML"),
        ("<html><body><p>Sign in</p></body></html>", "not OPML: the document has no <opml>"),
        ("", "the file is empty"),
    ],
    ids=["cut short", "bare ampersand", "a web page", "empty"],
)
def test_bad_opml_is_refused_with_its_file_and_line_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, says: str
) -> None:
    config = bot_config(tmp_path)
    before = config.read_bytes()
    opml = write(tmp_path / "broken.opml", content)
    assert feeds_import(opml, config) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {opml}")
    assert says in error and "nothing was written" in error
    assert config.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.opml", "config.yaml"]


def test_a_result_the_loader_refuses_is_never_written(tmp_path: Path) -> None:
    config = bot_config(tmp_path)
    before = config.read_bytes()
    bad = append_feeds(before.decode(), [{"url": "https://x.example/f", "name": "NK News"}])
    with pytest.raises(ConfigError, match="same name as feeds"):
        replace_validated(config, bad)
    assert config.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]  # no temporary file left


def test_block_style_feeds_get_block_entries_and_keep_what_follows(tmp_path: Path) -> None:
    text = (
        "# my feeds\r\nfeeds:\r\n- url: https://a.example/x   # the first\r\n  name: A\r\n"
        "  tags:\r\n  - t\r\n\r\n# rules come next\r\nrules: []\r\n"
    )
    config = write(tmp_path / "config.yaml", "")
    config.write_bytes(text.encode())
    opml = write(tmp_path / "one.opml", QUIRKS.replace('type="RSS"', 'category="t"'))
    assert feeds_import(opml, config) == 0
    after = config.read_bytes().decode()
    new = added_lines(text, after)
    assert new[:3] == [
        '- url: "https://vedomosti.example/rss"\r\n', "  name: Ведомости\r\n",
        "  tags: [t, Новости]\r\n",
    ]  # fmt: skip
    assert after.endswith("  name: Credentials\r\n\r\n# rules come next\r\nrules: []\r\n")


def test_export_then_import_into_an_empty_config_gives_the_same_feeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FEED_PASSWORD", "s3cret-pw")
    source = write(tmp_path / "source.yaml", """\
feeds:
  - {url: "https://www.nknews.org/feed/", name: NK News, tags: [korea, asia]}
  - {url: "https://alice:hunter2@private.example/feed", name: "Q&A <private>", tags: [private]}
  - {url: "https://auth.example/feed", auth: {user: bob, password_env: FEED_PASSWORD}}
  - {url: "https://tass.com/rss/v2.xml", name: "ТАСС", tags: [russia, "world news"]}
""")  # fmt: skip
    opml = tmp_path / "out.opml"
    assert main(["feeds", "export", "--config", str(source), "-o", str(opml)]) == 0
    exported = opml.read_text(encoding="utf-8")
    for secret in ("hunter2", "alice", "s3cret-pw", "bob"):
        assert secret not in exported
    empty = write(tmp_path / "empty.yaml", "")
    assert feeds_import(opml, empty) == 0
    assert "4 feed(s) added" in capsys.readouterr().out
    assert (
        feed_set(config_mod.load(empty))
        == feed_set(config_mod.load(source))
        == {
            ("https://www.nknews.org/feed/", "NK News", frozenset({"korea", "asia"})),
            ("https://private.example/feed", "Q&A <private>", frozenset({"private"})),
            ("https://auth.example/feed", None, frozenset()),
            ("https://tass.com/rss/v2.xml", "ТАСС", frozenset({"russia", "world news"})),
        }
    )


def test_export_is_the_form_every_reader_imports(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["feeds", "export", "--config", str(bot_config(tmp_path))]) == 0
    document = capsysbinary.readouterr().out
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    root = ET.fromstring(document)
    assert root.findtext("head/title")
    assert parsedate_to_datetime(root.findtext("head/dateCreated") or "")  # RFC 822
    folders = root.findall("body/outline")
    assert [f.get("text") for f in folders] == ["korea", "russia"]
    feeds = [(folder.get("text"), feed) for folder in folders for feed in folder]
    assert [feed.get("xmlUrl") for _, feed in feeds] == [
        "https://www.nknews.org/feed/", "https://en.yna.co.kr/RSS/nk.xml",
        "https://tass.com/rss/v2.xml",
    ]  # fmt: skip
    for folder, feed in feeds:
        assert feed.get("type") == "rss" and len(feed) == 0  # self-closing, never a folder
        assert feed.get("text") == feed.get("title") and feed.get("text")
        assert feed.get("category") == folder
    assert b"></outline>" not in document.split(b"<body>")[1].replace(b"  </outline>", b"")


def test_a_bar_is_drawn_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert feeds_import(write(tmp_path / "q.opml", QUIRKS), bot_config(tmp_path)) == 0
    assert "9/9" in terminal.getvalue() and " feeds" in terminal.getvalue()


def reader_opml(feeds: int, form: str) -> str:
    """An export of ``feeds`` feeds in 25 folders, as Miniflux (outlines with end tags and no
    type, a title and text) or FreshRSS (self-closing, ``type="rss"``, its namespace) write."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    if form == "miniflux":
        head += '<opml version="2.0">\n<head><title>Miniflux</title></head>\n<body>\n'
    else:
        head += ('<opml version="2.0" xmlns:frss="https://freshrss.org/opml">\n'
                 "<head><title>FreshRSS</title></head>\n<body>\n")  # fmt: skip
    parts = [head]
    for folder in range(25):
        parts.append(f'<outline text="Folder {folder} é" title="Folder {folder} é">\n')
        for n in range(folder, feeds, 25):
            url = f"https://site{n}.example/feed.xml?n={n}&amp;f=rss"
            if form == "miniflux":
                parts.append(f'  <outline title="Site {n}" text="Site {n}" xmlUrl="{url}" '
                             f'htmlUrl="https://site{n}.example/"></outline>\n')  # fmt: skip
            else:
                parts.append(
                    f'  <outline text="Site {n}" type="rss" xmlUrl="{url}" '
                    f'htmlUrl="https://site{n}.example/" frss:cssFullContent=""/>\n'
                )
        parts.append("</outline>\n")
    return "".join(parts) + "</body>\n</opml>\n"


@pytest.mark.parametrize("form", ["miniflux", "freshrss"])
def test_a_thousand_feed_export_keeps_every_comment_and_comes_back_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    config = bot_config(tmp_path)
    before = config.read_text(encoding="utf-8")
    assert feeds_import(write(tmp_path / "reader.opml", reader_opml(1000, form)), config) == 0
    assert len(added_lines(before, config.read_text(encoding="utf-8"))) == 1000
    loaded = config_mod.load(config)
    imported = {(f.url, f.name, tuple(f.tags)) for f in loaded.feeds[3:]}
    assert imported == {
        (f"https://site{n}.example/feed.xml?n={n}&f=rss", f"Site {n}", (f"Folder {n % 25} é",))
        for n in range(1000)
    }
    capsys.readouterr()
    exported = tmp_path / "back.opml"
    assert main(["feeds", "export", "--config", str(config), "-o", str(exported)]) == 0
    urls = {o.get("xmlUrl") for o in ET.parse(exported).iter("outline") if o.get("xmlUrl")}
    assert urls == {f.url for f in loaded.feeds}
