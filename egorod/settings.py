"""Stage 1: site settings from site.yaml, validated like content.

Every setting is declared once, on its dataclass below (schema.required/optional/section/
entries): its converter, default and YAML key. ``load_settings`` keeps only the checks
across fields.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import yamlsrc
from .errors import Problems
from .i18n import LANGUAGES, _
from .schema import Invalid, Place, boolean, entries, integer, optional, read_record, required, section, slug, text, url

SETTINGS_FILE = "site.yaml"
schema_slug = slug


def normalise_base_url(value: str) -> str:
    return value.rstrip("/") + "/"


def _site_path(value: Any) -> str:
    raw = text(value)
    if not (raw.startswith("/") or raw.startswith("http://") or raw.startswith("https://")):
        raise Invalid(_("{raw!r} must be a site path starting with / or a full web address").format(raw=raw))
    return raw


def _tls_mode(value: Any) -> str:
    raw = text(value)
    if raw not in ("none", "starttls", "ssl"):
        raise Invalid(_("must be one of none, starttls, ssl, not {raw!r}").format(raw=raw))
    return raw


def _language(value: Any) -> str:
    """The language the tool speaks to editors in (egorod/i18n.py)."""
    raw = text(value)
    if raw not in LANGUAGES:
        raise Invalid(_("must be ru (Russian) or en (English), not {raw!r}").format(raw=raw))
    return raw


def _optional_url(value: Any) -> str:
    return "" if value in ("", None) else url(value)


def _seconds(minimum: float, maximum: float) -> Any:
    """A number (whole or with a decimal point) within limits, e.g. ``2`` or ``0.5``."""
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(_("must be a number such as 2 or 0.5, not {value!r}").format(value=value))
        if not minimum <= value <= maximum:
            raise Invalid(_("must be between {minimum:g} and {maximum:g}, not {value:g}")
                          .format(minimum=minimum, maximum=maximum, value=value))
        return float(value)
    return convert


def _optional_text(value: Any) -> str:
    return "" if value in ("", None) else text(value)


def _journal_dir(value: Any) -> str:
    """The folder of the mailing journals: never one that the build or `make clean` deletes."""
    raw = text(value)
    parts = [part for part in raw.replace("\\", "/").split("/") if part not in ("", ".")]
    if not raw.startswith("/") and parts and parts[0] in (".cache", "output"):
        raise Invalid(_("{raw!r} is inside {folder}/, which `make clean` deletes; the journals must be "
                        "kept, so use a folder of their own such as mail-journal").format(raw=raw, folder=parts[0]))
    return raw


def _service_url(value: Any) -> str:
    """The subscription service's public address, ending with / so that paths join onto it."""
    return "" if value in ("", None) else normalise_base_url(url(value))


def _database_path(value: Any) -> str:
    """The subscriber list: personal data, so never inside what is published or deleted."""
    raw = text(value)
    parts = [part for part in raw.replace("\\", "/").split("/") if part not in ("", ".")]
    if not raw.startswith("/") and parts and parts[0] in (".cache", "output"):
        raise Invalid(f"{raw!r} is inside {parts[0]}/, which is published or deleted by `make clean`; "
                      "use a folder of its own such as subscribers/")
    return raw


def _issn(value: Any) -> str:
    """An ISSN as printed (ISSN 1234-567X), with its check digit verified."""
    raw = _optional_text(value).upper().removeprefix("ISSN").strip()
    if not raw:
        return ""
    digits = raw.replace("-", "")
    if not re.fullmatch(r"\d{7}[\dX]", digits):
        raise Invalid(_("{value!r} is not an ISSN (eight characters such as 1234-5679)").format(value=raw))
    check = -sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True)) % 11
    if digits[7] != ("X" if check == 10 else str(check)):
        raise Invalid(_("ISSN {value} has a wrong check digit").format(value=raw))
    return f"{digits[:4]}-{digits[4:]}"


