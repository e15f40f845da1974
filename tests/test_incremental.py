"""Incremental builds: only what changed is rendered, and the result equals a cold build."""
import os
import re
import shutil

import pytest
from test_build import tree_digest


def assert_incremental_equals_cold(repo, tmp_path, name):
    repo.build()
    cold = tmp_path / f"cold-{name}"
    repo.build("--out", str(cold))
    assert tree_digest(repo.out) == tree_digest(cold), name
    shutil.rmtree(cold)


@pytest.mark.slow
def test_incremental_equals_cold_over_a_sequence_of_edits(repo, tmp_path):
    repo.build()
    edits = [
        ("change a practice", lambda: repo.write("content/practices/razdelnyy-sbor.md", """
            ---
            title: Раздельный сбор отходов во дворах
            city: kazan
            year: 2021
            rubrics: [razdelnyy-sbor-otkhodov, ozelenenie]
            summary: Новая редакция.
            ---
            Обновлённый текст.
            """)),
        ("add a practice", lambda: repo.write("content/practices/velodorozhki.md", """
            ---
            title: Велодорожки
            city: moskva
            year: 2022
            rubrics: [velosipednaya-infrastruktura]
            summary: Сеть велодорожек.
            ---
            Текст.
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

            Текст.
            """)),
        ("change a bulletin", lambda: repo.write("content/bulletins/1.md", """
            ---
            number: 1
            date: 2024-01-15
            title: Первый выпуск, исправленный
            ---
            ## Новость
            """)),
        ("delete a bulletin", lambda: repo.remove("content/bulletins/2.md")),
        ("change a template", lambda: (repo.root / "templates/practice.html").write_text(
            (repo.root / "templates/practice.html").read_text(encoding="utf-8").replace(
                "Похожие практики", "Ещё практики по теме"), encoding="utf-8")),
        ("rename a Vestnik article", lambda: (repo.root / "content/vestnik/1/02-opyt.md").rename(
            repo.root / "content/vestnik/1/03-opyt-gorodov.md")),
        ("change the settings", lambda: (repo.root / "site.yaml").write_text(
            (repo.root / "site.yaml").read_text(encoding="utf-8").replace(
                "title: Социальная сфера", "title: Социальная сфера города"), encoding="utf-8")),
    ]
    for name, edit in edits:
        edit()
        assert_incremental_equals_cold(repo, tmp_path, name)


@pytest.mark.slow
def test_nothing_changed_renders_no_page_and_rewrites_no_file(repo):
    repo.build()
    before = {p: p.stat().st_mtime_ns for p in repo.out.rglob("*") if p.is_file()}
    context_pages = repo.run("build", "--no-pdf", "--no-search")
    assert context_pages.status == 0
    assert "rendered 0 pages" in context_pages.output
    after = {p: p.stat().st_mtime_ns for p in repo.out.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.slow
def test_one_edit_renders_only_the_pages_that_show_it(repo):
    repo.build()
    repo.write("content/practices/novye-avtobusy.md", """
        ---
        title: Новые автобусы
        city: minsk
        year: 2019
        rubrics: [obshchestvennyy-transport, razdelnyy-sbor-otkhodov]
        summary: Кратко о практике Новые автобусы.
        ---
        ## Проблема

        Другой текст.
        """)
    result = repo.run("build", "--no-pdf", "--no-search")
    rendered = int(result.output.split("rendered ")[1].split(" ")[0])
    total = len(list(repo.out.rglob("index.html")))
    assert 1 <= rendered < total / 2
    assert not (repo.out / "cities/moskva/index.html").stat().st_nlink == 0


@pytest.mark.slow
def test_a_template_change_invalidates_the_pages(repo):
    repo.build()
    template = repo.root / "templates/city.html"
    template.write_text(template.read_text(encoding="utf-8").replace("Практики города", "Опыт города"),
                        encoding="utf-8")
    repo.build()
    assert "Опыт города" in repo.read("cities/kazan/index.html")


@pytest.mark.slow
def test_a_settings_change_invalidates_the_pages(repo):
    repo.build()
    settings = repo.root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("title: Контакты\n", "title: Связаться с нами\n"),
                        encoding="utf-8")
    repo.build()
    assert "Связаться с нами" in repo.read("cities/kazan/index.html")


