"""Reading one content file: bytes → front matter, body and where each key and link is.

A file that cannot be read (not UTF-8, no front matter, broken YAML) is reported as a
problem of that file, never a traceback.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter

from .. import limits, yamlsrc
from ..errors import Problems
from ..i18n import _
from .records import CONTENT_DIR, Source

# --- reading one file -------------------------------------------------------------------

@dataclass(frozen=True)
class Parsed:
    source: Source
    data: dict[str, Any]
    located: yamlsrc.Located
    body: str
    front_matter: str         # the YAML text; its line N is line N of the file


# Inline links and images `[text](target "title")`, and reference definitions `[id]: target`.
# (The inline pattern starts at the bracket, which the regex engine can scan for quickly;
# whether a `!` makes it an image is looked up just before the match.)
_INLINE_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]+)")
# (Reference definitions are searched for from a newline, put in front of the body too.)
_REFERENCE_LINK = re.compile(r"\n {0,3}\[(?!\^)[^\]]+\]:\s*<?(\S+?)>?(?=\s|$)")
_CODE = re.compile(r"^(```|~~~).*?^\1|`[^`\n]+`", re.MULTILINE | re.DOTALL)


def body_links(body: str, body_line: int) -> tuple[tuple[str, int, bool], ...]:
    """Targets of the links in a Markdown body with their lines (code spans left out)."""
    if "](" not in body and "]:" not in body:
        return ()
    plain = body
    if "`" in body or "~~~" in body:
        plain = _CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), body)
    matches = [(match.start(1), match.group(1), plain[match.start() - 1:match.start()] == "!")
               for match in _INLINE_LINK.finditer(plain)]
    if "]:" in plain:
        matches += [(match.start(1) - 1, match.group(1), False)
                    for match in _REFERENCE_LINK.finditer("\n" + plain)]
        matches.sort()
    found = []
    line, counted = body_line, 0
    for start, target, image in matches:     # lines counted once over the body, in order
        line += plain.count("\n", counted, start)
        counted = start
        found.append((target, line, image))
    return tuple(found)


# An inline image with its alt text, its target and title, and the attribute list that may
# follow it: `![alt](a.jpg "Caption. Photo: author, licence"){.decorative}`.
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(([^)\n]*)\)(\{[^}\n]*\})?")
_PHOTOGRAPH = re.compile(r"^\s*<?[^\s>]+\.jpe?g>?", re.IGNORECASE)
_TITLED = re.compile(r"""\s["'(]\S""")


def _plain_body(body: str) -> str:
    """The body with code blocks and spans blanked out (lines kept)."""
    if "`" not in body and "~~~" not in body:
        return body
    return _CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), body)


def images_without_alt(body: str, body_line: int) -> list[int]:
    """Lines of the images that have no alt text and are not marked ``{.decorative}``: a reader
    who does not see the picture must learn what it shows (code spans left out)."""
    if "![" not in body:
        return []
    plain = _plain_body(body)
    return [body_line + plain.count("\n", 0, match.start()) for match in _IMAGE.finditer(plain)
            if not match.group(1).strip() and ".decorative" not in (match.group(3) or "")]


def photographs_without_caption(body: str, body_line: int) -> list[int]:
    """Lines of the JPEG photographs that have no title, which the site shows as their caption
    and credit line (the Vestnik names every photograph's author and licence)."""
    if "![" not in body:
        return []
    plain = _plain_body(body)
    return [body_line + plain.count("\n", 0, match.start()) for match in _IMAGE.finditer(plain)
            if _PHOTOGRAPH.match(match.group(2)) and not _TITLED.search(match.group(2))
            and ".decorative" not in (match.group(3) or "")]


def read_source(root: Path, path: Path, problems: Problems) -> Parsed | None:
    """Split a file into front matter and body; problems of the file itself are reported."""
    rel = path.relative_to(root).as_posix()
    if path.is_symlink():
        # A link could publish any file of the machine that builds the site.
        problems.add(rel, 0, "-", _("is a symbolic link; put the file itself into content/"))
        return None
    try:
        oversized = limits.file_excess(path.stat().st_size)    # not read into memory at all
        if oversized is not None:
            problems.add(rel, oversized.line, "-", oversized.message)
            return None
        raw = path.read_bytes()
    except OSError as error:
        problems.add(rel, 0, "-", _("cannot be read ({reason}); check the file's permissions").format(
            reason=error.strerror))
        return None
    try:
        text_ = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(rel, line, "-", _("the file is not UTF-8 text; save it with the UTF-8 encoding"))
        return None
    text_ = text_.lstrip("\ufeff").replace("\r\n", "\n")
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text_):
        problems.add(rel, 1, "-", _("no front matter: the file must start with a line `---`, "
                                    "then `key: value` lines, then a closing `---`"))
        return None
    try:
        fm_text, body = handler.split(text_)
    except ValueError:
        problems.add(rel, 1, "-", _("the front matter is not closed: add a line `---` after the last key"))
        return None
    body_line = fm_text.count("\n") + 2
    body = body[1:] if body.startswith("\n") else body
    excesses = limits.source_excesses(text_, fm_text, body, body_line)
    for excess in excesses:
        problems.add(rel, excess.line, "-", excess.message)
    if excesses:
        return None
    try:
        # The split keeps the newline after the opening `---`, so YAML line N is file line N.
        located = yamlsrc.load(fm_text, line_offset=0)
    except yamlsrc.YamlError as exc:
        problems.add(rel, exc.line, "-", exc.message)
        return None
    if not isinstance(located.data, dict):
        problems.add(rel, 2, "-", _("the front matter must be `key: value` lines"))
        return None
    for key, line, first in located.duplicates:
        problems.add(rel, line, key, _("is given twice (also on line {first}); keep one").format(first=first))
    for line in images_without_alt(body, body_line):
        problems.add(rel, line, "image", _("alt text missing: describe the picture in ![…](…), "
                                           "or mark it {{.decorative}} when it only adorns the text").format())
    source = Source(rel, located.lines, body_line, hashlib.sha1(raw).hexdigest(),
                    hashlib.sha1(fm_text.encode("utf-8")).hexdigest(), body_links(body, body_line))
    return Parsed(source, located.data, located, body, fm_text)


def markdown_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    # The directory listing says which entries are files: no stat of each of thousands.
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries if entry.name.endswith(".md") and entry.is_file())
    return [folder / name for name in names]


def body_of(data: bytes) -> str:
    """The Markdown body of a file, exactly as ``read_source`` cuts it."""
    text_ = data.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    body = frontmatter.YAMLHandler().split(text_)[1]
    return body[1:] if body.startswith("\n") else body


ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif"}


def content_assets(root: Path) -> list[tuple[str, Path]]:
    """Images kept beside the Markdown (covers, figures), published at the same place:
    ``content/vestnik/77/plan.png`` → ``vestnik/77/plan.png``."""
    base = root / CONTENT_DIR
    real_base = base.resolve()
    found = []
    # Only image names are looked at closely: content/ holds thousands of Markdown files.
    for folder, _subfolders, names in os.walk(base):
        for name in names:
            if os.path.splitext(name)[1].lower() in ASSET_SUFFIXES and not name.startswith("."):
                path = Path(folder, name)
                # Never a symbolic link, nor anything outside content/: a link could publish any file.
                if path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(real_base):
                    found.append((path.relative_to(base).as_posix(), path))
    return sorted(found)
