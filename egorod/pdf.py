"""Print PDFs: each «Вестник МАГ» issue and each bulletin, made with WeasyPrint.

The output step ``write_pdfs`` runs before the HTML step, because issue pages show the
size and page count of their PDF and the Vestnik archive shows a cover image per issue.

Cost. The print HTML of every document is assembled in this process (cheap); WeasyPrint
runs only for documents that changed. A document's cache entry (``.cache/pdf/``) is
keyed by a hash of its print HTML — content, templates and the Markdown renderer's
typography all end up there — together with the versions of this module and of the
rendering libraries; the entry also lists every file WeasyPrint read (stylesheet,
fonts, images, logo) with its hash, and is used only while all of them are unchanged.
Documents to render are shared among worker processes, with a progress bar.

Reproducibility. The same content gives byte-identical PDFs: dates come from the issue
date, the PDF identifier from the cache key, the font subset tags from the fonts, and
nothing depends on the clock, the machine's fonts or the output folder.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import io
import json
import logging
import multiprocessing
import os
import posixpath
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from . import routes as r
from .errors import BuildFailed, Problems
from .parallel import die_with_parent, process_count
from .print_html import PrintDocument, bulletin_document, filler_html, print_environment, vestnik_document
from .render_html import make_environment

if TYPE_CHECKING:
    from .output import StagedOutput
    from .pipeline import BuildContext

CACHE_SUBDIR = "pdf"
CACHE_FORMAT = "egorod-pdf-3"          # bump when the cache layout or rendering options change
COVER_WIDTH = 420                      # px; shown at 210 px in the archive (2× for dense screens)
COVER_QUALITY = 84
MAGAZINE_SIGNATURE = 4                 # a stapled magazine has a multiple of 4 pages
KEEP_VARIANTS = 2                      # cache entries kept per document (e.g. with and without drafts)


@dataclass(frozen=True)
class PdfInfo:
    """What issue pages show next to a PDF link."""
    size: int       # bytes
    pages: int


@dataclass(frozen=True)
class Job:
    """One document to render; plain data, so it can be sent to a worker process."""
    name: str
    key: str
    html: str
    root: str
    cache: str
    cover: bool
    signature: int = 1
    source: str = ""        # the editor's file, for error messages


@dataclass(frozen=True)
class Rendered:
    name: str
    key: str
    pages: int
    size: int
    seconds: float
    warnings: tuple[str, ...] = ()


@dataclass
class Entry:
    """A cache entry: ``<stem>.<key>.pdf`` with ``.json`` metadata and maybe ``.jpg``."""
    folder: Path
    name: str
    key: str

    @property
    def stem(self) -> str:
        return f"{Path(self.name).stem}.{self.key[:24]}"

    @property
    def pdf(self) -> Path:
        return self.folder / f"{self.stem}.pdf"

    @property
    def meta(self) -> Path:
        return self.folder / f"{self.stem}.json"

    @property
    def cover(self) -> Path:
        return self.folder / f"{self.stem}.jpg"


# --- hashing --------------------------------------------------------------------------

def _code_version() -> str:
    """This module, the HTML assembly and the rendering libraries, as one hash."""
    import pydyf
    import pypdfium2
    import weasyprint

    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for module in ("pdf.py", "print_html.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    digest.update(f"{weasyprint.__version__}|{pydyf.__version__}|"
                  f"{pypdfium2.version.PYPDFIUM_INFO}".encode())
    return digest.hexdigest()


def document_key(document: PrintDocument, code_version: str, cover: bool) -> str:
    digest = hashlib.sha256(code_version.encode())
    digest.update(f"{document.name}|cover={cover}|".encode())
    digest.update(document.html.encode("utf-8"))
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


class FileDigests:
    """Hashes of repository files, each file read once per build."""

    def __init__(self, root: Path):
        self.root = root
        self._known: dict[str, str] = {}

    def __call__(self, relative: str) -> str:
        if relative not in self._known:
            self._known[relative] = file_digest(self.root / relative)
        return self._known[relative]


def cached(entry: Entry, digests: FileDigests) -> dict | None:
    """The entry's metadata when it is complete and every file it was made from is unchanged."""
    try:
        meta = json.loads(entry.meta.read_text(encoding="utf-8"))
        size = entry.pdf.stat().st_size
    except (OSError, ValueError):
        return None
    if meta.get("key") != entry.key or meta.get("size") != size:
        return None
    # A file damaged in the cache (truncated, changed) is made again, never published.
    if file_digest(entry.pdf) != meta.get("sha256"):
        return None
    if meta.get("cover") and file_digest(entry.cover) != meta.get("cover_sha256"):
        return None
    if any(digests(path) != digest for path, digest in meta.get("files", {}).items()):
        return None
    return meta


