"""`python build.py new bulletin|vestnik|practice|city [TITLE]`: start a new content file.

Writes the front matter an editor would otherwise copy by hand — the next bulletin or
Vestnik number, today's date, a Latin slug transliterated from the title — with a short
Russian comment on every field, and ``draft: true`` so nothing is published before the
editor removes that line. The file passes ``python build.py check`` as written; once the
line is removed, ``check`` refuses the sample texts and the lines marked ЗАМЕНИТЕ that are
still there (content/kinds.py). An existing file is never overwritten.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .content import CONTENT_DIR, News, read_source
from .content.kinds import ARTICLE_TITLE, ISSUE_THEME, PLACEHOLDER_BODIES, PRACTICE_SUMMARY, REPLACE_MARK, load_news
from .errors import Problems
from .i18n import _
from .schema import Invalid, unknown_name
from .schema import date as schema_date
from .settings import Settings, load_settings
from .translit import slugify

KINDS = ("bulletin", "vestnik", "practice", "city")
DEFAULT_BOARD = ["Редакционный совет МАГ"]
DRAFT = "draft: true            # черновик: виден только в `python build.py serve`; удалите строку, чтобы опубликовать"


class Refused(Exception):
    """Nothing was written; ``status`` is the exit code (1: a file exists, 2: usage)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    kind: str
    title: str | None = None
    city: str | None = None
    rubrics: tuple[str, ...] = ()
    country: str | None = None
    date: dt.date | None = None
    from_news: bool = False     # bulletin: its sections drafted from the news since the previous issue (or of the last month)


def value(key: str, data: Any) -> str:
    """``key: value`` as YAML on one line, quoted only when the value needs it (a colon, a quote…)."""
    dumped = yaml.safe_dump(data, allow_unicode=True, default_flow_style=True, width=10_000).strip()
    if dumped.endswith("\n..."):   # the end-of-document mark PyYAML puts after a lone scalar
        dumped = dumped[:-4].rstrip()
    return f"{key}: {dumped}"


def field(key: str, data: Any, comment: str, width: int = 22) -> str:
    line = value(key, data) if data is not None else f"{key}:"
    return f"{line.ljust(width)} # {comment}"


def numbers(folder: Path, pattern: str) -> list[int]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = re.fullmatch(pattern, path.name)
        if match:
            found.append(int(match.group(1)))
    return found


