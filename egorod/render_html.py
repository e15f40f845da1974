"""Stage 4b: routes → HTML with Jinja2 (autoescaped), plus sitemap.xml, robots.txt, 404."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import os
import posixpath
import re
import sqlite3
import traceback
from collections import OrderedDict
from html import escape as html_escape
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import Markup

from . import citymap, jsonld, opendata
from . import routes as r
from . import video as v
from .content import City, Entry, Event, Exhibit, Exhibition, LazyBody, Practice, Video
from .errors import Problem
from .i18n import _
from .images import Picture, beside, picture_html, pictures_in_html, site_url
from .markup import MarkdownOptions, Renderer
from .model import Site
from .typography import typo_filter

TEMPLATES_DIR = "templates"
# &, < and > as entities, for text in XML (the sitemap).
escape_text = functools.partial(html_escape, quote=False)
MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
          "сентября", "октября", "ноября", "декабря"]
MONTHS_NOMINATIVE = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
                     "сентябрь", "октябрь", "ноябрь", "декабрь"]


def date_ru(value: dt.date | None) -> str:
    if value is None:
        return ""
    return f"{value.day}\u00a0{MONTHS[value.month - 1]} {value.year}\u00a0г."


def day_range(first: dt.date, last: dt.date) -> str:
    """Days as a reader says them: «20 мая 2026 г.», «20–22 мая 2026 г.», «30 мая — 2 июня 2026 г.»."""
    if last == first:
        return date_ru(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{date_ru(last)}"
    if first.year == last.year:
        return f"{first.day}\u00a0{MONTHS[first.month - 1]} — {date_ru(last)}"
    return f"{date_ru(first)} — {date_ru(last)}"


def exhibition_dates(exhibition: Exhibition) -> str:
    """«1 октября — 30 ноября 2026 г.»; one without a closing day: «с 1 октября 2026 г.»."""
    if exhibition.end is None:
        return f"с\u00a0{date_ru(exhibition.start)}"
    return day_range(exhibition.start, exhibition.end)


def event_dates(event: Event) -> str:
    """When an event is, as a reader says it: «20 мая 2026 г.», «20–22 мая 2026 г.»,
    «20 мая 2026 г., 10:00 (UTC+05:00)» — the offset of the event's zone, the reader's clock may differ."""
    days = day_range(event.first_day, event.last_day)
    instant = event.start_instant()
    if instant is None:
        return days
    offset = instant.strftime("%z")
    return f"{days}, {instant:%H:%M} (UTC{offset[:3]}:{offset[3:]})"


def month_ru(value: dt.date) -> str:
    return f"{MONTHS_NOMINATIVE[value.month - 1]} {value.year}"


def plural(number: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 город, 2 города, 5 городов, 21 город."""
    n = abs(number) % 100
    if 11 <= n <= 19:
        return many
    n %= 10
    return one if n == 1 else few if 2 <= n <= 4 else many


def filesize(size: int) -> str:
    if size < 1024 * 1024:
        return f"{math.ceil(size / 1024)}\u00a0КБ"
    return f"{size / 1024 / 1024:.1f}".replace(".", ",") + "\u00a0МБ"


