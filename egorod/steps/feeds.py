"""Step "feeds": RSS and Atom feeds; every page head announces them (<link rel="alternate">)."""
from __future__ import annotations

import hashlib

from .. import routes as r
from ..context import BuildContext
from ..feeds import feed_links, render_feed, site_feeds
from ..incremental import KeptFiles, describe
from ..output import StagedOutput
from .base import Step


class FeedsStep(Step):
    name = "feeds"

    def prepare(self, context: BuildContext, staged: StagedOutput) -> None:
        context.facts.feeds = feed_links(context.site)

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        """After the PDF and HTML steps: every feed, with the PDFs that exist by now."""
        def pdf_size(url: str) -> int | None:
            path = staged.current(url.lstrip("/"))
            return path.stat().st_size if path is not None else None

        site, limit = context.site, context.site.settings.feed_entries
        shown = [*site.bulletins[:limit], *site.vestnik[:limit], *site.practices_newest[:limit], *site.news[:limit],
                 *site.videos[:limit]]
        pdfs = [r.bulletin_pdf_url(b.number) for b in site.bulletins[:limit]] + \
            [r.vestnik_pdf_url(issue.number) for issue in site.vestnik[:limit]] + \
            [r.video_file_url(video, name) for video in site.videos[:limit] for name in video.sources]
        key = hashlib.sha256("\n".join([
            context.templates_key, site.settings.base_url, describe(site.cities),
            *(describe(entry, primary=True) for entry in shown), repr([pdf_size(url) for url in pdfs]),
        ]).encode()).hexdigest()
        files = KeptFiles(context, staged, "feeds")
        # The key covers everything the feeds show, which feeds there are included.
        if files.keep(files.previous_paths, key):
            return
        for feed in site_feeds(site, context.bodies, pdf_size):
            path = feed.path.lstrip("/")
            staged.write(path, render_feed(site, feed))
            files.made([path], key)
