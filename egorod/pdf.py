"""Print PDFs: each «Вестник МАГ» issue and each bulletin, made with WeasyPrint.

The step that makes them is ``steps/pdf.py``.

Two editions from one layout. WeasyPrint lays the document out once and writes the reader's
edition (PDF/UA-1: tagged, cut to the trim); the print shop's edition (PDF/X-4: bleed, crop
marks, output intent, blank pages to complete the magazine's last sheet) is made from that
file with pikepdf, in milliseconds, rather than by painting the layout a second time.

Cost. The print HTML of every document is assembled in this process (cheap); WeasyPrint
runs only for documents that changed. A document's cache entry (``.cache/pdf/``) is
keyed by a hash of its print HTML — content, templates and the Markdown renderer's
typography all end up there — together with the versions of this module and of the
rendering libraries; the entry also lists every file WeasyPrint read (stylesheet,
fonts, images, logo) with its hash, and is used only while all of them are unchanged.
Documents to render are shared among worker processes, with a progress bar.

Reproducibility. The same content gives byte-identical PDFs: dates come from the issue
date, the PDF identifier from the document's name and print HTML (the print edition's from
its content), the font subset tags from the fonts, and nothing depends on the clock, the
machine's fonts or the output folder.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from .files import write_atomically
from .parallel import die_with_parent, process_count
from .print_html import PrintDocument

CACHE_SUBDIR = "pdf"
CACHE_FORMAT = "egorod-pdf-4"          # bump when the cache layout or rendering options change
COVER_WIDTH = 420                      # px; shown at 210 px in the archive (2× for dense screens)
COVER_QUALITY = 84
MAGAZINE_SIGNATURE = 4                 # a stapled magazine has a multiple of 4 pages
KEEP_VARIANTS = 2                      # cache entries kept per document (e.g. with and without drafts)
MM = 72 / 25.4                         # PDF points per millimetre
BLEED_MM = 3.0                         # as print.css's @page bleed
MARK_OFFSET_MM = 2.0                   # crop marks start this far outside the bleed...
MARK_LENGTH_MM = 5.0                   # ...and are this long
READER_VARIANT = "pdf/ua-1"
PRINT_DPI = 300                        # what offset printing needs of a photograph


@dataclass(frozen=True)
class PressSettings:
    """What the print shop asks of its file (``print:`` in site.yaml)."""
    crop_marks: bool = True
    output_profile: str = ""        # ICC profile of the printing condition, relative to the root
    output_condition: str = ""      # its registered identifier, e.g. "FOGRA39"


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
    press: PressSettings = field(default_factory=PressSettings)


@dataclass(frozen=True)
class Rendered:
    name: str
    key: str
    pages: int              # of the print edition (the layout's pages, fillers included)
    size: int               # of the reader's edition
    seconds: float
    warnings: tuple[str, ...] = ()


@dataclass
class Entry:
    """A cache entry: the reader's edition ``<stem>.<key>.pdf``, the print edition
    ``<stem>.<key>.print.pdf``, ``.json`` metadata and maybe a ``.jpg`` cover."""
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
    def print_pdf(self) -> Path:
        return self.folder / f"{self.stem}.print.pdf"

    @property
    def meta(self) -> Path:
        return self.folder / f"{self.stem}.json"

    @property
    def cover(self) -> Path:
        return self.folder / f"{self.stem}.jpg"


# --- hashing --------------------------------------------------------------------------

def code_version() -> str:
    """This module, the HTML assembly and the rendering libraries, as one hash."""
    import pikepdf
    import pydyf
    import pypdfium2
    import weasyprint

    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for module in ("pdf.py", "print_html.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    digest.update(f"{weasyprint.__version__}|{pydyf.__version__}|"
                  f"{pypdfium2.version.PYPDFIUM_INFO}|{pikepdf.__version__}".encode())
    return digest.hexdigest()


def document_key(document: PrintDocument, code_version: str, cover: bool,
                 press: PressSettings) -> str:
    digest = hashlib.sha256(code_version.encode())
    digest.update(f"{document.name}|cover={cover}|{press!r}|".encode())
    digest.update(document.html.encode("utf-8"))
    return digest.hexdigest()


def document_identifier(name: str, html: str) -> bytes:
    """The PDF's /ID: the same document gives the same identifier whatever code made it, so
    that a change of the code that leaves the pages as they were leaves the file as it was."""
    return hashlib.sha256(f"{name}|".encode() + html.encode("utf-8")).hexdigest()[:32].encode("ascii")


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
    if file_digest(entry.pdf) != meta.get("sha256") or file_digest(entry.print_pdf) != meta.get("print_sha256"):
        return None
    if meta.get("cover") and file_digest(entry.cover) != meta.get("cover_sha256"):
        return None
    if any(digests(path) != digest for path, digest in meta.get("files", {}).items()):
        return None
    return meta


# --- rendering (in worker processes) ----------------------------------------------------

# The base of the print HTML, mapped to the repository by the fetcher: WeasyPrint names an
# image by a hash of its address, so a real path would make the PDF depend on where the
# checkout lies.
REPOSITORY_PATH = "/egorod-repository"


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
                # What a stylesheet names is resolved against the stylesheet's real address.
                relative = os.path.relpath(path, REPOSITORY_PATH if path.startswith(REPOSITORY_PATH + os.sep) else root)
                if relative == ".." or relative.startswith(".." + os.sep) or os.path.isabs(relative):
                    raise ValueError(f"{url} is outside the repository")
                self.files.add(Path(relative).as_posix())
                url = (root / relative).as_uri()
            return super().fetch(url, headers)

    return RepositoryFetcher()




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
    image = image.resize((width, round(width * trim_height / trim_width)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=COVER_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def _footnote_workarounds() -> None:
    """Two footnote bugs of WeasyPrint's layout, patched where they occur (idempotent).

    1. ``LayoutContext._update_footnote_area`` reports an overflow when the bottom of the
       last note exceeds the bottom of the footnote area, comparing float sums exactly.
       Summed in different orders they differ by ~1e-13 px, so a note that fits goes to
       the next page (seen whenever ``@footnote`` has a border and padding). An area of
       automatic height cannot really overflow: we compare with a tolerance.
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
        # WeasyPrint's own method with the tolerance in its comparison: re-checking after it
        # would lay the footnote area out twice on every overflow (a tenth of a layout's time).
        def tolerant_update(self):  # noqa: ANN001 - WeasyPrint's own signature
            area = self.current_footnote_area
            if area.height != "auto" and not self.in_column:
                self.page_bottom += area.margin_height()
            area.children = self.current_page_footnotes
            if not area.children:
                area.height = 0
                if not self.in_column:
                    self.page_bottom -= area.margin_height()
                return False
            laid = block_level_layout(self, build.create_anonymous_boxes(area.deepcopy()), -inf,
                                      None, area.page)[0]
            area.height = laid.height
            if not self.in_column:
                self.page_bottom -= laid.margin_height()
            last = laid.children[-1]
            bottom = last.position_y + last.margin_height() - last.margin_bottom
            limit = laid.position_y + laid.margin_height() - laid.margin_bottom
            automatic = area.style["height"] == "auto" and area.style["max_height"].value == inf
            return bottom > limit + (0.01 if automatic else 0)

        setattr(tolerant_update, "egorod_patched", True)  # noqa: B010 (a mark on a function)
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

        setattr(safe_report, "egorod_patched", True)  # noqa: B010
        column._report_footnotes = safe_report


