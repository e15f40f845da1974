"""The search index in parts: what Pagefind is given of a page, how the site is cut into parts,
that the merged parts find in the browser what one index over the same pages finds, that an
edit makes only its part again, and that after each edit the index is the one a cold build makes.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import PROJECT, headless_chromium
from test_search import _count, _results, _settled, _wait, fragments, pagefind_api, serve, snapshot

from egorod import pipeline, search
from egorod.search import IndexedPage, indexed_html, split_into_parts

# --- what Pagefind is given ----------------------------------------------------------------

PAGE = """<!DOCTYPE html><html lang="ru"><head><title>Метро</title></head><body>
<header><a href="/">МАГ</a><nav>Практики Бюллетень</nav></header>
<main id="main" class="wrap" data-pagefind-body>
<h1>Метро</h1><span hidden data-pagefind-filter="Тип">Практика</span><p>Новые станции.</p>
</main>
<footer>Контакты</footer></body></html>"""


def test_pagefind_is_given_only_the_element_it_indexes():
    given = indexed_html(PAGE.encode("utf-8")).decode("utf-8")
    assert '<main id="main" class="wrap" data-pagefind-body>' in given
    assert "Новые станции." in given and 'data-pagefind-filter="Тип">Практика' in given
    assert given.rstrip().endswith("</main>\n</body></html>")
    assert "<header>" not in given and "Контакты" not in given and "<title>" not in given


def test_a_page_without_the_indexed_element_gives_pagefind_nothing():
    assert indexed_html(PAGE.replace(" data-pagefind-body", "").encode("utf-8")) is None


# --- parts -----------------------------------------------------------------------------------

def pages(count: int, size: int = 1000, prefix: str = "practices/p") -> list[IndexedPage]:
    return [IndexedPage(f"{prefix}{number}/index.html", hashlib.sha256(str(number).encode()).hexdigest(), size)
            for number in range(count)]


def test_a_site_is_cut_into_as_many_parts_as_its_size_needs():
    site = pages(300)                                   # 300,000 bytes
    parts = split_into_parts(site, part_bytes=100_000)
    assert [part.name for part in parts] == ["part-1", "part-2", "part-3"]
    assert sorted(page.path for part in parts for page in part.pages) == sorted(page.path for page in site)
    assert all(60 < len(part.pages) < 140 for part in parts)       # a hash shares them out evenly
    assert all(list(part.pages) == sorted(part.pages, key=lambda page: page.path) for part in parts)
    assert [part.name for part in split_into_parts(site, part_bytes=1_000_000)] == ["part-1"]
    assert split_into_parts([], part_bytes=100_000) == []


def test_each_part_is_a_sample_of_every_kind_of_page():
    site = pages(200) + pages(100, prefix="bulletins/") + pages(100, prefix="vestnik/1/a")
    for part in split_into_parts(site, part_bytes=100_000):
        kinds = {page.path.split("/")[0] for page in part.pages}
        assert kinds == {"practices", "bulletins", "vestnik"}, part.name


def test_an_edit_changes_the_key_of_its_part_alone_and_moves_no_page():
    site = pages(290)
    before = split_into_parts(site, part_bytes=100_000)
    edited = IndexedPage(site[7].path, "0" * 64, site[7].size + 40)
    after = split_into_parts([edited if page == site[7] else page for page in site], part_bytes=100_000)
    changed = [old.name for old, new in zip(before, after, strict=True) if old.key != new.key]
    assert len(changed) == 1 and any(page.path == edited.path for page in after[int(changed[0][5:]) - 1].pages)
    assert [[page.path for page in part.pages] for part in before] == [[page.path for page in part.pages]
                                                                       for part in after]

    added = split_into_parts(site + pages(1, prefix="news/n"), part_bytes=100_000)   # still three parts
    assert sum(old.key != new.key for old, new in zip(before, added, strict=True)) == 1


# --- the sample site: merged parts against one index -------------------------------------------

# Words of the sample texts in other forms, names, and words found almost everywhere.
QUERIES = ["транспорта", "городских", "бюллетень", "вестник", "сессия", "конкурса", "казань", "алматы",
           "театр", "воздуха", "отходов", "бюджет", "велосипедных", "жителей", "мероприятие", "магия театра",
           "ассамблея", "дети", "велосипед", "набережной", "трамвайных путей", "школ", "казань транспорт",
           "стажировок", "велосипедостоянка", "пешеходных переходов"]
PART_BYTES = 120_000          # the sample site in about ten parts


def one_index(site: Path, target: Path) -> None:
    """Pagefind's own command over the built site: one index, the search step's settings."""
    from pagefind.service import get_executable

    command = [str(get_executable()), "--site", str(site), "--output-path", str(target), "--silent",
               "--force-language", "ru"]
    for selector in search.INDEX_SETTINGS["exclude_selectors"]:
        command += ["--exclude-selectors", selector]
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture(scope="module")
def split_sample(tmp_path_factory) -> Path:
    """The sample site built in parts, with one index over the same pages at /one-index/."""
    folder = tmp_path_factory.mktemp("parts")
    patch = pytest.MonkeyPatch()
    patch.setattr(search, "PART_BYTES", PART_BYTES)
    try:
        context = pipeline.build(pipeline.BuildConfig(root=PROJECT, out=folder / "output", pdf=False, quiet=True,
                                                      cache_dir=folder / "cache"))
    finally:
        patch.undo()
    assert len(context.report.search["parts"]) >= 5
    one_index(folder / "output", folder / "output" / "one-index")
    return folder / "output"


@pytest.fixture(scope="module")
def split_url(split_sample):
    with serve(split_sample) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = headless_chromium(tmp_path_factory.mktemp("chromium"))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


VOCABULARY_URL = f"/{search.VOCABULARY_DIR}/"


def vocabularies(bundle: Path) -> list[dict]:
    """The vocabulary's records (one per part, with the words of its pages)."""
    records = []
    for path in bundle.glob("**/fragment/*.pf_fragment"):
        fragment = json.loads(gzip.decompress(path.read_bytes())[len(b"pagefind_dcd"):])
        if fragment["url"].startswith(VOCABULARY_URL):
            records.append(fragment)
    return records


