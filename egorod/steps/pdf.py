"""Step "pdf": print PDFs of every «Вестник МАГ» issue, analytic collection and bulletin (the
reader's edition and the print shop's), and the archive's covers.

Its ``prepare`` makes (or finds unchanged in the cache) every PDF, because issue pages show
the size and page count of their PDF and the Vestnik archive a cover image per issue; its
``run`` puts the files into the output.
"""
from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path

from .. import routes as r
from ..context import BuildContext, PdfInfo
from ..errors import BuildFailed, Problem, Problems
from ..i18n import _
from ..output import StagedOutput
from ..pdf import (
    CACHE_SUBDIR,
    MAGAZINE_SIGNATURE,
    PRINT_DPI,
    Entry,
    FileDigests,
    Job,
    PressSettings,
    RenderFailed,
    cached,
    code_version,
    document_key,
    prune,
    render_all,
)
from ..print_html import PrintDocument, bulletin_document, collection_document, print_environment, vestnik_document
from ..render_html import make_environment
from ..settings import PrintSettings
from .base import Step


@dataclass(frozen=True)
class MadeDocument:
    url: str            # where the reader's edition is published
    print_url: str      # where the print shop's edition is published
    entry: Entry        # their cache entry
    cover_url: str | None   # the cover image made from its first page, if any


class PdfStep(Step):
    name = "pdf"

    def __init__(self) -> None:
        self.made: list[MadeDocument] = []

    def prepare(self, context: BuildContext, staged: StagedOutput) -> None:
        config = context.config
        root = config.root
        folder = Path(config.cache) / CACHE_SUBDIR
        folder.mkdir(parents=True, exist_ok=True)
        documents = collect_documents(context)
        check_images(root, documents)
        check_output_profile(root, context.settings.print)
        for message in incomplete_imprints(documents):
            context.warn(message)

        version = code_version()
        digests = FileDigests(root)
        issues = {r.vestnik_pdf_url(issue.number): issue for issue in context.site.vestnik}
        entries: dict[str, Entry] = {}
        jobs: list[Job] = []
        reused: list[str] = []
        for document in documents:
            job = make_job(context, document, version, folder)
            entry = Entry(folder, document.name, job.key)
            entries[document.url] = entry
            if cached(entry, digests) is not None:
                reused.append(document.name)
                continue
            jobs.append(job)

        try:
            results = render_all(jobs, quiet=config.quiet, workers=config.workers)
        except RenderFailed as failed:
            problems = Problems()
            for job, error in failed.failures:
                problems.add(job.source, 1, "-", f"the print edition {job.name} could not be made "
                             f"({type(error).__name__}: {error}); the web pages are not affected — "
                             "build with --no-pdf to go on, and report this to the developers")
            raise BuildFailed(problems.sorted()) from None
        sources = {job.name: job.source for job in jobs}
        for result in sorted(results, key=lambda item: item.name):
            for warning in result.warnings:   # as the editor's problems are: path:line: field: message
                context.warn(_("{path}:1: -: print edition {name}: {warning}").format(
                    path=sources[result.name], name=result.name, warning=warning))

        facts = context.facts
        for document in documents:
            entry = entries[document.url]
            meta = json.loads(entry.meta.read_text(encoding="utf-8"))
            facts.pdfs[document.url] = PdfInfo(meta["size"], meta["pages"])
            facts.pdfs[document.print_url] = PdfInfo(meta["print_size"], meta["print_pages"])
            # Told on every build, not only when the document is rendered: it is still true.
            for image, dpi in meta["low_resolution"]:
                context.warn(_("{path}:1: image: {image} is printed at {dpi} dpi in {name}; the print shop "
                               "needs {needed} (give a larger image or show it smaller)").format(
                                   path=document.source, image=image, dpi=dpi,
                                   name=document.print_url.rsplit("/", 1)[-1], needed=PRINT_DPI))
            issue = issues.get(document.url)
            cover_url = None
            if issue is not None and not issue.cover and meta.get("cover"):
                cover_url = document.url[: -len(".pdf")] + "-cover.jpg"
                facts.covers[issue.number] = cover_url
            self.made.append(MadeDocument(document.url, document.print_url, entry, cover_url))
        prune(folder, {d.name for d in documents}, {e.pdf for e in entries.values()})

        report = context.report
        report.pdf_rendered = sorted(result.name for result in results)
        report.pdf_cached = sorted(reused)
        report.pdf_seconds = {result.name: result.seconds for result in results}
        if results:
            pages = sum(result.pages for result in results)
            seconds = sum(result.seconds for result in results)
            context.log(f"PDF: rendered {len(results)} ({pages} pages, {seconds / pages:.2f} s per page "
                        f"of worker time), {len(reused)} unchanged")
        elif reused:
            context.log(f"PDF: all {len(reused)} unchanged")

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        for made in self.made:
            staged.write(made.url.lstrip("/"), made.entry.pdf.read_bytes())
            staged.write(made.print_url.lstrip("/"), made.entry.print_pdf.read_bytes())
            if made.cover_url is not None:
                staged.write(made.cover_url.lstrip("/"), made.entry.cover.read_bytes())