def _age_mark(value: Any) -> str:
    """The information products' age mark of Russian law (436-FZ): 0+, 6+, 12+, 16+ or 18+."""
    raw = _optional_text(value).replace(" ", "")
    if raw and raw not in ("0+", "6+", "12+", "16+", "18+"):
        raise Invalid(_("{value!r} is not an age mark: 0+, 6+, 12+, 16+ or 18+").format(value=raw))
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


def _base_url(value: Any) -> str:
    return normalise_base_url(url(value))


def _repository_url(value: Any) -> str:
    return _optional_url(value).rstrip("/")


@dataclass(frozen=True)
class MenuItem:
    title: str = required(text)
    url: str = required(_site_path)


@dataclass(frozen=True)
class Country:
    name: str = required(text)
    slug: str = required(slug)
    # slug of its capital among the member cities: labelled on the map ("slug" is the field above here)
    capital: str = optional(schema_slug, "")


@dataclass(frozen=True)
class EventKind:
    """A kind of the Assembly's events (session, forum, contest…): what an event's ``kind`` names."""
    slug: str = required(slug)
    name: str = required(text)


@dataclass(frozen=True)
class ContestKind:
    """One of the Assembly's contests: content/contests/<slug>/ holds its editions."""
    slug: str = required(slug)
    name: str = required(text)
    practices: bool = optional(boolean, False)     # its results are practices of the library


@dataclass(frozen=True, kw_only=True)
class Question:
    """A problem question of urban development (проблемный вопрос): the leaf of the rubricator."""
    slug: str = required(slug)
    title: str = required(text)
    sector: str = ""    # slug of its sector: given by the sector it is listed under


@dataclass(frozen=True)
class Sector:
    """A sector of city life with its problem questions."""
    slug: str = required(slug)
    title: str = required(text)
    questions: tuple[Question, ...] = entries(Question, required=True, key="problems")


@dataclass(frozen=True)
class MailSettings:
    host: str = optional(text, "localhost")
    port: int = optional(integer(1, 65535), 25)
    tls: str = optional(_tls_mode, "none")                  # none | starttls | ssl
    user: str = optional(_optional_text, "")
    password_env: str = optional(text, "EGOROD_SMTP_PASSWORD")
    sender: str = optional(text, "bulletin@e-gorod.ru")
    sender_name: str = optional(text, "Бюллетень МАГ")
    list_id: str = optional(text, "bulletin.e-gorod.ru")
    unsubscribe_mailto: str = optional(text, "unsubscribe@e-gorod.ru")
    unsubscribe_url: str = optional(_optional_url, "")
    rate: float = optional(_seconds(0.01, 1000), 5.0)      # messages per second
    retries: int = optional(integer(0, 20), 5)
    retry_delay: float = optional(_seconds(0, 600), 2.0)   # seconds before the first retry; doubles each time
    journal_dir: str = optional(_journal_dir, "mail-journal")   # the mailing journals; relative to the repository root


@dataclass(frozen=True)
class SubscriptionSettings:
    """The subscription service (egorod/subscriptions/); off while ``url`` is empty."""
    url: str = optional(_service_url, "")        # its public address, e.g. https://e-gorod.ru/ (ends with /)
    database: str = optional(_database_path, "subscribers/subscribers.sqlite")   # never committed
    sender: str = optional(_optional_text, "")   # of the confirmation letters; empty: mail.sender
    secret_env: str = optional(text, "EGOROD_SUBSCRIPTIONS_SECRET")   # the links' signing key, from the environment
    confirm_hours: int = optional(integer(1, 24 * 30), 72)      # a confirmation link works this long
    client_limit: int = optional(integer(1, 1_000_000), 10)     # subscribe requests per client address per hour
    soft_bounce_limit: int = optional(integer(1, 100), 3)       # soft bounces of issues in a row that suspend
    imap_host: str = optional(_optional_text, "")               # the bounce mailbox (`subscriptions bounces --imap`)
    imap_user: str = optional(_optional_text, "")
    imap_password_env: str = optional(text, "EGOROD_IMAP_PASSWORD")
    imap_folder: str = optional(text, "INBOX")
    dkim_selector: str = optional(_optional_text, "")           # DKIM signing when set and the key is in dkim_key_env
    dkim_domain: str = optional(_optional_text, "")             # empty: the sender's domain
    dkim_key_env: str = optional(text, "EGOROD_DKIM_KEY")       # the private key (PEM) or the path of its file