class BodyCache:
    """Rendered Markdown bodies, made once per build and, with a store, kept across builds.

    The store (one SQLite file outside output/) is keyed by the file's hash and ``salt``
    (the code and settings), so the feeds and the e-mail editions of an unchanged site
    need no Markdown at all, and bodies rendered in worker processes are there for the
    parent too. One file rather than a file per body: creating thousands of small files is
    what a cold build spent most of its system time on.
    """

    REMEMBERED = 512

    def __init__(self, options: MarkdownOptions, store: Path | None = None, salt: str = ""):
        self._options = options
        self._renderer: Renderer | None = None
        # The bodies asked for lately (a feed item asks twice, an issue and its PDF...); not
        # every body of the build: at three times the archive that was hundreds of megabytes.
        self._html: OrderedDict[str, str] = OrderedDict()
        self._store = store
        self._salt = salt
        self._db: sqlite3.Connection | None = None
        self._db_pid = 0
        self._pending: dict[str, str] = {}     # rendered here, not yet in the store

    def _render(self, entry: Entry, footnote_prefix: str) -> str:
        if self._renderer is None:
            self._renderer = Renderer(self._options)
        body = entry.body
        # A body left in its file is not kept in memory once rendered.
        return self._renderer.html(body.read() if isinstance(body, LazyBody) else body, footnote_prefix)

    def _connection(self) -> sqlite3.Connection | None:
        if self._store is None:
            return None
        if self._db is None or self._db_pid != os.getpid():
            # A connection must not cross a fork: the parent closes its own before forking
            # (``close``), and a worker opens one of its own.
            if self._db is not None:
                _INHERITED.append(self._db)     # never used, nor closed, in this process
            self._db, self._db_pid = _open_store(self._store, self._salt), os.getpid()
            if self._db is None:
                self._store = None          # unusable (read-only disk...): memory only
        return self._db

    def _stored(self, key: str) -> str | None:
        db = self._connection()
        if db is None:
            return None
        try:
            row = db.execute("SELECT digest, html FROM bodies WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        # A body changed in the file since it was stored (by hand, by a disk) is made again.
        return row[1] if row and row[0] == _digest(row[1]) else None

    def __call__(self, entry: Entry, footnote_prefix: str = "") -> Markup:
        key = entry.source.path + "#" + footnote_prefix
        html = self._html.get(key)
        if html is None:
            stored_key = hashlib.sha1(f"{self._salt}\0{entry.source.digest}\0{footnote_prefix}".encode()).hexdigest()
            html = self._stored(stored_key)
            if html is None:
                html = self._render(entry, footnote_prefix)
                if self._store is not None:
                    self._pending[stored_key] = html
                    if len(self._pending) >= self.REMEMBERED:
                        self.flush()            # a long run in one process keeps no more
            self._html[key] = html
            if len(self._html) > self.REMEMBERED:
                self._html.popitem(last=False)
        else:
            self._html.move_to_end(key)
        return Markup(html)

    def flush(self) -> None:
        """Write the bodies rendered since the last flush to the store, in one transaction."""
        db = self._connection() if self._pending else None
        if db is None:
            return
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO bodies (key, digest, html) VALUES (?, ?, ?)",
                               [(key, _digest(html), html) for key, html in self._pending.items()])
        except sqlite3.Error:
            pass                    # a cache that cannot be written only costs time next run
        self._pending.clear()

    def close(self) -> None:
        """Flush, and let go of the store (it is opened again if needed)."""
        self.flush()
        if self._db is not None:
            if self._db_pid == os.getpid():
                self._db.close()
            else:
                _INHERITED.append(self._db)
        self._db = None


def _digest(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


BODIES_TABLE = "CREATE TABLE IF NOT EXISTS bodies (key TEXT PRIMARY KEY, digest TEXT NOT NULL, html TEXT NOT NULL)"


def _open_store(path: Path, salt: str) -> sqlite3.Connection | None:
    """The body store; bodies made by other code or settings than ``salt`` are dropped."""
    for attempt in range(2):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=60)
            db.execute("PRAGMA journal_mode=WAL")       # workers write while others read
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(BODIES_TABLE)
            db.execute("CREATE TABLE IF NOT EXISTS made_by (salt TEXT NOT NULL)")
            # Every key includes the salt: after an update of the code or the settings, none
            # of the old bodies can be asked for again. The first process to see it clears
            # them (checked and cleared in one transaction: the workers open it at once).
            db.execute("BEGIN IMMEDIATE")
            if [row[1] for row in db.execute("PRAGMA table_info(bodies)")] != ["key", "digest", "html"]:
                db.execute("DROP TABLE bodies")     # a store of an earlier layout, without checksums
                db.execute(BODIES_TABLE)
            if db.execute("SELECT salt FROM made_by").fetchall() != [(salt,)]:
                db.execute("DELETE FROM bodies")
                db.execute("DELETE FROM made_by")
                db.execute("INSERT INTO made_by (salt) VALUES (?)", (salt,))
            db.commit()
            return db
        except sqlite3.DatabaseError as error:
            damaged = getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)
            if attempt > 0 or not damaged:
                return None             # locked, read-only, a disk error: work without the store
            try:                        # not a database, or a damaged one: start afresh
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            except OSError:
                return None
        except (sqlite3.Error, OSError):
            return None
    return None


# Connections inherited from a parent process: kept referenced so that they are not closed
# (and the parent's locks touched) from a child.
_INHERITED: list[sqlite3.Connection] = []


_RELATIVE_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#)([^"]+)"')


_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
# Wide tables scroll inside their own box on phones instead of losing columns; the box takes
# keyboard focus, so that it can be scrolled without a mouse (axe: scrollable-region-focusable).
_SCROLL_BOX = ('<div class="table-scroll" role="region" tabindex="0" aria-label="Таблица">'
               '<table>\\1</table></div>')


def web_body(bodies: BodyCache, entry: Entry, pictures: dict[str, Picture] | None = None) -> Markup:
    """The body for a web page: tables in a scrolling box; images named relative to the
    Markdown file point to where the build publishes them (the file's folder without
    ``content/``)."""
    html = bodies(entry)
    if "<table>" in html:
        # on plain text: a substitution on Markup would escape the inserted tags
        html = Markup(_TABLE.sub(_SCROLL_BOX, str(html)))
    if "<img" not in html:
        return html
    folder = posixpath.dirname(entry.source.path)
    folder = folder[len("content/"):] if folder.startswith("content/") else folder
    located = _RELATIVE_SRC.sub(lambda m: f'{m.group(1)}/{posixpath.normpath(posixpath.join(folder, m.group(2)))}"',
                                str(html))
    return Markup(pictures_in_html(located, pictures) if pictures else located)


