"""News: the items and their checks, the feeds, and a bulletin drafted from the news."""
from __future__ import annotations

import datetime as dt
import re

import feedparser
import pytest

from egorod.model import BuildOptions
from egorod.pipeline import BuildConfig, build, load_site

ITEM = """
---
title: {title}
date: {date}
cities: [{cities}]
summary: Кратко о новости «{title}».
---
Текст новости {title}.
"""


def write_news(repo, date: str, slug: str, title: str, cities: str = "kazan", extra: str = "") -> None:
    text = ITEM.format(title=title, date=date, cities=cities)
    if extra:
        text = text.replace("---\nТекст", f"{extra}\n---\nТекст")
    repo.write(f"content/news/{date}-{slug}.md", text)


def test_news_newest_first_and_by_city(repo):
    write_news(repo, "2024-01-20", "pervaya", "Первая")
    write_news(repo, "2024-02-03", "vtoraya", "Вторая", cities="minsk, kazan")
    site = load_site(repo.root, BuildOptions(today=dt.date(2024, 3, 1)))
    assert [n.slug for n in site.news] == ["2024-02-03-vtoraya", "2024-01-20-pervaya"]
    assert [n.slug for n in site.news_by_city["minsk"]] == ["2024-02-03-vtoraya"]
    assert len(site.news_by_city["kazan"]) == 2


def test_the_mistakes_of_a_news_item_in_one_run(repo):
    today = dt.date.today()
    future = (today + dt.timedelta(days=10)).isoformat()
    write_news(repo, future, "budushchee", "Будущее")
    write_news(repo, future, "chernovik", "Черновик", extra="draft: true")    # prepared in advance: fine
    write_news(repo, "2024-01-20", "gorod", "Город", cities="atlantida")
    repo.write("content/news/2024-01-21-data.md", ITEM.format(title="Дата", date="2024-01-22", cities="kazan"))
    repo.write("content/news/bez-daty.md", ITEM.format(title="Имя", date="2024-01-22", cities="kazan"))
    result = repo.run("check")
    assert result.status != 0
    lines = result.lines
    assert any(line.startswith(f"content/news/{future}-budushchee.md:3: date: the news is dated {future}, after "
                               f"today") for line in lines), lines
    assert not any("chernovik" in line for line in lines), lines
    assert any(line.startswith("content/news/2024-01-20-gorod.md:4: cities: unknown city 'atlantida'")
               for line in lines), lines
    assert any(line.startswith("content/news/2024-01-21-data.md:3: date: date 2024-01-22 does not match the file "
                               "name") for line in lines), lines
    assert any(line.startswith("content/news/bez-daty.md:1: -: file name 'bez-daty.md' must be YYYY-MM-DD-slug.md")
               for line in lines), lines


def test_a_bulletin_drafted_from_the_news_holds_each_item_of_the_month_once(repo):
    # The fixture's bulletin № 1 is dated 2024-01-15: what came before it is in it already.
    write_news(repo, "2024-01-10", "ranshe", "Раньше выпуска")
    write_news(repo, "2024-01-20", "pervaya", "Первая новость")
    write_news(repo, "2024-02-03", "vtoraya", "Вторая новость", cities="minsk")
    write_news(repo, "2024-02-05", "chernovik", "Черновик новости", extra="draft: true")
    result = repo.run("new", "bulletin", "--from-news", "--date", "2024-02-10")
    assert result.status == 0, result.output
    text = (repo.root / "content/bulletins/2.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings == ["Первая новость", "Вторая новость"]
    assert text.count("(/news/2024-01-20-pervaya/)") == 1 and text.count("(/news/2024-02-03-vtoraya/)") == 1
    assert "cities: [kazan, minsk]" in text
    check = repo.run("check")
    assert check.status == 0, check.output


def test_the_first_bulletin_drafted_from_the_news_holds_the_last_month(repo):
    repo.remove("content/bulletins/1.md")       # no previous issue: the month up to the date
    write_news(repo, "2024-01-10", "davno", "Новость месяц назад")
    write_news(repo, "2024-01-11", "mesyats", "Новость месяца")
    write_news(repo, "2024-02-10", "segodnya", "Новость дня выпуска")
    write_news(repo, "2024-02-11", "zavtra", "Новость после выпуска", extra="draft: true")
    result = repo.run("new", "bulletin", "--from-news", "--date", "2024-02-10")
    assert result.status == 0, result.output
    text = (repo.root / "content/bulletins/1.md").read_text(encoding="utf-8")
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == ["Новость месяца", "Новость дня выпуска"]
    assert repo.run("check").status == 0


def test_without_news_since_the_previous_issue_nothing_is_written(repo):
    result = repo.run("new", "bulletin", "--from-news", "--date", "2024-02-10")
    assert result.status == 1
    assert not (repo.root / "content/bulletins/2.md").exists()


@pytest.mark.slow
def test_news_pages_and_feeds(repo, tmp_path):
    for day in range(1, 26):
        write_news(repo, f"2024-01-{day:02d}", f"n{day}", f"Новость {day}")
    out = tmp_path / "out"
    build(BuildConfig(root=repo.root, out=out, pdf=False, search=False, quiet=True, today=dt.date(2024, 3, 1)))
    first = (out / "news/index.html").read_text(encoding="utf-8")
    assert "/news/2024-01-25-n25/" in first and "/news/page/2/" in first
    assert "/news/2024-01-01-n1/" in (out / "news/page/2/index.html").read_text(encoding="utf-8")
    assert "/news/2024-01-25-n25/" in (out / "index.html").read_text(encoding="utf-8")
    assert "/news/2024-01-25-n25/" in (out / "cities/kazan/index.html").read_text(encoding="utf-8")
    for name in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse((out / "news" / name).read_bytes())
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.entries[0].link.endswith("/news/2024-01-25-n25/")
        assert len(parsed.entries) == 25
