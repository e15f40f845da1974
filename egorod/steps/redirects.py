"""Step "redirects": the web server's 301s from the old addresses of pages (``aliases:``)."""
from __future__ import annotations

from ..context import BuildContext
from ..output import StagedOutput
from ..redirects import REDIRECTS_FILE, nginx_redirects, site_redirects
from .base import Step


class RedirectsStep(Step):
    name = "redirects"

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        staged.write(REDIRECTS_FILE, nginx_redirects(site_redirects(context.site)))
