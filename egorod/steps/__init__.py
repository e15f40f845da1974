"""The build steps: one module per output, run by ``pipeline.build`` in two phases.

First every step's ``prepare`` puts into ``context.facts`` what pages need from it (feed
links, dates, PDF sizes and covers); then every step's ``run`` writes its files into the
staged output, in the order of ``steps_for``: the PDFs before the pages that show their
sizes, the search index after the pages it reads, the videos' files, the feeds, the events' calendars and materials, e-mail editions and open data
after them, and last the compressed twins of every text file.
"""
from __future__ import annotations

from ..context import BuildConfig
from .assets import AssetsStep
from .base import Step
from .calendars import EventFilesStep
from .compress import CompressStep
from .dates import DatesStep
from .email import EmailStep
from .feeds import FeedsStep
from .html import HtmlStep
from .images import ImagesStep
from .opendata import OpenDataStep
from .redirects import RedirectsStep
from .video import VideoStep


def steps_for(config: BuildConfig) -> list[Step]:
    steps: list[Step] = [DatesStep(), AssetsStep(), ImagesStep()]
    if config.pdf:
        from .pdf import PdfStep  # WeasyPrint is loaded only for builds that make PDFs
        steps.append(PdfStep())
    steps += [HtmlStep(), RedirectsStep(), VideoStep()]     # the videos' files before the feed that encloses them
    if config.search:
        from .search import SearchStep
        steps.append(SearchStep())
    steps += [FeedsStep(), EventFilesStep(), EmailStep(), OpenDataStep()]
    if config.compress:
        steps.append(CompressStep())
    return steps


__all__ = ["Step", "steps_for"]
