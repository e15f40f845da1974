"""Virtual exhibitions: the folder and its checks, the gallery page through the image pipeline,
the list, the city page, the site map and search, and the lightbox driven by the keyboard in a
real browser under the site's Content-Security-Policy."""
from __future__ import annotations

import functools
import io
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from bs4 import BeautifulSoup
from conftest import CSP_LISTENER, PROJECT, Repo, csp_violations, headless_chromium, make_repo
from PIL import Image

from egorod.policy import content_security_policy

FOLDER = "content/exhibitions/vidy-kazani"
# (file, alt, caption, credit), in the order of the gallery
PICTURES = [
    ("kreml.jpg", "Белые стены кремля над рекой", "Кремль с набережной", "Фото: И. Петров, CC BY 4.0"),
    ("most.png", "Мост с арками в тумане", "Мост Миллениум", "Рисунок: А. Сидорова, CC BY-SA 4.0"),
    ("ulitsa.jpg", "Пешеходная улица с фонарями", "Улица Баумана вечером", "Фото: МАГ, CC BY 4.0"),
]


def exhibition(pictures=PICTURES, **fields: str) -> str:
    head = {"title": "Виды Казани", "start": "2026-05-01", "end": "2026-06-30", "city": "kazan",
            "summary": "Казань в фотографиях и рисунках."}
    head.update(fields)
    lines = ["---", *(f"{key}: {value}" for key, value in head.items() if value != ""), "pictures:"]
    for file, alt, caption, credit in pictures:
        lines += [f"  - file: {file}"] + ([f"    alt: {alt}"] if alt else []) + [
            f"    caption: {caption}", f'    credit: "{credit}"']
    return "\n".join(lines + ["---", "Выставка о Казани.", ""])


def picture_bytes(name: str, width: int = 1000, height: int = 750) -> bytes:
    image = Image.new("RGB", (width, height), (180, 120, 60))
    for x in range(0, width, 40):
        image.paste((30, 70, 150), (x, 0, x + 8, height))
    buffer = io.BytesIO()
    image.save(buffer, "PNG" if name.endswith(".png") else "JPEG", quality=85)
    return buffer.getvalue()


def add_exhibition(repo: Repo, text: str | None = None, folder: str = FOLDER) -> None:
    repo.write(f"{folder}/index.md", text if text is not None else exhibition())
    for file, *_ in PICTURES:
        (repo.root / folder / file).write_bytes(picture_bytes(file))


def problems_of(repo: Repo) -> str:
    result = repo.run("check")
    assert result.status == 1, result.output
    return result.output


def soup(repo: Repo, page: str) -> BeautifulSoup:
    return BeautifulSoup(repo.read(page), "lxml")


def text(element) -> str:
    return element.get_text().replace("\u00a0", " ")     # the typography ties short words


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Repo:
    """One build for the tests that only read it: an exhibition, and an older one with no closing day."""
    repo = make_repo(tmp_path_factory.mktemp("exhibitions") / "site")
    add_exhibition(repo)
    add_exhibition(repo, exhibition(title="Зимняя Казань", start="2026-01-10", end=""),
                   folder="content/exhibitions/zimnyaya-kazan")
    repo.build()
    return repo


# --- the pages -----------------------------------------------------------------------------

def test_the_exhibition_page_lists_every_picture_with_its_alt_text_and_caption(built):
    figures = soup(built, "exhibitions/vidy-kazani/index.html").select("ol.gallery > li > figure")
    assert len(figures) == len(PICTURES)
    for figure, (_file, alt, caption, credit) in zip(figures, PICTURES, strict=True):
        img = figure.find("img")
        assert img["alt"] == alt
        assert text(figure.select_one(".exhibit-caption")) == caption
        assert text(figure.select_one(".credit")) == credit
        link = figure.find("a")
        # the link (no JavaScript) names the picture it opens by the caption
        assert link["aria-describedby"] == figure.figcaption["id"]


