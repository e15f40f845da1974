"""Editors read the tool in Russian; English is one setting away; no message is left untranslated."""
from __future__ import annotations

import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import PROJECT

from egorod import i18n

CATALOG = PROJECT / "egorod" / "locale" / "ru" / "LC_MESSAGES" / "egorod.po"


def _messages_in_code() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PROJECT / "egorod"), method_map=[("**.py", "python")]):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog():
    with CATALOG.open("rb") as source:
        return read_po(source, locale="ru", domain="egorod")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_of_the_code_has_a_russian_translation():
    catalog = _catalog()
    untranslated = []
    for message in sorted(_messages_in_code()):
        entry = catalog.get(message)
        strings = [] if entry is None else ([entry.string] if isinstance(entry.string, str) else list(entry.string))
        if entry is None or "fuzzy" in entry.flags or not strings or not all(strings):
            untranslated.append(message)
    assert not untranslated, "run `make messages` and translate:\n" + "\n".join(untranslated)


def test_translations_keep_the_placeholders_of_the_message():
    for entry in _catalog():
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        wanted = set().union(*(_fields(text) for text in ids))
        for text in strings:
            # a Russian plural form may leave the count out («одна ошибка»), never add a field
            assert _fields(text) <= wanted and (_fields(text) == wanted or len(ids) > 1), (entry.id, text)


@pytest.fixture
def russian(monkeypatch):
    monkeypatch.delenv(i18n.ENVIRONMENT_VARIABLE, raising=False)
    yield
    i18n.set_language("en")


def _break_a_practice(repo):
    path = repo.root / "content" / "practices" / "razdelnyy-sbor.md"
    path.write_text(path.read_text(encoding="utf-8").replace("year: 2020", "year: двадцатый"), encoding="utf-8")


def test_check_speaks_russian_by_default(repo, russian):
    _break_a_practice(repo)
    result = repo.run("check")
    assert result.status == 1
    assert "ошибка: ничего не записано" in result.output, result.output
    assert "nothing was written" not in result.output


def test_english_is_one_environment_variable_away(repo, monkeypatch):
    monkeypatch.setenv(i18n.ENVIRONMENT_VARIABLE, "en")
    _break_a_practice(repo)
    result = repo.run("check")
    assert result.status == 1
    assert "1 error: nothing was written" in result.output, result.output


def test_a_clean_check_says_so_in_russian(repo, russian):
    result = repo.run("check")
    assert result.status == 0
    assert "всё в порядке" in result.output


def _set_language(repo, value: str) -> None:
    path = repo.root / "site.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\nlanguage: ru\n", f"\nlanguage: {value}\n"),
                    encoding="utf-8")


def _retype(repo, relative: str, old: str, new: str) -> None:
    path = repo.root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_content_error_in_russian_keeps_its_prefix_and_the_field_as_typed(repo, russian):
    _retype(repo, "content/practices/razdelnyy-sbor.md", "year: 2020", "yaer: 2020")
    result = repo.run("check")
    assert result.status == 1
    assert "content/practices/razdelnyy-sbor.md:4: yaer: такого поля нет; может быть, `year`?" in result.lines


def test_suggestions_are_russian_sentences(repo, russian):
    _retype(repo, "content/practices/razdelnyy-sbor.md", "city: kazan", "city: kazn")
    _retype(repo, "content/cities/minsk.md", "country: Беларусь", "country: Беларусъ")
    result = repo.run("check")
    assert "content/practices/razdelnyy-sbor.md:3: city: неизвестный город 'kazn': может быть, 'kazan'?" \
        in result.lines, result.output
    assert "content/cities/minsk.md:3: country: неизвестная страна 'Беларусъ': может быть, 'Беларусь'?" \
        in result.lines, result.output


def test_new_speaks_russian(repo, russian):
    refused = repo.run("new", "practice", "Практика", "--city", "kazn")
    assert refused.status == 2
    assert "build.py new: неизвестный город 'kazn': может быть, 'kazan'?" in refused.lines
    created = repo.run("new", "city", "Омск")
    assert created.status == 0
    assert created.lines[-1].startswith("создан черновик: заполните поля"), created.output


def test_mail_refusals_and_the_dry_run_summary_are_russian(repo, russian, tmp_path):
    subscribers = repo.write("subscribers.csv", "email,name\nreader1@example.org,Читатель\nreader2@example.org,\n")
    misused = repo.run("mail", "1", "--recipients", str(subscribers), "--out", str(tmp_path / "eml"))
    assert misused.status == 2
    assert "mail: --out — папка для --dry-run; добавьте --dry-run или уберите --out" in misused.lines
    dry = repo.run("mail", "1", "--recipients", str(subscribers), "--dry-run", "--out", str(tmp_path / "eml"))
    assert dry.status == 0, dry.output
    assert f"пробный запуск: 2 письма выпуска 1 записаны в {tmp_path / 'eml'}; ничего не отправлено" in dry.lines


def test_language_en_in_site_yaml_gives_english(repo, russian):
    _set_language(repo, "en")
    _break_a_practice(repo)
    result = repo.run("check")
    assert "content/practices/razdelnyy-sbor.md:4: year: must be a whole number, not 'двадцатый'" in result.lines
    assert "1 error: nothing was written; fix the line above and run again." in result.lines


def test_a_language_other_than_ru_or_en_is_a_settings_error(repo):
    _set_language(repo, "de")
    result = repo.run("check")
    assert result.status == 1
    assert any(line.startswith("site.yaml:") and line.endswith(
        ": language: must be ru (Russian) or en (English), not 'de'") for line in result.lines), result.output


def test_the_preview_error_page_speaks_the_language_of_its_messages(russian):
    from egorod.serve import BuildState, error_page
    i18n.set_language("ru")
    page = error_page(BuildState("t", None, ("content/cities/kazan.md:3: coordinates: ошибка",))).decode("utf-8")
    assert '<html lang="ru">' in page and "Ошибка сборки сайта" in page and "Найдена 1 ошибка" in page
    i18n.set_language("en")
    page = error_page(BuildState("t", None, ("content/cities/kazan.md:3: coordinates: wrong",))).decode("utf-8")
    assert '<html lang="en">' in page and "The site could not be built" in page and "Найдена" not in page