# What is printed as a magazine is (stapled sheets: pages a multiple of four); a bulletin is loose.
BOUND = ("vestnik", "collection")


def make_job(context: BuildContext, document: PrintDocument, version: str, folder: Path) -> Job:
    """The rendering job of one document (its cache key included)."""
    issues = {r.vestnik_pdf_url(issue.number): issue for issue in context.site.vestnik}
    # The cover image is made from the PDF unless the editor gave one of their own.
    cover = document.url in issues and not issues[document.url].cover
    press = press_settings(context.settings.print)
    return Job(document.name, document_key(document, version, cover, press), document.html,
               str(context.config.root), str(folder), cover=cover,
               signature=MAGAZINE_SIGNATURE if document.kind in BOUND else 1, source=document.source,
               press=press)


def press_settings(settings: PrintSettings) -> PressSettings:
    return PressSettings(crop_marks=settings.crop_marks, output_profile=settings.output_profile,
                         output_condition=settings.output_condition)


def incomplete_imprints(documents: list[PrintDocument]) -> list[str]:
    """What each print edition's imprint lacks, as messages for the build's log."""
    return [_("{name}: the imprint of the print edition lacks: {fields} (a print shop will not "
              "take the issue without them; {source})").format(
                  name=document.print_url.rsplit("/", 1)[-1], fields=", ".join(missing), source=document.source)
            for document in documents
            if document.imprint is not None and (missing := document.imprint.missing())]


def collect_documents(context: BuildContext) -> list[PrintDocument]:
    site = context.site
    env = print_environment(make_environment(context.config.root, site, context.bodies))
    documents = []
    for issue in site.vestnik:
        name = f"vestnik-{issue.number}.pdf"
        documents.append(vestnik_document(env, context.bodies, site.settings, issue, name,
                                          r.vestnik_pdf_url(issue.number),
                                          r.vestnik_print_pdf_url(issue.number)))
    kinds = site.settings.event_kind_names
    for collection in site.collections:
        event = site.event_by_key[collection.event]
        documents.append(collection_document(env, context.bodies, site.settings, collection, event,
                                             kinds.get(event.kind, event.kind), site.city_by_slug,
                                             r.collection_pdf_name(event), r.collection_pdf_url(event),
                                             r.collection_print_pdf_url(event)))
    for bulletin in site.bulletins:
        name = f"bulletin-{bulletin.number}.pdf"
        cities = [site.city_by_slug[c] for c in bulletin.cities if c in site.city_by_slug]
        documents.append(bulletin_document(env, context.bodies, site.settings, bulletin, name,
                                           r.bulletin_pdf_url(bulletin.number),
                                           r.bulletin_print_pdf_url(bulletin.number), cities))
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


def check_output_profile(root: Path, settings: PrintSettings) -> None:
    """The print edition's output intent needs the printing condition's CMYK profile."""
    path = root / settings.output_profile
    try:
        header = path.read_bytes()[:20]
    except OSError:
        header = b""
    if header[16:20] != b"CMYK":
        raise BuildFailed([Problem("site.yaml", 0, "print.output_profile", _(
            "{path!r} is not a CMYK ICC profile; the print edition (PDF/X-4) needs the printing "
            "condition's profile, from the print shop").format(path=settings.output_profile))])


def _line_of(path: Path, needle: str) -> tuple[int, str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0, needle
    for number, line in enumerate(lines, 1):
        if needle in line:
            return number, needle
    return 0, needle
