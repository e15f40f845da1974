"""What each page depends on, so a rebuild renders only the pages whose inputs changed.

A page's key is a hash of everything that can change its HTML: the code, templates and
settings (the *global* key), the entries it shows (their file digests, found by walking
the route's data), and the per-page facts that come from outside the content (dates from
git, PDF sizes). Pages whose key matches the previous build are left in the output as
they are (same bytes, same mtime, nothing rewritten).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Iterable

import jinja2

from .content import Entry
from .errors import BuildFailed
from .files import write_atomically
from .parallel import forked_batches
from .routes import Route

PACKAGE_DIR = Path(__file__).resolve().parent


def _hash_files(paths: Iterable[Path], root: Path, digest: "hashlib._Hash") -> None:
    for path in sorted(paths):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")


def code_and_settings_key(root: Path) -> str:
    """Hash of the code and the settings file: what a content record depends on."""
    digest = hashlib.sha256()
    # subpackages too, and the data the code draws from (the map's outlines)
    _hash_files([*PACKAGE_DIR.rglob("*.py"), *(PACKAGE_DIR / "data").rglob("*")], PACKAGE_DIR.parent, digest)
    _hash_files([root / "site.yaml"], root, digest)
    return digest.hexdigest()


def code_and_templates_key(root: Path, code_and_settings: str) -> str:
    """Hash of the renderer's code, the settings file and the templates."""
    digest = hashlib.sha256(code_and_settings.encode())
    _hash_files((root / "templates").rglob("*"), root, digest)
    return digest.hexdigest()


# Long lists (a whole listing) and entries appear in the keys of many pages: describe each
# once per build.
_LIST_MEMO: dict[int, tuple[Any, str]] = {}
_ENTRY_MEMO: dict[tuple[int, bool], tuple[Any, str]] = {}
_NESTED_FIELDS: dict[type, tuple[str, ...]] = {}


def _describe_entry(entry: Entry, primary: bool) -> str:
    digest = entry.source.digest if primary else entry.source.meta_digest
    parts = ["E" + entry.source.path + ":" + digest]
    names = _NESTED_FIELDS.get(type(entry))
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(entry)
                      if f.name in ("articles", "cities"))
        _NESTED_FIELDS[type(entry)] = names
    for name in names:
        inner = getattr(entry, name)
        if name == "articles":
            # Nested entries (a Vestnik issue's articles) are part of what a page shows; the
            # published set may also be narrower than the file says (drafts left out).
            _walk(inner, parts, set())
        else:
            parts.append(repr(inner))
    return "\x1f".join(parts)


_PLAIN = {str, int, float, bool, type(None), dt.date}


def _walk(value: Any, out: list[str], seen: set[int], primary: bool = False) -> None:
    """Collect a stable description of ``value``: entry digests, and the plain values.

    The page's own entry counts with its whole file; entries a page merely lists (cards,
    related practices, neighbours) count with their front matter only, since no template
    shows the body of an entry other than the page's own: a correction in the text of a
    practice re-renders its page, not every listing that names it.
    """
    if type(value) in _PLAIN:           # most values: answered before the checks below
        out.append(repr(value))
        return
    if isinstance(value, Entry):
        if id(value) in seen:
            return
        seen.add(id(value))
        memo_key = (id(value), primary)
        memo = _ENTRY_MEMO.get(memo_key)
        if memo is None or memo[0] is not value:
            memo = (value, _describe_entry(value, primary))
            _ENTRY_MEMO[memo_key] = memo
        out.append(memo[1])
        return
    if isinstance(value, (list, tuple)):
        if len(value) > 32:
            memo = _LIST_MEMO.get(id(value))
            if memo is None or memo[0] is not value:
                parts: list[str] = []
                for item in value:
                    _walk(item, parts, set())
                # A listing appears on many pages (every page of a rubric, year, country):
                # its digest stands for it, so that no page hashes the whole list again.
                memo = (value, hashlib.sha1("\x1f".join(parts).encode()).hexdigest())
                _LIST_MEMO[id(value)] = memo
            out.append(f"[{len(value)}:" + memo[1] + "]")
            return
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
        memo = _ENTRY_MEMO.get((id(value), False))
        if memo is None or memo[0] is not value:
            parts = [type(value).__name__]
            for field in dataclasses.fields(value):
                _walk(getattr(value, field.name), parts, set())
            memo = (value, "\x1f".join(parts))
            _ENTRY_MEMO[(id(value), False)] = memo
        out.append(memo[1])
        return
    out.append(repr(value))


def forget_descriptions() -> None:
    """Forget the descriptions remembered by object: each build starts without them (the
    preview's model outlives a build, and an entry's text may be changed in place)."""
    _LIST_MEMO.clear()
    _ENTRY_MEMO.clear()


def describe(value: Any, primary: bool = False) -> str:
    parts: list[str] = []
    _walk(value, parts, set(), primary)
    return "\x1f".join(parts)


