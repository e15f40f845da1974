"""Building the site: outputs, links, atomic swap and reproducibility."""
import hashlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import PROJECT
from linkcheck import broken_links

PROJECT_STATIC = PROJECT / "static"


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_every_page_is_russian_with_title_description_canonical_and_og(repo):
    repo.build()
    pages = list(repo.out.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        assert soup.html["lang"] == "ru", page
        assert soup.title and soup.title.string.strip(), page
        assert soup.find("meta", attrs={"name": "description"})["content"], page
        assert soup.find("link", rel="canonical")["href"].startswith("https://"), page
        assert soup.find("meta", property="og:title"), page


@pytest.mark.slow
def test_no_request_to_any_third_party_host(repo):
    repo.build()
    for page in repo.out.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        for tag, attribute in (("link", "href"), ("script", "src"), ("img", "src"), ("iframe", "src")):
            for element in soup.find_all(tag, attrs={attribute: True}):
                rel = element.get("rel") or []
                if "canonical" in rel or "alternate" in rel:
                    continue
                assert not element[attribute].startswith(("http:", "https:", "//")), (page, element)


@pytest.mark.slow
def test_internal_links_resolve(repo):
    repo.build()
    assert broken_links(repo.out) == []


@pytest.mark.slow
def test_city_page_lists_its_practices_and_bulletins(repo):
    repo.build()
    html = repo.read("cities/kazan/index.html")
    assert 'href="/practices/razdelnyy-sbor/"' in html
    assert 'href="/bulletins/1/"' in html


@pytest.mark.slow
def test_rubric_pages_count_practices_and_show_empty_problems(repo):
    repo.build()
    sector = repo.read("practices/rubrics/gorodskaya-infrastruktura/index.html")
    assert "Раздельный сбор отходов" in sector and "Новые автобусы" in sector
    empty = repo.read("practices/rubrics/sotsialnaya-sfera/zdravookhranenie/index.html")
    assert "Практик по этой теме пока нет" in empty


@pytest.mark.slow
def test_home_shows_numbers_computed_from_content(repo):
    repo.build()
    soup = BeautifulSoup(repo.read("index.html"), "lxml")
    figures = [li.get_text(" ", strip=True) for li in soup.select(".figures li")]
    assert figures[0].startswith("3 города-участника")
    repo.remove("content/cities/moskva.md")
    repo.build()
    soup = BeautifulSoup(repo.read("index.html"), "lxml")
    assert soup.select(".figures li")[0].get_text(" ", strip=True).startswith("2 города-участника")


@pytest.mark.slow
def test_typography_in_rendered_text_but_not_in_code(repo):
    repo.write("content/pages/typo.md", """
        ---
        title: Типографика
        ---
        Конкурс "Город, где хочется жить" - в г. Москва и в Минске. `a - "b"`
        """)
    repo.build()
    html = repo.read("typo/index.html")
    assert "«Город, где хочется жить»\u00a0— в\u00a0г.\u00a0Москва и\u00a0в\u00a0Минске" in html
    assert '<code>a - "b"</code>' in html or "<code>a - &quot;b&quot;</code>" in html


@pytest.mark.slow
def test_failed_build_leaves_previous_output_untouched(repo):
    repo.build()
    before = tree_digest(repo.out)
    repo.write("content/cities/moskva.md", "---\ntitle: [сломано\n---\n")
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1
    assert "content/cities/moskva.md:2: -: invalid YAML" in result.output
    assert tree_digest(repo.out) == before
    assert [p.name for p in repo.root.iterdir() if p.name.startswith(".output")] == []


@pytest.mark.slow
def test_two_builds_are_byte_identical(repo, tmp_path):
    repo.build("--out", str(tmp_path / "one"))
    repo.build("--out", str(tmp_path / "two"))
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")


def test_usage_error_exits_2(repo):
    assert repo.run("frobnicate").status == 2
    assert repo.run("build", "--no-such-option").status == 2


@pytest.mark.slow
def test_sitemap_lists_pages_with_absolute_urls(repo):
    repo.build("--base-url", "https://example.org/mag")
    sitemap = repo.read("sitemap.xml")
    assert "<loc>https://example.org/mag/cities/kazan/</loc>" in sitemap
    assert "Sitemap: https://example.org/mag/sitemap.xml" in repo.read("robots.txt")
    assert (repo.out / "404.html").exists()


@pytest.mark.slow
def test_images_beside_the_markdown_are_published_and_linked(repo):
    (repo.root / "content/vestnik/1/skhema.png").write_bytes((PROJECT_STATIC / "img/og.png").read_bytes())
    repo.write("content/vestnik/1/02-opyt.md", """
        ---
        title: Опыт городов
        authors: [Экспертный совет МАГ]
        ---
        ![Схема маршрутов](skhema.png)
        """)
    repo.build()
    page = repo.read("vestnik/1/opyt/index.html")
    assert '<img src="/vestnik/1/skhema.png" srcset="' in page and 'alt="Схема маршрутов"' in page
    assert (repo.out / "vestnik/1/skhema.png").exists()
    assert broken_links(repo.out) == []


def test_output_folder_with_foreign_files_is_refused(repo, tmp_path):
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("important", encoding="utf-8")
    result = repo.run("build", "--no-pdf", "--no-search", "--out", str(foreign))
    assert result.status == 2
    assert "already holds files that were not made by this build" in result.output
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "important"


def test_output_folder_cannot_be_the_repository(repo):
    for out in (".", "content"):
        result = repo.run("build", "--no-pdf", "--no-search", "--out", str(repo.root / out))
        assert result.status == 2, out
    assert (repo.root / "content/cities/kazan.md").exists()


@pytest.mark.slow
def test_files_the_build_no_longer_makes_are_removed_with_their_folders(repo):
    repo.build()
    assert (repo.out / "practices/novye-avtobusy/index.html").exists()
    repo.remove("content/practices/novye-avtobusy.md")
    repo.build()
    assert not (repo.out / "practices/novye-avtobusy").exists()
    from egorod.output import listed_files
    listed = listed_files(repo.out / ".egorod-output")
    assert listed is not None
    assert "practices/razdelnyy-sbor/index.html" in listed
    assert "practices/novye-avtobusy/index.html" not in listed


def test_typography_leaves_addresses_in_text_alone():
    from egorod.markup import Renderer
    html = Renderer().html("Файл https://e-gorod.ru/files/plan--2024...pdf и a--b@mail.ru - <https://e-gorod.ru/a--b>")
    assert "https://e-gorod.ru/files/plan--2024...pdf" in html
    assert "a--b@mail.ru" in html or "&#97;" in html     # e-mail may be obfuscated, never retyped
    assert ">https://e-gorod.ru/a--b</a>" in html
    assert "\u00a0— " in html


@pytest.mark.slow
def test_a_template_mistake_is_reported_with_its_line_and_the_output_kept(repo):
    from egorod.incremental import PARALLEL_THRESHOLD
    repo.build()
    before = tree_digest(repo.out)
    template = repo.root / "templates/city.html"
    good = template.read_text(encoding="utf-8")
    template.write_text(good.replace("{% block content %}", "{% block content %}{% if %}"), encoding="utf-8")
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1 and "Traceback" not in result.output
    assert "templates/city.html:3: -: template error:" in result.output
    # an error while rendering, in the worker processes of a larger site
    from conftest import PRACTICE
    for number in range(PARALLEL_THRESHOLD):
        repo.write(f"content/practices/p{number}.md", PRACTICE.format(
            title=f"Практика {number}", city="moskva", year=2020, rubrics="parkovki"))
    template.write_text(good.replace("{% block content %}", "{% block content %}{{ city.no_such|int + nothing }}"),
                        encoding="utf-8")
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1 and "Traceback" not in result.output
    assert "templates/city.html:3: -: template error: UndefinedError:" in result.output
    assert tree_digest(repo.out) == before
