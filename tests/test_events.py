"""Events: their records and checks, upcoming and past as of the build date, the iCalendar files."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
import pytest

from egorod.calendars import event_uid, single_event_calendar, site_calendar
from egorod.model import BuildOptions
from egorod.pipeline import BuildConfig, build, load_site

UTC = dt.timezone.utc

# A session in Kazan all day long, a forum in Almaty (UTC+5) with times, a past meeting in Minsk.
SESSION = """
---
title: Годовая сессия
kind: session
start: 2030-05-20
end: 2030-05-21
city: kazan
place: Зал заседаний
summary: Годовая сессия Ассамблеи.
---
## Программа

Пленарное заседание.
"""
FORUM = """
---
title: Форум в UTC+5
kind: forum
start: 2030-04-15 10:00
end: 2030-04-16 18:30
timezone: Asia/Almaty
city: kazan
registration: https://example.org/register
---
Программа форума.
"""
MEETING = """
---
title: Заседание комиссии
kind: commission
start: 2029-11-03 15:00
timezone: Europe/Minsk
city: minsk
---
Повестка.
"""


def write_events(repo) -> None:
    repo.write("content/events/2030-sessiya.md", SESSION)
    repo.write("content/events/2030-forum.md", FORUM)
    repo.write("content/events/2029-komissiya.md", MEETING)


def site_on(repo, day: dt.date):
    return load_site(repo.root, BuildOptions(today=day))


def vevents(data: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(component["summary"]): component for component in calendar.walk("VEVENT")}


def test_the_calendar_gives_the_start_instants_of_the_markdown(repo):
    write_events(repo)
    site = site_on(repo, dt.date(2030, 1, 1))
    data = site_calendar(site)
    events = vevents(data)
    forum, session, meeting = events["Форум в UTC+5"], events["Годовая сессия"], events["Заседание комиссии"]
    # 10:00 in Almaty (UTC+5) is 05:00 UTC; the zone is named and described by a VTIMEZONE.
    assert forum.decoded("dtstart").astimezone(UTC) == dt.datetime(2030, 4, 15, 5, 0, tzinfo=UTC)
    assert forum.decoded("dtend").astimezone(UTC) == dt.datetime(2030, 4, 16, 13, 30, tzinfo=UTC)
    assert forum["dtstart"].params["TZID"] == "Asia/Almaty"
    assert meeting.decoded("dtstart").astimezone(UTC) == dt.datetime(2029, 11, 3, 12, 0, tzinfo=UTC)
    zones = {str(tz["tzid"]) for tz in icalendar.Calendar.from_ical(data).walk("VTIMEZONE")}
    assert zones == {"Asia/Almaty", "Europe/Minsk"}
    # All day: dates, with the day after the last as the (exclusive) end.
    assert session.decoded("dtstart") == dt.date(2030, 5, 20)
    assert not isinstance(session.decoded("dtstart"), dt.datetime)
    assert session.decoded("dtend") == dt.date(2030, 5, 22)
    assert str(session["location"]) == "Зал заседаний, Казань"


def test_one_event_has_its_own_calendar(repo):
    write_events(repo)
    site = site_on(repo, dt.date(2030, 1, 1))
    forum = next(event for event in site.events if event.slug == "forum")
    events = vevents(single_event_calendar(forum, site))
    assert list(events) == ["Форум в UTC+5"]
    assert str(events["Форум в UTC+5"]["url"]) == site.settings.base_url.rstrip("/") + "/events/2030/forum/"


def test_uids_stay_the_same_across_builds_and_edits(repo):
    write_events(repo)
    before = {str(e["uid"]) for e in vevents(site_calendar(site_on(repo, dt.date(2030, 1, 1)))).values()}
    repo.write("content/events/2030-forum.md", FORUM.replace("Форум в UTC+5", "Форум, новое название")
               .replace("2030-04-15 10:00", "2030-04-14 09:00"))
    after = {str(e["uid"]) for e in vevents(site_calendar(site_on(repo, dt.date(2030, 2, 1)))).values()}
    assert before == after
    assert len(before) == 3
    assert "event-2030-forum@" in event_uid(next(e for e in site_on(repo, dt.date(2030, 1, 1)).events
                                                 if e.slug == "forum"), "https://e-gorod.ru/")


def test_upcoming_and_past_follow_the_build_date(repo):
    write_events(repo)
    site = site_on(repo, dt.date(2030, 4, 16))       # the forum's second day: still under way
    assert [e.slug for e in site.upcoming_events] == ["forum", "sessiya"]
    assert [(year, [e.slug for e in items]) for year, items in site.past_events_by_year] == [(2029, ["komissiya"])]
    later = site_on(repo, dt.date(2030, 4, 17))
    assert [e.slug for e in later.upcoming_events] == ["sessiya"]
    assert [(year, [e.slug for e in items]) for year, items in later.past_events_by_year] == [
        (2030, ["forum"]), (2029, ["komissiya"])]
    assert [e.slug for e in later.events_by_city["kazan"]] == ["sessiya", "forum"]


def test_the_subscription_calendar_holds_the_upcoming_events_and_the_last_twelve_months(repo):
    write_events(repo)
    repo.write("content/events/2028-staroe.md", MEETING.replace("2029-11-03", "2028-11-03"))
    titles = [str(e["summary"]) for e in icalendar.Calendar.from_ical(
        site_calendar(site_on(repo, dt.date(2030, 1, 1)))).walk("VEVENT")]
    assert len(titles) == 3     # not the meeting of 2028
    assert all(e.start_instant() is None or e.start_instant().tzinfo == zoneinfo.ZoneInfo(e.timezone)
               for e in site_on(repo, dt.date(2030, 1, 1)).events)


# --- validation: each mistake as path:line: field: message, all in one run ------------------

def test_every_mistake_of_an_event_in_one_run(repo):
    repo.write("content/events/2030-oshibki.md", """
        ---
        title: Ошибки
        kind: seminar
        start: 2030-05-21
        end: 2030-05-20
        city: atlantida
        ---
        Текст.
        """)
    repo.write("content/events/2030-bez-poyasa.md", """
        ---
        title: Без пояса
        kind: forum
        start: 2030-05-21 10:00
        city: kazan
        ---
        Текст.
        """)
    repo.write("content/events/2030-smeshannoe.md", """
        ---
        title: Смешанное
        kind: forum
        start: 2030-05-21 10:00
        end: 2030-05-22
        timezone: Asia/Nowhere
        city: kazan
        ---
        Текст.
        """)
    repo.write("content/events/oshibka-imeni.md", "---\ntitle: Имя\nkind: forum\nstart: 2030-05-21\ncity: kazan\n---\nТекст.\n")
    result = repo.run("check")
    assert result.status != 0
    lines = result.lines
    path = "content/events/2030-oshibki.md"
    assert any(line.startswith(f"{path}:3: kind: unknown event kind 'seminar'") for line in lines), lines
    assert any(line.startswith(f"{path}:5: end: the end 2030-05-20 is before the start 2030-05-21")
               for line in lines), lines
    assert any(line.startswith(f"{path}:6: city: unknown city 'atlantida'") for line in lines), lines
    assert any(line.startswith("content/events/2030-bez-poyasa.md:4: timezone: a time of day needs its time zone")
               for line in lines), lines
    mixed = "content/events/2030-smeshannoe.md"
    assert any(line.startswith(f"{mixed}:5: end: start and end must both be dates") for line in lines), lines
    assert any(line.startswith(f"{mixed}:6: timezone: 'Asia/Nowhere' is not a time zone name")
               for line in lines), lines
    assert any(line.startswith("content/events/oshibka-imeni.md:1: -: file name 'oshibka-imeni.md' must be "
                               "YEAR-slug.md") for line in lines), lines


def test_a_free_page_cannot_take_the_events_section(repo):
    repo.write("content/pages/events.md", "---\ntitle: Мероприятия\n---\nТекст.\n")
    result = repo.run("check")
    assert result.status != 0
    assert any(line.startswith("content/pages/events.md:1: -: the page name 'events'") for line in result.lines)


@pytest.mark.slow
def test_event_pages_calendars_and_links(repo, tmp_path):
    write_events(repo)
    out = tmp_path / "out"
    build(BuildConfig(root=repo.root, out=out, pdf=False, search=False, quiet=True, today=dt.date(2030, 4, 17)))

    def read(relative: str) -> str:
        return (out / relative).read_text(encoding="utf-8")
    listing = read("events/index.html")
    assert "17\u00a0апреля 2030\u00a0г." in listing                 # the build date is stated
    assert listing.index("Годовая сессия") < listing.index("UTC+5<") < listing.index("Заседание комиссии")
    assert "webcal://" in listing and "/events/calendar.ics" in listing
    page = read("events/2030/forum/index.html")
    assert 'href="/events/2030/forum/forum.ics"' in page
    assert 'data-pagefind-filter="Вид мероприятия">Форум<' in page
    assert "https://example.org/register" not in page             # past: no registration any more
    assert "/events/2030/sessiya/" in read("cities/kazan/index.html")
    assert "/events/2030/sessiya/" in read("index.html")           # the next event on the home page
    assert "/events/2029/komissiya/" in read("events/2029/index.html")
    assert vevents((out / "events/2030/forum/forum.ics").read_bytes())
    assert len(vevents((out / "events/calendar.ics").read_bytes())) == 3


def test_materials_beside_an_event_are_part_of_it(repo):
    write_events(repo)
    repo.write("content/events/2030-forum/programma.pdf", "%PDF-1.4 sample")
    site = site_on(repo, dt.date(2030, 1, 1))
    assert next(e for e in site.events if e.slug == "forum").materials == ("programma.pdf",)
    repo.write("content/events/2030-forum/index.html", "<script></script>")
    result = repo.run("check")
    assert result.status != 0
    assert any(line.startswith("content/events/2030-forum.md:1: -: 'index.html' in the event's folder is not "
                               "published") for line in result.lines), result.lines


@pytest.mark.slow
def test_materials_are_published_and_listed_on_the_event_page(repo, tmp_path):
    write_events(repo)
    repo.write("content/events/2030-forum/programma.pdf", "%PDF-1.4 sample")
    out = tmp_path / "out"
    build(BuildConfig(root=repo.root, out=out, pdf=False, search=False, quiet=True, today=dt.date(2030, 1, 1)))
    assert (out / "events/2030/forum/programma.pdf").read_text() == "%PDF-1.4 sample"
    assert 'href="/events/2030/forum/programma.pdf"' in (out / "events/2030/forum/index.html").read_text("utf-8")


def test_an_event_page_describes_the_event_for_search_engines(repo):
    from egorod.jsonld import event as event_data
    from egorod.routes import all_routes
    write_events(repo)
    site = site_on(repo, dt.date(2030, 1, 1))
    route = next(route for route in all_routes(site) if route.url == "/events/2030/forum/")
    data = event_data(route, lambda url: "https://e-gorod.ru" + url)
    assert data is not None
    assert data["startDate"] == "2030-04-15T10:00:00+05:00" and data["endDate"] == "2030-04-16T18:30:00+05:00"
    assert data["location"]["address"]["addressLocality"] == "Казань"