@pytest.mark.slow
def test_the_parts_hold_every_page_of_one_index_once(split_sample):
    merged, single = fragments(split_sample / "pagefind"), fragments(split_sample / "one-index")
    assert merged == single                  # same pages, same text, filters, meta, anchors
    records = vocabularies(split_sample / "pagefind")
    fragment_files = list((split_sample / "pagefind").glob("**/fragment/*.pf_fragment"))
    assert len(fragment_files) == len(single) + len(records)


@pytest.mark.slow
def test_the_vocabulary_holds_the_words_of_each_part_in_a_record_that_is_no_page(split_sample):
    records = vocabularies(split_sample / "pagefind")
    merged = json.loads((split_sample / "pagefind" / search.MERGE_FILE).read_text(encoding="utf-8"))["merge"]
    names = [part["mergeFilter"][search.PART_FILTER] for part in merged]
    assert len(records) == len(names) >= 5                      # one a part, merged with its name
    assert [part["bundlePath"] for part in merged] == [f"/pagefind/{name}/" for name in names]
    key, value = search.VOCABULARY_FILTER
    assert sorted(record["filters"][search.PART_FILTER][0] for record in records) == sorted(names)
    assert all(record["filters"][key] == [value] for record in records)
    holding = [record for record in records if "велосипедных" in record["content"].split()]
    assert 0 < len(holding) < len(records)                  # a word of some parts only
    assert not (split_sample / search.VOCABULARY_DIR).exists()            # in the index only
    assert VOCABULARY_URL not in (split_sample / "sitemap.xml").read_text(encoding="utf-8")


def test_a_page_gives_the_words_pagefind_indexes_from_it():
    page = ('<main data-pagefind-body><h1>Метро</h1>'
            '<p>Новые <b>стан</b>ции, «трамваи»!</p><img alt="Схема линий" src="a.png">'
              '<p data-pagefind-ignore>Крошки</p><span hidden data-pagefind-filter="Тип">Практика</span>'
              '<script>var x;</script></main>'.encode("utf-8"))
    words = search.page_words(page)
    assert {"метро", "новые", "станции", "трамваи", "схема", "линий"} <= words
    assert not words & {"крошки", "практика", "var", "x"}


def test_a_page_gives_the_words_of_the_metadata_pagefind_indexes_wherever_it_is():
    # (a picture in an ignored block, a hidden meta span, the attribute forms of meta)
    page = ('<main data-pagefind-body><p>Омск</p><section data-pagefind-ignore><p>Карточки</p>'
            '<img src="/video/tramvay.jpg" alt="Трамвай на набережной"></section>'
            '<span hidden data-pagefind-meta="Город">Омская область</span>'
            '<span data-pagefind-meta="Дата:2026, Место[data-place]" data-place="Иртыш"></span></main>'.encode("utf-8"))
    words = search.page_words(page)
    assert {"омск", "набережной", "video/tramvay.jpg", "омская", "2026", "иртыш"} <= words
    assert "карточки" not in words


