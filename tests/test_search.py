"""Full-text search: the Pagefind bundle, its Russian index and facets, its cache, and the
search page in a real headless Chromium (typing a query in another grammatical form,
narrowing by a facet, the ?q=/?type= links, no third-party request, the no-JS fallback).
"""
from __future__ import annotations

import functools
import gzip
import json
import re
import shutil
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import Repo, headless_chromium, make_repo

from egorod import pipeline, search
from egorod.routes import sector_url

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow

TRANSPORT = "Транспорт и транспортная инфраструктура"
FACETS = {"Тип", "Сфера", "Проблема", "Город", "Страна", "Год"}

PRACTICE = """
---
title: {title}
city: {city}
year: {year}
rubrics: [{rubrics}]
summary: {summary}
---
## Проблема

{body}
"""

# slug: (title, city, year, rubrics, summary, body). The transport-sector practices are the
# first three (novye-avtobusy comes from conftest); two more mention transport in other sectors.
PRACTICES = {
    "vydelennye-polosy": ("Выделенные полосы для автобусов", "moskva", 2021, "obshchestvennyy-transport",
                          "Полосы только для автобусов и троллейбусов.",
                          "Общественный транспорт стоял в пробках вместе с легковыми машинами. "
                          "Выделенные полосы ускорили общественный транспорт на треть."),
    "elektrobusy": ("Электробусы на городских маршрутах", "kazan", 2022, "obshchestvennyy-transport",
                    "Замена дизельных автобусов электробусами.",
                    "Город обновил транспорт: на маршруты вышли электробусы с зарядкой на конечных."),
    "vyvoz-otkhodov": ("Вывоз отходов по графику", "minsk", 2020, "razdelnyy-sbor-otkhodov",
                       "Контейнерные площадки и график вывоза.",
                       "Специальный транспорт вывозит отходы с площадок по графику, который видят жители."),
    "shkolnye-marshruty": ("Школьные маршруты", "kazan", 2023, "obrazovanie",
                           "Как дети добираются до школ.",
                           "Школьный транспорт довозит детей из новых районов до школ."),
    "gorodskie-parki": ("Парки у дома", "moskva", 2021, "ozelenenie",
                        "Небольшие парки в жилых кварталах.",
                        "Городские парки появились в каждом квартале: скверы, детские площадки, деревья."),
}
TRANSPORT_PRACTICES = {"/practices/vydelennye-polosy/", "/practices/elektrobusy/", "/practices/novye-avtobusy/"}


def add_search_content(repo: Repo) -> None:
    for slug, (title, city, year, rubrics, summary, body) in PRACTICES.items():
        repo.write(f"content/practices/{slug}.md", PRACTICE.format(
            title=title, city=city, year=year, rubrics=rubrics, summary=summary, body=body))
    # This page holds «транспорта» and «городских» verbatim: without Russian stemming a
    # query in those forms would find only it (Pagefind falls back to prefixes only when a
    # word is missing from the index altogether).
    repo.write("content/pages/istoriya.md", """
        ---
        title: История Ассамблеи
        ---
        История городских собраний Ассамблеи и развития городского транспорта.
        """)


def fragments(bundle: Path) -> dict[str, dict]:
    """Pagefind's per-page fragments (gzip, a signature, then JSON) of every part, by URL,
    without the vocabulary's records (no pages: test_search_parts.py)."""
    pages = {}
    for path in bundle.glob("**/fragment/*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd"), path
        fragment = json.loads(data[len(b"pagefind_dcd"):])
        if not fragment["url"].startswith(f"/{search.VOCABULARY_DIR}/"):
            pages[fragment["url"]] = fragment
    return pages