def _write(path: Path, text: str, root: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise Refused(1, _("{path} already exists; nothing was written. Edit that file, or give another title.")
                      .format(path=path.relative_to(root).as_posix())) from None
    return path


def _front(lines: list[str], body: str) -> str:
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def _slug(title: str | None, kind: str) -> str:
    if not title:
        raise Refused(2, _no_title(kind))
    slug = slugify(title)
    if not slug:
        raise Refused(2, _("cannot make a Latin file name from the title {title!r}; use a title with letters")
                      .format(title=title))
    return slug


def _no_title(kind: str) -> str:
    if kind == "city":
        return _('give the title of the city, e.g. python build.py new city "Нижний Новгород"')
    return _('give the title of the practice, e.g. python build.py new practice "Раздельный сбор отходов во дворах"')


# --- one function per kind ------------------------------------------------------------------

def _previous_bulletin_date(root: Path, folder: Path, number: int) -> dt.date | None:
    path = folder / f"{number - 1}.md"
    parsed = read_source(root, path, Problems()) if path.is_file() else None
    try:
        return schema_date(parsed.data.get("date")) if parsed else None
    except Invalid:         # its mistake is check's to report: then every news item is offered
        return None


def month_before(day: dt.date) -> dt.date:
    """The same day a month earlier (the month's last day when it is shorter)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def news_since(root: Path, settings: Settings, after: dt.date | None, until: dt.date) -> list[News]:
    """The published news items dated after ``after`` (the previous issue) up to ``until``,
    oldest first; files with mistakes are left to `check`, drafts to their editors."""
    folder = root / CONTENT_DIR / "news"
    found = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        item = load_news(root, path, settings, Problems())
        if isinstance(item, News) and not item.draft and item.date <= until and (after is None or item.date > after):
            found.append(item)
    return sorted(found, key=lambda n: (n.date, n.slug))


def news_sections(items: list[News]) -> str:
    """One `##` section per news item: its summary (or text) and a link to its page."""
    sections = []
    for item in items:
        text = item.summary or str(item.body).strip()
        sections.append(f"## {item.title}\n\n{text}\n\n[Подробнее](/news/{item.slug}/)\n")
    return "\n".join(sections)


def new_bulletin(root: Path, request: Request, settings: Settings) -> list[Path]:
    folder = root / CONTENT_DIR / "bulletins"
    number = max(numbers(folder, r"(\d+)\.md"), default=0) + 1
    body, cities = PLACEHOLDER_BODIES["bulletin"], []
    if request.from_news:
        date = request.date or dt.date.today()
        # The month's news: since the previous issue, or the last month when there is none.
        items = news_since(root, settings, _previous_bulletin_date(root, folder, number) or month_before(date), date)
        if not items:
            raise Refused(1, _("there is no news since the previous issue: add news items to content/news/ or "
                               "start the bulletin without --from-news"))
        body = news_sections(items)
        cities = list(dict.fromkeys(city for item in items for city in item.cities))
    lines = [
        f"# Выпуск информационного бюллетеня МАГ № {number}. Каждое поле проверяет `python build.py check`.",
        field("number", number, f"номер выпуска; совпадает с именем файла {number}.md"),
        field("date", request.date, "дата выхода, ГГГГ-ММ-ДД; выпуск с будущей датой появится на сайте в этот день"),
        field("title", request.title, "необязательно: тема выпуска"),
        field("summary", None, "одна-две фразы о выпуске: для архива, RSS и письма подписчикам"),
        field("cities", cities, "slug'и городов, о которых пишет выпуск, например [moskva, minsk]"),
        DRAFT,
    ]
    return [_write(folder / f"{number}.md", _front(lines, body), root)]


def _previous_board(root: Path, folder: Path, number: int) -> list[str]:
    """The editorial board of the latest issue: it rarely changes between issues."""
    for previous in sorted((n for n in numbers(folder, r"(\d+)") if n < number), reverse=True):
        index = folder / str(previous) / "_index.md"
        parsed = read_source(root, index, Problems()) if index.is_file() else None
        board = parsed.data.get("editorial_board") if parsed else None
        if isinstance(board, list) and board and all(isinstance(b, str) and b.strip() for b in board):
            return board
        if isinstance(board, str) and board.strip():
            return [board]
    return DEFAULT_BOARD


def new_vestnik(root: Path, request: Request, settings: Settings) -> list[Path]:
    folder = root / CONTENT_DIR / "vestnik"
    number = max(numbers(folder, r"(\d+)"), default=0) + 1
    issue = folder / str(number)
    board = _previous_board(root, folder, number)
    index = [
        f"# Номер журнала «Вестник МАГ» № {number}. Статьи номера лежат в этой же папке: NN-slug.md.",
        field("number", number, f"номер журнала; совпадает с именем папки {number}"),
        field("date", request.date, "дата выхода, ГГГГ-ММ-ДД"),
        field("title", request.title or ISSUE_THEME, "обязательно: тема номера"),
        field("editorial_board", board, "необязательно: редакционный совет, список"),
        field("summary", None, "необязательно: одна-две фразы о номере"),
        "# cover: cover.jpg          # необязательно: обложка — файл изображения рядом с _index.md",
        DRAFT,
    ]
    article_title = ARTICLE_TITLE
    article = [
        "# Статья номера. Имя файла NN-slug.md: NN — две цифры, порядок статьи в номере; slug — адрес статьи.",
        "# Переименуйте файл под свою статью; для следующей статьи скопируйте этот файл как 02-….md.",
        field("title", article_title, "обязательно: заголовок статьи"),
        field("authors", ["Редакция «Вестника МАГ»"], "обязательно: авторы, список"),
        field("section", "Тема номера", "необязательно: рубрика журнала"),
        field("summary", None, "необязательно: одна-две фразы о статье"),
        field("cities", [], "необязательно: slug'и городов, о которых статья"),
        DRAFT,
    ]
    try:
        issue.mkdir(parents=True)
    except FileExistsError:
        raise Refused(1, _("{path} already exists; nothing was written.").format(
            path=issue.relative_to(root).as_posix())) from None
    return [_write(issue / "_index.md", _front(index, PLACEHOLDER_BODIES["vestnik"]), root),
            _write(issue / f"01-{slugify(article_title)}.md", _front(article, PLACEHOLDER_BODIES["article"]), root)]


def _cities(root: Path) -> list[str]:
    folder = root / CONTENT_DIR / "cities"
    return sorted(p.stem for p in folder.glob("*.md")) if folder.is_dir() else []


def new_practice(root: Path, request: Request, settings: Settings) -> list[Path]:
    slug = _slug(request.title, "practice")
    cities = _cities(root)
    if request.city is not None and request.city not in cities:
        raise Refused(2, unknown_name(request.city, cities, _("unknown city {value!r}: did you mean {close!r}?"),
                                      _("unknown city {value!r}: give the file name of a city in content/cities/ "
                                        "without .md, e.g. --city kazan")))
    if not cities:
        raise Refused(2, _('there are no cities in content/cities/ yet: add the city first '
                           '(python build.py new city "Название")'))
    questions = settings.questions
    unknown = [r for r in request.rubrics if r not in questions]
    if unknown:
        raise Refused(2, unknown_name(unknown[0], questions, _("unknown problem {value!r}: did you mean {close!r}?"),
                                      _("unknown problem {value!r}: use a problem slug from the rubricator in "
                                        "site.yaml, e.g. --rubric {example}"),
                                      example=next(iter(questions), "razdelnyy-sbor-otkhodov")))
    if not questions:
        raise Refused(2, _("the rubricator in site.yaml has no problems yet"))
    city = request.city or cities[0]
    rubrics = list(dict.fromkeys(request.rubrics)) or [next(iter(questions))]
    year = (request.date or dt.date.today()).year
    city_note = ("slug города — имя файла в content/cities/ без .md" if request.city else
                 f"{REPLACE_MARK}: slug города — имя файла в content/cities/ без .md")
    rubric_note = ("проблемные вопросы из рубрикатора site.yaml, один или несколько" if request.rubrics else
                   f"{REPLACE_MARK}: проблемные вопросы из рубрикатора site.yaml, один или несколько")
    lines = [
        "# Практика для электронной библиотеки городских практик. Каждое поле проверяет `python build.py check`.",
        field("title", request.title, "обязательно: название практики"),
        field("city", city, city_note),
        field("year", year, "обязательно: год практики"),
        field("rubrics", rubrics, rubric_note),
        "# contest:                  # необязательно: участие в смотре-конкурсе «Город, где хочется жить»",
        f"#   edition: {year - 2007:<17}# номер смотра-конкурса: год − 2007 (I — 2008, XIII — 2020)",
        f"#   year: {year}",
        "#   nomination: Городское хозяйство",
        "#   award: Диплом I степени  # необязательно, если наград не было — уберите строку",
        field("summary", PRACTICE_SUMMARY, "обязательно: кратко о практике для карточки и поиска"),
        field("contacts", None, "необязательно: кто в городе расскажет подробнее"),
        DRAFT,
    ]
    return [_write(root / CONTENT_DIR / "practices" / f"{slug}.md", _front(lines, PLACEHOLDER_BODIES["practice"]), root)]


def new_city(root: Path, request: Request, settings: Settings) -> list[Path]:
    slug = _slug(request.title, "city")
    names = [c.name for c in settings.countries]
    if request.country is not None and request.country not in names:
        raise Refused(2, unknown_name(request.country, names, _("unknown country {value!r}: did you mean {close!r}?"),
                                      _("unknown country {value!r}; use one of: {names}"), names=", ".join(names)))
    if not names:
        raise Refused(2, _("site.yaml lists no countries"))
    country = request.country or names[0]
    lines = [
        "# Город — участник МАГ. Имя файла (slug) — адрес страницы города и его обозначение в других файлах.",
        field("title", request.title, "обязательно: название города по-русски"),
        field("country", country, "обязательно: одна из стран в site.yaml: " + ", ".join(names)),
        field("coordinates", [0.0, 0.0], f"{REPLACE_MARK}: [широта, долгота] в градусах, например [56.3269, 44.0059]"),
        field("region", None, "необязательно: область, край, республика"),
        field("website", None, "необязательно: официальный сайт, https://…"),
        field("joined", None, "необязательно: год вступления в МАГ"),
        field("population", None, "необязательно: население, целое число"),
        field("summary", None, "одна фраза о городе: для списка городов и описания страницы"),
        DRAFT,
    ]
    return [_write(root / CONTENT_DIR / "cities" / f"{slug}.md", _front(lines, PLACEHOLDER_BODIES["city"]), root)]


MAKERS = {"bulletin": new_bulletin, "vestnik": new_vestnik, "practice": new_practice, "city": new_city}


def create(root: Path, request: Request) -> list[Path]:
    """Write the new file(s); raises Refused (nothing written) or returns their paths."""
    problems = Problems()
    settings = load_settings(root, problems)
    if settings is None:
        raise Refused(1, "\n".join([*(str(p) for p in problems.sorted()),
                                    _("site.yaml has errors: fix them first (python build.py check)")]))

    if request.date is None:
        request.date = dt.date.today()
    return MAKERS[request.kind](root, request, settings)
