"""Every editor's mistake is reported as `path:line: field: message`, all in one run."""

import pytest


def problems(repo):
    result = repo.run("check")
    assert result.status == 1, result.output
    return [line for line in result.lines if line.startswith(("content/", "site.yaml"))]


def test_clean_fixture_checks_ok(repo):
    result = repo.run("check")
    assert result.status == 0, result.output


def test_unknown_key_names_its_line_and_suggests_the_right_one(repo):
    repo.write("content/cities/omsk.md", """
        ---
        title: Омск
        country: Россия
        coordinats: [54.98, 73.37]
        ---
        Текст.
        """)
    found = problems(repo)
    assert "content/cities/omsk.md:4: coordinats: unknown key; did you mean `coordinates`?" in found
    assert any(line.startswith("content/cities/omsk.md:1: coordinates: is required") for line in found)


def test_missing_required_field(repo):
    repo.write("content/pages/contacts.md", """
        ---
        menu: 2
        ---
        Текст.
        """)
    assert problems(repo) == ["content/pages/contacts.md:1: title: is required but missing"]


def test_wrong_type(repo):
    repo.write("content/practices/x.md", """
        ---
        title: Практика
        city: kazan
        year: двадцатый
        rubrics: [obrazovanie]
        summary: Кратко.
        ---
        """)
    [line] = problems(repo)
    assert line.startswith("content/practices/x.md:4: year: must be a whole number")


def test_date_not_iso(repo):
    repo.write("content/bulletins/2.md", """
        ---
        number: 2
        date: 15.02.2024
        ---
        ## Новость
        """)
    [line] = problems(repo)
    assert line.startswith("content/bulletins/2.md:3: date: must be a date written YYYY-MM-DD")


def test_impossible_date(repo):
    repo.write("content/bulletins/2.md", """
        ---
        number: 2
        date: 2024-02-30
        ---
        ## Новость
        """)
    assert problems(repo) == ["content/bulletins/2.md:3: date: '2024-02-30' is not a real calendar date"]


def test_bulletin_number_must_match_file_name(repo):
    repo.write("content/bulletins/3.md", """
        ---
        number: 4
        date: 2024-03-15
        ---
        ## Новость
        """)
    [line] = problems(repo)
    assert line.startswith("content/bulletins/3.md:2: number: number 4 does not match the file name '3.md'")


def test_practice_with_unknown_city_and_problem(repo):
    repo.write("content/practices/y.md", """
        ---
        title: Практика
        city: atlantida
        year: 2020
        rubrics:
          - obrazovanie
          - letayushchie-mashiny
        summary: Кратко.
        ---
        """)
    found = problems(repo)
    assert "content/practices/y.md:7: rubrics: unknown problem 'letayushchie-mashiny': use a problem slug from the rubricator in site.yaml" in found
    assert any(line.startswith("content/practices/y.md:3: city: unknown city 'atlantida'") for line in found)


def test_unsafe_slug_in_file_name(repo):
    repo.write("content/pages/О нас.md", """
        ---
        title: О нас
        ---
        """)
    [line] = problems(repo)
    assert line.startswith("content/pages/О нас.md:1: -: file name 'О нас.md' is not a valid slug")


def test_unknown_country(repo):
    repo.write("content/cities/paris.md", """
        ---
        title: Париж
        country: Франция
        coordinates: [48.85, 2.35]
        ---
        """)
    [line] = problems(repo)
    assert line.startswith("content/cities/paris.md:3: country: unknown country 'Франция'")


def test_coordinates_outside_the_globe(repo):
    repo.write("content/cities/omsk.md", """
        ---
        title: Омск
        country: Россия
        coordinates: [154.98, 73.37]
        ---
        """)
    [line] = problems(repo)
    assert line.startswith("content/cities/omsk.md:4: coordinates: [154.98, 73.37] is outside the globe")


def test_broken_yaml_is_an_error_of_the_file_not_a_traceback(repo):
    repo.write("content/cities/omsk.md", """
        ---
        title: Омск
        country: [Россия
        ---
        """)
    result = repo.run("check")
    assert result.status == 1
    assert "Traceback" not in result.output
    assert any(line.startswith("content/cities/omsk.md:3: -: invalid YAML") for line in result.lines), result.output


