"""The search index: Pagefind bundles under /pagefind/, one per part of the site, searched together.

Pagefind (the indexer of the pinned ``pagefind[bin]`` package; no Node.js) indexes the pages
the HTML step has just written. Only the element of a page that carries ``data-pagefind-body``
is indexed (base.html puts it on the <main> of indexed routes), and inside it only the main
content (breadcrumbs, notices, "related" blocks are marked ``data-pagefind-ignore``). The hidden ``data-pagefind-filter`` spans of the page templates
become the facets: Тип, Сфера, Проблема, Вид мероприятия, Город, Страна, Год.

The index language is forced to Russian, so Pagefind stems words with its Russian stemmer
(«транспорта» finds «транспорт») and writes a single ``ru`` index.

**Parts.** Pagefind holds a whole index in memory while it writes it, about thirty times the
HTML it indexed (3.2 GB for the 5,000 pages of the Assembly's archive), and one index is made
again whole when one page changes. So the site is indexed in parts of about ``PART_BYTES``
each, a page's part chosen by a hash of its path (it does not move while the number of parts
stays the same). Each part is a bundle of its own, made by its own Pagefind process (as many
at a time as the build has workers), and kept in ``<cache>/search/<key>/``, the key being a
hash of what its pages give Pagefind, the Pagefind version and the index settings: an edit
makes only its part again.

Parts are not sections of the site (practices, bulletins...): Pagefind ranks a page by how
rare the words of the query are among the pages of its own index, and merged results are
sorted by those scores. A word that fills the practices but is rare elsewhere would rank a
city page that mentions it in passing above the practices about it. A part that is a sample
of the whole site has about the site's own word statistics, so the parts rank as one index.

**Which parts hold the query's words.** A part that holds no word beginning with a query
word's stem would not find nothing: Pagefind searches it for the longest beginning of the word
it holds instead («велосипедных» found «весь» there), as one index does only for a word on no
page at all (Pagefind's backtracking, not configurable). So one more index, the vocabulary
(``VOCABULARY``), holds a record per part: the words of its pages once each, with the hidden
filters ``VOCABULARY_FILTER`` and ``PART_FILTER``. Searched first with the same query, it says
which parts hold every word of it, as Pagefind reads words (the same stemming, the same
beginnings, the same backtracking over the site's words as one index); the pages are then
searched in those parts only (``static/js/pagefind-parts/pagefind.js``; each part is merged
with the filter of its name). A part that lacks a word of the query has no page one index would
find for it; a part that holds them all finds what one index finds among its pages. The words
are taken from what each page gives Pagefind (``page_words``: the text and metadata it indexes,
as written, before Pagefind's stemming) and kept in the cache per part: an edit makes its part
again, and the vocabulary (a few records, quick to index) when the words of the part changed.

**In the browser.** The vocabulary is published at /pagefind/ with Pagefind's scripts and
WebAssembly, the parts at /pagefind/<part>/ (their index files only), listed in
/pagefind/indexes.json; ``static/js/search.js`` merges them into one search with Pagefind's
own ``mergeIndex``: results of the parts that hold the query's words ranked together, filter
counts added up, the vocabulary's records never among them.

Pagefind's own output is not deterministic (filters in hash-map order, hence other file
names each run); ``pagefind_bundle`` sorts it, so two cold builds give the same bundles.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from lxml import etree
from lxml import html as lxml_html

from .errors import BuildFailed, Problem
from .i18n import _
from .pagefind_bundle import make_reproducible, unfinished_files
from .routes import SEARCH_BUNDLE_URL

if TYPE_CHECKING:
    from .output import StagedOutput

PAGEFIND_DIR = SEARCH_BUNDLE_URL.strip("/")   # /pagefind/ on the site: the first index, scripts, styles
MERGE_FILE = "indexes.json"                   # the parts' folders and filters, for search.js
INDEX_SETTINGS = {
    # One Russian index with Russian stemming, whatever a page's lang attribute says.
    "force_language": "ru",
    # The hidden facet and metadata spans of the templates give filters and result meta,
    # but their text is not reader-visible content: keep it out of words and excerpts
    # (Pagefind still reads filters and meta inside excluded elements).
    "exclude_selectors": ["[hidden][data-pagefind-filter]", "[hidden][data-pagefind-meta]"],
}
CACHE_FORMAT = 5                    # bump when the way bundles are made changes
# Indexed HTML per part at most. Pagefind's process peaks at about 20 times what it indexes
# (practices alone up to 30 times): 24 MB, 450-700 MB, and two parts are made at a time on two
# cores. No smaller: the more parts, the less a part's word statistics are the site's (ranking),
# and the longer the vocabulary's filter of parts.
PART_BYTES = 24_000_000
# Bundles no part uses now, kept for an edit that is undone: at least one build's worth (a site
# cut into one part more or less makes every part again, and undoing it brings them all back).
KEEP_OLD_BUNDLES = 3
ENTRY_FILE = "pagefind-entry.json"
INDEX_PARTS = ("fragment", "index", "filter")   # the index proper, without the UI assets

# The vocabulary (see above): its name among the bundles, where its records are (a path no page
# of the site can have: routes.py owns them, none is under /pagefind/), the filter every search
# of pages excludes, and the filter that names a record's part (and every page of that part,
# merged with it as mergeFilter).
VOCABULARY = "vocabulary"
VOCABULARY_DIR = f"{PAGEFIND_DIR}/{VOCABULARY}"
VOCABULARY_FILTER = ("служебное", "словарь")
PART_FILTER = "часть"

_MARKER = b"data-pagefind-body"
_PAGE_START = b'<!DOCTYPE html>\n<html lang="ru"><head><meta charset="utf-8"></head><body>\n'
_PAGE_END = b"\n</body></html>\n"


@dataclass(frozen=True)
class IndexedPage:
    path: str           # in the output, such as practices/metro/index.html
    digest: str         # sha256 of indexed_html(page)
    size: int           # bytes of indexed_html(page)


@dataclass(frozen=True)
class Part:
    name: str                       # part-1, part-2...
    pages: tuple[IndexedPage, ...]  # sorted by path

    @property
    def key(self) -> str:
        """Names the part's bundle in the cache: what Pagefind is given, and how."""
        digest = hashlib.sha256()
        header = {"format": CACHE_FORMAT, "pagefind": pagefind_version(), "settings": INDEX_SETTINGS}
        digest.update(json.dumps(header, sort_keys=True).encode("utf-8") + b"\0")
        for page in self.pages:
            digest.update(f"{page.path}\0{page.digest}\0".encode("utf-8"))
        return digest.hexdigest()[:40]


