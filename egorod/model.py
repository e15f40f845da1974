"""Stage 3: the site model — published collections, cross-references and the rubricator.

Built from validated content; reference problems (a practice naming an unknown city, two
entries with one slug) are reported here because they need the whole collection.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Callable, Hashable, Iterable, TypeVar

from .content import (
    Article,
    Bulletin,
    City,
    Collection,
    Content,
    ContestEdition,
    Entry,
    Event,
    Exhibition,
    News,
    Page,
    Practice,
    Source,
    VestnikIssue,
    Video,
    city_references,
    fields_of,
)
from .errors import Problems
from .i18n import _
from .routes import RESERVED_SLUGS, collection_pdf_name, collection_print_pdf_name, event_key
from .schema import unknown_name
from .settings import Country, Question, Sector, Settings

Item = TypeVar("Item")
Key = TypeVar("Key", bound=Hashable)


def grouped(items: Iterable[Item], keys: Callable[[Item], Iterable[Key]]) -> defaultdict[Key, list[Item]]:
    """Each item under each of its keys, in the order of ``items`` (a missing key gives [])."""
    groups: defaultdict[Key, list[Item]] = defaultdict(list)
    for item in items:
        for key in keys(item):
            groups[key].append(item)
    return groups


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    today: dt.date = field(default_factory=dt.date.today)


def is_published(entry: Entry, options: BuildOptions) -> bool:
    if options.drafts:
        return True
    if entry.draft:
        return False
    date = getattr(entry, "date", None)
    return not (isinstance(date, dt.date) and date > options.today)


@dataclass(frozen=True)
class RubricCount:
    sector: Sector
    questions: tuple[tuple[Question, int], ...]
    total: int


@dataclass
class Site:
    settings: Settings
    options: BuildOptions
    cities: list[City]
    practices: list[Practice]
    bulletins: list[Bulletin]       # newest first
    vestnik: list[VestnikIssue]     # newest first
    pages: list[Page]
    events: list[Event] = field(default_factory=list)     # by start, earliest first
    news: list[News] = field(default_factory=list)        # newest first
    contests: list[ContestEdition] = field(default_factory=list)    # by contest, newest edition first
    collections: list[Collection] = field(default_factory=list)     # analytic collections, by their event
    exhibitions: list[Exhibition] = field(default_factory=list)     # newest first
    videos: list[Video] = field(default_factory=list)     # newest first

    @property
    def kinds(self) -> tuple[list[Any], ...]:
        """Every published kind of content, in site order: what a build must watch for changes
        (a kind missing here would leave its pages unchanged after an edit)."""
        return (self.cities, self.practices, self.bulletins, self.vestnik, self.events, self.news, self.contests,
                self.pages, self.collections, self.exhibitions, self.videos)

    # --- lookups -------------------------------------------------------------------
    @cached_property
    def city_by_slug(self) -> dict[str, City]:
        return {c.slug: c for c in self.cities}

    @cached_property
    def practice_by_slug(self) -> dict[str, Practice]:
        return {p.slug: p for p in self.practices}

    @cached_property
    def sector_by_slug(self) -> dict[str, Sector]:
        return {s.slug: s for s in self.settings.rubricator}

    @cached_property
    def question_by_slug(self) -> dict[str, Question]:
        return self.settings.questions

    def country_of(self, city_slug: str) -> Country | None:
        city = self.city_by_slug.get(city_slug)
        return self.settings.country(city.country) if city else None

    @cached_property
    def cities_by_country(self) -> list[tuple[Country, list[City]]]:
        groups = grouped(self.cities, lambda city: [city.country])
        ordered = []
        for country in self.settings.countries:
            if groups.get(country.name):
                # Capitals of the Assembly's seed list come first as written there: keep file
                # order alphabetical by Russian title for a predictable list.
                ordered.append((country, sorted(groups[country.name], key=lambda c: c.title)))
        return ordered

    @cached_property
    def countries_with_cities(self) -> list[Country]:
        return [country for country, _ in self.cities_by_country]

    @cached_property
    def practices_newest(self) -> list[Practice]:
        return sorted(self.practices, key=lambda p: (-p.year, p.title, p.slug))

    @cached_property
    def practices_by_question(self) -> dict[str, list[Practice]]:
        return grouped(self.practices_newest, lambda practice: practice.rubrics)

    def sectors_of(self, practice: Practice) -> list[Sector]:
        slugs = dict.fromkeys(self.question_by_slug[r].sector for r in practice.rubrics)
        return [self.sector_by_slug[s] for s in slugs]

    @cached_property
    def practices_by_sector(self) -> dict[str, list[Practice]]:
        return grouped(self.practices_newest, lambda practice: [s.slug for s in self.sectors_of(practice)])

    @cached_property
    def rubric_counts(self) -> list[RubricCount]:
        return [RubricCount(sector,
                            tuple((p, len(self.practices_by_question.get(p.slug, []))) for p in sector.questions),
                            len(self.practices_by_sector.get(sector.slug, [])))
                for sector in self.settings.rubricator]

    @cached_property
    def practices_by_city(self) -> dict[str, list[Practice]]:
        return grouped(self.practices_newest, lambda practice: [practice.city])

    @cached_property
    def practices_by_country(self) -> dict[str, list[Practice]]:
        def country(practice: Practice) -> list[str]:
            found = self.country_of(practice.city)
            return [found.slug] if found else []
        return grouped(self.practices_newest, country)

    @cached_property
    def practices_by_year(self) -> dict[int, list[Practice]]:
        return dict(sorted(grouped(self.practices_newest, lambda practice: [practice.year]).items(), reverse=True))

    @cached_property
    def contest_editions(self) -> list[tuple[int, int, list[Practice]]]:
        """(edition, year, practices) for each edition of the contest, newest first."""
        groups = grouped(self.practices_newest, lambda practice: [(practice.contest.edition, practice.contest.year)]
                         if practice.contest else [])
        return [(edition, year, items) for (edition, year), items in sorted(groups.items(), reverse=True)]

    @cached_property
    def _by_question_year_slug(self) -> dict[str, list[Practice]]:
        return {slug: sorted(items, key=lambda p: (-p.year, p.slug))
                for slug, items in self.practices_by_question.items()}

    @cached_property
    def _question_members(self) -> dict[str, set[str]]:
        return {slug: {p.slug for p in items} for slug, items in self.practices_by_question.items()}

    @cached_property
    def _pairs(self) -> dict[tuple[str, str], set[str]]:
        return {}

    def _shared_by(self, first: str, second: str) -> set[str]:
        """Practices under both questions (the same pairs come up for many practices)."""
        shared = self._pairs.get((first, second))
        if shared is None:
            members = self._question_members
            shared = self._pairs[(first, second)] = members.get(first, set()) & members.get(second, set())
        return shared

    def related_practices(self, practice: Practice, limit: int = 5) -> list[Practice]:
        """Practices sharing a question of the rubricator: other cities first, then more shared questions, newest.

        The same order as sorting every candidate by (same city, -shared questions, -year,
        slug), without scoring them all: only the few that can reach the top are looked at.
        """
        rubrics = set(practice.rubrics)

        def order(other: Practice) -> tuple:
            return (other.city == practice.city, -len(rubrics.intersection(other.rubrics)), -other.year, other.slug)

        lists = [self._by_question_year_slug.get(r, []) for r in practice.rubrics]
        # Sharing more than one question is rare: those candidates are all considered.
        multi: set[str] = set()
        for i, first in enumerate(practice.rubrics):
            for second in practice.rubrics[i + 1:]:
                multi |= self._shared_by(first, second)
        multi.discard(practice.slug)
        candidates = [self.practice_by_slug[slug] for slug in multi]
        # Sharing one question: in each list (newest first) the first `limit` from other
        # cities are all that can make the top; those from the same city come after every
        # other city's, so they are looked for only when other cities give too few.
        for same_city in (False, True):
            if same_city and len({p.slug for p in candidates if p.city != practice.city}) >= limit:
                break
            for items in lists:
                found = 0
                for other in items:
                    if found >= limit:
                        break
                    if (other.city == practice.city) is same_city and other.slug != practice.slug \
                            and other.slug not in multi:
                        candidates.append(other)
                        found += 1
        unique = {p.slug: p for p in candidates}
        return sorted(unique.values(), key=order)[:limit]

    @cached_property
    def library_figures(self) -> dict[str, int]:
        cities = {p.city for p in self.practices}
        countries = {country.slug for country in map(self.country_of, cities) if country}
        return {"practices": len(self.practices), "cities": len(cities), "countries": len(countries)}

    @cached_property
    def bulletins_by_city(self) -> dict[str, list[Bulletin]]:
        return grouped(self.bulletins, lambda bulletin: bulletin.cities)

    @cached_property
    def articles_by_city(self) -> dict[str, list[Article]]:
        return grouped((article for issue in self.vestnik for article in issue.articles),
                       lambda article: article.cities)

    @cached_property
    def bulletins_by_year(self) -> list[tuple[int, list[Bulletin]]]:
        return sorted(grouped(self.bulletins, lambda bulletin: [bulletin.date.year]).items(), reverse=True)

    @cached_property
    def _bulletin_positions(self) -> dict[int, int]:
        return {bulletin.number: index for index, bulletin in enumerate(self.bulletins)}

    def bulletin_neighbours(self, bulletin: Bulletin) -> tuple[Bulletin | None, Bulletin | None]:
        """(previous, next) issue by number."""
        index = self._bulletin_positions[bulletin.number]
        newer = self.bulletins[index - 1] if index > 0 else None
        older = self.bulletins[index + 1] if index + 1 < len(self.bulletins) else None
        return older, newer

    @cached_property
    def news_by_city(self) -> dict[str, list[News]]:
        return grouped(self.news, lambda item: item.cities)

    @cached_property
    def exhibitions_by_city(self) -> dict[str, list[Exhibition]]:
        return grouped(self.exhibitions, lambda exhibition: [exhibition.city])

    @cached_property
    def videos_by_city(self) -> dict[str, list[Video]]:
        return grouped(self.videos, lambda video: [video.city])

    @cached_property
    def videos_by_event(self) -> dict[str, list[Video]]:
        """By the event's file name without .md, as a video names it."""
        return grouped(self.videos, lambda video: [video.event] if video.event else [])

    @cached_property
    def videos_by_vestnik(self) -> dict[int, list[Video]]:
        return grouped(self.videos, lambda video: [video.vestnik] if video.vestnik else [])

    @cached_property
    def videos_by_bulletin(self) -> dict[int, list[Video]]:
        return grouped(self.videos, lambda video: [video.bulletin] if video.bulletin else [])

    @cached_property
    def editions_by_contest(self) -> dict[str, list[ContestEdition]]:
        return grouped(self.contests, lambda edition: [edition.contest])

    @cached_property
    def event_by_key(self) -> dict[str, Event]:
        """Events by their file name without .md, as a contest edition names its event."""
        return {event_key(event): event for event in self.events}

    @cached_property
    def collection_by_event(self) -> dict[str, Collection]:
        """The analytic collection of an event, by the event's key (<year>-<slug>)."""
        return {collection.event: collection for collection in self.collections}

    # --- events: upcoming or past as of the build date ---------------------------------
    def is_upcoming(self, event: Event) -> bool:
        """Still to come or under way on the build date."""
        return event.last_day >= self.options.today

    @cached_property
    def upcoming_events(self) -> list[Event]:
        return [event for event in self.events if self.is_upcoming(event)]

    @cached_property
    def past_events_by_year(self) -> list[tuple[int, list[Event]]]:
        """The past events, newest year first and the latest event first within it."""
        past = grouped(reversed(self.events), lambda event: [] if self.is_upcoming(event) else [event.year])
        return sorted(past.items(), reverse=True)

    @cached_property
    def events_by_year(self) -> dict[int, list[Event]]:
        return dict(sorted(grouped(self.events, lambda event: [event.year]).items(), reverse=True))

    @cached_property
    def events_by_city(self) -> dict[str, list[Event]]:
        return grouped(reversed(self.events), lambda event: [event.city])

    @cached_property
    def calendar_events(self) -> list[Event]:
        """What the subscription calendar holds: every upcoming event and those of the last twelve months."""
        since = self.options.today - dt.timedelta(days=365)
        return [event for event in self.events if event.last_day >= since]

    @cached_property
    def menu_pages(self) -> list[Page]:
        return sorted((p for p in self.pages if p.menu is not None), key=lambda p: (p.menu, p.slug))