# Pagefind's own JS API over every part of the index, merged as search.js merges them (run it
# on a page without the search UI, which would merge them a second time into the same module).
# Arguments: the bundle folder, then "filters", or "search" with a term (or None) and filters,
# then the module of the API (the site's, which searches the parts that hold the words, or
# None: Pagefind's own in the folder); answers the filter counts, or the URLs of all results
# in their order.
SITE_API = "/static/js/pagefind-parts/pagefind.js"
PAGEFIND_API = """
const done = arguments[arguments.length - 1];
const [folder, action, term, filters, api] = arguments;
(async () => {
  const pagefind = await import(api || folder + 'pagefind.js');
  window.mergedParts = window.mergedParts || {};     // once per page: a part merged twice counts twice
  if (!window.mergedParts[folder]) {
    window.mergedParts[folder] = true;
    const list = await fetch(folder + 'indexes.json');
    if (list.ok) for (const part of (await list.json()).merge) {
      await pagefind.mergeIndex(part.bundlePath, {mergeFilter: part.mergeFilter});
    }
  }
  if (action === 'filters') return await pagefind.filters();
  const search = await pagefind.search(term, {filters: filters || {}});
  return await Promise.all(search.results.map(async (result) => (await result.data()).url));
})().then(done, (error) => done({error: String(error)}));
"""


def pagefind_api(driver, folder: str, action: str, term: str | None = None, filters: dict | None = None):
    """Pagefind's API in the browser: the site's module for /pagefind/, Pagefind's own elsewhere."""
    api = SITE_API if folder == "/pagefind/" else None
    answer = driver.execute_async_script(PAGEFIND_API, folder, action, term, filters, api)
    assert not (isinstance(answer, dict) and "error" in answer), answer
    return answer


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def build(repo: Repo) -> pipeline.BuildContext:
    return pipeline.build(pipeline.BuildConfig(root=repo.root, out=repo.out, pdf=False, quiet=True))


@pytest.fixture(scope="module")
def search_site(tmp_path_factory) -> Repo:
    repo = make_repo(tmp_path_factory.mktemp("search") / "site")
    add_search_content(repo)
    result = repo.run("build", "--no-pdf", "--quiet")
    assert result.status == 0, result.output
    return repo


# --- the bundle ----------------------------------------------------------------------

