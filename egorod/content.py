"""Stage 2: content files → typed records, with every mistake collected.

Each kind of file has a front-matter schema; a file that cannot be read (not UTF-8, no
front matter, broken YAML) is reported as a problem of that file, never a traceback.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import pickle
import re
import time
from collections import UserString
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import frontmatter

from . import yamlsrc
from .aliases import alias
from .errors import BuildFailed, Problem, Problems
from .parallel import forked_batches
from .schema import Field, Invalid, boolean, check_mapping, coordinates, date, integer, list_of, slug, text, url
from .settings import Settings
from .translit import is_safe_slug

CONTENT_DIR = "content"
KINDS = ("cities", "practices", "bulletins", "vestnik", "pages")


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
    aliases: tuple[str, ...]  # old addresses of this page, answered with a 301 by the web server


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


# --- schemas -------------------------------------------------------------------------

def _file_name(value: Any) -> str:
    """A file beside the Markdown: a plain name, never a path that could leave the folder."""
    raw = text(value)
    if "/" in raw or "\\" in raw or raw.startswith(".") or not re.match(r"^[\w.-]+$", raw):
        raise Invalid(f"{raw!r} must be the name of an image file beside _index.md, e.g. cover.jpg")
    return raw


def _year(value: Any) -> int:
    return integer(1990, 2100)(value)


COMMON = {
    "title": Field(text, required=True),
    "draft": Field(boolean, default=False),
    "sample": Field(boolean, default=False),
    "aliases": Field(list_of(alias), default=list),   # old addresses: 301s (egorod/redirects.py)
}
CITY_FIELDS = {
    **COMMON,
    "country": Field(text, required=True),
    "coordinates": Field(coordinates, required=True),
    "region": Field(text, default=""),
    "website": Field(url, default=""),
    "joined": Field(_year, default=None),
    "population": Field(integer(1), default=None),
    "summary": Field(text, default=""),
}
CONTEST_FIELDS = {
    "edition": Field(integer(1, 99), required=True),
    "year": Field(_year, required=True),
    "nomination": Field(text, required=True),
    "award": Field(text, default=""),
}
PRACTICE_FIELDS = {
    **COMMON,
    "city": Field(slug, required=True),
    "year": Field(_year, required=True),
    "rubrics": Field(list_of(slug, min_items=1), required=True),
    "contest": Field(lambda v: v, default=None),
    "summary": Field(text, required=True),
    "contacts": Field(text, default=""),
}
BULLETIN_FIELDS = {
    **COMMON,
    "title": Field(text, default=""),
    "number": Field(integer(1), required=True),
    "date": Field(date, required=True),
    "summary": Field(text, default=""),
    "cities": Field(list_of(slug), default=list),
}
VESTNIK_FIELDS = {
    **COMMON,
    "number": Field(integer(1), required=True),
    "date": Field(date, required=True),
    "cover": Field(lambda v: _file_name(v), default=""),
    "editorial_board": Field(list_of(text), default=list),
    "summary": Field(text, default=""),
}
ARTICLE_FIELDS = {
    **COMMON,
    "authors": Field(list_of(text, min_items=1), required=True),
    "section": Field(text, default=""),
    "summary": Field(text, default=""),
    "cities": Field(list_of(slug), default=list),
}
PAGE_FIELDS = {
    **COMMON,
    "menu": Field(integer(0, 1000), default=None),
    "summary": Field(text, default=""),
}
ARTICLE_NAME = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")


# --- reading one file -------------------------------------------------------------------

@dataclass(frozen=True)
class Parsed:
    source: Source
    data: dict[str, Any]
    located: yamlsrc.Located
    body: str


# Inline links and images `[text](target "title")`, and reference definitions `[id]: target`.
# (The inline pattern starts at the bracket, which the regex engine can scan for quickly;
# whether a `!` makes it an image is looked up just before the match.)
_INLINE_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]+)")
# (Reference definitions are searched for from a newline, put in front of the body too.)
_REFERENCE_LINK = re.compile(r"\n {0,3}\[(?!\^)[^\]]+\]:\s*<?(\S+?)>?(?=\s|$)")
_CODE = re.compile(r"^(```|~~~).*?^\1|`[^`\n]+`", re.MULTILINE | re.DOTALL)


def body_links(body: str, body_line: int) -> tuple[tuple[str, int, bool], ...]:
    """Targets of the links in a Markdown body with their lines (code spans left out)."""
    if "](" not in body and "]:" not in body:
        return ()
    plain = body
    if "`" in body or "~~~" in body:
        plain = _CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), body)
    matches = [(match.start(1), match.group(1), plain[match.start() - 1:match.start()] == "!")
               for match in _INLINE_LINK.finditer(plain)]
    if "]:" in plain:
        matches += [(match.start(1) - 1, match.group(1), False)
                    for match in _REFERENCE_LINK.finditer("\n" + plain)]
        matches.sort()
    found = []
    line, counted = body_line, 0
    for start, target, image in matches:     # lines counted once over the body, in order
        line += plain.count("\n", counted, start)
        counted = start
        found.append((target, line, image))
    return tuple(found)


def read_source(root: Path, path: Path, problems: Problems) -> Parsed | None:
    """Split a file into front matter and body; problems of the file itself are reported."""
    rel = path.relative_to(root).as_posix()
    if path.is_symlink():
        # A link could publish any file of the machine that builds the site.
        problems.add(rel, 0, "-", "is a symbolic link; put the file itself into content/")
        return None
    try:
        raw = path.read_bytes()
    except OSError as error:
        problems.add(rel, 0, "-", f"cannot be read ({error.strerror}); check the file's permissions")
        return None
    try:
        text_ = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(rel, line, "-", "the file is not UTF-8 text; save it with the UTF-8 encoding")
        return None
    text_ = text_.lstrip("\ufeff").replace("\r\n", "\n")
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text_):
        problems.add(rel, 1, "-", "no front matter: the file must start with a line `---`, "
                                  "then `key: value` lines, then a closing `---`")
        return None
    try:
        fm_text, body = handler.split(text_)
    except ValueError:
        problems.add(rel, 1, "-", "the front matter is not closed: add a line `---` after the last key")
        return None
    try:
        # The split keeps the newline after the opening `---`, so YAML line N is file line N.
        located = yamlsrc.load(fm_text, line_offset=0)
    except yamlsrc.YamlError as exc:
        problems.add(rel, exc.line, "-", exc.message)
        return None
    if not isinstance(located.data, dict):
        problems.add(rel, 2, "-", "the front matter must be `key: value` lines")
        return None
    for key, line, first in located.duplicates:
        problems.add(rel, line, key, f"is given twice (also on line {first}); keep one")
    body_line = fm_text.count("\n") + 2
    body = body[1:] if body.startswith("\n") else body
    source = Source(rel, located.lines, body_line, hashlib.sha1(raw).hexdigest(),
                    hashlib.sha1(fm_text.encode("utf-8")).hexdigest(), body_links(body, body_line))
    return Parsed(source, located.data, located, body)


def _fields(parsed: Parsed, schema: dict[str, Field], problems: Problems) -> dict[str, Any] | None:
    before = len(problems)
    values = check_mapping(parsed.data, schema, parsed.located, parsed.source.path, problems)
    return values if len(problems) == before else None


def _common(parsed: Parsed, values: dict[str, Any]) -> dict[str, Any]:
    return dict(source=parsed.source, title=values.get("title", ""), body=parsed.body,
                draft=values["draft"], sample=values["sample"], aliases=tuple(values["aliases"]))


def _slug_from_name(path: Path, parsed: Parsed, problems: Problems) -> str | None:
    name = path.stem
    if not is_safe_slug(name):
        problems.add(parsed.source.path, 1, "-", f"file name {path.name!r} is not a valid slug: "
                     "rename it with lowercase Latin letters, digits and hyphens, e.g. nizhniy-novgorod.md")
        return None
    return name


# --- one function per kind --------------------------------------------------------------

def load_city(root: Path, path: Path, settings: Settings, problems: Problems) -> City | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    values = _fields(parsed, CITY_FIELDS, problems)
    name = _slug_from_name(path, parsed, problems)
    if values is None or name is None:
        return None
    if settings.country(values["country"]) is None:
        problems.add(parsed.source.path, parsed.source.line("country"), "country",
                     f"unknown country {values['country']!r}; use one of: "
                     + ", ".join(c.name for c in settings.countries) + " (or add it to site.yaml)")
        return None
    return City(**_common(parsed, values), slug=name, country=values["country"],
                coordinates=values["coordinates"], region=values["region"], website=values["website"],
                joined=values["joined"], population=values["population"], summary=values["summary"])


def load_practice(root: Path, path: Path, settings: Settings, problems: Problems) -> Practice | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    before = len(problems)
    # Every part is checked even when another is wrong: the editor sees all mistakes at once.
    values = check_mapping(parsed.data, PRACTICE_FIELDS, parsed.located, parsed.source.path, problems)
    name = _slug_from_name(path, parsed, problems)
    contest = None
    if values.get("contest") is not None:
        c = check_mapping(values["contest"], CONTEST_FIELDS, parsed.located, parsed.source.path,
                          problems, prefix="contest.")
        if set(CONTEST_FIELDS) <= set(c) and all(c[k] is not None for k in ("edition", "year", "nomination")):
            contest = Contest(**c)
    incomplete = len(problems) > before or name is None
    known = settings.problems
    for index, rubric in enumerate(values.get("rubrics") or []):
        if rubric not in known:
            line = parsed.source.lines.get(f"rubrics[{index}]", parsed.source.line("rubrics"))
            problems.add(parsed.source.path, line, "rubrics",
                         f"unknown problem {rubric!r}: use a problem slug from the rubricator in site.yaml")
    if incomplete:
        return None
    # With only unknown problems the record is still returned, so that its city is checked
    # too; the problems reported keep it from being published or cached.
    return Practice(**_common(parsed, values), slug=name, city=values["city"], year=values["year"],
                    rubrics=tuple(dict.fromkeys(values["rubrics"])), contest=contest,
                    summary=values["summary"], contacts=values["contacts"])


def load_bulletin(root: Path, path: Path, settings: Settings, problems: Problems) -> Bulletin | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    values = _fields(parsed, BULLETIN_FIELDS, problems)
    if values is None:
        return None
    if path.stem != str(values["number"]):
        problems.add(parsed.source.path, parsed.source.line("number"), "number",
                     f"number {values['number']} does not match the file name {path.name!r}; "
                     f"name the file {values['number']}.md or correct the number")
        return None
    if not re.search(r"^## \S", parsed.body, re.MULTILINE):
        problems.add(parsed.source.path, parsed.source.body_line, "body",
                     "a bulletin needs its news items: start each one with a line `## Heading`")
        return None
    return Bulletin(**_common(parsed, values), number=values["number"], date=values["date"],
                    summary=values["summary"], cities=tuple(values["cities"]))


def load_article(root: Path, path: Path, issue: int, problems: Problems) -> Article | None:
    match = ARTICLE_NAME.match(path.name)
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    if not match:
        problems.add(parsed.source.path, 1, "-", f"file name {path.name!r} must be NN-slug.md, "
                     "two digits for the order in the issue, e.g. 03-gorod-dlya-lyudey.md")
        return None
    values = _fields(parsed, ARTICLE_FIELDS, problems)
    if values is None:
        return None
    return Article(**_common(parsed, values), issue=issue, order=int(match.group(1)), slug=match.group(2),
                   authors=tuple(values["authors"]), section=values["section"],
                   summary=values["summary"], cities=tuple(values["cities"]))


def load_vestnik_issue(root: Path, folder: Path, problems: Problems) -> VestnikIssue | None:
    index = folder / "_index.md"
    if not index.exists():
        problems.add(folder.relative_to(root).as_posix(), 0, "-",
                     "a Vestnik issue folder needs an _index.md with number, date and title")
        return None
    parsed = read_source(root, index, problems)
    if parsed is None:
        return None
    values = _fields(parsed, VESTNIK_FIELDS, problems)
    if values is None:
        return None
    if folder.name != str(values["number"]):
        problems.add(parsed.source.path, parsed.source.line("number"), "number",
                     f"number {values['number']} does not match the folder name {folder.name!r}")
        return None
    articles = []
    for path in sorted(folder.glob("*.md")):
        if path.name == "_index.md":
            continue
        article = load_article(root, path, values["number"], problems)
        if article is not None:
            articles.append(article)
    seen: dict[Any, Article] = {}
    for article in articles:
        for key in (("order", article.order), ("slug", article.slug)):
            if key in seen:
                problems.add(article.source.path, 1, "-", f"{key[0]} {key[1]!r} is also used by "
                             f"{seen[key].source.path}; every article needs its own number and slug")
            seen[key] = article
    cover = values["cover"]
    if cover and not (folder / cover).is_file():
        problems.add(parsed.source.path, parsed.source.line("cover"), "cover",
                     f"cover image {cover!r} not found beside _index.md")
    return VestnikIssue(**_common(parsed, values), number=values["number"], date=values["date"],
                        cover=cover, editorial_board=tuple(values["editorial_board"]),
                        summary=values["summary"], articles=tuple(sorted(articles, key=lambda a: a.order)))


def load_page(root: Path, path: Path, settings: Settings, problems: Problems) -> Page | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    values = _fields(parsed, PAGE_FIELDS, problems)
    name = _slug_from_name(path, parsed, problems)
    if values is None or name is None:
        return None
    return Page(**_common(parsed, values), slug=name, menu=values["menu"], summary=values["summary"])


def _all_markdown_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    # The directory listing says which entries are files: no stat of each of thousands.
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries if entry.name.endswith(".md") and entry.is_file())
    return [folder / name for name in names]


def _body_of(data: bytes) -> str:
    """The Markdown body of a file, exactly as ``read_source`` cuts it."""
    text_ = data.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    body = frontmatter.YAMLHandler().split(text_)[1]
    return body[1:] if body.startswith("\n") else body


def _without_bodies(record: Any) -> Any:
    if isinstance(record, VestnikIssue):
        record = replace(record, articles=tuple(replace(a, body="") for a in record.articles))
    return replace(record, body="")


def _body_offsets(record: Any, contents: dict[str, bytes]) -> dict[str, int]:
    """Where each file's body starts in its bytes, when the body is a plain suffix of them."""
    entries = [record, *getattr(record, "articles", ())]
    offsets = {}
    for entry in entries:
        name = entry.source.path.rsplit("/", 1)[-1]
        data, body = contents.get(name), entry.body.encode("utf-8")
        if data is not None and data.endswith(body):
            offsets[name] = len(data) - len(body)
    return offsets


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


