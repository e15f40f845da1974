"""Contest editions: their results, the checks of what they name, the pages."""
from __future__ import annotations

import datetime as dt

import pytest

from egorod.model import BuildOptions
from egorod.pipeline import BuildConfig, build, load_site

EDITION = """
---
year: 2020
nominations: [Экология, Транспорт]
results:
  - nomination: Экология
    practice: razdelnyy-sbor
    award: Диплом I степени
  - nomination: Транспорт
    practice: novye-avtobusy
---
Итоги.
"""
MEDIA = """
---
year: 2024
event: 2024-itogi
results:
  - nomination: Лучший репортаж
    work: Репортаж о дворах
    outlet: Городская газета
    city: minsk
---
Итоги.
"""
EVENT = "---\ntitle: Итоги\nkind: contest\nstart: 2024-06-01\ncity: minsk\n---\nТекст.\n"


def test_editions_by_contest(repo):
    repo.write("content/contests/gorod-gde-khochetsya-zhit/13.md", EDITION)
    repo.write("content/contests/gorod-gde-khochetsya-zhit/12.md", EDITION.replace("2020", "2019"))
    repo.write("content/events/2024-itogi.md", EVENT)
    repo.write("content/contests/gorod-v-zerkale-smi/1.md", MEDIA)
    site = load_site(repo.root, BuildOptions(today=dt.date(2025, 1, 1)))
    editions = site.editions_by_contest
    assert [e.edition for e in editions["gorod-gde-khochetsya-zhit"]] == [13, 12]
    media = editions["gorod-v-zerkale-smi"][0]
    assert (media.results[0].work, media.results[0].outlet, media.results[0].city) == (
        "Репортаж о дворах", "Городская газета", "minsk")
    assert site.event_by_key[media.event].title == "Итоги"


def test_results_must_name_practices_cities_and_events_that_exist(repo):
    repo.write("content/contests/gorod-gde-khochetsya-zhit/13.md", EDITION.replace("novye-avtobusy", "net-takoy"))
    repo.write("content/contests/gorod-v-zerkale-smi/1.md", MEDIA.replace("city: minsk", "city: atlantida"))
    repo.write("content/contests/neizvestnyy/1.md", "---\nyear: 2020\n---\nТекст.\n")
    result = repo.run("check")
    assert result.status != 0
    lines = result.lines
    assert any(line.startswith("content/contests/gorod-gde-khochetsya-zhit/13.md:9: practice: no practice "
                               "'net-takoy' in the library") for line in lines), lines
    assert any(line.startswith("content/contests/gorod-v-zerkale-smi/1.md:3: event: no event '2024-itogi'")
               for line in lines), lines
    assert any(line.startswith("content/contests/gorod-v-zerkale-smi/1.md:8: city: unknown city 'atlantida'")
               for line in lines), lines
    assert any(line.startswith("content/contests/neizvestnyy/1.md:1: -: folder 'neizvestnyy' is not a contest")
               for line in lines), lines


@pytest.mark.slow
def test_an_edition_page_links_each_winner_to_its_practice(repo, tmp_path):
    repo.write("content/contests/gorod-gde-khochetsya-zhit/13.md", EDITION)
    repo.write("content/events/2024-itogi.md", EVENT)
    repo.write("content/contests/gorod-v-zerkale-smi/1.md", MEDIA)
    out = tmp_path / "out"
    build(BuildConfig(root=repo.root, out=out, pdf=False, search=False, quiet=True, today=dt.date(2025, 1, 1)))
    page = (out / "contests/gorod-gde-khochetsya-zhit/13/index.html").read_text(encoding="utf-8")
    winners = page[page.index("Победители"):]       # by nomination, each winner linked to its practice
    assert winners.index("<h3>Экология") < winners.index('href="/practices/razdelnyy-sbor/"') \
        < winners.index("<h3>Транспорт") < winners.index('href="/practices/novye-avtobusy/"')
    media = (out / "contests/gorod-v-zerkale-smi/1/index.html").read_text(encoding="utf-8")
    assert "Городская газета" in media and 'href="/cities/minsk/"' in media and 'href="/events/2024/itogi/"' in media
    listing = (out / "contests/index.html").read_text(encoding="utf-8")
    assert "/contests/gorod-gde-khochetsya-zhit/13/" in listing and "/contests/gorod-v-zerkale-smi/1/" in listing


def test_the_commit_hook_checks_events_news_and_contests_with_what_they_name(repo):
    repo.write("content/events/2024-itogi.md", EVENT)
    repo.write("content/news/2024-01-20-novost.md", "---\ntitle: Новость\ndate: 2024-01-20\n---\nТекст.\n")
    repo.write("content/contests/gorod-gde-khochetsya-zhit/13.md", EDITION)
    repo.write("content/contests/gorod-v-zerkale-smi/1.md", MEDIA)
    files = ["content/events/2024-itogi.md", "content/news/2024-01-20-novost.md",
             "content/contests/gorod-gde-khochetsya-zhit/13.md", "content/contests/gorod-v-zerkale-smi/1.md"]
    result = repo.run("check", *(str(repo.root / f) for f in files))
    assert result.status == 0, result.output
    repo.write("content/contests/gorod-gde-khochetsya-zhit/13.md", EDITION.replace("novye-avtobusy", "net-takoy"))
    result = repo.run("check", str(repo.root / "content/contests/gorod-gde-khochetsya-zhit/13.md"))
    assert result.status != 0
    assert [line for line in result.lines if line.startswith("content/")] == [
        "content/contests/gorod-gde-khochetsya-zhit/13.md:9: practice: no practice 'net-takoy' in the library: "
        "use the file name of a practice in content/practices/ without .md"]