# --- rendering (in worker processes) ----------------------------------------------------

def _weasyprint_fetcher(root: Path):
    from weasyprint.urls import URLFetcher

    class RepositoryFetcher(URLFetcher):
        """Reads files of the repository only (no network: builds are reproducible and a
        PDF never depends on a third-party host) and remembers which files it read."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
            self.files: set[str] = set()

        def fetch(self, url: str, headers: Any = None):
            if url.startswith("file:"):
                path = os.path.normpath(url2pathname(urlsplit(url).path))
                relative = os.path.relpath(path, root)
                if relative == ".." or relative.startswith(".." + os.sep) or os.path.isabs(relative):
                    raise ValueError(f"{url} is outside the repository")
                self.files.add(Path(relative).as_posix())
            return super().fetch(url, headers)

    return RepositoryFetcher()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cover_jpeg(pdf: bytes, width: int = COVER_WIDTH) -> bytes:
    """The first page, cut to its trim box (no bleed, no crop marks), as a JPEG."""
    import pypdfium2
    from PIL import Image

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        media = page.get_mediabox()
        trim = page.get_trimbox()
        crop = (trim[0] - media[0], trim[1] - media[1], media[2] - trim[2], media[3] - trim[3])
        trim_width, trim_height = trim[2] - trim[0], trim[3] - trim[1]
        # A little larger, then down to the exact size (PDFium rounds the bitmap down).
        bitmap = page.render(scale=(width + 2) / trim_width, crop=crop)
        image = bitmap.to_pil().convert("RGB")
        page.close()
    finally:
        document.close()
    image = image.resize((width, round(width * trim_height / trim_width)), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=COVER_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def _footnote_workarounds() -> None:
    """Two footnote bugs of WeasyPrint's layout, patched where they occur (idempotent).

    1. ``LayoutContext._update_footnote_area`` reports an overflow when the bottom of the
       last note exceeds the bottom of the footnote area, comparing float sums exactly.
       Summed in different orders they differ by ~1e-13 px, so a note that fits goes to
       the next page (seen whenever ``@footnote`` has a border and padding). An area of
       automatic height cannot really overflow: we re-check with a tolerance.
    2. ``layout.column._report_footnotes`` moves notes to the next page until the area is
       low enough, and fails with IndexError when the empty area (its margin, border and
       padding) is still higher than allowed: we stop when no note is left to move.
    """
    from math import inf

    from weasyprint.formatting_structure import build
    from weasyprint.layout import LayoutContext, column
    from weasyprint.layout.block import block_level_layout

    update = LayoutContext._update_footnote_area
    if not getattr(update, "egorod_patched", False):
        def tolerant_update(self):  # noqa: ANN001 - WeasyPrint's own signature
            if not update(self):
                return False
            area = self.current_footnote_area
            if area.style["height"] != "auto" or area.style["max_height"].value != inf:
                return True
            laid = block_level_layout(self, build.create_anonymous_boxes(area.deepcopy()), -inf,
                                      None, area.page)[0]
            last = laid.children[-1]
            bottom = last.position_y + last.margin_height() - last.margin_bottom
            return bottom > laid.position_y + laid.margin_height() - laid.margin_bottom + 0.01

        tolerant_update.egorod_patched = True
        LayoutContext._update_footnote_area = tolerant_update

    report = getattr(column, "_report_footnotes", None)
    if report is not None and not getattr(report, "egorod_patched", False):
        def safe_report(context, footnotes_height):  # noqa: ANN001
            reported = 0
            while (context.current_page_footnotes
                   and context.current_footnote_area.margin_height() > footnotes_height):
                context.report_footnote(context.current_page_footnotes[-1])
                reported += 1
            if reported >= 2:   # keep the moved notes in their order
                extra = context.reported_footnotes[-1:-reported - 1:-1]
                context.reported_footnotes[-reported:] = extra

        safe_report.egorod_patched = True
        column._report_footnotes = safe_report


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render(job: Job) -> Rendered:
    """Render one document with WeasyPrint into the cache (runs in a worker process)."""
    from weasyprint import HTML
    from weasyprint.logger import LOGGER

    _footnote_workarounds()
    started = time.perf_counter()
    root = Path(job.root)
    base_url = root.as_uri() + "/"
    collect = _Collect()
    LOGGER.addHandler(collect)
    try:
        fetcher = _weasyprint_fetcher(root)
        document = HTML(string=job.html, base_url=base_url, url_fetcher=fetcher).render()
        missing = -len(document.pages) % job.signature
        if missing:
            # Blank pages before the back cover complete the last sheet of the magazine.
            filler = HTML(string=filler_html(missing), base_url=base_url, url_fetcher=fetcher).render()
            document = document.copy(document.pages[:-1] + filler.pages + document.pages[-1:])
        pages = len(document.pages)
        pdf = document.write_pdf(pdf_identifier=job.key[:32].encode("ascii"))
    finally:
        LOGGER.removeHandler(collect)
    entry = Entry(Path(job.cache), job.name, job.key)
    cover = cover_jpeg(pdf) if job.cover else b""
    if job.cover:
        _atomic_write(entry.cover, cover)
    _atomic_write(entry.pdf, pdf)
    files = {path: file_digest(root / path) for path in sorted(fetcher.files)}
    meta = {"key": job.key, "name": job.name, "pages": pages, "size": len(pdf),
            "sha256": hashlib.sha256(pdf).hexdigest(), "cover": job.cover,
            "cover_sha256": hashlib.sha256(cover).hexdigest() if job.cover else None, "files": files}
    _atomic_write(entry.meta, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))
    return Rendered(job.name, job.key, pages, len(pdf), time.perf_counter() - started,
                    tuple(collect.messages))


class RenderFailed(Exception):
    def __init__(self, failures: list[tuple[Job, BaseException]]):
        super().__init__(", ".join(job.name for job, _ in failures))
        self.failures = failures


def _start_method() -> str:
    """``fork`` is fastest (the worker inherits the imported modules), but forking a process
    that runs other threads (``serve`` watches files) can deadlock: spawn then."""
    methods = multiprocessing.get_all_start_methods()
    return "fork" if "fork" in methods and threading.active_count() == 1 else "spawn"


def render_all(jobs: list[Job], quiet: bool = False, workers: int | None = None) -> list[Rendered]:
    """Render the jobs, biggest first, in worker processes when there is more than one.

    A document that fails does not stop the others; all failures are raised together.
    """
    from tqdm import tqdm

    if not jobs:
        return []
    jobs = sorted(jobs, key=lambda job: (-len(job.html), job.name))
    workers = min(len(jobs), process_count(workers))
    results: list[Rendered] = []
    failures: list[tuple[Job, BaseException]] = []
    with tqdm(total=len(jobs), desc="PDF", unit="pdf", file=sys.stderr, disable=quiet,
              dynamic_ncols=True, leave=False) as progress:
        def done(job: Job, outcome: Rendered | BaseException) -> None:
            if isinstance(outcome, BaseException):
                failures.append((job, outcome))
            else:
                results.append(outcome)
            progress.set_postfix_str(job.name)
            progress.update()

        if workers == 1:
            for job in jobs:
                try:
                    outcome: Rendered | BaseException = render(job)
                except Exception as exc:     # reported with the document's name below
                    outcome = exc
                done(job, outcome)
        else:
            context = multiprocessing.get_context(_start_method())
            with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent,
                                                        initargs=(os.getpid(),)) as pool:
                futures = {pool.submit(render, job): job for job in jobs}
                for future in concurrent.futures.as_completed(futures):
                    error = future.exception()
                    done(futures[future], error if error is not None else future.result())
    if failures:
        raise RenderFailed(failures)
    return results


# --- the pipeline step ------------------------------------------------------------------

def collect_documents(context: "BuildContext") -> list[PrintDocument]:
    site = context.site
    env = print_environment(make_environment(context.config.root, site, context.bodies))
    documents = []
    for issue in site.vestnik:
        name = f"vestnik-{issue.number}.pdf"
        documents.append(vestnik_document(env, context.bodies, site.settings, issue, name,
                                          r.vestnik_pdf_url(issue.number)))
    for bulletin in site.bulletins:
        name = f"bulletin-{bulletin.number}.pdf"
        cities = [site.city_by_slug[c] for c in bulletin.cities if c in site.city_by_slug]
        documents.append(bulletin_document(env, context.bodies, site.settings, bulletin, name,
                                           r.bulletin_pdf_url(bulletin.number), cities))
    return documents


def check_images(root: Path, documents: list[PrintDocument]) -> None:
    """Every image a printed document shows must be a file of the repository."""
    problems = Problems()
    for document in documents:
        for image, source in document.images:
            remote = "://" in image or image.startswith("//")
            local = root / image
            if (not remote and not image.startswith("../") and local.is_file() and not local.is_symlink()
                    and local.resolve().is_relative_to(root.resolve())):
                continue
            line, shown = _line_of(root / source, posixpath.basename(image))
            if remote:
                message = (f"image {shown!r} is on another site; the printed edition needs the file "
                           "itself: save it beside the Markdown file and link it by name")
            else:
                message = (f"image {shown!r} not found (looked for {image}); put the file beside "
                           "the Markdown file or correct the name")
            problems.add(source, line, "body", message)
    if problems:
        raise BuildFailed(problems.sorted())


def _line_of(path: Path, needle: str) -> tuple[int, str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0, needle
    for number, line in enumerate(lines, 1):
        if needle in line:
            return number, needle
    return 0, needle


def prune(folder: Path, names: set[str], keep: set[Path]) -> None:
    """Drop old cache entries of the documents built now, keeping a few recent variants."""
    if not folder.is_dir():
        return
    groups: dict[str, list[Path]] = {}
    for meta in folder.glob("*.json"):
        name = meta.name.split(".", 1)[0] + ".pdf"
        if name in names:
            groups.setdefault(name, []).append(meta)
    for metas in groups.values():
        metas.sort(key=lambda p: (p.with_suffix(".pdf") in keep, p.stat().st_mtime), reverse=True)
        for meta in metas[KEEP_VARIANTS:]:
            for suffix in (".json", ".pdf", ".jpg"):
                meta.with_suffix(suffix).unlink(missing_ok=True)


def write_pdfs(context: "BuildContext", staged: "StagedOutput") -> None:
    config = context.config
    root = config.root
    folder = Path(config.cache) / CACHE_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    documents = collect_documents(context)
    check_images(root, documents)

    version = _code_version()
    digests = FileDigests(root)
    issues = {r.vestnik_pdf_url(issue.number): issue for issue in context.site.vestnik}
    entries: dict[str, Entry] = {}
    jobs: list[Job] = []
    reused: list[str] = []
    for document in documents:
        # The cover image is made from the PDF unless the editor gave one of their own.
        cover = document.url in issues and not issues[document.url].cover
        entry = Entry(folder, document.name, document_key(document, version, cover))
        entries[document.url] = entry
        if cached(entry, digests) is not None:
            reused.append(document.name)
            continue
        jobs.append(Job(document.name, entry.key, document.html, str(root), str(folder), cover=cover,
                        signature=MAGAZINE_SIGNATURE if document.kind == "vestnik" else 1,
                        source=document.source))

    try:
        results = render_all(jobs, quiet=config.quiet, workers=config.workers)
    except RenderFailed as failed:
        problems = Problems()
        for job, error in failed.failures:
            problems.add(job.source, 1, "-", f"the print edition {job.name} could not be made "
                         f"({type(error).__name__}: {error}); the web pages are not affected — "
                         "build with --no-pdf to go on, and report this to the developers")
        raise BuildFailed(problems.sorted()) from None
    for result in sorted(results, key=lambda item: item.name):
        for warning in result.warnings:
            context.log(f"{result.name}: WeasyPrint: {warning}")

    info: dict[str, PdfInfo] = {}
    covers: dict[int, str] = {}
    for document in documents:
        entry = entries[document.url]
        meta = json.loads(entry.meta.read_text(encoding="utf-8"))
        staged.write(document.url.lstrip("/"), entry.pdf.read_bytes())
        info[document.url] = PdfInfo(meta["size"], meta["pages"])
        issue = issues.get(document.url)
        if issue is not None and not issue.cover and meta.get("cover"):
            cover_url = document.url[: -len(".pdf")] + "-cover.jpg"
            staged.write(cover_url.lstrip("/"), entry.cover.read_bytes())
            covers[issue.number] = cover_url
    prune(folder, {d.name for d in documents}, {e.pdf for e in entries.values()})

    def pdf_info(url: str) -> PdfInfo | None:
        return info.get(url)

    def cover_of(issue: Any) -> str | None:
        if issue.cover:     # an editor's own cover image wins
            return f"{r.vestnik_url(issue.number)}{issue.cover}"
        return covers.get(issue.number)

    context.artifacts.setdefault("template_globals", {}).update(pdf_info=pdf_info, cover_of=cover_of)
    context.artifacts["pdf"] = info
    context.artifacts["pdf_rendered"] = sorted(result.name for result in results)
    context.artifacts["pdf_cached"] = sorted(reused)
    context.artifacts["pdf_seconds"] = {result.name: result.seconds for result in results}
    if results:
        pages = sum(result.pages for result in results)
        seconds = sum(result.seconds for result in results)
        context.log(f"PDF: rendered {len(results)} ({pages} pages, {seconds / pages:.2f} s per page "
                    f"of worker time), {len(reused)} unchanged")
    elif reused:
        context.log(f"PDF: all {len(reused)} unchanged")
