"""The preview's warm rebuild: what ``serve`` keeps in memory between builds, and the short
way for the commonest edit while writing — the text of an entry changed, nothing else.

After each successful build the preview keeps the loaded records, the site model, the
routes and the key of every page. When the files saved since are all known entries whose
front matter (and the links and images of their text) did not change, only their text
differs: no field the model is made of, no listing and no other page's key can have
changed (listings show the front matter of what they list, see ``incremental``). Then
the edited files alone are read and validated again, their new text is put into the
model in place, and the build renders the pages of those entries only; every other key
is the previous one. Anything else (a new or removed file, a front-matter change, a
template, ``site.yaml``, a mistake, a new day) takes the full incremental build, which
reads everything again.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .content import Content, Entry, Rejected, Source
from .content.kinds import load_bulletin, load_city, load_news, load_page, load_practice, load_vestnik_issue
from .content.records import CONTENT_DIR
from .errors import Problems

if TYPE_CHECKING:
    from .context import BuildContext
    from .gitdates import SourceDates
    from .images import Picture
    from .model import Site
    from .routes import Route
    from .settings import Settings

# The collections whose files are records of their own, read by one loader each (events
# have material folders and contest editions other checks: they take the full build).
_LOADERS: dict[str, Callable[..., Any]] = {"cities": load_city, "practices": load_practice,
                                           "bulletins": load_bulletin, "news": load_news, "pages": load_page}


def _reload(root: Path, path: str, settings: Settings, problems: Problems) -> tuple[str, Any] | None:
    """(collection, record) read again from the file at ``path`` (a Vestnik article: its whole
    issue, which is one record); None for a file that is no record of its own."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == CONTENT_DIR and parts[1] in _LOADERS and parts[2].endswith(".md"):
        return parts[1], _LOADERS[parts[1]](root, root / path, settings, problems)
    if len(parts) == 4 and parts[:2] == [CONTENT_DIR, "vestnik"] and parts[3].endswith(".md"):
        return "vestnik", load_vestnik_issue(root, root / CONTENT_DIR / "vestnik" / parts[2], settings, problems)
    return None


def _same_source_but_text(old: Source, new: Source) -> bool:
    return (old.path, old.lines, old.body_line, old.meta_digest, old.links) == \
        (new.path, new.lines, new.body_line, new.meta_digest, new.links)


def same_but_text(old: Any, new: Any) -> bool:
    """Whether two records of one file differ in their Markdown text at most: same front
    matter, same links and images in the text (the link check and the image pipeline see
    those), same articles for an issue."""
    if type(old) is not type(new):
        return False
    for item in dataclasses.fields(old):
        before, after = getattr(old, item.name), getattr(new, item.name)
        if item.name == "body":
            continue
        if item.name == "source":
            if not _same_source_but_text(before, after):
                return False
        elif item.name == "articles":
            if len(before) != len(after) or not all(map(same_but_text, before, after)):
                return False
        elif before != after:
            return False
    return True


def _swap_text(target: Entry, new: Entry) -> None:
    """Give the model's entry the new text in place: every list, grouping and route that
    holds it sees it. (Records are frozen against accidents, not against this: nothing the
    model derives from an entry looks at its text or its file's hash.)"""
    object.__setattr__(target, "body", new.body)
    object.__setattr__(target, "source", new.source)


