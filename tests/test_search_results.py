"""Search results that explain themselves: each result names its kind and date in Russian,
excerpts carry no kicker metadata, practices rank above city pages that mention a word in
passing, the count is announced to screen readers, and on a phone the filters are folded."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from conftest import Repo, headless_chromium, make_repo
from test_search import _count, _settled, _wait, add_search_content, build, fragments, pagefind_api, serve

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def search_site(tmp_path_factory) -> Repo:
    repo = make_repo(tmp_path_factory.mktemp("results") / "site")
    add_search_content(repo)
    result = repo.run("build", "--no-pdf", "--quiet")
    assert result.status == 0, result.output
    return repo


@pytest.fixture(scope="module")
def site_url(search_site):
    with serve(search_site.out) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = headless_chromium(tmp_path_factory.mktemp("chromium"))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.mark.slow
def test_result_meta_names_the_kind_and_date_in_russian(search_site):
    pages = fragments(search_site.out / "pagefind")
    assert pages["/bulletins/1/"]["meta"]["Бюллетень"] == "№ 1, 15\u00a0января 2024\u00a0г."
    assert pages["/vestnik/1/opyt/"]["meta"]["«Вестник МАГ»"] == "№ 1, 1\u00a0марта 2024\u00a0г."
    assert pages["/practices/vydelennye-polosy/"]["meta"]["Практика"] == "Москва, Россия, 2021"
    assert pages["/cities/kazan/"]["meta"]["Город"] == "Россия"
    for page in pages.values():
        assert set(page["meta"]) - {"title"}, page["url"]                     # a kind for every result
        assert all(key == "title" or not key.isascii() for key in page["meta"]), page["meta"]


def test_excerpts_leave_out_kickers_and_dates(search_site):
    pages = fragments(search_site.out / "pagefind")
    assert "15 января" not in pages["/bulletins/1/"]["content"].replace("\u00a0", " ")
    assert "Информационный бюллетень МАГ · №" not in pages["/bulletins/1/"]["content"]
    article = pages["/vestnik/1/opyt/"]["content"]
    assert "Вестник МАГ» № 1" not in article and "Экспертный совет МАГ" not in article


@pytest.mark.slow
def test_practices_rank_above_city_pages_that_mention_the_word(repo, tmp_path):
    repo.write("content/cities/kazan.md", """
        ---
        title: Казань
        country: Россия
        coordinates: [55.79, 49.11]
        ---
        Казань — транспортный узел: транспорт речной, транспорт железнодорожный, транспорт воздушный.
        """)
    repo.write("content/practices/tramvai.md", """
        ---
        title: Новые трамваи
        city: minsk
        year: 2022
        rubrics: [obshchestvennyy-transport]
        summary: Городской транспорт обновлён.
        ---
        Трамвайный парк обновлён.
        """)
    build(repo)
    driver = headless_chromium(tmp_path / "chromium")
    try:
        with serve(repo.out) as url:
            driver.get(f"{url}/")
            # practices and cities are parts of their own: ranked together once merged
            order = pagefind_api(driver, "/pagefind/", "search", "транспорт")
    finally:
        driver.quit()
    assert order.index("/practices/tramvai/") < order.index("/cities/kazan/"), order


@pytest.mark.slow
def test_result_count_is_announced_in_a_live_region(browser, site_url):
    from selenium.webdriver.common.by import By

    browser.get(f"{site_url}/search/?q={quote('транспорта')}")
    total = _wait(browser, _count)
    status = browser.find_element(By.ID, "search-status")
    assert status.get_attribute("role") == "status"
    _wait(browser, lambda d: str(total) in status.get_attribute("textContent"))
    box = browser.find_element(By.CSS_SELECTOR, ".pagefind-ui__search-input")
    assert box.get_attribute("aria-labelledby") == "search-title"


@pytest.mark.slow
def test_results_show_kind_and_date_and_no_english_label(browser, site_url):
    from selenium.webdriver.common.by import By

    browser.get(f"{site_url}/search/?q={quote('выпуск')}")
    total = _wait(browser, _count)
    _wait(browser, lambda d: _settled(d, total))
    tags = [tag.text for tag in browser.find_elements(By.CSS_SELECTOR, ".pagefind-ui__result-tag")]
    assert any(tag.startswith("Бюллетень: № 1") and "2024" in tag for tag in tags), tags
    assert not [tag for tag in tags if tag.split(":")[0].isascii()], tags


@pytest.mark.slow
def test_filters_are_folded_above_the_results_on_a_phone(search_site, tmp_path):
    from selenium.webdriver.common.by import By

    driver = headless_chromium(tmp_path / "chromium")
    try:
        driver.set_window_size(375, 800)
        with serve(search_site.out) as url:
            driver.get(f"{url}/search/?q={quote('транспорта')}")
            total = _wait(driver, _count)
            _wait(driver, lambda d: _settled(d, total))
            blocks = driver.find_elements(By.CSS_SELECTOR, "details.pagefind-ui__filter-block")
            assert blocks and not [b for b in blocks if b.get_attribute("open") is not None]
            panel = driver.find_element(By.CSS_SELECTOR, ".pagefind-ui__filter-panel").rect
            first = driver.find_element(By.CSS_SELECTOR, ".pagefind-ui__result").rect
            assert panel["y"] + panel["height"] <= first["y"]
            assert first["y"] < 800 * 1.5                 # the results start near the top
    finally:
        driver.quit()