def test_the_thumbnails_are_responsive_renditions_and_link_to_the_larger_picture(built):
    page = soup(built, "exhibitions/vidy-kazani/index.html")
    for figure, (file, *_) in zip(page.select("ol.gallery figure"), PICTURES, strict=True):
        link, img = figure.find("a"), figure.find("img")
        assert link["href"] == f"/exhibitions/vidy-kazani/{file}"
        with Image.open(built.out / link["href"].lstrip("/")) as larger:     # the clean copy, no metadata
            assert larger.size == (1000, 750) and not larger.getexif()
        assert (img["width"], img["height"]) == ("1000", "750")
        for candidate in [*img["srcset"].split(", "), *figure.find("source")["srcset"].split(", ")]:
            url, width = candidate.split()
            with Image.open(built.out / url.lstrip("/")) as rendition:
                assert rendition.width == int(width.rstrip("w"))
    script = page.find("script", src=True)
    assert script["src"].startswith("/static/js/gallery.") and not page.find("script", src=False, type=None)
    assert page.find("dialog", attrs={"data-lightbox": True})["aria-describedby"] == "lightbox-caption"


def test_the_list_shows_the_newest_first_with_a_thumbnail(built):
    cards = soup(built, "exhibitions/index.html").select("li.exhibition-card")
    assert [text(card.h2) for card in cards] == ["Виды Казани", "Зимняя Казань"]
    assert cards[0].find("img")["alt"] == PICTURES[0][1] and "/images/" in cards[0].find("img")["srcset"]
    assert "с 10 января 2026 г." in text(cards[1])      # open, with no closing day
    assert "/exhibitions/" in built.read("index.html") and "/exhibitions/" in built.read("site-map/index.html")


def test_the_city_page_links_its_exhibitions(built):
    section = [s for s in soup(built, "cities/kazan/index.html").select("section") if s.h2
               and s.h2.get_text().startswith("Выставки")]
    assert [a["href"] for a in section[0].select("a")] == ["/exhibitions/vidy-kazani/", "/exhibitions/zimnyaya-kazan/"]
    assert "/exhibitions/" not in built.read("cities/minsk/index.html")


def test_the_sitemap_lists_the_exhibition_pages(built):
    sitemap = built.read("sitemap.xml")
    assert "https://e-gorod.ru/exhibitions/</loc>" in sitemap
    assert "https://e-gorod.ru/exhibitions/vidy-kazani/</loc>" in sitemap


def test_a_draft_or_not_yet_opened_exhibition_is_not_published(repo):
    add_exhibition(repo, exhibition(draft="true"))
    add_exhibition(repo, exhibition(start="2099-01-01", end=""), folder="content/exhibitions/budushchaya")
    repo.build()
    assert not (repo.out / "exhibitions/vidy-kazani").exists()
    assert not (repo.out / "exhibitions/budushchaya").exists()
    assert not (repo.out / "exhibitions/vidy-kazani/kreml.jpg").exists()
    assert "Выставок пока нет" in repo.read("exhibitions/index.html")


def test_the_page_carries_the_search_body_and_filters(built):
    page = soup(built, "exhibitions/vidy-kazani/index.html")
    assert page.find("main").has_attr("data-pagefind-body")
    filters = {span["data-pagefind-filter"]: span.get_text() for span in page.select("[data-pagefind-filter]")}
    assert filters == {"Тип": "Выставка", "Год": "2026", "Город": "Казань", "Страна": "Россия"}


# --- the checks ----------------------------------------------------------------------------

def test_a_picture_without_alt_text_fails_with_path_and_line(repo):
    pictures = [PICTURES[0], (PICTURES[1][0], "", *PICTURES[1][2:]), PICTURES[2]]
    add_exhibition(repo, exhibition(pictures))
    output = problems_of(repo)
    # line 12 is "- file: most.png", the picture that lacks its alt
    assert f"{FOLDER}/index.md:12: pictures[1].alt: is required but missing" in output
    assert repo.run("build", "--no-pdf", "--no-search").status == 1