@pytest.mark.slow
def test_a_deleted_source_removes_its_page(repo):
    repo.build()
    assert (repo.out / "practices/novye-avtobusy/index.html").exists()
    repo.remove("content/practices/novye-avtobusy.md")
    repo.build()
    assert not (repo.out / "practices/novye-avtobusy/index.html").exists()


def test_a_file_with_a_problem_is_reported_on_every_run(repo):
    repo.write("content/vestnik/1/03-bez-avtora.md", "---\ntitle: Без автора\n---\nТекст.\n")
    for _ in range(2):
        result = repo.run("build", "--no-pdf", "--no-search")
        assert result.status == 1
        assert "content/vestnik/1/03-bez-avtora.md:1: authors: is required but missing" in result.output


@pytest.mark.slow
def test_cached_records_follow_every_edit(repo):
    repo.build()
    repo.write("content/pages/about.md", "---\ntitle: О нас\nmenu: 1\n---\nНовый текст.\n")
    repo.build()
    assert "Новый текст." in repo.read("about/index.html")


@pytest.mark.slow
def test_parallel_rendering_of_a_larger_site_equals_cold_and_keeps_unchanged_files(repo, tmp_path):
    from conftest import PRACTICE

    from egorod.incremental import PARALLEL_THRESHOLD
    for number in range(PARALLEL_THRESHOLD):
        repo.write(f"content/practices/p{number}.md", PRACTICE.format(
            title=f"Практика {number}", city="moskva", year=2000 + number % 25, rubrics="parkovki"))
    repo.build()
    kept = repo.out / "practices/p7/index.html"
    mtime = kept.stat().st_mtime_ns
    repo.write("content/practices/p3.md", PRACTICE.format(title="Изменённая", city="minsk", year=2024,
                                                          rubrics="turizm"))
    repo.build()
    assert kept.stat().st_mtime_ns == mtime
    assert "Изменённая" in repo.read("practices/p3/index.html")
    cold = tmp_path / "cold"
    repo.build("--out", str(cold))
    assert tree_digest(repo.out) == tree_digest(cold)


@pytest.mark.slow
def test_a_correction_in_the_text_re_renders_only_the_page_of_that_text(repo):
    repo.build()
    path = repo.root / "content/practices/novye-avtobusy.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nИсправление опечатки.\n", encoding="utf-8")
    context_output = repo.run("build", "--no-pdf", "--no-search")
    assert "rendered 1 pages" in context_output.output
    assert "Исправление опечатки." in repo.read("practices/novye-avtobusy/index.html")


@pytest.mark.slow
def test_a_page_changed_by_hand_in_the_output_is_made_again(repo):
    repo.build()
    page = repo.out / "cities/kazan/index.html"
    original = page.read_text(encoding="utf-8")
    page.write_text("испорчено", encoding="utf-8")
    repo.build()
    assert page.read_text(encoding="utf-8") == original


@pytest.mark.slow
def test_files_with_windows_line_ends_read_the_same_from_the_cache(repo):
    (repo.root / "content/pages/crlf.md").write_bytes(
        "\ufeff---\r\ntitle: Страница\r\n---\r\nПервая строка.\r\n\r\nВторая строка.\r\n".encode("utf-8"))
    repo.build()
    first = repo.read("crlf/index.html")
    (repo.root / "content/pages/other.md").write_text("---\ntitle: Другая\n---\nТекст.\n", encoding="utf-8")
    repo.build()      # crlf.md comes from the cache this time
    assert repo.read("crlf/index.html") == first
    assert "Вторая строка." in first


@pytest.mark.slow
def test_a_damaged_cache_of_rendered_bodies_is_made_afresh(repo, tmp_path):
    repo.build()
    store = repo.root / ".cache/bodies.sqlite"
    assert store.is_file()
    for leftover in repo.root.glob(".cache/bodies.sqlite-*"):
        leftover.unlink()
    store.write_bytes(b"not a database" * 100)
    repo.write("content/practices/novye-avtobusy.md",
               repo.root.joinpath("content/practices/novye-avtobusy.md").read_text(encoding="utf-8") + "\nЕщё.\n")
    assert_incremental_equals_cold(repo, tmp_path, "damaged body cache")
    assert store.read_bytes().startswith(b"SQLite format 3")


