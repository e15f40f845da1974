"""Step "dates": when each source file last changed (git), for page footers and the sitemap."""
from __future__ import annotations

from ..context import BuildContext
from ..gitdates import SourceDates, page_dates
from ..output import StagedOutput
from .base import Step


class DatesStep(Step):
    name = "dates"

    def prepare(self, context: BuildContext, staged: StagedOutput) -> None:
        dates = SourceDates(context.config.root)
        context.facts.updated_of = dates
        context.facts.lastmod = page_dates(dates, context.site)
