"""RSS and Atom feeds: well formed, stable ids, deterministic dates, absolute links, PDFs."""
from __future__ import annotations

import datetime as dt
import re
import time

import feedparser
import pytest
from bs4 import BeautifulSoup

from egorod import pipeline
from egorod.markup import MarkdownOptions
from egorod.model import BuildOptions
from egorod.output import StagedOutput
from egorod.render_html import BodyCache
from egorod.routes import all_routes
from egorod.steps.feeds import FeedsStep

BASE = "https://e-gorod.ru/"
FEEDS = ("bulletins/feed.xml", "bulletins/atom.xml", "vestnik/feed.xml", "practices/feed.xml")


def add_bulletins(repo, numbers=(2, 3)):
    for number in numbers:
        repo.write(f"content/bulletins/{number}.md", f"""
            ---
            number: {number}
            date: 2024-0{number}-15
            title: Выпуск {number}
            summary: Новости месяца {number}.
            cities: [moskva, minsk]
            ---
            ## Новость {number}

            Текст новости {number} со [ссылкой](/cities/minsk/), [якорем](#novost-{number})
            и [относительной ссылкой](../1/).
            """)


def set_section(repo, key: str, body: str) -> None:
    """Replace the top-level ``key:`` block of the repo's site.yaml (or append it)."""
    path = repo.root / "site.yaml"
    text = path.read_text(encoding="utf-8")
    block = re.compile(rf"^{key}:\n(?:[ ].*\n|\n)*", re.MULTILINE)
    new = f"{key}:\n{body.rstrip()}\n\n"
    text = block.sub(new, text, count=1) if block.search(text) else text + "\n" + new
    path.write_text(text, encoding="utf-8")


def parse(repo, name):
    data = (repo.out / name).read_bytes()
    feed = feedparser.parse(data)
    assert feed.bozo == 0, (name, feed.get("bozo_exception"))
    return feed


@pytest.mark.slow
def test_feeds_are_well_formed_with_every_issue_newest_first(repo):
    add_bulletins(repo)
    repo.build()
    rss, atom = parse(repo, "bulletins/feed.xml"), parse(repo, "bulletins/atom.xml")
    assert rss.version == "rss20" and atom.version == "atom10"
    for feed in (rss, atom):
        assert [e.link for e in feed.entries] == [f"{BASE}bulletins/{n}/" for n in (3, 2, 1)]
        assert [e.id for e in feed.entries] == [f"{BASE}bulletins/{n}/" for n in (3, 2, 1)]
        assert feed.entries[0].title == "Бюллетень № 3. Выпуск 3"
        # the full text of the issue, not just the summary
        assert "Текст новости 3" in feed.entries[0].content[0].value
    assert rss.entries[0].guidislink or rss.entries[0].id.startswith("https://")
    vestnik, practices = parse(repo, "vestnik/feed.xml"), parse(repo, "practices/feed.xml")
    assert [e.id for e in vestnik.entries] == [f"{BASE}vestnik/1/"]
    content = vestnik.entries[0].content[0].value
    assert "Введение" in content and "Опыт городов" in content          # the contents of the issue
    assert f'href="{BASE}vestnik/1/vvedenie/"' in content
    # newest practice first (2020 before 2019)
    assert [e.id for e in practices.entries] == [f"{BASE}practices/razdelnyy-sbor/", f"{BASE}practices/novye-avtobusy/"]


@pytest.mark.slow
def test_self_links_and_dates_come_from_the_content(repo):
    add_bulletins(repo)
    repo.build()
    for name in FEEDS:
        feed = parse(repo, name)
        selfs = [link.href for link in feed.feed.links if link.rel == "self"]
        assert selfs == [BASE + name], name
    atom = parse(repo, "bulletins/atom.xml")
    assert atom.feed.updated_parsed[:3] == (2024, 3, 15)       # the newest issue, not today
    assert [e.updated_parsed[:3] for e in atom.entries] == [(2024, 3, 15), (2024, 2, 15), (2024, 1, 15)]
    rss_text = repo.read("bulletins/feed.xml")
    assert "<lastBuildDate>Fri, 15 Mar 2024 09:00:00 +0300</lastBuildDate>" in rss_text
    assert parse(repo, "practices/feed.xml").entries[0].published_parsed[:3] == (2020, 1, 1)


