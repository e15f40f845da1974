"""The fast path of ``markup.Renderer``: plain texts parsed by pulldown-cmark, written exactly as
Python-Markdown and our typography write them.

Most of the Assembly's texts use a small part of Markdown: paragraphs, headings, lists,
tables, quotes, links and footnotes. On those, Python-Markdown (pure Python: most of a cold
build's time) and pulldown-cmark (Rust, through ``pyromark``: its events for the same text
in a thirtieth of the time) read the same structure; they differ on the edges of the syntax
(a list right under a paragraph, indented continuation lines, emphasis inside words,
entities, raw HTML, loose lists...). ``plain_footnotes`` accepts only texts that keep away
from every such edge; those are written from pulldown-cmark's events by ``_Writer``, which
does what Python-Markdown's serializer and ``markup``'s tree processor do (typography per
text node with the same quote state, heading ids, footnotes, attribute order and escaping).
Every other text goes through Python-Markdown. ``tests/test_markup_fast.py`` checks that the
two give the same bytes on the sample site, on a benchmark corpus and on random documents
built from the constructs where the parsers part.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

import pyromark
from markdown.extensions.footnotes import FN_BACKLINK_TEXT, NBSP_PLACEHOLDER

from .sanitize import safe_url
from .translit import HeadingIds
from .typography import QuoteState, typograph

_OPTIONS = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_FOOTNOTES
# The title of a note's link back to the text; markup.make_markdown gives Python-Markdown the same.
BACKLINK_TITLE = "Вернуться к тексту"

# Characters the parsers read differently, or that the writer does not write: raw HTML and
# autolinks (<), attribute lists ({), escapes (\\), code (`), emphasis (* _ ~), tabs, carriage
# returns and other control characters. One search for all of them: most texts have none.
_UNSUPPORTED_CHARACTER = re.compile(r"[<{\\`_*~\x00-\x09\x0b-\x1f\x85\u2028\u2029]")
# What Python-Markdown's serializer takes for an entity and leaves unescaped (its own pattern,
# case-insensitive, so "&ſ;" counts: ſ folds to s).
_ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-f]+|[0-9a-z]+);", re.IGNORECASE)
# A link both read alike: [text](address) or [text](address "title"), the text without brackets
# (a link in a link's text: Python-Markdown takes the outer one, pulldown-cmark the inner) or line
# breaks, the address without quotes (Python-Markdown reads '...' in it as a title), the title
# not empty, without quotes or brackets, and without spaces at its ends or other than plain ones
# (Python-Markdown trims and normalizes those).
_SIMPLE_LINK = re.compile(r'\[[^\[\]\n]*\]\([^\s()"\'\[\]<>]+(?: "[^\s"\'\[\]](?:(?:[^\s"\'\[\]]| )*[^\s"\'\[\]])?")?\)')
# A note mark right before a link's ( or [: Python-Markdown reads the note first, pulldown-cmark the link.
_MARK_BEFORE_LINK = re.compile(r"\[\^[^\]\n]*\][(\[]")
_HEADING = re.compile(r"#{1,6} (?=[^#\s])[^#\n]*[^#\s]$")
_FOOTNOTE_DEFINITION = re.compile(r"\[\^([0-9A-Za-z-]+)\]: (.*)$")
_FOOTNOTE_MARK = re.compile(r"\[\^([^\]\n]*)\](:?)")
_TABLE_DELIMITER = re.compile(r"\|(?: ?:?-+:? ?\|)+$")
# A delimiter row without its leading pipe starts a table in both, or not, depending on more.
_BARE_DELIMITER = re.compile(r"^[^|\n][|: -]*\|[|: -]*$", re.MULTILINE)
_ORDERED = re.compile(r"[1-9][0-9]{0,8}\. ")
_NUMBERED = re.compile(r"\d+[.)]")
_HEADING_TAGS = {"H1": "h1", "H2": "h2", "H3": "h3", "H4": "h4", "H5": "h5", "H6": "h6"}
_ALIGN_CLASS = {"Left": ' class="align-left"', "Right": ' class="align-right"',
                "Center": ' class="align-center"', "None": ""}


_LIST_KINDS = ("bullet-", "bullet+", "ordered")


def _line_kind(line: str) -> str:
    first = line[0]
    if first == "#":
        return "heading"
    if first == ">":
        return "quote"
    if first == "|":
        return "table"
    if line.startswith(("- ", "+ ")):
        return "bullet" + first
    if first.isdigit() and _ORDERED.match(line):
        return "ordered"
    if first == "[" and line.startswith("[^") and "]:" in line:
        return "footnote"
    if first == "-" and not line.strip("-"):
        return "rule"
    return "text"


def _text_line_plain(line: str) -> bool:
    """A line of running text that no parser reads as the start of something else."""
    first = line[0]
    if first.isspace() or line[-1].isspace():
        # Indented blocks and continuations, trailing spaces (hard breaks); and Python-Markdown
        # strips every kind of space (a no-break space too) from the ends of a block.
        return False
    if first.isdigit():
        return _NUMBERED.match(line) is None    # other list numbers (in any script's digits)
    if line == "+":
        return False        # an empty list item for pulldown-cmark
    if first in "=-" and not line.replace(" ", "").strip(first):
        return False        # a setext underline, a rule of spaced dashes
    if first == "[" and "]:" in line:
        return False        # a link reference definition
    return True


def plain_footnotes(text: str) -> list[str] | None:
    """The labels of the text's footnotes in the order of their definitions, when both parsers
    read the text the same way; None otherwise (conservatively: None means Python-Markdown)."""
    if _UNSUPPORTED_CHARACTER.search(text) or "![" in text:
        return None
    if "&" in text and _ENTITY.search(text):
        return None
    if "](" in text and text.count("](") != len(_SIMPLE_LINK.findall(text)):
        return None
    if "[^" in text and _MARK_BEFORE_LINK.search(text):
        return None
    if "|" in text and _BARE_DELIMITER.search(text):
        return None
    lines = text.split("\n")
    if not _blocks_plain(lines):
        return None
    if "]:" in text and text.count("]:") != sum(1 for line in lines if _FOOTNOTE_DEFINITION.match(line)):
        return None         # a definition whose label spans lines, or one inside a paragraph
    return _footnote_labels(text)


def _blocks_plain(lines: list[str]) -> bool:
    previous = "blank"
    table_row = 0
    block_before_blank = "blank"
    header_columns = 0
    for line in lines:
        if not line:
            if previous not in ("blank", "footnote"):
                # (a note's definition leaves the flow: the blocks around it join)
                block_before_blank = previous
            if previous == "table" and table_row < 3:
                return False                # a table without rows
            previous = "blank"
            continue
        kind = _line_kind(line)
        if kind == "text":
            if previous not in ("blank", "text", "heading", "rule") or not _text_line_plain(line):
                return False                # a lazy continuation of a list, quote or table
            previous = kind
            continue
        if line[-1].isspace() or (previous not in ("blank", kind)):
            return False                    # a block right under another one
        if kind == "heading":
            if not _HEADING.match(line):
                return False
            previous = "heading"            # one line: anything may follow it
            continue
        if kind == "rule" and (previous != "blank" or len(line) < 3):
            return False
        if kind == "quote" and not (line.startswith("> ") and _line_kind(line[2:]) == "text"
                                    and _text_line_plain(line[2:])):
            return False
        if kind == "footnote":
            definition = _FOOTNOTE_DEFINITION.match(line)
            if (definition is None or not definition.group(2) or _line_kind(definition.group(2)) != "text"
                    or not _text_line_plain(definition.group(2))):
                return False
        if kind == "table":
            if not line.strip("|").strip():
                if len(line) < 3:
                    return False    # a lone pipe: a row of empty cells for Python-Markdown only
            table_row = table_row + 1 if previous == "table" else 1
            delimiter = _TABLE_DELIMITER.match(line) is not None
            if delimiter != (table_row == 2):
                return False    # the second row and only it is the delimiter row
            columns = line.strip("|").count("|") + 1
            if table_row == 1:
                header_columns = columns
            elif table_row == 2 and columns != header_columns:
                return False
        if previous == "blank" and ((kind == block_before_blank == "quote")
                                    or (kind in _LIST_KINDS and block_before_blank in _LIST_KINDS)):
            # Blank lines between items or quotes: Python-Markdown keeps one list (with <p>s
            # where pulldown-cmark's differ) or one quote (two quotes in pulldown-cmark).
            return False
        if kind in _LIST_KINDS:
            item = line[line.index(" ") + 1:]
            if not item or _line_kind(item) != "text" or not _text_line_plain(item):
                return False    # an item that starts with another block
        previous = kind
    return not (previous == "table" and table_row < 3)


def _footnote_labels(text: str) -> list[str] | None:
    if "[^" not in text:
        return []
    defined: list[str] = []
    referenced: set[str] = set()
    for mark in _FOOTNOTE_MARK.finditer(text):
        if mark.group(2) and (mark.start() == 0 or text[mark.start() - 1] == "\n"):
            defined.append(mark.group(1))
        elif mark.group(1) in referenced:
            return None             # a second reference: Python-Markdown numbers its backlinks
        else:
            referenced.add(mark.group(1))
    if len(set(defined)) != len(defined) or not referenced <= set(defined):
        return None
    return defined


def _escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attribute(text: str) -> str:
    return _escape_text(text).replace('"', "&quot;")


class _Unsupported(Exception):
    """An event the writer does not write (the text goes through Python-Markdown)."""


class _Writer:
    """pulldown-cmark events → the HTML Python-Markdown and ``markup`` write for them."""

    def __init__(self, footnotes: list[str]) -> None:
        self.out: list[Any] = []
        self.run: list[str] = []                # the text node being gathered
        self.quotes = QuoteState()
        self.heading: list[str] | None = None   # typeset text of the heading being written
        self.heading_at = 0
        self.ids = HeadingIds()
        self.alignments: tuple[str, ...] = ()
        self.cell = 0
        self.in_head = False
        self.numbers = {label: number for number, label in enumerate(footnotes, start=1)}
        self.footnotes: dict[str, list[Any]] = {label: [] for label in footnotes}
        self.footnote: str | None = None        # the label of the definition being written
        self.body: list[Any] = self.out

    def text_node(self, end: str = "") -> None:
        """Typeset the text gathered since the last element (the tree processor's unit)."""
        if not self.run and not end:
            return
        text = "".join(self.run) + end
        self.run = []
        if text.isspace():
            self.quotes.previous = text[-1]
        else:
            text = typograph(self.quotes.apply(text))
        if self.heading is not None:
            self.heading.append(text)
        self.out.append(_escape_text(text))

    def block(self, tag: str, attributes: str = "") -> None:
        self.quotes = QuoteState()
        self.out.append(f"<{tag}{attributes}>")

    def write(self, events: Iterable[Any]) -> str:
        for event in events:
            if type(event) is str:
                if event == "SoftBreak":
                    self.run.append("\n")
                elif event == "Rule":
                    self.out.append("<hr>\n")
                else:
                    raise _Unsupported(event)
                continue
            (name, value), = event.items()
            if name == "Text":
                self.run.append(value)
            elif name == "Start":
                self.start(value)
            elif name == "End":
                self.end(value)
            elif name == "FootnoteReference":
                self.text_node()
                number = str(self.numbers[value])
                self.out.append(f'<sup id="fnref-{value}"><a class="footnote-ref" href="#fn-{value}">'
                                f"{number}</a></sup>")
                self.quotes.apply(number)
                if self.heading is not None:
                    self.heading.append(number)
            else:
                raise _Unsupported(name)
        return self.finish()

    def start(self, value: Any) -> None:
        out = self.out
        if type(value) is str:
            if value == "Paragraph":
                self.block("p")
            elif value == "Item":
                self.block("li")
            elif value == "TableHead":
                self.in_head, self.cell = True, 0
                out.append("<thead>\n<tr>\n")
            elif value == "TableRow":
                self.cell = 0
                out.append("<tr>\n")
            elif value == "TableCell":
                align = self.alignments[self.cell] if self.cell < len(self.alignments) else "None"
                self.cell += 1
                self.block("th" if self.in_head else "td", _ALIGN_CLASS[align])
            else:
                raise _Unsupported(value)
            return
        (kind, detail), = value.items()
        if kind == "Heading":
            if detail["id"] is not None or detail["classes"] or detail["attrs"]:
                raise _Unsupported(kind)
            self.heading = []
            self.quotes = QuoteState()
            self.heading_at = len(out)
            out.append(_HEADING_TAGS[detail["level"]])     # the opening tag once the id is known
        elif kind == "Link":
            if detail["link_type"] != "Inline":
                raise _Unsupported(kind)
            self.text_node()
            href = detail["dest_url"] if safe_url(detail["dest_url"]) else "#"
            title = detail["title"]
            out.append(f'<a href="{_escape_attribute(href)}" title="{_escape_attribute(title)}">' if title
                       else f'<a href="{_escape_attribute(href)}">')
        elif kind == "List":
            out.append("<ul>\n" if detail is None else "<ol>\n" if detail == 1 else f'<ol start="{detail}">\n')
        elif kind == "BlockQuote" and detail is None:
            out.append("<blockquote>\n")
        elif kind == "Table":
            self.alignments = tuple(detail)
            out.append("<table>\n")
        elif kind == "FootnoteDefinition" and detail in self.footnotes and self.footnote is None:
            self.footnote = detail
            self.out = self.footnotes[detail]
        else:
            raise _Unsupported(kind)

    def end(self, value: Any) -> None:
        out = self.out
        if type(value) is str:
            if value == "Paragraph":
                if self.footnote is not None:
                    # Python-Markdown adds a placeholder for the no-break space to the raw
                    # text of the definition's paragraph: it ends its last text node.
                    self.text_node(NBSP_PLACEHOLDER)
                    label = self.footnote
                    out.append(f'<a class="footnote-backref" href="#fnref-{label}" title='
                               f'"{_escape_attribute(BACKLINK_TITLE.format(self.numbers[label]))}">'
                               f"{FN_BACKLINK_TEXT}</a>")
                else:
                    self.text_node()
                out.append("</p>\n")
            elif value == "Item":
                self.text_node()
                out.append("</li>\n")
            elif value == "TableHead":
                self.in_head = False
                out.append("</tr>\n</thead>\n<tbody>\n")
            elif value == "TableRow":
                out.append("</tr>\n")
            elif value == "TableCell":
                self.text_node()
                out.append("</th>\n" if self.in_head else "</td>\n")
            elif value == "Table":
                out.append("</tbody>\n</table>\n")
            elif value == "Link":
                self.text_node()
                out.append("</a>")
            elif value == "FootnoteDefinition":
                self.footnote = None
                self.out = self.body
            else:
                raise _Unsupported(value)
            return
        (kind, detail), = value.items()
        if kind == "Heading":
            self.text_node()
            assert self.heading is not None
            tag = out[self.heading_at]
            out[self.heading_at] = f'<{tag} id="{_escape_attribute(self.ids.of("".join(self.heading)))}">'
            out.append(f"</{tag}>\n")
            self.heading = None
        elif kind == "List":
            out.append("</ol>\n" if detail else "</ul>\n")
        elif kind == "BlockQuote":
            out.append("</blockquote>\n")
        else:
            raise _Unsupported(kind)

    def finish(self) -> str:
        if self.footnotes:
            self.out.append('<div class="footnote">\n<hr>\n<ol>\n')
            for label, definition in self.footnotes.items():
                self.out.append(f'<li id="fn-{label}">\n')
                self.out.extend(definition)
                self.out.append("</li>\n")
            self.out.append("</ol>\n</div>")
        html = "".join(self.out).strip()
        if self.footnotes:
            html = html.replace(NBSP_PLACEHOLDER, "&#160;").replace(FN_BACKLINK_TEXT, "&#8617;")
        return html


def fast_html(text: str) -> str | None:
    """The HTML ``markup.Renderer`` writes for ``text``, or None when the text is not plain."""
    footnotes = plain_footnotes(text)
    if footnotes is None:
        return None
    try:
        return _Writer(footnotes).write(pyromark.events(text, options=_OPTIONS))
    except _Unsupported:
        return None
