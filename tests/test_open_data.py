"""The practice library as open data: /open-data/practices.csv and .json hold every field of
every published practice with its page's address, and /open-data/ documents the fields."""
from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest
from bs4 import BeautifulSoup

from egorod.content import Practice
from egorod.opendata import FIELDS

BASE = "https://e-gorod.ru/"
# Each field of a practice's file → the column(s) that carry it.
FILE_FIELDS = {"slug": ["slug"], "title": ["title"], "summary": ["summary"], "city": ["city_slug", "city"],
               "year": ["year"], "rubrics": ["problem_slugs", "problems"], "contacts": ["contacts"],
               "sample": ["sample"], "image": ["image_url", "image_alt", "image_credit"], "contest": ["contest_edition", "contest_year", "contest_nomination", "contest_award"]}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import make_repo
    repo = make_repo(tmp_path_factory.mktemp("opendata") / "site")
    repo.write("content/practices/konkurs.md", """
        ---
        title: Практика с конкурса
        city: moskva
        year: 2020
        rubrics: [obshchestvennyy-transport]
        summary: Кратко, с запятой и «кавычками».
        contest: {edition: 13, year: 2020, nomination: Транспорт, award: Диплом I степени}
        contacts: Департамент транспорта
        ---
        Текст.
        """)
    repo.write("content/practices/chernovik.md", """
        ---
        title: Черновик
        city: kazan
        year: 2021
        rubrics: [obshchestvennyy-transport]
        summary: Не опубликована.
        draft: true
        ---
        Текст.
        """)
    repo.build()
    return repo


def csv_rows(repo) -> list[dict[str, str]]:
    raw = (repo.out / "open-data/practices.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())           # Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def json_rows(repo) -> list[dict]:
    return json.loads(repo.read("open-data/practices.json"))["practices"]


def test_every_field_of_a_practice_file_has_its_column():
    # draft and aliases are about the site (what is published, old addresses), not the practice
    own = {f.name for f in dataclasses.fields(Practice)} - {"source", "body", "draft", "aliases"}
    assert own == set(FILE_FIELDS)
    columns = {f.name for f in FIELDS}
    assert {c for cs in FILE_FIELDS.values() for c in cs} <= columns and "url" in columns


@pytest.mark.slow
def test_csv_and_json_list_every_published_practice_once(built):
    slugs = {"razdelnyy-sbor", "novye-avtobusy", "konkurs"}
    assert {row["slug"] for row in csv_rows(built)} == slugs
    assert [row["slug"] for row in json_rows(built)] == [row["slug"] for row in csv_rows(built)]


def test_csv_header_is_the_documented_field_list(built):
    assert list(csv_rows(built)[0]) == [f.name for f in FIELDS]


def test_each_row_leads_to_the_practice_page(built):
    for row in csv_rows(built):
        assert row["url"] == f"{BASE}practices/{row['slug']}/"
        assert (built.out / "practices" / row["slug"] / "index.html").is_file()


def test_a_practice_keeps_all_its_values(built):
    (row,) = [r for r in json_rows(built) if r["slug"] == "konkurs"]
    assert row == {
        "slug": "konkurs", "url": BASE + "practices/konkurs/", "title": "Практика с конкурса",
        "summary": "Кратко, с запятой и «кавычками».", "city": "Москва", "city_slug": "moskva",
        "country": "Россия", "year": 2020, "sectors": ["Транспорт и транспортная инфраструктура"],
        "problems": ["Общественный транспорт"], "problem_slugs": ["obshchestvennyy-transport"],
        "contest_edition": 13, "contest_year": 2020, "contest_nomination": "Транспорт",
        "contest_award": "Диплом I степени", "contacts": "Департамент транспорта",
        "image_url": "", "image_alt": "", "image_credit": "", "sample": False}
    (line,) = [r for r in csv_rows(built) if r["slug"] == "konkurs"]
    assert line["summary"] == row["summary"] and line["contest_edition"] == "13" and line["sample"] == "false"


def test_lists_share_one_csv_cell(built):
    (line,) = [r for r in csv_rows(built) if r["slug"] == "novye-avtobusy"]
    assert line["problem_slugs"] == "obshchestvennyy-transport; razdelnyy-sbor-otkhodov"


def test_open_data_page_documents_every_field_and_links_both_files(built):
    soup = BeautifulSoup(built.read("open-data/index.html"), "html.parser")
    documented = [code.get_text() for code in soup.select("table td:first-child code")]
    assert documented == [f.name for f in FIELDS]
    links = {a["href"] for a in soup.select("a[download]")}
    assert links == {"/open-data/practices.csv", "/open-data/practices.json"}