# WeasyPrint's notes about the machine, not the document: one per font and issue (85 in a
# build) when libharfbuzz-subset0 is missing, which `make system-deps` and .ci/run install.
_SETUP_NOISE = ("Using fontTools instead of HarfBuzz-Subset",)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(_SETUP_NOISE):
            self.messages.append(message)


def crop_marks(trim: list[float]) -> bytes:
    """Crop marks in registration colour, outside the bleed: the cover's colour runs to
    the bleed's edge and no mark is drawn over it."""
    x0, y0, x1, y1 = trim
    near, far = (BLEED_MM + MARK_OFFSET_MM) * MM, (BLEED_MM + MARK_OFFSET_MM + MARK_LENGTH_MM) * MM
    lines = [(x0 - far, y, x0 - near, y) for y in (y0, y1)] + [(x1 + near, y, x1 + far, y) for y in (y0, y1)]
    lines += [(x, y0 - far, x, y0 - near) for x in (x0, x1)] + [(x, y1 + near, x, y1 + far) for x in (x0, x1)]
    path = " ".join(f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l" for a, b, c, d in lines)
    return f"q 0.25 w 0 J 1 1 1 1 K {path} S Q".encode()


def _grown(box: list[float], by: float) -> list[float]:
    return [box[0] - by, box[1] - by, box[2] + by, box[3] + by]


def reader_finisher(document: Any, pdf: Any) -> None:
    """The reader's edition is the trimmed page: A4, no bleed (a ``write_pdf`` finisher)."""
    import pydyf

    for number in pdf.pages["Kids"][::3]:
        page = pdf.objects[number]
        page["MediaBox"] = pydyf.Array(page["TrimBox"])
        del page["BleedBox"]


def stable_document_id(xmp: bytes, identifier: bytes) -> bytes:
    """WeasyPrint's PDF/X metadata names the document with a random UUID: made from the
    document's identifier instead, so that the same content gives the same file."""
    stable = f"xmp.did:{uuid.UUID(hex=identifier.decode('ascii')[:32])}".encode()
    return re.sub(rb"xmp\.did:[0-9a-f-]{36}", stable, xmp)


def print_edition(reader: bytes, xmp: bytes, press: PressSettings, profile: bytes, fillers: int) -> bytes:
    """The print shop's PDF/X-4, made from the reader's edition rather than painted again
    (painting is a third of WeasyPrint's time; this takes a few milliseconds per page):

    * the bleed around the trim (its content is in the reader's file, outside its media box)
      and crop marks outside it, or the bleed box alone when the print shop adds its own
      marks; whatever lies beyond the bleed clipped away;
    * blank pages before the back cover to complete the magazine's last sheet;
    * the output intent with the printing condition's CMYK profile, and ``DefaultRGB`` =
      sRGB, so that the design's RGB colours and images are device-independent colour,
      which PDF/X-4 accepts beside a CMYK output intent;
    * the PDF/X-4 metadata (``xmp``, from WeasyPrint's own) and ``Trapped``.

    The structure tree stays: PDF/X-4 allows a tagged file.
    """
    import pikepdf
    from weasyprint.pdf import __file__ as weasyprint_pdf

    bleed_by = BLEED_MM * MM
    media_by = (BLEED_MM + MARK_OFFSET_MM + MARK_LENGTH_MM) * MM if press.crop_marks else bleed_by
    with pikepdf.open(io.BytesIO(reader)) as pdf:
        srgb = pdf.make_stream((Path(weasyprint_pdf).parent / "sRGB2014.icc").read_bytes(), N=3)
        wrappers: dict[tuple[float, ...], tuple[Any, Any]] = {}
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            if tuple(trim) not in wrappers:
                x0, y0, x1, y1 = _grown(trim, bleed_by)
                clip = pdf.make_stream(f"q {x0:.3f} {y0:.3f} {x1 - x0:.3f} {y1 - y0:.3f} re W n".encode())
                close = pdf.make_stream(b"Q " + (crop_marks(trim) if press.crop_marks else b""))
                wrappers[tuple(trim)] = (clip, close)
            clip, close = wrappers[tuple(trim)]
            page.contents_add(clip, prepend=True)
            page.contents_add(close)
            page.obj.BleedBox = pikepdf.Array(_grown(trim, bleed_by))
            page.obj.MediaBox = pikepdf.Array(_grown(trim, media_by))
            resources = page.obj.get("/Resources")
            spaces = resources.get("/ColorSpace") if resources is not None else None
            if spaces is not None:
                spaces.DefaultRGB = pikepdf.Array([pikepdf.Name.ICCBased, srgb])
        if fillers:
            last = pdf.pages[-1].obj
            for _ in range(fillers):
                blank = pdf.make_indirect(pikepdf.Dictionary(
                    Type=pikepdf.Name.Page, MediaBox=last.MediaBox, TrimBox=last.TrimBox,
                    BleedBox=last.BleedBox, Resources=pikepdf.Dictionary(),
                    Contents=pdf.make_stream(crop_marks([float(v) for v in last.TrimBox])
                                             if press.crop_marks else b"")))
                pdf.pages.insert(len(pdf.pages) - 1, pikepdf.Page(blank))
        pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX,
            OutputConditionIdentifier=pikepdf.String(press.output_condition),
            RegistryName=pikepdf.String("http://www.color.org"),
            Info=pikepdf.String(press.output_condition),
            DestOutputProfile=pdf.make_stream(profile, N=4))])
        pdf.Root.Metadata = pdf.make_stream(xmp, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
        pdf.docinfo.Trapped = pikepdf.Name("/False")
        output = io.BytesIO()
        # A fixed /ID made from the content (qpdf's deterministic_id): reproducible files.
        pdf.save(output, force_version="1.6", deterministic_id=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


def pdfx4_problems(data: bytes) -> list[str]:
    """What the produced print edition lacks of PDF/X-4's structure (empty: nothing): the
    output intent with an embedded profile, the version in the metadata, a TrimBox and a
    BleedBox on every page, every font embedded, no encryption, nothing that runs."""
    import pikepdf

    problems: list[str] = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if pdf.is_encrypted:
            problems.append("encrypted")
        intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFX"]
        if len(intents) != 1 or "/DestOutputProfile" not in intents[0]:
            problems.append("no PDF/X output intent with its profile")
        metadata = pdf.Root.get("/Metadata")
        if metadata is None or b"GTS_PDFXVersion>PDF/X-4<" not in metadata.read_bytes():
            problems.append("no PDF/X-4 version in the metadata")
        if "/JavaScript" in pdf.Root.get("/Names", {}) or "/OpenAction" in pdf.Root or "/AA" in pdf.Root:
            problems.append("JavaScript or actions")
        for number, page in enumerate(pdf.pages, 1):
            if "/TrimBox" not in page.obj or "/BleedBox" not in page.obj:
                problems.append(f"page {number} without TrimBox and BleedBox")
            resources: Any = page.obj.get("/Resources")
            fonts: Any = resources.get("/Font") if resources is not None else None
            for font in fonts.values() if fonts is not None else []:
                for face in font.get("/DescendantFonts") or [font]:
                    descriptor: Any = face.get("/FontDescriptor")
                    if descriptor is None or not any(key in descriptor
                                                     for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                        problems.append(f"page {number}: font {face.get('/BaseFont')} not embedded")
    return problems


def pdfx4_metadata(metadata: Any, identifier: bytes) -> bytes:
    """The XMP packet of a PDF/X-4 file, as WeasyPrint writes it for its ``pdf/x-4``."""
    header = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    footer = b'</x:xmpmeta>\n<?xpacket end="r"?>'
    packet = b"\n".join((header, metadata.generate_rdf_metadata("x", 4, "PDF/X-4"), footer))
    return stable_document_id(packet, identifier)


def low_resolution_images(pages: list, minimum: int = PRINT_DPI) -> list[tuple[str, int]]:
    """Photographs printed at less than ``minimum`` dots per inch: (image, dpi), each once.
    The print edition keeps every image as it is; only the editor can give a sharper one."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.images import RasterImage

    found: dict[str, int] = {}
    for page in pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.ReplacedBox) and isinstance(box.replacement, RasterImage) \
                    and box.width and box.element is not None:
                dpi = round(box.replacement.width / (box.width / 96))
                source = box.element.get("src") or "?"
                if dpi < minimum:
                    found[source] = min(dpi, found.get(source, dpi))
    return sorted(found.items())


def render(job: Job) -> Rendered:
    """Lay out one document once with WeasyPrint and write both editions into the cache
    (runs in a worker process)."""
    from weasyprint import HTML
    from weasyprint.logger import LOGGER

    _footnote_workarounds()
    started = time.perf_counter()
    root = Path(job.root)
    collect = _Collect()
    LOGGER.addHandler(collect)
    try:
        fetcher = _weasyprint_fetcher(root)
        layout = HTML(string=job.html, base_url=f"file://{REPOSITORY_PATH}/", url_fetcher=fetcher).render()
        pages = layout.pages
        fillers = -len(pages) % job.signature   # the print edition's blanks before the back cover
        reader_pdf = layout.copy(pages).write_pdf(
            pdf_variant=READER_VARIANT, finisher=reader_finisher,
            pdf_identifier=document_identifier(job.name, job.html))
        xmp = pdfx4_metadata(layout.metadata, document_identifier(f"print|{job.name}", job.html))
        print_pdf = print_edition(reader_pdf, xmp, job.press,
                                  (root / job.press.output_profile).read_bytes(), fillers)
        # A print shop's preflight refuses the file for any of these: better the build.
        if problems := pdfx4_problems(print_pdf):
            raise ValueError(f"the print edition is not PDF/X-4: {'; '.join(problems)}")
    finally:
        LOGGER.removeHandler(collect)
    entry = Entry(Path(job.cache), job.name, job.key)
    cover = cover_jpeg(reader_pdf) if job.cover else b""
    if job.cover:
        write_atomically(entry.cover, cover)
    write_atomically(entry.pdf, reader_pdf)
    write_atomically(entry.print_pdf, print_pdf)
    read = sorted(fetcher.files | {job.press.output_profile})
    files = {path: file_digest(root / path) for path in read}
    meta = {"key": job.key, "name": job.name, "pages": len(pages), "size": len(reader_pdf),
            "sha256": hashlib.sha256(reader_pdf).hexdigest(), "print_pages": len(pages) + fillers,
            "print_size": len(print_pdf), "print_sha256": hashlib.sha256(print_pdf).hexdigest(),
            "cover": job.cover, "cover_sha256": hashlib.sha256(cover).hexdigest() if job.cover else None,
            "files": files, "low_resolution": low_resolution_images(pages)}
    write_atomically(entry.meta, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))
    return Rendered(job.name, job.key, len(pages) + fillers, len(reader_pdf), time.perf_counter() - started,
                    tuple(collect.messages))


class RenderFailed(Exception):
    def __init__(self, failures: list[tuple[Job, BaseException]]):
        super().__init__(", ".join(job.name for job, _ in failures))
        self.failures = failures


def _start_method() -> str:
    """``fork`` is fastest (the worker inherits the imported modules), but forking a process
    that runs other threads (``serve`` watches files) can deadlock: spawn then.

    tqdm's monitor thread, which any progress bar of the build starts and which outlives it,
    does not count: it sleeps between checks of the bars and holds nothing a worker needs.
    Counted, it made every build spawn its workers, each importing everything and starting
    WeasyPrint cold (a 16-page issue took 8-11 s in the build against 2 s warm).
    """
    from tqdm import tqdm

    methods = multiprocessing.get_all_start_methods()
    others = [thread for thread in threading.enumerate()
              if thread is not threading.main_thread() and thread is not tqdm.monitor]
    return "fork" if "fork" in methods and not others else "spawn"


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


# --- the cache ---------------------------------------------------------------------------

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
            for suffix in (".json", ".pdf", ".print.pdf", ".jpg"):
                meta.with_suffix(suffix).unlink(missing_ok=True)