@dataclass
class Warm:
    """What the preview keeps between its builds (one per ``serve`` process)."""
    content: Content | None = None
    site: Site | None = None
    routes: list[Route] = field(default_factory=list)
    code_key: str = ""
    keys: dict[str, str] = field(default_factory=dict)      # output path → page key of the last build
    global_key: str = ""                                    # of the last build's pages (incremental)
    all_key: str = ""
    dates: SourceDates | None = None                        # the last build's dates of the files
    pictures: dict[str, Picture] | None = None              # the last build's (PageFacts.pictures)
    # Set by ``patch``: the files whose text alone changed, for the next build to take the short way.
    patched: frozenset[str] | None = None

    @property
    def ready(self) -> bool:
        return self.site is not None and self.content is not None and bool(self.keys)

    def forget(self) -> None:
        """After a failed build, or anything the short way cannot follow: the next build is full."""
        self.content, self.site, self.routes, self.keys, self.dates, self.patched = None, None, [], {}, None, None
        self.pictures = None

    def patch(self, root: Path, changed: set[str], today: dt.date) -> bool:
        """Take the changed files' new text into the model when that is all that changed.

        ``changed`` are paths relative to ``root``. Returns False, leaving the model as it
        was, when the next build must be a full one.
        """
        self.patched = None
        if not self.ready or not changed or self.site is None or self.content is None or \
                self.site.options.today != today:
            return False
        settings = self.site.settings
        reloaded: dict[str, tuple[str, Any, Any]] = {}   # first file of the record → (collection, old, new)
        for path in sorted(changed):
            found = self._record_of(path)
            if found is None:
                return False
            collection, old = found
            if old.source.path in reloaded:
                continue
            problems = Problems()
            loaded = _reload(root, path, settings, problems)
            if loaded is None:
                return False
            new = loaded[1]
            # A mistake is reported by the full build, with every other file's.
            if problems or new is None or isinstance(new, Rejected) or not same_but_text(old, new):
                return False
            reloaded[old.source.path] = (collection, old, new)
        published = self._published_entries()
        for collection, old, new in reloaded.values():
            records = getattr(self.content, collection)
            records[records.index(old)] = new
            pairs = [(old, new), *zip(getattr(old, "articles", ()), getattr(new, "articles", ()), strict=True)]
            for before, after in pairs:
                for target in published.get(before.source.path, ()):
                    _swap_text(target, after)
        self.patched = frozenset(old.source.path for _, old, new in reloaded.values()) | frozenset(
            article.source.path for _, old, new in reloaded.values()
            for before, article in zip(getattr(old, "articles", ()), getattr(new, "articles", ()), strict=True)
            if before.source.digest != article.source.digest)
        return True

    def _record_of(self, path: str) -> tuple[str, Any] | None:
        """(collection, record) of the loaded record made from the file at ``path``."""
        assert self.content is not None
        for collection in _LOADERS:
            for record in getattr(self.content, collection):
                if record.source.path == path:
                    return collection, record
        for issue in self.content.vestnik:
            if issue.source.path == path or any(article.source.path == path for article in issue.articles):
                return "vestnik", issue
        return None

    def _published_entries(self) -> dict[str, list[Entry]]:
        """The model's entries by file (a record and its published copy may be two objects)."""
        assert self.site is not None
        site = self.site
        found: dict[str, list[Entry]] = {}
        entries: list[Entry] = [*site.cities, *site.practices, *site.bulletins, *site.news, *site.pages]
        for issue in site.vestnik:
            entries += [issue, *issue.articles]
        for entry in entries:
            found.setdefault(entry.source.path, []).append(entry)
        return found

    def unchanged_but(self, global_key: str, dates: Any) -> frozenset[str] | None:
        """The files whose pages alone need new keys in this build, when the model was patched
        and nothing else that page keys are made of changed since the last build: the same
        global key, the same dates of every other file (no commit, no other file edited)."""
        old = self.dates
        if self.patched is None or global_key != self.global_key or old is None or \
                getattr(dates, "history", None) is None:
            return None
        before, now = old.history, dates.history
        if before.in_git != now.in_git or before.committed != now.committed or \
                before.uncommitted - self.patched != now.uncommitted - self.patched:
            return None
        return self.patched

    def dates_unchanged(self, dates: Any) -> bool:
        """Whether the edited files keep the dates they had (the sitemap shows them)."""
        old = self.dates
        return old is not None and self.patched is not None and all(
            path in old.known and old.known[path] == dates(path) for path in self.patched)

    def remember(self, context: BuildContext, content: Content | None) -> None:
        """After a successful build: what the next one may start from."""
        if content is not None:
            self.content = content
        self.site, self.routes, self.code_key = context.site, context.routes, context.code_key
        self.keys, self.global_key, self.all_key = context.page_keys, context.global_key, context.all_key
        self.pictures = context.facts.pictures
        dates: Any = context.facts.updated_of
        if not hasattr(dates, "history"):
            dates = None
        elif context.edited_only is not None and self.dates is not None:
            # The other files' dates were found unchanged: what the last build knew still holds.
            for path, date in self.dates.known.items():
                if path not in context.edited_only:
                    dates.known.setdefault(path, date)
        self.dates = dates
        self.patched = None