def test_the_vocabulary_record_of_a_part_holds_its_words_and_names_it_in_a_hidden_filter():
    record = search.vocabulary_html("part-2", {"велосипедных", "a<b"}).decode("utf-8")
    assert 'data-pagefind-filter="служебное:словарь"' in record and "a&lt;b велосипедных" in record
    assert '<span hidden data-pagefind-filter="часть">part-2</span>' in record


@pytest.mark.slow
def test_merged_parts_find_what_one_index_finds(browser, split_url):
    browser.get(f"{split_url}/")                       # a page without the search UI
    rankings = []
    for query in QUERIES:
        merged = pagefind_api(browser, "/pagefind/", "search", query)
        single = pagefind_api(browser, "/one-index/", "search", query)
        assert single, query                               # the query finds something
        assert sorted(merged) == sorted(single), query      # the same pages: none missed, none more
        rankings.append((merged[:5], single[:5]))
    # Ranked together as one index ranks them: most of the first five are the same.
    shared = sum(len(set(merged) & set(single)) for merged, single in rankings)
    assert shared >= 0.7 * sum(len(single) for _merged, single in rankings), rankings


@pytest.mark.slow
def test_merged_parts_filter_as_one_index(browser, split_url):
    browser.get(f"{split_url}/")
    merged, single = (pagefind_api(browser, folder, "filters") for folder in ("/pagefind/", "/one-index/"))
    assert merged == single                             # the facets with their counts
    assert merged["Вид мероприятия"] and len(merged["Тип"]) >= 6
    for facet in ("Тип", "Вид мероприятия", "Сфера"):
        for value in merged[facet]:
            found = pagefind_api(browser, "/pagefind/", "search", None, {facet: [value]})
            assert sorted(found) == sorted(pagefind_api(browser, "/one-index/", "search", None, {facet: [value]}))
            assert len(found) == merged[facet][value], (facet, value)
    transport = pagefind_api(browser, "/pagefind/", "search", "транспорта", {"Тип": ["Практика"]})
    assert transport and all(url.startswith("/practices/") for url in transport)


@pytest.mark.slow
def test_the_search_page_merges_the_parts_and_narrows_them_to_events(browser, split_url):
    browser.get(f"{split_url}/search/?q={quote('конкурс')}")
    total = _wait(browser, _count)
    _wait(browser, lambda d: _settled(d, total))
    kinds = {urlsplit(url).path.split("/")[1] for url in _results(browser)}
    assert len(kinds) > 1, kinds                           # results of several parts, ranked together

    browser.get(f"{split_url}/search/?q={quote('конкурс')}&type={quote('Мероприятие')}")
    events = _wait(browser, _count)
    _wait(browser, lambda d: _settled(d, events))
    found = _results(browser)
    assert 0 < events < total and found and all(url.startswith("/events/") for url in found), found


# --- incremental: one part again, and the index of a cold build ---------------------------------

def build(root: Path, out: Path, cache: Path) -> pipeline.BuildContext:
    return pipeline.build(pipeline.BuildConfig(root=root, out=out, pdf=False, quiet=True, cache_dir=cache))


def write_twelve_practices(repo) -> None:
    """Enough small practices to cut a site into several parts of PART_BYTES = 8,000."""
    for number in range(12):
        repo.write(f"content/practices/praktika-{number}.md", f"""
            ---
            title: Практика {number}
            city: kazan
            year: 2021
            rubrics: [obshchestvennyy-transport]
            summary: Практика номер {number}.
            ---
            Текст практики {number} об автобусах и трамваях.
            """)


@pytest.mark.slow
def test_one_edited_practice_makes_one_part_again(repo, monkeypatch):
    monkeypatch.setattr(search, "PART_BYTES", 8_000)
    write_twelve_practices(repo)
    first = build(repo.root, repo.out, repo.root / ".cache").report.search
    assert len(first["parts"]) >= 4 and first["built"] == list(first["parts"])
    practice = repo.root / "content" / "practices" / "praktika-5.md"
    practice.write_text(practice.read_text(encoding="utf-8") + "\nИ об автобусах практики 7.\n", encoding="utf-8")
    again = build(repo.root, repo.out, repo.root / ".cache").report.search
    assert len(again["built"]) == 1                     # words the site has: the other parts keep theirs
    assert sum(again["parts"][name] != first["parts"][name] for name in first["parts"]) == 1
    assert "об автобусах практики 7" in fragments(repo.out / "pagefind")["/practices/praktika-5/"]["content"]


