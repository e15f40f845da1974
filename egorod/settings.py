"""Stage 1: site settings from site.yaml, validated like content."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import yamlsrc
from .errors import Problems
from .i18n import _
from .schema import Field, Invalid, boolean, check_mapping, integer, slug, text, url

SETTINGS_FILE = "site.yaml"


@dataclass(frozen=True)
class MenuItem:
    title: str
    url: str


@dataclass(frozen=True)
class Country:
    name: str
    slug: str


@dataclass(frozen=True)
class Problem:
    """A problem question of urban development: the leaf of the rubricator."""
    slug: str
    title: str
    sector: str    # slug of its sector


@dataclass(frozen=True)
class Sector:
    """A sector of city life with its problem questions."""
    slug: str
    title: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class MailSettings:
    host: str = "localhost"
    port: int = 25
    tls: str = "none"                    # none | starttls | ssl
    user: str = ""
    password_env: str = "EGOROD_SMTP_PASSWORD"
    sender: str = "bulletin@e-gorod.ru"
    sender_name: str = "Бюллетень МАГ"
    list_id: str = "bulletin.e-gorod.ru"
    unsubscribe_mailto: str = "unsubscribe@e-gorod.ru"
    unsubscribe_url: str = ""
    rate: float = 5.0                     # messages per second
    retries: int = 5
    retry_delay: float = 2.0              # seconds before the first retry; doubles each time
    journal_dir: str = "mail-journal"     # the mailing journals; relative to the repository root


@dataclass(frozen=True)
class PrintSettings:
    """The imprint of the printed editions (the Vestnik and bulletin PDFs)."""
    publisher: str = ""                   # empty: the site title
    address: str = ""
    phone: str = ""
    email: str = ""
    vestnik_tagline: str = "Информационно-аналитический журнал"
    vestnik_since: int | None = None
    vestnik_note: str = ""
    bulletin_since: int | None = None
    bulletin_note: str = ""


@dataclass(frozen=True)
class DeploySettings:
    """Where `python build.py deploy` publishes the built site."""
    target: str = ""                      # rsync destination: user@host:/path (SSH) or a local folder
    ssh_port: int = 22


@dataclass(frozen=True)
class Settings:
    root: Path
    title: str
    short_title: str
    description: str
    base_url: str
    language: str
    repo_url: str
    repo_branch: str
    menu: tuple[MenuItem, ...]
    countries: tuple[Country, ...]
    rubricator: tuple[Sector, ...]
    allow_raw_html: bool
    feed_entries: int
    per_page: int
    mail: MailSettings = field(default_factory=MailSettings)
    print: PrintSettings = field(default_factory=PrintSettings)
    deploy: DeploySettings = field(default_factory=DeploySettings)

    @property
    def problems(self) -> dict[str, Problem]:
        return {p.slug: p for s in self.rubricator for p in s.problems}

    def country(self, name: str) -> Country | None:
        return next((c for c in self.countries if c.name == name), None)

    def with_base_url(self, base_url: str) -> "Settings":
        from dataclasses import replace
        return replace(self, base_url=normalise_base_url(base_url))


def normalise_base_url(value: str) -> str:
    return value.rstrip("/") + "/"


def _site_path(value: Any) -> str:
    raw = text(value)
    if not (raw.startswith("/") or raw.startswith("http://") or raw.startswith("https://")):
        raise Invalid(f"{raw!r} must be a site path starting with / or a full web address")
    return raw


def _tls_mode(value: Any) -> str:
    raw = text(value)
    if raw not in ("none", "starttls", "ssl"):
        raise Invalid(f"must be one of none, starttls, ssl, not {raw!r}")
    return raw


def _optional_url(value: Any) -> str:
    return "" if value in ("", None) else url(value)


def _seconds(value: Any, minimum: float, maximum: float) -> float:
    """A number (whole or with a decimal point) within limits, e.g. ``2`` or ``0.5``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"must be a number such as 2 or 0.5, not {value!r}")
    if not minimum <= value <= maximum:
        raise Invalid(f"must be between {minimum:g} and {maximum:g}, not {value:g}")
    return float(value)


def _optional_text(value: Any) -> str:
    return "" if value in ("", None) else text(value)


