"""schema.org JSON-LD of the pages, parsed as a search engine would: valid JSON in a data
block, the Organization on the home page, Articles for Vestnik articles and bulletin issues,
a BreadcrumbList that ends at the page itself."""
from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow

BASE = "https://e-gorod.ru/"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import make_repo
    repo = make_repo(tmp_path_factory.mktemp("jsonld") / "site")
    repo.build()
    return repo


def graph(repo, page: str) -> list[dict]:
    soup = BeautifulSoup(repo.read(page), "html.parser")
    blocks = soup.find_all("script", type="application/ld+json")
    assert len(blocks) == 1, page
    data = json.loads(blocks[0].string)
    assert data["@context"] == "https://schema.org"
    return data["@graph"]


def of_type(items: list[dict], kind: str) -> list[dict]:
    return [item for item in items if item.get("@type") == kind]


@pytest.mark.slow
def test_every_page_has_one_parsable_json_ld_block(built):
    pages = [p for p in built.out.rglob("*.html") if p.name != "email.html"]
    assert len(pages) > 20
    for page in pages:
        assert graph(built, page.relative_to(built.out).as_posix()), page


def test_home_page_describes_the_organization(built):
    (org,) = of_type(graph(built, "index.html"), "Organization")
    assert org["name"] == "Международная Ассамблея столиц и крупных городов СНГ"
    assert org["url"] == BASE and org["logo"].startswith(BASE)


def test_vestnik_article_is_an_article_with_authors_and_issue_date(built):
    (article,) = of_type(graph(built, "vestnik/1/opyt/index.html"), "Article")
    assert article["headline"] == "Опыт городов"
    assert article["datePublished"] == "2024-03-01"
    assert article["author"] == [{"@type": "Person", "name": "Экспертный совет МАГ"}]
    assert article["url"] == article["mainEntityOfPage"] == BASE + "vestnik/1/opyt/"
    assert article["isPartOf"]["isPartOf"]["name"] == "Вестник МАГ"


def test_bulletin_issue_is_an_article_published_by_the_assembly(built):
    items = graph(built, "bulletins/1/index.html")
    (article,) = of_type(items, "Article")
    assert article["datePublished"] == "2024-01-15"
    assert article["isPartOf"]["issueNumber"] == "1"
    (org,) = of_type(items, "Organization")
    assert article["publisher"] == {"@id": org["@id"]}


def test_breadcrumb_list_follows_the_visible_breadcrumb_to_the_page(built):
    (trail,) = of_type(graph(built, "practices/novye-avtobusy/index.html"), "BreadcrumbList")
    names = [item["name"] for item in trail["itemListElement"]]
    assert names == ["Главная", "Библиотека практик", "Новые автобусы"]
    assert [item["position"] for item in trail["itemListElement"]] == [1, 2, 3]
    assert trail["itemListElement"][-1]["item"] == BASE + "practices/novye-avtobusy/"


@pytest.mark.slow
def test_json_ld_cannot_close_its_script_element(repo):
    repo.write("content/pages/about.md", "---\ntitle: О </script><b>нас\n---\nТекст.\n")
    repo.build()
    raw = repo.read("about/index.html")
    block = raw.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block
    (trail,) = of_type(json.loads(block)["@graph"], "BreadcrumbList")
    assert trail["itemListElement"][-1]["name"] == "О </script><b>нас"
