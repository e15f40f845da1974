"""The e-mail edition of a bulletin: HTML for mail clients and its plain-text twin."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from egorod.email_edition import LinkNotes, TextRenderer, split_issue

BASE = "https://e-gorod.ru/"
CHROMIUM = Path(os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))

RICH_ISSUE = """
---
number: 2
date: 2024-02-15
title: 'Выпуск с "кавычками"'
summary: Февральские новости - сессия, практики, таблица.
cities: [kazan, minsk]
---
Вступление к выпуску со [ссылкой на архив](/bulletins/).

## Сессия МАГ в Казани

Прошла сессия[^1]. Подробности на [сайте Казани](https://kzn.ru/) и в [разделе](../1/#sessiya-mag).

![Схема маршрута от вокзала до зала заседаний](/static/img/og.png)

- первый пункт со [ссылкой](/practices/razdelnyy-sbor/);
- второй пункт

> Цитата из выступления.

## Таблица показателей

| Город | Практик |
|-------|--------:|
| Казань | 1 |
| Минск | 1 |

## Контакты

Пишите на [mag@example.org](mailto:mag@example.org).

[^1]: В зале заседаний городской думы.
"""


@pytest.fixture
def built(repo):
    repo.write("content/bulletins/2.md", RICH_ISSUE)
    repo.build()
    return repo


def soup_of(repo, number=2):
    return BeautifulSoup(repo.read(f"bulletins/{number}/email.html"), "lxml")


@pytest.mark.slow
def test_email_edition_is_published_beside_the_issue(built):
    assert (built.out / "bulletins/1/email.html").is_file()
    assert (built.out / "bulletins/1/email.txt").is_file()
    page = built.read("bulletins/2/index.html")
    assert 'href="/bulletins/2/email.html"' in page


@pytest.mark.slow
def test_no_style_block_is_left_for_a_client_to_drop(built):
    soup = soup_of(built)
    assert soup.find_all("style") == []
    assert soup.find_all("link", rel="stylesheet") == []
    for tag in soup.select("h1, h2, p, li, td, a"):
        assert "color" in tag.get("style", ""), tag            # explicit colours everywhere
    assert "background-color" in soup.body["style"]


@pytest.mark.slow
def test_layout_is_tables_at_most_600_px_wide_and_readable_in_dark_mode(built):
    soup = soup_of(built)
    sheet = soup.find("table", class_="sheet")
    assert sheet["width"] == "600" and "max-width: 600px" in sheet["style"]
    assert sheet.find_parent("table")                          # centred in a full-width table
    for tag in soup.find_all(attrs={"width": True}):
        value = tag["width"].rstrip("px")
        assert value.endswith("%") or int(value) <= 600, tag
    for style in [t["style"] for t in soup.find_all(style=True)]:
        for width in re.findall(r"(?<![-\w])(?:max-)?width:\s*(\d+)px", style):
            assert int(width) <= 600, style
    assert soup.find("meta", attrs={"name": "color-scheme"})["content"]
    assert soup.find("meta", attrs={"name": "supported-color-schemes"})


@pytest.mark.slow
def test_every_link_is_absolute_and_images_have_alt_text(built):
    soup = soup_of(built)
    links = [a["href"] for a in soup.find_all("a", href=True)]
    assert links
    for href in links:
        assert href.startswith(("https://", "mailto:")), href
    assert f"{BASE}bulletins/" in links                         # /bulletins/
    assert f"{BASE}bulletins/1/#sessiya-mag" in links          # ../1/#sessiya-mag
    assert f"{BASE}bulletins/2/#fn-1" in links                 # the footnote reference
    images = soup.find_all("img")
    assert images
    for image in images:
        assert image["src"].startswith("https://") and image["alt"].strip(), image


@pytest.mark.slow
def test_read_on_the_site_and_unsubscribe(built):
    soup = soup_of(built)
    web = [a for a in soup.find_all("a") if a["href"] == f"{BASE}bulletins/2/"]
    assert any("на сайте" in a.get_text() for a in web)
    unsubscribe = [a for a in soup.find_all("a") if a["href"].startswith("mailto:unsubscribe@e-gorod.ru")]
    assert unsubscribe and "отписаться" in unsubscribe[0].find_parent("p").get_text().lower()
    text = built.read("bulletins/2/email.txt")
    assert f"Читать на сайте: {BASE}bulletins/2/" in text
    assert "unsubscribe@e-gorod.ru" in text and "отписаться" in text.lower()


@pytest.mark.slow
def test_html_carries_every_news_item_with_its_heading(built):
    soup = soup_of(built)
    assert [h.get_text() for h in soup.find_all("h2")] == [
        "Сессия МАГ в\u00a0Казани", "Таблица показателей", "Контакты"]
    assert soup.find("h1").get_text() == "Выпуск с\u00a0«кавычками»"
    assert "Вступление к\u00a0выпуску" in soup.get_text()
    assert soup.find("title").get_text() == "Бюллетень МАГ № 2: Выпуск с «кавычками»"


@pytest.mark.slow
def test_text_part_has_every_news_item_and_keeps_links_as_numbered_references(built):
    text = built.read("bulletins/2/email.txt")
    for heading in ("Сессия МАГ в\u00a0Казани", "Таблица показателей", "Контакты"):
        assert f"\n{heading}\n" in text, heading
    for words in ("Вступление к\u00a0выпуску", "Прошла сессия", "Цитата из\u00a0выступления", "второй пункт",
                  "Казань | 1", "Февральские новости"):
        assert words in text, words
    references = dict(re.findall(r"^\[(\d+)\] (\S+)$", text, re.MULTILINE))
    def number_of(url):
        return next(n for n, u in references.items() if u == url)
    assert f"ссылкой на\u00a0архив\u00a0[{number_of(BASE + 'bulletins/')}]" in text
    assert f"сайте Казани\u00a0[{number_of('https://kzn.ru/')}]" in text
    assert f"ссылкой\u00a0[{number_of(BASE + 'practices/razdelnyy-sbor/')}]" in text
    assert number_of(BASE + "bulletins/1/#sessiya-mag")
    assert "mag@example.org" in text                                   # mailto: kept readable
    assert "[Схема маршрута от вокзала до зала заседаний]" in text     # the image's alt text
    assert "сессия¹." in text and "Примечания" in text and "¹ В\u00a0зале заседаний" in text
    assert "↩" not in text                                             # no footnote back-links
    for line in text.splitlines():
        assert len(line) <= 72 or "://" in line, line


def test_every_url_of_the_html_is_in_the_text(built):
    soup = soup_of(built)
    text = built.read("bulletins/2/email.txt")
    for a in soup.select("td.news a, td.intro a, td.cities a"):
        href = a["href"]
        if href.startswith("mailto:"):
            assert href[len("mailto:"):] in text
        elif "#fn-" not in href:
            assert href in text, href


def test_text_renderer_lists_and_quotes():
    links = LinkNotes()
    text = TextRenderer(BASE, BASE + "bulletins/9/", links, width=40).render(
        "<p>Первый абзац с <a href='/a/'>ссылкой</a> и длинным текстом, который будет перенесён.</p>"
        "<ol><li>один</li><li>два <a href='/a/'>та же ссылка</a></li></ol>"
        "<blockquote><p>цитата</p></blockquote><pre><code>код  как есть</code></pre>")
    assert links.items == [(1, BASE + "a/")]
    assert "ссылкой\u00a0[1]" in text and "та же ссылка\u00a0[1]" in text
    assert "1. один\n2. два та же ссылка\u00a0[1]" in text
    assert "> цитата" in text and "    код  как есть" in text
    assert all(len(line) <= 40 for line in text.splitlines())


def test_split_issue_keeps_intro_sections_and_footnotes():
    parts = split_issue('<p>intro</p>\n<h2 id="a">A</h2>\n<p>a</p>\n<h2>B &amp; C</h2>\n<p>b</p>\n'
                        '<div class="footnote">\n<hr />\n<ol><li id="fn-1">n</li></ol>\n</div>')
    assert parts.intro == "<p>intro</p>"
    assert [(s.title_text, str(s.html)) for s in parts.sections] == [("A", "<p>a</p>"), ("B & C", "<p>b</p>")]
    assert parts.notes.startswith('<div class="footnote">')


@pytest.mark.slow
def test_sample_issue_in_a_browser_fits_600_px_and_a_phone(repo, tmp_path):
    """Rendered by headless Chromium: the letter is at most 600 px wide and fits a phone."""
    if not CHROMIUM.is_file() or not CHROMEDRIVER.is_file():
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER} (Debian chromium, chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    repo.write("content/bulletins/2.md", RICH_ISSUE)
    repo.build()
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--no-first-run",
                     f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        url = (repo.out / "bulletins/2/email.html").as_uri()
        for width, expected in ((1200, 600), (390, None)):
            driver.set_window_size(width, 1000)
            driver.get(url)
            sheet = driver.execute_script("return document.querySelector('table.sheet').getBoundingClientRect().width")
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if expected:
                assert sheet == expected
            else:
                assert sheet <= driver.execute_script("return document.documentElement.clientWidth")
                assert overflow <= 0
    finally:
        driver.quit()