def _journal_dir(value: Any) -> str:
    """The folder of the mailing journals: never one that the build or `make clean` deletes."""
    raw = text(value)
    parts = [part for part in raw.replace("\\", "/").split("/") if part not in ("", ".")]
    if not raw.startswith("/") and parts and parts[0] in (".cache", "output"):
        raise Invalid(f"{raw!r} is inside {parts[0]}/, which `make clean` deletes; the journals must be "
                      "kept, so use a folder of their own such as mail-journal")
    return raw


_REMOTE_TARGET = re.compile(r"^(?:[\w.-]+@)?[\w.-]+:(.*)$")


def _deploy_target(value: Any) -> str:
    """``user@host:/path`` over SSH, or a local folder; never the root of a file system."""
    raw = _optional_text(value)
    remote = _REMOTE_TARGET.match(raw)
    path = remote.group(1) if remote else raw
    if raw and not path.startswith("/") and remote:
        raise Invalid(_("{target!r}: write the folder on the server as an absolute path, e.g. "
                        "deploy@e-gorod.ru:/srv/e-gorod/site").format(target=raw))
    if raw and path.rstrip("/") == "":
        raise Invalid(_("{target!r} is the root of a file system; name the site's own folder").format(target=raw))
    return raw


TOP_FIELDS = {
    "title": Field(text, required=True),
    "short_title": Field(text, default="МАГ"),
    "description": Field(text, required=True),
    "base_url": Field(url, required=True),
    "language": Field(text, default="ru"),
    "repo_url": Field(_optional_url, default=""),
    "repo_branch": Field(text, default="main"),
    "menu": Field(lambda v: v, default=list),
    "countries": Field(lambda v: v, required=True),
    "rubricator": Field(lambda v: v, required=True),
    "markdown": Field(lambda v: v, default=dict),
    "feeds": Field(lambda v: v, default=dict),
    "pagination": Field(lambda v: v, default=dict),
    "mail": Field(lambda v: v, default=dict),
    "print": Field(lambda v: v, default=dict),
    "deploy": Field(lambda v: v, default=dict),
}
MENU_FIELDS = {"title": Field(text, required=True), "url": Field(_site_path, required=True)}
COUNTRY_FIELDS = {"name": Field(text, required=True), "slug": Field(slug, required=True)}
SECTOR_FIELDS = {
    "slug": Field(slug, required=True),
    "title": Field(text, required=True),
    "problems": Field(lambda v: v, required=True),
}
PROBLEM_FIELDS = {"slug": Field(slug, required=True), "title": Field(text, required=True)}
MARKDOWN_FIELDS = {"allow_raw_html": Field(boolean, default=False)}
FEEDS_FIELDS = {"entries": Field(integer(1, 1000), default=50)}
PAGINATION_FIELDS = {"per_page": Field(integer(1, 500), default=20)}
MAIL_FIELDS = {
    "host": Field(text, default=MailSettings.host),
    "port": Field(integer(1, 65535), default=MailSettings.port),
    "tls": Field(_tls_mode, default=MailSettings.tls),
    "user": Field(_optional_text, default=""),
    "password_env": Field(text, default=MailSettings.password_env),
    "sender": Field(text, default=MailSettings.sender),
    "sender_name": Field(text, default=MailSettings.sender_name),
    "list_id": Field(text, default=MailSettings.list_id),
    "unsubscribe_mailto": Field(text, default=MailSettings.unsubscribe_mailto),
    "unsubscribe_url": Field(_optional_url, default=""),
    "rate": Field(lambda v: _seconds(v, 0.01, 1000), default=MailSettings.rate),
    "retries": Field(integer(0, 20), default=MailSettings.retries),
    "retry_delay": Field(lambda v: _seconds(v, 0, 600), default=MailSettings.retry_delay),
    "journal_dir": Field(_journal_dir, default=MailSettings.journal_dir),
}
PRINT_FIELDS = {
    "publisher": Field(_optional_text, default=""),
    "address": Field(_optional_text, default=""),
    "phone": Field(_optional_text, default=""),
    "email": Field(_optional_text, default=""),
    "vestnik_tagline": Field(text, default=PrintSettings.vestnik_tagline),
    "vestnik_since": Field(integer(1900, 2100), default=None),
    "vestnik_note": Field(_optional_text, default=""),
    "bulletin_since": Field(integer(1900, 2100), default=None),
    "bulletin_note": Field(_optional_text, default=""),
}

DEPLOY_FIELDS = {
    "target": Field(_deploy_target, default=""),
    "ssh_port": Field(integer(1, 65535), default=DeploySettings.ssh_port),
}


