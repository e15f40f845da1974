"""The practice library as open data: /open-data/practices.csv and practices.json.

One record per published practice with every field of its file, the names its slugs stand
for (city, country, sectors, problems) and the address of its page. The fields are listed
once, here, with what they mean: the files and the page that documents them use this list.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from . import routes as r
from .content import Practice
from .images import beside, site_url
from .model import Site

CSV_PATH = "open-data/practices.csv"
JSON_PATH = "open-data/practices.json"
LIST_SEPARATOR = "; "       # lists in one CSV cell; no title in the rubricator contains it


@dataclass(frozen=True)
class FieldInfo:
    name: str
    meaning: str
    is_list: bool = False


FIELDS: tuple[FieldInfo, ...] = (
    FieldInfo("slug", "идентификатор практики (часть адреса страницы)"),
    FieldInfo("url", "адрес страницы практики на сайте"),
    FieldInfo("title", "название практики"),
    FieldInfo("summary", "краткое описание"),
    FieldInfo("city", "город"),
    FieldInfo("city_slug", "идентификатор города (адрес /cities/<идентификатор>/)"),
    FieldInfo("country", "страна или территория"),
    FieldInfo("year", "год практики"),
    FieldInfo("sectors", "сферы городской жизнедеятельности", is_list=True),
    FieldInfo("problems", "проблемные вопросы городского развития", is_list=True),
    FieldInfo("problem_slugs", "идентификаторы проблемных вопросов в рубрикаторе", is_list=True),
    FieldInfo("contest_edition", "номер издания смотра-конкурса «Город, где хочется жить» (пусто, если не участвовала)"),
    FieldInfo("contest_year", "год смотра-конкурса"),
    FieldInfo("contest_nomination", "номинация смотра-конкурса"),
    FieldInfo("contest_award", "награда смотра-конкурса"),
    FieldInfo("contacts", "контакты для связи по практике"),
    FieldInfo("image_url", "адрес иллюстрации практики (пусто, если её нет)"),
    FieldInfo("image_alt", "что изображено на иллюстрации"),
    FieldInfo("image_credit", "автор и лицензия иллюстрации"),
    FieldInfo("sample", "true — учебный пример, не официальный материал МАГ"),
)


def record(site: Site, practice: Practice) -> dict[str, Any]:
    city = site.city_by_slug[practice.city]
    questions = [site.question_by_slug[slug] for slug in practice.rubrics]
    contest, image = practice.contest, practice.image
    return {
        "slug": practice.slug,
        "url": site.settings.base_url + r.practice_url(practice.slug).lstrip("/"),
        "title": practice.title,
        "summary": practice.summary,
        "city": city.title,
        "city_slug": city.slug,
        "country": city.country,
        "year": practice.year,
        "sectors": [sector.title for sector in site.sectors_of(practice)],
        "problems": [question.title for question in questions],
        "problem_slugs": list(practice.rubrics),
        "contest_edition": contest.edition if contest else None,
        "contest_year": contest.year if contest else None,
        "contest_nomination": contest.nomination if contest else "",
        "contest_award": contest.award if contest else "",
        "contacts": practice.contacts,
        "image_url": site.settings.base_url + site_url(beside(practice.source.path, image.file)).lstrip("/")
        if image else "",
        "image_alt": image.alt if image else "",
        "image_credit": image.credit if image else "",
        "sample": practice.sample,
    }


def records(site: Site) -> list[dict[str, Any]]:
    """Newest first, as the library lists them."""
    return [record(site, practice) for practice in site.practices_newest]


def csv_cell(value: Any) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """RFC 4180 (CRLF line ends) with a byte-order mark, so that Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f.name for f in FIELDS])
    for row in rows:
        writer.writerow([csv_cell(row[f.name]) for f in FIELDS])
    return "\ufeff" + buffer.getvalue()


def to_json(site: Site, rows: list[dict[str, Any]]) -> str:
    data = {"title": "Электронная библиотека городских практик МАГ",
            "publisher": site.settings.title,
            "source": site.settings.base_url + "practices/",
            "fields": {f.name: f.meaning for f in FIELDS},
            "practices": rows}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
