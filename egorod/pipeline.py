"""The build, stage by stage: settings → content → model → routes → steps → swap.

The steps (``egorod/steps/``) share a typed ``BuildContext``: first each one prepares the
facts that pages need from it, then each one writes its files into the staged output, which
replaces the old output only when every step succeeded.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Callable

import jinja2

from .buildrecord import BuildRecord, save_record
from .content import Content, RecordCache, load_content
from .context import CACHE_DIR, BuildConfig, BuildContext, PageFacts
from .errors import BuildFailed, Problem, Problems
from .incremental import code_and_settings_key, code_and_templates_key, forget_descriptions
from .links_check import broken_links, link_problems
from .markup import MarkdownOptions
from .model import BuildOptions, Site, build_site
from .output import StagedOutput
from .parallel import process_count
from .redirects import redirect_problems, site_redirects
from .render_html import BodyCache, template_problem
from .routes import all_routes
from .settings import load_settings
from .steps import steps_for
from .steps.images import unreadable_pictures
from .warm import Warm

__all__ = ["CACHE_DIR", "BuildConfig", "BuildContext", "build", "check", "load_site"]


def load_site(root: Path, options: BuildOptions, base_url: str | None = None,
              cache_dir: Path | None = None, code_key: str | None = None,
              workers: int | None = None) -> Site:
    """Read and validate everything; raises BuildFailed with all problems at once.

    With ``cache_dir``, records of files unchanged since the last run are reused; the
    others are parsed on ``workers`` processes (default: all cores) when there are many.
    """
    return load_site_and_content(root, options, base_url, cache_dir, code_key, workers)[0]


def load_site_and_content(root: Path, options: BuildOptions, base_url: str | None = None,
                          cache_dir: Path | None = None, code_key: str | None = None,
                          workers: int | None = None) -> tuple[Site, Content]:
    """``load_site``, with the records the model was made from (the preview keeps them)."""
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
    return site, content


def check(root: Path) -> list[Problem]:
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
        found.update(unreadable_pictures(root, site))
        if not problems and not view:   # aliases are checked against the pages of an otherwise valid site
            found.update(redirect_problems(site_redirects(site), all_routes(site)))
    return sorted(found)


def build(config: BuildConfig, warm: Warm | None = None,
          page_ready: Callable[[str, str], None] | None = None) -> BuildContext:
    """Build the site into ``config.out``; the outcome is recorded for ``deploy``.

    ``warm`` (the preview): the state of the previous build, kept in memory and updated; a
    model that ``warm.patch`` brought up to date is built from as it is. ``page_ready(path,
    html)`` is told each page of an edited entry as soon as it is rendered, before the rest
    of the build is written.
    """
    try:
        context = _build(config, warm, page_ready)
    except BaseException:
        if warm is not None:
            warm.forget()
        _record(config, succeeded=False)
        raise
    _record(config, succeeded=True, base_url=context.settings.base_url)
    return context


def _record(config: BuildConfig, succeeded: bool, base_url: str = "") -> None:
    try:
        save_record(config.cache, config.out, BuildRecord(succeeded, config.drafts, base_url))
    except OSError:
        if succeeded:
            raise
        # The failed build's own error is what the editor must see; the previous record
        # stays, and still describes the output, which a failed build leaves as it was.


def _build(config: BuildConfig, warm: Warm | None = None,
           page_ready: Callable[[str, str], None] | None = None) -> BuildContext:
    started = time.perf_counter()
    forget_descriptions()
    content: Content | None = None
    if warm is not None and warm.patched is not None and warm.site is not None:
        # Only the text of these entries changed: the model, its routes and links stand.
        site, routes, code_key = warm.site, warm.routes, warm.code_key
    else:
        options = BuildOptions(drafts=config.drafts, today=config.today or dt.date.today())
        code_key = code_and_settings_key(config.root)
        site, content = load_site_and_content(config.root, options, config.base_url, cache_dir=config.cache,
                                              code_key=code_key, workers=config.workers)
        routes = all_routes(site)
        broken = broken_links(site, routes, config.root) + redirect_problems(site_redirects(site), routes)
        if broken:
            raise BuildFailed(sorted(broken))
    settings = site.settings
    context = BuildContext(config, settings, site, routes,
                           BodyCache(MarkdownOptions(allow_raw_html=settings.allow_raw_html),
                                     store=config.cache / "bodies.sqlite", salt=code_key),
                           code_key, code_and_templates_key(config.root, code_key),
                           facts=PageFacts(live_reload=config.live_reload), page_ready=page_ready)
    if warm is not None and warm.patched is not None:
        context.warm = warm
    context.timings["load"] = time.perf_counter() - started
    staged = StagedOutput(config.out, root=config.root)
    steps = steps_for(config)
    try:
        for phase in ("prepare", "run"):
            for step in steps:
                begun = time.perf_counter()
                getattr(step, phase)(context, staged)
                context.timings[step.name] = context.timings.get(step.name, 0.0) + time.perf_counter() - begun
        staged.commit()
    except jinja2.TemplateError as error:
        staged.abort()
        raise BuildFailed([template_problem(error, config.root)]) from None
    except BaseException:
        staged.abort()
        raise
    context.bodies.close()
    for save in context.after_commit:
        save()   # caches that describe the new output, saved only once it is in place
    context.timings["total"] = time.perf_counter() - started
    if warm is not None:
        warm.remember(context, content)
    return context