def _list_items(raw: Any, key: str, fields: dict[str, Field], located, problems: Problems) -> list[dict]:
    if not isinstance(raw, list):
        problems.add(SETTINGS_FILE, located.line(key), key, "must be a list of entries starting with `-`")
        return []
    return [check_mapping(item, fields, located, SETTINGS_FILE, problems, prefix=f"{key}[{i}].")
            for i, item in enumerate(raw)]


def _duplicates(values: list[tuple[str, str]], located, problems: Problems, what: str) -> None:
    seen: set[str] = set()
    for key, value in values:
        if value in seen:
            problems.add(SETTINGS_FILE, located.line(key), key, f"{what} {value!r} is used twice; each must be unique")
        seen.add(value)


def load_settings(root: Path, problems: Problems) -> Settings | None:
    """Read and validate ``site.yaml``; problems are collected, None when unusable."""
    path = root / SETTINGS_FILE
    try:
        raw_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(SETTINGS_FILE, 0, "-", "the settings file is missing")
        return None
    except UnicodeDecodeError as exc:
        problems.add(SETTINGS_FILE, 0, "-", f"is not UTF-8 text ({exc.reason}); save it as UTF-8")
        return None
    try:
        located = yamlsrc.load(raw_text)
    except yamlsrc.YamlError as exc:
        problems.add(SETTINGS_FILE, exc.line, "-", exc.message)
        return None
    before = len(problems)
    for key, line, first in located.duplicates:
        problems.add(SETTINGS_FILE, line, key, f"is given twice (also on line {first}); keep one")
    top = check_mapping(located.data, TOP_FIELDS, located, SETTINGS_FILE, problems)
    menu = [MenuItem(**m) for m in _list_items(top.get("menu", []), "menu", MENU_FIELDS, located, problems) if len(m) == 2]
    countries = [Country(**c) for c in _list_items(top.get("countries", []), "countries", COUNTRY_FIELDS, located, problems)
                 if c.get("name") and c.get("slug")]
    _duplicates([(f"countries[{i}].slug", c.slug) for i, c in enumerate(countries)], located, problems, "country slug")
    _duplicates([(f"countries[{i}].name", c.name) for i, c in enumerate(countries)], located, problems, "country name")

    sectors: list[Sector] = []
    problem_slugs: list[tuple[str, str]] = []
    for i, raw_sector in enumerate(_list_items(top.get("rubricator", []), "rubricator", SECTOR_FIELDS, located, problems)):
        if not raw_sector.get("slug"):
            continue
        key = f"rubricator[{i}].problems"
        items = _list_items(raw_sector.get("problems", []), key, PROBLEM_FIELDS, located, problems)
        sector_problems = tuple(Problem(p["slug"], p["title"], raw_sector["slug"]) for p in items if p.get("slug") and p.get("title"))
        problem_slugs += [(f"{key}[{j}].slug", p.slug) for j, p in enumerate(sector_problems)]
        sectors.append(Sector(raw_sector["slug"], raw_sector.get("title", ""), sector_problems))
    _duplicates([(f"rubricator[{i}].slug", s.slug) for i, s in enumerate(sectors)], located, problems, "sector slug")
    _duplicates(problem_slugs, located, problems, "problem slug")

    def section(key: str, fields: dict[str, Field]) -> dict:
        value = top.get(key)
        return check_mapping({} if value is None else value, fields, located, SETTINGS_FILE, problems,
                             prefix=f"{key}.")

    markdown = section("markdown", MARKDOWN_FIELDS)
    feeds = section("feeds", FEEDS_FIELDS)
    pagination = section("pagination", PAGINATION_FIELDS)
    mail = section("mail", MAIL_FIELDS)
    print_ = section("print", PRINT_FIELDS)
    deploy = section("deploy", DEPLOY_FIELDS)
    if len(problems) > before:
        return None
    return Settings(
        root=root,
        title=top["title"],
        short_title=top["short_title"],
        description=top["description"],
        base_url=normalise_base_url(top["base_url"]),
        language=top["language"],
        repo_url=top["repo_url"].rstrip("/"),
        repo_branch=top["repo_branch"],
        menu=tuple(menu),
        countries=tuple(countries),
        rubricator=tuple(sectors),
        allow_raw_html=markdown["allow_raw_html"],
        feed_entries=feeds["entries"],
        per_page=pagination["per_page"],
        mail=MailSettings(**mail),
        print=PrintSettings(**print_),
        deploy=DeploySettings(**deploy),
    )
