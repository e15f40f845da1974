"""schema.org data of a page as JSON-LD (a ``<script type="application/ld+json">`` data
block: not executed, so a strict Content-Security-Policy allows it).

Every page but the home page has its BreadcrumbList; the home page describes the
Organization; Vestnik articles and bulletin issues are Articles, event pages Events, video
pages VideoObjects. Pure functions of the
route: what they say is on the page already.
"""
from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any, Callable

from markupsafe import Markup

from . import routes as r
from .content import Article, Bulletin, Event, Video
from .images import beside, site_url
from .settings import Settings
from .video import iso_duration, outside_video

Absolute = Callable[[str], str]


def organization(settings: Settings, absolute: Absolute) -> dict[str, Any]:
    return {"@type": "Organization", "@id": absolute("/#organization"), "name": settings.title,
            "alternateName": settings.short_title, "url": absolute("/"),
            "logo": absolute("/static/img/logo.svg")}


def breadcrumbs(route: r.Route, absolute: Absolute) -> dict[str, Any]:
    trail = [*route.crumbs, (route.title, route.url)]
    return {"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": i, "name": name, "item": absolute(url)}
        for i, (name, url) in enumerate(trail, start=1)]}


def article(route: r.Route, absolute: Absolute, updated: dt.date | None) -> dict[str, Any] | None:
    """A Vestnik article or a bulletin issue as an Article; None for other pages."""
    entry = route.entry
    if isinstance(entry, Article):
        issue = route.data["issue"]
        published, authors = issue.date, [{"@type": "Person", "name": name} for name in entry.authors]
        part_of = {"@type": "PublicationIssue", "issueNumber": str(issue.number),
                   "isPartOf": {"@type": "Periodical", "name": "Вестник МАГ"}}
    elif isinstance(entry, Bulletin):
        published, authors = entry.date, [{"@id": absolute("/#organization")}]
        part_of = {"@type": "PublicationIssue", "issueNumber": str(entry.number),
                   "isPartOf": {"@type": "Periodical", "name": "Информационный бюллетень МАГ"}}
    else:
        return None
    # Search engines show at most 110 characters of a headline.
    data = {"@type": "Article", "headline": route.title[:110], "description": route.description,
            "url": absolute(route.url), "mainEntityOfPage": absolute(route.url), "inLanguage": "ru",
            "datePublished": published.isoformat(), "author": authors,
            "publisher": {"@id": absolute("/#organization")}, "isPartOf": part_of,
            "image": absolute("/static/img/og.png")}
    if updated and updated >= published:
        data["dateModified"] = updated.isoformat()
    return data


def _moment(event: Event, value: dt.date | dt.datetime) -> str:
    """ISO 8601; a time of day with the offset of the event's zone on that day."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=zoneinfo.ZoneInfo(event.timezone)).isoformat()
    return value.isoformat()


def event(route: r.Route, absolute: Absolute) -> dict[str, Any] | None:
    """An event page as a schema.org Event, where and when it takes place; None for other pages."""
    entry = route.entry
    if not isinstance(entry, Event):
        return None
    city = route.data["city"]
    data = {"@type": "Event", "name": entry.title, "description": route.description, "url": absolute(route.url),
            "startDate": _moment(entry, entry.start), "endDate": _moment(entry, entry.end or entry.start),
            "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
            "location": {"@type": "Place", "name": entry.place or city.title,
                         "address": {"@type": "PostalAddress", "addressLocality": city.title,
                                     "addressCountry": city.country}},
            "organizer": {"@id": absolute("/#organization")}}
    return data


def video(route: r.Route, absolute: Absolute) -> dict[str, Any] | None:
    """A video page as a schema.org VideoObject: the file kept on the site (contentUrl), or the
    host's player (embedUrl); None for other pages."""
    entry = route.entry
    if not isinstance(entry, Video):
        return None
    data: dict[str, Any] = {
        "@type": "VideoObject", "name": entry.title, "description": entry.summary, "url": absolute(route.url),
        "uploadDate": entry.date.isoformat(), "duration": iso_duration(entry.duration), "inLanguage": "ru",
        "thumbnailUrl": absolute(site_url(beside(entry.source.path, entry.poster.file))),
        "publisher": {"@id": absolute("/#organization")},
        "contentLocation": {"@type": "Place", "name": route.data["city"].title}}
    if entry.host:
        data["embedUrl"] = outside_video(entry.host, entry.url).embed_url
    else:
        data["contentUrl"] = absolute(r.video_file_url(entry, entry.sources[0]))
    return data


def graph(route: r.Route, settings: Settings, absolute: Absolute, updated: dt.date | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if route.url == "/":
        items.append(organization(settings, absolute))
    else:
        items.append(breadcrumbs(route, absolute))
    found = article(route, absolute, updated) or event(route, absolute) or video(route, absolute)
    if found is not None:
        items.append(found)
        items.append(organization(settings, absolute))
    return items


def script(items: list[dict[str, Any]]) -> Markup:
    """The data block; ``<`` escaped so that no text can close the script element."""
    text = json.dumps({"@context": "https://schema.org", "@graph": items}, ensure_ascii=False,
                      separators=(",", ":")).replace("<", "\\u003c")
    return Markup(f'<script type="application/ld+json">{text}</script>')