@pytest.mark.slow
def test_two_builds_are_byte_identical(repo, tmp_path):
    add_bulletins(repo)
    repo.build()
    first = {name: (repo.out / name).read_bytes() for name in FEEDS}
    time.sleep(1.1)       # feedgen stamps the build time by default: make a second pass
    repo.build()
    assert {name: (repo.out / name).read_bytes() for name in FEEDS} == first


@pytest.mark.slow
def test_ids_survive_an_edit_of_the_text(repo):
    add_bulletins(repo)
    repo.build()
    before = {e.id: e.content[0].value for e in parse(repo, "bulletins/atom.xml").entries}
    text = (repo.root / "content/bulletins/2.md").read_text(encoding="utf-8")
    repo.write("content/bulletins/2.md", text.replace("Текст новости 2", "Исправленный текст новости 2")
               .replace("title: Выпуск 2", "title: Выпуск 2 (исправлено)"))
    repo.build()
    after = {e.id: e.content[0].value for e in parse(repo, "bulletins/atom.xml").entries}
    assert list(after) == list(before)
    assert "Исправленный текст" in after[f"{BASE}bulletins/2/"]
    rss_ids = [e.id for e in parse(repo, "bulletins/feed.xml").entries]
    assert rss_ids == list(before)


@pytest.mark.slow
def test_feed_length_follows_the_setting(repo):
    add_bulletins(repo, numbers=(2, 3, 4, 5))
    set_section(repo, "feeds", "  entries: 2")
    repo.build()
    for name in ("bulletins/feed.xml", "bulletins/atom.xml"):
        assert [e.id for e in parse(repo, name).entries] == [f"{BASE}bulletins/5/", f"{BASE}bulletins/4/"]
    assert len(parse(repo, "practices/feed.xml").entries) == 2
    set_section(repo, "feeds", "  entries: 1")
    repo.build()
    assert len(parse(repo, "practices/feed.xml").entries) == 1
    assert len(parse(repo, "bulletins/atom.xml").entries) == 1


@pytest.mark.slow
def test_default_limit_is_fifty(repo):
    add_bulletins(repo, numbers=range(2, 10))
    for number in range(10, 60):
        repo.write(f"content/bulletins/{number}.md", f"---\nnumber: {number}\ndate: 2025-01-{number % 28 + 1:02d}\n---\n## Н {number}\n\nТекст.\n")
    set_section(repo, "feeds", "  # default")
    repo.build()
    entries = parse(repo, "bulletins/feed.xml").entries
    assert len(entries) == 50
    assert entries[0].id == f"{BASE}bulletins/59/"


@pytest.mark.slow
def test_every_link_in_feeds_is_absolute(repo):
    add_bulletins(repo)
    repo.build("--base-url", "https://example.org/mag/")
    for name in FEEDS:
        feed = parse(repo, name)
        links = [link.href for link in feed.feed.links]
        for entry in feed.entries:
            links += [link.href for link in entry.links] + [entry.id]
            soup = BeautifulSoup(entry.content[0].value, "lxml")
            links += [a["href"] for a in soup.find_all("a", href=True)]
            links += [img["src"] for img in soup.find_all("img", src=True)]
        assert links, name
        for link in links:
            assert link.startswith("https://example.org/mag/"), (name, link)
    content = parse(repo, "bulletins/atom.xml").entries[0].content[0].value
    assert 'href="https://example.org/mag/cities/minsk/"' in content
    assert 'href="https://example.org/mag/bulletins/3/#novost-3"' in content     # in-page anchor
    assert 'href="https://example.org/mag/bulletins/1/"' in content              # ../1/


