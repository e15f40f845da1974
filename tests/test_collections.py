"""Analytic collections: an event's collection/ folder, its checks, and the PDF made through the
Vestnik's print pipeline (cover, contents, running heads, outline) offered on the event page."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import make_repo
from PIL import Image
from pypdf import PdfReader

from egorod.model import BuildOptions
from egorod.pdf import pdfx4_problems
from egorod.pipeline import load_site
from egorod.routes import file_urls

EVENT = """
---
title: Форум городов
kind: forum
start: 2030-04-15
end: 2030-04-16
city: kazan
---
Программа форума.
"""
FOLDER = "content/events/2030-forum/collection"
INDEX = """
---
title: Город и его ресурсы
subtitle: Материалы к форуму городов
editors: Под общей редакцией Секретариата МАГ
---
Предисловие к сборнику о городах.
"""
# A long first article (it runs over two pages: a page with running heads), then two short ones.
LONG = ("Город бережёт свои ресурсы, и жители видят результат этой работы. " * 25 + "\n\n") * 8
ARTICLES = {
    "01-resursy.md": f"---\ntitle: Ресурсы города\nauthors: [Секретариат МАГ]\ncity: moskva\nsection: Обзор\n---\n"
                     f"## Вода\n\n{LONG}## Тепло\n\nО тепле.\n",
    "02-otkhody.md": "---\ntitle: Раздельный сбор\nauthors: [Экспертный совет МАГ]\nsection: Опыт городов\n---\n"
                     "Раздельный сбор в городах.\n",
    "03-dannye.md": "---\ntitle: Открытые данные\nauthors: [Экспертный совет МАГ]\ncity: minsk\nsection: "
                    "Опыт городов\n---\nОткрытые данные о потреблении.\n",
}
TITLES = ["Ресурсы города", "Раздельный сбор", "Открытые данные"]
FIRST_WORDS = {"Ресурсы города": "бережёт", "Раздельный сбор": "городах", "Открытые данные": "потреблении"}
PDF = "events/2030/forum/forum-collection.pdf"
PRINT = "events/2030/forum/forum-collection-print.pdf"


def write_collection(repo, articles: dict[str, str] = ARTICLES) -> None:
    repo.write("content/events/2030-forum.md", EVENT)
    repo.write(f"{FOLDER}/_index.md", INDEX)
    for name, text in articles.items():
        (repo.root / FOLDER / name).write_text(text, encoding="utf-8")


def site_of(repo, drafts: bool = False):
    return load_site(repo.root, BuildOptions(drafts=drafts, today=dt.date(2030, 1, 1)))


# --- the collection as content ------------------------------------------------------------

def test_a_collection_is_read_with_its_articles_in_order(repo):
    write_collection(repo)
    site = site_of(repo)
    collection = site.collection_by_event["2030-forum"]
    assert collection.title == "Город и его ресурсы" and collection.editors.startswith("Под общей")
    assert [a.title for a in collection.articles] == TITLES
    assert [(a.order, a.slug, a.city) for a in collection.articles][0] == (1, "resursy", "moskva")
    assert "/events/2030/forum/forum-collection.pdf" in file_urls(site)
    assert "/events/2030/forum/forum-collection-print.pdf" in file_urls(site)


def test_a_collection_for_an_unknown_event_is_an_error(repo):
    write_collection(repo)
    repo.write("content/events/2030-foorum/collection/_index.md", INDEX)
    repo.write("content/events/2030-foorum/collection/01-tekst.md", ARTICLES["02-otkhody.md"])
    result = repo.run("check")
    assert result.status == 1
    assert any(line.startswith("content/events/2030-foorum/collection/_index.md:1: -: no event "
                               "content/events/2030-foorum.md for this collection: did you mean the folder "
                               "'2030-forum'?") for line in result.lines), result.lines


def test_every_mistake_of_a_collection_in_one_run(repo):
    repo.write("content/events/2030-forum.md", EVENT)
    repo.write(f"{FOLDER}/_index.md", "---\nsubtitle: Без названия\nyear: 1812\n---\nТекст.\n")
    repo.write(f"{FOLDER}/01-gorod.md", "---\ntitle: Город\nauthors: [Секретариат МАГ]\ncity: atlantida\n---\n"
                                        "Текст.\n\n![Двор](dvor.jpg)\n")
    repo.write(f"{FOLDER}/02-bez-avtorov.md", "---\ntitle: Без авторов\n---\nТекст.\n")
    repo.write(f"{FOLDER}/02-povtor.md", "---\ntitle: Повтор\nauthors: [Редакция]\n---\nТекст.\n")
    repo.write(f"{FOLDER}/bez-nomera.md", "---\ntitle: Без номера\nauthors: [Редакция]\n---\nТекст.\n")
    result = repo.run("check")
    assert result.status == 1
    lines = result.lines

    def said(prefix: str) -> bool:
        return any(line.startswith(prefix) for line in lines)
    assert said(f"{FOLDER}/_index.md:1: title: "), lines
    assert said(f"{FOLDER}/_index.md:3: year: "), lines
    assert said(f"{FOLDER}/01-gorod.md:4: city: unknown city 'atlantida'"), lines
    assert said(f"{FOLDER}/01-gorod.md:8: image: a photograph in an analytic collection needs its caption"), lines
    assert said(f"{FOLDER}/02-bez-avtorov.md:1: authors: "), lines
    assert said(f"{FOLDER}/02-povtor.md:1: -: order 2 is also used by"), lines
    assert said(f"{FOLDER}/bez-nomera.md:1: -: file name 'bez-nomera.md' must be NN-slug.md"), lines


def test_a_collection_folder_needs_its_index_and_articles(repo):
    repo.write("content/events/2030-forum.md", EVENT)
    repo.write(f"{FOLDER}/01-tekst.md", ARTICLES["02-otkhody.md"])
    repo.write("content/events/2030-vtoroy/collection/_index.md", INDEX)
    repo.write("content/events/2030-vtoroy.md", EVENT)
    result = repo.run("check")
    assert result.status == 1
    assert f"{FOLDER}:0: -: an analytic collection folder needs an _index.md" in result.output
    assert ("content/events/2030-vtoroy/collection/_index.md:1: -: the collection has no articles"
            in result.output), result.output


def test_a_material_cannot_take_the_name_of_the_collections_pdf(repo):
    write_collection(repo)
    repo.write("content/events/2030-forum/forum-collection.pdf", "%PDF-1.4 sample")
    result = repo.run("check")
    assert result.status == 1
    assert ("content/events/2030-forum.md:1: -: the material 'forum-collection.pdf' has the name of the event's "
            "analytic collection PDF") in result.output


def test_drafts_of_a_collection_are_left_out(repo):
    articles = dict(ARTICLES)
    articles["02-otkhody.md"] = articles["02-otkhody.md"].replace("section:", "draft: true\nsection:")
    write_collection(repo, articles)
    assert [a.title for a in site_of(repo).collection_by_event["2030-forum"].articles] == [TITLES[0], TITLES[2]]
    assert len(site_of(repo, drafts=True).collection_by_event["2030-forum"].articles) == 3
    index = repo.root / FOLDER / "_index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("editors:", "draft: true\neditors:"),
                     encoding="utf-8")
    assert site_of(repo).collections == [] and site_of(repo, drafts=True).collections


def test_checking_one_file_of_a_collection_checks_the_collection(repo):
    write_collection(repo)
    article = repo.root / FOLDER / "03-dannye.md"
    article.write_text(article.read_text(encoding="utf-8").replace("city: minsk", "city: minks"), encoding="utf-8")
    result = repo.run("check", str(repo.root / FOLDER / "01-resursy.md"))
    assert result.status == 1
    assert f"{FOLDER}/03-dannye.md:4: city: unknown city 'minks': did you mean 'minsk'?" in result.output
    assert "does not read this file" not in result.output
    article.write_text(article.read_text(encoding="utf-8").replace("city: minks", "city: minsk"), encoding="utf-8")
    assert repo.run("check", str(repo.root / FOLDER / "_index.md")).status == 0


# --- the PDF ------------------------------------------------------------------------------

def build(repo, *args: str):
    result = repo.run("build", "--no-search", *args)
    assert result.status == 0, result.output
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("collection") / "site")
    write_collection(repo)
    build(repo, "--quiet")
    return repo


def texts_of(pdf: PdfReader) -> list[str]:
    """Each page's text, no-break spaces as spaces."""
    return [(page.extract_text() or "").replace("\u00a0", " ") for page in pdf.pages]