def test_an_unknown_city_is_an_error(repo):
    add_exhibition(repo, exhibition(city="kazn"))
    assert f"{FOLDER}/index.md:5: city: unknown city 'kazn': did you mean 'kazan'?" in problems_of(repo)


def test_an_end_before_the_start_is_an_error(repo):
    add_exhibition(repo, exhibition(start="2026-05-01", end="2026-04-30"))
    assert f"{FOLDER}/index.md:4: end: the end 2026-04-30 is before the start 2026-05-01" in problems_of(repo)


def test_a_missing_picture_file_is_an_error(repo):
    add_exhibition(repo)
    (repo.root / FOLDER / "most.png").unlink()
    assert f"{FOLDER}/index.md:12: pictures[1].file: picture 'most.png' not found beside index.md" in problems_of(repo)


def test_a_picture_listed_twice_or_left_out_is_an_error(repo):
    add_exhibition(repo, exhibition([PICTURES[0], PICTURES[1], PICTURES[0]]))
    output = problems_of(repo)
    assert f"{FOLDER}/index.md:16: pictures[2].file: picture 'kreml.jpg' is listed twice" in output
    assert f"{FOLDER}/index.md:7: pictures: 'ulitsa.jpg' is in the exhibition's folder but not among its pictures" in output


def test_caption_and_credit_are_required(repo):
    add_exhibition(repo, exhibition().replace('    credit: "Фото: И. Петров, CC BY 4.0"\n', "")
                   .replace("    caption: Мост Миллениум\n", ""))
    output = problems_of(repo)
    assert f"{FOLDER}/index.md:8: pictures[0].credit: is required but missing" in output
    assert f"{FOLDER}/index.md:11: pictures[1].caption: is required but missing" in output


def test_a_broken_picture_is_a_clear_error(repo):
    add_exhibition(repo)
    (repo.root / FOLDER / "kreml.jpg").write_bytes(picture_bytes("kreml.jpg")[:1500])
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1
    assert f"{FOLDER}/kreml.jpg:0: image: cannot be read as an image" in result.output
    assert "Traceback" not in result.output


def test_a_folder_without_index_is_an_error(repo):
    (repo.root / FOLDER).mkdir(parents=True)
    (repo.root / FOLDER / "kreml.jpg").write_bytes(picture_bytes("kreml.jpg"))
    assert f"{FOLDER}:0: -: an exhibition folder needs an index.md" in problems_of(repo)


def test_check_of_one_picture_checks_its_exhibition(repo):
    add_exhibition(repo, exhibition(end="2026-04-01"))
    result = repo.run("check", str(repo.root / FOLDER / "most.png"))
    assert result.status == 1
    assert f"{FOLDER}/index.md:4: end: the end 2026-04-01 is before the start" in result.output
    assert "does not read this file" not in result.output


# --- in a browser --------------------------------------------------------------------------

