"""Old addresses of pages (``aliases:`` in front matter), answered by the web server with a 301.

The build writes them as nginx ``location`` blocks into a file of the output that the shipped
server configuration includes (``deploy/nginx/``); the file is never served to readers.
"""
from __future__ import annotations

from dataclasses import dataclass

from .content import Entry
from .errors import Problem
from .i18n import _
from .model import Site
from .routes import Route, url_of

REDIRECTS_FILE = ".server/nginx-redirects.conf"


@dataclass(frozen=True)
class Redirect:
    old: str        # the address readers and search engines still know
    new: str        # the page's address now
    source: str     # the content file that names ``old``
    line: int


def _published_entries(site: Site) -> list[Entry]:
    entries: list[Entry] = [*site.cities, *site.practices, *site.bulletins, *site.pages]
    for issue in site.vestnik:
        entries += [issue, *issue.articles]
    return entries


def site_redirects(site: Site) -> list[Redirect]:
    """Every alias of a published entry, sorted by old address."""
    found = [Redirect(alias, url_of(entry), entry.source.path, entry.source.line("aliases"))
             for entry in _published_entries(site) for alias in entry.aliases]
    return sorted(found, key=lambda redirect: (redirect.old, redirect.source))


def redirect_problems(redirects: list[Redirect], routes: list[Route]) -> list[Problem]:
    """An old address must not be a page of the site, nor the alias of two pages."""
    pages = {route.url for route in routes}
    first: dict[str, Redirect] = {}
    problems = []
    for redirect in redirects:
        if redirect.old in pages or redirect.old + "/" in pages:
            problems.append(Problem(redirect.source, redirect.line, "aliases", _(
                "{old} is the address of a page of the site; an alias must be an address that no "
                "longer exists").format(old=redirect.old)))
        elif redirect.old in first:
            other = first[redirect.old]
            problems.append(Problem(redirect.source, redirect.line, "aliases", _(
                "{old} is also an alias of {page} ({path}); an old address can lead to one page only")
                .format(old=redirect.old, page=other.new, path=other.source)))
        else:
            first[redirect.old] = redirect
    return problems


def nginx_redirects(redirects: list[Redirect]) -> str:
    """One exact-match location per old address (aliases hold no character nginx would parse)."""
    lines = ["# Made by `python build.py` from the aliases of the content: old address -> page (301).",
             "# Included by deploy/nginx/e-gorod.conf; reload nginx after a deploy that changes it."]
    lines += [f'location = "{redirect.old}" {{ return 301 {redirect.new}; }}' for redirect in redirects]
    return "\n".join(lines) + "\n"
