"""Step "pdf": print PDFs of every «Вестник МАГ» issue and bulletin, and the archive's covers.

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
from ..errors import BuildFailed, Problems
from ..output import StagedOutput
from ..pdf import (
    CACHE_SUBDIR,
    MAGAZINE_SIGNATURE,
    Entry,
    FileDigests,
    Job,
    RenderFailed,
    cached,
    code_version,
    document_key,
    prune,
    render_all,
)
from ..print_html import PrintDocument, bulletin_document, print_environment, vestnik_document
from ..render_html import make_environment
from .base import Step


@dataclass(frozen=True)
class MadeDocument:
    url: str            # where the PDF is published
    entry: Entry        # its cache entry
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

        version = code_version()
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
        sources = {job.name: job.source for job in jobs}
        for result in sorted(results, key=lambda item: item.name):
            for warning in result.warnings:   # as the editor's problems are: path:line: field: message
                context.log(f"{sources[result.name]}:1: -: print edition {result.name}: {warning}")

        facts = context.facts
        for document in documents:
            entry = entries[document.url]
            meta = json.loads(entry.meta.read_text(encoding="utf-8"))
            facts.pdfs[document.url] = PdfInfo(meta["size"], meta["pages"])
            issue = issues.get(document.url)
            cover_url = None
            if issue is not None and not issue.cover and meta.get("cover"):
                cover_url = document.url[: -len(".pdf")] + "-cover.jpg"
                facts.covers[issue.number] = cover_url
            self.made.append(MadeDocument(document.url, entry, cover_url))
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
            if made.cover_url is not None:
                staged.write(made.cover_url.lstrip("/"), made.entry.cover.read_bytes())


def collect_documents(context: BuildContext) -> list[PrintDocument]:
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