def route_key(route: Route, global_key: str, all_content_key: str, page_facts: str) -> str:
    """The key of one page. Listings without their own ``items`` show site-wide figures."""
    digest = hashlib.sha256()
    digest.update(global_key.encode())
    digest.update(describe((route.url, route.template, route.title, route.description, route.crumbs,
                            route.kind, route.indexed, route.preview)).encode())
    digest.update(describe(route.entry, primary=True).encode())
    digest.update(describe(route.data).encode())
    if route.entry is None and "items" not in route.data:
        digest.update(all_content_key.encode())
    digest.update(page_facts.encode())
    return digest.hexdigest()


class Manifest:
    """Keys of the pages in the current output, kept in the cache folder (never in output/).

    With each key go the size and modification time the file had when the build finished:
    a file changed by hand in the output since then is not trusted, but made again.
    """

    def __init__(self, cache_dir: Path, out: Path, kind: str = "html"):
        name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
        self.path = cache_dir / kind / f"{name}.json"
        self.out = out
        self.previous: dict[str, list] = {}
        self.previous_fingerprint = ""
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            self.previous = dict(saved["pages"])
            self.previous_fingerprint = str(saved.get("fingerprint", ""))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.previous = {}
        self.current: dict[str, str] = {}
        self.fingerprint = ""             # of everything the keys are made of (see render_routes)
        self.kept: set[str] = set()       # files found unchanged: their saved entry still holds

    def unchanged(self, output_path: str, key: str, old_output: Path | None) -> Path | None:
        """The previous build's file when its key matches and nobody has touched it since."""
        saved = self.previous.get(output_path)
        if old_output is None or not isinstance(saved, list) or saved[0] != key:
            return None
        old = old_output / output_path
        try:
            stat = old.stat()
        except OSError:
            return None
        if [stat.st_size, stat.st_mtime_ns] != saved[1:]:
            return None
        self.kept.add(output_path)
        return old

    def save(self) -> None:
        pages = {}
        for output_path, key in self.current.items():
            if output_path in self.kept:        # left in place, not rewritten: no need to stat it again
                pages[output_path] = self.previous[output_path]
                continue
            try:
                stat = (self.out / output_path).stat()
            except OSError:
                continue
            pages[output_path] = [key, stat.st_size, stat.st_mtime_ns]
        write_atomically(self.path, json.dumps({"pages": pages, "fingerprint": self.fingerprint}, sort_keys=True).encode("utf-8"))


# --- rendering only what changed, on all cores -------------------------------------------

# Below this many pages a process pool costs more than it saves.
PARALLEL_THRESHOLD = 200


def write_each(staged: Any, bodies: Any, count: int, workers: int, parallel_from: int,
               write_one: Callable[[int], None]) -> None:
    """``write_one(i)`` for each of ``count`` items; in forked workers from ``parallel_from`` on.

    The workers' copies of ``staged`` are gone with them: each batch reports which files it
    wrote (and which came out new or changed), and the parent records them. Bodies rendered
    in a worker go to the body store for the parent's feeds and e-mails.
    """
    if workers <= 1 or count < parallel_from:
        for index in range(count):
            write_one(index)
        return

    def batch(indices: list[int]) -> list[tuple[str, bool]]:
        before = set(staged.expected)
        for index in indices:
            write_one(index)
        bodies.flush()
        return [(relative, relative in staged.staged) for relative in staged.expected - before]

    bodies.close()          # no open store connection may cross the fork
    for done in forked_batches(batch, count, workers):
        for relative, was_staged in done:
            staged.expected.add(relative)
            if was_staged:
                staged.staged.add(relative)


def _full_digests(site: Any) -> list[str]:
    """The hash of every published content file (bodies included), in site order."""
    digests = []
    for collection in site.kinds:
        for entry in collection:
            digests.append(entry.source.digest)
            digests += [article.source.digest for article in getattr(entry, "articles", ())]
    return digests


def content_key(site: Any) -> str:
    digest = hashlib.sha256()
    for collection in site.kinds:
        digest.update(describe(collection).encode())
    return digest.hexdigest()


