"""`python build.py serve`: preview the site while editing it.

Builds the site (drafts and future-dated entries included, no PDFs unless asked) into
``.cache/serve/<port>/site`` (never ``output/``; removed on exit), serves it on
http://127.0.0.1:8000, watches ``content/``, ``templates/``, ``static/`` and ``site.yaml``
and rebuilds on every change. Open pages
reload by themselves: the templates include ``/_livereload.js`` in serve mode only, and
that small script listens to ``/_livereload`` (Server-Sent Events) for finished builds.

A build with content errors does not stop the server: pages answer with HTTP 500 and an
error page listing the same ``path:line: field: message`` lines that ``check`` prints;
the page reloads again when the file is fixed and the site comes back.

The pipeline stages each build inside that folder (``.egorod-staging/``, never served)
and swaps it in only when it is complete, so a reader never gets a half-written page;
pages that did not change are taken over from the previous build (incremental
rendering), which keeps a rebuild after a save short. The process stays warm: it keeps the
last build's records, site model and page keys (``egorod/warm.py``), and when the files
saved (told by the watcher, nothing is scanned) changed only an entry's text, the edited
files alone are read again and only their pages are rendered; the edited page is served
from memory and the tabs reload as soon as it is rendered, while the build writes the rest.

Connections are bounded: a client silent for ``REQUEST_TIMEOUT`` seconds is dropped, and
beyond ``MAX_CONNECTIONS`` open at once new ones are closed at once, so idle connections
cannot pile up threads.
"""
from __future__ import annotations

import datetime as dt
import html
import http.server
import mimetypes
import posixpath
import shutil
import signal
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from . import pipeline
from .errors import BuildFailed
from .i18n import _, language, ngettext
from .output import STAGING
from .policy import content_security_policy
from .settings import SETTINGS_FILE
from .warm import Warm

WATCHED_DIRS = ("content", "templates", "static")
SCRIPT_URL = "/_livereload.js"
EVENTS_URL = "/_livereload"
SCRIPT_TAG = b'<script src="/_livereload.js"></script>'
KEEPALIVE_SECONDS = 15.0
REQUEST_TIMEOUT = 10.0      # seconds a connection may send nothing (or not read what it asked for)
MAX_CONNECTIONS = 64        # served at once; each has a thread (a few tabs hold an event stream each)

# The whole client: remember which build the page came from (the server writes it into the
# script's URL) and reload as soon as the server reports another one, including a restart.
LIVE_RELOAD_JS = """\
(function () {
  "use strict";
  if (!window.EventSource) { return; }
  var script = document.currentScript;
  var match = /[?&]v=([^&#]+)/.exec(script ? script.src : "");
  var shown = match ? decodeURIComponent(match[1]) : null;
  var source = new EventSource("/_livereload");
  source.addEventListener("build", function (event) {
    if (shown === null) { shown = event.data; return; }
    if (event.data !== shown) { source.close(); window.location.reload(); }
  });
})();
"""

ERROR_CSS_URL = "/_error.css"
# A file of its own, not a <style>: the preview sends the site's Content-Security-Policy.
ERROR_CSS = """\
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #fff7f5; color: #2b1a17; }
main { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; color: #9b1c0c; }
ol { padding-left: 1.5rem; }
li { margin: .5rem 0; }
code, pre { font: 14px/1.45 ui-monospace, monospace; white-space: pre-wrap; word-break: break-word; }
.where { font-weight: bold; }
.hint { color: #5c4a46; }
"""

