"""The search index: the Pagefind bundle under /pagefind/, built from the staged HTML.

Pagefind (the pinned ``pagefind[bin]`` package, driven through its Python API; no Node.js)
reads the pages the HTML step has just written into the staging folder. Only pages whose
<main> carries ``data-pagefind-body`` are indexed (base.html puts it on indexed routes), and
inside them only the main content (breadcrumbs, notices, "related" blocks are marked
``data-pagefind-ignore``). The hidden ``data-pagefind-filter`` spans of the page templates
become the facets: Тип, Сфера, Проблема, Вид мероприятия, Город, Страна, Год.

The index language is forced to Russian, so Pagefind stems words with its Russian stemmer
(«транспорта» finds «транспорт») and writes a single ``ru`` index.

Indexing is skipped when no indexed page changed: the finished bundle is kept in
``<cache>/search/<key>/``, the key being a hash of the indexed pages (relative path and
bytes), the Pagefind version and the index settings. A hit copies the cached bundle.
Pagefind's own output is not deterministic (filters in hash-map order, hence other file
names each run); ``pagefind_bundle`` sorts it, so two cold builds give the same bundle.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Coroutine

from .errors import BuildFailed, Problem
from .i18n import _
from .pagefind_bundle import make_reproducible, unfinished_files

if TYPE_CHECKING:
    from .output import StagedOutput

PAGEFIND_DIR = "pagefind"           # /pagefind/ on the site: index, UI script and styles
INDEX_SETTINGS = {
    # One Russian index with Russian stemming, whatever a page's lang attribute says.
    "force_language": "ru",
    # The hidden facet and metadata spans of the templates give filters and result meta,
    # but their text is not reader-visible content: keep it out of words and excerpts
    # (Pagefind still reads filters and meta inside excluded elements).
    "exclude_selectors": ["[hidden][data-pagefind-filter]", "[hidden][data-pagefind-meta]"],
}
CACHE_FORMAT = 2                    # bump when the way bundles are made changes
KEEP_BUNDLES = 3                    # cached bundles kept (newest used first)
ENTRY_FILE = "pagefind-entry.json"
INDEX_PARTS = ("fragment", "index", "filter")   # the index proper, without the UI assets

# An element opening tag carrying data-pagefind-body (base.html puts it on <main>).
_BODY = re.compile(rb"<[a-zA-Z][^>]*\sdata-pagefind-body(?=[\s>=/])")


def indexed_pages(staged: "StagedOutput") -> list[tuple[str, bytes]]:
    """The staged pages Pagefind will index, as (relative path, bytes), sorted by path.

    Pagefind indexes only pages with ``data-pagefind-body`` as soon as one page has it,
    and every page otherwise; this mirrors that rule so the cache key covers exactly
    what is indexed.
    """
    every: list[tuple[str, bytes]] = []
    for relative, path in staged.files():
        if not relative.endswith(".html") or relative.split("/", 1)[0] == PAGEFIND_DIR:
            continue
        every.append((relative, path.read_bytes()))
    marked = [(relative, data) for relative, data in every if _BODY.search(data)]
    return marked or every


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


def cache_key(pages: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    header = {"format": CACHE_FORMAT, "pagefind": pagefind_version(), "settings": INDEX_SETTINGS}
    digest.update(json.dumps(header, sort_keys=True).encode("utf-8") + b"\0")
    for relative, data in pages:
        digest.update(relative.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:40]


def build_bundle(site: Path, bundle: Path) -> None:
    """Run Pagefind over ``site`` and move the finished bundle to ``bundle`` atomically."""
    bundle.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=bundle.parent))
    try:
        output = work / PAGEFIND_DIR
        try:
            _run(lambda: _index_directory(site, output))
        except FileNotFoundError as missing:     # the pagefind binary is not installed
            raise BuildFailed([Problem(
                "requirements.txt", 0, "pagefind",
                _("the search index could not be built: {reason}. Install the pinned dependencies (make) or "
                  "build without search (--no-search).").format(reason=missing))]) from missing

        if not (output / ENTRY_FILE).is_file():
            raise RuntimeError(f"Pagefind wrote no {ENTRY_FILE} into {output}")
        make_reproducible(output)
        try:
            os.replace(output, bundle)
        except OSError:
            if not (bundle / ENTRY_FILE).is_file():   # not a concurrent build's finished copy
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _index_directory(site: Path, output: Path) -> None:
    from pagefind.index import IndexConfig
    from pagefind.service import PagefindService

    # The service rather than PagefindIndex's context, whose exit writes the files and ends
    # the indexer at once, while some of them are still being written.
    async with PagefindService() as service:
        index = await service.create_index(IndexConfig(**INDEX_SETTINGS))   # type: ignore[typeddict-item]
        # One request for the whole folder: the API answers each request no faster than every
        # 0.1 s, so adding pages one by one would cost seconds per hundred pages.
        await index.add_directory(str(site))
        await index.write_files(output_path=str(output))
        await _written(output)


async def _written(bundle: Path, timeout: float = 120.0) -> None:
    """Wait until the indexer has finished writing every file of ``bundle``."""
    deadline = time.monotonic() + timeout
    while unfinished := unfinished_files(bundle):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Pagefind did not finish writing {unfinished[0]} within {timeout:.0f} s")
        await asyncio.sleep(0.05)


def _run(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to completion, also from code that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make())
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, make()).result()


def prune(cache_root: Path, keep: Path) -> None:
    """Keep the KEEP_BUNDLES most recently used bundles (always ``keep``)."""
    bundles = [path for path in cache_root.iterdir()
               if path.is_dir() and not path.name.startswith(".") and path != keep]
    bundles.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    for old in bundles[KEEP_BUNDLES - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def bundle_figures(bundle: Path) -> dict[str, Any]:
    entry = json.loads((bundle / ENTRY_FILE).read_text(encoding="utf-8"))
    languages = entry.get("languages", {})
    files = [path for path in bundle.rglob("*") if path.is_file()]
    index_files = [path for path in files
                   if path.relative_to(bundle).parts[0] in INDEX_PARTS or path.suffix == ".pf_meta"]
    return {
        "pages": sum(language.get("page_count", 0) for language in languages.values()),
        "languages": sorted(languages),
        "files": len(files),
        "bytes": sum(path.stat().st_size for path in files),
        "index_bytes": sum(path.stat().st_size for path in index_files),
    }
