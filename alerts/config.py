"""The config file: declared once, typed, validated at start-up with key paths and line numbers.

Every key has a default except the ones a user must choose (feed URLs, rule terms). Unknown keys
are errors, so a typo never silently disables a setting. Problems are reported all at once, each
as ``feeds[2].url (line 14): not an http(s) URL`` (0-based indexes), by mapping pydantic's error
locations onto the line numbers PyYAML's composer records for every node.

Secrets never live here: the bot token comes from ``TELEGRAM_BOT_TOKEN`` (or a file named by
``TELEGRAM_BOT_TOKEN_FILE``), read by :func:`read_token`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from alerts.errors import ConfigError as ConfigError
from alerts.errors import ConfigProblem
from alerts.text.normalize import normalize
from alerts.text.regex import compile_regex, is_regex_term

# libyaml's safe loader when PyYAML was built with it (the wheels are): the same safe subset and
# the same marks for line numbers, parsed in C; a config of 1,000 feeds loads in milliseconds.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_CHANNEL = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")


def parse_duration(value: object) -> timedelta:
    """``90s``, ``5m``, ``48h``, ``7d``, ``2w``, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError(f"not a duration like 90s, 5m, 48h or 7d: {value!r}")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest config spelling of a duration (``300s`` -> ``5m``)."""
    seconds = value.total_seconds()
    units = ("d", "h", "m") if seconds >= 7 * _UNITS["d"] else ("h", "m")
    for unit in units:
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


def _http_url(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not an http(s) URL")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL")
    return value.strip()


def _chat(value: object) -> str:
    """A chat is ``@channelname`` or a numeric id (negative for groups and channels)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and (_CHANNEL.match(value) or re.fullmatch(r"-?\d+", value)):
        return value
    raise ValueError("not a chat: use @channelname or a numeric chat id")


def _timezone(value: object) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {value!r}") from e
    return str(value)


