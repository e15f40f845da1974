"""What one content file may cost: sizes, nesting and characters, checked before parsing.

Every stage after this one (YAML, Python-Markdown, the feeds, the PDFs) costs time and
memory that grow with the size and, worse, with the nesting of what it reads: Markdown
recurses once per level of lists, quotes and emphasis, and XML cannot carry control
characters at all. So ``check`` and ``build`` refuse, with the line to look at, anything
past limits that no real text comes near (the largest sample file is 12 KB, its longest
line 1,300 characters, its deepest list three levels). Each function here is one linear
pass over the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .i18n import _

MAX_FILE_BYTES = 512 * 1024
MAX_FRONT_MATTER_BYTES = 16 * 1024
MAX_LINE_CHARACTERS = 10_000
MAX_YAML_DEPTH = 8            # front matter uses two levels (contest:, coordinates:)
MAX_YAML_NUMBER_CHARACTERS = 64
MAX_BLOCK_DEPTH = 16          # lists and block quotes inside one another
MAX_EMPHASIS_OPEN = 32        # markers of *emphasis* and **strong** open at once
MAX_LINKS_PER_BLOCK = 250     # `[` in one paragraph, list or table (see markup.py)
MAX_LINKS_PER_FILE = 2_000    # `[` in one file: each costs at most markup.LINK_SCAN steps


@dataclass(frozen=True)
class Excess:
    """One limit passed: the 1-based line of the file and what to do about it."""
    line: int
    message: str


# C0 controls other than tab and newline, and the two non-characters: XML (feeds, the
# print HTML) cannot carry them, and no editor means to type them. A carriage return
# alone (not before a newline) is an old Mac line end: refused too, to keep lines countable.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def forbidden_character(text: str) -> tuple[int, str] | None:
    """(offset, character) of the first character no output format can carry, or None."""
    found = _FORBIDDEN.search(text)
    return (found.start(), found.group()) if found else None


def character_message(character: str) -> str:
    return _("contains the invisible character U+{code:04X} (pasted from a word processor?), which feeds and "
             "pages cannot carry; delete it").format(code=ord(character))


def file_excess(size: int) -> Excess | None:
    if size > MAX_FILE_BYTES:
        return Excess(1, _("the file is {size:,} bytes, more than the limit of {limit:,}; split it into several")
                      .format(size=size, limit=MAX_FILE_BYTES))
    return None


def front_matter_excess(size: int) -> Excess | None:
    if size > MAX_FRONT_MATTER_BYTES:
        return Excess(1, _("the front matter is {size:,} bytes, more than the limit of {limit:,}; move long texts "
                           "into the body").format(size=size, limit=MAX_FRONT_MATTER_BYTES))
    return None


def text_excesses(text: str, first_line: int = 1) -> list[Excess]:
    """Forbidden characters and overlong lines of a whole file (its first line is ``first_line``)."""
    found = []
    forbidden = forbidden_character(text)
    if forbidden is not None:
        offset, character = forbidden
        found.append(Excess(first_line + text.count("\n", 0, offset), character_message(character)))
    if len(text) <= MAX_LINE_CHARACTERS:
        return found
    lines = text.split("\n")
    if max(map(len, lines)) <= MAX_LINE_CHARACTERS:
        return found                    # (most files: no line is looked at one by one)
    for number, line in enumerate(lines, start=first_line):
        if len(line) > MAX_LINE_CHARACTERS:
            found.append(Excess(number, _("the line is {length:,} characters long, more than the limit of "
                                          "{limit:,}; break it into paragraphs").format(
                                              length=len(line), limit=MAX_LINE_CHARACTERS)))
            break                       # one is enough to act on
    return found


# The nesting a line opens: indentation (four columns a level, as Python-Markdown counts),
# `>` of block quotes and list markers, all before the first word.
_PREFIX = re.compile(r"(?:[ \t]|>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))*")
_MARKER = re.compile(r">|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])")


def _block_depth(line: str) -> int:
    prefix = _PREFIX.match(line)
    if prefix is None or not prefix.group():
        return 0
    text = prefix.group()
    columns = len(text.expandtabs(4)) - len(text.lstrip(" \t").expandtabs(4))
    return columns // 4 + len(_MARKER.findall(text))


# A run of emphasis markers opens when a word follows it and closes when a word precedes
# it (CommonMark's flanking rule, simplified): `*a *b* c*` nests two deep. A run between
# two words (snake_case) or two spaces (2 * 3) neither opens nor closes.
_EMPHASIS_RUN = re.compile(r"(?<=(.))?([*_]+)(?=(.))?", re.DOTALL)


def _emphasis_depth(block: str) -> int:
    depth = deepest = 0
    for match in _EMPHASIS_RUN.finditer(block):
        before, run, after = match.group(1) or " ", match.group(2), match.group(3) or " "
        opens, closes = not after.isspace(), not before.isspace()
        if opens and not closes:
            depth += len(run)
            deepest = max(deepest, depth)
        elif closes and not opens:
            depth = max(0, depth - len(run))
    return deepest


# A line nested deeper than MAX_BLOCK_DEPTH opens with more than that many characters of
# indentation and markers (each counts at most one level).
_DEEP_PREFIX = re.compile(rf"^[ \t>*+\-0-9.)]{{{MAX_BLOCK_DEPTH + 1}}}", re.MULTILINE)


def _within_limits_at_a_glance(body: str) -> bool:
    """True when no limit of ``body_excesses`` can be passed: too few brackets for one block,
    no emphasis markers, no line that opens deep enough (most texts; the rest are counted)."""
    return (body.count("[") <= MAX_LINKS_PER_BLOCK and "*" not in body and "_" not in body
            and _DEEP_PREFIX.search(body) is None)


def body_excesses(body: str, body_line: int) -> list[Excess]:
    """Markdown nested deeper, or with more link brackets in one block, than the limits.

    Blocks are the runs of lines between blank lines: Python-Markdown parses each one's
    inline text as a whole, so that is where emphasis and brackets add up.
    """
    if _within_limits_at_a_glance(body):
        return []
    return _counted_body_excesses(body, body_line)


def _counted_body_excesses(body: str, body_line: int) -> list[Excess]:
    found: list[Excess] = []
    block_start, block_lines = body_line, list[str]()
    for number, line in enumerate([*body.split("\n"), ""], start=body_line):
        if line.strip():
            if not block_lines:
                block_start = number
            block_lines.append(line)
            depth = _block_depth(line)
            if depth > MAX_BLOCK_DEPTH:
                found.append(Excess(number, _("lists and quotes are nested {depth} levels deep here, more than "
                                              "the limit of {limit}").format(depth=depth, limit=MAX_BLOCK_DEPTH)))
            continue
        if block_lines:
            found += _block_excesses("\n".join(block_lines), block_start)
            block_lines = []
    brackets = _brackets(body)
    if brackets > MAX_LINKS_PER_FILE:
        found.append(Excess(body_line, _("the text has {brackets:,} square brackets `[`, more than the limit of "
                                         "{limit:,} links or notes in one file; split it").format(
                                             brackets=brackets, limit=MAX_LINKS_PER_FILE)))
    return found[:10]               # the first few are enough to act on


def source_excesses(text: str, front_matter: str, body: str, body_line: int) -> list[Excess]:
    """Everything this module limits in one content file, split into front matter and body."""
    found = [excess for excess in (front_matter_excess(len(front_matter.encode("utf-8"))),) if excess]
    return found + text_excesses(text) + body_excesses(body, body_line)


# A footnote or link definition (`[^1]: ...`, `[id]: url`) is taken apart line by line,
# never scanned as inline text: a Vestnik article may well define hundreds of notes.
_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]*\]:", re.MULTILINE)


def _brackets(text: str) -> int:
    """The `[` that Python-Markdown's inline links and notes scan from."""
    return text.count("[") - len(_DEFINITION.findall(text)) if "[" in text else 0


def _block_excesses(block: str, line: int) -> list[Excess]:
    found = []
    if "*" in block or "_" in block:
        depth = _emphasis_depth(block)
        if depth > MAX_EMPHASIS_OPEN:
            found.append(Excess(line, _("this paragraph has {depth} emphasis markers (* or _) open at once, more "
                                        "than the limit of {limit}; close them").format(
                                            depth=depth, limit=MAX_EMPHASIS_OPEN)))
    brackets = _brackets(block)
    if brackets > MAX_LINKS_PER_BLOCK:
        found.append(Excess(line, _("this paragraph has {brackets:,} square brackets `[`, more than the limit of "
                                    "{limit} links or notes in one paragraph; separate paragraphs with a blank "
                                    "line").format(brackets=brackets, limit=MAX_LINKS_PER_BLOCK)))

    return found
