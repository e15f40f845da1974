"""What the build steps share: the configuration of one build, and the typed build context.

A step reads the site model and writes files; what one step tells the pages of another
(feed links, dates from git, PDF sizes, covers) goes into ``PageFacts``: templates receive
it, and ``incremental`` hashes it into the page keys in one place, so a new fact cannot be
forgotten by the cache.
"""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from . import routes as r
from .images import beside, local_image, site_url, srcset
from .parallel import process_count

if TYPE_CHECKING:
    from .images import Picture
    from .model import Site
    from .render_html import BodyCache
    from .routes import Route
    from .settings import Settings
    from .warm import Warm

CACHE_DIR = ".cache"


@dataclass
class BuildConfig:
    root: Path
    out: Path
    drafts: bool = False
    base_url: str | None = None
    pdf: bool = True
    search: bool = True
    compress: bool = True           # .br and .gz twins of text files (not needed by `serve`)
    live_reload: bool = False       # `serve`: pages load the reload script
    today: dt.date | None = None
    quiet: bool = False             # print nothing but errors
    verbose: bool = False           # also print what each step did (figures for developers)
    cache_dir: Path | None = None
    workers: int | None = None      # processes for loading and rendering; None: one per core

    @property
    def cache(self) -> Path:
        return self.cache_dir or (self.root / CACHE_DIR)

    @property
    def processes(self) -> int:
        return process_count(self.workers)


@dataclass(frozen=True)
class FeedLink:
    """A feed announced in every page head (<link rel="alternate">)."""
    type: str
    title: str
    url: str


@dataclass(frozen=True)
class PdfInfo:
    """What issue pages show next to a PDF link."""
    size: int       # bytes
    pages: int


def entry_pictures(entry: Any) -> list[str]:
    """The raster files an entry shows or links to, its front-matter picture first, relative to
    the repository root."""
    # (a city's or a practice's picture; a video's poster)
    shown = getattr(entry, "image", None) or getattr(entry, "poster", None)
    found = [beside(entry.source.path, shown.file)] if shown is not None else []
    found += [beside(entry.source.path, picture.file) for picture in getattr(entry, "pictures", ())]  # an exhibition's
    for target, _line, _image in entry.source.links:
        local = local_image(entry.source.path, target)
        if local is not None and local not in found:
            found.append(local)
    return found


def _no_date(_: Any) -> dt.date | None:
    return None