def _term(value: str) -> str:
    if not normalize(value.rstrip().rstrip("*")):
        raise ValueError("empty term")
    reason = _regex_problem(value)
    if reason is not None:
        raise ValueError(reason)
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Term = Annotated[str, AfterValidator(_term)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
Chat = Annotated[str, BeforeValidator(_chat)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class TelegramConfig(_Section):
    chat: Chat | None = Field(None, description="default destination: @channel or numeric id")
    admins: list[int] = Field(default_factory=list, description="user ids allowed bot commands")
    api_url: HttpUrl | None = Field(
        None, description="a self-hosted Bot API server, passed to PTB as base_url"
    )
    link_preview: bool = Field(False, description="let Telegram show a preview of the link")


class PollingConfig(_Section):
    interval: Duration = Field(timedelta(minutes=5), description="time between polls of a feed")
    jitter: Duration = Field(timedelta(seconds=30), description="random delay added to each poll")
    timeout: Duration = Field(timedelta(seconds=20), description="total time limit of one fetch")
    max_bytes: int = Field(10_000_000, gt=0, description="largest feed body read, in bytes")
    max_redirects: int = Field(5, ge=0, description="redirects followed before giving up")
    concurrency: int = Field(20, gt=0, description="feeds fetched at the same time")
    backoff_max: Duration = Field(
        timedelta(hours=6), description="longest wait before retrying a failing feed"
    )
    broken_after: Duration = Field(
        timedelta(hours=6), description="tell the admins when a feed has failed this long"
    )


class ItemsConfig(_Section):
    max_age: Duration = Field(
        timedelta(days=7), description="older items are never alerted (0s: no limit)"
    )
    retention: Duration = Field(
        timedelta(days=30), description="seen items and sent alerts are forgotten after this"
    )


class DedupConfig(_Section):
    window: Duration = Field(timedelta(hours=48), description="how long a story is remembered")
    threshold: float = Field(
        88.0, ge=0, le=100, description="similarity (0-100) at which two titles are one story"
    )
    max_edits: int = Field(
        3, ge=0, description="edits of a sent alert to list other sources (0: never edit)"
    )


class MessageConfig(_Section):
    summary_chars: int = Field(280, ge=40, le=3000, description="longest summary, in characters")
    timezone: Annotated[str, BeforeValidator(_timezone)] = Field(
        "UTC", description="IANA time zone of the publication time shown"
    )


class FeedConfig(_Section):
    url: HttpUrl = Field(description="feed address (RSS, Atom or RDF)")
    name: str | None = Field(None, description="shown as the source; default: the host name")
    interval: Duration | None = Field(None, description="overrides polling.interval")
    tags: list[str] = Field(default_factory=list, description="names rules can refer to")
    backfill: int = Field(0, ge=0, description="on first poll, alert the newest N items")
    fetch_article: bool = Field(
        False, description="fetch the article page of items that are only a title or a stub"
    )

    @property
    def display_name(self) -> str:
        """The source name shown in alerts."""
        return self.name or (urlsplit(self.url).hostname or self.url)


class RuleConfig(_Section):
    name: str = Field(description="shown in the alert as the reason")
    all: list[Term] = Field(default_factory=list, description="every term must match")
    any: list[Term] = Field(default_factory=list, description="at least one term must match")
    none: list[Term] = Field(default_factory=list, description="no term may match")
    feeds: list[str] = Field(default_factory=list, description="limit to these feed names/tags")
    fields: list[Literal["title", "content"]] = Field(
        default_factory=lambda: ["title", "content"],  # type: ignore[arg-type]
        description="where terms are looked for",
    )
    chat: Chat | None = Field(None, description="overrides telegram.chat")
    silent: bool = Field(False, description="send without a notification sound")

    @model_validator(mode="after")
    def _has_terms(self) -> RuleConfig:
        if not self.all and not self.any:
            raise ValueError("a rule needs `all` or `any` terms")
        return self


class Config(_Section):
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    state: str = Field("alerts.db", description="SQLite file, relative to the config file")
    polling: PollingConfig = Field(default_factory=PollingConfig)
    items: ItemsConfig = Field(default_factory=ItemsConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    message: MessageConfig = Field(default_factory=MessageConfig)
    feeds: list[FeedConfig] = Field(default_factory=list)
    entities: dict[str, list[Term]] = Field(
        default_factory=dict, description="a name and its aliases"
    )
    rules: list[RuleConfig] = Field(default_factory=list)

    def feed(self, url: str) -> FeedConfig | None:
        """The feed with this URL, if configured."""
        return next((f for f in self.feeds if f.url == url), None)

    def chat_of(self, rule: RuleConfig) -> str | None:
        """Where a rule's alerts go."""
        return rule.chat or self.telegram.chat


# ---------------------------------------------------------------- loading


def load(path: str | Path) -> Config:
    """Read, parse and validate a config file, or raise ConfigError listing every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(source, [ConfigProblem("", None, f"cannot read: {e}")]) from e
    return loads(text, source=source, base_dir=Path(path).resolve().parent)


def loads(text: str, *, source: str = "<config>", base_dir: Path | None = None) -> Config:
    """Validate config text; ``state`` is resolved against ``base_dir``."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(e, "problem", None) or str(e)
        raise ConfigError(source, [ConfigProblem("", line, f"not valid YAML: {reason}")]) from e
    lines: dict[tuple[str | int, ...], int] = {}
    problems = list(_index_lines(node, (), lines)) if node is not None else []
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(ConfigProblem("", 1, "the config must be a mapping of sections"))
        raise ConfigError(source, problems)
    state = data.get("state", Config.model_fields["state"].default)
    if isinstance(state, str) and base_dir is not None:
        data["state"] = str(base_dir / state)
    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as e:
        problems += [_problem(err, lines) for err in e.errors()]
    problems += [_located(p, lines) for p in _reference_problems(data)]
    if problems or config is None:
        raise ConfigError(source, sorted(problems, key=lambda p: p.line or 0))
    return config


def runnable_problems(config: Config) -> list[ConfigProblem]:
    """What ``run`` needs beyond a valid file: feeds, rules and a destination for each rule."""
    problems = []
    if not config.feeds:
        problems.append(ConfigProblem("feeds", None, "no feeds to watch"))
    if not config.rules:
        problems.append(ConfigProblem("rules", None, "no rules: nothing would ever be alerted"))
    for i, rule in enumerate(config.rules):
        if config.chat_of(rule) is None:
            problems.append(
                ConfigProblem(f"rules[{i}]", None, "no destination: set telegram.chat or chat")
            )
    return problems


def check_runnable(config: Config, source: str, text: str | None = None) -> None:
    """Raise ConfigError when ``run`` could not start on this config."""
    problems = runnable_problems(config)
    if problems:
        lines: dict[tuple[str | int, ...], int] = {}
        if text is not None:
            node = yaml.compose(text, Loader=_LOADER)
            if node is not None:
                list(_index_lines(node, (), lines))
        raise ConfigError(source, [_located(p, lines) for p in problems])


class ConfigWatcher:
    """Notices edits of the config file: each new content is loaded once, good or bad.

    A content is taken only when two looks in a row see it, so a file caught in the middle of
    being written (editors and ``>`` truncate first) is never mistaken for the operator's edit.
    """

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self._last = _digest(text)
        self._settling: str | None = None

    def check(self) -> Config | ConfigError | None:
        """The new Config, the ConfigError of a bad edit, or None (no change, or settling)."""
        error: OSError | UnicodeDecodeError | None = None
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            text, error = f"unreadable: {e}", e
        digest = _digest(text)
        if digest == self._last or digest != self._settling:
            self._settling = None if digest == self._last else digest
            return None
        self._last, self._settling = digest, None
        if error is not None:
            return ConfigError(str(self.path), [ConfigProblem("", None, f"cannot read: {error}")])
        try:
            config = loads(text, source=str(self.path), base_dir=self.path.resolve().parent)
            check_runnable(config, str(self.path), text)
        except ConfigError as e:
            return e
        return config


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_token(environ: dict[str, str] | None = None) -> str | None:
    """The bot token from TELEGRAM_BOT_TOKEN, or the file TELEGRAM_BOT_TOKEN_FILE names."""
    env = os.environ if environ is None else environ
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token and env.get("TELEGRAM_BOT_TOKEN_FILE"):
        token = Path(env["TELEGRAM_BOT_TOKEN_FILE"]).read_text(encoding="utf-8").strip()
    return token or None


# ---------------------------------------------------------------- problems and lines


def _index_lines(
    node: yaml.Node, path: tuple[str | int, ...], out: dict[tuple[str | int, ...], int]
) -> Iterator[ConfigProblem]:
    """Record the line of every key path; yield duplicate keys, which PyYAML would hide."""
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            here = (*path, key)
            if key in seen:
                yield ConfigProblem(_dotted(here), key_node.start_mark.line + 1, "duplicate key")
            seen.add(key)
            out[here] = key_node.start_mark.line + 1
            yield from _index_lines(value_node, here, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            yield from _index_lines(item, (*path, i), out)


def _dotted(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_of(loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> int | None:
    for end in range(len(loc), 0, -1):  # a missing top-level key has no line
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _problem(err: Any, lines: dict[tuple[str | int, ...], int]) -> ConfigProblem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    kind = err["type"]
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = str(err["msg"]).removeprefix("Value error, ")
    return ConfigProblem(_dotted(loc), _line_of(loc, lines), message)


def _located(problem: ConfigProblem, lines: dict[tuple[str | int, ...], int]) -> ConfigProblem:
    loc: tuple[str | int, ...] = tuple(
        int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", problem.path)
    )
    return ConfigProblem(problem.path, problem.line or _line_of(loc, lines), problem.message)


def _reference_problems(data: dict[str, Any]) -> Iterator[ConfigProblem]:
    """Checks across keys, on the raw data so they run even when a section is invalid."""
    feeds = [f for f in _listed(data, "feeds") if isinstance(f, dict)]
    first_url: dict[str, int] = {}
    names: dict[str, int] = {}
    for i, feed in enumerate(_listed(data, "feeds")):
        if not isinstance(feed, dict):
            continue
        url, name = feed.get("url"), feed.get("name")
        if isinstance(url, str) and url.strip() in first_url:
            yield ConfigProblem(
                f"feeds[{i}].url", None, f"same URL as feeds[{first_url[url.strip()]}]"
            )
        if isinstance(url, str):
            first_url.setdefault(url.strip(), i)
        if isinstance(name, str) and name in names:
            yield ConfigProblem(f"feeds[{i}].name", None, f"same name as feeds[{names[name]}]")
        if isinstance(name, str):
            names.setdefault(name, i)
    known = {str(f.get("name")) for f in feeds} | {
        str(t) for f in feeds for t in (f.get("tags") or []) if isinstance(f.get("tags"), list)
    }
    rule_names: dict[str, int] = {}
    for i, rule in enumerate(_listed(data, "rules")):
        if not isinstance(rule, dict):
            continue
        name = rule.get("name")
        if isinstance(name, str) and name in rule_names:
            yield ConfigProblem(f"rules[{i}].name", None, f"same name as rules[{rule_names[name]}]")
        if isinstance(name, str):
            rule_names.setdefault(name, i)
        # A config without a feeds section (for explain or similar) cannot name feeds wrongly.
        for j, ref in enumerate(_listed(rule, "feeds") if "feeds" in data else []):
            if str(ref) not in known:
                yield ConfigProblem(
                    f"rules[{i}].feeds[{j}]", None, f"no feed named or tagged {ref!r}"
                )


def _listed(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _regex_problem(term: str) -> str | None:
    """Why a ``/.../`` term is not a valid RE2 regular expression, or None."""
    if not is_regex_term(term):
        return None
    try:
        compile_regex(term.strip()[1:-1])
    except ValueError as e:
        return str(e)
    return None


# ---------------------------------------------------------------- schema


def schema_lines(model: type[BaseModel] = Config, prefix: str = "") -> Iterator[str]:
    """One line per accepted key with its default, for ``check --schema``."""
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = info.annotation
        sub = _submodel(annotation)
        if sub is not None and isinstance(annotation, type):
            yield f"{key}:"
            yield from schema_lines(sub, key + ".")
            continue
        if sub is not None:
            yield f"{key}: list of mappings, each with:"
            yield from schema_lines(sub, f"{key}[].")
            continue
        default = _default_text(info)
        doc = f"  # {info.description}" if info.description else ""
        yield f"{key}: {default}{doc}"


def _submodel(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _default_text(info: Any) -> str:
    if info.is_required():
        return "(required)"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, timedelta):
        return format_duration(value)
    if value is None:
        return "null"
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