@pytest.mark.slow
def test_an_edit_that_keeps_the_size_and_modification_time_of_the_file_is_seen(repo, monkeypatch):
    from egorod import content
    monkeypatch.setattr(content.cache, "RACY_NS", 0)   # the files count as old: trusted by their stats
    path = repo.root / "content/practices/novye-avtobusy.md"
    repo.build()
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert "Текст" in text
    path.write_text(text.replace("Текст", "Тезис", 1), encoding="utf-8")     # same length in bytes
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    repo.build()
    assert "Тезис" in repo.read("practices/novye-avtobusy/index.html")


@pytest.mark.slow
def test_bodies_of_unchanged_files_come_from_the_files_when_needed(repo, tmp_path, monkeypatch):
    from egorod import content
    # Files written just before a build are hashed again rather than trusted by their
    # times; here they count as old, so the second build reads no file it need not.
    monkeypatch.setattr(content.cache, "RACY_NS", 0)
    read = []
    read_text = content.LazyBody.read

    def noting_reads(body):
        read.append(body._path)
        return read_text(body)
    monkeypatch.setattr(content.LazyBody, "read", noting_reads)
    repo.build()
    shutil.rmtree(repo.root / ".cache" / "html")      # pages made again, records still cached
    (repo.root / ".cache" / "bodies.sqlite").unlink()   # and their bodies rendered again
    assert_incremental_equals_cold(repo, tmp_path, "bodies read again")
    assert read, "no body was read from its file when it was needed"