def illustration_html(entry: City | Practice, pictures: dict[str, Picture]) -> Markup:
    """An entry's front-matter picture as a figure: its caption, then its credit line."""
    image = entry.image
    if image is None:
        return Markup("")
    url = site_url(beside(entry.source.path, image.file))
    alt = html_escape(image.alt)
    picture = pictures.get(url)
    shown = picture_html(picture, alt, lazy=False) if picture else f'<img src="{html_escape(url)}" alt="{alt}">'
    texts = [f"<span>{html_escape(text)}</span>" for text in (image.caption,) if text]
    texts += [f'<span class="credit">{html_escape(image.credit)}</span>'] if image.credit else []
    caption = f'<figcaption class="meta">{" ".join(texts)}</figcaption>' if texts else ""
    return Markup(f'<figure class="illustration">{shown}{caption}</figure>')


# The gallery's grid: columns of 14rem at least (static/css/site.css, .gallery), a whole row on a phone.
GALLERY_SIZES = "(max-width: 36rem) 100vw, 20rem"


def exhibit_html(exhibition: Exhibition, exhibit: Exhibit, pictures: dict[str, Picture], *, lazy: bool = True,
                 sizes: str = GALLERY_SIZES) -> Markup:
    """A picture of an exhibition as a thumbnail of the responsive set (its alt text its own)."""
    url = site_url(beside(exhibition.source.path, exhibit.file))
    alt = html_escape(exhibit.alt)
    picture = pictures.get(url)
    if picture is None:
        return Markup(f'<img src="{html_escape(url)}" alt="{alt}">')
    return Markup(picture_html(picture, alt, lazy=lazy, sizes=sizes))


def exhibit_url(exhibition: Exhibition, exhibit: Exhibit) -> str:
    """The larger picture that a thumbnail links to: the clean copy at the file's own address."""
    return site_url(beside(exhibition.source.path, exhibit.file))


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates, kept for the life of the process: the preview makes an environment
    for every build, and compiling the templates again cost more than rendering the pages of
    an edit. Jinja checks each entry against its template's source, so an edited template
    is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = CompiledTemplates()


# The still a <video> shows before it plays: about as wide as the text column on a wide screen.
POSTER_WIDTH = 960


def poster_picture(video: Video, pictures: dict[str, Picture], lazy: bool = True) -> Markup:
    """A video's poster as a ``<picture>`` (its alt text says what the video shows)."""
    url = site_url(beside(video.source.path, video.poster.file))
    alt = html_escape(video.poster.alt)
    picture = pictures.get(url)
    return Markup(picture_html(picture, alt, lazy=lazy) if picture else f'<img src="{html_escape(url)}" alt="{alt}">')


def poster_still(video: Video, pictures: dict[str, Picture]) -> str:
    """The address for ``<video poster>``, which takes one file: the JPEG/PNG rendition nearest
    POSTER_WIDTH that is not narrower (or the widest)."""
    url = site_url(beside(video.source.path, video.poster.file))
    picture = pictures.get(url)
    if picture is None:
        return url
    wide_enough = [rendition for rendition in picture.plain if rendition.width >= POSTER_WIDTH]
    return (wide_enough[0] if wide_enough else picture.plain[-1]).url


