"""Markdown → HTML with Russian typography.

Python-Markdown does the parsing (tables, footnotes, attribute lists). One tree processor
of ours then walks the text nodes once — never code, URLs or HTML attributes — and sets
the Russian typography (``typography.py``); it also gives headings their Latin anchors.
(Smarty and toc did the quotes and anchors before; both walk the whole tree again, which
doubled the cost of a page.) Texts in the plain part of Markdown that most of the
Assembly's texts keep to take the fast path of ``markup_fast`` instead, with the same
result byte for byte.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Callable

import markdown
from markdown import blockprocessors, inlinepatterns, util
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListTreeprocessor
from markdown.extensions.footnotes import (
    RE_REF_ID,
    FootnoteBlockProcessor,
    FootnoteExtension,
    FootnoteInlineProcessor,
)
from markdown.extensions.tables import TableProcessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor, UnescapeTreeprocessor

from .markup_fast import BACKLINK_TITLE, fast_html
from .sanitize import safe_url
from .translit import HeadingIds
from .typography import QuoteState, typograph

_SKIP_TAGS = {"code", "pre", "kbd", "samp", "script", "style", "math"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


# Attributes Markdown and {: attribute lists} may put on an element; anything else
# (event handlers, style, srcdoc...) could run script or cover the page, and is dropped.
_ALLOWED_ATTRIBUTES = {"id", "class", "title", "alt", "href", "src", "width", "height", "lang",
                       "colspan", "rowspan", "start", "type", "rel", "name", "loading"}
_TABLE_ALIGN = re.compile(r"^text-align: (left|right|center);?$")


def _sanitize_attributes(element: etree.Element) -> None:
    for name in list(element.attrib):
        value = element.attrib[name]
        lowered = name.lower()
        align = _TABLE_ALIGN.match(value) if lowered == "style" and element.tag in ("td", "th") else None
        if align:
            # Column alignment of Markdown tables, as a class: the site's Content-Security-Policy
            # allows no style attribute.
            del element.attrib[name]
            element.set("class", "align-" + align.group(1))
            continue
        if lowered not in _ALLOWED_ATTRIBUTES:
            del element.attrib[name]
        elif lowered in ("href", "src") and not safe_url(value):
            element.set(name, "#")


def _text_of(element: etree.Element) -> str:
    return "".join(element.itertext())


_QUOTE_BLOCKS = {"p", "li", "td", "th", "dd", "dt"}


class _TypographyProcessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        self._ids = HeadingIds()
        self._walk(root, None)

    def _heading_id(self, element: etree.Element) -> None:
        given = element.get("id")
        if given:                      # an id given with {#...} by the editor wins
            self._ids.take(given)
            return
        element.set("id", self._ids.of(_text_of(element)))

    def _walk(self, element: etree.Element, quotes: QuoteState | None) -> None:
        for child in element:
            tag = child.tag
            if child.attrib:
                _sanitize_attributes(child)
            if tag in _SKIP_TAGS:
                if quotes is not None:
                    quotes.previous = "x"
            else:
                # Paragraphs, headings, cells and items each start a fresh quote state.
                block = quotes if quotes is not None and tag not in _QUOTE_BLOCKS else QuoteState()
                text = child.text
                if text:
                    if text.isspace():          # half the nodes: line breaks between blocks
                        block.previous = text[-1]
                    else:
                        child.text = typograph(block.apply(text))
                if len(child):
                    self._walk(child, block)
                if tag in _HEADINGS:
                    self._heading_id(child)
            tail = child.tail
            if tail:
                if tail.isspace():
                    if quotes is not None:
                        quotes.previous = tail[-1]
                else:
                    child.tail = typograph((quotes if quotes is not None else QuoteState()).apply(tail))


class TypographyExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After inline parsing (20), before the stash of raw HTML is put back.
        md.treeprocessors.register(_TypographyProcessor(md), "ru_typography", 4)


class _LinearFootnotes(FootnoteExtension):
    """Python-Markdown's footnotes, with the three steps that cost as much as the whole text
    for every reference (10,000 references took 40 s) done in constant time, same output.
    """

    def reset(self) -> None:
        super().reset()
        self._referenced: set[str] = set()
        self._last_ref: dict[str, str] = {}
        self._numbers: dict[str, int] = {}

    def addFootnoteRef(self, id: str) -> None:
        if id not in self._referenced:          # the stock one searches the list
            self._referenced.add(id)
            self.footnote_order.append(id)

    def unique_ref(self, reference: str, found: bool = False) -> str:
        """The stock rule (fnref-1, fnref2-1, fnref3-1...), resumed from the last id given for
        the same reference rather than counted up from the first: ids are only ever added,
        so the ones before it are still taken."""
        if not found:
            return reference
        original, separator = reference, self.get_separator()
        reference = self._last_ref.get(original, original)
        while reference in self.used_refs:
            ref, rest = reference.split(separator, 1)
            numbered = RE_REF_ID.match(ref)
            reference = (f"{numbered.group(1)}{int(numbered.group(2)) + 1}{separator}{rest}" if numbered
                         else f"{ref}2{separator}{rest}")
        self.used_refs.add(reference)
        self.found_refs[original] = self.found_refs.get(original, 0) + 1
        self._last_ref[original] = reference
        return reference

    def number(self, id: str) -> int:
        """1-based position of a footnote among the definitions (their order never changes)."""
        if len(self._numbers) != len(self.footnotes):
            self._numbers = {key: index for index, key in enumerate(self.footnotes, start=1)}
        return self._numbers[id]

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        super().extendMarkdown(md)
        md.inlinePatterns.register(_FootnoteReference(r"\[\^([^\]]*)\]", self), "footnote", 175)


class _FootnoteReference(FootnoteInlineProcessor):
    footnotes: _LinearFootnotes

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element | None, int | None, int | None]:
        id = m.group(1)
        if id not in self.footnotes.footnotes:
            return None, None, None
        self.footnotes.addFootnoteRef(id)
        sup = etree.Element("sup")
        a = etree.SubElement(sup, "a")
        sup.set("id", self.footnotes.makeFootnoteRefId(id, found=True))
        a.set("href", "#" + self.footnotes.makeFootnoteId(id))
        a.set("class", "footnote-ref")
        a.text = self.footnotes.getConfig("SUPERSCRIPT_TEXT").format(self.footnotes.number(id))
        return sup, m.start(0), m.end(0)


# Python-Markdown reads a link's text, its (target "title") and its [reference] character by
# character from every `[` to the end of the paragraph when they are not closed: 20,000 `[`
# took 49 s. Here each is looked for in the next LINK_SCAN characters only (the text by
# jumping from bracket to bracket): a longer link text, address or title is no link, and
# is shown as typed; limits.py bounds the brackets of a file, so a file costs at most
# that many scans.
LINK_SCAN = 2048
_BRACKET = re.compile(r"[\[\]]")
_REFERENCE_ID = re.compile(rf"\s?\[([^\]]{{0,{LINK_SCAN}}})\]", re.DOTALL | re.UNICODE)


def _link_text(data: str, index: int) -> tuple[str, int, bool]:
    """``LinkInlineProcessor.getText``: the text up to the `]` that closes the `[` before ``index``."""
    depth = 1
    for bracket in _BRACKET.finditer(data, index, index + LINK_SCAN):
        depth += 1 if bracket.group() == "[" else -1
        if depth == 0:
            return data[index:bracket.start()], bracket.end(), True
    return "", index, False         # (the stock one returns the rest of the text: unused)


def _bounded_link_target(get_link: Callable[[str, int], tuple[str, str | None, int, bool]]
                         ) -> Callable[[str, int], tuple[str, str | None, int, bool]]:
    def link_target(data: str, index: int) -> tuple[str, str | None, int, bool]:
        if len(data) - index <= LINK_SCAN:
            return get_link(data, index)
        href, title, end, handled = get_link(data[index:index + LINK_SCAN], 0)
        # (-1: Python-Markdown's answer for a title never closed, meaningful only whole.)
        if not handled or end < 0:
            return "", None, index, False
        return href, title, index + end, True
    return link_target


def _bound_link_patterns(md: markdown.Markdown) -> None:
    for pattern in md.inlinePatterns:
        if isinstance(pattern, inlinepatterns.LinkInlineProcessor):
            pattern.getText = _link_text
            pattern.getLink = _bounded_link_target(pattern.getLink)
        if isinstance(pattern, inlinepatterns.ReferenceInlineProcessor):
            pattern.RE_LINK = _REFERENCE_ID


# Text that every match of an inline pattern contains: a pattern whose text is absent from
# a run of text cannot match there, so it is not tried. Python-Markdown otherwise runs every
# pattern's regex over every text node, which was a third of the time of a plain Russian
# paragraph. Keyed by name and class, so a pattern an extension replaces is always tried.
_INLINE_TRIGGERS: dict[tuple[str, type], tuple[str, ...]] = {
    ("backtick", inlinepatterns.BacktickInlineProcessor): ("`",),
    ("escape", inlinepatterns.EscapeInlineProcessor): ("\\",),
    ("footnote", _FootnoteReference): ("[^",),
    ("reference", inlinepatterns.ReferenceInlineProcessor): ("[",),
    ("link", inlinepatterns.LinkInlineProcessor): ("[",),
    ("image_link", inlinepatterns.ImageInlineProcessor): ("![",),
    ("image_reference", inlinepatterns.ImageReferenceInlineProcessor): ("![",),
    ("short_reference", inlinepatterns.ShortReferenceInlineProcessor): ("[",),
    ("short_image_ref", inlinepatterns.ShortImageReferenceInlineProcessor): ("![",),
    ("autolink", inlinepatterns.AutolinkInlineProcessor): ("<",),
    ("automail", inlinepatterns.AutomailInlineProcessor): ("<",),
    ("linebreak", inlinepatterns.SubstituteTagInlineProcessor): ("  \n",),
    ("html", inlinepatterns.HtmlInlineProcessor): ("<",),
    ("entity", inlinepatterns.HtmlInlineProcessor): ("&",),
    ("em_strong", inlinepatterns.DelimiterProcessor): ("*", "_"),
}


# The same for block processors: a block without any of these can be no table, heading,
# rule, quote, footnote or link definition (most blocks are plain paragraphs).
_BLOCK_TRIGGERS: dict[tuple[str, type], tuple[str, ...]] = {
    ("table", TableProcessor): ("|",),
    ("hashheader", blockprocessors.HashHeaderProcessor): ("#",),
    ("setextheader", blockprocessors.SetextHeaderProcessor): ("\n=", "\n-"),
    ("quote", blockprocessors.BlockQuoteProcessor): (">",),
    ("footnote", FootnoteBlockProcessor): ("[^",),
    ("reference", blockprocessors.ReferenceProcessor): ("]:",),
}
# A rule is a line of its own that starts with -, _ or * after at most three spaces. Hyphens
# and dashes are in nearly every Russian paragraph, and Python-Markdown's search for a rule
# tries every character of the block; line starts are few.
_RULE_MARKS = ("-", "_", "*")
_RULE_LINE = re.compile(r"\n {0,3}[-_*]")


def _may_be_rule(block: str) -> bool:
    return block.lstrip(" ").startswith(_RULE_MARKS) or _RULE_LINE.search(block) is not None


def _trigger_block_tests(md: markdown.Markdown) -> None:
    for item in md.parser.blockprocessors._priority:
        processor = md.parser.blockprocessors[item.name]
        stock = processor.test
        needed = _BLOCK_TRIGGERS.get((item.name, type(processor)))
        test: Callable[[etree.Element, str], bool]
        if (item.name, type(processor)) == ("hr", blockprocessors.HRProcessor):
            def test(parent: etree.Element, block: str, stock=stock) -> bool:
                return _may_be_rule(block) and stock(parent, block)
        elif needed is None:
            continue
        elif len(needed) == 1:          # (asked of every block: no generator for one string)
            def test(parent: etree.Element, block: str, stock=stock, text=needed[0]) -> bool:
                return text in block and stock(parent, block)
        else:
            def test(parent: etree.Element, block: str, stock=stock, needed=needed) -> bool:
                return any(text in block for text in needed) and stock(parent, block)
        processor.test = test


class _TriggeredInlineProcessor(InlineProcessor):
    """Python-Markdown's inline step, trying only the patterns whose text occurs in a run.

    The same loop as ``InlineProcessor.__handleInline`` (a pattern that does not match
    moves on to the next one from the start of the text), with the hopeless ones skipped:
    the result is identical, which a test checks on every sample document.
    """

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        self._patterns = list(self.inlinePatterns)           # in priority order
        names = [item.name for item in self.inlinePatterns._priority]
        self._triggers = [_INLINE_TRIGGERS.get((name, type(pattern)))
                          for name, pattern in zip(names, self._patterns, strict=True)]
        # Most runs of text contain no trigger at all: one search tells, when every pattern has one.
        self._any_trigger = None
        if all(self._triggers):
            every = {text for needed in self._triggers if needed for text in needed}
            self._any_trigger = re.compile("|".join(map(re.escape, sorted(every))))
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, util.AtomicString):
            return data
        if self._any_trigger is not None and not self._any_trigger.search(data):
            return data
        patterns, triggers = self._patterns, self._triggers
        apply = self._InlineProcessor__applyPattern
        start = 0
        while patternIndex < len(patterns):
            needed = triggers[patternIndex]
            if needed is not None and not any(text in data for text in needed):
                patternIndex, start = patternIndex + 1, 0
                continue
            data, matched, start = apply(patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


def _source_has(md: markdown.Markdown, text: str) -> bool:
    return any(text in line for line in md.lines)


# Two Python-Markdown steps look at every element of every document: attr_list for a `{`,
# unescape for the placeholders of backslash escapes. Without the character in the source
# there is nothing for them to find, and most documents have neither.
class _AttrListWhereBraces(AttrListTreeprocessor):
    def run(self, doc: etree.Element) -> None:
        if _source_has(self.md, "{"):
            super().run(doc)


class _UnescapeWhereBackslashes(UnescapeTreeprocessor):
    def run(self, root: etree.Element) -> None:
        if _source_has(self.md, "\\"):
            super().run(root)


@dataclass(frozen=True)
class MarkdownOptions:
    allow_raw_html: bool = False


def make_markdown(options: MarkdownOptions = MarkdownOptions()) -> markdown.Markdown:
    md = markdown.Markdown(
        extensions=["tables", _LinearFootnotes(BACKLINK_TITLE=BACKLINK_TITLE, SUPERSCRIPT_TEXT="{}",
                                               SEPARATOR="-"),
                    "attr_list", "sane_lists", TypographyExtension()],
        output_format="html",
    )
    if not options.allow_raw_html:
        # Raw HTML in content is shown as text: only what settings allow reaches the page.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_TriggeredInlineProcessor(md), "inline", 20)
    _bound_link_patterns(md)
    md.treeprocessors.register(_AttrListWhereBraces(md), "attr_list", 8)
    md.treeprocessors.register(_UnescapeWhereBackslashes(md), "unescape", 0)
    _trigger_block_tests(md)
    # Asked for every element by several steps; the list it searches is fixed by now.
    block_level = frozenset(md.block_level_elements)
    md.is_block_level = lambda tag: isinstance(tag, str) and tag.lower().rstrip("/") in block_level
    return md


class Renderer:
    """One configured Markdown instance, reset between documents (building it is costly)."""

    def __init__(self, options: MarkdownOptions = MarkdownOptions()):
        self._md = make_markdown(options)
        # Raw HTML, when editors may write it, is still reduced to an allow-list.
        self._clean: Callable[[str], str] | None = None
        if options.allow_raw_html:
            from .sanitize import clean_raw_html
            self._clean = clean_raw_html

    def html(self, text: str, footnote_prefix: str = "") -> str:
        html = fast_html(text)
        if html is None:
            self._md.reset()
            html = self._md.convert(text)
        if self._clean is not None:
            html = self._clean(html)
        if footnote_prefix:
            # Unique footnote ids when several documents share one page (the printed issue).
            for kind in ("fn-", "fnref-"):
                html = html.replace(f'id="{kind}', f'id="{footnote_prefix}{kind}')
                html = html.replace(f'href="#{kind}', f'href="#{footnote_prefix}{kind}')
        return html