def _checked_entries(content: Content) -> list[tuple[type, dict, Source]]:
    """(kind, fields, source) of every entry whose references are checked: the valid
    records and, so that one run shows every mistake, the files rejected for others."""
    records: list[Entry] = [*content.cities, *content.practices, *content.bulletins, *content.events, *content.news,
                            *content.pages, *content.exhibitions, *content.videos]
    printed: list[VestnikIssue | Collection] = [*content.vestnik, *content.collections]
    for issue in printed:
        records += [issue, *issue.articles]
    checked = [(type(entry), fields_of(entry), entry.source) for entry in records]
    for rejected in content.rejected:
        checked.append((rejected.kind, rejected.values, rejected.source))
        checked += [(type(part), fields_of(part), part.source) for part in rejected.parts if isinstance(part, Entry)]
    return checked


def _check_references(content: Content, problems: Problems) -> None:
    # A city file with mistakes of its own is still a city: naming it is not one more mistake.
    cities = {c.slug for c in content.cities} | {r.values["slug"] for r in content.rejected
                                                 if r.kind is City and "slug" in r.values}
    for kind, values, source in _checked_entries(content):
        for key, line, slug in city_references(kind, values, source):
            if slug not in cities:
                problems.add(source.path, line, key, unknown_name(
                    slug, cities, _("unknown city {value!r}: did you mean {close!r}?"),
                    _("unknown city {value!r}: use the file name of a city in content/cities/ without .md")))
    for page in content.pages:
        if page.slug in RESERVED_SLUGS:
            problems.add(page.source.path, 1, "-", _("the page name {slug!r} is used by the site itself; rename the "
                                                     "file").format(slug=page.slug))


