"""The language of what the tool says to editors: Russian by default, English one setting away.

Messages are written in the code in English, as whole format strings wrapped in ``_()``
(``_("unknown city {city!r}").format(city=...)``), and looked up in the catalog
``egorod/locale/<language>/LC_MESSAGES/egorod.po`` (gettext's format, read with Babel; ``make
messages`` extracts new ones into it). Field names and file paths stay as typed in the files.

The language is, in this order: the environment variable ``EGOROD_LANG``, ``language:`` in
``site.yaml``, Russian. English needs no catalog: it is the text of the code.
"""
from __future__ import annotations

import gettext
import io
import os
import re
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
ENVIRONMENT_VARIABLE = "EGOROD_LANG"
DOMAIN = "egorod"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_language = DEFAULT_LANGUAGE


@lru_cache(maxsize=None)
def _translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language``, compiled in memory (no compiled files kept in git)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not po.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def set_language(language: str) -> None:
    global _language
    _language = language if language in LANGUAGES else DEFAULT_LANGUAGE


def language() -> str:
    return _language


_SETTING = re.compile(r"^language:\s*[\"']?([A-Za-z-]+)[\"']?\s*(#.*)?$", re.MULTILINE)


def configured_language(root: Path) -> str:
    """The language asked for by the environment or by ``site.yaml`` (read before it is validated,
    so that the settings' own mistakes are reported in it too)."""
    wanted = os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    if not wanted:
        try:
            found = _SETTING.search((root / "site.yaml").read_text(encoding="utf-8", errors="replace"))
        except OSError:
            found = None
        wanted = found.group(1).lower() if found else DEFAULT_LANGUAGE
    return wanted.split("-")[0].split("_")[0] if wanted else DEFAULT_LANGUAGE


def _(message: str) -> str:
    """``message`` in the current language."""
    return _translations(_language).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for ``count`` (Russian has three)."""
    return _translations(_language).ngettext(singular, plural, count)
