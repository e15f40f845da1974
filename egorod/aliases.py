"""``aliases:`` in front matter: the old addresses of a page, checked as they are read.

They end up in the web server's configuration (``redirects.py``), so only characters that need
no quoting there pass: letters, digits and ``. - _ ~ / + , : @ ! ( )``.
"""
from __future__ import annotations

import re
from typing import Any

from .i18n import _
from .schema import Invalid, text

_ALIAS = re.compile(r"^/[\w./~+,:@!()-]*$")


def alias(value: Any) -> str:
    raw = text(value)
    if "?" in raw or "#" in raw:
        raise Invalid(_("{alias!r}: an old address is the path alone, without ?query or #fragment")
                      .format(alias=raw))
    if not _ALIAS.match(raw) or "/../" in raw + "/" or "/./" in raw + "/" or "//" in raw:
        raise Invalid(_("{alias!r} must be a site path starting with /, e.g. /old/practices/metro.html "
                        "(letters, digits and . - _ ~ / only)").format(alias=raw))
    return raw
