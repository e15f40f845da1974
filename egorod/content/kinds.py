"""Each kind of content file: the checks across its fields, one loader per kind.

The fields themselves are declared once, on the records (records.py). A loader checks
every field and every check across fields that the valid ones allow, so that one run
reports every mistake of a file; a file with any mistake gives a ``Rejected``, whose
cities and links are still checked (model.py, links_check.py).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Callable, TypeVar

from .. import video as v
from ..errors import Problem, Problems
from ..i18n import _
from ..schema import Invalid, Place, declared, read_values, unknown_name
from ..settings import Settings
from ..translit import is_safe_slug
from .read import Parsed, photographs_without_caption, read_source
from .records import (
    Article,
    Bulletin,
    City,
    Collection,
    CollectionArticle,
    ContestEdition,
    Entry,
    Event,
    Exhibition,
    News,
    Page,
    Practice,
    Rejected,
    Source,
    VestnikIssue,
    Video,
)

EVENT_NAME = re.compile(r"^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
NEWS_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
ARTICLE_NAME = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")

# What `python build.py new` writes for the editor to replace (new.py writes these very
# texts): refused once the entry is no longer a draft, so that it is never published.
REPLACE_MARK = "ЗАМЕНИТЕ"      # a comment on a line whose value must be replaced
ISSUE_THEME, ARTICLE_TITLE = "Тема номера", "Название статьи"
PRACTICE_SUMMARY = "Одно-два предложения: в чём практика и каков её результат."
PLACEHOLDER_VALUES = {"title": (ISSUE_THEME, ARTICLE_TITLE), "summary": (PRACTICE_SUMMARY,)}
PLACEHOLDER_BODIES = {
    "bulletin": ("## Заголовок первой новости\n\n"
                 "Текст новости. Каждая новость выпуска — отдельный раздел с заголовком `##`.\n\n"
                 "## Заголовок второй новости\n\nТекст новости.\n"),
    "vestnik": "Слово редакции: о чём этот номер.\n",
    "article": ("Вступление статьи.\n\n## Первый раздел\n\n"
                "Текст раздела. Сноска пишется так[^1].\n\n[^1]: Текст сноски.\n"),
    "practice": ("## Проблема\n\nКакую задачу города решала практика.\n\n"
                 "## Решение\n\nЧто и как было сделано.\n\n"
                 "## Результаты\n\nЧто изменилось, в цифрах, если они есть.\n"),
    "city": "Описание города: один-три абзаца.\n",
}
# The sentences of those bodies (not their headings, which may well stay).
_PLACEHOLDER_SENTENCES = frozenset(line for body in PLACEHOLDER_BODIES.values() for line in body.split("\n")
                                   if line and not line.startswith("#"))

Record = TypeVar("Record", bound=Entry)


# --- checks shared by every kind ------------------------------------------------------------

def _values(kind: type, parsed: Parsed, settings: Settings, problems: Problems) -> dict[str, Any]:
    """The valid fields of the file; every field is checked, and so are those that name
    something in site.yaml, and what `new` left to replace."""
    values = read_values(kind, parsed.data, Place(parsed.source.path, parsed.located), problems)
    _check_settings_references(kind, parsed, values, settings, problems)
    _check_placeholders(parsed, values, problems)
    return values


def _outcome(kind: type[Record], parsed: Parsed, values: dict[str, Any], given: dict[str, Any],
             problems: Problems, before: int) -> Record | Rejected:
    """The record when nothing in the file was wrong, else what is known of it."""
    if len(problems) > before or any(value is None for value in given.values()):
        return Rejected(kind, parsed.source, {**values, **{k: v for k, v in given.items() if v is not None}})
    return kind(**values, **given, source=parsed.source, body=parsed.body)


def _slug_from_name(path: Path, parsed: Parsed, problems: Problems) -> str | None:
    name = path.stem
    if not is_safe_slug(name):
        problems.add(parsed.source.path, 1, "-", _(
            "file name {name!r} is not a valid slug: rename it with lowercase Latin letters, digits and "
            "hyphens, e.g. nizhniy-novgorod.md").format(name=path.name))
        return None
    return name


def _check_placeholders(parsed: Parsed, values: dict[str, Any], problems: Problems) -> None:
    """What `new` wrote for the editor to replace must not be published."""
    if values.get("draft") is not False:        # a draft, or unknown: its own mistake is reported
        return
    path = parsed.source.path
    front_matter = parsed.front_matter.split("\n") if REPLACE_MARK in parsed.front_matter else []
    for key, value in parsed.data.items():
        key, line = str(key), parsed.source.line(str(key))
        if line <= len(front_matter) and REPLACE_MARK in front_matter[line - 1].partition("#")[2]:
            problems.add(path, line, key, _("still the placeholder from 'new' (marked {mark}): write the real "
                                            "value and delete the comment").format(mark=REPLACE_MARK))
        elif value in PLACEHOLDER_VALUES.get(key, ()):
            problems.add(path, line, key, _("still the placeholder text from 'new': write the real {key}")
                         .format(key=key))
    for number, text in enumerate(parsed.body.split("\n")):
        if text in _PLACEHOLDER_SENTENCES:
            problems.add(path, parsed.source.body_line + number, "body",
                         _("still the placeholder text from 'new' ({text!r}): write the real text").format(text=text))
            return      # one line says it: the rest of the body is the same sample


def _check_known(parsed: Parsed, key: str, slugs: Any, known: Any, unknown: Callable[[str], str],
                 problems: Problems) -> None:
    """Every slug in ``slugs`` (one or a list) is one of ``known``; else ``unknown(slug)`` says so."""
    for index, value in enumerate([slugs] if isinstance(slugs, str) else slugs or ()):
        if value in known:
            continue
        line = parsed.source.lines.get(f"{key}[{index}]", parsed.source.line(key))
        problems.add(parsed.source.path, line, key, unknown(value))


def _countries(settings: Settings) -> tuple[list[str], Callable[[str], str]]:
    names = [country.name for country in settings.countries]

    def unknown(value: str) -> str:
        return unknown_name(value, names, _("unknown country {value!r}: did you mean {close!r}?"),
                            _("unknown country {value!r}; use one of: {names} (or add it to site.yaml)"),
                            names=", ".join(names))
    return names, unknown


def _questions(settings: Settings) -> tuple[Any, Callable[[str], str]]:
    def unknown(value: str) -> str:
        return unknown_name(value, settings.questions, _("unknown problem {value!r}: did you mean {close!r}?"),
                            _("unknown problem {value!r}: use a problem slug from the rubricator in site.yaml"))
    return settings.questions, unknown



def _event_kinds(settings: Settings) -> tuple[Any, Callable[[str], str]]:
    names = settings.event_kind_names

    def unknown(value: str) -> str:
        return unknown_name(value, names, _("unknown event kind {value!r}: did you mean {close!r}?"),
                            _("unknown event kind {value!r}; use one of: {names} (or add it to event_kinds in "
                              "site.yaml)"), names=", ".join(names))
    return names, unknown


# What a field declared ``refers_to=…`` may name in site.yaml: (known names, the message for an unknown one).
SETTINGS_REFERENCES = {"countries": _countries, "questions": _questions, "event_kinds": _event_kinds}


def _check_settings_references(kind: type, parsed: Parsed, values: dict[str, Any], settings: Settings,
                               problems: Problems) -> None:
    for key, (item, spec) in declared(kind).items():
        if spec.refers_to in SETTINGS_REFERENCES and item.name in values:
            known, unknown = SETTINGS_REFERENCES[spec.refers_to](settings)
            _check_known(parsed, key, values[item.name], known, unknown, problems)


# --- one function per kind --------------------------------------------------------------

_Illustrated = TypeVar("_Illustrated", City, Practice)

def _check_illustration(path: Path, parsed: Parsed, values: dict[str, Any], problems: Problems,
                        key: str = "image") -> None:
    image = values.get(key)
    if image is not None and not (path.parent / image.file).is_file():
        problems.add(parsed.source.path, parsed.source.line(key), key,
                     _("picture {file!r} not found beside the Markdown file").format(file=image.file))


def _load_illustrated(kind: type[_Illustrated], root: Path, path: Path, settings: Settings,
                      problems: Problems) -> _Illustrated | Rejected | None:
    """A city or a practice: named by its file, with an optional picture beside it."""
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    before = len(problems)
    values = _values(kind, parsed, settings, problems)
    _check_illustration(path, parsed, values, problems)
    given = {"slug": _slug_from_name(path, parsed, problems)}
    return _outcome(kind, parsed, values, given, problems, before)


def load_city(root: Path, path: Path, settings: Settings, problems: Problems) -> City | Rejected | None:
    return _load_illustrated(City, root, path, settings, problems)


def load_practice(root: Path, path: Path, settings: Settings, problems: Problems) -> Practice | Rejected | None:
    return _load_illustrated(Practice, root, path, settings, problems)


def load_bulletin(root: Path, path: Path, settings: Settings, problems: Problems) -> Bulletin | Rejected | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    before = len(problems)
    values = _values(Bulletin, parsed, settings, problems)
    if "number" in values and path.stem != str(values["number"]):
        problems.add(parsed.source.path, parsed.source.line("number"), "number",
                     _("number {number} does not match the file name {name!r}; name the file {number}.md or "
                       "correct the number").format(number=values["number"], name=path.name))
    if not re.search(r"^## \S", parsed.body, re.MULTILINE):
        problems.add(parsed.source.path, parsed.source.body_line, "body",
                     _("a bulletin needs its news items: start each one with a line `## Heading`"))
    return _outcome(Bulletin, parsed, values, {}, problems, before)


def _load_paper(kind: type[Record], root: Path, path: Path, given: dict[str, Any], settings: Settings,
                problems: Problems) -> Record | Rejected | None:
    """An article of a printed publication: its order and slug from its name NN-slug.md, and
    every JPEG photograph with its caption and credit (the print edition names them)."""
    match = ARTICLE_NAME.match(path.name)
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    before = len(problems)
    if not match:
        problems.add(parsed.source.path, 1, "-", _("file name {name!r} must be NN-slug.md, two digits for the "
                                                   "order in the issue, e.g. 03-gorod-dlya-lyudey.md")
                     .format(name=path.name))
    values = _values(kind, parsed, settings, problems)
    for line in photographs_without_caption(parsed.body, parsed.source.body_line):
        problems.add(parsed.source.path, line, "image", _(
            "a photograph in the Vestnik needs its caption and credit as its title: "
            "![…](photo.jpg \"Caption. Photo: author, licence\")").format() if kind is Article else _(
            "a photograph in an analytic collection needs its caption and credit as its title: "
            "![…](photo.jpg \"Caption. Photo: author, licence\")").format())
    given = {**given, "order": int(match.group(1)) if match else None, "slug": match.group(2) if match else None}
    return _outcome(kind, parsed, values, given, problems, before)


def load_article(root: Path, path: Path, issue: int | None, settings: Settings, problems: Problems) -> Article | Rejected | None:
    return _load_paper(Article, root, path, {"issue": issue}, settings, problems)


def _load_papers(folder: Path, load: Callable[[Path], Entry | Rejected | None],
                 problems: Problems) -> list[Entry | Rejected]:
    """The articles NN-slug.md beside a folder's _index.md, each with its own order and slug."""
    loaded = [load(path) for path in sorted(folder.glob("*.md")) if path.name != "_index.md"]
    papers = [paper for paper in loaded if paper is not None]
    _check_articles_apart(papers, problems)
    return papers


