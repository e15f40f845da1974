"""Absolute links for everything read outside the site: feeds and the e-mail edition.

A feed reader or a mail client has no page address to resolve ``/events/`` or ``#fn-1``
against, so every ``href`` and ``src`` in rendered HTML is made absolute from the page's
own address on the site (``base_url`` + the page path).
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

# Python-Markdown and our templates escape ``<``, ``>`` and ``"`` inside attribute values
# and ``<`` in text, so every ``<...>`` in their output is a real tag.
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_LINK_ATTRIBUTE = re.compile(r"""(\s(?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def absolute_url(base_url: str, path: str) -> str:
    """``/bulletins/1/`` → ``https://e-gorod.ru/bulletins/1/``; full addresses stay as they are."""
    if _HAS_SCHEME.match(path):
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def absolute_link(base_url: str, page_url: str, href: str) -> str:
    """Resolve a link found on the page at ``page_url`` (itself absolute).

    Site paths (``/events/``) are paths of the site, so they are joined to ``base_url``,
    which may itself have a path; anchors and relative links resolve against the page.
    """
    href = href.strip()
    if not href:
        return page_url
    if _HAS_SCHEME.match(href) or href.startswith("//"):   # mailto:, tel:, https: — complete
        return href
    if href.startswith("/"):
        return absolute_url(base_url, href)
    return urljoin(page_url, href)


def absolutize_html(html: str, base_url: str, page_url: str) -> str:
    """Every ``href``/``src`` in ``html`` made absolute (see ``absolute_link``)."""
    def fix_attribute(match: re.Match) -> str:
        value = match.group(2) if match.group(2) is not None else match.group(3)
        return f'{match.group(1)}"{absolute_link(base_url, page_url, value).replace(chr(34), "&quot;")}"'

    return _TAG.sub(lambda tag: _LINK_ATTRIBUTE.sub(fix_attribute, tag.group(0)), html)
