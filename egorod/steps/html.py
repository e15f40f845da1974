"""Step "html": every route's page (only those whose inputs changed), the 404 page, the
sitemap, robots.txt and the vector images kept beside the content."""
from __future__ import annotations

from ..content import content_assets
from ..context import BuildContext
from ..images import RASTER_SUFFIXES
from ..incremental import render_routes
from ..output import StagedOutput
from ..render_html import make_environment, render_route, robots_txt, sitemap_xml
from ..routes import not_found_route
from .base import Step


class HtmlStep(Step):
    name = "html"

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        env = make_environment(context.config.root, context.site, context.bodies,
                               extra_globals=context.facts.template_globals())
        rendered = render_routes(context, staged, env, context.routes)
        context.report.pages_rendered = [route.url for route in rendered]
        staged.write("404.html", render_route(env, not_found_route()))
        if context.warm is not None and context.edited_only is not None and \
                context.warm.dates_unchanged(context.facts.updated_of):
            staged.take_over("sitemap.xml")     # the same pages, the same dates: the same sitemap
        else:
            staged.write("sitemap.xml", sitemap_xml(context.site, context.routes, context.facts.lastmod))
        staged.write("robots.txt", robots_txt(context.site))
        for relative, source in content_assets(context.config.root):
            # raster pictures are published by the images step, without their metadata
            if source.suffix.lower() not in RASTER_SUFFIXES:
                staged.copy_file(source, relative)