@pytest.mark.slow
def test_pages_announce_the_feeds(repo):
    repo.build()
    soup = BeautifulSoup(repo.read("index.html"), "lxml")
    found = {(link["type"], link["href"]) for link in soup.find_all("link", rel="alternate")}
    assert ("application/rss+xml", f"{BASE}bulletins/feed.xml") in found
    assert ("application/atom+xml", f"{BASE}bulletins/atom.xml") in found
    assert ("application/rss+xml", f"{BASE}vestnik/feed.xml") in found
    assert ("application/rss+xml", f"{BASE}practices/feed.xml") in found
    assert soup.find("link", rel="alternate", href=f"{BASE}bulletins/feed.xml")["title"]


def _context(repo):
    site = pipeline.load_site(repo.root, BuildOptions(drafts=False, today=dt.date(2030, 1, 1)))
    config = pipeline.BuildConfig(root=repo.root, out=repo.root / "output", pdf=False, search=False)
    return pipeline.BuildContext(config, site.settings, site, all_routes(site),
                                 BodyCache(MarkdownOptions(allow_raw_html=False)))


def test_pdf_enclosure_once_the_print_issue_is_in_the_output(repo):
    """The feed step attaches the PDFs that earlier steps put into the staging folder."""
    context = _context(repo)
    staged = StagedOutput(repo.root / "output")
    try:
        FeedsStep().run(context, staged)
        without = feedparser.parse(staged.path("bulletins/feed.xml").read_bytes())
        assert without.entries[0].get("enclosures") == []

        pdf = b"%PDF-1.7\n" + b"0" * 12345 + b"\n%%EOF\n"
        staged.write("bulletins/1/bulletin-1.pdf", pdf)
        staged.write("vestnik/1/vestnik-1.pdf", pdf + b"more")
        FeedsStep().run(context, staged)
        for name in ("bulletins/feed.xml", "bulletins/atom.xml"):
            feed = feedparser.parse(staged.path(name).read_bytes())
            assert feed.bozo == 0
            [enclosure] = feed.entries[0].enclosures
            assert enclosure.href == f"{BASE}bulletins/1/bulletin-1.pdf"
            assert int(enclosure.length) == len(pdf)
            assert enclosure.type == "application/pdf"
        [enclosure] = feedparser.parse(staged.path("vestnik/feed.xml").read_bytes()).entries[0].enclosures
        assert int(enclosure.length) == len(pdf) + 4
    finally:
        staged.abort()


@pytest.mark.slow
def test_built_feeds_attach_exactly_the_pdfs_that_were_published(repo):
    """Whatever the PDF step produced in a full build, the feeds describe it truthfully."""
    result = repo.run("build", "--no-search", "--quiet")
    assert result.status == 0, result.output
    for name, pdf in (("bulletins/atom.xml", "bulletins/1/bulletin-1.pdf"), ("vestnik/feed.xml", "vestnik/1/vestnik-1.pdf")):
        entry = parse(repo, name).entries[-1]
        path = repo.out / pdf
        if path.exists():
            [enclosure] = entry.enclosures
            assert int(enclosure.length) == path.stat().st_size
        else:
            assert entry.get("enclosures") == []


@pytest.mark.slow
def test_sample_site_feeds_parse(tmp_path):
    from pathlib import Path

    from egorod import cli
    project = Path(__file__).resolve().parent.parent
    out = tmp_path / "out"
    assert cli.main(["--root", str(project), "build", "--out", str(out), "--no-pdf", "--no-search", "--quiet"]) == 0
    for name in FEEDS:
        feed = feedparser.parse((out / name).read_bytes())
        assert feed.bozo == 0, name
        assert 0 < len(feed.entries) <= 50, name
        assert len({e.id for e in feed.entries}) == len(feed.entries), name
