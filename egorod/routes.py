"""Stage 4a: every page of the site as a route — URL, template, title and data.

Like Hugo's pages: the model says what exists, routes say where each thing is published.
Renderers (HTML, sitemap, search, feeds) all walk the same list.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from .content import Article, Bulletin, City, ContestEdition, Entry, Event, News, Page, Practice, Rejected, VestnikIssue
from .settings import Question

if TYPE_CHECKING:
    from .model import Site

HOME = ("Главная", "/")

# --- files the site publishes besides its pages ------------------------------------------

SITEMAP_URL, ROBOTS_URL, NOT_FOUND_URL = "/sitemap.xml", "/robots.txt", "/404.html"
BULLETIN_RSS, BULLETIN_ATOM = "/bulletins/feed.xml", "/bulletins/atom.xml"
VESTNIK_RSS, PRACTICES_RSS = "/vestnik/feed.xml", "/practices/feed.xml"
NEWS_RSS, NEWS_ATOM = "/news/feed.xml", "/news/atom.xml"
FEED_URLS = (BULLETIN_RSS, BULLETIN_ATOM, VESTNIK_RSS, PRACTICES_RSS, NEWS_RSS, NEWS_ATOM)
STATIC_URL = "/static/"                 # static/ as it is
SEARCH_BUNDLE_URL = "/pagefind/"        # the search index and its scripts
LIVE_RELOAD_URL = "/_livereload"        # `serve` only
SECTION_URLS = ("/cities/", "/practices/", "/bulletins/", "/vestnik/", "/events/", "/news/", "/contests/", "/search/")
EVENTS_CALENDAR_URL = "/events/calendar.ics"     # every upcoming event and the last twelve months
FEEDS_PAGE_URL, SITE_MAP_URL, OPEN_DATA_URL = "/feeds/", "/site-map/", "/open-data/"   # about the site itself
RESERVED_FOR_LATER = ("/feed/", "/assets/")     # a site-wide feed, processed images


def _first_segment(url: str) -> str:
    return url.strip("/").split("/")[0].split(".")[0]


# First-level URL segments the site uses itself: a free page (/<slug>/) cannot take them.
RESERVED_SLUGS = frozenset(_first_segment(url) for url in (
    *SECTION_URLS, FEEDS_PAGE_URL, SITE_MAP_URL, OPEN_DATA_URL, SITEMAP_URL, ROBOTS_URL, NOT_FOUND_URL, STATIC_URL, SEARCH_BUNDLE_URL, LIVE_RELOAD_URL,
    *RESERVED_FOR_LATER))


# --- URLs of things -------------------------------------------------------------------

def city_url(slug: str) -> str:
    return f"/cities/{slug}/"


def practice_url(slug: str) -> str:
    return f"/practices/{slug}/"


def sector_url(slug: str) -> str:
    return f"/practices/rubrics/{slug}/"


def question_url(question: Question) -> str:
    return f"/practices/rubrics/{question.sector}/{question.slug}/"


def year_url(year: int) -> str:
    return f"/practices/years/{year}/"


def country_practices_url(slug: str) -> str:
    return f"/practices/countries/{slug}/"


def bulletin_url(number: int) -> str:
    return f"/bulletins/{number}/"


def bulletin_pdf_url(number: int) -> str:
    """The reader's edition: the default download, the feeds' enclosure."""
    return f"/bulletins/{number}/bulletin-{number}.pdf"


def bulletin_email_url(number: int) -> str:
    return f"/bulletins/{number}/email.html"


def bulletin_email_text_url(number: int) -> str:
    return f"/bulletins/{number}/email.txt"


def bulletin_print_pdf_url(number: int) -> str:
    """The print shop's edition (PDF/X-4 with bleed and crop marks)."""
    return f"/bulletins/{number}/bulletin-{number}-print.pdf"


def vestnik_url(number: int) -> str:
    return f"/vestnik/{number}/"


def vestnik_pdf_url(number: int) -> str:
    """The reader's edition: the default download, the feeds' enclosure."""
    return f"/vestnik/{number}/vestnik-{number}.pdf"