def _drop_unpublished_references(entries: list, published_cities: set[str], attribute: str) -> list:
    """A published bulletin may mention a draft city: the link is left out, not broken."""
    return [replace(e, **{attribute: tuple(c for c in getattr(e, attribute) if c in published_cities)})
            for e in entries]


def build_site(content: Content, settings: Settings, options: BuildOptions, problems: Problems) -> Site:
    _check_references(content, problems)

    def published(entries: list) -> list:
        return [e for e in entries if is_published(e, options)]
    cities = published(content.cities)
    city_slugs = {c.slug for c in cities}
    practices = published(content.practices)
    for practice in practices:
        if practice.city not in city_slugs and practice.city in {c.slug for c in content.cities}:
            problems.add(practice.source.path, practice.source.line("city"), "city",
                         _("city {city!r} is a draft; publish the city or make this practice a draft too")
                         .format(city=practice.city))

    bulletins = _drop_unpublished_references(published(content.bulletins), city_slugs, "cities")
    _check_news_dates(content.news, options, problems)
    _check_contest_results(content, problems)
    news = _drop_unpublished_references(published(content.news), city_slugs, "cities")
    draft_cities = {c.slug for c in content.cities} - city_slugs
    events = published(content.events)
    _report_draft_cities(events, draft_cities, problems,
                         _("city {city!r} is a draft; publish the city or make this event a draft too"))
    _check_collections(content, problems)
    exhibitions = published(content.exhibitions)
    _report_draft_cities(exhibitions, draft_cities, problems,
                         _("city {city!r} is a draft; publish the city or make this exhibition a draft too"))
    _check_video_references(content, problems)
    videos = published(content.videos)
    _report_draft_cities(videos, draft_cities, problems,
                         _("city {city!r} is a draft; publish the city or make this video a draft too"))
    issues = []
    for issue in published(content.vestnik):
        articles = _drop_unpublished_references(published(list(issue.articles)), city_slugs, "cities")
        issues.append(replace(issue, articles=tuple(articles)))
    shown_events = sorted((e for e in events if e.city in city_slugs), key=event_order)
    return Site(
        settings=settings,
        options=options,
        cities=sorted(cities, key=lambda c: c.slug),
        practices=[p for p in practices if p.city in city_slugs],
        bulletins=sorted(bulletins, key=lambda b: -b.number),
        vestnik=sorted(issues, key=lambda i: -i.number),
        pages=sorted(published(content.pages), key=lambda p: p.slug),
        events=shown_events,
        news=sorted(news, key=lambda n: (n.date, n.slug), reverse=True),
        contests=sorted(published(content.contests), key=lambda e: (e.contest, -e.edition)),
        collections=_published_collections(content.collections, {event_key(e) for e in shown_events}, published),
        exhibitions=sorted((e for e in exhibitions if e.city in city_slugs),
                           key=lambda e: (e.start, e.slug), reverse=True),
        # a video of an event, an issue left unpublished is still shown: only the link is left out
        videos=sorted((_published_references(video, events, issues, bulletins) for video in videos
                       if video.city in city_slugs), key=lambda video: (video.date, video.slug), reverse=True),
    )


