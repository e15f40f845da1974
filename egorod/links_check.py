"""Links written in Markdown must lead somewhere: a page of the site, a file it publishes,
or an image beside the Markdown file. Checked on every build and by ``check``.
"""
from __future__ import annotations

import datetime as dt
import posixpath
import re
from pathlib import Path
from typing import AbstractSet, Sequence
from urllib.parse import unquote, urlsplit

from .content import Collection, Content, Entry, Rejected, Source, VestnikIssue, content_assets
from .errors import Problem
from .i18n import _
from .model import BuildOptions, Site, is_published
from .routes import SEARCH_BUNDLE_URL, STATIC_URL, Route, all_routes, file_urls, page_of, url_of_rejected

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_PLAIN_PATH = re.compile(r"/(?!/)[^?#%]*\Z")


def published_targets(site: Site, routes: list[Route], root: Path) -> set[str]:
    targets = {route.url for route in routes} | file_urls(site)
    # The files the build copies: static/ as it is, and the images beside the Markdown.
    static = root / "static"
    if static.is_dir():
        targets |= {STATIC_URL + p.relative_to(static).as_posix() for p in static.rglob("*")
                    if p.is_file() and not p.name.startswith(".")}
    targets |= {"/" + relative for relative, _ in content_assets(root)}
    return targets


def _entries(site: Site) -> list[Entry]:
    entries: list[Entry] = [*site.cities, *site.practices, *site.bulletins, *site.pages]
    printed: list[VestnikIssue | Collection] = [*site.vestnik, *site.collections]
    for issue in printed:
        entries += [issue, *issue.articles]
    return entries


def _rejected_pages(rejected: list[Rejected]) -> list[tuple[Rejected | Entry, Source, str | None]]:
    """(file, source, address) of the files rejected for other mistakes, and of the valid
    articles of a rejected issue."""
    pages: list[tuple[Rejected | Entry, Source, str | None]] = []
    for item in rejected:
        pages.append((item, item.source, url_of_rejected(item)))
        pages += [(part, part.source, page_of(part)) for part in item.parts if isinstance(part, Entry)]
    return pages


def _in_view(item: Rejected | Entry, options: BuildOptions) -> bool:
    """Whether a file of a rejected record belongs to this view, as far as its valid fields tell."""
    if isinstance(item, Entry):
        return is_published(item, options)
    date = item.values.get("date", dt.date.min)     # a kind without a date, or a date not valid
    return options.drafts or (item.values.get("draft") is False and date <= options.today)


def link_problems(site: Site, content: Content, root: Path) -> list[Problem]:
    """Broken links of every file, whatever else is wrong in it or elsewhere: those of the
    entries ``site`` publishes and those of the files rejected for other mistakes that
    belong to the same view. The addresses of rejected files count as pages: a link to
    one is right once the file is mended."""
    rejected = _rejected_pages(content.rejected)
    return broken_links(site, all_routes(site), root,
                        [(source, url) for item, source, url in rejected if _in_view(item, site.options)],
                        {url for _, _, url in rejected if url})


def broken_links(site: Site, routes: list[Route], root: Path, more: Sequence[tuple[Source, str | None]] = (),
                 more_targets: AbstractSet[str] = frozenset()) -> list[Problem]:
    targets = published_targets(site, routes, root) | more_targets
    problems = []
    for source, page in [(entry.source, page_of(entry)) for entry in _entries(site)] + list(more):
        folder = posixpath.dirname(source.path)
        for target, line, image in source.links:
            if _PLAIN_PATH.match(target):     # most links: an address of the site as it is
                if target in targets or target + "/" in targets:
                    continue
            if _SCHEME.match(target) or target.startswith(("#", "//")):
                continue
            path = unquote(urlsplit(target).path)
            if not path:
                continue
            if image and not path.startswith("/"):
                # Images are named relative to the Markdown file (the build publishes them there).
                local = posixpath.normpath(posixpath.join(folder, path))
                if not (local.startswith("content/") and ("/" + local[len("content/"):]) in targets):
                    problems.append(Problem(source.path, line, "body",
                                            _("image {target!r} not found: put the file beside the Markdown "
                                              "file or correct the name").format(target=target)))
                continue
            if path.startswith("/"):
                absolute = path
            elif page is None:
                continue        # relative to an address that its file does not give yet
            else:               # read by the browser relative to the page's own address
                absolute = posixpath.normpath(posixpath.join(page, path)) + ("/" if path.endswith("/") else "")
            if absolute.startswith(SEARCH_BUNDLE_URL):
                continue
            if not (absolute in targets or (not absolute.endswith("/") and absolute + "/" in targets)):
                problems.append(Problem(source.path, line, "body",
                                        _("the link {target!r} leads nowhere: no page or file of the site has "
                                          "this address; correct or remove it").format(target=target)))

    return problems
