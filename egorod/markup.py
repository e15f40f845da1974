"""Markdown → HTML with Russian typography.

Python-Markdown does the parsing (tables, footnotes, heading anchors, attribute lists);
its ``smarty`` extension makes «ёлочки» from straight quotes; a tree processor of ours
adds what smarty does not know about Russian text: em dashes for spaced hyphens and
non-breaking spaces after short words and before dashes. It only touches text nodes,
so code, URLs and HTML attributes stay exactly as written.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape

from .translit import slugify

NBSP = "\u00a0"
_SKIP_TAGS = {"code", "pre", "kbd", "samp", "script", "style", "math"}
_SAFE_URL = re.compile(r"^(https?:|mailto:|tel:|/|#|\.{0,2}/|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)

# A spaced hyphen or double hyphen between words is a dash: bind it to the word before.
_DASH = re.compile(r"(?<=\S)[ \u00a0]+(?:-{1,3}|–|—)(?=[ \u00a0])")
# One- and two-letter words (prepositions, conjunctions, particles) stick to the next word.
_SHORT_WORD = re.compile(r"(?<![\w\-\u00ad.])([А-ЯЁа-яёA-Za-z]{1,2}) (?=\S)")
# Numbers stick to the abbreviations and units that follow them: 2020 г., 15 млн, 5 км.
_NUMBER_UNIT = re.compile(r"(\d) (?=(?:г|гг|лет|млн|млрд|тыс|км|м|га|руб|чел|%)\b\.?)")
# Initials and abbreviations like «г. Москва», «ул. Новый Арбат»: keep with the next word.
_ABBREVIATION = re.compile(r"(?<![\w\-])((?:г|гг|ул|д|стр|пр|пл|им|см|т\.е|т\.д|т\.п)\.|№|§) (?=\S)")
_QUOTE_OPEN = re.compile(r'(^|[\s(\[\u00a0—–-])"(?=\S)')
_QUOTE_CLOSE = re.compile(r'"')


def typograph(text: str) -> str:
    """Dashes and non-breaking spaces in a run of plain text (no quotes)."""
    if not text:
        return text
    text = _DASH.sub(NBSP + "—", text)
    text = _NUMBER_UNIT.sub(r"\1" + NBSP, text)
    text = _ABBREVIATION.sub(r"\1" + NBSP, text)
    # Twice, because "и в городе" has two short words that share a space.
    text = _SHORT_WORD.sub(r"\1" + NBSP, text)
    text = _SHORT_WORD.sub(r"\1" + NBSP, text)
    return text


def typograph_plain(text: str) -> str:
    """Typography for front-matter text (titles, summaries): quotes, dashes, spaces."""
    text = _QUOTE_OPEN.sub(r"\1«", text)
    text = _QUOTE_CLOSE.sub("»", text)
    return typograph(text)


def typo_filter(value: object) -> Markup:
    """Jinja filter: escape, then typeset. Markup input is left as it is."""
    if isinstance(value, Markup):
        return value
    return Markup(escape(typograph_plain(str(value or ""))))


class _TypographyProcessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        self._walk(root)

    def _walk(self, element: etree.Element) -> None:
        for child in element:
            if child.tag == "a":
                href = child.get("href", "")
                if href and not _SAFE_URL.match(href.strip()):
                    child.set("href", "#")   # javascript: and other active schemes
            if child.tag in _SKIP_TAGS:
                child.tail = typograph(child.tail) if child.tail else child.tail
                continue
            child.text = typograph(child.text) if child.text else child.text
            self._walk(child)
            child.tail = typograph(child.tail) if child.tail else child.tail


class TypographyExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After smarty (6) has made the quotes, before the stash is unescaped.
        md.treeprocessors.register(_TypographyProcessor(md), "ru_typography", 4)


def _heading_id(value: str, separator: str) -> str:
    return slugify(value) or "section"


@dataclass(frozen=True)
class MarkdownOptions:
    allow_raw_html: bool = False
    footnote_prefix: str = ""


def make_markdown(options: MarkdownOptions = MarkdownOptions()) -> markdown.Markdown:
    md = markdown.Markdown(
        extensions=["tables", "footnotes", "attr_list", "toc", "smarty", "sane_lists",
                    TypographyExtension()],
        extension_configs={
            "toc": {"slugify": _heading_id, "permalink": False},
            "smarty": {
                "smart_quotes": True, "smart_dashes": True, "smart_ellipses": True,
                "substitutions": {
                    "left-double-quote": "«", "right-double-quote": "»",
                    "left-single-quote": "„", "right-single-quote": "“",
                    "ndash": "–", "mdash": "—", "ellipsis": "…",
                },
            },
            "footnotes": {"BACKLINK_TITLE": "Вернуться к тексту", "SUPERSCRIPT_TEXT": "{}",
                          "SEPARATOR": "-"},
        },
        output_format="html",
    )
    if not options.allow_raw_html:
        # Raw HTML in content is shown as text: only what settings allow reaches the page.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
    return md


class Renderer:
    """One configured Markdown instance, reset between documents (building it is costly)."""

    def __init__(self, options: MarkdownOptions = MarkdownOptions()):
        self._md = make_markdown(options)

    def html(self, text: str, footnote_prefix: str = "") -> str:
        self._md.reset()
        html = self._md.convert(text)
        if footnote_prefix:
            # Unique footnote ids when several documents share one page (the printed issue).
            for kind in ("fn-", "fnref-"):
                html = html.replace(f'id="{kind}', f'id="{footnote_prefix}{kind}')
                html = html.replace(f'href="#{kind}', f'href="#{footnote_prefix}{kind}')
        return html