@pytest.mark.slow
def test_the_collection_pdf_has_a_cover_and_its_print_edition_is_pdfx4(built):
    pdf = PdfReader(built.out / PDF)
    cover = " ".join(texts_of(pdf)[0].split()).lower()       # (some lines set in capitals)
    for words in ("Сборник аналитических материалов", "Город и его ресурсы", "Материалы к форуму городов",
                  "Форум городов", "15–16 апреля 2030", "Казань", "Под общей редакцией Секретариата МАГ"):
        assert words.lower() in cover, cover
    printed = PdfReader(built.out / PRINT)
    assert len(printed.pages) % 4 == 0 and len(printed.pages) >= len(pdf.pages)
    assert pdfx4_problems((built.out / PRINT).read_bytes()) == []
    assert "e-gorod.ru" in texts_of(pdf)[-1]      # the back cover


@pytest.mark.slow
def test_the_contents_list_each_article_with_its_page(built):
    pdf = PdfReader(built.out / PDF)
    texts = texts_of(pdf)
    contents = next(index for index, text in enumerate(texts) if text.startswith("Содержание"))
    assert re.search(r"Предисловие\s*\.{3,}\s*2\b", texts[contents])
    for title in TITLES:
        match = re.search(re.escape(title) + r"\s*\.{3,}\s*(\d+)", texts[contents])
        assert match, f"{title!r} with its page not in the contents:\n{texts[contents]}"
        page = texts[int(match.group(1)) - 1]
        assert title in page.split("\n") and FIRST_WORDS[title] in page, page    # (after a brief one: the same page)
    assert "Секретариат МАГ (Москва)" in texts[contents] and "Экспертный совет МАГ (Минск)" in texts[contents]