def vestnik_print_pdf_url(number: int) -> str:
    """The print shop's edition (PDF/X-4 with bleed and crop marks)."""
    return f"/vestnik/{number}/vestnik-{number}-print.pdf"


def article_url(article: Article) -> str:
    return f"/vestnik/{article.issue}/{article.slug}/"


def event_url(event: Event) -> str:
    return f"/events/{event.year}/{event.slug}/"


def event_ics_url(event: Event) -> str:
    """The event alone, for "add to calendar"; named after the event, as it is saved."""
    return f"{event_url(event)}{event.slug}.ics"


def event_material_url(event: Event, name: str) -> str:
    return f"{event_url(event)}{name}"


def events_year_url(year: int) -> str:
    return f"/events/{year}/"


def contest_edition_url(contest: str, edition: int) -> str:
    return f"/contests/{contest}/{edition}/"


def news_url(slug: str) -> str:
    return f"/news/{slug}/"


def page_url(slug: str) -> str:
    return f"/{slug}/"


def url_of(entry: Entry) -> str:
    if isinstance(entry, City):
        return city_url(entry.slug)
    if isinstance(entry, Practice):
        return practice_url(entry.slug)
    if isinstance(entry, Bulletin):
        return bulletin_url(entry.number)
    if isinstance(entry, VestnikIssue):
        return vestnik_url(entry.number)
    if isinstance(entry, Article):
        return article_url(entry)
    if isinstance(entry, Event):
        return event_url(entry)
    if isinstance(entry, News):
        return news_url(entry.slug)
    if isinstance(entry, ContestEdition):
        return contest_edition_url(entry.contest, entry.edition)
    if isinstance(entry, Page):
        return page_url(entry.slug)
    raise TypeError(entry)


def file_urls(site: Site) -> set[str]:
    """Every file the build publishes besides the pages, static/ and the content images."""
    urls = {SITEMAP_URL, ROBOTS_URL, NOT_FOUND_URL, *FEED_URLS, EVENTS_CALENDAR_URL}
    urls |= {event_ics_url(event) for event in site.events}
    urls |= {event_material_url(event, name) for event in site.events for name in event.materials}
    for bulletin in site.bulletins:
        urls |= {bulletin_pdf_url(bulletin.number), bulletin_print_pdf_url(bulletin.number),
                 bulletin_email_url(bulletin.number), bulletin_email_text_url(bulletin.number)}
    for issue in site.vestnik:
        urls |= {vestnik_pdf_url(issue.number), vestnik_print_pdf_url(issue.number)}
    return urls


def url_of_rejected(rejected: Rejected) -> str | None:
    """Where a file with mistakes would be published, when its name and valid fields say."""
    values, kind = rejected.values, rejected.kind
    if kind is Article:
        return f"/vestnik/{values['issue']}/{values['slug']}/" if "issue" in values and "slug" in values else None
    if kind is ContestEdition:
        return contest_edition_url(values["contest"], values["edition"]) if "edition" in values else None
    if kind is Event:
        return f"/events/{values['year']}/{values['slug']}/" if "year" in values and "slug" in values else None
    if "slug" in values:
        urls = {City: city_url, Practice: practice_url, Page: page_url, News: news_url}
        return urls[kind](values["slug"]) if kind in urls else None
    if "number" in values:
        return bulletin_url(values["number"]) if kind is Bulletin else vestnik_url(values["number"])
    return None


def roman(number: int) -> str:
    """Contest editions are numbered in Roman numerals (XIII смотр-конкурс)."""
    parts = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, letters in parts:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


# --- routes --------------------------------------------------------------------------

