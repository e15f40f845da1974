"""Content that would become active in someone else's hands: SVG images, raw HTML and link
addresses.

An SVG in ``content/`` is published as it is and, opened on its own, runs its scripts on
the site's origin; so ``check`` and ``build`` refuse SVGs with anything active in them
(the line named), rather than publish a changed file. Raw HTML, when ``allow_raw_html``
lets editors write it, goes through nh3 (the Rust ``ammonia`` allow-list) with the tags
and attributes Markdown itself produces.
"""
from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import limits
from .i18n import _


@dataclass(frozen=True)
class Refusal:
    """One reason an SVG is not published, with its 1-based line."""
    line: int
    message: str


# Blanks and control characters, which browsers ignore in a URL's scheme.
_BLANKS = re.compile(r"[\x00-\x20\x7f]+")
# Addresses a link or picture in Markdown may have: web, mail and phone, and relative ones.
_SAFE_URL = re.compile(r"^(https?:|mailto:|tel:|/|#|\.{0,2}/|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)


def safe_url(value: str) -> bool:
    """Whether a link's address is one of ``_SAFE_URL`` (no javascript:, data: and the like)."""
    # Browsers decode entities and ignore blanks and control characters in a scheme:
    # "&#106;avascript:" and "java\tscript:" are both javascript:.
    plain = _BLANKS.sub("", html.unescape(value))
    return bool(_SAFE_URL.match(plain))


# Elements that run script, load other documents or embed HTML (which can do both).
_ACTIVE_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}
# Raster pictures embedded by drawing programs: they run nothing.
_EMBEDDED_PICTURE = re.compile(r"data:image/(?:png|jpeg|gif|webp)[;,]")


def _local(name: object) -> str:
    return str(name).rsplit("}", 1)[-1].lower()


def _attribute_refusal(name: str, value: str) -> str | None:
    plain = _BLANKS.sub("", value).lower()
    if name.startswith("on"):
        return _("the event handler attribute {name}= runs script; remove it").format(name=name)
    if name == "href" and not (plain.startswith("#") or _EMBEDDED_PICTURE.match(plain)):
        return _("the link {link!r} points outside the image; only #fragment links and embedded PNG, JPEG, GIF "
                 "or WebP pictures are allowed").format(link=value[:80])
    if "javascript:" in plain or "url(" in plain.replace("url(#", "") or "@import" in plain:
        return _("the attribute {name}= loads or runs something outside the image; remove it").format(name=name)
    return None


def svg_refusals(data: bytes) -> list[Refusal]:
    """Why an SVG file must not be published; empty when it is a plain picture."""
    from lxml import etree

    # No DTD, no entities, no network: nothing in the file is expanded or fetched.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        return [Refusal(error.lineno or 1, _("is not a well-formed SVG file ({reason})").format(reason=error.msg))]
    refusals = []
    if root.getroottree().docinfo.internalDTD is not None:
        refusals.append(Refusal(1, _("has a <!DOCTYPE> with declarations; remove it")))
    for element in root.iter():
        if not isinstance(element.tag, str):          # a processing instruction (xml-stylesheet)
            if isinstance(element, etree._ProcessingInstruction):
                refusals.append(Refusal(element.sourceline or 1, _("has a processing instruction; remove it")))
            continue
        tag = _local(element.tag)
        if tag in _ACTIVE_ELEMENTS:
            refusals.append(Refusal(element.sourceline or 1, _("has a <{tag}> element, which can run script; "
                                                               "remove it").format(tag=tag)))
        if tag == "style" and _attribute_refusal("style", element.text or ""):
            refusals.append(Refusal(element.sourceline or 1, _("the <style> element loads something outside "
                                                               "the image; remove it")))

        for name, value in element.attrib.items():
            problem = _attribute_refusal(_local(name), value)
            if problem is not None:
                refusals.append(Refusal(element.sourceline or 1, problem))
    return refusals


def content_svg_problems(root: Path) -> list[tuple[str, int, str]]:
    """(path, line, message) for every SVG under content/ that must not be published."""
    found = []
    for folder, _subfolders, names in os.walk(root / "content"):
        for name in sorted(names):
            if name.lower().endswith(".svg"):
                path = Path(folder, name)
                try:
                    excess = limits.file_excess(path.stat().st_size)     # never read into memory
                    refusals = ([Refusal(excess.line, excess.message)] if excess
                                else svg_refusals(path.read_bytes()))
                except OSError:
                    continue        # the build's copy reports files it cannot read
                rel = path.relative_to(root).as_posix()
                found += [(rel, refusal.line, refusal.message) for refusal in refusals]
    return found


# What Python-Markdown and its extensions produce, and the usual text markup editors write.
_HTML_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl",
              "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
              "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong",
              "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"}
_HTML_ATTRIBUTES = {"*": {"id", "class", "title", "lang"}, "a": {"href", "rel", "name"},
                    "img": {"src", "alt", "width", "height", "loading"}, "ol": {"start", "type"},
                    "td": {"colspan", "rowspan", "style"}, "th": {"colspan", "rowspan", "style"}}


def clean_raw_html(html: str) -> str:
    """HTML written by editors (``allow_raw_html``), with only the allow-listed tags,
    attributes, web and mail links and table alignment left."""
    import nh3
    return nh3.clean(html, tags=_HTML_TAGS, attributes=_HTML_ATTRIBUTES, link_rel=None,
                     url_schemes={"http", "https", "mailto", "tel"},
                     filter_style_properties={"text-align"})
