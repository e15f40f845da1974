"""The pages a public body owes its readers and what every page offers on phones and paper:
the accessibility statement and privacy policy in every footer, international tel: links,
the home page's figures in two columns on a phone, the practices before the rubricator, and
a print stylesheet that keeps the text and says where the page came from."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from conftest import PROJECT, headless_chromium
from test_search import serve

from egorod import cli

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("readers") / "output"
    assert cli.main(["--root", str(PROJECT), "build", "--out", str(out), "--no-pdf", "--no-search", "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def browser(sample, tmp_path_factory):
    driver = headless_chromium(tmp_path_factory.mktemp("chromium"))
    with serve(sample) as url:
        driver.base = url
        yield driver
    driver.quit()


def soup(out, page: str) -> BeautifulSoup:
    return BeautifulSoup((out / page).read_text(encoding="utf-8"), "html.parser")


@pytest.mark.slow
def test_every_footer_links_the_accessibility_statement_privacy_policy_and_feeds_page(sample):
    pages = [p for p in sample.rglob("*.html") if p.name != "email.html"]
    for page in pages:
        footer = soup(sample, page.relative_to(sample).as_posix()).select_one("footer.site-footer")
        links = {a["href"] for a in footer.find_all("a")}
        assert {"/accessibility/", "/privacy/", "/feeds/", "/site-map/"} <= links, page
        assert not [href for href in links if href.endswith(".xml")], page      # RSS leads to a page


def test_sample_pages_carry_the_sample_notice(sample):
    for page in ("accessibility/index.html", "privacy/index.html"):
        assert soup(sample, page).select_one(".sample-notice"), page


def test_privacy_policy_names_the_personal_data_law(sample):
    text = soup(sample, "privacy/index.html").get_text(" ")
    assert "152-ФЗ" in text and "подписчик" in text


def test_contact_phones_are_tel_links_in_international_format(sample):
    links = soup(sample, "contacts/index.html").select('a[href^="tel:"]')
    assert len(links) == 2
    for link in links:
        assert re.fullmatch(r"tel:\+7\d{10}", link["href"]), link["href"]
        assert link.get_text().startswith("+7 ")


def test_site_map_page_links_every_section_and_page(sample):
    links = {a["href"] for a in soup(sample, "site-map/index.html").select("main a")}
    assert {"/cities/", "/practices/", "/bulletins/", "/vestnik/", "/search/", "/feeds/", "/open-data/",
            "/contacts/", "/accessibility/", "/privacy/"} <= links


def test_feeds_page_lists_every_feed_with_its_address(sample):
    page = soup(sample, "feeds/index.html")
    heads = {link["href"] for link in page.select('link[rel="alternate"]')}
    shown = {code.get_text() for code in page.select(".feed-list code")}
    assert heads and heads == shown


@pytest.mark.slow
def test_phone_home_page_shows_the_figures_in_two_columns(browser):
    from selenium.webdriver.common.by import By
    browser.set_window_size(375, 900)
    browser.get(browser.base + "/")
    tops = [item.rect["y"] for item in browser.find_elements(By.CSS_SELECTOR, ".figures li")]
    assert len(tops) == 4 and tops[0] == tops[1] and tops[2] == tops[3] and tops[2] > tops[0]


def test_phone_library_shows_practices_before_a_folded_rubricator(browser):
    from selenium.webdriver.common.by import By
    browser.set_window_size(375, 900)
    browser.get(browser.base + "/practices/")
    first_card = browser.find_element(By.CSS_SELECTOR, ".practice-card").rect
    assert first_card["y"] < 1100
    problems = browser.find_element(By.CSS_SELECTOR, ".rubricator ul a")
    assert not visible(browser, problems)
    browser.find_element(By.CSS_SELECTOR, ".fold > summary").click()
    assert visible(browser, problems)


def visible(driver, element) -> bool:
    """Rendered, as the browser says (Selenium's own test calls every child of a closed
    <details> hidden, even where CSS opens its content)."""
    return driver.execute_script("return arguments[0].checkVisibility({contentVisibilityAuto: true})", element)


def test_wide_screen_library_shows_the_rubricator_open(browser):
    from selenium.webdriver.common.by import By
    browser.set_window_size(1280, 900)
    browser.get(browser.base + "/practices/")
    assert visible(browser, browser.find_element(By.CSS_SELECTOR, ".rubricator ul a"))


def test_cards_keep_their_gap_to_the_footer(browser):
    from selenium.webdriver.common.by import By
    browser.set_window_size(375, 900)
    browser.get(browser.base + "/cities/moskva/")
    cards = browser.find_elements(By.CSS_SELECTOR, "main .card")
    last = cards[-1].rect
    footer = browser.find_element(By.CSS_SELECTOR, "footer.site-footer").rect
    assert footer["y"] - (last["y"] + last["height"]) >= 32


def test_wide_table_scrolls_in_its_own_focusable_box_on_a_phone(browser):
    from selenium.webdriver.common.by import By
    browser.set_window_size(375, 900)
    browser.get(browser.base + "/privacy/")
    box = browser.find_element(By.CSS_SELECTOR, "main .table-scroll")
    assert box.get_attribute("tabindex") == "0"
    widths = browser.execute_script("return [arguments[0].scrollWidth, arguments[0].clientWidth]", box)
    assert widths[0] > widths[1]                       # the table scrolls, no column is lost
    hint = browser.execute_script("return getComputedStyle(arguments[0], '::before').content", box)
    assert "прокрутите" in hint
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= 375                           # the page itself does not scroll sideways


def test_focus_ring_has_three_to_one_contrast(browser):
    from selenium.webdriver.common.by import By
    browser.set_window_size(1280, 900)
    browser.get(browser.base + "/contacts/")
    link = browser.find_element(By.CSS_SELECTOR, "main a[href^='mailto:']")
    browser.execute_script("arguments[0].focus()", link)
    colour = browser.execute_script("return getComputedStyle(arguments[0]).outlineColor", link)
    assert contrast(colour, "rgb(255, 255, 255)") >= 3, colour


def contrast(first: str, second: str) -> float:
    def luminance(css: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", css)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted([luminance(first), luminance(second)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_print_drops_navigation_and_adds_site_address_and_outside_link_targets(browser):
    from selenium.webdriver.common.by import By
    browser.set_window_size(1280, 900)
    browser.get(browser.base + "/accessibility/")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        for hidden in (".site-nav", ".site-header", ".site-footer", ".breadcrumbs", ".sample-notice"):
            assert not browser.find_element(By.CSS_SELECTOR, hidden).is_displayed(), hidden
        source = browser.find_element(By.CSS_SELECTOR, ".print-source")
        assert source.is_displayed()
        assert "Международная Ассамблея" in source.text and "https://e-gorod.ru/accessibility/" in source.text
        assert re.search(r"\d{4}", source.text)                      # the page's date
        inside = browser.find_element(By.CSS_SELECTOR, "main a[href='/contacts/']")
        after = browser.execute_script("return getComputedStyle(arguments[0], '::after').content", inside)
        assert after in ("none", "normal")                            # the site's own links: no address
        heading = browser.find_element(By.CSS_SELECTOR, "main h2")
        assert browser.execute_script("return getComputedStyle(arguments[0]).breakAfter", heading) == "avoid"
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_print_shows_the_address_of_outside_links(browser):
    browser.set_window_size(1280, 900)
    browser.get(browser.base + "/contacts/")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        from selenium.webdriver.common.by import By
        link = browser.find_element(By.CSS_SELECTOR, "main a[href^='https://']")
        after = browser.execute_script("return getComputedStyle(arguments[0], '::after').content", link)
        assert link.get_attribute("href").rstrip("/") in after
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


@pytest.mark.slow
def test_print_drops_previous_and_next_links(browser):
    from selenium.webdriver.common.by import By
    browser.set_window_size(1280, 900)
    browser.get(browser.base + "/vestnik/75/transport-dlya-vsekh/")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, ".prev-next").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