@pytest.mark.slow
def test_index_is_russian_and_holds_only_main_content(search_site):
    bundle = search_site.out / "pagefind"
    for asset in ("pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "wasm.ru.pagefind"):
        assert (bundle / asset).is_file(), asset
    entries = [json.loads(path.read_text(encoding="utf-8")) for path in bundle.glob("**/pagefind-entry.json")]
    assert entries and all(list(entry["languages"]) == ["ru"] for entry in entries)

    pages = fragments(bundle)
    parts = json.loads((bundle / search.MERGE_FILE).read_text(encoding="utf-8"))["merge"]
    vocabulary = json.loads((bundle / search.ENTRY_FILE).read_text(encoding="utf-8"))
    assert vocabulary["languages"]["ru"]["page_count"] == len(parts)      # a record a part, no page
    assert sum(entry["languages"]["ru"]["page_count"] for entry in entries) == len(pages) + len(parts)
    for url in ["/practices/vydelennye-polosy/", "/practices/novye-avtobusy/", "/cities/kazan/",
                "/bulletins/1/", "/vestnik/1/", "/vestnik/1/opyt/", "/about/", "/istoriya/"]:
        assert url in pages, url
    for url in ["/", "/practices/", "/search/", "/cities/", "/bulletins/", "/vestnik/",
                "/practices/rubrics/transport/", "/practices/years/2021/"]:
        assert url not in pages, f"listing {url} must not be indexed"

    practice = pages["/practices/vydelennye-polosy/"]
    assert practice["meta"]["title"] == "Выделенные полосы для автобусов"
    assert practice["filters"] == {
        "Тип": ["Практика"], "Сфера": [TRANSPORT], "Проблема": ["Общественный транспорт"],
        "Город": ["Москва"], "Страна": ["Россия"], "Год": ["2021"]}
    content = practice["content"]
    assert "ускорили общественный транспорт" in content
    assert "Главная" not in content                 # breadcrumbs are data-pagefind-ignore
    assert "Поиск по сайту" not in content          # header and footer are outside <main>
    assert "Москва, Россия, 2021" not in content    # hidden meta span: meta, not text
    assert "Город Москва" in content                # the facts list, words kept apart

    assert set(pages["/cities/minsk/"]["filters"]) == {"Тип", "Страна", "Город"}
    assert pages["/bulletins/1/"]["filters"]["Тип"] == ["Бюллетень"]
    assert pages["/vestnik/1/opyt/"]["filters"]["Тип"] == ["Вестник МАГ"]
    assert pages["/istoriya/"]["filters"] == {"Тип": ["Страница"]}
    facets = {name for page in pages.values() for name in page["filters"]}
    assert facets == FACETS


def test_search_page_falls_back_to_the_rubricator_without_javascript(search_site):
    soup = BeautifulSoup(search_site.read("search/index.html"), "html.parser")
    fallback = soup.find(id="search-fallback")
    assert fallback is not None and not fallback.has_attr("hidden")
    links = {a["href"] for a in fallback.find_all("a", href=True)}
    sectors = yaml.safe_load((search_site.root / "site.yaml").read_text(encoding="utf-8"))["rubricator"]
    assert sectors
    for sector in sectors:
        assert sector_url(sector["slug"]) in links, sector["slug"]
    assert soup.find("noscript") is not None
    scripts = [tag["src"] for tag in soup.find_all("script", src=True)]
    styles = [tag["href"] for tag in soup.find_all("link", rel="stylesheet")]
    assert [url for url in scripts if re.fullmatch(r"/static/js/search\.[0-9a-f]{8}\.js", url)]
    assert all(urlsplit(url).netloc == "" for url in scripts + styles)   # all self-hosted
    # The UI is loaded by search.js, so a build without the index has no broken reference.
    assert not [url for url in scripts + styles if url.startswith("/pagefind/")]
    assert '"/pagefind/"' in (search_site.out / "static" / "js" / "search.js").read_text(encoding="utf-8")


@pytest.mark.slow
def test_no_search_builds_no_bundle(repo):
    repo.build()   # --no-search
    assert not (repo.out / "pagefind").exists()
    assert not (repo.root / ".cache" / "search").exists()


# --- the cache -----------------------------------------------------------------------

@pytest.mark.slow
def test_unchanged_pages_reuse_the_cached_parts_and_a_changed_practice_redoes_only_its_part(repo, monkeypatch):
    monkeypatch.setattr(search, "PART_BYTES", 25_000)        # a few parts on this small site
    add_search_content(repo)
    first = build(repo)
    figures = first.report.search
    assert figures["cached"] is False
    assert len(figures["parts"]) >= 3
    assert figures["built"] == list(figures["parts"])
    assert figures["pages"] == len(fragments(repo.out / "pagefind")) > 10
    assert figures["bytes"] > figures["index_bytes"] > 0 and figures["seconds"] >= 0
    cache = repo.root / ".cache" / "search"
    assert sorted(path.name for path in cache.iterdir() if not path.name.startswith(".")) == sorted(
        [*figures["parts"].values(), figures["vocabulary"]])
    bundle = snapshot(repo.out / "pagefind")

    again = build(repo)
    assert again.report.search["cached"] is True and again.report.search["built"] == []
    assert again.report.search["parts"] == figures["parts"]
    assert snapshot(repo.out / "pagefind") == bundle        # byte for byte

    # A page that is not indexed (the home page) changes: every part is still reused.
    home = repo.root / "templates" / "home.html"
    home.write_text(home.read_text(encoding="utf-8").replace(
        "{% block content %}", "{% block content %}<p>Новое на главной</p>", 1), encoding="utf-8")
    home_only = build(repo)
    assert "Новое на главной" in repo.read("index.html")
    assert home_only.report.search["cached"] is True
    assert snapshot(repo.out / "pagefind") == bundle

    # A practice changes: its part alone is indexed again (and the vocabulary when the part's
    # words changed: see test_search_parts.py).
    practice = repo.root / "content" / "practices" / "elektrobusy.md"
    original = practice.read_text(encoding="utf-8")
    practice.write_text(original + "\nИстория городского транспорта.\n", encoding="utf-8")
    changed = build(repo)
    assert len(changed.report.search["built"]) == 1
    edited = changed.report.search["built"][0]
    assert {name: key for name, key in changed.report.search["parts"].items() if name != edited} == {
        name: key for name, key in figures["parts"].items() if name != edited}
    assert "История городского транспорта" in fragments(repo.out / "pagefind")["/practices/elektrobusy/"]["content"]
    for folder in set(figures["parts"]) - {edited}:   # the other parts' files are as they were
        assert snapshot(repo.out / "pagefind" / folder) == {
            name[len(folder) + 1:]: data for name, data in bundle.items() if name.startswith(folder + "/")}

    # Back to the earlier text: the earlier bundle is still in the cache and is used again.
    practice.write_text(original, encoding="utf-8")
    reverted = build(repo)
    assert reverted.report.search["cached"] is True
    assert reverted.report.search["parts"] == figures["parts"]
    assert "История городского" not in fragments(repo.out / "pagefind")["/practices/elektrobusy/"]["content"]
    assert snapshot(repo.out / "pagefind") == bundle


# --- in the browser ------------------------------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):   # keep pytest output clean
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The folder over HTTP on 127.0.0.1 (a free port), from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def site_url(search_site):
    with serve(search_site.out) as url:
        yield url


def _chromium(tmp_path_factory, javascript: bool = True):
    return headless_chromium(tmp_path_factory.mktemp("chromium"), javascript=javascript)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = _chromium(tmp_path_factory)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=20):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                         ).until(condition)


