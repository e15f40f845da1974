"""Stage 4c: RSS and Atom feeds for subscribers (feedgen).

Published feeds:
  /bulletins/feed.xml (RSS 2.0) and /bulletins/atom.xml (Atom): the monthly bulletin;
  /vestnik/feed.xml: new issues of «Вестник МАГ» with their contents;
  /practices/feed.xml: the newest practices of the library;
  /news/feed.xml (RSS 2.0) and /news/atom.xml (Atom): the news items of the electronic newspaper;
  /video/feed.xml: МАГ-Видео, with the MP4 (or WebM) of a video kept on the site as its enclosure.

Rules that subscribers rely on:
- an entry's id is its permanent address (``base_url`` + the URL built from the number or
  slug), never a hash of the text, so a correction or a rebuild never shows an issue twice;
- every date comes from the content (the issue date; a practice's year), never the build
  time: the feed's lastBuildDate/updated is the newest entry's date, so two builds of the
  same content are byte-identical;
- every link is absolute, including the links inside the content HTML;
- the print PDF is attached as an enclosure once the PDF step has put it into the output.

The step that writes them is ``steps/feeds.py``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html import escape as escape_text
from html import unescape
from typing import Callable

from markupsafe import escape

from . import __version__
from . import routes as r
from .content import Bulletin, News, Practice, VestnikIssue, Video
from .context import FeedLink
from .links import absolute_url, absolutize_html
from .model import Site
from .typography import typograph_plain
from .video import clock, media_type, outside_video

RSS, ATOM = "application/rss+xml", "application/atom+xml"
BULLETIN_RSS, BULLETIN_ATOM = r.BULLETIN_RSS, r.BULLETIN_ATOM     # paths owned by routes
VESTNIK_RSS, PRACTICES_RSS = r.VESTNIK_RSS, r.PRACTICES_RSS

# Issues come out in Moscow, where the Secretariat works; 09:00 keeps the calendar date
# the same for readers from UTC−6 to UTC+14.
MOSCOW = dt.timezone(dt.timedelta(hours=3))
PUBLISHED_AT = dt.time(9, 0)


def moment(date: dt.date) -> dt.datetime:
    return dt.datetime.combine(date, PUBLISHED_AT, tzinfo=MOSCOW)


def practice_date(practice: Practice) -> dt.date:
    """Practices carry only their year: the feed dates them 1 January of that year."""
    return dt.date(practice.year, 1, 1)


def plain(text: str) -> str:
    """Front-matter text for a feed title: «quotes» and dashes, ordinary spaces."""
    return typograph_plain(text).replace("\u00a0", " ")


# --- what is published --------------------------------------------------------------

@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int
    type: str = "application/pdf"


@dataclass
class Item:
    """One entry of a feed, independent of the feed format."""
    id: str                       # permanent absolute URL: the RSS guid and the Atom id
    title: str
    url: str
    date: dt.date
    content: str                  # HTML with absolute links
    summary: str = ""
    categories: list[tuple[str, str]] = field(default_factory=list)   # (term, label)
    enclosure: Enclosure | None = None


@dataclass
class Feed:
    path: str                     # where the feed is published, e.g. /bulletins/feed.xml
    kind: str                     # RSS or ATOM
    title: str
    description: str
    page: str                     # the site page the feed follows, e.g. /bulletins/
    items: list[Item]


def feed_links(site: Site) -> list[FeedLink]:
    """The ``feeds`` template global: <link rel="alternate"> in every page head."""
    links = []
    if site.bulletins:
        links += [FeedLink(RSS, "Информационный бюллетень МАГ (RSS)", BULLETIN_RSS),
                  FeedLink(ATOM, "Информационный бюллетень МАГ (Atom)", BULLETIN_ATOM)]
    if site.vestnik:
        links.append(FeedLink(RSS, "Журнал «Вестник МАГ» (RSS)", VESTNIK_RSS))
    if site.practices:
        links.append(FeedLink(RSS, "Новые практики городов (RSS)", PRACTICES_RSS))
    if site.news:
        links += [FeedLink(RSS, "Новости городов МАГ (RSS)", r.NEWS_RSS),
                  FeedLink(ATOM, "Новости городов МАГ (Atom)", r.NEWS_ATOM)]
    if site.videos:
        links.append(FeedLink(RSS, "МАГ-Видео (RSS)", r.VIDEO_RSS))
    return links


Bodies = Callable[..., str]
PdfSize = Callable[[str], "int | None"]   # site URL of a PDF → its size in bytes, or None


def bulletin_item(site: Site, bulletin: Bulletin, bodies: Bodies, pdf_size: PdfSize) -> Item:
    base = site.settings.base_url
    url = absolute_url(base, r.bulletin_url(bulletin.number))
    title = f"Бюллетень № {bulletin.number}" + (f". {plain(bulletin.title)}" if bulletin.title else "")
    parts = []
    if bulletin.summary:
        parts.append(f"<p><strong>{escape(typograph_plain(bulletin.summary))}</strong></p>")
    parts.append(str(bodies(bulletin)))
    cities = [site.city_by_slug[slug] for slug in bulletin.cities if slug in site.city_by_slug]
    if cities:
        links = ", ".join(f'<a href="{r.city_url(c.slug)}">{escape(c.title)}</a>' for c in cities)
        parts.append(f"<p>Города в выпуске: {links}.</p>")
    enclosure = _pdf_enclosure(base, r.bulletin_pdf_url(bulletin.number), pdf_size)
    if enclosure:
        parts.append(f'<p><a href="{r.bulletin_pdf_url(bulletin.number)}">Выпуск в PDF</a></p>')
    summary = plain(bulletin.summary) if bulletin.summary else _headings_summary(str(bodies(bulletin)), title)
    return Item(id=url, title=title, url=url, date=bulletin.date,
                content=absolutize_html("\n".join(parts), base, url), summary=summary,
                categories=[(c.slug, c.title) for c in cities], enclosure=enclosure)


def vestnik_item(site: Site, issue: VestnikIssue, bodies: Bodies, pdf_size: PdfSize) -> Item:
    base = site.settings.base_url
    url = absolute_url(base, r.vestnik_url(issue.number))
    parts = []
    if issue.summary:
        parts.append(f"<p><strong>{escape(typograph_plain(issue.summary))}</strong></p>")
    parts.append("<h2>Содержание номера</h2>\n<ol>")
    for article in issue.articles:
        line = f'<li><a href="{r.article_url(article)}">{escape(typograph_plain(article.title))}</a>'
        if article.authors:
            line += f"<br><em>{escape(', '.join(article.authors))}</em>"
        if article.summary:
            line += f"<br>{escape(typograph_plain(article.summary))}"
        parts.append(line + "</li>")
    parts.append("</ol>")
    if issue.body.strip():
        parts += ["<h2>От редакции</h2>", str(bodies(issue))]
    enclosure = _pdf_enclosure(base, r.vestnik_pdf_url(issue.number), pdf_size)
    if enclosure:
        parts.append(f'<p><a href="{r.vestnik_pdf_url(issue.number)}">Номер в PDF</a></p>')
    return Item(id=url, title=f"«Вестник МАГ» № {issue.number}. {plain(issue.title)}", url=url,
                date=issue.date, content=absolutize_html("\n".join(parts), base, url),
                summary=plain(issue.summary) or "В номере: " + "; ".join(plain(a.title) for a in issue.articles),
                enclosure=enclosure)


def practice_item(site: Site, practice: Practice, bodies: Bodies) -> Item:
    base = site.settings.base_url
    url = absolute_url(base, r.practice_url(practice.slug))
    city = site.city_by_slug[practice.city]
    questions = [site.question_by_slug[slug] for slug in practice.rubrics]
    meta = [f'<a href="{r.city_url(city.slug)}">{escape(city.title)}</a> ({escape(city.country)})',
            f'<a href="{r.year_url(practice.year)}">{practice.year}</a>']
    if practice.contest:
        contest = f"{r.roman(practice.contest.edition)} смотр-конкурс «Город, где хочется жить»"
        if practice.contest.award:
            contest += f": {practice.contest.award}"
        meta.append(escape(contest))
    rubrics = ", ".join(f'<a href="{r.question_url(p)}">{escape(p.title)}</a>' for p in questions)
    parts = [f"<p>{' · '.join(str(m) for m in meta)}</p>",
             f"<p><strong>{escape(typograph_plain(practice.summary))}</strong></p>",
             str(bodies(practice)),
             f"<p>Рубрики: {rubrics}.</p>"]
    return Item(id=url, title=f"{plain(practice.title)} ({city.title})", url=url,
                date=practice_date(practice), content=absolutize_html("\n".join(parts), base, url),
                summary=plain(practice.summary),
                categories=[(p.slug, p.title) for p in questions])


def news_item(site: Site, item: News, bodies: Bodies) -> Item:
    base = site.settings.base_url
    url = absolute_url(base, r.news_url(item.slug))
    cities = [site.city_by_slug[slug] for slug in item.cities if slug in site.city_by_slug]
    parts = [str(bodies(item))]
    if item.source_url:
        parts.append(f'<p>Источник: <a href="{escape(item.source_url)}">{escape(item.source_url)}</a></p>')
    if cities:
        links = ", ".join(f'<a href="{r.city_url(c.slug)}">{escape(c.title)}</a>' for c in cities)
        parts.append(f"<p>Города: {links}.</p>")
    return Item(id=url, title=plain(item.title), url=url, date=item.date,
                content=absolutize_html("\n".join(parts), base, url), summary=plain(item.summary or item.title),
                categories=[(c.slug, c.title) for c in cities])


FileSize = Callable[[str], "int | None"]   # site URL of a published file → its size in bytes, or None


def video_item(site: Site, video: Video, bodies: Bodies, file_size: FileSize) -> Item:
    """A video: its summary, where and when, and the video itself — the file kept on the site as
    the enclosure (an MP4 where there is one: every podcast player knows it), or a link to the host."""
    base = site.settings.base_url
    url = absolute_url(base, r.video_url(video.slug))
    city = site.city_by_slug[video.city]
    meta = [f'<a href="{r.city_url(city.slug)}">{escape(city.title)}</a>', escape(clock(video.duration))]
    event = site.event_by_key.get(video.event)
    if event:
        meta.append(f'<a href="{r.event_url(event)}">{escape(typograph_plain(event.title))}</a>')
    parts = [f"<p>{' · '.join(str(m) for m in meta)}</p>",
             f"<p><strong>{escape(typograph_plain(video.summary))}</strong></p>", str(bodies(video))]
    enclosure = None
    outside = outside_video(video.host, video.url) if video.host else None
    if outside is not None:
        parts.append(f'<p><a href="{escape(outside.page_url)}">Смотреть на {escape(outside.host.name)}</a></p>')
    else:
        chosen = sorted(video.sources, key=lambda name: not name.lower().endswith(".mp4"))[0]
        size = file_size(r.video_file_url(video, chosen))
        if size is not None:
            enclosure = Enclosure(absolute_url(base, r.video_file_url(video, chosen)), size, media_type(chosen))
        parts.append(f'<p><a href="{r.video_url(video.slug)}">Смотреть на сайте</a></p>')
    return Item(id=url, title=plain(video.title), url=url, date=video.date,
                content=absolutize_html("\n".join(parts), base, url), summary=plain(video.summary),
                categories=[(city.slug, city.title)], enclosure=enclosure)


_H2 = re.compile(r"<h2\b[^>]*>(.*?)</h2>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _headings_summary(html: str, fallback: str) -> str:
    """A summary for an issue without one: its news headings (RSS wants a description)."""
    headings = [unescape(_TAG.sub("", h)).strip() for h in _H2.findall(html)]
    return "В выпуске: " + "; ".join(h.replace("\u00a0", " ") for h in headings if h) if headings else fallback


def _pdf_enclosure(base_url: str, pdf_url: str, pdf_size: PdfSize) -> Enclosure | None:
    size = pdf_size(pdf_url)
    return Enclosure(absolute_url(base_url, pdf_url), size) if size is not None else None


def site_feeds(site: Site, bodies: Bodies, pdf_size: PdfSize) -> list[Feed]:
    """Every feed of the site with its newest ``feed_entries`` items, newest first.
    (``pdf_size`` tells the size of any published file: the videos' too.)"""
    limit = site.settings.feed_entries
    feeds = []
    if site.bulletins:
        items = [bulletin_item(site, b, bodies, pdf_size) for b in site.bulletins[:limit]]
        description = "Ежемесячный информационный бюллетень Международной Ассамблеи столиц и крупных городов."
        feeds += [Feed(BULLETIN_RSS, RSS, "Информационный бюллетень МАГ", description, "/bulletins/", items),
                  Feed(BULLETIN_ATOM, ATOM, "Информационный бюллетень МАГ", description, "/bulletins/", items)]
    if site.vestnik:
        items = [vestnik_item(site, issue, bodies, pdf_size) for issue in site.vestnik[:limit]]
        feeds.append(Feed(VESTNIK_RSS, RSS, "Журнал «Вестник МАГ»",
                          "Информационно-аналитический журнал Ассамблеи: новые номера и их содержание.",
                          "/vestnik/", items))
    if site.practices:
        items = [practice_item(site, p, bodies) for p in site.practices_newest[:limit]]
        feeds.append(Feed(PRACTICES_RSS, RSS, "Библиотека городских практик МАГ: новые практики",
                          "Новые практики городов — участников МАГ в электронной библиотеке.",
                          "/practices/", items))
    if site.news:
        items = [news_item(site, n, bodies) for n in site.news[:limit]]
        description = "Электронная газета МАГ: новости Ассамблеи и городов-участников."
        feeds += [Feed(r.NEWS_RSS, RSS, "Новости городов МАГ", description, "/news/", items),
                  Feed(r.NEWS_ATOM, ATOM, "Новости городов МАГ", description, "/news/", items)]
    if site.videos:
        items = [video_item(site, video, bodies, pdf_size) for video in site.videos[:limit]]
        feeds.append(Feed(r.VIDEO_RSS, RSS, "МАГ-Видео", "Видео Международной Ассамблеи столиц и крупных городов.",
                          r.VIDEO_URL, items))
    return feeds


# --- serialisation ----------------------------------------------------------------------

def render_feed(site: Site, feed: Feed) -> bytes:
    base = site.settings.base_url
    self_url = absolute_url(base, feed.path)
    from feedgen.feed import FeedGenerator  # only when a feed changed: most rebuilds keep them
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(feed.title)
    page_url = absolute_url(base, feed.page)
    fg.link(href=self_url, rel="self", type=feed.kind)
    fg.link(href=page_url, rel="alternate", type="text/html")   # the last link is RSS <link>
    fg.description(feed.description)
    # The content is Russian, as the pages say (<html lang="ru">); `language:` in site.yaml is
    # the language of the tool's messages to editors, not of the site.
    fg.language("ru")

    fg.author({"name": site.settings.title, "uri": base})
    fg.icon(absolute_url(base, "/static/img/favicon.svg"))
    fg.logo(absolute_url(base, "/static/img/og.png"))
    fg.image(absolute_url(base, "/static/img/og.png"), feed.title, page_url)
    fg.generator("e-gorod", version=__version__)
    fg.rights(f"© {site.settings.title}")
    # Deterministic: the newest entry's date, never the time of the build.
    stamp = moment(max(item.date for item in feed.items))
    fg.lastBuildDate(stamp)
    fg.updated(stamp)
    for item in feed.items:
        entry = fg.add_entry(order="append")
        entry.id(item.id)
        entry.guid(item.id, permalink=True)
        entry.title(item.title)
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.summary(_summary_text(item.summary or item.title, feed.kind))
        entry.content(item.content, type="html")
        entry.published(moment(item.date))
        entry.updated(moment(item.date))
        for term, label in item.categories:
            entry.category(term=term, label=label)
        if item.enclosure:
            entry.enclosure(item.enclosure.url, item.enclosure.length, item.enclosure.type)
    if feed.kind == ATOM:
        return _atom_entry_links(fg.atom_str(pretty=True), feed)
    return fg.rss_str(pretty=True)


def _summary_text(summary: str, kind: str) -> str:
    """The summary as the text it is. Atom marks it as text; RSS readers take <description>
    for HTML (the full text goes to content:encoded), so `<img onerror=...>` typed in a
    summary would run there: escaped once more, it is shown as typed."""
    return escape_text(summary, quote=False) if kind == RSS else summary


def _atom_entry_links(xml: bytes, feed: Feed) -> bytes:
    """feedgen 1.0 writes an Atom entry's <link> with its href only, dropping rel, type and
    length (so an enclosure would read as a second alternate): put them back, in the order
    the links were added."""
    from lxml import etree
    ns = "{http://www.w3.org/2005/Atom}"
    root = etree.fromstring(xml)
    for element, item in zip(root.iter(f"{ns}entry"), feed.items, strict=True):
        wanted = [{"rel": "alternate", "type": "text/html"}]
        if item.enclosure:
            wanted.append({"rel": "enclosure", "type": item.enclosure.type, "length": str(item.enclosure.length)})
        for link, attributes in zip(element.findall(f"{ns}link"), wanted, strict=False):
            link.attrib.update(attributes)
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