ERROR_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<link rel="stylesheet" href="{stylesheet}">
</head>
<body>
<main>
<h1>{heading}</h1>
<p>{intro}</p>
{details}
<p class="hint">{hint}</p>
</main>
<script src="{script}"></script>
</body>
</html>
"""


# --- state shared by the builder, the watcher and the request handlers --------------------

@dataclass(frozen=True)
class BuildState:
    """The outcome of the last build: a folder to serve and/or the errors to show."""
    token: str                      # identifies the build; pages reload when it changes
    folder: Path | None             # the last good build (kept while errors are shown)
    problems: tuple[str, ...] = ()  # `path:line: field: message` lines of a failed build
    crash: str = ""                 # a traceback when the build failed for another reason
    # Pages of the running build already rendered (output path → HTML), served before the
    # build has written the rest: the edited page reloads while the site around it is finished.
    early: Mapping[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.problems or self.crash)


class Hub:
    """The current build state, with waiting for the next one (for the event stream)."""

    def __init__(self, state: BuildState):
        self._cond = threading.Condition()
        self._state = state
        self.closed = False

    @property
    def state(self) -> BuildState:
        with self._cond:
            return self._state

    def publish(self, state: BuildState) -> None:
        with self._cond:
            self._state = state
            self._cond.notify_all()

    def wait_for_change(self, token: str | None, timeout: float) -> BuildState:
        with self._cond:
            self._cond.wait_for(lambda: self.closed or self._state.token != token, timeout)
            return self._state

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


# --- building -----------------------------------------------------------------------------

def describe_crash(exc: BaseException) -> str:
    """A failure that is neither a content nor a template problem (those are BuildFailed)."""
    return "".join(traceback.format_exception(exc))


class Builder:
    """Builds on request in its own thread; requests made during a build are merged.

    Every build goes to the same folder, so the pipeline's incremental rendering reuses
    the pages that did not change; a failed build leaves the previous one in place.
    """

    def __init__(self, make_config, out: Path, hub: Hub, log):
        self.make_config = make_config
        self.out = out
        self.hub = hub
        self.log = log
        self.instance = uuid.uuid4().hex[:8]
        self.generation = 0
        self.warm = Warm()      # the last build's records, model and page keys
        self._pending: set[str] = set()
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="egorod-builder", daemon=True)

    def build_now(self, reason: str = "start", changed: set[str] | None = None) -> BuildState:
        """Build now; ``changed`` (paths relative to the root) are the files saved since the last
        build, which let a change of an entry's text alone take the short way (egorod/warm.py)."""
        self.generation += 1
        token = f"{self.instance}-{self.generation}"
        config = self.make_config(self.out)
        previous = self.hub.state
        started = time.perf_counter()
        announced: dict[str, str] = {}

        def page_ready(path: str, html: str) -> None:
            # The edited page is served from memory at once; the build writes the rest meanwhile.
            announced[path] = html
            if not previous.failed:
                self.hub.publish(BuildState(token, previous.folder, early=dict(announced)))

        if changed:
            self.warm.patch(config.root, changed, config.today or dt.date.today())
        try:
            pipeline.build(config, warm=self.warm, page_ready=page_ready)
        except BuildFailed as failed:
            state = BuildState(self._after(token, announced), previous.folder,
                               tuple(str(p) for p in failed.problems))
        except Exception as exc:   # a crash must not stop the preview either
            state = BuildState(self._after(token, announced), previous.folder, (), describe_crash(exc))
        else:
            state = BuildState(token, self.out)    # the same build as announced: no second reload
        elapsed = time.perf_counter() - started
        self.hub.publish(state)
        self._report(state, reason, elapsed)
        return state

    def _after(self, token: str, announced: dict[str, str]) -> str:
        """A failed build's token: another one when its first pages were announced already, so
        that the tabs reload once more, to the error page."""
        if not announced:
            return token
        self.generation += 1
        return f"{self.instance}-{self.generation}"

    def _report(self, state: BuildState, reason: str, elapsed: float) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        if not state.failed:
            self.log(_("[{time}] built in {seconds:.2f} s ({reason})").format(time=stamp, seconds=elapsed,
                                                                              reason=reason))
            return
        count = len(state.problems)
        self.log(_("[{time}] build failed ({reason}); the browser shows the error page:").format(
            time=stamp, reason=reason))
        for line in state.problems:
            self.log(line)
        if state.crash:
            self.log(state.crash.rstrip())
        elif count:
            self.log(ngettext("{count} error: fix the line above and save; the site comes back by itself.",
                              "{count} errors: fix the lines above and save; the site comes back by itself.",
                              count).format(count=count))

    def request(self, changed: set[str]) -> None:
        with self._lock:
            self._pending |= changed
        self._wanted.set()

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            if self._stop.is_set():
                return
            with self._lock:
                changed, self._pending = self._pending, set()
                self._wanted.clear()
            shown = sorted(changed)
            reason = ", ".join(shown[:3])
            if len(shown) > 3:
                reason = _("{files} and {count} more").format(files=reason, count=len(shown) - 3)
            self.build_now(reason or _("a change"), changed)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wanted.set()
        self._thread.join(timeout)


# --- watching -----------------------------------------------------------------------------