@pytest.mark.slow
def test_pages_carry_running_heads_and_page_numbers(built):
    texts = texts_of(PdfReader(built.out / PDF))
    first = next(i for i, text in enumerate(texts) if "Ресурсы города" in text.split("\n")[:4])
    # The long article goes on over two more pages: a right-hand page (odd number) names the
    # rubric and the article, a left-hand one the collection; each has its number.
    for index in (first + 1, first + 2):
        lines = [line.strip() for line in texts[index].split("\n") if line.strip()]
        number = index + 1
        if number % 2:
            assert "Обзор · Ресурсы города" in lines, lines
        else:
            assert "ГОРОД И ЕГО РЕСУРСЫ · СБОРНИК АНАЛИТИЧЕСКИХ МАТЕРИАЛОВ · 2030" in lines, lines
        assert lines[-1] == str(number), lines


@pytest.mark.slow
def test_the_outline_has_an_entry_per_article_at_its_page(built):
    pdf = PdfReader(built.out / PDF)
    top = [item for item in pdf.outline if not isinstance(item, list)]
    assert [item.title for item in top] == TITLES
    texts = texts_of(pdf)
    for item in top:
        assert item.title in texts[pdf.get_destination_page_number(item)].split("\n")
    nested = [item for item in pdf.outline if isinstance(item, list)]
    assert [child.title for child in nested[0]] == ["Вода", "Тепло"]


@pytest.mark.slow
def test_the_collection_pdf_metadata(built):
    pdf = PdfReader(built.out / PDF)
    meta = pdf.metadata
    assert meta.title == "Город и его ресурсы. Сборник аналитических материалов: Форум городов"
    assert meta.author == "Секретариат МАГ, Экспертный совет МАГ"
    assert meta.subject == "Материалы к форуму городов"
    assert meta["/CreationDate"].startswith("D:20300415")
    assert pdf.trailer["/Root"]["/Lang"] == "ru"


@pytest.mark.slow
def test_the_event_page_offers_the_collection_with_its_size(built):
    page = built.read("events/2030/forum/index.html")
    size = (built.out / PDF).stat().st_size
    assert f'href="/{PDF}"' in page and f'href="/{PRINT}"' in page
    assert f"PDF, {-(-size // 1024)}\u00a0КБ" in page
    assert "Сборник аналитических материалов" in page and "его ресурсы" in page


@pytest.mark.slow
def test_an_unchanged_collection_is_not_rendered_again(repo):
    write_collection(repo)
    build(repo, "--quiet", "--verbose")
    again = repo.run("build", "--no-search", "--verbose")
    assert again.status == 0 and "PDF: all" in again.output and "unchanged" in again.output, again.output
    article = repo.root / FOLDER / "02-otkhody.md"
    article.write_text(article.read_text(encoding="utf-8").replace("в городах", "в столицах"), encoding="utf-8")
    changed = build(repo, "--verbose")
    assert "PDF: rendered 1 " in changed.output, changed.output
    assert "в столицах" in "".join(texts_of(PdfReader(repo.out / PDF)))


@pytest.mark.slow
def test_an_image_too_coarse_for_print_is_named(repo):
    articles = dict(ARTICLES)
    articles["02-otkhody.md"] += "\n![Схема пунктов сбора](skhema.png)\n"
    write_collection(repo, articles)
    Image.new("RGB", (60, 40), (90, 120, 160)).save(repo.root / FOLDER / "skhema.png")
    result = build(repo)
    assert f"{FOLDER}/skhema.png is printed at" in result.output and "forum-collection-print.pdf" in result.output
    assert "300" in result.output
