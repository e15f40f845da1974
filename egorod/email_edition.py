"""The e-mail edition of a bulletin issue: HTML for mail clients and a plain-text twin.

Both are made from the content (the same Markdown as the web page), by the same code for
the build (``/bulletins/<n>/email.html`` and ``email.txt``) and for the mailing
(``build.py mail``), so what subscribers get is what the site shows as «the issue as sent».

HTML: templates/email/bulletin.html — table layout, at most 600 px, its CSS inlined into
``style`` attributes by css-inline (no ``<style>`` is left for a client to drop), explicit
colours, absolute links. Text: templates/email/bulletin.txt — the same sections, wrapped
at 72 characters, every link kept as a numbered reference listed at the end.
"""
from __future__ import annotations

import posixpath
import re
import textwrap
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from . import routes as r
from .content import Bulletin
from .images import Picture, email_pictures, site_url
from .links import absolute_link, absolute_url, absolutize_html
from .model import Site
from .render_html import TEMPLATES_DIR, BodyCache, date_ru, make_environment
from .settings import MailSettings
from .typography import typograph_plain

HTML_TEMPLATE = "email/bulletin.html"
TEXT_TEMPLATE = "email/bulletin.txt"
WIDTH = 72
NBSP = "\u00a0"


@dataclass(frozen=True)
class EmailEdition:
    number: int
    subject: str
    html: str
    text: str
    web_url: str


def email_html_path(number: int) -> str:
    return r.bulletin_email_url(number).lstrip("/")


def email_text_path(number: int) -> str:
    return r.bulletin_email_text_url(number).lstrip("/")


def subject_of(bulletin: Bulletin) -> str:
    subject = f"Бюллетень МАГ № {bulletin.number}"
    if bulletin.title:
        subject += f": {typograph_plain(bulletin.title)}"
    return subject.replace(NBSP, " ")


def unsubscribe_mailto(mail: MailSettings) -> str:
    return f"mailto:{mail.unsubscribe_mailto}?subject=unsubscribe"


def unsubscribe_url(mail: MailSettings, address: str = "") -> str:
    """The web unsubscribe address; with ``address`` it names the subscriber (one-click)."""
    if not mail.unsubscribe_url or not address:
        return mail.unsubscribe_url
    separator = "&" if "?" in mail.unsubscribe_url else "?"
    return f"{mail.unsubscribe_url}{separator}list={quote(mail.list_id)}&email={quote(address)}"


# --- splitting the issue into news items ---------------------------------------------------