class Watcher:
    """Watches the folders recursively and site.yaml (via its folder, so editors that save
    by writing a new file and renaming it are noticed too)."""

    def __init__(self, root: Path, on_change, log):
        self.root = root
        self.on_change = on_change
        self.log = log
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []

    def _run(self, paths: list[str], recursive: bool, keep) -> None:
        from watchfiles import DefaultFilter, watch
        default = DefaultFilter()

        def accept(change, path) -> bool:
            return default(change, path) and keep(path)

        try:
            for changes in watch(*paths, watch_filter=accept, recursive=recursive, debounce=1600, step=30,
                                 stop_event=self.stop_event, rust_timeout=1000, raise_interrupt=False):
                if self.stop_event.is_set():
                    return
                rel = {Path(path).relative_to(self.root).as_posix() if Path(path).is_relative_to(self.root)
                       else path for _, path in changes}
                self.on_change(rel)
        except Exception as exc:   # e.g. a watched folder was removed: say so instead of going quiet
            self.log(_("stopped watching {paths}: {reason}; restart `serve` to see further changes").format(
                paths=", ".join(paths), reason=exc))

    def start(self) -> None:
        folders = [str(self.root / d) for d in WATCHED_DIRS if (self.root / d).is_dir()]
        settings = str(self.root / SETTINGS_FILE)
        jobs = [(folders, True, lambda path: True),
                ([str(self.root)], False, lambda path: path == settings)]
        for paths, recursive, keep in jobs:
            if paths:
                thread = threading.Thread(target=self._run, args=(paths, recursive, keep),
                                          name="egorod-watcher", daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout)


# --- serving ------------------------------------------------------------------------------

mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".js")