def _report_draft_cities(entries: Iterable[Event | Exhibition | Video], draft_cities: set[str], problems: Problems,
                         message: str) -> None:
    """An entry published in a city that is still a draft (its link would lead nowhere)."""
    for entry in entries:
        if entry.city in draft_cities:
            problems.add(entry.source.path, entry.source.line("city"), "city", message.format(city=entry.city))


def _published_references(video: Video, events: list[Event], issues: list[VestnikIssue],
                          bulletins: list[Bulletin]) -> Video:
    if video.event and video.event not in {f"{e.year}-{e.slug}" for e in events}:
        video = replace(video, event="")
    if video.vestnik and video.vestnik not in {i.number for i in issues}:
        video = replace(video, vestnik=None)
    if video.bulletin and video.bulletin not in {b.number for b in bulletins}:
        video = replace(video, bulletin=None)
    return video


def _check_video_references(content: Content, problems: Problems) -> None:
    """The event, Vestnik issue and bulletin a video names exist (rejected files included:
    their own mistakes are reported apart)."""
    events = {f"{e.year}-{e.slug}" for e in content.events} | {
        f"{r.values['year']}-{r.values['slug']}" for r in content.rejected
        if r.kind is Event and "year" in r.values and "slug" in r.values}
    issues = {i.number for i in content.vestnik} | _rejected_values(content, VestnikIssue, "number")
    bulletins = {b.number for b in content.bulletins} | _rejected_values(content, Bulletin, "number")
    for video in content.videos:
        source = video.source
        if video.event and video.event not in events:
            problems.add(source.path, source.line("event"), "event", _(
                "no event {event!r}: use the file name of an event in content/events/ without .md, e.g. "
                "2026-forum-megapolis").format(event=video.event))
        if video.vestnik and video.vestnik not in issues:
            problems.add(source.path, source.line("vestnik"), "vestnik", _(
                "no Vestnik issue {number}: use the number of a folder in content/vestnik/").format(number=video.vestnik))
        if video.bulletin and video.bulletin not in bulletins:
            problems.add(source.path, source.line("bulletin"), "bulletin", _(
                "no bulletin {number}: use the number of a file in content/bulletins/").format(number=video.bulletin))


