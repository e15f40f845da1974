"""The shipped nginx configuration (deploy/nginx/), run by a real nginx on a local port over a
site published with the real deploy command (rsync): headers, precompressed files, the 404
page, aliases, the subscription service's location, and the Content-Security-Policy that every
kind of page satisfies in headless Chromium.
"""
from __future__ import annotations

import gzip
import http.client
import http.server
import re
import threading
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import brotli
import pytest
from conftest import CSP_LISTENER, Repo, csp_violations, free_port, headless_chromium, make_repo
from test_video import add_outside
from webserver import Nginx, brotli_module, running_nginx

from egorod.policy import content_security_policy

pytestmark = pytest.mark.slow

IMMUTABLE = "public, max-age=31536000, immutable"
ALIAS = "/old/practices/sbor.html"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Repo, Path]]:
    """The test site built whole (PDFs, search) and deployed into a folder."""
    root = tmp_path_factory.mktemp("webserver")
    repo = make_repo(root / "site")
    practice = repo.root / "content/practices/razdelnyy-sbor.md"
    # An alias, and a table with aligned columns (once a style attribute the policy would block).
    practice.write_text(practice.read_text(encoding="utf-8").replace(
        "---\ntitle:", f"---\naliases: [{ALIAS}]\ntitle:", 1) + "\n| Год | Тонн |\n|:--|--:|\n| 2020 | 15 |\n",
        encoding="utf-8")
    add_outside(repo)       # a video page: the one kind whose policy lets the hosts' players in
    result = repo.run("build", "--quiet")
    assert result.status == 0, result.output
    target = root / "www"
    result = repo.run("deploy", "--target", str(target))
    assert result.status == 0, result.output
    yield repo, target


