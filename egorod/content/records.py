"""The typed records of content: one frozen dataclass per kind of file.

Each front-matter field is declared once, on its record. Records are made only from
valid files (a file with mistakes gives a ``Rejected``); their bodies may stay in the
files (LazyBody) until a page that shows them is rendered.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import zoneinfo
from collections import UserString
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..aliases import alias
from ..errors import BuildFailed, Problem
from ..i18n import _
from ..schema import (
    Invalid,
    boolean,
    coordinates,
    date,
    declared,
    distinct,
    entries,
    integer,
    list_of,
    optional,
    required,
    section,
    text,
    url,
)
from ..schema import date as date_
from ..schema import slug as slug_
from ..video import captions_file_name, host_slug, media_file_name
from ..video import duration as duration_

CONTENT_DIR = "content"


@dataclass(frozen=True)
class Source:
    """Where a record came from: for error lines, edit links, dates and caches."""
    path: str                 # relative to the repository root, with forward slashes
    lines: dict[str, int]     # front-matter key → line
    body_line: int            # first line of the Markdown body
    digest: str               # hash of the file's bytes
    meta_digest: str = ""     # hash of the front matter alone: what listings show of it
    links: tuple[tuple[str, int, bool], ...] = ()   # (target, line, is an image) of the body's links

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)


# Each field read from the front matter is declared once, here: its converter, whether it
# is required, its default and what it refers to (schema.required/optional/section).
# Fields without a declaration (source, body, slug, number from the file name...) are
# given by the loader. kw_only: required and optional fields may come in any order.

@dataclass(frozen=True, kw_only=True)
class Entry:
    source: Source
    title: str = required(text)
    body: str                 # for a record from the cache, a LazyBody: str-like, read from the file
    draft: bool = optional(boolean, False)
    sample: bool = optional(boolean, False)
    aliases: tuple[str, ...] = optional(list_of(alias), ())   # old addresses: 301s (egorod/redirects.py)

    def preview_only(self, today: dt.date) -> bool:
        """Shown only because of --drafts: a draft, or dated after ``today``."""
        date = getattr(self, "date", None)
        return self.draft or (isinstance(date, dt.date) and date > today)


def year(value: Any) -> int:
    return integer(1990, 2100)(value)


def image_file_name(value: Any) -> str:
    """A file beside the Markdown: a plain name, never a path that could leave the folder."""
    raw = text(value)
    if "/" in raw or "\\" in raw or raw.startswith(".") or not re.match(r"^[\w.-]+$", raw):
        raise Invalid(_("{raw!r} must be the name of an image file beside _index.md, e.g. cover.jpg").format(raw=raw))
    return raw


def picture_file_name(value: Any) -> str:
    """A picture beside the Markdown file: a plain name of a raster image."""
    raw = text(value)
    if not re.match(r"^[\w][\w.-]*\.(jpe?g|png|webp|avif)$", raw, re.IGNORECASE):
        raise Invalid(_("{raw!r} must be the name of a JPEG, PNG, WebP or AVIF file beside the Markdown file, "
                        "e.g. square.jpg").format(raw=raw))
    return raw


@dataclass(frozen=True, kw_only=True)
class Illustration:
    """A picture that the front matter names, with what a reader who does not see it needs."""
    file: str = required(picture_file_name)
    alt: str = required(text)                   # what the picture shows, for screen readers
    caption: str = optional(text, "")
    credit: str = optional(text, "")            # author and licence: «Фото: И. Петров, CC BY 4.0»


@dataclass(frozen=True, kw_only=True)
class City(Entry):
    slug: str
    country: str = required(text, refers_to="countries")
    coordinates: tuple[float, float] = required(coordinates)
    region: str = optional(text, "")
    website: str = optional(url, "")
    joined: int | None = optional(year, None)
    population: int | None = optional(integer(1), None)
    summary: str = optional(text, "")
    image: Illustration | None = section(Illustration, or_none=True)


@dataclass(frozen=True, kw_only=True)
class Contest:
    edition: int = required(integer(1, 99))
    year: int = required(year)
    nomination: str = required(text)
    award: str = optional(text, "")


@dataclass(frozen=True, kw_only=True)
class Practice(Entry):
    slug: str
    city: str = required(slug_, refers_to="cities")
    year: int = required(year)
    rubrics: tuple[str, ...] = required(distinct(list_of(slug_, min_items=1)), refers_to="questions")
    contest: Contest | None = section(Contest, or_none=True)
    summary: str = required(text)
    contacts: str = optional(text, "")
    image: Illustration | None = section(Illustration, or_none=True)


@dataclass(frozen=True, kw_only=True)
class Bulletin(Entry):
    title: str = optional(text, "")
    number: int = required(integer(1))
    date: dt.date = required(date)
    summary: str = optional(text, "")
    cities: tuple[str, ...] = optional(list_of(slug_), (), refers_to="cities")


@dataclass(frozen=True, kw_only=True)
class Paper(Entry):
    """A text of a printed publication, a file NN-slug.md in its folder: NN its order, slug its name."""
    order: int
    slug: str
    authors: tuple[str, ...] = required(list_of(text, min_items=1))
    section: str = optional(text, "")
    summary: str = optional(text, "")


@dataclass(frozen=True, kw_only=True)
class Article(Paper):
    """An article of a «Вестник МАГ» issue: content/vestnik/<number>/NN-slug.md."""
    issue: int
    cities: tuple[str, ...] = optional(list_of(slug_), (), refers_to="cities")


@dataclass(frozen=True, kw_only=True)
class VestnikIssue(Entry):
    number: int = required(integer(1))
    date: dt.date = required(date)
    cover: str = optional(image_file_name, "")
    editorial_board: tuple[str, ...] = optional(list_of(text), ())
    summary: str = optional(text, "")
    articles: tuple[Article, ...]
    # --- the issue's part of the imprint (выходные данные) of the print edition
    print_run: int | None = optional(integer(1), None)          # тираж, copies
    print_order: str = optional(text, "")                       # the printing house's order number
    signed_for_print: dt.date | None = optional(date_, None)    # подписано в печать; empty: the issue date ("date" is a field here)


@dataclass(frozen=True, kw_only=True)
class CollectionArticle(Paper):
    """A text of an analytic collection: content/events/<year>-<slug>/collection/NN-slug.md."""
    city: str = optional(slug_, "", refers_to="cities")     # the authors' city, printed with their names


@dataclass(frozen=True, kw_only=True)
class Collection(Entry):
    """The analytic collection (сборник аналитических материалов) prepared for an event: the
    folder collection/ in the event's folder, its _index.md (this record) and its articles."""
    event: str                # the event's file name without .md, <year>-<slug>: the folder above
    subtitle: str = optional(text, "")
    editors: str = optional(text, "")       # the editors' line of the title page, «Под общей редакцией …»
    year: int | None = optional(year, None)  # of publication; empty: the event's year
    summary: str = optional(text, "")
    articles: tuple[CollectionArticle, ...]


