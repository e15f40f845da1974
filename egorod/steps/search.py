"""Step "search": the Pagefind bundles under /pagefind/, one per part of the site and the
vocabulary that says which parts hold a query's words (egorod/search.py).

Runs after "html", since it reads the pages. What each indexed page gives Pagefind is
remembered with the page's key (``context.page_keys``): a page whose key is the one of the
last build is not read again. A part whose pages give what they gave before is taken from the
cache; only the parts with a changed, new or removed page are indexed again, from folders
kept in the cache (``<cache>/search-pages/<output>/<part>/``) where only what changed is
written, and the vocabulary when the words of a part changed.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

from ..context import BuildContext
from ..files import write_atomically
from ..i18n import _
from ..output import StagedOutput
from ..parallel import forked_batches
from ..search import (
    CACHE_FORMAT,
    ENTRY_FILE,
    KEEP_OLD_BUNDLES,
    VOCABULARY,
    IndexedPage,
    Part,
    build_bundles,
    bundle_figures,
    fill_folder,
    indexed_html,
    load_words,
    page_words,
    prune,
    publish,
    remove_other_folders,
    save_words,
    split_into_parts,
    vocabulary_part,
    vocabulary_records,
)
from .base import Step


class SearchStep(Step):
    name = "search"

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        started = time.perf_counter()
        cache_root = context.config.cache / "search"
        cache_root.mkdir(parents=True, exist_ok=True)
        folders = context.config.cache / "search-pages" / _output_name(context)

        def read(path: str) -> bytes | None:
            source = staged.current(path)
            return indexed_html(source.read_bytes()) if source is not None else None

        pages, fresh, remembered = _indexed_pages(context, _saved_pages(context), read)
        parts = split_into_parts(pages)
        remove_other_folders(folders, {part.name for part in parts} | {VOCABULARY})
        context.bodies.close()      # no open store connection may cross the fork of the word readers
        records = vocabulary_records(_part_words(parts, context.config.cache / "search-words", folders, fresh,
                                                 read, context.config.processes))
        bundles = [vocabulary_part(records), *parts] if parts else []
        jobs, built = [], []
        for number, part in enumerate(bundles):
            if (cache_root / part.key / ENTRY_FILE).is_file():
                continue
            given = records if part.name == VOCABULARY else fresh
            part = bundles[number] = fill_folder(folders / part.name, part, given, read)
            if not (cache_root / part.key / ENTRY_FILE).is_file():
                jobs.append((folders / part.name, cache_root / part.key))
                built.append(part.name)
        del fresh
        gathered = time.perf_counter()
        build_bundles(jobs, context.config.processes)
        indexed = time.perf_counter()

        bundle_paths = [cache_root / part.key for part in bundles]
        for bundle in bundle_paths:
            os.utime(bundle)                 # most recently used: kept by prune()
        prune(cache_root, keep={part.key for part in bundles})
        publish(staged, list(zip(bundles, bundle_paths, strict=True)))
        parts = bundles[1:]
        remembered.update({page.path: [context.page_keys.get(page.path, ""), page.digest, page.size]
                           for part in parts for page in part.pages})
        figures = bundle_figures(bundle_paths)
        figures["pages"] -= len(records)     # the vocabulary's records are no pages
        figures.update(parts={part.name: part.key for part in parts}, vocabulary=bundles[0].key if bundles else "",
                       built=[name for name in built if name != VOCABULARY], vocabulary_built=VOCABULARY in built,
                       cached=not built,
                       seconds=round(time.perf_counter() - started, 3),
                       read_seconds=round(gathered - started, 3), index_seconds=round(indexed - gathered, 3))
        # The figures of the last build go with the state, for the benchmark.
        state = {"format": CACHE_FORMAT, "pages": remembered, "figures": figures}

        def remember() -> None:
            write_atomically(_state_file(context), json.dumps(state, sort_keys=True).encode("utf-8"))
        context.after_commit.append(remember)
        context.report.search = figures
        context.log(_search_summary(figures))


def _indexed_pages(context: BuildContext, saved: dict[str, list], read: Callable[[str], bytes | None]
                   ) -> tuple[list[IndexedPage], dict[str, bytes], dict[str, list]]:
    """Every indexed page with the digest and size of what it gives Pagefind.

    A page whose key is the one saved with it is not read; what the others give Pagefind is
    returned by path. The third result, for the state: the pages that give it nothing (no
    ``data-pagefind-body``).
    """
    pages: list[IndexedPage] = []
    fresh: dict[str, bytes] = {}
    nothing: dict[str, list] = {}
    for route in context.routes:
        if not route.indexed:
            continue
        path, key = route.output_path, context.page_keys.get(route.output_path, "")
        remembered = saved.get(path)
        if key and isinstance(remembered, list) and len(remembered) == 3 and remembered[0] == key:
            digest, size = str(remembered[1]), int(remembered[2])
        else:
            html = read(path)
            digest, size = (hashlib.sha256(html).hexdigest(), len(html)) if html is not None else ("", 0)
            if html is not None:
                fresh[path] = html
        if not digest:
            nothing[path] = [key, "", 0]
            continue
        pages.append(IndexedPage(path, digest, size))
    return pages, fresh, nothing


def _part_words(parts: list[Part], cache: Path, folders: Path, fresh: dict[str, bytes],
                read: Callable[[str], bytes | None], workers: int = 1) -> dict[str, set[str]]:
    """The words of each part's pages (``page_words``), by part name.

    A part's words are kept in the cache under the key of its pages: only the parts with a
    changed page are read again (from what this build read, else their folder, else the output),
    on ``workers`` processes when there are several.
    """
    found: dict[str, set[str]] = {}
    todo: list[Part] = []
    for part in parts:
        words = load_words(cache / f"{part.key}.gz")
        if words is None:
            todo.append(part)
        else:
            found[part.name] = words
    made = {part.name for part in todo}

    def words_of(part: Part) -> set[str]:
        words: set[str] = set()
        for page in part.pages:
            html = fresh.get(page.path)
            if html is None:
                kept = folders / part.name / page.path
                html = kept.read_bytes() if kept.is_file() else None
                if html is None or hashlib.sha256(html).hexdigest() != page.digest:
                    html = read(page.path)
            words |= page_words(html or b"")
        return words

    if workers > 1 and len(todo) > 1:
        # (forked: the workers see the pages read so far; only the words come back)
        for done in forked_batches(lambda batch: [(index, words_of(todo[index])) for index in batch],
                                   len(todo), workers):
            for index, words in done:
                found[todo[index].name] = words
    else:
        for part in todo:
            found[part.name] = words_of(part)
    for part in parts:
        saved = cache / f"{part.key}.gz"
        if part.name in made:
            save_words(saved, found[part.name])
        os.utime(saved)
    if cache.is_dir():                       # the words of parts no more, after a few builds
        keep = {f"{part.key}.gz" for part in parts}
        old = sorted((path for path in cache.glob("*.gz") if path.name not in keep),
                     key=lambda path: path.stat().st_mtime, reverse=True)
        for path in old[KEEP_OLD_BUNDLES * max(1, len(parts)):]:
            path.unlink(missing_ok=True)
    return {part.name: found[part.name] for part in parts}


def _search_summary(figures: dict) -> str:
    sizes = {"pages": figures["pages"], "parts": len(figures["parts"]), "built": len(figures["built"]),
             "size": figures["bytes"] / 1024, "index": figures["index_bytes"] / 1024,
             "seconds": figures["seconds"]}
    return _("search: {pages} pages indexed in {parts} parts ({built} made again), {size:.0f} KB "
             "(index {index:.0f} KB), {seconds:.2f} s").format(**sizes)


def _output_name(context: BuildContext) -> str:
    # as last_figures() finds it
    return hashlib.sha256(str(context.config.out.resolve()).encode()).hexdigest()[:16]


def _state_file(context: BuildContext) -> Path:
    return context.config.cache / "search-state" / f"last-{_output_name(context)}.json"


def last_figures(cache: Path, out: Path) -> dict[str, Any] | None:
    """The figures of the last search step that built ``out`` (for the benchmark)."""
    name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    try:
        figures = json.loads((cache / "search-state" / f"last-{name}.json").read_text(encoding="utf-8"))["figures"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return figures if isinstance(figures, dict) else None


def _saved_pages(context: BuildContext) -> dict[str, list]:
    """What each page gave Pagefind in the last build of this output, with the page's key."""
    try:
        saved = json.loads(_state_file(context).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict) or saved.get("format") != CACHE_FORMAT or not isinstance(saved.get("pages"), dict):
        return {}
    return saved["pages"]
