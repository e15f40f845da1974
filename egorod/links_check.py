"""Links written in Markdown must lead somewhere: a page of the site, a file it publishes,
or an image beside the Markdown file. Checked on every build and by ``check``.
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .content import Entry, content_assets
from .errors import Problem
from .model import Site
from .routes import (
    Route,
    bulletin_pdf_url,
    bulletin_print_pdf_url,
    url_of,
    vestnik_pdf_url,
    vestnik_print_pdf_url,
)

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_PLAIN_PATH = re.compile(r"/(?!/)[^?#%]*\Z")
# Files every build publishes besides the pages (feeds, search bundle, machine files).
_GENERATED = {"/sitemap.xml", "/robots.txt", "/404.html", "/bulletins/feed.xml", "/bulletins/atom.xml",
              "/vestnik/feed.xml", "/practices/feed.xml"}


def published_targets(site: Site, routes: list[Route], root: Path) -> set[str]:
    targets = {route.url for route in routes} | _GENERATED
    for bulletin in site.bulletins:
        base = f"/bulletins/{bulletin.number}/"
        targets |= {bulletin_pdf_url(bulletin.number), bulletin_print_pdf_url(bulletin.number),
                    base + "email.html", base + "email.txt"}
    for issue in site.vestnik:
        targets |= {vestnik_pdf_url(issue.number), vestnik_print_pdf_url(issue.number)}
    # The files the build copies: static/ as it is, and the images beside the Markdown.
    static = root / "static"
    if static.is_dir():
        targets |= {"/static/" + p.relative_to(static).as_posix() for p in static.rglob("*")
                    if p.is_file() and not p.name.startswith(".")}
    targets |= {"/" + relative for relative, _ in content_assets(root)}
    return targets


def _entries(site: Site) -> list[Entry]:
    entries: list[Entry] = [*site.cities, *site.practices, *site.bulletins, *site.pages]
    for issue in site.vestnik:
        entries += [issue, *issue.articles]
    return entries


def broken_links(site: Site, routes: list[Route], root: Path) -> list[Problem]:
    targets = published_targets(site, routes, root)
    problems = []
    for entry in _entries(site):
        folder = posixpath.dirname(entry.source.path)
        page = url_of(entry)
        for target, line, image in entry.source.links:
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
                    problems.append(Problem(entry.source.path, line, "body",
                                            f"image {target!r} not found: put the file beside the "
                                            "Markdown file or correct the name"))
                continue
            # Links are read by the browser relative to the page's own address.
            absolute = path if path.startswith("/") else posixpath.normpath(posixpath.join(page, path)) \
                + ("/" if path.endswith("/") else "")
            if absolute.startswith("/pagefind/"):
                continue
            if not (absolute in targets or (not absolute.endswith("/") and absolute + "/" in targets)):
                problems.append(Problem(entry.source.path, line, "body",
                                        f"the link {target!r} leads nowhere: no page or file of the site "
                                        "has this address; correct or remove it"))
    return problems