def _with_lazy_bodies(record: Any, files: tuple[Path, ...], offsets: dict[str, int]) -> Any:
    by_name = {file.name: file for file in files}

    def body(entry: Entry) -> LazyBody:
        name = entry.source.path.rsplit("/", 1)[-1]
        return LazyBody(by_name[name], offsets[name], entry.source.digest)
    if isinstance(record, VestnikIssue):
        record = replace(record, articles=tuple(replace(a, body=body(a)) for a in record.articles))
    return replace(record, body=body(record))


def _with_bodies(record: Any, contents: dict[str, bytes], offsets: dict[str, int]) -> Any:
    def body(entry: Entry) -> str:
        name = entry.source.path.rsplit("/", 1)[-1]
        if name in offsets:
            return contents[name][offsets[name]:].decode("utf-8")
        return _body_of(contents[name])
    if isinstance(record, VestnikIssue):
        record = replace(record, articles=tuple(replace(a, body=body(a)) for a in record.articles))
    return replace(record, body=body(record))


ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif"}


def content_assets(root: Path) -> list[tuple[str, Path]]:
    """Images kept beside the Markdown (covers, figures), published at the same place:
    ``content/vestnik/77/plan.png`` → ``vestnik/77/plan.png``."""
    base = root / CONTENT_DIR
    real_base = base.resolve()
    found = []
    # Only image names are looked at closely: content/ holds thousands of Markdown files.
    for folder, _, names in os.walk(base):
        for name in names:
            if os.path.splitext(name)[1].lower() in ASSET_SUFFIXES and not name.startswith("."):
                path = Path(folder, name)
                # Never a symbolic link, nor anything outside content/: a link could publish any file.
                if path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(real_base):
                    found.append((path.relative_to(base).as_posix(), path))
    return sorted(found)


