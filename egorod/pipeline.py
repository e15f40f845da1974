"""The build, stage by stage: settings → content → model → routes → outputs → swap.

Each output format is a function ``write(context, staged)``; the HTML renderer reads
what earlier formats left in ``context.artifacts`` (PDF sizes, cover images).
"""
from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import jinja2

from .content import RecordCache, content_assets, load_content
from .email_edition import write_email_editions
from .errors import BuildFailed, Problems
from .feeds import declare_feeds, write_feeds
from .gitdates import write_dates
from .incremental import code_and_settings_key, code_and_templates_key, render_routes
from .links_check import broken_links, link_problems
from .markup import MarkdownOptions
from .model import BuildOptions, Site, build_site
from .output import StagedOutput
from .parallel import process_count
from .render_html import BodyCache, make_environment, render_route, robots_txt, sitemap_xml, template_problem
from .routes import HOME, Route, all_routes
from .settings import Settings, load_settings

CACHE_DIR = ".cache"


@dataclass
class BuildConfig:
    root: Path
    out: Path
    drafts: bool = False
    base_url: str | None = None
    pdf: bool = True
    search: bool = True
    live_reload: bool = False
    today: dt.date | None = None
    quiet: bool = False
    cache_dir: Path | None = None
    workers: int | None = None        # processes for loading and rendering; None: one per core

    @property
    def cache(self) -> Path:
        return self.cache_dir or (self.root / CACHE_DIR)

    @property
    def processes(self) -> int:
        return process_count(self.workers)


@dataclass
class BuildContext:
    config: BuildConfig
    settings: Settings
    site: Site
    routes: list[Route]
    bodies: BodyCache
    code_key: str = ""        # hash of the code and site.yaml: what parsed content depends on
    templates_key: str = ""   # the same and the templates: what every rendered file depends on
    artifacts: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def log(self, message: str) -> None:
        if not self.config.quiet:
            print(message, file=sys.stderr)


def load_site(root: Path, options: BuildOptions, base_url: str | None = None,
              cache_dir: Path | None = None, code_key: str | None = None,
              workers: int | None = None) -> Site:
    """Read and validate everything; raises BuildFailed with all problems at once.

    With ``cache_dir``, records of files unchanged since the last run are reused; the
    others are parsed on ``workers`` processes (default: all cores) when there are many.
    """
    problems = Problems()
    settings = load_settings(root, problems)
    if settings is None:
        raise BuildFailed(problems.sorted())
    if base_url:
        settings = settings.with_base_url(base_url)
    cache = RecordCache(cache_dir / "content.pickle" if cache_dir else None,
                        settings_key=code_key or code_and_settings_key(root))
    content = load_content(root, settings, problems, cache, workers=process_count(workers))
    site = build_site(content, settings, options, problems)
    cache.save()
    if problems:
        problems.items += link_problems(site, content, root)   # reported with the rest, not a round later
        raise BuildFailed(problems.sorted())
    return site


def check(root: Path) -> list:
    """Validate settings and all content; returns the problems.

    Two views are checked, as the editor's preview (drafts included) and as published
    (drafts left out), so that nothing ``check`` passes can fail the real build.
    """
    problems = Problems()
    settings = load_settings(root, problems)
    if settings is None:
        return problems.sorted()
    # The files are read once; the two views are two site models of the same records.
    content = load_content(root, settings, problems, workers=process_count())
    found = set(problems.items)
    for drafts in (True, False):
        view = Problems()
        site = build_site(content, settings, BuildOptions(drafts=drafts), view)
        found.update(view.items)
        found.update(link_problems(site, content, root))   # every file's links, whatever else is wrong
    return sorted(found)


def write_html(context: BuildContext, staged: StagedOutput) -> None:
    env = make_environment(context.config.root, context.site, context.bodies,
                           extra_globals=context.artifacts.get("template_globals", {}))
    rendered = render_routes(context, staged, env, context.routes)
    context.artifacts["html_rendered"] = [route.url for route in rendered]
    not_found = Route("/404.html", "404.html", "Страница не найдена", "Страница не найдена.", (HOME,),
                      kind="listing", indexed=False)
    staged.write("404.html", render_route(env, not_found))
    lastmod = context.artifacts.get("lastmod", lambda route: None)
    staged.write("sitemap.xml", sitemap_xml(context.site, context.routes, lastmod))
    staged.write("robots.txt", robots_txt(context.site))
    staged.copy_tree(context.config.root / "static", "static")
    for relative, source in content_assets(context.config.root):
        staged.copy_file(source, relative)


# Output formats in the order they run; later issues add feeds, PDFs and the search index.
OutputFormat = Callable[[BuildContext, StagedOutput], None]


def output_formats(config: BuildConfig) -> list[tuple[str, OutputFormat]]:
    # "feed-links" gives base.html its <link rel="alternate"> list, so it runs before "html".
    # "dates" gives page footers and the sitemap the date of each source file (from git).
    formats: list[tuple[str, OutputFormat]] = [("feed-links", declare_feeds), ("dates", write_dates),
                                               ("html", write_html)]
    if config.live_reload:   # `serve` only: pages include the reload script
        from .serve import enable_live_reload
        formats.insert(0, ("live-reload", enable_live_reload))
    if config.pdf:   # issue pages show PDF sizes and covers, so the PDFs come before "html"
        from .pdf import write_pdfs
        formats.insert(formats.index(("html", write_html)), ("pdf", write_pdfs))
    if config.search:   # reads the staged HTML, so it runs after "html"
        from .search import write_search_index
        formats.append(("search", write_search_index))
    # Feeds attach the print PDFs, so they run after "pdf" and "html"; e-mail editions too.
    formats += [("feeds", write_feeds), ("email", write_email_editions)]
    return formats


def build(config: BuildConfig) -> BuildContext:
    started = time.perf_counter()
    options = BuildOptions(drafts=config.drafts, today=config.today or dt.date.today())
    code_key = code_and_settings_key(config.root)
    site = load_site(config.root, options, config.base_url, cache_dir=config.cache, code_key=code_key,
                     workers=config.workers)
    settings = site.settings
    routes = all_routes(site)
    broken = broken_links(site, routes, config.root)
    if broken:
        raise BuildFailed(sorted(broken))
    context = BuildContext(config, settings, site, routes,
                           BodyCache(MarkdownOptions(allow_raw_html=settings.allow_raw_html),
                                     store=config.cache / "bodies.sqlite", salt=code_key),
                           code_key, code_and_templates_key(config.root, code_key))
    context.timings["load"] = time.perf_counter() - started
    staged = StagedOutput(config.out, root=config.root)
    try:
        for name, write in output_formats(config):
            step = time.perf_counter()
            write(context, staged)
            context.timings[name] = time.perf_counter() - step
        staged.commit()
    except jinja2.TemplateError as error:
        staged.abort()
        raise BuildFailed([template_problem(error, config.root)]) from None
    except BaseException:
        staged.abort()
        raise
    context.bodies.close()
    for hook in context.artifacts.get("after_commit", []):
        hook()   # caches that describe the new output, saved only once it is in place
    context.timings["total"] = time.perf_counter() - started
    return context