@pytest.mark.slow
def test_a_site_built_on_several_processes_equals_the_same_built_on_one(repo, tmp_path):
    """Loading, pages, e-mail editions and compressed twins each go to worker processes when there are many."""
    from conftest import PRACTICE

    from egorod.content import PARALLEL_LOAD_THRESHOLD
    from egorod.pipeline import BuildConfig, build
    from egorod.steps.email import PARALLEL_EDITIONS
    for number in range(PARALLEL_LOAD_THRESHOLD):
        repo.write(f"content/practices/p{number}.md", PRACTICE.format(
            title=f"Практика {number}", city="moskva", year=2000 + number % 25, rubrics="parkovki"))
    for number in range(2, PARALLEL_EDITIONS + 3):
        repo.write(f"content/bulletins/{number}.md",
                   f"---\nnumber: {number}\ndate: 2024-02-{1 + number % 28:02d}\ncities: [kazan]\n---\n"
                   f"## Новость {number}\n\nТекст новости {number}.\n")

    def build_with(workers: int) -> None:
        build(BuildConfig(root=repo.root, out=tmp_path / f"out-{workers}", cache_dir=tmp_path / f"cache-{workers}",
                          pdf=False, search=False, quiet=True, workers=workers))
    build_with(2)
    # A template change: every page and edition made again, on two processes, into the old output.
    base = repo.root / "templates/base.html"
    base.write_text(base.read_text(encoding="utf-8") + "<!-- v2 -->\n", encoding="utf-8")
    build_with(2)
    build_with(1)
    assert tree_digest(tmp_path / "out-1") == tree_digest(tmp_path / "out-2")
    assert "v2" in (tmp_path / "out-2/practices/p7/index.html").read_text(encoding="utf-8")
    assert "Новость 40" in (tmp_path / "out-2/bulletins/40/email.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_preview_of_a_future_entry_becomes_a_page_when_its_day_comes(repo, tmp_path):
    import datetime as dt

    from egorod.pipeline import BuildConfig, build
    repo.write("content/bulletins/2.md", "---\nnumber: 2\ndate: 2030-05-01\n---\n## Новость\n\nСкоро.\n")

    def build_on(day: dt.date, out: str) -> str:
        build(BuildConfig(root=repo.root, out=tmp_path / out, drafts=True, pdf=False, search=False,
                          quiet=True, today=day))
        return (tmp_path / out / "bulletins/2/index.html").read_text(encoding="utf-8")
    assert "notice-draft" in build_on(dt.date(2030, 4, 30), "out-site")
    # Nothing in the files changed, only the date: the page is made again all the same.
    assert "notice-draft" not in build_on(dt.date(2030, 5, 2), "out-site")
    build_on(dt.date(2030, 5, 2), "out-cold")
    assert tree_digest(tmp_path / "out-site") == tree_digest(tmp_path / "out-cold")


@pytest.mark.slow
def test_rendered_bodies_of_earlier_settings_are_not_kept(repo):
    import sqlite3
    store = repo.root / ".cache/bodies.sqlite"

    def stored_bodies() -> int:
        with sqlite3.connect(store) as db:
            return db.execute("SELECT count(*) FROM bodies").fetchone()[0]
    repo.build()
    first = stored_bodies()
    assert first > 0
    settings = repo.root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    repo.build()
    assert stored_bodies() == first


@pytest.mark.slow
@pytest.mark.parametrize("change", ["remove", "rewrite"])
def test_a_file_changed_while_the_site_is_built_is_reported_not_rendered(repo, monkeypatch, change):
    from egorod import content
    monkeypatch.setattr(content.cache, "RACY_NS", 0)   # the files count as old: trusted, not read
    repo.build()
    before = tree_digest(repo.out)
    shutil.rmtree(repo.root / ".cache" / "html")
    (repo.root / ".cache" / "bodies.sqlite").unlink()
    original_load_all = content.RecordCache.load_all
    path = repo.root / "content/practices/novye-avtobusy.md"

    def load_then_change(self, *args, **kwargs):
        records = original_load_all(self, *args, **kwargs)
        if change == "remove":                # between loading and rendering
            path.unlink()
        else:
            path.write_text(path.read_text(encoding="utf-8") + "\nНовая строка.\n", encoding="utf-8")
        return records
    monkeypatch.setattr(content.RecordCache, "load_all", load_then_change)
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1
    assert "content/practices/novye-avtobusy.md:0: -: was changed or removed while the site was being built" \
        in result.output
    assert tree_digest(repo.out) == before


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the build uses worker processes only on several cores")
def test_a_worker_that_dies_fails_the_build_rather_than_hanging_it(repo, monkeypatch):

    from conftest import PRACTICE

    from egorod import render_html
    from egorod.incremental import PARALLEL_THRESHOLD
    for number in range(PARALLEL_THRESHOLD):
        repo.write(f"content/practices/p{number}.md", PRACTICE.format(
            title=f"Практика {number}", city="moskva", year=2000 + number % 25, rubrics="parkovki"))
    repo.build()
    before = tree_digest(repo.out)
    (repo.root / "templates/base.html").write_text(
        (repo.root / "templates/base.html").read_text(encoding="utf-8") + "<!-- v2 -->\n", encoding="utf-8")
    parent = os.getpid()
    render = render_html.render_route

    def killed_in_a_worker(env, route):
        if os.getpid() != parent:
            os._exit(9)             # as the kernel's out-of-memory killer would
        return render(env, route)
    monkeypatch.setattr(render_html, "render_route", killed_in_a_worker)
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1
    assert "a worker process of the build died" in result.output
    assert tree_digest(repo.out) == before


def _one_file_of_each_kind(content):
    """The first Markdown file with a title in each folder of the content tree that has one."""
    chosen = {}
    for path in sorted(content.rglob("*.md")):
        if path.parent not in chosen and "\ntitle:" in path.read_text(encoding="utf-8"):
            chosen[path.parent] = path
    return list(chosen.values())


@pytest.mark.slow
def test_an_edited_title_of_every_kind_of_content_reaches_every_page_as_in_a_cold_build(repo, tmp_path):
    # The sample content holds every kind (videos, exhibitions, collections, events, news...):
    # a kind that the incremental build did not watch would keep its old pages.
    from conftest import PROJECT
    shutil.rmtree(repo.root / "content")
    shutil.copytree(PROJECT / "content", repo.root / "content")
    repo.build()
    edited = _one_file_of_each_kind(repo.root / "content")
    assert any("/video/" in str(path) for path in edited) and any("/exhibitions/" in str(path) for path in edited)
    for index, path in enumerate(edited):
        text = path.read_text(encoding="utf-8")
        marked = re.sub(r"^title: (['\"]?)", lambda m, n=index: f"title: {m[1]}Правка{n} ", text, count=1,
                        flags=re.M)
        path.write_text(marked, encoding="utf-8")
        assert_incremental_equals_cold(repo, tmp_path, str(path.relative_to(repo.root)))