@dataclass(frozen=True)
class Pager:
    number: int
    count: int
    base_url: str

    def url(self, number: int) -> str:
        return self.base_url if number == 1 else f"{self.base_url}page/{number}/"

    @property
    def previous(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.count else None

    @property
    def pages(self) -> list[tuple[int, str]]:
        return [(n, self.url(n)) for n in range(1, self.count + 1)]


@dataclass(frozen=True)
class Route:
    url: str
    template: str
    title: str
    description: str = ""
    crumbs: tuple[tuple[str, str], ...] = ()
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    entry: Entry | None = None
    kind: str = "page"               # search filter «тип»: practice, bulletin, article, city, page
    indexed: bool = True             # part of the search index
    preview: bool = False            # shown only with --drafts

    @property
    def output_path(self) -> str:
        return self.url.lstrip("/") + "index.html" if self.url.endswith("/") else self.url.lstrip("/")


def paginated(items: list, per_page: int, base_url: str) -> Iterable[tuple[list, Pager]]:
    count = max(1, math.ceil(len(items) / per_page))
    for number in range(1, count + 1):
        yield items[(number - 1) * per_page: number * per_page], Pager(number, count, base_url)


def _listing(site: Site, items: list, base_url: str, template: str, title: str, description: str,
             crumbs: tuple, kind: str = "listing", **data: Any) -> list[Route]:
    routes = []
    for chunk, pager in paginated(items, site.settings.per_page, base_url):
        page_title = title if pager.number == 1 else f"{title} — страница {pager.number}"
        routes.append(Route(pager.url(pager.number), template, page_title, description, crumbs,
                            # the whole list is part of the page's key: counts and pages depend on it
                            dict(data, items=chunk, pager=pager, total=len(items), listing=items), kind=kind,
                            indexed=False))
    return routes


def _entry_route(site: Site, entry: Entry, template: str, title: str, description: str,
                 crumbs: tuple, kind: str, **data: Any) -> Route:
    return Route(url_of(entry), template, title, description, crumbs, data, entry=entry, kind=kind,
                 preview=entry.preview_only(site.options.today))


def city_routes(site: Site) -> list[Route]:
    crumbs = (HOME, ("Города", "/cities/"))
    routes = [Route("/cities/", "cities.html", "Города — участники МАГ",
                    f"Города — участники Международной Ассамблеи столиц и крупных городов: "
                    f"{len(site.cities)} городов, карта и список по странам.",
                    (HOME,), kind="listing", indexed=False)]
    for city in site.cities:
        routes.append(_entry_route(
            site, city, "city.html", city.title,
            city.summary or f"{city.title} — город-участник МАГ ({city.country}).",
            crumbs, "city",
            practices=site.practices_by_city.get(city.slug, []),
            bulletins=site.bulletins_by_city.get(city.slug, []),
            articles=site.articles_by_city.get(city.slug, []),
            events=site.events_by_city.get(city.slug, []),
            news=site.news_by_city.get(city.slug, [])[:10],
        ))
    return routes


def practice_routes(site: Site) -> list[Route]:
    figures = site.library_figures
    library = ("Библиотека практик", "/practices/")
    routes = [Route("/practices/", "practices.html", "Электронная библиотека городских практик",
                    f"{figures['practices']} практик из {figures['cities']} городов: "
                    "рубрикатор по сферам городской жизнедеятельности и проблемным вопросам, поиск.",
                    (HOME,), dict(newest=site.practices_newest[:10]), kind="listing", indexed=False)]
    for practice in site.practices:
        city = site.city_by_slug[practice.city]
        routes.append(_entry_route(
            site, practice, "practice.html", practice.title, practice.summary, (HOME, library),
            "practice", city=city, country=site.country_of(practice.city),
            questions=[site.question_by_slug[r] for r in practice.rubrics],
            sectors=site.sectors_of(practice), related=site.related_practices(practice),
        ))
    rubrics = ("Рубрикатор", "/practices/#rubricator")
    for sector in site.settings.rubricator:
        items = site.practices_by_sector.get(sector.slug, [])
        routes += _listing(site, items, sector_url(sector.slug), "rubric.html", sector.title,
                           f"Практики городов по сфере «{sector.title}»: {len(items)}.",
                           (HOME, library, rubrics), sector=sector, question=None)
        for question in sector.questions:
            items = site.practices_by_question.get(question.slug, [])
            routes += _listing(site, items, question_url(question), "rubric.html", question.title,
                               f"Практики городов по проблемному вопросу «{question.title}»: {len(items)}.",
                               (HOME, library, rubrics, (sector.title, sector_url(sector.slug))),
                               sector=sector, question=question)
    years = list(site.practices_by_year)
    for year, items in site.practices_by_year.items():
        routes.append(Route(year_url(year), "year.html", f"Практики {year} года",
                            f"Практики городов {year} года: {len(items)}, по изданиям смотра-конкурса.",
                            (HOME, library), dict(year=year, items=items, years=years,
                                                  editions=[e for e in site.contest_editions if e[1] == year]),
                            kind="listing", indexed=False))
    for country in site.countries_with_cities:
        items = site.practices_by_country.get(country.slug, [])
        if items:
            routes += _listing(site, items, country_practices_url(country.slug), "country.html",
                               f"Практики городов: {country.name}",
                               f"Практики городов страны {country.name}: {len(items)}.",
                               (HOME, library), country=country)
    return routes


def bulletin_routes(site: Site) -> list[Route]:
    crumbs = (HOME, ("Бюллетень", "/bulletins/"))
    routes = [Route("/bulletins/", "bulletins.html", "Информационный бюллетень МАГ",
                    "Архив ежемесячного информационного бюллетеня МАГ по годам.", (HOME,),
                    kind="listing", indexed=False)]
    for bulletin in site.bulletins:
        older, newer = site.bulletin_neighbours(bulletin)
        title = f"Бюллетень № {bulletin.number}" + (f". {bulletin.title}" if bulletin.title else "")
        routes.append(_entry_route(
            site, bulletin, "bulletin.html", title,
            bulletin.summary or f"Информационный бюллетень МАГ № {bulletin.number}.",
            crumbs, "bulletin", older=older, newer=newer,
            cities=[site.city_by_slug[c] for c in bulletin.cities],
        ))
    return routes


def vestnik_routes(site: Site) -> list[Route]:
    crumbs = (HOME, ("Вестник МАГ", "/vestnik/"))
    routes = [Route("/vestnik/", "vestnik.html", "Журнал «Вестник МАГ»",
                    "Информационно-аналитический журнал «Вестник МАГ»: архив номеров.", (HOME,),
                    kind="listing", indexed=False)]
    for issue in site.vestnik:
        routes.append(_entry_route(
            site, issue, "vestnik_issue.html", f"«Вестник МАГ» № {issue.number}. {issue.title}",
            issue.summary or f"«Вестник МАГ» № {issue.number}: {issue.title}.", crumbs, "issue"))
        issue_crumbs = crumbs + ((f"№ {issue.number}", vestnik_url(issue.number)),)
        for index, article in enumerate(issue.articles):
            routes.append(_entry_route(
                site, article, "article.html", article.title,
                article.summary or f"Статья из «Вестника МАГ» № {issue.number}.", issue_crumbs, "article",
                issue=issue,
                previous=issue.articles[index - 1] if index > 0 else None,
                next=issue.articles[index + 1] if index + 1 < len(issue.articles) else None,
                cities=[site.city_by_slug[c] for c in article.cities],
            ))
    return routes


def event_routes(site: Site) -> list[Route]:
    section = ("Мероприятия", "/events/")
    kinds = site.settings.event_kind_names
    routes = [Route("/events/", "events.html", "Мероприятия МАГ",
                    "Календарь мероприятий Ассамблеи: годовая сессия, форум «Мегаполис XXI век», конкурсы и "
                    "фестивали; предстоящие и прошедшие по годам.", (HOME,),
                    dict(upcoming=site.upcoming_events, past=site.past_events_by_year, today=site.options.today,
                         years=list(site.events_by_year), kinds=kinds),
                    kind="listing", indexed=False)]
    years = list(site.events_by_year)
    for year, items in site.events_by_year.items():
        routes.append(Route(events_year_url(year), "events_year.html", f"Мероприятия МАГ {year} года",
                            f"Мероприятия Ассамблеи в {year} году: {len(items)}.", (HOME, section),
                            dict(year=year, items=items, years=years, kinds=kinds, today=site.options.today),
                            kind="listing", indexed=False))
    for event in site.events:
        routes.append(_entry_route(
            site, event, "event.html", event.title, event.summary or event.title,
            (HOME, section, (str(event.year), events_year_url(event.year))), "event",
            city=site.city_by_slug[event.city], kind_name=kinds.get(event.kind, event.kind),
            upcoming=site.is_upcoming(event), ics=event_ics_url(event)))
    return routes


def contest_routes(site: Site) -> list[Route]:
    section = ("Конкурсы", "/contests/")
    routes = [Route("/contests/", "contests.html", "Конкурсы МАГ",
                    "Смотр-конкурс городских практик «Город, где хочется жить» и конкурс «Город в зеркале СМИ»: "
                    "издания, жюри, номинации и победители.", (HOME,),
                    dict(editions=site.editions_by_contest), kind="listing", indexed=False)]
    for edition in site.contests:
        contest = site.settings.contest(edition.contest)
        name = contest.name if contest else edition.contest
        title = edition.title or f"{roman(edition.edition)} {name}, {edition.year}"
        winners: dict[str, list] = {}
        for result in edition.results:
            winners.setdefault(result.nomination, []).append(result)
        routes.append(_entry_route(
            site, edition, "contest_edition.html", title, edition.summary or title, (HOME, section), "contest",
            contest_name=name, winners=winners, event=site.event_by_key.get(edition.event),
            practices={r.practice: site.practice_by_slug[r.practice] for r in edition.results
                       if r.practice in site.practice_by_slug}))
    return routes


def news_routes(site: Site) -> list[Route]:
    section = ("Новости", "/news/")
    routes = _listing(site, site.news, "/news/", "news.html", "Новости городов МАГ",
                      "Электронная газета Ассамблеи: короткие новости о её работе и жизни городов-участников.",
                      (HOME,))
    for item in site.news:
        routes.append(_entry_route(site, item, "news_item.html", item.title, item.summary or item.title,
                                   (HOME, section), "news", cities=[site.city_by_slug[c] for c in item.cities]))
    return routes


def page_routes(site: Site) -> list[Route]:
    return [_entry_route(site, page, "page.html", page.title, page.summary or page.title, (HOME,), "page")
            for page in site.pages]


def service_routes(site: Site) -> list[Route]:
    """Pages about the site itself, linked from every footer: its feeds, its map, its open data."""
    return [
        Route(FEEDS_PAGE_URL, "feeds.html", "Подписка на новости по RSS",
              "Ленты RSS и Atom сайта МАГ: новые выпуски бюллетеня, номера «Вестника МАГ» и практики; как подписаться.",
              (HOME,), kind="page"),
        Route(SITE_MAP_URL, "site_map.html", "Карта сайта", "Все разделы сайта МАГ на одной странице.",
              (HOME,), kind="listing", indexed=False),
        Route(OPEN_DATA_URL, "open_data.html", "Открытые данные: библиотека практик",
              "Библиотека городских практик МАГ в форматах CSV и JSON: все поля каждой практики и адрес её страницы.",
              (HOME,), dict(count=len(site.practices)), kind="page"),
    ]


def all_routes(site: Site) -> list[Route]:
    latest_bulletin = site.bulletins[0] if site.bulletins else None
    latest_issue = site.vestnik[0] if site.vestnik else None
    home = Route("/", "home.html", site.settings.title, site.settings.description, (),
                 dict(latest_bulletin=latest_bulletin, latest_issue=latest_issue,
                      next_events=site.upcoming_events[:3], latest_news=site.news[:5]), kind="listing",
                 indexed=False)
    search = Route("/search/", "search.html", "Поиск", "Полнотекстовый поиск по материалам сайта МАГ.",
                   (HOME,), kind="listing", indexed=False)
    routes = [home, *city_routes(site), *practice_routes(site), *bulletin_routes(site),
              *vestnik_routes(site), *event_routes(site), *news_routes(site), *contest_routes(site), *page_routes(site), *service_routes(site), search]
    return routes


def not_found_route() -> Route:
    """/404.html: what the web server shows for an address the site does not have."""
    return Route("/404.html", "404.html", "Страница не найдена", "Страница не найдена.", (HOME,),
                 kind="listing", indexed=False)