def _results(driver) -> list[str]:
    """URLs of the result pages in order (sub-results folded into their page)."""
    from selenium.webdriver.common.by import By
    urls: list[str] = []
    for link in driver.find_elements(By.CSS_SELECTOR, ".pagefind-ui__result-title .pagefind-ui__result-link"):
        href = link.get_attribute("href")
        if not href:
            continue
        url = urlsplit(href).path
        if url not in urls:
            urls.append(url)
    return urls


def _count(driver) -> int | None:
    """The number of results Pagefind's message announces, once a search has finished."""
    from selenium.webdriver.common.by import By
    messages = driver.find_elements(By.CSS_SELECTOR, ".pagefind-ui__message")
    text = messages[0].text if messages else ""
    if text.startswith("Найдено результатов"):
        return int(re.findall(r"\d+", text)[-1])
    if text.startswith("Найден один"):
        return 1
    return None


def _settled(driver, count: int) -> bool:
    """True once every announced result is on the page with its title (page size is 10)."""
    urls = _results(driver)
    return len(urls) == min(count, 10)


@pytest.mark.slow
def test_browser_finds_other_grammatical_form_and_narrows_by_sector(browser, site_url):
    from selenium.webdriver.common.by import By

    browser.get(f"{site_url}/search/")
    box = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".pagefind-ui__search-input"))
    assert not browser.find_element(By.ID, "search-fallback").is_displayed()   # the UI replaced it
    box.send_keys("транспорта")          # the pages say «транспорт», «общественный транспорт»

    total = _wait(browser, _count)
    _wait(browser, lambda d: _settled(d, total))
    found = _results(browser)
    assert "/practices/vydelennye-polosy/" in found[:3], found
    assert {"/practices/elektrobusy/", "/practices/vyvoz-otkhodov/",
            "/practices/shkolnye-marshruty/"} <= set(found), found
    assert "/practices/gorodskie-parki/" not in found
    assert total == len(found) >= 5
    assert parse_qs(urlsplit(browser.current_url).query)["q"] == ["транспорта"]   # kept in the address

    # Open the «Сфера» facet and tick the transport sector: fewer results, all of that sector.
    block = next(b for b in browser.find_elements(By.CSS_SELECTOR, ".pagefind-ui__filter-block")
                 if b.find_element(By.CSS_SELECTOR, ".pagefind-ui__filter-name").text.strip() == "Сфера")
    block.find_element(By.CSS_SELECTOR, ".pagefind-ui__filter-name").click()
    label = next(item for item in block.find_elements(By.CSS_SELECTOR, ".pagefind-ui__filter-label")
                 if item.text.startswith(TRANSPORT))
    assert re.search(r"\((\d+)\)", label.text), label.text     # the facet shows its count
    facet_count = int(re.search(r"\((\d+)\)", label.text).group(1))
    label.click()
    _wait(browser, lambda d: (_count(d) or total) < total)
    narrowed = _wait(browser, _count)
    _wait(browser, lambda d: _settled(d, narrowed))
    assert set(_results(browser)) == TRANSPORT_PRACTICES
    assert narrowed == facet_count == len(TRANSPORT_PRACTICES) < total

    # Everything the page loaded came from this site.
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert any("/pagefind/" in url for url in resources)
    assert all(url.startswith(site_url) for url in resources), resources


