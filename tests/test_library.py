"""The library of city practices: rubricator, counts, other ways in, related practices."""
import pytest
from bs4 import BeautifulSoup
from conftest import PRACTICE


def soup(repo, path):
    return BeautifulSoup(repo.read(path), "lxml")


def add_practice(repo, slug, title, city, year, rubrics, contest=""):
    text = PRACTICE.format(title=title, city=city, year=year, rubrics=rubrics)
    if contest:
        text = text.replace("summary:", contest + "\nsummary:", 1)
    repo.write(f"content/practices/{slug}.md", text)


def rubric_counts(page):
    counts = {}
    for item in page.select("#rubricator li"):
        link = item.find("a", recursive=False)
        count = item.find("span", class_="count", recursive=False)
        counts[link["href"]] = int(count.get_text())
    return counts


@pytest.mark.slow
def test_library_tree_shows_every_sector_and_problem_with_counts(repo):
    repo.build()
    counts = rubric_counts(soup(repo, "practices/index.html"))
    assert counts["/practices/rubrics/gorodskaya-infrastruktura/"] == 2
    assert counts["/practices/rubrics/gorodskaya-infrastruktura/razdelnyy-sbor-otkhodov/"] == 2
    assert counts["/practices/rubrics/transport/obshchestvennyy-transport/"] == 1
    assert counts["/practices/rubrics/transport/"] == 1
    # empty problems are listed, with zero, and their pages exist
    assert counts["/practices/rubrics/sotsialnaya-sfera/zdravookhranenie/"] == 0
    assert (repo.out / "practices/rubrics/sotsialnaya-sfera/zdravookhranenie/index.html").exists()
    assert len(counts) == 11 + 33


@pytest.mark.slow
def test_library_figures_are_computed(repo):
    repo.build()
    lead = soup(repo, "practices/index.html").select_one(".lead").get_text(" ", strip=True)
    assert lead.startswith("2 практики из 2 городов 2 стран")


@pytest.mark.slow
def test_rubric_page_lists_newest_first_and_paginates(repo):
    for year in range(2001, 2026):
        add_practice(repo, f"p{year}", f"Практика {year}", "moskva", year, "parkovki")
    repo.build()
    first = soup(repo, "practices/rubrics/transport/parkovki/index.html")
    titles = [a.get_text() for a in first.select(".practice-card h3 a")]
    assert titles[:3] == ["Практика 2025", "Практика 2024", "Практика 2023"]
    assert len(titles) == 20
    second = soup(repo, "practices/rubrics/transport/parkovki/page/2/index.html")
    assert [a.get_text() for a in second.select(".practice-card h3 a")] == [f"Практика {y}" for y in range(2005, 2000, -1)]
    assert first.select_one('a[rel="next"]')["href"] == "/practices/rubrics/transport/parkovki/page/2/"


@pytest.mark.slow
def test_year_page_groups_by_contest_edition_and_marks_awards(repo):
    add_practice(repo, "konkurs", "Конкурсная практика", "moskva", 2020, "turizm",
                 contest="contest: {edition: 13, year: 2020, nomination: Экономика, award: Гран-при}")
    repo.build()
    page = soup(repo, "practices/years/2020/index.html")
    edition = page.select_one("#edition-13")
    assert "XIII смотр-конкурс" in edition.h2.get_text()
    assert "Номинация «Экономика»" in edition.get_text()
    assert edition.select_one(".award").get_text() == "Гран-при"
    assert "Раздельный сбор отходов" in page.get_text()   # the practice of 2020 outside the contest


@pytest.mark.slow
def test_country_page_and_city_page_filter_practices(repo):
    repo.build()
    belarus = soup(repo, "practices/countries/belarus/index.html")
    assert [a.get_text() for a in belarus.select(".practice-card h3 a")] == ["Новые автобусы"]
    minsk = soup(repo, "cities/minsk/index.html")
    assert [a.get_text() for a in minsk.select(".practice-card h3 a")] == ["Новые автобусы"]


@pytest.mark.slow
def test_practice_page_links_city_country_problems_and_sectors(repo):
    repo.build()
    page = soup(repo, "practices/novye-avtobusy/index.html")
    links = {a["href"] for a in page.select(".facts a")}
    assert {"/cities/minsk/", "/practices/countries/belarus/", "/practices/years/2019/",
            "/practices/rubrics/transport/obshchestvennyy-transport/",
            "/practices/rubrics/gorodskaya-infrastruktura/razdelnyy-sbor-otkhodov/",
            "/practices/rubrics/transport/", "/practices/rubrics/gorodskaya-infrastruktura/"} <= links


@pytest.mark.slow
def test_related_practices_share_a_problem_other_cities_first(repo):
    add_practice(repo, "same-city", "Та же Казань", "kazan", 2024, "razdelnyy-sbor-otkhodov")
    add_practice(repo, "other-city", "Московский опыт", "moskva", 2018, "razdelnyy-sbor-otkhodov")
    add_practice(repo, "unrelated", "Про парки", "moskva", 2024, "ozelenenie")
    for i in range(5):
        add_practice(repo, f"more-{i}", f"Ещё {i}", "minsk", 2010 + i, "razdelnyy-sbor-otkhodov")
    repo.build()
    page = soup(repo, "practices/razdelnyy-sbor/index.html")
    related = [a.get_text() for a in page.select(".related .practice-card h3 a")]
    assert len(related) == 5
    assert "Про парки" not in related
    assert "Та же Казань" not in related          # five from other cities come first
    assert related[0] == "Новые автобусы"          # 2019, Minsk: newest among other cities


def test_related_practices_match_a_full_sort_of_every_candidate(repo):
    import random

    from egorod.model import BuildOptions
    from egorod.pipeline import load_site
    rng = random.Random(7)
    problems = ["parkovki", "turizm", "ozelenenie", "investitsii"]
    for number in range(120):
        rubrics = ", ".join(rng.sample(problems, rng.choice([1, 1, 2, 3])))
        add_practice(repo, f"s{number}", f"Практика {number}", rng.choice(["kazan", "minsk", "moskva"]),
                     rng.randint(2010, 2024), rubrics)
    site = load_site(repo.root, BuildOptions())
    for practice in site.practices:
        def shared(other, practice=practice):
            return len(set(other.rubrics) & set(practice.rubrics))
        everyone = [o for o in site.practices if o.slug != practice.slug and shared(o)]
        expected = sorted(everyone, key=lambda o: (o.city == practice.city, -shared(o), -o.year, o.slug))[:5]
        assert site.related_practices(practice) == expected, practice.slug