_MOMENT = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2}))?$")


def moment(value: Any) -> dt.date | dt.datetime:
    """A day (all-day event) or a day and a local time, written YYYY-MM-DD or YYYY-MM-DD HH:MM;
    the time zone is the event's ``timezone``, so that the same wall time is never read in two zones."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise Invalid(_("write the local time as YYYY-MM-DD HH:MM and its zone in 'timezone', not an offset"))
        return value
    if isinstance(value, dt.date):
        return value
    match = _MOMENT.match(str(value).strip())
    if not match:
        raise Invalid(_("must be a date YYYY-MM-DD or a date and time YYYY-MM-DD HH:MM, not {raw!r}")
                      .format(raw=str(value)))
    day = date_(match.group(1))
    if match.group(2) is None:
        return day
    try:
        return dt.datetime.combine(day, dt.time(int(match.group(2)), int(match.group(3))))
    except ValueError:
        raise Invalid(_("{raw!r} is not a real time of day").format(raw=str(value))) from None


def time_zone(value: Any) -> str:
    """An IANA zone name (Europe/Moscow, Asia/Yekaterinburg): calendars need the zone's rules, not an offset."""
    raw = text(value)
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid(_("{raw!r} is not a time zone name such as Europe/Moscow or Asia/Almaty").format(raw=raw)) from None
    return raw


