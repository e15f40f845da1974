"""Each kind of content file: its fields and the checks across them, one loader per kind."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import Problems
from ..schema import Field, Invalid, boolean, check_mapping, coordinates, date, integer, list_of, slug, text, url
from ..settings import Settings
from ..translit import is_safe_slug
from .read import Parsed, read_source
from .records import Article, Bulletin, City, Contest, Page, Practice, VestnikIssue

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


def _fields(parsed: Parsed, schema: dict[str, Field], problems: Problems) -> dict[str, Any] | None:
    before = len(problems)
    values = check_mapping(parsed.data, schema, parsed.located, parsed.source.path, problems)
    return values if len(problems) == before else None


def _common(parsed: Parsed, values: dict[str, Any]) -> dict[str, Any]:
    return dict(source=parsed.source, title=values.get("title", ""), body=parsed.body,
                draft=values["draft"], sample=values["sample"])


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
    known = settings.questions
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