def _check_articles_apart(articles: list[Entry | Rejected], problems: Problems) -> None:
    """Every article of an issue has its own order and slug (its file name gives both)."""
    seen: dict[tuple[str, Any], str] = {}
    for article in articles:
        fields = article.values if isinstance(article, Rejected) else {"order": getattr(article, "order"),  # noqa: B009
                                                                        "slug": getattr(article, "slug")}  # noqa: B009
        for key in (("order", fields.get("order")), ("slug", fields.get("slug"))):
            if key[1] is None:
                continue
            if key in seen:
                problems.add(article.source.path, 1, "-", _reused(key[0], key[1], seen[key]))
            seen[key] = article.source.path


def _reused(what: str, value: Any, other: str) -> str:
    if what == "order":
        return _("order {value!r} is also used by {other}; every article needs its own number and slug").format(
            value=value, other=other)
    return _("slug {value!r} is also used by {other}; every article needs its own number and slug").format(
        value=value, other=other)


def _ordered(papers: list[Entry | Rejected], kind: type[Record]) -> tuple[Record, ...]:
    return tuple(sorted((p for p in papers if isinstance(p, kind)), key=lambda p: getattr(p, "order")))  # noqa: B009


def load_vestnik_issue(root: Path, folder: Path, settings: Settings, problems: Problems) -> VestnikIssue | Rejected | None:
    """An issue is one record with its articles: it is valid, or rejected with them, as a whole."""
    index = folder / "_index.md"
    if not index.exists():
        problems.add(folder.relative_to(root).as_posix(), 0, "-",
                     _("a Vestnik issue folder needs an _index.md with number, date and title"))
        return None
    parsed = read_source(root, index, problems)
    if parsed is None:
        return None
    before = len(problems)
    values = _values(VestnikIssue, parsed, settings, problems)
    if "number" in values and folder.name != str(values["number"]):
        problems.add(parsed.source.path, parsed.source.line("number"), "number",
                     _("number {number} does not match the folder name {name!r}").format(
                         number=values["number"], name=folder.name))
    number = int(folder.name) if folder.name.isdigit() else None
    articles = _load_papers(folder, lambda path: load_article(root, path, number, settings, problems), problems)
    cover = values.get("cover")
    if cover and not (folder / cover).is_file():
        problems.add(parsed.source.path, parsed.source.line("cover"), "cover",
                     _("cover image {cover!r} not found beside _index.md").format(cover=cover))

    if len(problems) > before or any(isinstance(article, Rejected) for article in articles):
        return Rejected(VestnikIssue, parsed.source, {**values, "number": number}, tuple(articles))
    return VestnikIssue(**values, source=parsed.source, body=parsed.body, articles=_ordered(articles, Article))