@dataclass
class PageFacts:
    """Facts that pages show but no content file holds, filled by the steps' prepare phase."""
    live_reload: bool = False
    feeds: list[FeedLink] = field(default_factory=list)
    # the date a source file last changed (git), and a page's date for the sitemap
    updated_of: Callable[[str], dt.date | None] = _no_date
    lastmod: Callable[[Route], dt.date | None] = _no_date
    pdfs: dict[str, PdfInfo] = field(default_factory=dict)   # by URL
    covers: dict[int, str] = field(default_factory=dict)     # Vestnik issue → cover made from its PDF
    assets: dict[str, str] = field(default_factory=dict)     # /static/… → its content-hashed address
    pictures: dict[str, Picture] = field(default_factory=dict)  # a content image's address → its renditions

    def pdf_info(self, url: str) -> PdfInfo | None:
        return self.pdfs.get(url)

    def cover_of(self, issue: Any) -> str | None:
        if issue.cover:     # an editor's own cover image wins
            return f"{r.vestnik_url(issue.number)}{issue.cover}"
        return self.covers.get(issue.number)

    def asset(self, url: str) -> str:
        """The cacheable address of a static file (templates: ``asset('/static/css/site.css')``)."""
        return self.assets[url]

    def open_graph_image(self, route: Route) -> str:
        """The address of the page's picture for social networks, made from its first picture;
        empty when it has none (the template then names the site's own)."""
        for local in entry_pictures(route.entry) if route.entry is not None else []:
            picture = self.pictures.get(site_url(local))
            if picture is not None:
                return picture.open_graph.url
        return ""

    def srcset_of(self, url: str) -> str:
        """The JPEG/PNG widths of a content picture for ``srcset`` (an editor's cover shown as a
        thumbnail needs not its largest file); empty for other images."""
        picture = self.pictures.get(url)
        return srcset(picture.plain) if picture is not None else ""

    def template_globals(self) -> dict[str, Any]:
        return {"live_reload": self.live_reload, "feeds": self.feeds, "updated_of": self.updated_of,
                "pdf_info": self.pdf_info, "cover_of": self.cover_of, "asset": self.asset,
                "pictures": self.pictures, "open_graph_image": self.open_graph_image,
                "srcset_of": self.srcset_of}

    def site_wide(self, site: Site) -> list[str]:
        """A description of the facts every page may show, for the page keys."""
        facts = [repr(self.feeds), repr(self.live_reload), repr(sorted(self.assets.items())),
                 # renditions are named from their source's hash: a new picture, new names
                 repr(sorted((url, picture.clean.key) for url, picture in self.pictures.items()))]
        for bulletin in site.bulletins:
            facts.append(repr(self.pdf_info(r.bulletin_pdf_url(bulletin.number))))
            facts.append(repr(self.pdf_info(r.bulletin_print_pdf_url(bulletin.number))))
        for issue in site.vestnik:
            facts.append(repr(self.pdf_info(r.vestnik_pdf_url(issue.number))))
            facts.append(repr(self.pdf_info(r.vestnik_print_pdf_url(issue.number))))
            facts.append(repr(self.cover_of(issue)))
        for collection in site.collections:
            event = site.event_by_key[collection.event]
            facts.append(repr(self.pdf_info(r.collection_pdf_url(event))))
            facts.append(repr(self.pdf_info(r.collection_print_pdf_url(event))))
        return facts

    def of_page(self, route: Route) -> str:
        """A description of the facts that only this page shows, for its key."""
        return repr(self.updated_of(route.entry.source.path)) if route.entry is not None else ""


@dataclass
class StepReport:
    """What the steps did, for the command's summary, the benchmark and the tests."""
    pages_rendered: list[str] = field(default_factory=list)
    pdf_rendered: list[str] = field(default_factory=list)
    pdf_cached: list[str] = field(default_factory=list)
    pdf_seconds: dict[str, float] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)
    images_made: int = 0            # renditions made by this build (not found in the cache)


@dataclass
class BuildContext:
    config: BuildConfig
    settings: Settings
    site: Site
    routes: list[Route]
    bodies: BodyCache
    code_key: str = ""        # hash of the code and site.yaml: what parsed content depends on
    templates_key: str = ""   # the same and the templates: what every rendered file depends on
    facts: PageFacts = field(default_factory=PageFacts)
    # The key of every page (output path -> key) from the "html" step: the search step reads
    # again only the pages whose key is not the one they had when it last read them; the
    # preview's next build starts from them.
    page_keys: dict[str, str] = field(default_factory=dict)
    # Caches that describe the new output, saved only once it is in place.
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    report: StepReport = field(default_factory=StepReport)
    timings: dict[str, float] = field(default_factory=dict)
    # The preview: told each page of an edited entry as soon as it is rendered (output path,
    # HTML), before the rest of the build is written.
    page_ready: Callable[[str, str], None] | None = None
    # The preview's state when only the text of some entries changed (egorod/warm.py): their
    # pages are the only ones whose keys may differ from the last build's. None otherwise.
    warm: Warm | None = None
    edited_only: frozenset[str] | None = None   # set when the pages of these files alone were keyed again
    global_key: str = ""
    all_key: str = ""

    def warn(self, message: str) -> None:
        """Something an editor must act on (a `path:line:` line), though the build goes on."""
        if not self.config.quiet:
            print(message, file=sys.stderr)

    def log(self, message: str) -> None:
        """What a step did: shown with --verbose only, so that a good build stays quiet."""
        if self.config.verbose and not self.config.quiet:
            print(message, file=sys.stderr)
