"""Step "email": /bulletins/<n>/email.html and email.txt, the e-mail edition of every issue."""
from __future__ import annotations

import hashlib

from ..content import Bulletin
from ..context import BuildContext
from ..email_edition import EmailRenderer, email_html_path, email_text_path
from ..incremental import KeptFiles, describe, write_each
from ..output import StagedOutput
from .base import Step

# Starting the worker processes costs about as much as making thirty editions.
PARALLEL_EDITIONS = 50


class EmailStep(Step):
    name = "email"

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        """An edition whose bulletin, cities, code, templates and settings are unchanged since
        the previous build is kept as it is (same keys as the HTML pages use)."""
        files = KeptFiles(context, staged, "email")
        # the renditions' names change with their pictures
        common = context.templates_key + context.site.settings.base_url + repr(
            sorted((url, picture.email.key) for url, picture in context.facts.pictures.items()))
        todo: list[Bulletin] = []
        for bulletin in context.site.bulletins:
            cities = [context.site.city_by_slug[c] for c in bulletin.cities if c in context.site.city_by_slug]
            key = hashlib.sha256((common + describe(bulletin, primary=True) + describe(cities)).encode()).hexdigest()
            paths = (email_html_path(bulletin.number), email_text_path(bulletin.number))
            if not files.keep(paths, key):
                files.made(paths, key)
                todo.append(bulletin)
        if not todo:
            return
        renderer = EmailRenderer(context.site, context.bodies, context.facts.pictures)

        def write_edition(index: int) -> None:
            edition = renderer.render(todo[index])
            staged.write(email_html_path(edition.number), edition.html)
            staged.write(email_text_path(edition.number), edition.text)

        write_each(staged, context.bodies, len(todo), context.config.processes, PARALLEL_EDITIONS, write_edition)