_H2 = re.compile(r"<h2\b[^>]*>(.*?)</h2>", re.DOTALL)
_FOOTNOTES = re.compile(r'<div class="footnote">.*</div>\s*$', re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_BACKREF = re.compile(r'(?:&#160;|\u00a0|\s)*<a class="footnote-backref"[^>]*>.*?</a>', re.DOTALL)


@dataclass(frozen=True)
class Section:
    title: Markup          # the heading's inline HTML
    title_text: str
    html: Markup           # the item's HTML, links absolute


@dataclass(frozen=True)
class Parts:
    intro: str             # HTML before the first news item
    sections: list[Section]
    notes: str             # Markdown footnotes (the <div class="footnote">), or ""


def split_issue(html: str) -> Parts:
    """A bulletin body → the text before the first ``##``, one section per ``##``, footnotes."""
    notes_match = _FOOTNOTES.search(html)
    # The notes' «↩» links lead back into the text: in a letter they would open the site.
    notes = _BACKREF.sub("", notes_match.group(0)) if notes_match else ""
    if notes_match:
        html = html[: notes_match.start()]
    headings = list(_H2.finditer(html))
    intro = html[: headings[0].start()] if headings else html
    sections = []
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(html)
        title = heading.group(1).strip()
        sections.append(Section(Markup(title), _inline_text(title), Markup(html[heading.end():end].strip())))
    return Parts(intro.strip(), sections, notes)


def _inline_text(html: str) -> str:
    return unescape(_TAGS.sub("", html)).strip()


# --- HTML → plain text ----------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_VOID = {"br", "img", "hr", "input", "meta", "link", "source", "wbr", "col", "area"}
_BLOCKS = {"p", "div", "ul", "ol", "li", "blockquote", "pre", "table", "thead", "tbody", "tr",
           "h1", "h2", "h3", "h4", "h5", "h6", "hr", "dl", "dt", "dd", "figure", "figcaption", "section"}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list["_Node | str"] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class LinkNotes:
    """Numbered references for links in the text part: «текст [3]» … «[3] https://…»."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def number(self, url: str) -> int:
        if url not in self.urls:
            self.urls.append(url)
        return self.urls.index(url) + 1

    @property
    def items(self) -> list[tuple[int, str]]:
        return list(enumerate(self.urls, start=1))


class TextRenderer:
    """Renders Markdown's HTML as readable plain text; links become numbered references."""

    def __init__(self, base_url: str, page_url: str, links: LinkNotes, width: int = WIDTH):
        self.base_url = base_url
        self.page_url = page_url
        self.links = links
        self.width = width

    def render(self, html: str) -> str:
        builder = _TreeBuilder()
        builder.feed(html)
        builder.close()
        return "\n\n".join(self._blocks(builder.root, self.width)).strip("\n")

    # Blocks: a list of paragraphs (each possibly several lines), joined by blank lines.
    def _blocks(self, node: _Node, width: int) -> list[str]:
        blocks: list[str] = []
        inline: list[_Node | str] = []

        def flush() -> None:
            text = self._inline_text(inline)
            if text.strip():
                blocks.append(self._wrap(text, width))
            inline.clear()

        for child in node.children:
            if isinstance(child, _Node) and child.tag in _BLOCKS:
                flush()
                blocks += self._block(child, width)
            else:
                inline.append(child)
        flush()
        return blocks

    def _block(self, node: _Node, width: int) -> list[str]:
        tag = node.tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            title = self._inline_text(node.children).strip()
            underline = {"h1": "=", "h2": "-"}.get(tag)
            return [f"{title}\n{underline * min(len(title), width)}" if underline else self._wrap(title.upper() if tag == "h3" else title, width)]
        if tag == "hr":
            return ["* * *"]
        if tag == "pre":
            text = "".join(self._raw_text(node)).rstrip("\n")
            return ["\n".join("    " + line for line in text.splitlines())]
        if tag in ("ul", "ol"):
            return [self._list(node, width)]
        if tag == "blockquote":
            inner = "\n\n".join(self._blocks(node, width - 2))
            return ["\n".join(("> " + line).rstrip() for line in inner.splitlines())]
        if tag == "table":
            return [self._table(node)]
        if tag == "div" and "footnote" in node.attrs.get("class", ""):
            return self._footnotes(node, width)
        return self._blocks(node, width)

    def _list(self, node: _Node, width: int) -> str:
        items = [c for c in node.children if isinstance(c, _Node) and c.tag == "li"]
        start = int(node.attrs.get("start", "1") or 1) if node.tag == "ol" else 1
        lines = []
        for index, item in enumerate(items):
            marker = f"{start + index}. " if node.tag == "ol" else "• "
            indent = " " * len(marker)
            body = "\n\n".join(self._blocks(item, width - len(marker)))
            for number, line in enumerate(body.splitlines()):
                lines.append((marker if number == 0 else indent if line else "") + line)
        return "\n".join(lines)

    def _table(self, node: _Node) -> str:
        rows = []
        for row in self._find(node, "tr"):
            cells = [self._inline_text(c.children).strip() for c in row.children
                     if isinstance(c, _Node) and c.tag in ("td", "th")]
            rows.append(" | ".join(cells))
            if any(isinstance(c, _Node) and c.tag == "th" for c in row.children):
                rows.append("-" * min(len(rows[-1]), self.width))
        return "\n".join(rows)

    def _footnotes(self, node: _Node, width: int) -> list[str]:
        blocks = []
        for item in self._find(node, "li"):
            number = item.attrs.get("id", "").rsplit("-", 1)[-1]
            text = "\n\n".join(self._blocks(item, width - 3))
            blocks.append(self._wrap(f"{number.translate(_SUPERSCRIPTS)} {text}", width))
        return blocks

    def _find(self, node: _Node, tag: str) -> list[_Node]:
        found = []
        for child in node.children:
            if isinstance(child, _Node):
                if child.tag == tag:
                    found.append(child)
                else:
                    found += self._find(child, tag)
        return found

    def _raw_text(self, node: _Node) -> list[str]:
        out = []
        for child in node.children:
            out += [child] if isinstance(child, str) else self._raw_text(child)
        return out

    def _inline_text(self, children: list) -> str:
        out = []
        for child in children:
            if isinstance(child, str):
                out.append(child)
                continue
            tag, attrs = child.tag, child.attrs
            classes = attrs.get("class", "")
            if tag == "br":
                out.append("\n")
            elif tag == "img":
                alt = attrs.get("alt", "").strip()
                if alt:
                    out.append(f"[{alt}]")
            elif tag == "a" and "footnote-backref" in classes:
                continue
            elif tag == "sup" and any(isinstance(c, _Node) and "footnote-ref" in c.attrs.get("class", "")
                                      for c in child.children):
                out.append("".join(self._raw_text(child)).strip().translate(_SUPERSCRIPTS))
            elif tag == "a":
                out.append(self._link(attrs.get("href", ""), self._inline_text(child.children)))
            elif tag in ("script", "style"):
                continue
            else:
                out.append(self._inline_text(child.children))
        return "".join(out)

    def _link(self, href: str, text: str) -> str:
        url = absolute_link(self.base_url, self.page_url, href) if href else ""
        label = text.strip()
        if not url or url in (label, f"mailto:{label}", f"tel:{label}"):
            return text
        if url.startswith("mailto:"):
            return f"{text} ({url[len('mailto:'):].split('?')[0]})"
        return f"{text}\u00a0[{self.links.number(url)}]"

    @staticmethod
    def _wrap(text: str, width: int) -> str:
        lines = []
        for raw in text.split("\n"):
            raw = re.sub(r"[ \t\r\f\v]+", " ", raw).strip()
            if not raw:
                continue
            lines += textwrap.wrap(raw, width=max(width, 20), break_long_words=False,
                                   break_on_hyphens=False) or [""]
        return "\n".join(lines)


def wrap(text: str, width: int = WIDTH) -> str:
    return TextRenderer._wrap(text, width)


# --- rendering the edition --------------------------------------------------------------

def _text_environment(site: Site) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(site.settings.root / TEMPLATES_DIR)),
        autoescape=False, undefined=jinja2.StrictUndefined, auto_reload=False,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(
        settings=site.settings,
        heading=lambda title, mark: f"{title}\n{mark * min(len(title), WIDTH)}")
    return env