@pytest.mark.slow
def test_a_word_new_to_the_site_makes_its_part_and_the_vocabulary_again(repo, monkeypatch):
    monkeypatch.setattr(search, "PART_BYTES", 8_000)
    write_twelve_practices(repo)
    first = build(repo.root, repo.out, repo.root / ".cache").report.search
    practice = repo.root / "content" / "practices" / "praktika-5.md"
    practice.write_text(practice.read_text(encoding="utf-8") + "\nИ о фуникулёре.\n", encoding="utf-8")
    again = build(repo.root, repo.out, repo.root / ".cache").report.search
    assert len(again["built"]) == 1 and again["vocabulary_built"]
    assert sum(again["parts"][name] != first["parts"][name] for name in first["parts"]) == 1
    holding = [record for record in vocabularies(repo.out / "pagefind") if "фуникулёре" in record["content"].split()]
    assert [record["filters"][search.PART_FILTER] for record in holding] == [again["built"]]


@pytest.mark.slow
def test_undoing_an_edit_with_a_new_word_takes_its_part_and_the_vocabulary_from_the_cache(repo, monkeypatch):
    monkeypatch.setattr(search, "PART_BYTES", 8_000)
    write_twelve_practices(repo)
    first = build(repo.root, repo.out, repo.root / ".cache").report.search
    practice = repo.root / "content" / "practices" / "praktika-5.md"
    original = practice.read_text(encoding="utf-8")
    practice.write_text(original + "\nИ о фуникулёре.\n", encoding="utf-8")
    assert len(build(repo.root, repo.out, repo.root / ".cache").report.search["built"]) == 1
    practice.write_text(original, encoding="utf-8")
    undone = build(repo.root, repo.out, repo.root / ".cache").report.search
    assert undone["parts"] == first["parts"] and undone["built"] == [] and not undone["vocabulary_built"]


@pytest.mark.slow
def test_after_each_edit_the_index_in_parts_is_the_one_a_cold_build_makes(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(search, "PART_BYTES", 6_000)
    cache = repo.root / ".cache"
    build(repo.root, repo.out, cache)
    edits = [
        ("change a practice", lambda: repo.write("content/practices/razdelnyy-sbor.md", """
            ---
            title: Раздельный сбор отходов во дворах
            city: kazan
            year: 2021
            rubrics: [razdelnyy-sbor-otkhodov, ozelenenie]
            summary: Новая редакция.
            ---
            Обновлённый текст о контейнерах.
            """)),
        ("add a practice", lambda: repo.write("content/practices/velodorozhki.md", """
            ---
            title: Велодорожки
            city: moskva
            year: 2022
            rubrics: [velosipednaya-infrastruktura]
            summary: Сеть велодорожек.
            ---
            Текст о велосипедах.
            """)),
        ("delete a practice", lambda: repo.remove("content/practices/novye-avtobusy.md")),
        ("rename a practice", lambda: (repo.root / "content/practices/velodorozhki.md").rename(
            repo.root / "content/practices/velosipednye-dorozhki.md")),
        ("change a city", lambda: repo.write("content/cities/kazan.md", """
            ---
            title: Казань
            country: Россия
            coordinates: [55.79, 49.12]
            region: Республика Татарстан
            ---
            Новое описание.
            """)),
        ("add a bulletin", lambda: repo.write("content/bulletins/2.md", """
            ---
            number: 2
            date: 2024-02-15
            cities: [moskva]
            ---
            ## Новость

            Текст о сессии.
            """)),
        ("delete a bulletin", lambda: repo.remove("content/bulletins/2.md")),
        ("change a template", lambda: (repo.root / "templates/practice.html").write_text(
            (repo.root / "templates/practice.html").read_text(encoding="utf-8").replace(
                'data-pagefind-weight="2"', 'data-pagefind-weight="3"'), encoding="utf-8")),
        ("rename a Vestnik article", lambda: (repo.root / "content/vestnik/1/02-opyt.md").rename(
            repo.root / "content/vestnik/1/03-opyt-gorodov.md")),
        ("change the settings", lambda: (repo.root / "site.yaml").write_text(
            (repo.root / "site.yaml").read_text(encoding="utf-8").replace(
                "title: Социальная сфера", "title: Социальная сфера города"), encoding="utf-8")),
    ]
    for name, edit in edits:
        edit()
        incremental = build(repo.root, repo.out, cache).report.search
        cold = tmp_path / "cold"
        made = build(repo.root, cold / "output", cold / "cache").report.search
        assert made["parts"] == incremental["parts"], name
        assert snapshot(repo.out / "pagefind") == snapshot(cold / "output" / "pagefind"), name
        shutil.rmtree(cold)