def make_environment(root: Path, site: Site, bodies: BodyCache, extra_globals: dict | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / TEMPLATES_DIR)),
        bytecode_cache=_COMPILED,
        # One environment serves one build, in which templates do not change: no check of
        # each template's file every time a page asks for it (a fortieth of a cold build).
        auto_reload=False,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    base = site.settings.base_url

    def absolute(url: str) -> str:
        return url if url.startswith(("http://", "https://")) else base + url.lstrip("/")

    env.filters.update(typo=typo_filter, date_ru=date_ru, event_dates=event_dates, month_ru=month_ru, absolute=absolute,
                       roman=r.roman, filesize=filesize, exhibition_dates=exhibition_dates)
    env.globals.update(
        site=site, settings=site.settings, body=lambda entry: web_body(bodies, entry, env.globals["pictures"]),  # type: ignore[arg-type]
        plural=plural, url_of=r.url_of,
        city_url=r.city_url, practice_url=r.practice_url, sector_url=r.sector_url,
        question_url=r.question_url, year_url=r.year_url, country_practices_url=r.country_practices_url,
        bulletin_url=r.bulletin_url, vestnik_url=r.vestnik_url, article_url=r.article_url,
        event_url=r.event_url, event_ics_url=r.event_ics_url, events_year_url=r.events_year_url,
        events_calendar_url=r.EVENTS_CALENDAR_URL, news_url=r.news_url,
        contest_edition_url=r.contest_edition_url, video_url=r.video_url, video_file_url=r.video_file_url,
        media_type=v.media_type, clock=v.clock, video_feed_url=r.VIDEO_RSS,
        outside_video=lambda video: v.outside_video(video.host, video.url) if video.host else None,
        webcal_url=lambda url: "webcal://" + absolute(url).split("://", 1)[1],
        bulletin_pdf_url=r.bulletin_pdf_url, vestnik_pdf_url=r.vestnik_pdf_url,
        bulletin_print_pdf_url=r.bulletin_print_pdf_url, vestnik_print_pdf_url=r.vestnik_print_pdf_url,
        city_map=lambda: citymap.city_map_svg(site),
        locator_map=lambda city: citymap.locator_svg(site, city), live_reload=False, updated_of=lambda path: None,
        pdf_info=lambda url: None, feeds=[], asset=lambda url: url, pictures={}, open_graph_image=lambda route: "", srcset_of=lambda url: "",
        cover_of=lambda issue: f"{r.vestnik_url(issue.number)}{issue.cover}" if issue.cover else None,
    )
    cards: dict[tuple[int, bool], tuple[object, Markup]] = {}

    def practice_card(practice: object, show_city: bool = True) -> Markup:
        """The ``practice_card`` macro of macros.html, made once per practice and process: the
        same card is on about ten pages (rubrics, year, city, country, related practices)."""
        made = cards.get((id(practice), show_city))
        if made is None or made[0] is not practice:
            macro = getattr(env.get_template("macros.html").module, "practice_card")  # noqa: B009
            html = macro(practice, show_city)
            made = cards[(id(practice), show_city)] = (practice, Markup(html))
        return made[1]

    env.globals["practice_card_once"] = practice_card
    env.globals["illustration"] = lambda entry: illustration_html(entry, env.globals["pictures"])  # type: ignore[arg-type]
    env.globals.update(exhibition_url=r.exhibition_url, exhibit_url=exhibit_url,
                       exhibit=lambda exhibition, item, **options: exhibit_html(
                           exhibition, item, env.globals["pictures"], **options))  # type: ignore[arg-type]
    env.globals["poster_picture"] = lambda video, lazy=True: poster_picture(video, env.globals["pictures"], lazy)  # type: ignore[arg-type]
    env.globals["poster_still"] = lambda video: poster_still(video, env.globals["pictures"])  # type: ignore[arg-type]
    if extra_globals:
        env.globals.update(extra_globals)

    updated_of: Callable[[str], dt.date | None] = env.globals["updated_of"]  # type: ignore[assignment]

    def structured_data(route: r.Route) -> Markup:
        updated = updated_of(route.entry.source.path) if route.entry else None
        return jsonld.script(jsonld.graph(route, site.settings, absolute, updated))

    env.globals["structured_data"] = structured_data
    env.globals["open_data"] = {"fields": opendata.FIELDS, "csv": "/" + opendata.CSV_PATH,
                                "json": "/" + opendata.JSON_PATH, "separator": opendata.LIST_SEPARATOR}
    return env


def template_problem(error: jinja2.TemplateError, root: Path) -> Problem:
    """A template mistake as ``templates/x.html:line: -: template error: …``, not a traceback."""
    templates = (root / TEMPLATES_DIR).resolve()
    path, line = None, 0
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        path, line = error.filename, error.lineno or 0
        message = _("template error: {reason}").format(reason=error.message)
    else:
        message = _("template error: {kind}: {reason}").format(kind=type(error).__name__, reason=error)

        # Jinja puts the template's own file and line into the traceback of a render error.
        for frame, lineno in traceback.walk_tb(error.__traceback__):
            if Path(frame.f_code.co_filename).resolve().is_relative_to(templates):
                path, line = frame.f_code.co_filename, lineno
    if path is not None and Path(path).resolve().is_relative_to(root.resolve()):
        shown = Path(path).resolve().relative_to(root.resolve()).as_posix()
    else:
        shown = f"{TEMPLATES_DIR}/{getattr(error, 'name', None) or '?'}"
    return Problem(shown, line, "-", message)


def render_route(env: jinja2.Environment, route: r.Route) -> str:
    template = env.get_template(route.template)
    return template.render(page=route, **route.data)


def sitemap_xml(site: Site, routes: list[r.Route], lastmod: Callable[[r.Route], dt.date | None]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for route in sorted(routes, key=lambda x: x.url):
        if route.preview:
            continue
        lines.append(f"  <url><loc>{escape_text(site.settings.base_url + route.url.lstrip('/'))}</loc>")
        modified = lastmod(route)
        if modified:
            lines.append(f"    <lastmod>{modified.isoformat()}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots_txt(site: Site) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.settings.base_url}sitemap.xml\n"