# Where an event's analytic collection lies: content/events/<year>-<slug>/collection/.
COLLECTION_FOLDER = "collection"


def load_collection(root: Path, folder: Path, settings: Settings, problems: Problems) -> Collection | Rejected | None:
    """An event's analytic collection, one record with its articles as a Vestnik issue is; the
    event it names (the folder above) is checked against the events in the model."""
    index = folder / "_index.md"
    if not index.exists():
        problems.add(folder.relative_to(root).as_posix(), 0, "-",
                     _("an analytic collection folder needs an _index.md with the collection's title"))
        return None
    parsed = read_source(root, index, problems)
    if parsed is None:
        return None
    before = len(problems)
    values = _values(Collection, parsed, settings, problems)
    articles = _load_papers(folder, lambda path: _load_paper(CollectionArticle, root, path, {}, settings, problems),
                            problems)
    if not articles:
        problems.add(parsed.source.path, 1, "-", _(
            "the collection has no articles: put each one beside _index.md as NN-slug.md, e.g. 01-vvedenie.md"))
    event = folder.parent.name
    if len(problems) > before or any(isinstance(article, Rejected) for article in articles):
        return Rejected(Collection, parsed.source, {**values, "event": event}, tuple(articles))
    return Collection(**values, event=event, source=parsed.source, body=parsed.body,
                      articles=_ordered(articles, CollectionArticle))


