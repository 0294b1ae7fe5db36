"""The schema listing of ``check --schema``: one line per accepted key, its default and meaning."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, get_origin

import yaml

from alerts.config.durations import format_duration
from alerts.config.model import Config, Section


def schema_lines(model: type[Section] = Config, prefix: str = "") -> Iterator[str]:
    """One line per accepted key with its default, for ``check --schema``."""
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = info.annotation
        sub = _submodel(annotation)
        if sub is not None and isinstance(annotation, type):
            yield f"{key}:"
            yield from schema_lines(sub, key + ".")
            continue
        if sub is not None and get_origin(annotation) is dict:  # chats: {chat: settings}
            yield f"{key}: mapping of each chat to:  # {info.description}"
            yield from schema_lines(sub, key + ".<chat>.")
            continue
        if sub is not None and get_origin(annotation) is not list:  # Section | None
            yield f"{key}: null, or a mapping with:  # {info.description}"
            yield from schema_lines(sub, key + ".")
            continue
        if sub is not None:
            yield f"{key}: list of mappings, each with:"
            yield from schema_lines(sub, f"{key}[].")
            continue
        default = _default_text(info)
        doc = f"  # {info.description}" if info.description else ""
        yield f"{key}: {default}{doc}"


def _submodel(annotation: object) -> type[Section] | None:
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, Section):
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
