"""Accessibility measured by a real checker: axe-core (npm, pinned in package-lock.json) in
headless Chromium over one page of each kind of the sample site, at 1280 and 375 px wide and
in dark mode, with no serious or critical violation allowed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PROJECT, headless_chromium, npm_package
from test_search import serve

from egorod import cli

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow

# One page of each kind (the search page with a query, so that results and filters are there).
PAGES = [
    "/", "/cities/", "/cities/moskva/", "/practices/", "/practices/odno-okno-dlya-predprinimateley/",
    "/practices/rubrics/transport/", "/practices/years/2023/", "/practices/countries/belarus/",
    "/bulletins/", "/bulletins/238/", "/vestnik/", "/vestnik/77/", "/vestnik/77/chto-delaet-gorod-komfortnym/",
    "/events/", "/events/2027/", "/events/2027/forum-megapolis/", "/news/", "/news/2026-11-24-gorod-v-zerkale-smi/",
    "/contests/", "/contests/gorod-gde-khochetsya-zhit/13/",
    "/exhibitions/", "/exhibitions/gorod-v-vosmi-vidakh/",
    "/video/", "/video/tramvay-na-naberezhnoy/", "/video/magiya-teatra-obzor/",
    "/contacts/", "/accessibility/", "/privacy/", "/feeds/", "/site-map/", "/open-data/", "/404.html",
    "/search/?q=%D1%82%D1%80%D0%B0%D0%BD%D1%81%D0%BF%D0%BE%D1%80%D1%82",
]
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory):
    out = tmp_path_factory.mktemp("axe") / "output"
    assert cli.main(["--root", str(PROJECT), "build", "--out", str(out), "--no-pdf", "--quiet"]) == 0
    with serve(out) as url:
        yield url


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (npm_package("axe-core") / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = headless_chromium(tmp_path_factory.mktemp("chromium"))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def emulate(driver, width: int, dark: bool) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})


def violations(driver, axe_source: str) -> list[dict]:
    """axe.run over the whole document; serious and critical violations with their nodes."""
    if "/search/" in driver.current_url:      # wait for the results Pagefind's UI draws
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".pagefind-ui__result"))
    driver.execute_script(axe_source)
    result = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)),
                                                             e => done(JSON.stringify({error: String(e)})));
    """)
    found = json.loads(result)
    assert not isinstance(found, dict), found
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in found if v["impact"] in BLOCKING]


@pytest.mark.parametrize("width,dark", [(1280, False), (375, False), (1280, True)],
                         ids=["1280px", "375px", "1280px-dark"])
def test_no_serious_or_critical_axe_violation_on_any_kind_of_page(browser, sample_url, axe_source, width, dark):
    emulate(browser, width, dark)
    failures = {}
    for page in PAGES:
        browser.get(sample_url + page)
        found = violations(browser, axe_source)
        if found:
            failures[page] = found
    assert failures == {}, json.dumps(failures, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("width,dark", [(1280, False), (375, True)], ids=["1280px", "375px-dark"])
def test_the_open_lightbox_has_no_serious_or_critical_axe_violation(browser, sample_url, axe_source, width, dark):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    emulate(browser, width, dark)
    browser.get(sample_url + "/exhibitions/gorod-v-vosmi-vidakh/")
    browser.find_element(By.CSS_SELECTOR, "a.exhibit-link").send_keys(Keys.ENTER)
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] img"))
    found = violations(browser, axe_source)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)


def test_axe_is_the_pinned_version():
    lock = json.loads((PROJECT / "package-lock.json").read_text(encoding="utf-8"))
    installed = json.loads((npm_package("axe-core") / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == lock["packages"]["node_modules/axe-core"]["version"]


def test_every_kind_of_page_is_checked():
    built = Path(PROJECT / "templates")
    page_templates = {p.name for p in built.glob("*.html")} - {"base.html", "macros.html", "subscribe_form.html"}
    # each template has a page in PAGES (by its URL pattern); listed here so a new template
    # without an axe check fails
    covered = {"home.html", "cities.html", "city.html", "practices.html", "practice.html", "rubric.html",
               "year.html", "country.html", "bulletins.html", "bulletin.html", "vestnik.html",
               "vestnik_issue.html", "article.html", "page.html", "feeds.html", "site_map.html",
               "open_data.html", "404.html", "search.html", "events.html", "events_year.html", "event.html",
               "news.html", "news_item.html", "contests.html", "contest_edition.html",
               "exhibitions.html", "exhibition.html", "videos.html", "video.html"}
    assert page_templates <= covered, page_templates - covered