@pytest.mark.slow
def test_browser_query_parameters_and_facets(browser, site_url):
    from selenium.webdriver.common.by import By

    # ?q= (the header search box): «городских» finds «городские», «городских», «городской».
    browser.get(f"{site_url}/search/?q={quote('городских')}")
    total = _wait(browser, _count)
    _wait(browser, lambda d: _settled(d, total))
    everything = _results(browser)
    assert "/practices/gorodskie-parki/" in everything
    assert "/istoriya/" in everything
    assert browser.find_element(By.CSS_SELECTOR, ".pagefind-ui__search-input").get_attribute("value") == "городских"

    # ?type=Практика (the library form) ticks the «Тип» facet: only practices remain.
    browser.get(f"{site_url}/search/?q={quote('городских')}&type={quote('Практика')}")
    count = _wait(browser, _count)
    _wait(browser, lambda d: _settled(d, count))
    practices = _results(browser)
    assert "/practices/gorodskie-parki/" in practices
    assert practices and all(url.startswith("/practices/") for url in practices), practices
    assert count < total
    checked = [box for box in browser.find_elements(By.CSS_SELECTOR, ".pagefind-ui__filter-checkbox")
               if box.is_selected()]
    assert len(checked) == 1

    # The facets the index offers, through Pagefind's own JS API, all parts merged.
    browser.get(f"{site_url}/")
    filters = pagefind_api(browser, "/pagefind/", "filters")
    assert set(filters) == FACETS, filters
    assert {"Практика", "Бюллетень", "Вестник МАГ", "Город", "Страница"} <= set(filters["Тип"]), filters
    assert filters["Тип"]["Практика"] == len(PRACTICES) + 2
    assert filters["Сфера"][TRANSPORT] == len(TRANSPORT_PRACTICES)


@pytest.mark.slow
def test_browser_without_javascript_shows_the_rubricator(search_site, site_url, tmp_path_factory):
    from selenium.webdriver.common.by import By

    driver = _chromium(tmp_path_factory, javascript=False)
    try:
        driver.get(f"{site_url}/search/")
        fallback = driver.find_element(By.ID, "search-fallback")
        assert fallback.is_displayed()
        assert driver.find_elements(By.CSS_SELECTOR, ".pagefind-ui__search-input") == []
        links = [a.get_attribute("href") for a in fallback.find_elements(By.CSS_SELECTOR, "a.sector")]
        assert f"{site_url}/practices/rubrics/transport/" in links
    finally:
        driver.quit()


@pytest.mark.slow
def test_browser_keeps_the_links_when_the_build_has_no_index(browser, repo):
    from selenium.webdriver.common.by import By

    repo.build()   # --no-search: no /pagefind/
    with serve(repo.out) as url:
        browser.get(f"{url}/search/")
        fallback = browser.find_element(By.ID, "search-fallback")
        _wait(browser, lambda d: d.execute_script("return document.readyState") == "complete")
        assert fallback.is_displayed()
        assert browser.find_elements(By.CSS_SELECTOR, ".pagefind-ui__search-input") == []
        assert fallback.find_element(By.CSS_SELECTOR, "a.sector").is_displayed()


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["missing", "unreadable", "empty"])
def test_browser_keeps_the_links_when_the_list_of_parts_cannot_be_read(browser, search_site, tmp_path, damage):
    from selenium.webdriver.common.by import By

    site = tmp_path / "site"
    shutil.copytree(search_site.out, site)
    listing = site / "pagefind" / "indexes.json"
    if damage == "missing":
        listing.unlink()
    else:
        listing.write_text("{\"merge\": [" if damage == "unreadable" else '{"merge": []}', encoding="utf-8")
    with serve(site) as url:
        browser.get(f"{url}/search/")
        # The UI's script loaded, then its stylesheet taken away again: the page gave up the search.
        _wait(browser, lambda d: d.execute_script(
            "return typeof PagefindUI !== 'undefined' && !document.querySelector('link[href$=\"pagefind-ui.css\"]')"))
        fallback = browser.find_element(By.ID, "search-fallback")
        assert fallback.is_displayed()
        assert browser.find_elements(By.CSS_SELECTOR, ".pagefind-ui__search-input") == []
