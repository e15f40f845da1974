"""The events as iCalendar (RFC 5545): one file per event and the subscription calendar.

Written with ``icalendar``: timed events carry their IANA zone (TZID) and the calendar its
VTIMEZONE, so that a reader in Moscow sees a session in Almaty at the right hour; all-day
events are dates (VALUE=DATE) with the exclusive DTEND the standard asks for.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import icalendar

from .content import Event
from .routes import event_url

if TYPE_CHECKING:
    from .model import Site

PRODUCT_ID = "-//МАГ//e-gorod//RU"


def event_uid(event: Event, base_url: str) -> str:
    """Stable across builds and edits: the file name's year and slug, never the title or dates,
    so that a subscriber's calendar updates the event rather than adding a second one."""
    return f"event-{event.year}-{event.slug}@{urlsplit(base_url).hostname or 'localhost'}"


def _when(event: Event, value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=zoneinfo.ZoneInfo(event.timezone))
    return value


def _end(event: Event) -> dt.date | dt.datetime:
    """DTEND: an all-day event ends the day after its last day (exclusive); a timed event
    without an end is given the rest of its day in its zone."""
    if event.all_day:
        return event.last_day + dt.timedelta(days=1)
    if event.end is not None:
        return _when(event, event.end)
    return _when(event, dt.datetime.combine(event.first_day, dt.time(23, 59)))


def event_component(event: Event, site: Site, stamp: dt.datetime) -> icalendar.Event:
    base = site.settings.base_url
    city = site.city_by_slug.get(event.city)
    component = icalendar.Event()
    component.add("uid", event_uid(event, base))
    component.add("dtstamp", stamp)
    component.add("summary", event.title)
    component.add("dtstart", _when(event, event.start))
    component.add("dtend", _end(event))
    location = ", ".join(part for part in (event.place, city.title if city else "") if part)
    if location:
        component.add("location", location)
    if event.summary:
        component.add("description", event.summary)
    component.add("url", base.rstrip("/") + event_url(event))
    component.add("categories", [site.settings.event_kind_names.get(event.kind, event.kind)])
    return component


def calendar_of(events: list[Event], site: Site, name: str) -> bytes:
    """A calendar of ``events`` with the VTIMEZONE of every zone they use."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    # DTSTAMP: when this copy was made; the build date keeps the files the same within a day.
    stamp = dt.datetime.combine(site.options.today, dt.time(0, 0), tzinfo=dt.timezone.utc)
    for event in events:
        calendar.add_component(event_component(event, site, stamp))
    if events:
        # Only the years the events span: the zones' rules since 1970 would make every file large.
        first = min(event.first_day for event in events) - dt.timedelta(days=366)
        last = max(event.last_day for event in events) + dt.timedelta(days=366)
        calendar.add_missing_timezones(first_date=first, last_date=last)
        # icalendar adds the zones in the order of a set: sorted, two builds give the same file.
        zones = sorted((c for c in calendar.subcomponents if c.name == "VTIMEZONE"), key=lambda c: str(c["TZID"]))
        calendar.subcomponents[:] = zones + [c for c in calendar.subcomponents if c.name != "VTIMEZONE"]
    return calendar.to_ical()


def site_calendar(site: Site) -> bytes:
    return calendar_of(site.calendar_events, site, f"{site.settings.short_title}: мероприятия")


def single_event_calendar(event: Event, site: Site) -> bytes:
    return calendar_of([event], site, event.title)
