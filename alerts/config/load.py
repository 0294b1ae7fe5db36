"""Reading a config: YAML with the line of every key, validated, each problem named and located.

Problems are reported all at once, each as ``feeds[2].url (line 14): not an http(s) URL`` (0-based
indexes), by mapping pydantic's error locations onto the line numbers PyYAML's composer records
for every node. Secrets never live in the file: the bot token comes from ``TELEGRAM_BOT_TOKEN``
(or a file named by ``TELEGRAM_BOT_TOKEN_FILE``), read by :func:`read_token`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alerts.config.compose import UnsafeYaml, compose_yaml, construct_yaml, dotted
from alerts.config.lint import lint
from alerts.config.model import Config
from alerts.config.references import reference_problems
from alerts.errors import ConfigError, ConfigProblem

_Lines = dict[tuple[str | int, ...], int]


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
    node = _compose(text, source)
    lines: _Lines = {}
    problems = list(_index_lines(node, (), lines)) if node is not None else []
    data = _construct(node, source)  # after the lines: it rewrites merge keys in the graph
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(ConfigProblem("", 1, "the config must be a mapping of sections"))
        raise ConfigError(source, problems)
    state = data.get("state", Config.model_fields["state"].default)
    if isinstance(state, str) and base_dir is not None and "://" not in state:
        data["state"] = str(base_dir / state)
    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as e:
        problems += [_problem(err, lines) for err in e.errors()]
    problems += [_located(p, lines) for p in reference_problems(data)]
    if problems or config is None:
        raise ConfigError(source, sorted(problems, key=lambda p: p.line or 0))
    return config


def _compose(text: str, source: str) -> yaml.Node | None:
    """The checked node graph of a config text, or ConfigError with the line at fault."""
    try:
        return compose_yaml(text)
    except UnsafeYaml as e:
        raise ConfigError(source, [e.problem]) from e
    except yaml.YAMLError as e:
        raise _not_yaml(source, e) from e


def _construct(node: yaml.Node | None, source: str) -> object:
    try:
        return construct_yaml(node) if node is not None else None
    except yaml.YAMLError as e:  # a tag outside the safe subset (!!python/object)
        raise _not_yaml(source, e) from e


def _not_yaml(source: str, e: yaml.YAMLError) -> ConfigError:
    mark = getattr(e, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = getattr(e, "problem", None) or str(e)
    return ConfigError(source, [ConfigProblem("", line, f"not valid YAML: {reason}")])


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
        raise ConfigError(source, _located_in(problems, source, text))


def config_warnings(config: Config, source: str, text: str | None = None) -> list[ConfigProblem]:
    """What a valid config may say without meaning it (``lint``), with the lines in ``text``."""
    found = lint(config)
    return _located_in(found, source, text) if found else []


def _located_in(
    problems: list[ConfigProblem], source: str, text: str | None
) -> list[ConfigProblem]:
    """Problems found on a Config, with their lines in the config's text."""
    lines: _Lines = {}
    if text is not None:
        node = _compose(text, source)
        if node is not None:
            list(_index_lines(node, (), lines))
    return [_located(p, lines) for p in problems]


def read_token(environ: dict[str, str] | None = None) -> str | None:
    """The bot token from TELEGRAM_BOT_TOKEN, or the file TELEGRAM_BOT_TOKEN_FILE names."""
    env = os.environ if environ is None else environ
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token and env.get("TELEGRAM_BOT_TOKEN_FILE"):
        token = Path(env["TELEGRAM_BOT_TOKEN_FILE"]).read_text(encoding="utf-8").strip()
    return token or None


def _index_lines(
    node: yaml.Node, path: tuple[str | int, ...], out: _Lines
) -> Iterator[ConfigProblem]:
    """Record the line of every key path; yield duplicate keys, which PyYAML would hide."""
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            here = (*path, key)
            if key in seen:
                yield ConfigProblem(dotted(here), key_node.start_mark.line + 1, "duplicate key")
            seen.add(key)
            out[here] = key_node.start_mark.line + 1
            yield from _index_lines(value_node, here, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            yield from _index_lines(item, (*path, i), out)


def _line_of(loc: tuple[str | int, ...], lines: _Lines) -> int | None:
    for end in range(len(loc), 0, -1):  # a missing top-level key has no line
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _problem(err: Any, lines: _Lines) -> ConfigProblem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    kind = err["type"]
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = str(err["msg"]).removeprefix("Value error, ")
    return ConfigProblem(dotted(loc), _line_of(loc, lines), message)


def _located(problem: ConfigProblem, lines: _Lines) -> ConfigProblem:
    loc: tuple[str | int, ...] = tuple(
        int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", problem.path)
    )
    return ConfigProblem(problem.path, problem.line or _line_of(loc, lines), problem.message)