def load_page(root: Path, path: Path, settings: Settings, problems: Problems) -> Page | Rejected | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    before = len(problems)
    values = _values(Page, parsed, settings, problems)
    given = {"slug": _slug_from_name(path, parsed, problems)}
    return _outcome(Page, parsed, values, given, problems, before)


def _check_event_times(parsed: Parsed, values: dict[str, Any], problems: Problems) -> None:
    """Across the times of an event: a zone for times of day, both ends alike, the end not before the start."""
    path, start, end = parsed.source.path, values.get("start"), values.get("end")
    timed = [key for key in ("start", "end") if isinstance(values.get(key), dt.datetime)]
    if timed and "timezone" not in parsed.data:
        problems.add(path, parsed.source.line(timed[0]), "timezone", _(
            "a time of day needs its time zone: add e.g. 'timezone: Asia/Yekaterinburg' (the zone of the city)"))
    if start is None or end is None:
        return
    if isinstance(start, dt.datetime) != isinstance(end, dt.datetime):
        problems.add(path, parsed.source.line("end"), "end", _(
            "start and end must both be dates or both dates with a time of day"))
    elif end < start:
        problems.add(path, parsed.source.line("end"), "end", _("the end {end} is before the start {start}")
                     .format(end=end, start=start))


# What an event's folder may publish: documents and slides, never pages or scripts.
MATERIAL_SUFFIXES = frozenset({".pdf", ".ppt", ".pptx", ".odp", ".doc", ".docx", ".odt", ".xls", ".xlsx", ".ods"})