class PreviewServer(http.server.ThreadingHTTPServer):
    daemon_threads = True          # an open event stream never holds the process
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128       # a burst of connections waits to be accepted instead of being dropped

    def __init__(self, address, hub: Hub, max_connections: int = MAX_CONNECTIONS):
        super().__init__(address, PreviewHandler)
        self.hub = hub
        self._slots = threading.BoundedSemaphore(max_connections)

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)      # too many open: this one is closed, no thread made
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class PreviewHandler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "e-gorod-preview"
    timeout = REQUEST_TIMEOUT       # the socket's: a silent client no longer keeps its thread forever

    def log_message(self, format: str, *args) -> None:   # noqa: A002 - the base class's name
        pass   # one line per build is printed instead of one per request

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def do_GET(self) -> None:
        self._respond(head=False)

    # --- dispatch ---
    def _respond(self, head: bool) -> None:
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        try:
            if path == EVENTS_URL:
                return self._events(head)
            if path == SCRIPT_URL:
                return self._send(200, "text/javascript; charset=utf-8", LIVE_RELOAD_JS.encode(), head)
            if path == ERROR_CSS_URL:
                return self._send(200, "text/css; charset=utf-8", ERROR_CSS.encode(), head)
            state = self.server.hub.state
            is_page = path.endswith("/") or path.endswith(".html") or "." not in posixpath.basename(path)
            if state.failed and is_page:
                return self._send(500, "text/html; charset=utf-8", error_page(state), head)
            self._file(state, path, url.query, head)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _file(self, state: BuildState, path: str, query: str, head: bool) -> None:
        folder = state.folder
        if folder is None:   # nothing built yet: the first build is running or has failed
            status, text = (404, "not found") if state.failed else (503, "the site is being built")
            return self._send(status, "text/plain; charset=utf-8", text.encode(), head)
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..", STAGING) or "\\" in p or "\0" in p for p in parts):
            return self._not_found(folder, state, head)
        target = folder.joinpath(*parts)
        if target.is_dir():
            if not path.endswith("/"):
                location = path + "/" + (f"?{query}" if query else "")
                self.send_response(301)
                self.send_header("Location", urllib.parse.quote(location, safe="/?=&"))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = target / "index.html"
        early = state.early.get(target.relative_to(folder).as_posix()) if state.early else None
        if early is not None:
            return self._send(200, "text/html; charset=utf-8", with_reload_script(early.encode(), state.token), head)
        if not target.is_file():
            return self._not_found(folder, state, head)
        self._send_file(200, target, state, head)

    def _not_found(self, folder: Path, state: BuildState, head: bool) -> None:
        page = folder / "404.html"
        if page.is_file():
            return self._send_file(404, page, state, head)
        self._send(404, "text/plain; charset=utf-8", b"not found", head)

    def _send_file(self, status: int, target: Path, state: BuildState, head: bool) -> None:
        data = target.read_bytes()
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind == "text/html":
            data = with_reload_script(data, state.token)
        if kind.startswith("text/") or kind in ("application/xml", "application/json", "image/svg+xml"):
            kind += "; charset=utf-8"
        self._send(status, kind, data, head)

    def _send(self, status: int, kind: str, data: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy",
                         content_security_policy(urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self, head: bool) -> None:
        """Server-Sent Events: the current build on connect, then every new one."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if head:
            return
        hub = self.server.hub
        self.wfile.write(b"retry: 1000\n\n")
        seen: str | None = None
        while not hub.closed:
            state = hub.wait_for_change(seen, KEEPALIVE_SECONDS)
            if hub.closed:
                break
            if state.token != seen:
                seen = state.token
                self.wfile.write(f"event: build\ndata: {seen}\n\n".encode())
            else:
                self.wfile.write(b": keep-alive\n\n")
            self.wfile.flush()
        self.close_connection = True


def with_reload_script(page: bytes, token: str) -> bytes:
    """Tell the page's script which build it came from; add the script if a template lacks it."""
    tag = f'<script src="{SCRIPT_URL}?v={token}"></script>'.encode()
    if SCRIPT_TAG in page:
        return page.replace(SCRIPT_TAG, tag)
    end = page.rfind(b"</body>")
    return page[:end] + tag + page[end:] if end >= 0 else page + tag


def error_page(state: BuildState) -> bytes:
    count = len(state.problems)
    if state.problems:
        items = "\n".join(_problem_item(line) for line in state.problems)
        details = f"<ol>\n{items}\n</ol>"
    else:
        details = ""
    if state.crash:
        details += f"<pre>{html.escape(state.crash)}</pre>"
    heading = _("The site is not built: the files have mistakes") if count else _("The site is not built: "
                                                                                  "the build failed")
    intro = (ngettext("{count} mistake found. Each line gives the file, the line number, the field and what to fix.",
                      "{count} mistakes found. Each line gives the file, the line number, the field and what to fix.",
                      count).format(count=count)
             if count else _("The build stopped with an error of the program; its description follows."))
    hint = html.escape(_("Correct the file and save it: this page reloads by itself. `python build.py check` "
                         "prints the same messages.")).replace("`python build.py check`",
                                                               "<code>python build.py check</code>")
    return ERROR_PAGE.format(lang=language(), title=html.escape(_("The site could not be built")),
                             heading=html.escape(heading), intro=html.escape(intro), hint=hint, details=details,
                             stylesheet=ERROR_CSS_URL, script=f"{SCRIPT_URL}?v={state.token}").encode("utf-8")


def _problem_item(line: str) -> str:
    where, sep, rest = line.partition(": ")
    if not sep:
        return f"<li><code>{html.escape(line)}</code></li>"
    return f'<li><code><span class="where">{html.escape(where)}</span>: {html.escape(rest)}</code></li>'


# --- the command --------------------------------------------------------------------------

def display_host(host: str) -> str:
    return "localhost" if host in ("", "0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, pdf: bool = False,
          search: bool = False, log=None) -> int:
    """Build, serve and rebuild until Ctrl-C (or SIGTERM); returns the exit status."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    hub = Hub(BuildState("starting", None))
    try:
        server = PreviewServer((host, port), hub)
    except OSError as exc:
        log(_("cannot listen on {host}:{port}: {reason}; choose another port with --port").format(
            host=host, port=port, reason=exc.strerror or exc))
        return 2
    actual_port = server.server_address[1]
    address = f"http://{display_host(host)}:{actual_port}/"
    # Never output/: the preview has drafts and the reload script. One folder per port (two
    # previews may run at once) in the git-ignored cache, removed when the preview stops.
    workdir = root / pipeline.CACHE_DIR / "serve" / str(actual_port)
    out = workdir / "site"

    def make_config(folder: Path) -> pipeline.BuildConfig:
        # One rendering process: forking a process that runs server threads is not safe.
        return pipeline.BuildConfig(root=root, out=folder, drafts=True, base_url=address, pdf=pdf,
                                    search=search, compress=False, live_reload=True, quiet=True, workers=1)

    builder = Builder(make_config, out, hub, log)
    watcher = Watcher(root, builder.request, log)

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    in_main = threading.current_thread() is threading.main_thread()
    previous_term = signal.signal(signal.SIGTERM, interrupt) if in_main else None
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                               name="egorod-http", daemon=True)
    try:
        watcher.start()              # before the first build, so no edit falls in between
        builder.build_now(_("start"))
        builder.start()
        serving.start()
        log(_("serving {root} at {address} (drafts shown); press Ctrl-C to stop").format(root=root, address=address))
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        log(_("stopping"))
    finally:
        if previous_term is not None:   # a second SIGTERM ends the process at once
            signal.signal(signal.SIGTERM, previous_term)
        watcher.stop_event.set()
        hub.close()                  # open event streams end now
        if serving.is_alive():
            server.shutdown()
        server.server_close()
        watcher.stop()
        builder.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            workdir.parent.rmdir()   # .cache/serve, when no other preview runs
        except OSError:
            pass
    return 0