@dataclass(frozen=True)
class LoadJob:
    """One record to load: the files it is made of (hashed together for the cache; none:
    never cached) and the function that reads and checks them."""
    files: tuple[Path, ...]
    load: Callable[[Problems], Any]


def _read_files(files: tuple[Path, ...]) -> tuple[str, dict[str, bytes]] | None:
    digest = hashlib.sha1()
    contents: dict[str, bytes] = {}
    for file in files:      # names too: renaming an article changes its slug and order
        try:
            data = file.read_bytes()
        except OSError:
            return None
        contents[file.name] = data
        digest.update(file.name.encode("utf-8") + b"\0")
        digest.update(data)
    return digest.hexdigest(), contents


def _load_one(job: LoadJob, read: tuple[str, dict[str, bytes]] | None) -> tuple:
    """Parse and check one job's files: (hash of the files, record, body offsets, problems).

    ``read`` is the files' hash and bytes when the caller has them already; otherwise the
    files are read here (in a worker, when many are loaded). A valid record whose bodies
    are plain ends of its files comes with them left in the files (sent back cheaply, read
    again where a page needs them); offsets are None for a record that cannot be cached.
    """
    if read is None and job.files:
        read = _read_files(job.files)
    stamp, contents = read if read is not None else (None, {})
    problems = Problems()
    record = job.load(problems)
    if record is None or problems or not contents:
        return stamp, record, None, problems.items
    offsets = _body_offsets(record, contents)
    if len(offsets) == len(job.files):
        record = _with_lazy_bodies(record, job.files, offsets)
    return stamp, record, offsets, []


# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_LOAD_THRESHOLD = 300


def _run_loaders(jobs: list[LoadJob], pending: list[tuple[int, tuple | None]], workers: int) -> list[tuple]:
    if workers <= 1 or len(pending) < PARALLEL_LOAD_THRESHOLD:
        return [_load_one(jobs[index], read) for index, read in pending]

    # Forked workers see the jobs (and any bytes already read here) and read the rest
    # themselves; records come back with their bodies left in the files: small to send.
    def batch(positions: list[int]) -> list[tuple[int, tuple]]:
        return [(position, _load_one(jobs[pending[position][0]], pending[position][1])) for position in positions]

    results: list[tuple] = [()] * len(pending)
    for done in forked_batches(batch, len(pending), workers):
        for position, result in done:
            results[position] = result
    return results


def _file_stats(files: tuple[Path, ...]) -> tuple | None:
    try:
        stats = [file.stat() for file in files]
    except OSError:
        return None
    return tuple((file.name, s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino) for file, s in zip(files, stats))


# A file changed this close to the moment the cache was saved may have changed again within
# the same clock tick without its times showing it: such a file is hashed, never trusted.
RACY_NS = 2_000_000_000


class RecordCache:
    """Valid records of the last load, by file path and the hash of the file's bytes.

    Hashing a file is far cheaper than parsing its YAML. A file whose size, times and
    inode are those it had at the last save is not even read: as in git's index, this is
    trusted only for files last changed well before that save (an edit within the same
    clock tick cannot hide), every other file is hashed. Files with problems are never
    cached, so their messages are produced again on every run.
    """

    VERSION = 9
    STALE_PERCENT = 1           # up to this share of files out of date, the cache is not rewritten

    def __init__(self, path: Path | None, settings_key: str):
        self.path = path
        self.key = f"{self.VERSION}:{settings_key}"
        # path of the first file → (hash of the files, record with its bodies left in the files, body
        # offsets, file stats)
        self.previous: dict[str, tuple] = {}
        self.current: dict[str, tuple] = {}
        self.saved_at = 0           # when the files of the previous save were looked at (time.time_ns)
        self.looked_at = 0          # when this run's were
        if path is not None:
            try:
                with path.open("rb") as stream:
                    key, saved_at, entries = pickle.load(stream)
                if key == self.key:
                    self.previous, self.saved_at = entries, saved_at
            except (OSError, EOFError, pickle.PickleError, ValueError, TypeError, AttributeError):
                self.previous = {}

    def _trusted(self, hit: tuple | None, stats: tuple | None) -> bool:
        return (hit is not None and stats is not None and hit[3] == stats
                and all(max(mtime, ctime) < self.saved_at - RACY_NS for _, _, mtime, ctime, _ in stats))

    def load_all(self, jobs: list[LoadJob], problems: Problems, workers: int = 1) -> list[Any]:
        """The record of each job (None when invalid), from the cache where the files are unchanged.

        The files not in the cache are parsed in ``workers`` processes when there are many
        (a cold build, ``check``): YAML and validation are most of the cost of loading.
        """
        # Taken before the first stat: a file changed after its stat, within the same clock
        # tick, is then too recent to be trusted next time.
        self.looked_at = time.time_ns()
        results: list[Any] = [None] * len(jobs)
        # (index, hash and bytes of its files when already read here)
        pending: list[tuple[int, tuple[str, dict[str, bytes]] | None]] = []
        stats_of: dict[int, tuple | None] = {}
        for index, job in enumerate(jobs):
            if not job.files:
                pending.append((index, None))
                continue
            name = str(job.files[0])
            hit = self.previous.get(name)
            # Stat before reading: a change made while reading shows in the next run's stat.
            stats = stats_of[index] = _file_stats(job.files)
            if self._trusted(hit, stats) and len(hit[2]) == len(job.files):
                self.current[name] = hit
                results[index] = hit[1]         # its bodies are read from the files when needed
                continue
            if hit is None:                     # nothing to compare with: parsed straight away
                pending.append((index, None))
                continue
            read = _read_files(job.files)
            if read is not None and hit[0] == read[0]:
                self.current[name] = (*hit[:3], stats)
                # Bodies still in the files (checked by their hash when read) or cut from the bytes.
                results[index] = hit[1] if len(hit[2]) == len(job.files) else _with_bodies(hit[1], read[1], hit[2])
            else:
                pending.append((index, read))
        for (index, _), (stamp, record, offsets, found) in zip(pending, _run_loaders(jobs, pending, workers)):
            problems.items.extend(found)
            if offsets is not None and stamp is not None:
                files = jobs[index].files
                # The cache keeps no body: it is cut again from the file, which keeps the
                # cache small enough to load and save in a blink.
                kept = record if len(offsets) == len(files) else _without_bodies(record)
                self.current[str(files[0])] = (stamp, kept, offsets, stats_of.get(index))
            results[index] = record
        return results

    def save(self) -> None:
        """Write the cache unless it is out of date for only a few of many files.

        At the archive's size, hashing and parsing a handful of changed files again costs
        less than writing the whole cache after every edit (an editor's preview rebuilds
        dozens of times a day).
        """
        stale = sum(1 for name, entry in self.current.items() if self.previous.get(name) is not entry)
        if self.path is None or stale == 0 or stale * 100 <= len(self.current) * self.STALE_PERCENT:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as stream:
            pickle.dump((self.key, self.looked_at, self.current), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.path)