@pytest.fixture(scope="module")
def nginx(published: tuple[Repo, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    with running_nginx(tmp_path_factory.mktemp("nginx"), published[1]) as server:
        yield server


def _stylesheet(nginx: Nginx) -> str:
    page = nginx.request("/")[1].decode("utf-8")
    return re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)


def test_pages_are_utf8_html_that_revalidates(nginx: Nginx):
    status, _, headers = nginx.request("/cities/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"


def test_a_folder_address_without_its_slash_is_redirected_to_it(nginx: Nginx):
    status, _, headers = nginx.request("/cities")
    assert status == 301 and headers["Location"] == "/cities/"


def test_hashed_stylesheet_is_cached_for_a_year(nginx: Nginx):
    css = _stylesheet(nginx)
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{8}\.css", css)
    status, body, headers = nginx.request(css)
    assert status == 200 and headers["Content-Type"] == "text/css; charset=utf-8"
    assert headers["Cache-Control"] == IMMUTABLE
    font = re.search(r'url\("\.\./fonts/([^"]+)"\)', body.decode("utf-8")).group(1)
    status, _, headers = nginx.request(f"/static/fonts/{font}")
    assert status == 200 and headers["Content-Type"] == "font/woff2" and headers["Cache-Control"] == IMMUTABLE


def test_plain_name_of_a_static_file_revalidates(nginx: Nginx):
    status, _, headers = nginx.request("/static/css/site.css")
    assert status == 200 and headers["Cache-Control"] == "no-cache"


def test_search_index_chunks_are_cached_for_a_year_and_its_entry_revalidates(nginx: Nginx,
                                                                             published: tuple[Repo, Path]):
    chunk = next((published[1] / "pagefind/index").iterdir()).relative_to(published[1]).as_posix()
    assert nginx.request(f"/{chunk}")[2]["Cache-Control"] == IMMUTABLE
    assert nginx.request("/pagefind/pagefind-entry.json")[2]["Cache-Control"] == "no-cache"


def test_pdf_is_served_as_pdf_and_revalidates(nginx: Nginx):
    status, body, headers = nginx.request("/vestnik/1/vestnik-1.pdf")
    assert status == 200 and body.startswith(b"%PDF")
    assert headers["Content-Type"] == "application/pdf" and headers["Cache-Control"] == "no-cache"


def test_feed_is_utf8_xml_that_revalidates(nginx: Nginx):
    status, body, headers = nginx.request("/bulletins/feed.xml")
    assert status == 200 and b"<rss" in body
    assert headers["Content-Type"] == "text/xml; charset=utf-8" and headers["Cache-Control"] == "no-cache"


def test_gzip_twin_is_sent_to_a_browser_that_accepts_gzip(nginx: Nginx, published: tuple[Repo, Path]):
    status, body, headers = nginx.request("/practices/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == (published[1] / "practices/index.html").read_bytes()


def test_brotli_twin_is_sent_to_a_browser_that_accepts_br(nginx: Nginx, published: tuple[Repo, Path]):
    if brotli_module() is None:
        pytest.skip("nginx has no brotli_static module here (Debian: libnginx-mod-http-brotli-static)")
    css = _stylesheet(nginx)
    status, body, headers = nginx.request(css, headers={"Accept-Encoding": "br, gzip"})
    assert status == 200 and headers["Content-Encoding"] == "br"
    assert headers["Cache-Control"] == IMMUTABLE and headers["Content-Type"] == "text/css; charset=utf-8"
    assert brotli.decompress(body) == (published[1] / css.lstrip("/")).read_bytes()


def test_uncompressed_file_is_sent_to_a_client_without_accept_encoding(nginx: Nginx):
    status, body, headers = nginx.request("/practices/")
    assert status == 200 and "Content-Encoding" not in headers and body.startswith(b"<!doctype html>")


@pytest.mark.parametrize("path", ["/", "/static/css/site.css", "/missing/", ALIAS, "/.egorod-output"])
def test_security_headers_are_on_every_answer(nginx: Nginx, path: str):
    _, _, headers = nginx.request(path)
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Content-Security-Policy"] == content_security_policy(path)


def test_missing_page_gets_the_sites_404_page(nginx: Nginx, published: tuple[Repo, Path]):
    status, body, headers = nginx.request("/no/such/page/")
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == (published[1] / "404.html").read_bytes()


def test_alias_answers_301_to_its_page(nginx: Nginx):
    status, _, headers = nginx.request(ALIAS)
    assert status == 301 and headers["Location"] == "/practices/razdelnyy-sbor/"
    assert nginx.request(headers["Location"])[0] == 200


@pytest.mark.parametrize("path", ["/", "/bulletins/1/email.html", "/video/obzor/", "/video/"])
def test_nginx_sends_the_policy_the_preview_sends(nginx: Nginx, path: str):
    assert nginx.request(path)[2]["Content-Security-Policy"] == content_security_policy(path)


@pytest.mark.parametrize("path", ["/.egorod-output", "/.server/nginx-redirects.conf"])
def test_build_files_are_not_served(nginx: Nginx, path: str):
    assert nginx.request(path)[0] == 404


class _Service(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:   # noqa: N802 (the name http.server calls)
        length = int(self.headers.get("Content-Length", 0))
        answer = f"service got {self.path} {self.rfile.read(length).decode()}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def _post(server: Nginx, path: str, form: str) -> tuple[int, bytes, http.client.HTTPMessage]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("POST", path, body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return response.status, response.read(), response.headers
    finally:
        conn.close()


def test_subscription_requests_are_forwarded_to_the_service(published: tuple[Repo, Path], tmp_path: Path):
    service = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Service)
    threading.Thread(target=service.serve_forever, daemon=True).start()
    try:
        with running_nginx(tmp_path / "nginx", published[1], upstream_port=service.server_address[1]) as server:
            status, body, headers = _post(server, "/subscriptions/subscribe", "email=a@b.example")
    finally:
        service.shutdown()
    assert status == 200 and body == b"service got /subscriptions/subscribe email=a@b.example"
    assert headers["X-Content-Type-Options"] == "nosniff"


# --- the Content-Security-Policy in a real browser ---------------------------------------------



def _one_page_of_each_kind(site: Path) -> list[str]:
    """Every page address with its numbers and slugs taken as placeholders, one of each."""
    kinds: dict[str, str] = {}
    for page in sorted(site.rglob("index.html")):
        url = "/" + page.parent.relative_to(site).as_posix() + "/" if page.parent != site else "/"
        url = url.replace("/./", "/")
        kind = re.sub(r"/[^/]+", "/x", url, count=0) + "|" + url.split("/")[1]
        kinds.setdefault(kind, url)
    return sorted(kinds.values()) + ["/404-missing/", "/bulletins/1/email.html"]


def test_every_kind_of_page_loads_with_the_policy_enforced_without_violations(
        nginx: Nginx, published: tuple[Repo, Path], tmp_path: Path):
    pages = _one_page_of_each_kind(published[1])
    assert len(pages) > 10
    driver = headless_chromium(tmp_path / "chromium")
    found: dict[str, list[str]] = {}
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
        # The search first: its results come from Pagefind's script and WebAssembly.
        for path in [f"/search/?q={quote('автобусы')}", *pages]:
            driver.get(nginx.url + path)
            if "?q=" in path:
                _wait_for(lambda: driver.execute_script(
                    "return document.querySelectorAll('.pagefind-ui__result').length") > 0)
            time.sleep(0.2)     # reports are dispatched after the load
            violations = csp_violations(driver)
            if violations:
                found[path] = violations
    finally:
        driver.quit()
    assert found == {}


def _wait_for(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the search showed no results"
        time.sleep(0.1)


def test_an_inline_script_is_counted_as_a_violation(nginx: Nginx, published: tuple[Repo, Path], tmp_path: Path):
    """The count above is worth something only if a page the policy blocks is caught."""
    (published[1] / "csp-probe.html").write_text(
        '<!doctype html><html lang="ru"><title>probe</title><script>document.title = "ran"</script>'
        '<p style="color: red">probe</p></html>', encoding="utf-8")
    driver = headless_chromium(tmp_path / "chromium")
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
        driver.get(nginx.url + "/csp-probe.html")
        time.sleep(0.2)
        violations = driver.execute_script("return window.__violations")
        title = driver.title
    finally:
        driver.quit()
        (published[1] / "csp-probe.html").unlink()
    assert title == "probe"
    assert sorted(v.split()[0] for v in violations) == ["script-src-elem", "style-src-attr"]