def test_file_without_front_matter(repo):
    repo.write("content/pages/bare.md", "Просто текст.\n")
    assert problems(repo) == ["content/pages/bare.md:1: -: no front matter: the file must start with a line `---`, "
                              "then `key: value` lines, then a closing `---`"]


def test_file_that_is_not_utf8(repo):
    path = repo.root / "content/pages/cp1251.md"
    path.write_bytes("---\ntitle: Страница\n---\n".encode("cp1251"))
    [line] = problems(repo)
    assert line.startswith("content/pages/cp1251.md:2: -: the file is not UTF-8 text")


def test_vestnik_article_names_need_two_digit_order(repo):
    repo.write("content/vestnik/1/3-tretya.md", """
        ---
        title: Третья
        authors: [Редакция]
        ---
        """)
    [line] = problems(repo)
    assert line.startswith("content/vestnik/1/3-tretya.md:1: -: file name '3-tretya.md' must be NN-slug.md")


def test_vestnik_article_order_is_unique(repo):
    repo.write("content/vestnik/1/02-drugaya.md", """
        ---
        title: Другая
        authors: [Редакция]
        ---
        """)
    found = problems(repo)
    assert found == ["content/vestnik/1/02-opyt.md:1: -: order 2 is also used by content/vestnik/1/02-drugaya.md; "
                     "every article needs its own number and slug"]


def test_page_cannot_take_a_reserved_address(repo):
    repo.write("content/pages/practices.md", """
        ---
        title: Практики
        ---
        """)
    [line] = problems(repo)
    assert line.startswith("content/pages/practices.md:1: -: the page name 'practices' is used by the site itself")


def test_settings_are_validated_with_lines(repo):
    settings = repo.root / "site.yaml"
    text = settings.read_text(encoding="utf-8").replace("base_url:", "base_ulr:")
    settings.write_text(text, encoding="utf-8")
    line_number = text.splitlines().index(next(line for line in text.splitlines() if line.startswith("base_ulr:"))) + 1
    result = repo.run("check")
    assert result.status == 1
    assert f"site.yaml:{line_number}: base_ulr: unknown key; did you mean `base_url`?" in result.lines
    assert "site.yaml:1: base_url: is required but missing" in result.lines


def test_duplicate_problem_slug_in_rubricator(repo):
    settings = repo.root / "site.yaml"
    text = settings.read_text(encoding="utf-8").replace("{slug: obrazovanie,", "{slug: zdravookhranenie,")
    settings.write_text(text, encoding="utf-8")
    result = repo.run("check")
    assert result.status == 1
    assert any("problem slug 'zdravookhranenie' is used twice" in line for line in result.lines), result.output


def test_all_errors_are_reported_in_one_run(repo):
    for name in ("a", "b", "c"):
        repo.write(f"content/cities/{name}.md", """
            ---
            title: Город
            country: Россия
            coordinates: [1, 2]
            popullation: 5
            ---
            """)
    found = problems(repo)
    assert [line.split(":")[0] for line in found] == [f"content/cities/{n}.md" for n in "abc"]
    assert "3 errors" in repo.run("check").output


@pytest.mark.slow
def test_draft_and_future_entries_are_left_out_unless_drafts(repo):
    repo.write("content/bulletins/2.md", """
        ---
        number: 2
        date: 2999-01-15
        ---
        ## Будущее
        """)
    repo.write("content/pages/chernovik.md", """
        ---
        title: Черновик
        draft: true
        ---
        """)
    repo.build()
    assert not (repo.out / "bulletins/2/index.html").exists()
    assert not (repo.out / "chernovik/index.html").exists()
    repo.build("--drafts")
    assert "Черновик или запись с будущей датой" in repo.read("bulletins/2/index.html")
    assert (repo.out / "chernovik/index.html").exists()


@pytest.mark.slow
def test_raw_html_in_markdown_is_escaped_by_default(repo):
    repo.write("content/pages/xss.md", """
        ---
        title: Проверка
        ---
        <script>alert(1)</script> [ссылка](javascript:alert(2))
        """)
    repo.build()
    html = repo.read("xss/index.html")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html
    assert "javascript:" not in html


@pytest.mark.slow
def test_front_matter_text_is_escaped_in_templates(repo):
    repo.write("content/pages/esc.md", """
        ---
        title: "<img src=x onerror=alert(1)>"
        ---
        """)
    repo.build()
    assert "<img src=x" not in repo.read("esc/index.html")