def day_of(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True, kw_only=True)
class Event(Entry):
    year: int                 # from the file name <year>-<slug>.md
    slug: str
    kind: str = required(slug_, refers_to="event_kinds")
    start: dt.date | dt.datetime = required(moment)
    end: dt.date | dt.datetime | None = optional(moment, None)     # empty: the event lasts its start day
    timezone: str = optional(time_zone, "")      # required with times of day
    city: str = required(slug_, refers_to="cities")
    place: str = optional(text, "")
    summary: str = optional(text, "")
    registration: str = optional(url, "")
    materials: tuple[str, ...] = ()     # files in the folder <year>-<slug>/ beside the Markdown (PDF, slides)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)

    @property
    def first_day(self) -> dt.date:
        return day_of(self.start)

    @property
    def last_day(self) -> dt.date:
        return day_of(self.end) if self.end is not None else self.first_day

    def start_instant(self) -> dt.datetime | None:
        """The start as an aware instant; None for an all-day event."""
        if isinstance(self.start, dt.datetime):
            return self.start.replace(tzinfo=zoneinfo.ZoneInfo(self.timezone))
        return None


@dataclass(frozen=True, kw_only=True)
class Exhibit(Illustration):
    """A picture of a virtual exhibition: shown for its own sake, so each one names what it is
    and whose it is."""
    caption: str = required(text)
    credit: str = required(text)


@dataclass(frozen=True, kw_only=True)
class Exhibition(Entry):
    """content/exhibitions/<slug>/index.md, its pictures beside it, shown in the order listed."""
    slug: str                 # the folder's name
    start: dt.date = required(date)
    end: dt.date | None = optional(date_, None)     # empty: open with no closing day ("date" is a converter)
    city: str = required(slug_, refers_to="cities")
    summary: str = required(text)
    pictures: tuple[Exhibit, ...] = entries(Exhibit, required=True)

    @property
    def date(self) -> dt.date:
        """It is published on its opening day, as other dated entries on their date."""
        return self.start


@dataclass(frozen=True, kw_only=True)
class ContestResult:
    """A winner: a practice of the library («Город, где хочется жить»), or a work, its outlet
    and city («Город в зеркале СМИ»)."""
    nomination: str = required(text)
    award: str = optional(text, "")         # place or diploma
    practice: str = optional(slug_, "")     # slug of a practice in content/practices/
    work: str = optional(text, "")
    outlet: str = optional(text, "")
    city: str = optional(slug_, "")


@dataclass(frozen=True, kw_only=True)
class ContestEdition(Entry):
    """content/contests/<contest>/<edition>.md: one edition of a contest with its results."""
    contest: str              # the folder: a contest of site.yaml
    edition: int              # the file name
    title: str = optional(text, "")
    year: int = required(year)
    event: str = optional(text, "")         # the event of the results: <year>-<slug>, its file name
    jury: tuple[str, ...] = optional(list_of(text), ())
    nominations: tuple[str, ...] = optional(list_of(text), ())
    results: tuple[ContestResult, ...] = entries(ContestResult)
    summary: str = optional(text, "")


@dataclass(frozen=True, kw_only=True)
class News(Entry):
    """A short item of the electronic newspaper: content/news/<date>-<slug>.md."""
    slug: str                 # the file name without .md, date included: unique, and the page's address
    date: dt.date = required(date)
    cities: tuple[str, ...] = optional(list_of(slug_), (), refers_to="cities")
    image: str = optional(image_file_name, "")      # a file beside the Markdown
    source_url: str = optional(url, "", key="source")    # where the news comes from ("source" is the file's)
    summary: str = optional(text, "")


@dataclass(frozen=True, kw_only=True)
class Video(Entry):
    """МАГ-Видео, content/video/<slug>.md: a video kept beside it (``sources``, ``captions``) or
    on an outside host (``host`` and ``url``); either way shown with its ``poster``."""
    slug: str
    date: dt.date = required(date)
    city: str = required(slug_, refers_to="cities")
    event: str = optional(text, "")         # the event it shows: <year>-<slug>, its file name
    summary: str = required(text)
    duration: int = required(duration_)     # seconds; written MM:SS or H:MM:SS
    poster: Illustration = section(Illustration, required=True)     # its file and alt text
    sources: tuple[str, ...] = optional(distinct(list_of(media_file_name)), ())    # MP4/WebM beside it
    captions: str = optional(captions_file_name, "")    # WebVTT in Russian, beside it
    host: str = optional(host_slug, "")     # rutube, vk or youtube
    url: str = optional(url, "")            # the video's address on the host
    vestnik: int | None = optional(integer(1), None)    # the Vestnik issue it accompanies
    bulletin: int | None = optional(integer(1), None)   # the bulletin issue it accompanies


