"""The map of member cities (/cities/) and the locator maps of city pages: Natural Earth
outlines in the committed data file, every city a named link, capitals labelled, the names
of the others shown on hover and keyboard focus, points large enough to tap on a phone."""
from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from conftest import headless_chromium, npm_package
from test_search import serve

from egorod import outlines

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import make_repo
    repo = make_repo(tmp_path_factory.mktemp("map") / "site")
    repo.build()
    return repo


def map_soup(repo) -> BeautifulSoup:
    return BeautifulSoup(repo.read("cities/index.html"), "html.parser")


def test_outlines_file_is_what_the_pinned_natural_earth_package_makes():
    source = npm_package("world-atlas") / "countries-50m.json"
    made = outlines.to_json(outlines.outlines(json.loads(source.read_text(encoding="utf-8"))))
    assert made == outlines.TARGET.read_text(encoding="utf-8"), "run: python -m egorod.outlines"


def test_outlines_cover_the_member_countries():
    names = {o.name for o in outlines.load()}
    assert {"Russia", "Kazakhstan", "Belarus", "Ukraine", "Armenia", "Georgia", "Kyrgyzstan",
            "Tajikistan", "Moldova", "Uzbekistan"} <= names


@pytest.mark.slow
def test_map_draws_country_outlines(built):
    land = map_soup(built).select("svg.city-map g.land path")
    assert len(land) >= 20
    assert max(len(path["d"]) for path in land) > 2000        # Russia is a real coastline


def test_every_city_is_a_named_link_on_the_map(built):
    points = map_soup(built).select("svg.city-map a.city-point")
    named = {a["href"]: a.title.get_text() for a in points}
    assert named == {"/cities/moskva/": "Москва (Россия), столица", "/cities/kazan/": "Казань (Россия)",
                     "/cities/minsk/": "Минск (Беларусь), столица"}


def test_map_is_not_an_image_holding_links(built):
    """axe's nested-interactive: a role=img may not contain links."""
    svg = map_soup(built).select_one("svg.city-map")
    assert svg.get("role") != "img"


def test_capitals_carry_a_label_and_a_colour_from_the_legend(built):
    soup = map_soup(built)
    capitals = soup.select("a.city-point.capital")
    assert [a.find("text").get_text() for a in capitals] == ["Москва", "Минск"]
    legend = [li.get_text(" ", strip=True) for li in soup.select(".map-legend li")]
    assert legend == ["Россия 2", "Беларусь 1"]
    assert "country-0" in capitals[0]["class"] and "country-1" in capitals[1]["class"]


def test_a_skip_link_leads_past_the_map_to_the_list(built):
    soup = map_soup(built)
    skip = soup.select_one("a.skip-map")
    target = soup.find(id=skip["href"][1:])
    assert target is not None and target.select(".city-list a")
    assert skip.find_next("svg") is not None        # placed before the map


def test_city_page_has_a_locator_map_marking_the_city(built):
    soup = BeautifulSoup(built.read("cities/kazan/index.html"), "html.parser")
    locator = soup.select_one("svg.locator-map")
    assert locator is not None and locator.get("role") == "img"
    assert locator.title.get_text() == "Казань на карте региона"
    assert locator.select("g.land path") and len(locator.select("circle.here")) == 1
    assert len(str(locator)) < 20_000             # a small map, not the whole one again


@pytest.mark.slow
def test_browser_names_a_city_on_keyboard_focus_and_points_are_tappable_on_a_phone(built, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = headless_chromium(tmp_path / "chromium")
    try:
        driver.set_window_size(375, 800)
        with serve(built.out) as url:
            driver.get(f"{url}/cities/")
            kazan = driver.find_element(By.CSS_SELECTOR, 'a.city-point[href="/cities/kazan/"]')
            label = kazan.find_element(By.TAG_NAME, "text")
            assert not label.is_displayed()
            skip = driver.find_element(By.CSS_SELECTOR, "a.skip-map")
            driver.execute_script("arguments[0].focus()", skip)
            driver.switch_to.active_element.send_keys(Keys.TAB)      # north to south: Kazan first
            assert driver.switch_to.active_element.get_dom_attribute("href") == "/cities/kazan/"
            assert label.is_displayed()
            hit = kazan.find_element(By.CSS_SELECTOR, "circle.hit").rect
            assert hit["width"] >= 24 and hit["height"] >= 24, hit
    finally:
        driver.quit()


@pytest.mark.slow
def test_every_member_city_of_the_sample_site_is_reachable_and_named_on_the_map(tmp_path):
    from conftest import PROJECT

    from egorod import cli
    out = tmp_path / "output"
    assert cli.main(["--root", str(PROJECT), "build", "--out", str(out), "--no-pdf", "--no-search", "--quiet"]) == 0
    soup = BeautifulSoup((out / "cities/index.html").read_text(encoding="utf-8"), "html.parser")
    named = {a["href"]: a.title.get_text() for a in soup.select("svg.city-map a.city-point")}
    cities = sorted((PROJECT / "content/cities").glob("*.md"))
    assert len(named) == len(cities) == 85
    for path in cities:
        title = path.read_text(encoding="utf-8").split("title: ", 1)[1].split("\n", 1)[0]
        assert named[f"/cities/{path.stem}/"].startswith(f"{title} ("), path.stem
    labels = [a.find("text").get_text() for a in soup.select("a.city-point.capital")]
    assert sorted(labels) == sorted(["Москва", "Ереван", "Минск", "Сухум", "Цхинвал", "Астана", "Бишкек",
                                     "Кишинёв", "Тирасполь", "Душанбе"])
