"""`build.py serve`: the real command in a subprocess, a real browser-like client.

The server is started on a free port with `--root` pointing at a small site in tmp_path;
the tests read pages over HTTP and the reload events over the Server-Sent Events stream,
edit files as an editor would and watch the site follow.
"""
from __future__ import annotations

import html
import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import CSP_LISTENER, PROJECT, csp_violations, free_port, headless_chromium
from test_build import tree_digest

from egorod import pipeline

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow

START_TIMEOUT = 60.0
EVENT_TIMEOUT = 15.0



def get(port: int, path: str) -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8"), dict(response.getheaders())
    finally:
        conn.close()


class Events:
    """The reload event stream, read in a thread: (arrival time, event, data) in a queue."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.request("GET", "/_livereload")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event, data = "message", []
        try:
            while True:
                line = self.response.fp.readline()
                if not line:
                    break
                line = line.decode("utf-8").rstrip("\n")
                if line == "":
                    if data:
                        self.queue.put((time.monotonic(), event, "\n".join(data)))
                    event, data = "message", []
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
        except (OSError, ValueError, AttributeError):
            pass
        self.queue.put((time.monotonic(), "closed", ""))

    def next(self, timeout: float = EVENT_TIMEOUT) -> tuple[float, str, str]:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no event from /_livereload within {timeout} s")

    def close(self) -> None:
        self.conn.close()


class Server:
    def __init__(self, root: Path, log: Path, *extra: str):
        self.root = root
        self.port = free_port()
        self.log_path = log
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(PROJECT / "build.py"), "--root", str(root), "serve", "--port", str(self.port), *extra],
            cwd=root, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.events: list[Events] = []

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                get(self.port, "/_livereload.js")
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"serve did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def stream(self) -> Events:
        events = Events(self.port)
        self.events.append(events)
        return events

    def stop(self) -> None:
        for events in self.events:
            events.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.log.close()


@pytest.fixture
def serve(repo, tmp_path):
    servers: list[Server] = []

    def start(*extra: str) -> Server:
        server = Server(repo.root, tmp_path / f"serve-{len(servers)}.log", *extra)
        servers.append(server)
        server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


def edit(path: Path, old: str, new: str) -> float:
    text = path.read_text(encoding="utf-8")
    assert old in text
    saved = time.monotonic()
    path.write_text(text.replace(old, new), encoding="utf-8")
    return saved


def next_build(events: Events, after: str) -> tuple[float, str]:
    """The first build event announcing a build other than ``after``."""
    while True:
        arrived, kind, data = events.next()
        assert kind != "closed", "the event stream ended"
        if kind == "build" and data != after:
            return arrived, data


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.slow
def test_home_page_served_with_reload_script(serve):
    server = serve()
    status, page, headers = get(server.port, "/")
    assert status == 200
    assert '<html lang="ru">' in page
    assert headers["Cache-Control"] == "no-store"
    match = re.search(r'<script src="/_livereload\.js\?v=([^"]+)"></script>', page)
    assert match, "the served page must carry the reload script with its build"
    status, script, headers = get(server.port, "/_livereload.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    assert "EventSource" in script and "/_livereload" in script
    # The stream announces the build the page came from first.
    events = server.stream()
    _, kind, token = events.next()
    assert (kind, token) == ("build", match.group(1))
    status, _, headers = get(server.port, "/cities")
    assert status == 301 and headers["Location"] == "/cities/"
    status, page, _ = get(server.port, "/no-such-page/")
    assert status == 404 and "Страница не найдена" in page
    status, css, headers = get(server.port, "/static/css/site.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")


@pytest.mark.slow
def test_change_rebuilds_and_emits_reload(serve, repo):
    server = serve()
    events = server.stream()
    _, _, first = events.next()
    saved = edit(repo.root / "content/cities/kazan.md", "Описание города Казань.", "Казань: новый текст для проверки.")
    arrived, second = next_build(events, first)
    latency = arrived - saved
    status, page, _ = get(server.port, "/cities/kazan/")
    assert status == 200
    assert "Казань: новый текст для проверки." in text_of(page)
    assert f"/_livereload.js?v={second}" in page
    assert latency < 10, f"reload event {latency:.2f} s after the save"
    print(f"\nsave → reload event: {latency * 1000:.0f} ms")

    # Templates and site.yaml are watched too; site.yaml saved the way many editors do it
    # (a new file renamed over the old one).
    edit(repo.root / "templates/page.html", "{% block content %}", "{% block content %}<p>из шаблона</p>")
    arrived, third = next_build(events, second)
    assert "из шаблона" in get(server.port, "/about/")[1]
    settings = (repo.root / "site.yaml").read_text(encoding="utf-8")
    temporary = repo.root / ".site.yaml.swp-new"
    temporary.write_text(settings.replace("short_title: МАГ", "short_title: МАГ-тест"), encoding="utf-8")
    os.replace(temporary, repo.root / "site.yaml")
    next_build(events, third)
    assert "МАГ-тест" in get(server.port, "/")[1]


@pytest.mark.slow
def test_content_error_shows_error_page_and_site_comes_back(serve, repo):
    server = serve()
    events = server.stream()
    _, _, first = events.next()
    practice = repo.root / "content/practices/razdelnyy-sbor.md"
    edit(practice, "year: 2020", "yaer: 2020")
    _, broken = next_build(events, first)

    expected = [line for line in repo.run("check").lines if line.startswith("content/")]
    assert any(line.startswith("content/practices/razdelnyy-sbor.md:4: yaer:") for line in expected), expected
    for path in ("/practices/razdelnyy-sbor/", "/", "/cities/kazan/"):
        status, page, headers = get(server.port, path)
        assert status == 500 and headers["Content-Type"].startswith("text/html")
        text = text_of(page)
        for line in expected:   # the same lines `check` prints
            assert line in text
        assert f'<script src="/_livereload.js?v={broken}"></script>' in page   # it reloads too
    assert "content/practices/razdelnyy-sbor.md:4: yaer:" in server.output()
    assert server.process.poll() is None, "a content error must not stop the server"
    # Assets of the last good build are still served, so the rest of the page keeps its look.
    assert get(server.port, "/static/css/site.css")[0] == 200

    edit(practice, "yaer: 2020", "year: 2020")
    _, fixed = next_build(events, broken)
    status, page, _ = get(server.port, "/practices/razdelnyy-sbor/")
    assert status == 200 and "Раздельный сбор отходов" in page
    assert f"/_livereload.js?v={fixed}" in page


@pytest.mark.slow
def test_template_error_is_shown_with_its_line(serve, repo):
    server = serve()
    events = server.stream()
    _, _, first = events.next()
    edit(repo.root / "templates/page.html", "{% block content %}", "{% block content %}{% if %}")
    _, broken = next_build(events, first)
    status, page, _ = get(server.port, "/about/")
    assert status == 500
    assert re.search(r"templates/page\.html:\d+: -: template error", text_of(page))
    edit(repo.root / "templates/page.html", "{% block content %}{% if %}", "{% block content %}")
    next_build(events, broken)
    assert get(server.port, "/about/")[0] == 200


@pytest.mark.slow
def test_drafts_and_future_entries_are_shown_and_marked(serve, repo):
    repo.write("content/bulletins/2.md", """
        ---
        number: 2
        date: 2024-02-15
        draft: true
        ---
        ## Новость черновика
        """)
    repo.write("content/bulletins/3.md", """
        ---
        number: 3
        date: 2999-01-01
        ---
        ## Новость из будущего
        """)
    server = serve()
    for number in (2, 3):
        status, page, _ = get(server.port, f"/bulletins/{number}/")
        assert status == 200
        assert "Черновик или запись с будущей датой" in page
        assert '<meta name="robots" content="noindex">' in page
    # and the published build leaves both out
    repo.build()
    assert not (repo.out / "bulletins/2/index.html").exists()
    assert not (repo.out / "bulletins/3/index.html").exists()




@pytest.fixture
def browser(tmp_path):
    driver = headless_chromium(tmp_path / "chromium")
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait_until(condition, timeout: float = EVENT_TIMEOUT) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return time.monotonic()
        except Exception:   # the page is being replaced right now
            pass
        time.sleep(0.02)
    pytest.fail(f"the condition was not met within {timeout} s")


@pytest.mark.slow
def test_the_open_tab_reloads_by_itself(serve, repo, browser):
    server = serve()
    browser.get(f"http://127.0.0.1:{server.port}/cities/kazan/")
    assert "Описание города Казань." in browser.page_source
    wait_until(lambda: browser.execute_script("return performance.getEntriesByType('resource')"
                                              ".some(e => e.name.includes('/_livereload'))"))
    time.sleep(0.3)   # the event stream is connected
    browser.execute_script("window.notReloaded = true;")
    saved = edit(repo.root / "content/cities/kazan.md", "Описание города Казань.", "Казань после правки.")
    shown = wait_until(lambda: "Казань после правки." in browser.page_source)
    assert browser.execute_script("return window.notReloaded === undefined"), "the page must really reload"
    print(f"\nsave → reloaded page in the browser: {(shown - saved) * 1000:.0f} ms")

    # A mistake: the tab shows the error page by itself, then the page again once fixed.
    edit(repo.root / "content/cities/kazan.md", "coordinates:", "coordinatez:")
    wait_until(lambda: browser.title == "The site could not be built")
    assert "content/cities/kazan.md:4: coordinatez: unknown key" in browser.find_element("tag name", "body").text
    edit(repo.root / "content/cities/kazan.md", "coordinatez:", "coordinates:")
    wait_until(lambda: "Казань после правки." in browser.page_source and browser.title != "The site could not be built")


def test_preview_and_its_error_page_load_under_the_sites_policy_without_violations(serve, repo, browser):
    """The preview sends the published site's Content-Security-Policy, so an editor sees what it
    would block; the live-reload script and the error page must pass it themselves."""
    server = serve()
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
    browser.get(f"http://127.0.0.1:{server.port}/cities/kazan/")
    wait_until(lambda: browser.execute_script("return performance.getEntriesByType('resource')"
                                              ".some(e => e.name.includes('/_livereload'))"))
    assert csp_violations(browser) == []
    edit(repo.root / "content/cities/kazan.md", "coordinates:", "coordinatez:")
    wait_until(lambda: browser.title == "The site could not be built")
    assert browser.execute_script("return getComputedStyle(document.querySelector('h1')).color") == "rgb(155, 28, 12)"
    assert csp_violations(browser) == []


@pytest.mark.slow
def test_new_entries_and_static_files_appear_in_the_preview(serve, repo):
    server = serve()
    events = server.stream()
    _, _, token = events.next()
    created = repo.run("new", "vestnik", "Город будущего")   # a new folder inside content/
    assert created.status == 0, created.output
    _, token = next_build(events, token)
    status, page, _ = get(server.port, "/vestnik/2/")
    assert status == 200 and "Город будущего" in page
    assert "Черновик или запись с будущей датой" in page
    assert get(server.port, "/vestnik/2/nazvanie-stati/")[0] == 200
    css = repo.root / "static/css/site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.preview-test { color: red; }\n", encoding="utf-8")
    next_build(events, token)
    assert ".preview-test { color: red; }" in get(server.port, "/static/css/site.css")[1]


@pytest.mark.slow
def test_published_output_has_no_reload_script(repo):
    repo.build()
    pages = list(repo.out.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        assert "_livereload" not in page.read_text(encoding="utf-8"), page
    assert not (repo.out / "_livereload.js").exists()


@pytest.mark.slow
def test_serve_builds_outside_output_and_ctrl_c_exits_cleanly(serve, repo):
    server = serve()
    events = server.stream()
    events.next()
    assert not repo.out.exists(), "serve must not write the published output/"
    served = repo.root / ".cache" / "serve" / str(server.port) / "site"
    assert (served / "index.html").is_file()
    started = time.monotonic()
    server.process.send_signal(signal.SIGINT)   # Ctrl-C, with an event stream still open
    assert server.process.wait(timeout=10) == 0
    assert time.monotonic() - started < 5
    _, kind, _ = events.next()
    assert kind == "closed"
    assert not served.exists(), "the preview folder is removed on exit"
    assert "Traceback" not in server.output()


def test_port_in_use_is_a_clear_usage_error(repo, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root), "serve",
                               "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "--port" in done.stderr


def wait_for_builds(server: Server, count: int, timeout: float = 60.0) -> None:
    """Until the server has reported ``count`` finished builds and no other follows at once."""
    deadline = time.monotonic() + timeout
    while True:
        done = len(re.findall(r"\] (?:built in|build failed)", server.output()))
        if done >= count:
            time.sleep(0.5)
            if len(re.findall(r"\] (?:built in|build failed)", server.output())) == done:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"{count} builds not reported within {timeout} s:\n{server.output()}")
        time.sleep(0.05)


def append_text(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


@pytest.mark.slow
def test_edits_through_the_preview_give_the_output_of_a_cold_build(serve, repo, tmp_path):
    server = serve()
    served = repo.root / ".cache" / "serve" / str(server.port) / "site"
    content = repo.root / "content"
    edits = [
        ("the text of a practice", lambda: append_text(content / "practices/razdelnyy-sbor.md", "Новый абзац.")),
        ("the text of a bulletin", lambda: append_text(content / "bulletins/1.md", "Ещё новость.")),
        ("the text of a Vestnik article", lambda: append_text(content / "vestnik/1/02-opyt.md", "Вывод.")),
        ("the text of a Vestnik issue", lambda: append_text(content / "vestnik/1/_index.md", "От редакции.")),
        ("the text of a city", lambda: append_text(content / "cities/kazan.md", "О городе.")),
        ("the text of a page", lambda: append_text(content / "pages/about.md", "Об истории.")),
        ("the same practice's text again", lambda: append_text(content / "practices/razdelnyy-sbor.md", "Итог.")),
        ("a practice's title", lambda: edit(content / "practices/razdelnyy-sbor.md",
                                            "title: Раздельный сбор отходов", "title: Раздельный сбор во дворах")),
        ("a link in a bulletin's text", lambda: append_text(content / "bulletins/1.md",
                                                            "См. [Минск](/cities/minsk/).")),
        ("a new practice", lambda: repo.write("content/practices/velodorozhki.md", """
            ---
            title: Велодорожки
            city: moskva
            year: 2022
            rubrics: [velosipednaya-infrastruktura]
            summary: Сеть велодорожек.
            ---
            Текст.
            """)),
        ("the new practice's text", lambda: append_text(content / "practices/velodorozhki.md", "Продолжение.")),
        ("a practice removed", lambda: repo.remove("content/practices/novye-avtobusy.md")),
        ("a mistake in a practice", lambda: edit(content / "practices/velodorozhki.md", "year: 2022", "year: 20x")),
        ("the mistake corrected", lambda: edit(content / "practices/velodorozhki.md", "year: 20x", "year: 2022")),
        ("the text after the mistake", lambda: append_text(content / "practices/velodorozhki.md", "Ещё.")),
    ]
    for index, (name, change) in enumerate(edits, start=2):
        change()
        wait_for_builds(server, index)
        if "mistake in" in name:
            continue
        cold = tmp_path / f"cold-{index}"
        pipeline.build(pipeline.BuildConfig(
            root=repo.root, out=cold, drafts=True, base_url=f"http://127.0.0.1:{server.port}/", pdf=False,
            search=False, compress=False, live_reload=True, quiet=True, workers=1, cache_dir=tmp_path / f"cache-{index}"))
        assert tree_digest(served) == tree_digest(cold), name