def event_material_files(path: Path) -> list[Path]:
    """The files of the folder named as the event's file (2026-forum.md → 2026-forum/), by name."""
    folder = path.with_suffix("")
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink() and not p.name.startswith("."))


def _materials(parsed: Parsed, path: Path, problems: Problems) -> tuple[str, ...]:
    names = []
    for file in event_material_files(path):
        if file.suffix.lower() in MATERIAL_SUFFIXES and re.match(r"^[\w.-]+$", file.name):
            names.append(file.name)
        else:
            problems.add(parsed.source.path, 1, "-", _(
                "{name!r} in the event's folder is not published: materials are PDF, presentations, documents "
                "and spreadsheets named with Latin letters, digits, dots and hyphens").format(name=file.name))
    return tuple(names)


def load_event(root: Path, path: Path, settings: Settings, problems: Problems) -> Event | Rejected | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    before = len(problems)
    match = EVENT_NAME.match(path.name)
    if not match:
        problems.add(parsed.source.path, 1, "-", _("file name {name!r} must be YEAR-slug.md, e.g. "
                                                   "2026-forum-megapolis.md").format(name=path.name))
    values = _values(Event, parsed, settings, problems)
    _check_event_times(parsed, values, problems)
    given = {"year": int(match.group(1)) if match else None, "slug": match.group(2) if match else None,
             "materials": _materials(parsed, path, problems)}
    return _outcome(Event, parsed, values, given, problems, before)


def load_news(root: Path, path: Path, settings: Settings, problems: Problems) -> News | Rejected | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    before = len(problems)
    values = _values(News, parsed, settings, problems)
    match = NEWS_NAME.match(path.name)
    if not match:
        problems.add(parsed.source.path, 1, "-", _("file name {name!r} must be YYYY-MM-DD-slug.md, the date of the "
                                                   "news first, e.g. 2026-11-20-forum-v-kazani.md")
                     .format(name=path.name))
    elif "date" in values and match.group(1) != values["date"].isoformat():
        problems.add(parsed.source.path, parsed.source.line("date"), "date",
                     _("date {date} does not match the file name {name!r}; rename the file or correct the date")
                     .format(date=values["date"].isoformat(), name=path.name))
    image = values.get("image")
    if image and not (path.parent / image).is_file():
        problems.add(parsed.source.path, parsed.source.line("image"), "image",
                     _("image {image!r} not found beside the news file").format(image=image))
    given = {"slug": path.stem if match else None}
    return _outcome(News, parsed, values, given, problems, before)