class _PolicyHandler(SimpleHTTPRequestHandler):
    """Static files with the site's Content-Security-Policy, as nginx sends it."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", content_security_policy(self.path))
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def served(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_PolicyHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.slow
def test_the_gallery_works_by_keyboard_in_a_dialog(repo, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    add_exhibition(repo)
    repo.build()
    driver = headless_chromium(tmp_path / "chromium")
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
        with served(repo.out) as url:
            driver.get(f"{url}/exhibitions/vidy-kazani/")
            links = driver.find_elements(By.CSS_SELECTOR, "a.exhibit-link")
            dialog = driver.find_element(By.CSS_SELECTOR, "dialog[data-lightbox]")
            keys = ActionChains(driver)

            def shown() -> tuple[str, str]:
                image = dialog.find_element(By.TAG_NAME, "img")
                return image.get_attribute("alt"), dialog.find_element(By.ID, "lightbox-caption").text

            def active() -> str:
                return driver.execute_script("return document.activeElement.outerHTML")

            links[0].send_keys(Keys.ENTER)                      # Enter on the first thumbnail opens it
            WebDriverWait(driver, 5).until(lambda d: dialog.get_attribute("open") is not None)
            assert driver.execute_script("return arguments[0].matches(':modal')", dialog)
            assert shown()[0] == PICTURES[0][1] and PICTURES[0][2] in shown()[1] and "1 из 3" in shown()[1]
            assert "data-lightbox-close" in active()            # the focus is inside the dialog
            keys.send_keys(Keys.ARROW_RIGHT).perform()
            assert shown()[0] == PICTURES[1][1] and PICTURES[1][3] in shown()[1] and "2 из 3" in shown()[1]
            keys.send_keys(Keys.ARROW_LEFT).send_keys(Keys.ARROW_LEFT).perform()     # round to the last
            assert shown()[0] == PICTURES[2][1]
            keys.send_keys(Keys.ARROW_RIGHT).perform()
            for _ in range(4):                                  # Tab goes round the dialog's buttons only
                keys.send_keys(Keys.TAB).perform()
                assert driver.execute_script("return arguments[0].contains(document.activeElement)", dialog)
            keys.send_keys(Keys.ARROW_RIGHT).perform()
            keys.send_keys(Keys.ESCAPE).perform()               # Escape closes: back to the picture last shown
            WebDriverWait(driver, 5).until(lambda d: dialog.get_attribute("open") is None)
            assert driver.execute_script("return document.activeElement") == links[1]

            links[2].send_keys(Keys.SPACE)                      # Space opens too
            WebDriverWait(driver, 5).until(lambda d: dialog.get_attribute("open") is not None)
            assert shown()[0] == PICTURES[2][1]
            # the larger picture: the browser picks a wider file than for the thumbnail
            assert driver.execute_script("return arguments[0].querySelector('img').sizes", dialog).endswith("1600px")
            dialog.find_element(By.CSS_SELECTOR, "[data-lightbox-close]").click()
            assert driver.execute_script("return document.activeElement") == links[2]
            assert csp_violations(driver) == []
    finally:
        driver.quit()


@pytest.mark.slow
def test_without_javascript_a_thumbnail_opens_the_larger_picture(repo, tmp_path):
    from selenium.webdriver.common.by import By

    add_exhibition(repo)
    repo.build()
    driver = headless_chromium(tmp_path / "chromium", javascript=False)
    try:
        with served(repo.out) as url:
            driver.get(f"{url}/exhibitions/vidy-kazani/")
            driver.find_elements(By.CSS_SELECTOR, "a.exhibit-link")[1].click()
            assert driver.current_url == f"{url}/exhibitions/vidy-kazani/most.png"
    finally:
        driver.quit()


@pytest.mark.slow
def test_search_finds_the_exhibition_by_its_captions(repo):
    from test_search import fragments

    add_exhibition(repo)
    result = repo.run("build", "--no-pdf", "--quiet")
    assert result.status == 0, result.output
    page = fragments(repo.out / "pagefind")["/exhibitions/vidy-kazani/"]
    assert page["filters"]["Тип"] == ["Выставка"] and page["filters"]["Город"] == ["Казань"]
    assert "Улица Баумана вечером" in page["content"] and page["meta"]["Выставка"].endswith("Казань")


def test_the_sample_exhibition_is_drawn_by_the_project() -> None:
    from egorod import samples
    folder = PROJECT / samples.EXHIBITION
    index = (folder / "index.md").read_text(encoding="utf-8")
    assert "sample: true" in index
    assert 6 <= len(samples.EXHIBITION_VIEWS) <= 8
    for name, draw in samples.EXHIBITION_VIEWS:
        assert f"file: {name}" in index
        with Image.open(folder / name) as committed:
            assert committed.size == samples.VIEW_SIZE == draw().size
    assert index.count("нарисован программой сайта") == len(samples.EXHIBITION_VIEWS)