def _check_contest_results(content: Content, problems: Problems) -> None:
    """Every result names a practice, a city and an event that exist (rejected files included:
    their own mistakes are reported apart, naming them is not one more)."""
    practices = {p.slug for p in content.practices} | _rejected_values(content, Practice, "slug")
    cities = {c.slug for c in content.cities} | _rejected_values(content, City, "slug")
    events = {f"{e.year}-{e.slug}" for e in content.events} | {
        f"{r.values['year']}-{r.values['slug']}" for r in content.rejected
        if r.kind is Event and "year" in r.values and "slug" in r.values}
    for edition in content.contests:
        source = edition.source
        for index, result in enumerate(edition.results):
            key = f"results[{index}]"
            if result.practice and result.practice not in practices:
                problems.add(source.path, source.lines.get(f"{key}.practice", source.line("results")), "practice",
                             unknown_name(result.practice, practices,
                                          _("no practice {value!r} in the library: did you mean {close!r}?"),
                                          _("no practice {value!r} in the library: use the file name of a practice "
                                            "in content/practices/ without .md")))
            if result.city and result.city not in cities:
                problems.add(source.path, source.lines.get(f"{key}.city", source.line("results")), "city",
                             unknown_name(result.city, cities, _("unknown city {value!r}: did you mean {close!r}?"),
                                          _("unknown city {value!r}: use the file name of a city in content/cities/ "
                                            "without .md")))
        if edition.event and edition.event not in events:
            problems.add(source.path, source.line("event"), "event", _(
                "no event {event!r}: use the file name of an event in content/events/ without .md, e.g. "
                "2026-forum-megapolis").format(event=edition.event))


