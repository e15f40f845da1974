"""A small declarative schema for front matter and site.yaml.

Each field converts a raw YAML value to a Python value or explains, in plain words,
what is wrong and how to write it instead. Unknown keys are errors, so typos never pass.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable

from .errors import Problems
from .translit import is_safe_slug
from .yamlsrc import Located


class Invalid(ValueError):
    """A value that cannot be accepted; the message is shown to the editor."""


Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    convert: Converter
    required: bool = False
    default: Any = None


def text(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise Invalid("must be text")
    value = str(value).strip()
    if not value:
        raise Invalid("must not be empty")
    return value


def integer(minimum: int | None = None, maximum: int | None = None) -> Converter:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be a whole number, not {value!r}")
        if minimum is not None and value < minimum:
            raise Invalid(f"must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise Invalid(f"must be at most {maximum}, not {value}")
        return value
    return convert


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, not {value!r}")
    return value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip()
    if not _ISO_DATE.match(raw):
        raise Invalid(f"must be a date written YYYY-MM-DD, for example 2026-03-15, not {raw!r}")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"{raw!r} is not a real calendar date") from None


def slug(value: Any) -> str:
    raw = text(value)
    if not is_safe_slug(raw):
        raise Invalid(f"{raw!r} is not a valid slug: use lowercase Latin letters, digits and hyphens")
    return raw


def url(value: Any) -> str:
    raw = text(value)
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", raw):
        raise Invalid(f"{raw!r} is not a web address starting with http:// or https://")
    return raw


def list_of(item: Converter, min_items: int = 0) -> Converter:
    def convert(value: Any) -> list:
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]   # a single value where a list is expected is a common, harmless slip
        if not isinstance(value, list):
            raise Invalid("must be a list, for example [a, b]")
        if len(value) < min_items:
            raise Invalid(f"must list at least {min_items} item(s)")
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except Invalid as exc:
                raise Invalid(f"item {index + 1}: {exc}") from None
        return out
    return convert


def coordinates(value: Any) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise Invalid("must be [latitude, longitude], for example [55.75, 37.62]")
    lat, lon = value
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lon)):
        raise Invalid("latitude and longitude must be numbers")
    if not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
        raise Invalid(f"[{lat}, {lon}] is outside the globe: latitude −90…90, longitude −180…180")
    return float(lat), float(lon)


def check_mapping(
    data: Any,
    fields: dict[str, Field],
    located: Located,
    path: str,
    problems: Problems,
    prefix: str = "",
) -> dict[str, Any]:
    """Validate ``data`` against ``fields``; every problem goes to ``problems``.

    Returns the converted values (missing optional keys take their default).
    """
    line_of = lambda key: located.line(prefix + key, located.line(prefix.rstrip(".")) if prefix else None)
    if not isinstance(data, dict):
        problems.add(path, located.line(prefix.rstrip(".")) if prefix else located.first_line,
                     prefix.rstrip(".") or "-", "must be a set of `key: value` lines")
        return {}
    result: dict[str, Any] = {}
    for key, raw in data.items():
        key_str = str(key)
        if key_str not in fields:
            hint = difflib.get_close_matches(key_str, fields.keys(), n=1)
            advice = f"did you mean `{hint[0]}`?" if hint else "allowed: " + ", ".join(sorted(fields))
            problems.add(path, line_of(key_str), prefix + key_str, f"unknown key; {advice}")
            continue
        if raw is None:
            if fields[key_str].required:
                problems.add(path, line_of(key_str), prefix + key_str, "is empty; give a value")
            continue
        try:
            result[key_str] = fields[key_str].convert(raw)
        except Invalid as exc:
            problems.add(path, line_of(key_str), prefix + key_str, str(exc))
    for key, spec in fields.items():
        if key in result:
            continue
        if spec.required and key not in data:
            problems.add(path, located.line(prefix.rstrip(".")) if prefix else located.first_line,
                         prefix + key, "is required but missing")
        elif key not in data or data.get(key) is None:
            result.setdefault(key, spec.default() if callable(spec.default) else spec.default)
    return result
