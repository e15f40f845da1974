"""`build.py new`: new content files that an editor only has to fill in, and that pass `check`."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from egorod.content import read_source
from egorod.errors import Problems


def front(repo, relative: str) -> dict:
    parsed = read_source(repo.root, repo.root / relative, Problems())
    assert parsed is not None, relative
    return parsed.data


def created(result) -> list[str]:
    return [line for line in result.lines if line.startswith("content/")]


def assert_check_passes(repo) -> None:
    result = repo.run("check")
    assert result.status == 0, result.output


@pytest.mark.slow
def test_new_bulletin_takes_the_next_number(repo):
    repo.write("content/bulletins/7.md", "---\nnumber: 7\ndate: 2024-07-15\n---\n## Новость\n")
    result = repo.run("new", "bulletin", 'Итоги: "год" в городах')
    assert result.status == 0, result.output
    assert created(result) == ["content/bulletins/8.md"]
    data = front(repo, "content/bulletins/8.md")
    assert data["number"] == 8
    assert data["date"] == dt.date.today().isoformat()
    assert data["title"] == 'Итоги: "год" в городах'
    assert data["draft"] is True
    text = (repo.root / "content/bulletins/8.md").read_text(encoding="utf-8")
    assert text.startswith("---\n") and "\n## " in text
    assert "# номер выпуска" in text          # every field is explained
    assert_check_passes(repo)
    # a draft: not published, but shown in a preview build
    repo.build()
    assert not (repo.out / "bulletins/8/index.html").exists()
    repo.build("--drafts")
    assert "Итоги: «год»" in repo.read("bulletins/8/index.html")
    # and the next one follows it
    assert created(repo.run("new", "bulletin")) == ["content/bulletins/9.md"]
    assert front(repo, "content/bulletins/9.md").get("title") is None
    assert_check_passes(repo)


def test_new_bulletin_date_option(repo):
    result = repo.run("new", "bulletin", "--date", "2026-12-15")
    assert result.status == 0, result.output
    assert front(repo, "content/bulletins/2.md")["date"] == "2026-12-15"
    assert repo.run("new", "bulletin", "--date", "15.12.2026").status == 2


@pytest.mark.slow
def test_new_vestnik_issue_with_an_example_article(repo):
    index = repo.root / "content/vestnik/1/_index.md"
    index.write_text(index.read_text(encoding="utf-8").replace(
        "editorial_board: [Редакционный совет МАГ]", "editorial_board: [Совет А, Совет Б]"), encoding="utf-8")
    (repo.root / "content/vestnik/4").mkdir()   # a folder number in use, even half-made, is not reused
    (repo.root / "content/vestnik/4/_index.md").write_text(
        "---\nnumber: 4\ndate: 2025-01-01\ntitle: Четвёртый\n---\nТекст.\n", encoding="utf-8")
    result = repo.run("new", "vestnik", "Городская среда")
    assert result.status == 0, result.output
    paths = created(result)
    assert paths[0] == "content/vestnik/5/_index.md"
    assert len(paths) == 2 and paths[1].startswith("content/vestnik/5/01-") and paths[1].endswith(".md")
    issue = front(repo, paths[0])
    assert issue["number"] == 5 and issue["title"] == "Городская среда" and issue["draft"] is True
    assert issue["date"] == dt.date.today().isoformat()
    assert issue["editorial_board"] == ["Совет А", "Совет Б"]   # taken over from the latest issue
    article = front(repo, paths[1])
    assert article["title"] and article["authors"]
    assert_check_passes(repo)
    repo.build("--drafts")
    assert "Городская среда" in repo.read("vestnik/5/index.html")


def test_new_city_transliterates_the_title_and_never_overwrites(repo):
    result = repo.run("new", "city", "Нижний Новгород")
    assert result.status == 0, result.output
    assert created(result) == ["content/cities/nizhniy-novgorod.md"]
    path = repo.root / "content/cities/nizhniy-novgorod.md"
    data = front(repo, "content/cities/nizhniy-novgorod.md")
    assert data["title"] == "Нижний Новгород" and data["country"] == "Россия" and data["draft"] is True
    assert_check_passes(repo)
    path.write_text(path.read_text(encoding="utf-8").replace("[0.0, 0.0]", "[56.3269, 44.0059]"), encoding="utf-8")
    before = path.read_bytes()

    again = repo.run("new", "city", "Нижний Новгород")
    assert again.status == 1
    assert "content/cities/nizhniy-novgorod.md already exists" in again.output
    assert path.read_bytes() == before


def test_new_city_with_a_country(repo):
    assert repo.run("new", "city", "Гомель", "--country", "Беларусь").status == 0
    assert front(repo, "content/cities/gomel.md")["country"] == "Беларусь"
    bad = repo.run("new", "city", "Гродно", "--country", "Белоруссия")
    assert bad.status == 2 and "Беларусь" in bad.output
    assert not (repo.root / "content/cities/grodno.md").exists()
    assert_check_passes(repo)


@pytest.mark.slow
def test_new_practice(repo):
    result = repo.run("new", "practice", "Умные остановки: опыт Казани", "--city", "kazan",
                      "--rubric", "obshchestvennyy-transport", "--rubric", "elektronnye-uslugi")
    assert result.status == 0, result.output
    assert created(result) == ["content/practices/umnye-ostanovki-opyt-kazani.md"]
    data = front(repo, "content/practices/umnye-ostanovki-opyt-kazani.md")
    assert data["title"] == "Умные остановки: опыт Казани"
    assert data["city"] == "kazan"
    assert data["rubrics"] == ["obshchestvennyy-transport", "elektronnye-uslugi"]
    assert data["year"] == dt.date.today().year
    assert data["draft"] is True and "contest" not in data
    assert_check_passes(repo)
    repo.build("--drafts")
    assert "Умные остановки" in repo.read("practices/umnye-ostanovki-opyt-kazani/index.html")


def test_new_practice_without_city_and_rubric_is_valid_and_says_what_to_replace(repo):
    result = repo.run("new", "practice", "Школьные маршруты")
    assert result.status == 0, result.output
    text = (repo.root / "content/practices/shkolnye-marshruty.md").read_text(encoding="utf-8")
    city_line = next(line for line in text.splitlines() if line.startswith("city:"))
    assert "ЗАМЕНИТЕ" in city_line
    assert_check_passes(repo)
    # the commented-out contest block becomes valid when uncommented as it stands
    uncommented = "\n".join(line[2:] if line.startswith(("# contest:", "#   ")) else line for line in text.splitlines())
    block = yaml.safe_load(uncommented.split("---")[1])
    assert set(block["contest"]) == {"edition", "year", "nomination", "award"}


def test_new_refuses_bad_requests_and_writes_nothing(repo):
    before = sorted(p.relative_to(repo.root).as_posix() for p in (repo.root / "content").rglob("*"))
    unknown_city = repo.run("new", "practice", "Практика", "--city", "atlantida")
    assert unknown_city.status == 2 and "atlantida" in unknown_city.output
    unknown_rubric = repo.run("new", "practice", "Практика", "--rubric", "net-takoy")
    assert unknown_rubric.status == 2 and "net-takoy" in unknown_rubric.output
    no_title = repo.run("new", "city")
    assert no_title.status == 2 and "title" in no_title.output
    no_letters = repo.run("new", "city", "!!! ???")
    assert no_letters.status == 2
    assert repo.run("new", "magazine").status == 2
    after = sorted(p.relative_to(repo.root).as_posix() for p in (repo.root / "content").rglob("*"))
    assert after == before


def test_existing_practice_is_not_overwritten(repo):
    path = repo.root / "content/practices/razdelnyy-sbor.md"
    before = path.read_bytes()
    result = repo.run("new", "practice", "Раздельный сбор", "--city", "kazan")
    assert result.status == 1
    assert "content/practices/razdelnyy-sbor.md already exists" in result.output
    assert path.read_bytes() == before


def test_new_suggests_the_city_problem_or_country_meant(repo):
    city = repo.run("new", "practice", "Практика", "--city", "kazn")
    assert city.status == 2 and "unknown city 'kazn': did you mean 'kazan'?" in city.output
    rubric = repo.run("new", "practice", "Практика", "--city", "kazan", "--rubric", "parkovka")
    assert rubric.status == 2 and "unknown problem 'parkovka': did you mean 'parkovki'?" in rubric.output
    country = repo.run("new", "city", "Омск", "--country", "Росия")
    assert country.status == 2 and "unknown country 'Росия': did you mean 'Россия'?" in country.output