@dataclass(frozen=True)
class PrintSettings:
    """The imprint of the printed editions (the Vestnik and bulletin PDFs)."""
    publisher: str = optional(_optional_text, "")          # empty: the site title
    address: str = optional(_optional_text, "")
    phone: str = optional(_optional_text, "")
    email: str = optional(_optional_text, "")
    vestnik_tagline: str = optional(text, "Информационно-аналитический журнал")
    vestnik_since: int | None = optional(integer(1900, 2100), None)
    vestnik_note: str = optional(_optional_text, "")
    bulletin_since: int | None = optional(integer(1900, 2100), None)
    bulletin_note: str = optional(_optional_text, "")
    # --- the imprint of «Вестник МАГ» that does not change from issue to issue (выходные данные);
    # the issue's own part (print run, order, date signed) is in its _index.md
    founder: str = optional(_optional_text, "")           # учредитель; empty: the publisher
    chief_editor: str = optional(_optional_text, "")
    registration: str = optional(_optional_text, "")      # the media registration certificate, as printed
    issn: str = optional(_issn, "")
    age_mark: str = optional(_age_mark, "")               # e.g. 12+
    printer: str = optional(_optional_text, "")           # the printing house
    printer_address: str = optional(_optional_text, "")
    imprint_sample: bool = optional(boolean, False)       # the values are samples: the imprint says so
    # --- what the print shop asks of its file
    crop_marks: bool = optional(boolean, True)
    output_profile: str = optional(text, "templates/print/cmyk-swop-artifex.icc")   # relative to the root
    output_condition: str = optional(text, "CGATS TR 001")                         # registered name of the condition


@dataclass(frozen=True)
class DeploySettings:
    """Where `python build.py deploy` publishes the built site."""
    target: str = optional(_deploy_target, "")    # rsync destination: user@host:/path (SSH) or a local folder
    ssh_port: int = optional(integer(1, 65535), 22)


@dataclass(frozen=True)
class MarkdownSettings:
    allow_raw_html: bool = optional(boolean, False)


@dataclass(frozen=True)
class FeedSettings:
    entries: int = optional(integer(1, 1000), 50)


@dataclass(frozen=True)
class PaginationSettings:
    per_page: int = optional(integer(1, 500), 20)


@dataclass(frozen=True, kw_only=True)
class Settings:
    root: Path
    title: str = required(text)
    short_title: str = optional(text, "МАГ")
    description: str = required(text)
    base_url: str = required(_base_url)
    language: str = optional(_language, "ru")
    repo_url: str = optional(_repository_url, "")
    repo_branch: str = optional(text, "main")
    menu: tuple[MenuItem, ...] = entries(MenuItem)
    countries: tuple[Country, ...] = entries(Country, required=True)
    rubricator: tuple[Sector, ...] = entries(Sector, required=True)
    event_kinds: tuple[EventKind, ...] = entries(EventKind)
    contests: tuple[ContestKind, ...] = entries(ContestKind)
    markdown: MarkdownSettings = section(MarkdownSettings)
    feeds: FeedSettings = section(FeedSettings)
    pagination: PaginationSettings = section(PaginationSettings)
    mail: MailSettings = section(MailSettings)
    print: PrintSettings = section(PrintSettings)
    subscriptions: SubscriptionSettings = section(SubscriptionSettings)
    deploy: DeploySettings = section(DeploySettings)

    @property
    def allow_raw_html(self) -> bool:
        return self.markdown.allow_raw_html

    @property
    def feed_entries(self) -> int:
        return self.feeds.entries

    @property
    def per_page(self) -> int:
        return self.pagination.per_page

    @property
    def questions(self) -> dict[str, Question]:
        return {q.slug: q for s in self.rubricator for q in s.questions}

    @property
    def event_kind_names(self) -> dict[str, str]:
        return {kind.slug: kind.name for kind in self.event_kinds}

    def contest(self, slug: str) -> ContestKind | None:
        return next((c for c in self.contests if c.slug == slug), None)

    def country(self, name: str) -> Country | None:
        return next((c for c in self.countries if c.name == name), None)

    def with_base_url(self, base_url: str) -> Settings:
        return replace(self, base_url=normalise_base_url(base_url))


