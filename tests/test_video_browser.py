"""An outside video in headless Chromium: every request the browser makes is recorded (the
DevTools network events); none goes to the host before the reader clicks play, and the click
puts the host's player in place under the site's Content-Security-Policy. Requests to the host
are blocked in the browser, so that nothing leaves this machine."""
from __future__ import annotations

import functools
import json
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import CSP_LISTENER, csp_violations, headless_chromium
from test_video import add_outside, add_self_hosted

from egorod.policy import content_security_policy

pytestmark = pytest.mark.slow

HOSTS = ("rutube.ru", "vkvideo.ru", "vk.com", "youtube.com", "youtube-nocookie.com", "ytimg.com", "googlevideo.com")


class _PolicyHandler(SimpleHTTPRequestHandler):
    """The built site as the web server sends it: with the site's Content-Security-Policy."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", content_security_policy(unquote(urlsplit(self.path).path)))
        super().end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _requests(driver) -> list[str]:
    """The addresses of the requests made since the last call (DevTools Network events)."""
    found = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            found.append(message["params"]["request"]["url"])
    return found


def _to_hosts(urls: list[str]) -> list[str]:
    return [url for url in urls if any(urlsplit(url).hostname == host or (urlsplit(url).hostname or "").endswith(
        "." + host) for host in HOSTS)]


@pytest.mark.parametrize(("host", "url", "embed"), [
    ("rutube", "https://rutube.ru/video/" + "0" * 32 + "/", "https://rutube.ru/play/embed/" + "0" * 32),
    ("youtube", "https://www.youtube.com/watch?v=egorodtest0", "https://www.youtube-nocookie.com/embed/egorodtest0"),
])
def test_no_request_to_the_host_until_the_play_button_is_clicked(repo, tmp_path: Path, host, url, embed):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    add_outside(repo, host=host, url=url)
    repo.build()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_PolicyHandler, directory=str(repo.out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = headless_chromium(tmp_path / "chromium", performance_log=True)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        # the host's requests are recorded, then blocked: nothing leaves this machine
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"*{name}*" for name in HOSTS]})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
        site = f"http://127.0.0.1:{server.server_port}"
        driver.get(f"{site}/video/obzor/")
        WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
        time.sleep(0.5)             # anything the page would fetch late (lazy images, scripts)
        before = _requests(driver)
        assert any(u.startswith(f"{site}/static/js/video.") for u in before)     # the script is there and ran
        assert driver.find_element(By.CSS_SELECTOR, "a.video-play").get_attribute("role") == "button"
        assert _to_hosts(before) == []
        assert driver.find_elements(By.TAG_NAME, "iframe") == []

        driver.find_element(By.CSS_SELECTOR, "a.video-play").click()
        frame = WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "figure.video iframe"))[0]
        assert frame.get_attribute("src").startswith(embed)
        assert driver.current_url == f"{site}/video/obzor/"          # played in place, not followed
        WebDriverWait(driver, 10).until(lambda d: _to_hosts(_requests(d)) or None)   # recorded: the test can see one
        time.sleep(0.2)
        assert csp_violations(driver) == []      # the policy of a video page lets the player in
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def test_without_javascript_the_play_button_is_a_link_to_the_host(repo, tmp_path: Path):
    from selenium.webdriver.common.by import By

    add_outside(repo)
    repo.build()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_PolicyHandler, directory=str(repo.out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = headless_chromium(tmp_path / "chromium", javascript=False, performance_log=True)
    try:
        driver.get(f"http://127.0.0.1:{server.server_port}/video/obzor/")
        time.sleep(0.3)
        link = driver.find_element(By.CSS_SELECTOR, "a.video-play")
        assert link.get_attribute("href") == "https://rutube.ru/video/" + "0" * 32 + "/"
        assert link.get_attribute("role") is None and link.is_displayed()
        assert _to_hosts(_requests(driver)) == []
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def test_the_browser_plays_the_self_hosted_video_with_its_russian_captions(repo, tmp_path: Path):
    from selenium.webdriver.support.ui import WebDriverWait

    add_self_hosted(repo)
    repo.build()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_PolicyHandler, directory=str(repo.out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = headless_chromium(tmp_path / "chromium")
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
        driver.get(f"http://127.0.0.1:{server.server_port}/video/tram/")
        # preload="none": nothing is fetched until asked for; here the test asks
        assert driver.execute_script("return document.querySelector('video').readyState") == 0
        driver.execute_script("var v = document.querySelector('video'); v.preload = 'auto'; v.load();")
        WebDriverWait(driver, 15).until(lambda d: d.execute_script(
            "var v = document.querySelector('video'); return v.readyState >= 1 && v.textTracks[0].cues "
            "&& v.textTracks[0].cues.length > 0"))
        played = driver.execute_script(
            "var v = document.querySelector('video'), t = v.textTracks[0];"
            "return [v.currentSrc, Math.round(v.duration), t.kind, t.language, t.mode,"
            " Array.prototype.map.call(t.cues, function (c) { return c.text; })]")
        assert played[0].endswith("/video/tram.webm") and played[1] == 6
        assert played[2:5] == ["captions", "ru", "showing"]
        assert played[5] == ["Набережная утром.", "Проходит трамвай."]
        assert csp_violations(driver) == []
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()
