"""Russian typography of plain text: «ёлочки» with „лапки“ inside, em dashes for spaced
hyphens, non-breaking spaces after short words, before dashes and around numbers with their
units. Used on the text nodes of every rendered body (``markup``, ``markup_fast``) and on
front-matter text (titles, summaries) in templates, feeds, e-mail and print.
"""
from __future__ import annotations

import functools
import re

from markupsafe import Markup, escape

NBSP = "\u00a0"

# A spaced hyphen or double hyphen between words is a dash: bind it to the word before. (The
# first space is matched before the look-behind checks the word before it: a pattern that
# starts with a character set lets the engine skip to the next space instead of trying the
# look-behind at every character, which took twice as long.)
_DASH = re.compile(r"[ \u00a0](?<=\S[ \u00a0])[ \u00a0]*(?:-{1,3}|–|—)(?=[ \u00a0])")
# Unspaced ASCII dashes and dots typed on a keyboard.
_ASCII_PUNCTUATION = re.compile(r"---|--|\.\.\.")
_ASCII_REPLACEMENT = {"---": "—", "--": "–", "...": "…"}
# A space becomes non-breaking after numbers followed by their units (2020 г., 15 млн),
# after abbreviations («г. Москва», «ул. Новый Арбат», «№ 5») and after one- and two-letter
# words (prepositions, conjunctions, particles). One pattern, one pass over the text; it
# matches the space itself and looks back at the word before it (fixed-width look-behinds,
# one per word length), so the regex engine only stops at spaces and the replacement is a
# plain string: three times faster than capturing the word and putting it back.
_UNITS = r"(?:г|гг|лет|млн|млрд|тыс|км|м|га|руб|чел|%)(?:\b|\.)"
_ABBREVIATIONS = ("г.", "гг.", "ул.", "д.", "стр.", "пр.", "пл.", "им.", "см.", "т.е.", "т.д.", "т.п.", "№", "§")
_LETTER = "[А-ЯЁа-яёA-Za-z]"


def _tie_pattern() -> re.Pattern:
    by_length: dict[int, list[str]] = {}
    for word in _ABBREVIATIONS:
        by_length.setdefault(len(word), []).append(re.escape(word))
    # Short words first: they are the most frequent case.
    after_word = [rf"(?<=(?<![\w\-\u00ad.]){_LETTER} )", rf"(?<=(?<![\w\-\u00ad.]){_LETTER}{{2}} )"]
    after_word += [rf"(?<=(?<![\w\-])(?:{'|'.join(words)}) )" for _, words in sorted(by_length.items())]
    # Most spaces follow a word of three letters or more, after which no rule ties: one
    # look-behind turns them away before the seven alternatives are tried.
    return re.compile(rf" (?<![^\W\d_]{{3}} )(?:(?:{'|'.join(after_word)})(?=\S)|(?<=\d )(?={_UNITS}))")


_TIE = _tie_pattern()
_OPENING_CONTEXT = set(" \t\n\u00a0([{«„—–-/")


# Addresses written in running text stay exactly as typed: "plan--2024...pdf" is a file name.
# Each address is tried from the start of its run of characters only (the look-behinds),
# and the run is read once (possessive `*+`): tried from every letter, a line of 10,000
# letters with an `@` cost 50 million steps. The lead (digits before a scheme) stays text.
_URL_LIKE = re.compile(r"(?<![a-zA-Z0-9+.-])(?P<lead>[0-9+.-]*+)(?P<url>[a-zA-Z][a-zA-Z0-9+.-]*+://[^\s<>«»\"]+)"
                       r"|(?P<www>www\.[^\s<>«»\"]+)"
                       r"|(?<![\w.+-])(?P<mail>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def typograph(text: str) -> str:
    """Dashes and non-breaking spaces in a run of plain text (quotes are done separately)."""
    if not text:
        return text
    if ("://" in text or "@" in text or "www." in text) and _URL_LIKE.search(text):
        # Set the addresses aside behind placeholders, typeset the words around them.
        addresses: list[str] = []

        def hide(match: re.Match) -> str:
            addresses.append(match.group("url") or match.group("www") or match.group("mail"))
            return f"{match.group('lead') or ''}\ue000{len(addresses) - 1}\ue001"
        typeset = _typograph_words(_URL_LIKE.sub(hide, text))
        return re.sub("\ue000(\\d+)\ue001", lambda m: addresses[int(m.group(1))], typeset)
    return _typograph_words(text)


def _typograph_words(text: str) -> str:
    if not text or (" " not in text and "-" not in text and "." not in text):
        return text
    if "--" in text or "..." in text:
        text = _ASCII_PUNCTUATION.sub(lambda m: _ASCII_REPLACEMENT[m.group()], text)
    if " -" in text or " –" in text or " —" in text or "\u00a0-" in text:
        text = _DASH.sub(NBSP + "—", text)
    # The look-behinds see the original spaces, so "и в городе" is tied twice in one pass.
    return _TIE.sub(NBSP, text)


class QuoteState:
    """Straight double quotes → «» outside, „“ inside, across the text nodes of one block."""

    def __init__(self) -> None:
        self.depth = 0
        self.previous = " "      # the character before the current text node

    def apply(self, text: str) -> str:
        if '"' not in text:
            if text:
                self.previous = text[-1]
            return text
        out = []
        start = 0
        index = text.find('"')
        while index != -1:              # from quote to quote, not letter by letter
            before = text[index - 1] if index > 0 else self.previous
            # At the end of a text node something usually follows (a link, emphasis).
            after = text[index + 1] if index + 1 < len(text) else "x"
            opening = before in _OPENING_CONTEXT and not after.isspace()
            if opening:
                self.depth += 1
                mark = "«" if self.depth == 1 else "„"
            else:
                mark = "»" if self.depth <= 1 else "“"
                self.depth = max(0, self.depth - 1)
            out.append(text[start:index])
            out.append(mark)
            start = index + 1
            index = text.find('"', start)
        out.append(text[start:])
        self.previous = text[-1]
        return "".join(out)


@functools.lru_cache(maxsize=65536)
def typograph_plain(text: str) -> str:
    """Typography for front-matter text (titles, summaries): quotes, dashes, spaces."""
    return typograph(QuoteState().apply(text))


def typo_filter(value: object) -> Markup:
    """Jinja filter: escape, then typeset. Markup input is left as it is."""
    if isinstance(value, Markup):
        return value
    return Markup(escape(typograph_plain(str(value or ""))))
