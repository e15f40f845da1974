"""When each source file was last changed: from git history, or from the file system.

The "Обновлено …" line of a page and the sitemap's ``<lastmod>`` both come from here.

Inside a git repository the date of a file is the committer date of the last commit that
changed it, read from ONE ``git log`` over the whole history of ``content/`` and
``site.yaml`` (not one git call per file), kept until the next commit. A pure rename (git's "R100": the text did not
change) keeps the date of the last real change made under the old name; a rename with
edits counts as a change. Files with uncommitted edits and files git does not track yet
take their modification time, as do all files outside a git repository or when git is
not installed. Two builds of the same checkout therefore give the same dates.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from .content import Entry
from .routes import url_of
from .settings import SETTINGS_FILE

if TYPE_CHECKING:
    from .model import Site
    from .routes import Route

TRACKED = ("content", SETTINGS_FILE)
_COMMIT = "\x01"   # marks the committer date of a commit in the log output


@dataclass
class History:
    """Dates of the files changed in git history, relative to the site's root."""
    committed: dict[str, dt.date] = field(default_factory=dict)
    uncommitted: set[str] = field(default_factory=set)   # tracked files with edits not committed
    in_git: bool = False


def _git(root: Path, *args: str) -> str | None:
    """Output of a read-only git command in ``root``, or None when git cannot answer."""
    git = shutil.which("git")
    if git is None:
        return None
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        done = subprocess.run([git, "--no-optional-locks", "-C", str(root), *args], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "surrogateescape")


def parse_log(output: str) -> dict[str, dt.date]:
    """Dates from ``git log --topo-order -M --format=%x01%cI --name-status -z``, newest first.

    Walking back in time, ``alias`` maps a path a file had in the past to its path now, so
    the history of a file that was only renamed is found under its old name.
    """
    dates: dict[str, dt.date] = {}
    alias: dict[str, str] = {}
    gone: set[str] = set()          # deleted later and not re-added: older history is not theirs
    date: dt.date | None = None
    tokens = output.split("\0")
    i = 0

    def touch(path: str) -> None:
        current = alias.get(path, path)
        if current in gone or date is None:
            return
        if current not in dates or dates[current] < date:
            dates[current] = date

    while i < len(tokens):
        token = tokens[i].lstrip("\n")
        i += 1
        if not token:
            continue
        if token.startswith(_COMMIT):
            date = dt.date.fromisoformat(token[1:11])
            continue
        status = token[0]
        if status in "RC":
            old, new = tokens[i], tokens[i + 1]
            i += 2
            current = alias.get(new, new)
            if status == "R" and token[1:] == "100":
                if current not in gone:
                    alias[old] = current   # same text: older changes under the old name count
            else:
                touch(new)
            continue
        path = tokens[i]
        i += 1
        if status == "D":
            current = alias.get(path, path)
            if current not in dates:
                gone.add(current)
        else:                               # A, M, T: the file's text changed in this commit
            touch(path)
    return dates


# The dates of the committed history depend only on the commit checked out: a preview that
# rebuilds on every save reads the log again only after a new commit.
_LOG_CACHE: dict[Path, tuple[str, dict[str, dt.date]]] = {}


def read_history(root: Path) -> History:
    """One ``git log`` for the whole site (and one ``git diff`` for uncommitted edits)."""
    head = _git(root, "rev-parse", "--verify", "-q", "HEAD")
    if head is None:              # not a repository, no commit yet, or no git
        return History()
    head = head.strip()
    cached = _LOG_CACHE.get(root)
    if cached is not None and cached[0] == head:
        committed = cached[1]
    else:
        log = _git(root, "log", "--relative", "--topo-order", "-M", "--no-show-signature",
                   "--format=%x01%cI", "--name-status", "-z", head, "--", *TRACKED)
        if log is None:
            return History()
        committed = parse_log(log)
        _LOG_CACHE[root] = (head, committed)
    dirty = _git(root, "diff", "--relative", "--name-only", "--no-renames", "-z", head, "--", *TRACKED)
    return History(committed=committed, uncommitted={p for p in (dirty or "").split("\0") if p},
                   in_git=True)


class SourceDates:
    """The date of each source file; git history first, then the file's modification time."""

    def __init__(self, root: Path, history: History | None = None):
        self.root = root
        self.history = history if history is not None else read_history(root)
        self._cache: dict[str, dt.date | None] = {}

    @property
    def known(self) -> dict[str, dt.date | None]:
        """The dates asked for so far."""
        return self._cache

    def __call__(self, path: str) -> dt.date | None:
        """Date of a file given relative to the root (forward slashes), None if it is missing."""
        if path not in self._cache:
            self._cache[path] = self._date(path)
        return self._cache[path]

    def _date(self, path: str) -> dt.date | None:
        committed = self.history.committed.get(path)
        if committed is not None and path not in self.history.uncommitted:
            return committed
        try:
            mtime = (self.root / path).stat().st_mtime
        except OSError:
            return committed
        return dt.date.fromtimestamp(mtime)

    def newest(self, paths: Iterable[str]) -> dt.date | None:
        return max((d for d in map(self, paths) if d is not None), default=None)


def _entries(value: object, depth: int = 0) -> Iterator[Entry]:
    """Entries listed in a route's data: single entries, lists of them, tuples of lists."""
    if isinstance(value, Entry):
        yield value
    elif isinstance(value, (list, tuple)) and depth < 3:
        for item in value:
            yield from _entries(item, depth + 1)


def route_lastmod(dates: SourceDates, site, route) -> dt.date | None:
    """A page of one entry: the date of its file. A listing: its newest listed entry."""
    if route.entry is not None:
        return dates(route.entry.source.path)
    listed = [e for value in route.data.values() for e in _entries(value)]
    if not listed:   # listings that read the site directly: everything published under their URL
        listed = [e for e in _all_entries(site) if url_of(e).startswith(route.url)]
    return dates.newest(e.source.path for e in listed)


def _all_entries(site) -> Iterator[Entry]:
    yield from site.cities
    yield from site.practices
    yield from site.bulletins
    for issue in site.vestnik:
        yield issue
        yield from issue.articles
    yield from site.pages


def page_dates(dates: SourceDates, site: Site) -> Callable[[Route], dt.date | None]:
    """The sitemap's date of each page, remembered per page and per listing."""
    cache: dict[str, dt.date | None] = {}
    by_listing: dict[int, tuple[object, dt.date | None]] = {}

    def lastmod(route: Route) -> dt.date | None:
        if route.url not in cache:
            listing = route.data.get("listing")
            if listing is not None and len(route.data) and route.entry is None:
                # Every page of a paginated listing shows part of one list: one answer for all.
                known = by_listing.get(id(listing))
                if known is None or known[0] is not listing:
                    known = (listing, route_lastmod(dates, site, route))
                    by_listing[id(listing)] = known
                cache[route.url] = known[1]
            else:
                cache[route.url] = route_lastmod(dates, site, route)
        return cache[route.url]

    return lastmod