def _check_collections(content: Content, problems: Problems) -> None:
    """An analytic collection lies in the folder of an event (rejected events count: their own
    mistakes are reported apart), and no material of the event takes the collection's file name."""
    events = {event_key(e) for e in content.events} | {
        f"{r.values['year']}-{r.values['slug']}" for r in content.rejected
        if r.kind is Event and "year" in r.values and "slug" in r.values}
    collections = [(c.event, c.source) for c in content.collections] + [
        (r.values["event"], r.source) for r in content.rejected if r.kind is Collection]
    for event, source in collections:
        if event not in events:
            problems.add(source.path, 1, "-", unknown_name(
                event, events, _("no event content/events/{value}.md for this collection: did you mean the folder "
                                 "{close!r}?"),
                _("no event content/events/{value}.md for this collection: put the folder collection/ in the "
                  "folder named as the event's file, e.g. content/events/2027-forum-megapolis/collection/")))
    with_collection = {event for event, _ in collections}
    for item in content.events:
        reserved = {collection_pdf_name(item), collection_print_pdf_name(item)}
        for name in item.materials if event_key(item) in with_collection else ():
            if name in reserved:
                problems.add(item.source.path, 1, "-", _(
                    "the material {name!r} has the name of the event's analytic collection PDF; rename the "
                    "file").format(name=name))


def _published_collections(collections: list[Collection], events: set[str],
                           published: Callable[[list], list]) -> list[Collection]:
    """The collections of published events, with their published articles (a collection whose
    articles are all drafts is not published)."""
    found = []
    for collection in published(collections):
        articles = tuple(published(list(collection.articles)))
        if collection.event in events and articles:
            found.append(replace(collection, articles=articles))
    return sorted(found, key=lambda c: c.event)


def _rejected_values(content: Content, kind: type, key: str) -> set[str]:
    return {r.values[key] for r in content.rejected if r.kind is kind and key in r.values}


def _check_news_dates(news: list[News], options: BuildOptions, problems: Problems) -> None:
    """A news item is about what has happened: one dated after the build date is a typo
    unless the editor marked it a draft to publish later."""
    for item in news:
        if item.date > options.today and not item.draft:
            problems.add(item.source.path, item.source.line("date"), "date", _(
                "the news is dated {date}, after today ({today}); correct the date, or add 'draft: true' to "
                "prepare it in advance").format(date=item.date.isoformat(), today=options.today.isoformat()))


def event_order(event: Event) -> tuple:
    """By start day, then time of day (all-day events first), then slug."""
    instant = event.start_instant()
    return (event.first_day, instant.timestamp() if instant else float("-inf"), event.slug)