def render_routes(context: Any, staged: Any, env: Any, routes: list[Route]) -> list[Route]:
    """Write every route's page; returns the routes that were actually rendered."""
    site = context.site
    cities_and_menu = describe((site.cities, site.menu_pages, site.countries_with_cities))
    # Facts that pages show but no content file holds (PDF sizes, covers, feeds, dates): the
    # context's PageFacts describes them all, the same that the templates receive.
    global_key = hashlib.sha256("\n".join([
        context.templates_key, cities_and_menu, *context.facts.site_wide(site), site.settings.base_url,
        repr(context.config.drafts),
    ]).encode()).hexdigest()
    warm = context.warm
    shortcut = warm.unchanged_but(global_key, context.facts.updated_of) if warm is not None else None
    # The preview, after a change of text alone: the other pages' keys are the last build's.
    all_key = warm.all_key if warm is not None and shortcut is not None else content_key(site)
    manifest = Manifest(context.config.cache, context.config.out)
    context.global_key, context.all_key, context.page_keys = global_key, all_key, manifest.current
    context.after_commit.append(manifest.save)
    if warm is not None and shortcut is not None:
        context.edited_only = shortcut
        rendered = _render_edited_first(context, staged, env, routes, manifest, shortcut, global_key, all_key,
                                        warm.keys)
        _LIST_MEMO.clear()
        _ENTRY_MEMO.clear()
        return rendered
    todo: list[Route] = []
    _key_every_route(context, staged, routes, manifest, global_key, all_key, todo)

    from .render_html import render_route, template_problem

    def write_page(index: int) -> None:
        route = todo[index]
        try:
            html = render_route(env, route)
        except jinja2.TemplateError as error:
            # Here the traceback still names the template line; a parent process would not see it.
            raise BuildFailed([template_problem(error, context.config.root)]) from None
        staged.write(route.output_path, html)

    write_each(staged, context.bodies, len(todo), context.config.processes, PARALLEL_THRESHOLD, write_page)
    _LIST_MEMO.clear()
    _ENTRY_MEMO.clear()
    return todo


def _key_every_route(context: Any, staged: Any, routes: list[Route], manifest: Manifest, global_key: str,
                     all_key: str, todo: list[Route]) -> None:
    """Every page's key; the pages whose key or file is not the last build's go to ``todo``."""
    site = context.site
    facts_of = [context.facts.of_page(route) for route in routes]
    # Everything a page key is made of: when none of it changed since the last build, every
    # key is the one the manifest holds and is not worked out again (a no-change rebuild).
    manifest.fingerprint = hashlib.sha256("\n".join([
        global_key, all_key, repr(site.options.today), *_full_digests(site), *facts_of,
        *(f"{route.output_path} {route.preview} {route.indexed}" for route in routes),
    ]).encode()).hexdigest()
    same_inputs = manifest.fingerprint == manifest.previous_fingerprint
    for route, facts in zip(routes, facts_of, strict=True):
        saved = manifest.previous.get(route.output_path) if same_inputs else None
        key = saved[0] if isinstance(saved, list) and saved else route_key(route, global_key, all_key, facts)
        manifest.current[route.output_path] = key
        if manifest.unchanged(route.output_path, key, staged.previous):
            staged.take_over(route.output_path)
        else:
            todo.append(route)


def _render_edited_first(context: Any, staged: Any, env: Any, routes: list[Route], manifest: Manifest,
                         edited: frozenset[str], global_key: str, all_key: str,
                         last_keys: dict[str, str]) -> list[Route]:
    """The preview after a change of text alone: the pages of the edited entries are keyed,
    rendered and announced first; every other page keeps its key and file (this process
    wrote them, in a folder of its own)."""
    from .render_html import render_route, template_problem

    written: set[str] = set()
    rendered: list[Route] = []
    for route in routes:
        if route.entry is None or route.entry.source.path not in edited:
            continue
        key = route_key(route, global_key, all_key, context.facts.of_page(route))
        manifest.current[route.output_path] = key
        if key == last_keys.get(route.output_path) and manifest.unchanged(route.output_path, key, staged.previous):
            continue
        try:
            html = render_route(env, route)
        except jinja2.TemplateError as error:
            raise BuildFailed([template_problem(error, context.config.root)]) from None
        staged.write(route.output_path, html)
        written.add(route.output_path)
        rendered.append(route)
        if context.page_ready is not None:
            context.page_ready(route.output_path, html)
    # Not every key was worked out: the next full build works them all out again.
    manifest.fingerprint = ""
    for route in routes:
        path = route.output_path
        if path in written:
            continue
        if path in manifest.current:            # an edited entry's page, the same as before
            staged.take_over(path)
            continue
        manifest.current[path] = last_keys[path]
        if path in manifest.previous:
            manifest.kept.add(path)
        staged.take_over(path)
    return rendered


class KeptFiles:
    """One step's files, each kept from the previous build while its key is unchanged.

    The sequence every caching step follows: read the step's manifest, take over the files
    whose key and bytes are those of the last build, record the others as made, and save the
    manifest only once the new output is in place.
    """

    def __init__(self, context: Any, staged: Any, kind: str):
        self.manifest = Manifest(context.config.cache, context.config.out, kind=kind)
        self.staged = staged
        context.after_commit.append(self.manifest.save)

    @property
    def previous_paths(self) -> list[str]:
        return list(self.manifest.previous)

    def keep(self, paths: Iterable[str], key: str) -> bool:
        """Take over ``paths`` from the previous output if all of them are unchanged under ``key``."""
        paths = list(paths)
        if not paths or not all(self.manifest.unchanged(path, key, self.staged.previous) for path in paths):
            return False
        self.made(paths, key)
        for path in paths:
            self.staged.take_over(path)
        return True

    def made(self, paths: Iterable[str], key: str) -> None:
        """Record files written now under ``key``."""
        for path in paths:
            self.manifest.current[path] = key
