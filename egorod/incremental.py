"""What each page depends on, so a rebuild renders only the pages whose inputs changed.

A page's key is a hash of everything that can change its HTML: the code, templates and
settings (the *global* key), the entries it shows (their file digests, found by walking
the route's data), and the per-page facts that come from outside the content (dates from
git, PDF sizes). Pages whose key matches the previous build are taken over from the
previous output unchanged (hard-linked: same bytes, same mtime, nothing rewritten).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

from .content import Entry
from .routes import Route

PACKAGE_DIR = Path(__file__).resolve().parent


def _hash_files(paths: Iterable[Path], root: Path, digest: "hashlib._Hash") -> None:
    for path in sorted(paths):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")


def code_and_templates_key(root: Path) -> str:
    """Hash of the renderer's code, the templates and the settings file."""
    digest = hashlib.sha256()
    _hash_files(PACKAGE_DIR.glob("*.py"), PACKAGE_DIR.parent, digest)
    templates = root / "templates"
    _hash_files(templates.rglob("*"), root, digest)
    _hash_files([root / "site.yaml"], root, digest)
    return digest.hexdigest()


def _walk(value: Any, out: list[str], seen: set[int]) -> None:
    """Collect a stable description of ``value``: entry digests, and the plain values."""
    if isinstance(value, Entry):
        if id(value) in seen:
            return
        seen.add(id(value))
        out.append("E" + value.source.digest)
        # Nested entries (a Vestnik issue's articles) are part of what a page shows; the
        # published set may also be narrower than the file says (drafts left out).
        for field in dataclasses.fields(value):
            inner = getattr(value, field.name)
            if isinstance(inner, tuple) and inner and isinstance(inner[0], Entry):
                _walk(inner, out, seen)
            elif field.name == "cities":
                out.append(repr(inner))
        return
    if isinstance(value, (list, tuple)):
        out.append(f"[{len(value)}")
        for item in value:
            _walk(item, out, seen)
        out.append("]")
        return
    if isinstance(value, dict):
        out.append("{")
        for key in sorted(value, key=repr):
            out.append(repr(key))
            _walk(value[key], out, seen)
        out.append("}")
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out.append(type(value).__name__)
        for field in dataclasses.fields(value):
            _walk(getattr(value, field.name), out, seen)
        return
    out.append(repr(value))


def describe(value: Any) -> str:
    parts: list[str] = []
    _walk(value, parts, set())
    return "\x1f".join(parts)


def route_key(route: Route, global_key: str, all_content_key: str, page_facts: str) -> str:
    """The key of one page. Listings without their own ``items`` show site-wide figures."""
    digest = hashlib.sha256()
    digest.update(global_key.encode())
    digest.update(describe((route.url, route.template, route.title, route.description, route.crumbs,
                            route.kind, route.indexed, route.preview)).encode())
    digest.update(describe(route.entry).encode())
    digest.update(describe(route.data).encode())
    if route.entry is None and "items" not in route.data:
        digest.update(all_content_key.encode())
    digest.update(page_facts.encode())
    return digest.hexdigest()


class Manifest:
    """Keys of the pages in the current output, kept in the cache folder (never in output/)."""

    def __init__(self, cache_dir: Path, out: Path):
        name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
        self.path = cache_dir / "html" / f"{name}.json"
        self.previous: dict[str, str] = {}
        try:
            self.previous = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.previous = {}
        self.current: dict[str, str] = {}

    def reusable(self, output_path: str, key: str, old_output: Path) -> Path | None:
        if self.previous.get(output_path) != key:
            return None
        old = old_output / output_path
        return old if old.is_file() else None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.current, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