def test_cover_must_be_a_file_beside_the_issue(repo):
    text = (repo.root / "content/vestnik/1/_index.md").read_text(encoding="utf-8")
    repo.write("content/vestnik/1/_index.md", text.replace("title: Город для людей", "title: Город для людей\ncover: ../../../etc/passwd"))
    [line] = problems(repo)
    assert line.startswith("content/vestnik/1/_index.md:5: cover: '../../../etc/passwd' must be the name of an image file")


def test_markdown_cannot_smuggle_script_through_entities_or_attribute_lists():
    from egorod.markup import Renderer
    html = Renderer().html("""
## Заголовок {: onclick="alert(1)" style="position:fixed" }

[ссылка](&#106;avascript:alert(2)) [ещё](java&#09;script:alert(3))

[сайт](https://e-gorod.ru/){: onmouseover="alert(4)" .button }

| a | b |
|:--|--:|
| 1 | 2 |
""")
    assert "onclick" not in html and "onmouseover" not in html and "position:fixed" not in html
    assert "avascript" not in html
    assert 'class="button"' in html and 'href="https://e-gorod.ru/"' in html
    assert 'class="align-right"' in html and "style=" not in html


def test_symbolic_links_in_content_are_refused_and_never_published(repo, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("---\ntitle: секрет\n---\nпароль\n", encoding="utf-8")
    (repo.root / "content/pages/leak.md").symlink_to(secret)
    (repo.root / "content/vestnik/1/leak.png").symlink_to(secret)
    [line] = problems(repo)
    assert line == "content/pages/leak.md:0: -: is a symbolic link; put the file itself into content/"
    (repo.root / "content/pages/leak.md").unlink()
    repo.build()
    assert not (repo.out / "vestnik/1/leak.png").exists()


def test_every_mistake_of_one_practice_is_reported_together(repo):
    repo.write("content/practices/mnogo-oshibok.md", """
        ---
        title: Практика
        city: kazan
        year: 2020
        rubrics: [turizm, net-takoy]
        sumary: Кратко.
        contest:
          edition: 13
          year: 2020
          nomination: Туризм
          awrd: Гран-при
        ---
        """)
    found = problems(repo)
    assert "content/practices/mnogo-oshibok.md:5: rubrics: unknown problem 'net-takoy': use a problem slug from the rubricator in site.yaml" in found
    assert "content/practices/mnogo-oshibok.md:6: sumary: unknown key; did you mean `summary`?" in found
    assert "content/practices/mnogo-oshibok.md:11: contest.awrd: unknown key; did you mean `award`?" in found
    assert "content/practices/mnogo-oshibok.md:1: summary: is required but missing" in found


def test_a_key_given_twice_is_an_error(repo):
    repo.write("content/practices/dvazhdy.md", """
        ---
        title: Практика
        city: kazan
        year: 2020
        rubrics: [turizm]
        summary: Кратко.
        year: 2019
        ---
        """)
    assert problems(repo) == ["content/practices/dvazhdy.md:7: year: is given twice (also on line 4); keep one"]


def test_bulletin_without_news_items_is_an_error(repo):
    repo.write("content/bulletins/2.md", """
        ---
        number: 2
        date: 2024-02-15
        ---
        Просто текст без разделов.
        """)
    assert problems(repo) == ["content/bulletins/2.md:5: body: a bulletin needs its news items: "
                              "start each one with a line `## Heading`"]


def test_check_also_sees_what_only_the_published_view_rejects(repo):
    text = (repo.root / "content/cities/kazan.md").read_text(encoding="utf-8")
    repo.write("content/cities/kazan.md", text.replace("country:", "draft: true\ncountry:"))
    found = problems(repo)
    assert any("city 'kazan' is a draft" in line for line in found), found


def test_links_in_markdown_must_lead_somewhere(repo):
    repo.write("content/pages/ssylki.md", """
        ---
        title: Ссылки
        ---
        Хорошие: [города](/cities/), [Казань](/cities/kazan), [лента](/bulletins/feed.xml),
        [внешняя](https://example.org/nowhere/), [якорь](#tut), `[код](/nowhere/)`.

        Плохие: [никуда](/cities/atlantida/) и ![схема](skhema.png).

        [ref]: /practices/net-takoy/
        """)
    assert problems(repo) == [
        "content/pages/ssylki.md:7: body: image 'skhema.png' not found: put the file beside the Markdown file or correct the name",
        "content/pages/ssylki.md:7: body: the link '/cities/atlantida/' leads nowhere: no page or file of the site has this address; correct or remove it",
        "content/pages/ssylki.md:9: body: the link '/practices/net-takoy/' leads nowhere: no page or file of the site has this address; correct or remove it",
    ]


def test_settings_sections_must_be_mappings(repo):
    settings = repo.root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\nfeeds: []\n", encoding="utf-8")
    result = repo.run("check")
    assert result.status == 1
    assert any(": feeds: must be a set of `key: value` lines" in line for line in result.lines), result.output


def test_a_link_to_a_file_the_build_does_not_publish_is_reported(repo):
    (repo.root / "content/pages/reglament.docx").write_bytes(b"not published")
    repo.write("content/pages/dokumenty.md", """
        ---
        title: Документы
        ---
        [Регламент](/pages/reglament.docx)
        """)
    assert problems(repo) == ["content/pages/dokumenty.md:4: body: the link '/pages/reglament.docx' leads nowhere: "
                              "no page or file of the site has this address; correct or remove it"]


def test_an_unreadable_file_is_an_error_of_that_file(repo, monkeypatch):
    from pathlib import Path
    path = repo.write("content/pages/zakryto.md", "---\ntitle: Закрыто\n---\n")
    read_bytes = Path.read_bytes

    def refuse(self):   # as for a file without read permission (root would read it anyway)
        if self == path:
            raise PermissionError(13, "Permission denied")
        return read_bytes(self)
    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert problems(repo) == ["content/pages/zakryto.md:0: -: cannot be read (Permission denied); "
                              "check the file's permissions"]


def test_a_large_site_is_loaded_on_several_processes_with_the_same_records_and_problems(repo):
    from conftest import PRACTICE

    from egorod.content import PARALLEL_LOAD_THRESHOLD, load_content
    from egorod.errors import Problems
    from egorod.settings import load_settings
    for number in range(PARALLEL_LOAD_THRESHOLD + 10):
        repo.write(f"content/practices/p{number}.md", PRACTICE.format(
            title=f"Практика {number}", city="moskva", year=2000 + number % 25, rubrics="parkovki"))
    repo.write("content/practices/p7.md", PRACTICE.format(title="Ошибка", city="moskva", year="когда-то",
                                                         rubrics="parkovki"))
    repo.write("content/practices/p8.md", "без front matter\n")
    loaded = []
    for workers in (1, 2):
        found = Problems()
        content = load_content(repo.root, load_settings(repo.root, found), found, workers=workers)
        loaded.append((content, found.sorted()))
    assert loaded[0] == loaded[1]
    content, found = loaded[0]
    assert [p.path for p in found] == ["content/practices/p7.md", "content/practices/p8.md"]
    assert len(content.practices) >= PARALLEL_LOAD_THRESHOLD
    assert all(practice.body.startswith("## Проблема") for practice in content.practices)


# --- every mistake in one round, with help -----------------------------------------------

def test_five_independent_mistakes_of_one_file_are_reported_in_one_run(repo):
    repo.write("content/practices/pyat-oshibok.md", """
        ---
        title: Практика
        city: kazn
        year: двадцатый
        rubrics: [parkovki, net-takogo-voprosa]
        summary: Кратко.
        ---
        Смотрите [страницу](/net-takoy-stranitsy/) и схему:

        ![схема](skhema.png)
        """)
    result = repo.run("check")
    assert result.status == 1
    path = "content/practices/pyat-oshibok.md"
    found = [line for line in result.lines if line.startswith(path)]
    assert found == [
        f"{path}:3: city: unknown city 'kazn': did you mean 'kazan'?",
        f"{path}:4: year: must be a whole number, not 'двадцатый'",
        f"{path}:5: rubrics: unknown problem 'net-takogo-voprosa': use a problem slug from the rubricator in site.yaml",
        f"{path}:8: body: the link '/net-takoy-stranitsy/' leads nowhere: no page or file of the site has this "
        "address; correct or remove it",
        f"{path}:10: body: image 'skhema.png' not found: put the file beside the Markdown file or correct the name",
    ], result.output


def test_links_are_checked_when_other_files_have_errors(repo):
    repo.write("content/cities/omsk.md", "---\ntitle: Омск\ncountry: Россия\n---\nТекст.\n")   # no coordinates
    repo.write("content/pages/ssylka.md", "---\ntitle: Ссылка\n---\n[Куда-то](/nikuda/)\n")
    found = problems(repo)
    assert "content/cities/omsk.md:1: coordinates: is required but missing" in found
    assert any(line.startswith("content/pages/ssylka.md:4: body: the link '/nikuda/' leads nowhere") for line in found)


def test_a_link_to_a_file_with_mistakes_is_not_one_more_mistake(repo):
    text = (repo.root / "content/practices/razdelnyy-sbor.md").read_text(encoding="utf-8")
    repo.write("content/practices/razdelnyy-sbor.md", text.replace("year: 2020", "year: 1900"))
    found = problems(repo)     # bulletin 1 links to this practice
    assert [line.split(":")[0] for line in found] == ["content/practices/razdelnyy-sbor.md"], found


def test_an_unknown_city_gets_a_suggestion(repo):
    repo.write("content/bulletins/2.md", "---\nnumber: 2\ndate: 2024-02-15\ncities: [kazan, minks]\n---\n## Новость\n")
    assert problems(repo) == ["content/bulletins/2.md:4: cities: unknown city 'minks': did you mean 'minsk'?"]


def test_an_unknown_problem_question_gets_a_suggestion(repo):
    repo.write("content/practices/parkovka.md", PRACTICE_TEXT.format(rubrics="parkovka"))
    assert problems(repo) == ["content/practices/parkovka.md:5: rubrics: unknown problem 'parkovka': "
                              "did you mean 'parkovki'?"]


def test_an_unknown_country_gets_a_suggestion(repo):
    repo.write("content/cities/omsk.md", "---\ntitle: Омск\ncountry: Росия\ncoordinates: [54.98, 73.37]\n---\nТекст.\n")
    assert problems(repo) == ["content/cities/omsk.md:3: country: unknown country 'Росия': did you mean 'Россия'?"]


def test_a_file_with_a_wrong_field_still_has_its_references_checked(repo):
    repo.write("content/practices/dve.md", PRACTICE_TEXT.format(rubrics="parkovki").replace("city: kazan", "city: atlantida")
               .replace("year: 2021", "year: 20"))
    found = problems(repo)
    assert any(line.startswith("content/practices/dve.md:3: city: unknown city 'atlantida'") for line in found), found
    assert any(line.startswith("content/practices/dve.md:4: year: must be at least 1990") for line in found), found


def test_placeholders_from_new_are_refused_once_the_entry_is_no_longer_a_draft(repo):
    assert repo.run("new", "practice", "Умные остановки").status == 0
    assert repo.run("check").status == 0            # a draft: the placeholders are expected
    path = repo.root / "content/practices/umnye-ostanovki.md"
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(line for line in text.split("\n") if not line.startswith("draft:")), encoding="utf-8")
    rel = "content/practices/umnye-ostanovki.md"
    found = [line for line in problems(repo) if line.startswith(rel)]
    assert [line.split(": ", 2)[:2] for line in found] == [
        [f"{rel}:4", "city"], [f"{rel}:6", "rubrics"], [f"{rel}:12", "summary"], [f"{rel}:17", "body"]], found
    assert f"{rel}:12: summary: still the placeholder text from 'new': write the real summary" in found
    assert found[0].endswith("city: still the placeholder from 'new' (marked ЗАМЕНИТЕ): "
                             "write the real value and delete the comment")


PRACTICE_TEXT = """
    ---
    title: Практика
    city: kazan
    year: 2021
    rubrics: [{rubrics}]
    summary: Кратко.
    ---
    Текст.
    """


def test_build_reports_broken_links_with_the_other_mistakes(repo):
    repo.write("content/pages/oshibki.md", "---\ntitle: Ошибки\nmenu: первое\n---\n[Куда-то](/nikuda/)\n")
    result = repo.run("build", "--no-pdf", "--no-search", "--quiet")
    assert result.status == 1
    assert any(line.startswith("content/pages/oshibki.md:3: menu: must be a whole number") for line in result.lines)
    assert any(line.startswith("content/pages/oshibki.md:5: body: the link '/nikuda/' leads nowhere")
               for line in result.lines), result.output
