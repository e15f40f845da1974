"""The one rule for the names of files and folders the build reads and publishes.

A name with a control character (C0, DEL, C1) or a Unicode line or paragraph separator
cannot be published safely: in a list of files, in a log line or in a feed it splits one
path into two, and the second can be anything, an absolute path included.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import Problem
from .i18n import _

_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def forbidden_character(path: str) -> str | None:
    """The first character of ``path`` that no published name may contain, or None."""
    found = _FORBIDDEN.search(path)
    return found.group() if found else None


def shown(path: str) -> str:
    """``path`` printable on one line: each forbidden character written as \\uXXXX."""
    return _FORBIDDEN.sub(lambda found: f"\\u{ord(found.group()):04x}", path)


def name_problem(relative: str) -> Problem | None:
    """A ``path`` problem when the repository-relative ``relative`` breaks the rule."""
    character = forbidden_character(relative)
    if character is None:
        return None
    return Problem(shown(relative), 0, "path",
                   _("the name contains the control or line-separator character U+{code:04X}; rename the file "
                     "or folder without it").format(code=ord(character)))


def name_problems(folder: Path, root: Path) -> list[Problem]:
    """Every file and folder under ``folder`` (links not followed) whose name breaks the rule;
    what a refused folder holds is not listed again."""
    found = []
    for parent, folders, files in os.walk(folder):
        refused = {name for name in (*folders, *files) if forbidden_character(name) is not None}
        for name in sorted(refused):
            problem = name_problem(Path(parent, name).relative_to(root).as_posix())
            if problem is not None:
                found.append(problem)
        folders[:] = [name for name in folders if name not in refused]
    return found
