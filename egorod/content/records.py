"""The typed records of content: one frozen dataclass per kind of file.

Records are made only from valid files; their bodies may stay in the files (LazyBody)
until a page that shows them is rendered.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import UserString
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildFailed, Problem

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


@dataclass(frozen=True)
class Entry:
    source: Source
    title: str
    body: str                 # for a record from the cache, a LazyBody: str-like, read from the file
    draft: bool
    sample: bool


@dataclass(frozen=True)
class City(Entry):
    slug: str
    country: str
    coordinates: tuple[float, float]
    region: str
    website: str
    joined: int | None
    population: int | None
    summary: str


@dataclass(frozen=True)
class Contest:
    edition: int
    year: int
    nomination: str
    award: str


@dataclass(frozen=True)
class Practice(Entry):
    slug: str
    city: str
    year: int
    rubrics: tuple[str, ...]
    contest: Contest | None
    summary: str
    contacts: str


@dataclass(frozen=True)
class Bulletin(Entry):
    number: int
    date: dt.date
    summary: str
    cities: tuple[str, ...]


@dataclass(frozen=True)
class Article(Entry):
    issue: int
    order: int
    slug: str
    authors: tuple[str, ...]
    section: str
    summary: str
    cities: tuple[str, ...]


@dataclass(frozen=True)
class VestnikIssue(Entry):
    number: int
    date: dt.date
    cover: str
    editorial_board: tuple[str, ...]
    summary: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Page(Entry):
    slug: str
    menu: int | None
    summary: str


@dataclass
class Content:
    cities: list[City] = field(default_factory=list)
    practices: list[Practice] = field(default_factory=list)
    bulletins: list[Bulletin] = field(default_factory=list)
    vestnik: list[VestnikIssue] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)


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
        raise BuildFailed([Problem(relative, 0, "-", "was changed or removed while the site was being "
                                                      "built; run the build again")])

    def __reduce__(self):
        # Pickled (in the record cache) as where it is, not as the text.
        if self._offset is not None:
            return (LazyBody, (str(self._path), self._offset, self._digest))
        return (str, (self.data,))