def load_contest_edition(root: Path, path: Path, settings: Settings, problems: Problems) -> ContestEdition | Rejected | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    before = len(problems)
    contest = path.parent.name
    if settings.contest(contest) is None:
        problems.add(parsed.source.path, 1, "-", _(
            "folder {folder!r} is not a contest of site.yaml; use one of: {names}").format(
            folder=contest, names=", ".join(c.slug for c in settings.contests)))
    if not path.stem.isdigit():
        problems.add(parsed.source.path, 1, "-", _("file name {name!r} must be the number of the edition, e.g. 13.md")
                     .format(name=path.name))
    values = _values(ContestEdition, parsed, settings, problems)
    given = {"contest": contest, "edition": int(path.stem) if path.stem.isdigit() else None}
    return _outcome(ContestEdition, parsed, values, given, problems, before)


# --- virtual exhibitions: a folder with index.md and the pictures it lists -------------------

EXHIBITION_INDEX = "index.md"
PICTURE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".avif"})


def exhibition_files(folder: Path) -> list[Path]:
    """index.md first, then the other files of the folder by name: the record depends on which
    pictures are there."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                   and p.name != EXHIBITION_INDEX) if folder.is_dir() else []
    return [folder / EXHIBITION_INDEX, *files]


def _check_exhibition(folder: Path, parsed: Parsed, values: dict[str, Any], problems: Problems) -> None:
    """Across its fields and files: the dates in order, every listed picture there and listed
    once, every picture of the folder listed (else it would silently not be shown)."""
    path = parsed.source.path
    start, end = values.get("start"), values.get("end")
    if start is not None and end is not None and end < start:
        problems.add(path, parsed.source.line("end"), "end", _("the end {end} is before the start {start}")
                     .format(end=end, start=start))
    listed: dict[str, int] = {}
    for index, picture in enumerate(values.get("pictures") or ()):
        key = f"pictures[{index}]"
        line = parsed.source.lines.get(f"{key}.file", parsed.source.line(key))
        if picture.file in listed:
            problems.add(path, line, f"{key}.file", _("picture {file!r} is listed twice (also as picture {first}); "
                                                      "list each picture once").format(file=picture.file,
                                                                                      first=listed[picture.file] + 1))
        elif not (folder / picture.file).is_file() or (folder / picture.file).is_symlink():
            problems.add(path, line, f"{key}.file", _("picture {file!r} not found beside index.md")
                         .format(file=picture.file))
        listed.setdefault(picture.file, index)
    if "pictures" not in values:
        return          # its own mistake is reported: which pictures it means is unknown
    for file in exhibition_files(folder)[1:]:
        if file.suffix.lower() in PICTURE_SUFFIXES and file.name not in listed:
            problems.add(path, parsed.source.line("pictures"), "pictures", _(
                "{name!r} is in the exhibition's folder but not among its pictures: list it with its alt text, "
                "caption and credit, or remove it").format(name=file.name))
        elif file.suffix.lower() == ".md":
            problems.add(f"{path.rsplit('/', 1)[0]}/{file.name}", 1, "-", _(
                "an exhibition is one file, index.md; its pictures' texts go into its pictures list"))


def load_exhibition(root: Path, folder: Path, settings: Settings, problems: Problems) -> Exhibition | Rejected | None:
    index = folder / EXHIBITION_INDEX
    if not index.is_file():
        problems.add(folder.relative_to(root).as_posix(), 0, "-",
                     _("an exhibition folder needs an index.md with title, start, city, summary and pictures"))
        return None
    parsed = read_source(root, index, problems)
    if parsed is None:
        return None
    before = len(problems)
    values = _values(Exhibition, parsed, settings, problems)
    if "pictures" in values and not values["pictures"]:
        problems.add(parsed.source.path, parsed.source.line("pictures"), "pictures",
                     _("an exhibition needs at least one picture"))
    _check_exhibition(folder, parsed, values, problems)
    slug = folder.name if is_safe_slug(folder.name) else None
    if slug is None:
        problems.add(parsed.source.path, 1, "-", _(
            "folder name {name!r} is not a valid slug: rename it with lowercase Latin letters, digits and "
            "hyphens, e.g. vidy-stolits").format(name=folder.name))
    return _outcome(Exhibition, parsed, values, {"slug": slug}, problems, before)


# --- МАГ-Видео -------------------------------------------------------------------------------

def video_captions_files(path: Path) -> list[Path]:
    """The caption files beside the videos' Markdown files: loaded with each video, so that a
    changed caption file is checked again. (The video files themselves may be large: they are
    checked by their first bytes, at every load and again when the site is built.)"""
    return sorted(p for p in path.parent.iterdir()
                  if p.suffix.lower() == v.CAPTIONS_SUFFIX and p.is_file() and not p.is_symlink())


def media_problems(folder: Path, source: Source, names: tuple[str, ...]) -> list[Problem]:
    """Each video file of ``names`` exists beside the Markdown and is what its name says."""
    found = []
    for index, name in enumerate(names):
        line = source.lines.get(f"sources[{index}]", source.line("sources"))
        file = folder / name
        if not file.is_file() or file.is_symlink():
            found.append(Problem(source.path, line, "sources", _(
                "video file {name!r} not found beside the Markdown file").format(name=name)))
            continue
        with file.open("rb") as opened:
            wrong = v.media_problem(name, opened.read(64))
        if wrong:
            found.append(Problem(source.path, line, "sources", wrong))
    return found


def _check_self_hosted(path: Path, parsed: Parsed, values: dict[str, Any], problems: Problems) -> None:
    """The video files exist and are what their names say; the captions are sound WebVTT."""
    source = parsed.source
    problems.items.extend(media_problems(path.parent, source, values.get("sources", ())))
    captions = values.get("captions")
    if not captions:
        return
    file = path.parent / captions
    if not file.is_file() or file.is_symlink():
        problems.add(source.path, source.line("captions"), "captions",
                     _("captions file {name!r} not found beside the Markdown file").format(name=captions))
        return
    _cues, found = v.caption_problems(file.read_bytes(), values.get("duration"))
    shown = f"{source.path.rsplit('/', 1)[0]}/{captions}"
    for line, message in found:
        problems.add(shown, line, "captions", message)


def _check_video_kind(path: Path, parsed: Parsed, values: dict[str, Any], problems: Problems) -> None:
    """A video is kept beside its file or on an outside host, never both, never neither."""
    source, data = parsed.source, parsed.data
    outside = [key for key in ("host", "url") if key in data]
    kept = [key for key in ("sources", "captions") if key in data]
    if outside and kept:
        problems.add(source.path, source.line(kept[0]), kept[0], _(
            "a video is either kept beside its file (sources, captions) or on an outside host (host, url), "
            "not both"))
    elif outside:
        for key in ("host", "url"):
            if key not in data:
                problems.add(source.path, source.line(outside[0]), key, _(
                    "a video on an outside host needs both 'host' (rutube, vk or youtube) and 'url'"))
        if values.get("host") and values.get("url"):
            try:
                v.outside_video(values["host"], values["url"])
            except Invalid as error:
                problems.add(source.path, source.line("url"), "url", str(error))
    else:
        for key in ("sources", "captions"):
            if not data.get(key):
                problems.add(source.path, source.line(key) if key in data else 1, key, _(
                    "a video kept on the site needs its files in 'sources' (MP4, WebM) and Russian captions in "
                    "'captions' (WebVTT); or give 'host' and 'url' for a video on RuTube, VK Video or YouTube"))
        _check_self_hosted(path, parsed, values, problems)


def load_video(root: Path, path: Path, settings: Settings, problems: Problems) -> Video | Rejected | None:
    parsed = read_source(root, path, problems)
    if parsed is None:
        return None
    before = len(problems)
    values = _values(Video, parsed, settings, problems)
    _check_illustration(path, parsed, values, problems, key="poster")
    _check_video_kind(path, parsed, values, problems)
    given = {"slug": _slug_from_name(path, parsed, problems)}
    return _outcome(Video, parsed, values, given, problems, before)