class EmailRenderer:
    """Renders e-mail editions; one Jinja environment and one CSS inliner for many issues."""

    def __init__(self, site: Site, bodies: BodyCache, pictures: dict[str, Picture]):
        self.site = site
        self.bodies = bodies
        self.pictures = pictures
        self.html_env = make_environment(site.settings.root, site, bodies)
        self.text_env = _text_environment(site)
        import css_inline  # only when an edition is made: most rebuilds reuse them all
        self.inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False,
                                             keep_link_tags=False)

    def render(self, bulletin: Bulletin, own_unsubscribe_url: str | None = None) -> EmailEdition:
        """``own_unsubscribe_url``: the mailing's stand-in for each recipient's own link."""
        settings = self.site.settings
        base = settings.base_url
        web_url = absolute_url(base, r.bulletin_url(bulletin.number))
        folder = site_url(posixpath.dirname(bulletin.source.path) + "/")     # pictures are named from there
        body = email_pictures(str(self.bodies(bulletin)), self.pictures, folder)
        parts = split_issue(absolutize_html(body, base, web_url))
        cities = [self.site.city_by_slug[slug] for slug in bulletin.cities if slug in self.site.city_by_slug]
        common = dict(
            b=bulletin, subject=subject_of(bulletin), web_url=web_url,
            archive_url=absolute_url(base, "/bulletins/"), home_url=base,
            unsubscribe_mailto=unsubscribe_mailto(settings.mail),
            unsubscribe_url=own_unsubscribe_url or unsubscribe_url(settings.mail),
        )
        html = self.html_env.get_template(HTML_TEMPLATE).render(
            **common, preheader=bulletin.summary or subject_of(bulletin),
            intro=Markup(parts.intro), sections=parts.sections, notes=Markup(parts.notes),
            cities=[(c.title, absolute_url(base, r.city_url(c.slug))) for c in cities])
        html = self.inliner.inline(html).rstrip("\n") + "\n"

        links = LinkNotes()           # numbered in reading order: intro, news, notes, cities
        text = TextRenderer(base, web_url, links)
        intro = text.render(parts.intro)
        sections = [{"title_text": s.title_text, "text": text.render(s.html)} for s in parts.sections]
        notes = text.render(parts.notes)
        city_line = ""
        if cities:
            city_line = wrap("Города в выпуске: " + ", ".join(
                f"{c.title}\u00a0[{links.number(absolute_url(base, r.city_url(c.slug)))}]" for c in cities) + ".")
        plain_text = self.text_env.get_template(TEXT_TEMPLATE).render(
            **common, date=date_ru(bulletin.date),
            title=typograph_plain(bulletin.title or f"Выпуск № {bulletin.number}"),
            summary=wrap(typograph_plain(bulletin.summary)) if bulletin.summary else "",
            intro=intro, sections=sections, notes=notes,
            cities=city_line, links=links.items)
        return EmailEdition(bulletin.number, subject_of(bulletin), html, plain_text, web_url)
