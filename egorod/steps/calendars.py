"""Step "events": the events' files besides their pages — the subscription calendar, one
calendar per event, and the materials kept beside each event's Markdown.

The calendars are written at every build: they are few and small, and which events are
upcoming depends on the build date as much as on the content.
"""
from __future__ import annotations

from .. import routes as r
from ..calendars import single_event_calendar, site_calendar
from ..content import CONTENT_DIR
from ..context import BuildContext
from ..output import StagedOutput
from .base import Step


class EventFilesStep(Step):
    name = "events"

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        site = context.site
        staged.write(r.EVENTS_CALENDAR_URL.lstrip("/"), site_calendar(site))
        events_dir = context.config.root / CONTENT_DIR / "events"
        for event in site.events:
            staged.write(r.event_ics_url(event).lstrip("/"), single_event_calendar(event, site))
            for name in event.materials:
                staged.copy_file(events_dir / f"{event.year}-{event.slug}" / name,
                                 r.event_material_url(event, name).lstrip("/"))
