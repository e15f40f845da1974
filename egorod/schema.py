"""A small declarative schema for front matter and site.yaml.

Each field is declared once, on its dataclass (``required``, ``optional``, ``section``,
``entries``): how a raw YAML value is converted, or what is wrong with it in plain words,
and its default. ``read_values`` and ``read_record`` walk ``dataclasses.fields`` of a
record class to check a mapping and make the record. Unknown keys are errors, so typos
never pass.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from .errors import Problems
from .i18n import _, ngettext
from .translit import is_safe_slug
from .yamlsrc import Located


class Invalid(ValueError):
    """A value that cannot be accepted; the message is shown to the editor."""


Converter = Callable[[Any], Any]


def text(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise Invalid(_("must be text"))
    value = str(value).strip()
    if not value:
        raise Invalid(_("must not be empty"))
    return value


def integer(minimum: int | None = None, maximum: int | None = None) -> Converter:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(_("must be a whole number, not {value!r}").format(value=value))
        if minimum is not None and value < minimum:
            raise Invalid(_("must be at least {minimum}, not {value}").format(minimum=minimum, value=value))
        if maximum is not None and value > maximum:
            raise Invalid(_("must be at most {maximum}, not {value}").format(maximum=maximum, value=value))
        return value
    return convert


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(_("must be true or false, not {value!r}").format(value=value))
    return value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip()
    if not _ISO_DATE.match(raw):
        raise Invalid(_("must be a date written YYYY-MM-DD, for example 2026-03-15, not {raw!r}").format(raw=raw))
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid(_("{raw!r} is not a real calendar date").format(raw=raw)) from None


def slug(value: Any) -> str:
    raw = text(value)
    if not is_safe_slug(raw):
        raise Invalid(_("{raw!r} is not a valid slug: use lowercase Latin letters, digits and hyphens")
                      .format(raw=raw))
    return raw


def url(value: Any) -> str:
    raw = text(value)
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", raw):
        raise Invalid(_("{raw!r} is not a web address starting with http:// or https://").format(raw=raw))
    return raw


def list_of(item: Converter, min_items: int = 0) -> Converter:
    def convert(value: Any) -> tuple:
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]   # a single value where a list is expected is a common, harmless slip
        if not isinstance(value, list):
            raise Invalid(_("must be a list, for example [a, b]"))
        if len(value) < min_items:
            raise Invalid(ngettext("must list at least {count} item", "must list at least {count} items",
                                   min_items).format(count=min_items))
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except Invalid as exc:
                raise Invalid(_("item {number}: {problem}").format(number=index + 1, problem=exc)) from None
        return tuple(out)
    return convert


def distinct(convert: Converter) -> Converter:
    """The same list with each item once (a repeated item is a harmless slip)."""
    return lambda value: tuple(dict.fromkeys(convert(value)))


def coordinates(value: Any) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise Invalid(_("must be [latitude, longitude], for example [55.75, 37.62]"))
    lat, lon = value
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lon)):
        raise Invalid(_("latitude and longitude must be numbers"))
    if not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
        raise Invalid(_("[{lat}, {lon}] is outside the globe: latitude −90…90, longitude −180…180")
                      .format(lat=lat, lon=lon))
    return float(lat), float(lon)


# --- declaring fields ---------------------------------------------------------------------

SPEC = "egorod.schema"      # the key of a field's Spec in its dataclass metadata


@dataclass(frozen=True)
class Spec:
    """How one field of a record is read from YAML."""
    convert: Converter | None = None      # raw value → value, or Invalid
    required: bool = False
    key: str | None = None                # the YAML key, when it differs from the attribute
    record: type | None = None            # a nested mapping read as this record class
    many: bool = False                    # a list of such mappings
    refers_to: str = ""                   # what the value names elsewhere: "cities", "questions", "countries"


def required(convert: Converter, *, key: str | None = None, refers_to: str = "") -> Any:
    return dataclasses.field(metadata={SPEC: Spec(convert, True, key, refers_to=refers_to)})


def optional(convert: Converter, default: Any, *, key: str | None = None, refers_to: str = "") -> Any:
    """A field that may be left out (or empty) in the file: then it is ``default`` (immutable)."""
    return dataclasses.field(default=default, metadata={SPEC: Spec(convert, key=key, refers_to=refers_to)})


def section(record: type, *, or_none: bool = False, key: str | None = None, required: bool = False) -> Any:
    """A nested mapping read as ``record``; when left out: a problem if ``required``, None with
    ``or_none``, else ``record()`` with all its defaults."""
    spec = Spec(record=record, key=key, required=required)
    if required:
        return dataclasses.field(metadata={SPEC: spec})
    if or_none:
        return dataclasses.field(default=None, metadata={SPEC: spec})
    return dataclasses.field(default_factory=record, metadata={SPEC: spec})


def entries(record: type, *, required: bool = False, key: str | None = None) -> Any:
    """A list of mappings, each read as ``record``; a tuple of records."""
    spec = Spec(record=record, many=True, required=required, key=key)
    if required:
        return dataclasses.field(metadata={SPEC: spec})
    return dataclasses.field(default=(), metadata={SPEC: spec})


@functools.cache     # asked for every file: the classes never change
def declared(cls: type) -> dict[str, tuple[dataclasses.Field, Spec]]:
    """YAML key → (field, spec) for the fields of ``cls`` read from YAML, in declaration order."""
    found = {}
    for item in dataclasses.fields(cls):
        spec = item.metadata.get(SPEC)
        if spec is not None:
            found[spec.key or item.name] = (item, spec)
    return found


def _default(item: dataclasses.Field) -> Any:
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return item.default


@dataclass(frozen=True)
class Place:
    """Where a mapping is: the file, its YAML lines and the key path in front of its keys."""
    path: str
    located: Located
    prefix: str = ""            # "contest." or "rubricator[2]."

    @property
    def line(self) -> int:
        """The line of the mapping itself: where a missing key is reported."""
        return self.located.line(self.prefix.rstrip(".")) if self.prefix else self.located.first_line

    def line_of(self, key: str) -> int:
        return self.located.line(self.prefix + key, self.line if self.prefix else None)

    def within(self, key: str) -> Place:
        return Place(self.path, self.located, f"{self.prefix}{key}.")


def read_values(cls: type, data: Any, place: Place, problems: Problems) -> dict[str, Any]:
    """Check ``data`` against the declared fields of ``cls``; every problem goes to ``problems``.

    Returns the attribute → value of every field that is valid (a missing optional field
    takes its default), so that checks across fields can still run when one field is wrong.
    """
    if not isinstance(data, dict):
        problems.add(place.path, place.line, place.prefix.rstrip(".") or "-", _("must be a set of `key: value` lines"))
        return {}
    fields = declared(cls)
    for key in data:
        key_str = str(key)
        if key_str not in fields:
            problems.add(place.path, place.line_of(key_str), place.prefix + key_str, _unknown_key(key_str, fields))
    values: dict[str, Any] = {}
    for key, (item, spec) in fields.items():
        raw = data.get(key)
        if raw is None:
            if spec.required and key in data:
                problems.add(place.path, place.line_of(key), place.prefix + key, _("is empty; give a value"))
            elif spec.required:
                problems.add(place.path, place.line, place.prefix + key, _("is required but missing"))
            else:
                values[item.name] = _default(item)
            continue
        if spec.record is not None:
            read = _read_entries if spec.many else read_record
            value = read(spec.record, raw, place.within(key), problems)
            if value is not None:
                values[item.name] = value
            continue
        assert spec.convert is not None
        try:
            values[item.name] = spec.convert(raw)
        except Invalid as exc:
            problems.add(place.path, place.line_of(key), place.prefix + key, str(exc))
    return values


def _unknown_key(key: str, fields: dict) -> str:
    return unknown_name(key, fields, _("unknown key; did you mean `{close}`?"), _("unknown key; allowed: {keys}"),
                        keys=", ".join(sorted(fields)))


Record = TypeVar("Record")


def read_record(cls: type[Record], data: Any, place: Place, problems: Problems, **given: Any) -> Record | None:
    """The record read from ``data`` (``given``: its fields that are not in the YAML), or None
    when anything in it is wrong (reported)."""
    before = len(problems)
    values = read_values(cls, data, place, problems)
    return cls(**values, **given) if len(problems) == before else None


def _read_entries(cls: type, data: Any, place: Place, problems: Problems) -> tuple | None:
    key = place.prefix.rstrip(".")
    if not isinstance(data, list):
        problems.add(place.path, place.located.line(key), key, _("must be a list of entries starting with `-`"))
        return None
    records = [read_record(cls, item, Place(place.path, place.located, f"{key}[{index}]."), problems)
               for index, item in enumerate(data)]
    return tuple(records) if all(record is not None for record in records) else None


def unknown_name(value: str, known: Any, guess: str, advice: str, **fields: Any) -> str:
    """What is wrong with ``value``, none of ``known``: ``guess`` names the known name closest to
    it (``{close}``, a likely typo) when there is one, else ``advice`` says where the names come
    from. Both are whole translated sentences (``{value}``, ``fields``), never a sentence and a suffix."""
    close = difflib.get_close_matches(value, [str(name) for name in known], n=1)
    return (guess if close else advice).format(value=value, close=close[0] if close else None, **fields)



