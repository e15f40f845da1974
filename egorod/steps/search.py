"""Step "search": the Pagefind bundle under /pagefind/, made from the staged pages.

Runs after "html", since it reads the pages. When no indexed page changed, the previous
bundle is taken from the cache without reading any page.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from ..context import BuildContext
from ..files import write_atomically
from ..i18n import _
from ..output import StagedOutput
from ..search import (
    ENTRY_FILE,
    INDEX_SETTINGS,
    PAGEFIND_DIR,
    build_bundle,
    bundle_figures,
    cache_key,
    indexed_pages,
    pagefind_version,
    prune,
)
from .base import Step


class SearchStep(Step):
    name = "search"

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        started = time.perf_counter()
        key = _unchanged_key(context, staged)
        if key is None:
            key = cache_key(indexed_pages(staged))
        cache_root = context.config.cache / "search"
        bundle = cache_root / key
        cached = (bundle / ENTRY_FILE).is_file()
        if cached:
            os.utime(bundle)                 # most recently used: kept by prune()
        else:
            with staged.full_tree() as site:
                build_bundle(site, bundle)
            prune(cache_root, keep=bundle)
        staged.copy_tree(bundle, PAGEFIND_DIR)
        state = {"key": key, "pagefind": pagefind_version(), "settings": INDEX_SETTINGS}

        def remember() -> None:
            write_atomically(_last_key_file(context), json.dumps(state, sort_keys=True).encode("utf-8"))
        context.after_commit.append(remember)
        figures = bundle_figures(bundle)
        figures.update(cached=cached, key=key, seconds=round(time.perf_counter() - started, 3))
        context.report.search = figures
        context.log(_search_summary(figures, cached))


def _search_summary(figures: dict, cached: bool) -> str:
    sizes = {"pages": figures["pages"], "size": figures["bytes"] / 1024, "index": figures["index_bytes"] / 1024,
             "seconds": figures["seconds"]}
    if cached:
        return _("search: {pages} pages indexed, {size:.0f} KB (index {index:.0f} KB), {seconds:.2f} s "
                 "(unchanged, reused from cache)").format(**sizes)
    return _("search: {pages} pages indexed, {size:.0f} KB (index {index:.0f} KB), {seconds:.2f} s").format(**sizes)


def _last_key_file(context: BuildContext) -> Path:
    name = hashlib.sha256(str(context.config.out.resolve()).encode()).hexdigest()[:16]
    return context.config.cache / "search-state" / f"last-{name}.json"


def _unchanged_key(context: BuildContext, staged: StagedOutput) -> str | None:
    """The previous bundle's key when no indexed page changed: then nothing needs reading."""
    if context.indexed_pages_changed:
        return None
    if staged.previous_file(f"{PAGEFIND_DIR}/{ENTRY_FILE}") is None:
        return None
    try:
        saved = json.loads(_last_key_file(context).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if saved.get("pagefind") != pagefind_version() or saved.get("settings") != INDEX_SETTINGS:
        return None
    return saved.get("key")