def _repeated(keyed_values: list[tuple[str, Any]], located: yamlsrc.Located, problems: Problems, message: str) -> None:
    """A value given twice where each must be unique (key path → value, in file order);
    ``message`` names the value as ``{value!r}``."""
    seen: set[str] = set()
    for key, raw in keyed_values:
        value = str(raw).strip()
        if value in seen:
            problems.add(SETTINGS_FILE, located.line(key), key, message.format(value=value))
        seen.add(value)


def _listed(data: Any, key: str, attribute: str) -> list[tuple[str, Any]]:
    """(key path, raw value) of ``attribute`` in every mapping of the list ``data[key]``, from the YAML."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(f"{key}[{index}].{attribute}", item[attribute]) for index, item in enumerate(items)
            if isinstance(item, dict) and isinstance(item.get(attribute), (str, int))]


def _check_unique(data: Any, located: yamlsrc.Located, problems: Problems) -> None:
    """Slugs and names that must be unique, read from the YAML so that one mistake elsewhere
    in a list does not hide them."""
    _repeated(_listed(data, "countries", "slug"), located, problems,
              _("country slug {value!r} is used twice; each must be unique"))
    _repeated(_listed(data, "countries", "name"), located, problems,
              _("country name {value!r} is used twice; each must be unique"))
    _repeated(_listed(data, "rubricator", "slug"), located, problems,
              _("sector slug {value!r} is used twice; each must be unique"))
    sectors = data.get("rubricator") if isinstance(data, dict) else None
    questions = [(f"rubricator[{index}].{key}", value)
                 for index, sector in enumerate(sectors if isinstance(sectors, list) else [])
                 for key, value in _listed(sector, "problems", "slug")]
    _repeated(questions, located, problems, _("problem slug {value!r} is used twice; each must be unique"))


def _with_sectors(settings: Settings) -> Settings:
    """Each question knows the slug of its sector."""
    return replace(settings, rubricator=tuple(
        replace(sector, questions=tuple(replace(q, sector=sector.slug) for q in sector.questions))
        for sector in settings.rubricator))


def load_settings(root: Path, problems: Problems) -> Settings | None:
    """Read and validate ``site.yaml``; problems are collected, None when unusable."""
    path = root / SETTINGS_FILE
    try:
        raw_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(SETTINGS_FILE, 0, "-", _("the settings file is missing"))
        return None
    except UnicodeDecodeError as exc:
        problems.add(SETTINGS_FILE, 0, "-", _("is not UTF-8 text ({reason}); save it as UTF-8").format(reason=exc.reason))
        return None
    try:
        located = yamlsrc.load(raw_text)
    except yamlsrc.YamlError as exc:
        problems.add(SETTINGS_FILE, exc.line, "-", exc.message)
        return None
    before = len(problems)
    for key, line, first in located.duplicates:
        problems.add(SETTINGS_FILE, line, key, _("is given twice (also on line {first}); keep one").format(first=first))

    settings = read_record(Settings, located.data, Place(SETTINGS_FILE, located), problems, root=root)
    _check_unique(located.data, located, problems)
    if settings is None or len(problems) > before:
        return None
    return _with_sectors(settings)
