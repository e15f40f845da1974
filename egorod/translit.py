"""Latin slugs from Russian titles.

The scheme is the common "passport-style" simplification of GOST 7.79 system B
that Russian sites use in URLs: й → y, х → kh, ц → ts, щ → shch, ъ/ь dropped,
so «Нижний Новгород» becomes ``nizhniy-novgorod``.
"""
from __future__ import annotations

import functools
import re
import unicodedata

_LETTERS = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Ukrainian, Belarusian and Kazakh letters that appear in city names
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ә": "a", "ғ": "g",
    "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
    # Signs that Unicode would otherwise decompose into letters ("№" → "No").
    "№": " ", "§": " ",
}

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


_TABLE = str.maketrans(_LETTERS)


def transliterate(text: str) -> str:
    """Russian text in Latin letters, keeping case-insensitive word shapes."""
    return text.lower().translate(_TABLE)


@functools.lru_cache(maxsize=4096)      # the same headings recur in thousands of documents
def slugify(text: str, max_length: int = 80) -> str:
    """A URL slug ``[a-z0-9-]+`` from any title; empty when nothing is left."""
    latin = unicodedata.normalize("NFKD", transliterate(text))
    latin = latin.encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def is_safe_slug(slug: str) -> bool:
    return bool(SLUG_PATTERN.match(slug))


class HeadingIds:
    """The anchors of a document's headings: the slug of the text, numbered when taken
    (``itogi``, ``itogi-1``, ``itogi-2``...), never the same twice in one document."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._next_number: dict[str, int] = {}

    def take(self, given: str) -> None:
        """An id the editor gave ({#...}): it wins, and is not given again."""
        self._taken.add(given)

    def of(self, text: str) -> str:
        base = slugify(text) or "section"
        # Numbering resumes where the last heading of the same name stopped: ids are only
        # ever added, so the numbers before it are still taken (a thousand «Итоги» headings
        # cost a thousand steps, not half a million).
        number = self._next_number.get(base, 0)
        candidate = base if number == 0 else f"{base}-{number}"
        while candidate in self._taken:
            number += 1
            candidate = f"{base}-{number}"
        self._next_number[base] = number
        self._taken.add(candidate)
        return candidate