@dataclass(frozen=True, kw_only=True)
class Page(Entry):
    slug: str
    menu: int | None = optional(integer(0, 1000), None)
    summary: str = optional(text, "")


@dataclass(frozen=True)
class Rejected:
    """A file with mistakes: never published nor cached. The cities it names and its links
    are still checked, so that one run shows every mistake of it."""
    kind: type                    # the record class it would have made
    source: Source
    values: dict[str, Any]        # its valid fields, and those its name gives (slug, number…)
    parts: tuple[Entry | Rejected, ...] = ()     # a Vestnik issue's or a collection's articles


@dataclass
class Content:
    cities: list[City] = field(default_factory=list)
    practices: list[Practice] = field(default_factory=list)
    bulletins: list[Bulletin] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    news: list[News] = field(default_factory=list)
    videos: list[Video] = field(default_factory=list)
    contests: list[ContestEdition] = field(default_factory=list)
    collections: list[Collection] = field(default_factory=list)
    vestnik: list[VestnikIssue] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    exhibitions: list[Exhibition] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)     # files with mistakes, their parts apart

    def add_rejected(self, item: Rejected) -> None:
        self.rejected.append(item)
        for part in item.parts:
            if isinstance(part, Rejected):
                self.add_rejected(part)


def city_references(kind: type, values: dict[str, Any], source: Source) -> list[tuple[str, int, str]]:
    """(key, line, slug) of every city named in the fields declared ``refers_to="cities"``."""
    found = []
    for key, (item, spec) in declared(kind).items():
        value = values.get(item.name)
        if spec.refers_to != "cities" or value is None:
            continue
        if isinstance(value, str):
            if value:       # an optional city left empty names none
                found.append((key, source.line(key), value))
        else:
            found += [(key, source.lines.get(f"{key}[{index}]", source.line(key)), slug)
                      for index, slug in enumerate(value)]
    return found


def fields_of(entry: Entry) -> dict[str, Any]:
    return {item.name: getattr(entry, item.name) for item in dataclasses.fields(entry)}


class LazyBody(UserString):
    """A body that is read from its file when first used.

    A rebuild needs the Markdown of the few entries it renders again (their HTML is
    otherwise cached by the file's hash); reading and decoding every unchanged file would
    cost more than the rest of a no-change build.
    """

    def __init__(self, path: Path | str, offset: int | None = None, digest: str = ""):
        # (UserString's methods make new strings with one argument, the text.)
        self._path, self._offset, self._digest = path, offset, digest
        self._text: str | None = str(path) if offset is None else None

    @property
    def data(self) -> str:          # what UserString works on
        if self._text is None:
            self._text = self.read()
        return self._text

    @data.setter
    def data(self, text: str) -> None:      # (UserString's attribute is writeable)
        self._text = text

    def read(self) -> str:
        """The text, read again rather than kept (rendering needs it once)."""
        if self._text is not None:
            return self._text
        try:
            raw = Path(self._path).read_bytes()
            # The file must still be the one that was loaded: its HTML is cached by that hash.
            if hashlib.sha1(raw).hexdigest() == self._digest:
                return raw[self._offset:].decode("utf-8")
        except OSError:
            pass
        path = str(self._path)
        relative = path[path.rfind(f"/{CONTENT_DIR}/") + 1:]
        raise BuildFailed([Problem(relative, 0, "-", _("was changed or removed while the site was being "
                                                        "built; run the build again"))])


    def __reduce__(self):
        # Pickled (in the record cache) as where it is, not as the text.
        if self._offset is not None:
            return (LazyBody, (str(self._path), self._offset, self._digest))
        return (str, (self.data,))
