"""Step "calendars": the events as iCalendar files, the subscription calendar and one per event.

Written at every build: they are few and small, and which events are upcoming depends on the
build date as much as on the content.
"""
from __future__ import annotations

from .. import routes as r
from ..calendars import single_event_calendar, site_calendar
from ..context import BuildContext
from ..output import StagedOutput
from .base import Step


class CalendarsStep(Step):
    name = "calendars"

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        site = context.site
        staged.write(r.EVENTS_CALENDAR_URL.lstrip("/"), site_calendar(site))
        for event in site.events:
            staged.write(r.event_ics_url(event).lstrip("/"), single_event_calendar(event, site))