def indexed_html(page: bytes) -> bytes | None:
    """What Pagefind is given of a page: its ``data-pagefind-body`` element in a bare document.

    None when the page has no such element: Pagefind would not index it either.
    """
    marker = page.find(_MARKER)
    if marker < 0:
        return None
    start = page.rfind(b"<", 0, marker)
    name_end = start + 1
    while name_end < len(page) and (page[name_end:name_end + 1].isalnum()):
        name_end += 1
    tag = page[start + 1:name_end]
    close = page.rfind(b"</" + tag + b">")
    if not tag or close < marker:
        return None
    return _PAGE_START + page[start:close + len(tag) + 3] + _PAGE_END


# Not text Pagefind indexes: code, what is ignored, and the hidden facet and meta spans
# (INDEX_SETTINGS). A word: from its first to its last letter or digit, between white space.
_SKIPPED = ("//script|//style|//template|//noscript|//*[@data-pagefind-ignore]"
            "|//*[@hidden][@data-pagefind-filter or @data-pagefind-meta]")
_PARSER = lxml_html.HTMLParser(encoding="utf-8")
_WORD = re.compile(r"\w\S*\w|\w")


def page_words(page: bytes) -> set[str]:
    """The words Pagefind can index from what a page gives it, lower case, as written.

    Rather more than fewer: a word Pagefind indexes but missing here would keep its part out
    of the searches for it, while a word here that Pagefind does not index only lets the part
    be searched for it (and find a beginning of it, as before the vocabulary). So the text
    is read both as one run (a word split by an inline tag, «<b>Мос</b>ква») and cut at every
    tag, and so does the metadata Pagefind indexes from anywhere in the page (alternative texts,
    pictures' addresses, data-pagefind-meta values).
    """
    try:
        root = lxml_html.fromstring(page, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return set()
    # Pagefind indexes the metadata too, wherever it is found: the first picture's address and
    # alternative text (an ignored block's included) and every data-pagefind-meta value.
    meta = [*root.xpath("//@alt|//@title|//img/@src"), *_meta_values(root)]
    for element in root.xpath(_SKIPPED):
        if element.getparent() is not None:
            element.drop_tree()              # its tail, the text after it, stays
    pieces = [*root.itertext(), *meta]
    words = set(_WORD.findall("".join(pieces).lower()))
    words.update(_WORD.findall(" ".join(pieces).lower()))
    return words


def _meta_values(root: Any) -> list[str]:
    """The values of the page's data-pagefind-meta: "key" (the element's text), "key:value",
    "key[attribute]", several separated by commas."""
    values = []
    for element in root.xpath("//*[@data-pagefind-meta]"):
        for item in element.get("data-pagefind-meta", "").split(","):
            key, colon, value = item.partition(":")
            if colon:
                values.append(value)
            elif key.strip().endswith("]") and "[" in key:
                values.append(element.get(key[key.index("[") + 1:key.rindex("]")].strip(), ""))
            else:
                values.append(element.text_content())
    return values


def vocabulary_html(part: str, words: Iterable[str]) -> bytes:
    """The vocabulary's record of ``part``: the words of its pages, each once."""
    key, value = VOCABULARY_FILTER
    text = " ".join(sorted(words))
    return (_PAGE_START + f'<main data-pagefind-body data-pagefind-filter="{key}:{value}">'
            f'<span hidden data-pagefind-filter="{PART_FILTER}">{escape(part)}</span>'
            f"<p>{escape(text, quote=False)}</p></main>".encode("utf-8")
            + _PAGE_END)


def vocabulary_records(words: Mapping[str, Iterable[str]]) -> dict[str, bytes]:
    """The vocabulary's records by path, from the words of each part by part name."""
    return {f"{VOCABULARY_DIR}/{part}/index.html": vocabulary_html(part, part_words) for part, part_words in words.items()}


def vocabulary_part(records: Mapping[str, bytes]) -> Part:
    """The vocabulary as a bundle to make: its records are its pages."""
    return Part(VOCABULARY, tuple(IndexedPage(path, hashlib.sha256(html).hexdigest(), len(html))
                                  for path, html in sorted(records.items())))


def save_words(path: Path, words: set[str]) -> None:
    """Keep a part's words in the cache (one a line, sorted, gzip)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(gzip.compress("\n".join(sorted(words)).encode("utf-8"), mtime=0))
    os.replace(temporary, path)


def load_words(path: Path) -> set[str] | None:
    try:
        return set(gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")) - {""}
    except (OSError, EOFError, UnicodeDecodeError):
        return None


def split_into_parts(pages: Iterable[IndexedPage], part_bytes: int | None = None) -> list[Part]:
    """The parts of the index: as many as it takes to keep each near ``part_bytes``.

    A page's part is a hash of its path, so that it stays in the same part while the site
    has as many parts, and each part is a sample of the whole site: of each kind of page
    its share, and of each word about its share of the pages that hold it.
    """
    members = sorted(pages, key=lambda page: page.path)
    if not members:
        return []
    count = max(1, math.ceil(sum(page.size for page in members) / (part_bytes or PART_BYTES)))
    buckets: list[list[IndexedPage]] = [[] for _ in range(count)]
    for page in members:
        buckets[int(hashlib.sha256(page.path.encode("utf-8")).hexdigest()[:8], 16) % count].append(page)
    return [Part(f"part-{number}", tuple(bucket)) for number, bucket in enumerate(buckets, start=1) if bucket]


def published_folder(index: int, part: Part) -> str:
    """Where a bundle is published: the first (the vocabulary) at /pagefind/ with Pagefind's
    scripts, the parts beside each other under it (no folder may start another's path: Pagefind
    would take it for the first index and skip it)."""
    return PAGEFIND_DIR if index == 0 else f"{PAGEFIND_DIR}/{part.name}"


def merge_list(bundles: list[Part]) -> bytes:
    """/pagefind/indexes.json: the parts search.js merges into the first index, as Pagefind's
    ``mergeIndex`` options (each with the filter of its name)."""
    merged = [{"bundlePath": f"/{published_folder(index, part)}/", "mergeFilter": {PART_FILTER: part.name}}
              for index, part in enumerate(bundles) if index]
    return json.dumps({"merge": merged}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def pagefind_version() -> str:
    """Versions of the Python API and of the indexer binary it will run."""
    parts = []
    for dist in ("pagefind", "pagefind_bin", "pagefind_bin_extended"):
        try:
            parts.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    override = os.environ.get("PAGEFIND_BINARY_PATH")   # the API honours it over the package
    if override:
        parts.append(f"binary={override}")
    return " ".join(parts)


# --- the folders Pagefind indexes -----------------------------------------------------------

def fill_folder(folder: Path, part: Part, fresh: Mapping[str, bytes],
                read: Callable[[str], bytes | None]) -> Part:
    """Make ``folder`` hold what each page of ``part`` gives Pagefind, and nothing else.

    The folder is kept from build to build (in the cache): a page whose file there is already
    right is not written again, since creating and deleting thousands of files and folders is
    what costs most on a busy disk. What a page gives is taken from ``fresh`` (read in this
    build), else from ``read(path)``. Returns the part as the folder holds it (digests worked
    out from the files: the bundle is named after what was indexed, whatever was remembered).
    """
    wanted = {page.path: page for page in part.pages}
    if folder.is_dir():
        for directory, _folders, names in os.walk(folder, topdown=False):
            for name in names:
                path = Path(directory, name)
                if path.relative_to(folder).as_posix() not in wanted:
                    path.unlink()
            if directory != str(folder) and not os.listdir(directory):
                os.rmdir(directory)
    pages = []
    for page in part.pages:
        target = folder / page.path
        html = fresh.get(page.path)
        if html is None:
            try:
                html = target.read_bytes()
            except FileNotFoundError:
                html = None
            if html is not None and hashlib.sha256(html).hexdigest() == page.digest:
                pages.append(page)
                continue
            html = read(page.path) or b""
        elif target.is_file() and target.stat().st_size == len(html) and target.read_bytes() == html:
            pages.append(page)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(html)
        pages.append(IndexedPage(page.path, hashlib.sha256(html).hexdigest(), len(html)))
    return Part(part.name, tuple(pages))


def remove_other_folders(root: Path, names: set[str]) -> None:
    """Drop the folders of parts that are no more (the site now cut into fewer parts)."""
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name not in names and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)


# --- making bundles --------------------------------------------------------------------------

def build_bundles(jobs: list[tuple[Path, Path]], workers: int) -> None:
    """For each (folder of indexed pages, bundle): index the folder with Pagefind and move the
    finished bundle into place atomically; ``workers`` Pagefind processes at a time."""
    if not jobs:
        return
    binary = _pagefind_binary()
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=jobs[0][1].parent))
    try:
        outputs = [work / f"{number}" for number in range(len(jobs))]
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for done in [pool.submit(_index_folder, binary, site, output)
                         for (site, _bundle), output in zip(jobs, outputs, strict=True)]:
                done.result()
        for (_site, bundle), output in zip(jobs, outputs, strict=True):
            make_reproducible(output)
            try:
                os.replace(output, bundle)
            except OSError:
                if not (bundle / ENTRY_FILE).is_file():   # not a concurrent build's finished copy
                    raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _pagefind_binary() -> Path:
    """The indexer of the pinned package (PAGEFIND_BINARY_PATH overrides it, as in its API)."""
    from pagefind.service import get_executable

    binary = get_executable()
    if binary is None or not binary.is_file():
        raise BuildFailed([Problem(
            "requirements.txt", 0, "pagefind",
            _("the search index could not be built: {reason}. Install the pinned dependencies (make) or "
              "build without search (--no-search).").format(reason=_("the pagefind program was not found")))])
    return binary


def _index_folder(binary: Path, site: Path, output: Path) -> None:
    """Pagefind's own command over one part's folder.

    The command, not the API's service: the service answers each request no faster than
    every 0.1 s, says it has written the bundle while its writes are still under way, and
    costs more time than the command for the same pages. One process per part: its memory
    is given back as soon as the part is written.
    """
    command = [str(binary), "--site", str(site), "--output-path", str(output), "--silent",
               "--force-language", str(INDEX_SETTINGS["force_language"])]
    for selector in INDEX_SETTINGS["exclude_selectors"]:
        command += ["--exclude-selectors", selector]
    # Settings come from here only: not from PAGEFIND_* variables or a pagefind.yml
    # (the folder holds nothing else than the pages).
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}
    done = subprocess.run(command, cwd=site, env=environment, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"Pagefind failed (exit status {done.returncode}) on {site}: {' | '.join(said)}")
    # A bundle goes into the cache for good: never one with a file missing or cut short.
    unfinished = unfinished_files(output)
    if unfinished:
        raise RuntimeError(f"Pagefind left {output / unfinished[0]} unfinished")


# --- publishing and the cache ------------------------------------------------------------------

def index_files(bundle: Path) -> list[Path]:
    """The files of a bundle that make up its index (what a merged index needs), sorted."""
    files = [bundle / ENTRY_FILE, *sorted(bundle.glob("*.pf_meta"))]
    for folder in INDEX_PARTS:
        files += sorted(path for path in (bundle / folder).rglob("*") if path.is_file())
    return files


def publish(staged: "StagedOutput", bundles: list[tuple[Part, Path]]) -> None:
    """Copy the bundles into the output: the first (the vocabulary) whole, the parts' index files."""
    for index, (part, bundle) in enumerate(bundles):
        folder = published_folder(index, part)
        if index == 0:
            staged.copy_tree(bundle, folder)
            continue
        for path in index_files(bundle):
            staged.copy_file(path, f"{folder}/{path.relative_to(bundle).as_posix()}")
    if bundles:
        staged.write(f"{PAGEFIND_DIR}/{MERGE_FILE}", merge_list([part for part, _bundle in bundles]))


def prune(cache_root: Path, keep: set[str]) -> None:
    """Keep the bundles of ``keep`` and as many of the most recently used others (at least
    KEEP_OLD_BUNDLES)."""
    others = [path for path in cache_root.iterdir()
              if path.is_dir() and not path.name.startswith(".") and path.name not in keep]
    others.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    for old in others[max(KEEP_OLD_BUNDLES, len(keep)):]:
        shutil.rmtree(old, ignore_errors=True)


def bundle_figures(bundles: list[Path]) -> dict[str, Any]:
    """Pages, and bytes published: the first bundle whole, the index files of the others."""
    pages = 0
    files: list[Path] = []
    index_bytes = 0
    for number, bundle in enumerate(bundles):
        entry = json.loads((bundle / ENTRY_FILE).read_text(encoding="utf-8"))
        pages += sum(language.get("page_count", 0) for language in entry.get("languages", {}).values())
        indexed = index_files(bundle)
        index_bytes += sum(path.stat().st_size for path in indexed if path.name != ENTRY_FILE)
        files += [path for path in bundle.rglob("*") if path.is_file()] if number == 0 else indexed
    return {"pages": pages, "files": len(files), "bytes": sum(path.stat().st_size for path in files),
            "index_bytes": index_bytes}