def load_content(root: Path, settings: Settings, problems: Problems,
                 cache: RecordCache | None = None,
                 only: Callable[[Path], bool] = lambda path: True, workers: int = 1) -> Content:
    """Read every content file under ``content/``; invalid files are left out and reported.

    ``only`` narrows the practices, bulletins, pages and Vestnik issue folders read (the
    commit hook's check); the cities are always read, every reference needs them.
    """
    base = root / CONTENT_DIR
    cache = cache or RecordCache(None, "")
    jobs: list[tuple[str, LoadJob]] = []      # (collection, job), in the order of the site

    def add(collection: str, loader: Callable, folder: Path, selected: bool = True) -> None:
        for path in _all_markdown_files(folder):
            if not selected or only(path):
                jobs.append((collection, LoadJob((path,), functools.partial(loader, root, path, settings))))

    add("cities", load_city, base / "cities", selected=False)
    add("practices", load_practice, base / "practices")
    add("bulletins", load_bulletin, base / "bulletins")
    vestnik_dir = base / "vestnik"
    if vestnik_dir.is_dir():
        for folder in sorted(p for p in vestnik_dir.iterdir() if p.is_dir() and only(p)):
            # An issue is one record with its articles: it is valid or not as a whole.
            files = [folder / "_index.md", *(f for f in sorted(folder.iterdir()) if f.is_file() and f.name != "_index.md")]
            jobs.append(("vestnik", LoadJob(tuple(files) if files[0].exists() else (),
                                            functools.partial(load_vestnik_issue, root, folder))))
    add("pages", load_page, base / "pages")
    content = Content()
    records = cache.load_all([job for _, job in jobs], problems, workers)
    for (collection, _), record in zip(jobs, records):
        if record is not None:
            getattr(content, collection).append(record)
    return content
