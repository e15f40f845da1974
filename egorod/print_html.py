"""Print HTML: one HTML document per Vestnik issue, analytic collection and bulletin, for WeasyPrint.

The bodies come from the project's Markdown renderer (the same typography as the site);
this module adapts them to paged media:

* Python-Markdown puts footnotes in a list at the end of the document; print wants the
  note text at the reference point so that ``float: footnote`` moves it to the foot of
  the page where it is cited. ``PrintBody`` moves every note to its first reference.
* Several articles share one document, so every id (headings, footnotes) gets the
  article's prefix and in-document links follow.
* Site links (``/cities/kazan/``) become absolute addresses that work from a PDF, and
  images are resolved against the folder of the Markdown file that shows them (paths
  relative to the repository root, so the HTML holds no machine-specific path).

The templates live in ``templates/print/``; ``print.css`` beside them holds the page
geometry (A4, bleed, crop marks), fonts and typography.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import posixpath
import random
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Iterable

import jinja2
from markupsafe import Markup

from .content import Bulletin, Collection, Entry, Event, Paper, VestnikIssue
from .routes import event_url
from .typography import typograph_plain

PRINT_TEMPLATES = "print"
STYLESHEET = f"templates/{PRINT_TEMPLATES}/print.css"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
RAW_TEXT = {"script", "style"}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


# --- rewriting a rendered body ------------------------------------------------------

Token = tuple  # ("start", tag, attrs) | ("end", tag) | ("data", text) | ("raw", text)


class _Tokenizer(HTMLParser):
    """HTML → a flat list of tokens (character references already decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []
        self._raw = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", tag, dict(attrs)))
        if tag in RAW_TEXT:
            self._raw += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", tag, dict(attrs)))
        if tag not in VOID:
            self.tokens.append(("end", tag))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        self.tokens.append(("end", tag))
        if tag in RAW_TEXT and self._raw:
            self._raw -= 1

    def handle_data(self, data: str) -> None:
        self.tokens.append(("raw" if self._raw else "data", data))

    def handle_comment(self, data: str) -> None:
        pass    # comments have no place in print


def _tokens(source: str) -> list[Token]:
    parser = _Tokenizer()
    parser.feed(source)
    parser.close()
    return parser.tokens


def _serialize(tokens: Iterable[Token]) -> str:
    out = []
    for token in tokens:
        kind = token[0]
        if kind == "start":
            attrs = "".join(f' {name}="{html.escape(value, quote=True)}"' if value is not None
                            else f" {name}" for name, value in token[2].items())
            out.append(f"<{token[1]}{attrs}>")
        elif kind == "end":
            out.append(f"</{token[1]}>")
        elif kind == "data":
            out.append(html.escape(token[1], quote=False))
        else:
            out.append(token[1])
    return "".join(out)


def _classes(token: Token) -> set[str]:
    return set((token[2].get("class") or "").split()) if token[0] == "start" else set()


def _element_end(tokens: list[Token], start: int) -> int:
    """Index of the end token that closes the element opened at ``start``."""
    tag, depth = tokens[start][1], 0
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token[0] == "start" and token[1] == tag:
            depth += 1
        elif token[0] == "end" and token[1] == tag:
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


@dataclass
class PrintBody:
    """A rendered Markdown body made ready for print."""
    html: Markup
    images: list[str] = field(default_factory=list)   # image paths relative to the root
    footnotes: int = 0


WIDE_TABLE_COLUMNS = 4      # a table of this many columns is too wide for half a page


def print_body(body: str, *, prefix: str, asset_dir: str, base_url: str,
               initial: bool = False, addresses: bool = False) -> PrintBody:
    """Rewrite a body rendered by ``markup.Renderer`` for a printed document.

    ``prefix`` namespaces ids (the renderer already used it for footnote ids);
    ``asset_dir`` is the folder of the source file relative to the root, for images;
    ``base_url`` is the site's address, for links to site pages; ``initial`` sets the
    first letter of the first paragraph apart as a drop cap; ``addresses`` prints the
    address of every link after its words (on paper a link is only words otherwise).
    """
    images: list[str] = []
    tokens = [("start", t[1], _rewrite_attrs(t[1], t[2], prefix, asset_dir, base_url, images))
              if t[0] == "start" else t for t in _tokens(body)]
    notes, tokens = _extract_footnotes(tokens)
    if initial:
        tokens = _drop_cap(tokens)
    tokens = _mark_wide_tables(tokens)
    if addresses:
        tokens = _link_addresses(tokens)
    out: list[Token] = []
    used: set[str] = set()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token[0] == "start" and token[1] == "sup" and index + 1 < len(tokens) \
                and "footnote-ref" in _classes(tokens[index + 1]):
            end = _element_end(tokens, index)
            target = tokens[index + 1][2].get("href", "").lstrip("#")
            out += _footnote_call(target, notes, used)
            index = end + 1
            continue
        out.append(token)
        index += 1
    return PrintBody(Markup(_serialize(out)), images, len(notes))


def _mark_wide_tables(tokens: list[Token]) -> list[Token]:
    """Tables of many columns in a ``<div class="wide">``: it spans both columns of the page
    rather than the table breaking its words letter by letter in a column's width (the div,
    because WeasyPrint lets a block span columns, not a table)."""
    out: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token[0] == "start" and token[1] == "table":
            end = _element_end(tokens, index)
            table = tokens[index:end + 1]
            row = next((i for i, t in enumerate(table) if t[:2] == ("start", "tr")), None)
            cells = 0 if row is None else sum(
                1 for t in table[row:_element_end(table, row)] if t[0] == "start" and t[1] in ("td", "th"))
            if cells >= WIDE_TABLE_COLUMNS:
                table = [("start", "div", {"class": "wide"}), *table, ("end", "div")]
            out += table
            index = end + 1
            continue
        out.append(token)
        index += 1
    return out


def _link_addresses(tokens: list[Token]) -> list[Token]:
    """After each link to another page, its address in brackets (without the scheme)."""
    out: list[Token] = []
    address = None
    for token in tokens:
        out.append(token)
        if token[0] == "start" and token[1] == "a":
            href = token[2].get("href") or ""
            address = href.split("://", 1)[1].rstrip("/") if re.match(r"https?://", href) else None
        elif token[0] == "end" and token[1] == "a" and address:
            out += [("data", " ("), ("start", "span", {"class": "link-address"}), *_address(address),
                    ("end", "span"), ("data", ")")]
            address = None
    return out


def _address(address: str) -> list[Token]:
    """An address that a line may end after a slash, never inside the host name (whose
    hyphen would read as a word broken in two)."""
    host, _, path = address.partition("/")
    out: list[Token] = [("start", "span", {"class": "link-host"}), ("data", host), ("end", "span")]
    for part in path.split("/") if path else []:
        out += [("data", "/"), ("start", "wbr", {}), ("data", part)]
    return out


_INITIAL = re.compile(r"^([«„\"'(\[]*[^\W\d_])", re.UNICODE)


def _drop_cap(tokens: list[Token]) -> list[Token]:
    """Wrap the first letter of the first top-level paragraph in ``<span class="initial">``."""
    depth = 0
    for index, token in enumerate(tokens):
        if token[0] == "start" and token[1] not in VOID:
            if depth == 0 and token[1] == "p":
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                if following and following[0] == "data" and (match := _INITIAL.match(following[1])):
                    letter = match.group(1)
                    return [*tokens[:index + 1], ("start", "span", {"class": "initial"}),
                            ("data", letter), ("end", "span"), ("data", following[1][len(letter):]),
                            *tokens[index + 2:]]
                return tokens
            depth += 1
        elif token[0] == "end":
            depth -= 1
    return tokens


def _extract_footnotes(tokens: list[Token]) -> tuple[dict[str, list[Token]], list[Token]]:
    """Take the footnote list out of the body: note id → the note's inline content."""
    notes: dict[str, list[Token]] = {}
    for index, token in enumerate(tokens):
        if token[0] == "start" and token[1] == "div" and "footnote" in _classes(token):
            end = _element_end(tokens, index)
            block = tokens[index + 1:end]
            position = 0
            while position < len(block):
                item = block[position]
                if item[0] == "start" and item[1] == "li" and item[2].get("id"):
                    item_end = _element_end(block, position)
                    notes[item[2]["id"]] = _inline_note(block[position + 1:item_end])
                    position = item_end + 1
                else:
                    position += 1
            return notes, tokens[:index] + tokens[end + 1:]
    return notes, tokens


def _inline_note(tokens: list[Token]) -> list[Token]:
    """A note's paragraphs as inline content (a footnote sits inside a paragraph)."""
    out: list[Token] = []
    index = 0
    paragraphs = 0
    while index < len(tokens):
        token = tokens[index]
        if "footnote-backref" in _classes(token):
            index = _element_end(tokens, index) + 1
            continue
        if token[0] == "start" and token[1] == "p":
            if paragraphs:
                out.append(("start", "br", {}))
            paragraphs += 1
        elif not (token[0] == "end" and token[1] == "p"):
            out.append(token)
        index += 1
    # Trim the layout whitespace and the no-break space that preceded the back links.
    while out and out[0][0] == "data" and not out[0][1].strip():
        out.pop(0)
    while out and out[-1][0] == "data" and not out[-1][1].strip("\n\u00a0 "):
        out.pop()
    if out and out[-1][0] == "data":
        out[-1] = ("data", out[-1][1].rstrip("\n\u00a0 "))
    return out


def _footnote_call(target: str, notes: dict[str, list[Token]], used: set[str]) -> list[Token]:
    """The note itself at its first reference; a link to the same number after that."""
    if target not in notes:
        return []
    if target in used:
        return [("start", "a", {"class": "footnote-again", "href": f"#{target}"}), ("end", "a")]
    used.add(target)
    return [("start", "span", {"class": "fn", "id": target}), *notes[target], ("end", "span")]


def _rewrite_attrs(tag: str, attrs: dict[str, str | None], prefix: str, asset_dir: str,
                   base_url: str, images: list[str]) -> dict[str, str | None]:
    attrs = dict(attrs)
    identifier = attrs.get("id")
    if prefix and identifier and not identifier.startswith(prefix):
        attrs["id"] = prefix + identifier
    href = attrs.get("href")
    if href:
        if href.startswith("#") and prefix and not href.startswith("#" + prefix):
            attrs["href"] = "#" + prefix + href[1:]
        elif href.startswith("/") and not href.startswith("//"):
            attrs["href"] = base_url.rstrip("/") + href
    src = attrs.get("src")
    if tag == "img" and src:
        if not _SCHEME.match(src) and not src.startswith("//"):
            path = src.lstrip("/") if src.startswith("/") else posixpath.join(asset_dir, src)
            path = posixpath.normpath(path)
            attrs["src"] = path
            images.append(path)
    return attrs


# --- the cover drawing ----------------------------------------------------------------

def cover_skyline(seed: int) -> Markup:
    """A city skyline for the foot of the cover, drawn as SVG (millimetres).

    Seeded with the issue number: every issue gets its own skyline, and the same one on
    every build. It is wider and lower than the trim so that it runs into the bleed.
    """
    rng = random.Random(seed)
    width, height = 216.0, 62.0
    shapes: list[str] = []

    def rect(x: float, y: float, w: float, h: float, fill: str) -> None:
        shapes.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" fill="{fill}"/>')

    # Far layer: tall, pale towers, a spire now and then.
    x = -1.0
    while x < width:
        w = rng.uniform(7, 15)
        h = rng.uniform(20, 50)
        rect(x, height - h, w + 0.4, h, "#2b5f92")
        if rng.random() < 0.22:
            cx = x + w / 2
            shapes.append(f'<path d="M{cx - 1.6:.2f} {height - h:.2f} L{cx:.2f} {height - h - 9:.2f} '
                          f'L{cx + 1.6:.2f} {height - h:.2f} Z" fill="#2b5f92"/>')
        x += w
    # Near layer: lower, darker blocks with a few lit windows.
    x = -2.0
    while x < width:
        w = rng.uniform(9, 21)
        h = rng.uniform(9, 31)
        top = height - h
        rect(x, top, w, h, "#143656")
        columns = max(1, int((w - 3) // 3.2))
        rows = max(1, int((h - 5) // 4.2))
        for row in range(rows):
            for column in range(columns):
                if rng.random() < 0.16:
                    rect(x + 2 + column * 3.2, top + 3 + row * 4.2, 1.3, 1.9, "#f2c14e")
        x += w + rng.uniform(0.0, 2.5)
    rect(0, height - 4, width, 4, "#10304d")
    return Markup(f'<svg class="cover-skyline" xmlns="http://www.w3.org/2000/svg" '
                  f'viewBox="0 0 {width:.0f} {height:.0f}" preserveAspectRatio="none" role="img">'
                  # The tagged reader's edition gives a figure this text for screen readers.
                  "<title>Силуэт города</title>" + "".join(shapes) + "</svg>")


def print_environment(env: jinja2.Environment) -> jinja2.Environment:
    """The site's Jinja environment (filters ``typo``, ``date_ru``...) plus print helpers."""
    env = env.overlay()
    env.globals.update(skyline=cover_skyline)
    return env


# --- documents ----------------------------------------------------------------------

@dataclass(frozen=True)
class PrintArticle:
    article: Paper
    anchor: str
    body: PrintBody
    opens_section: bool
    follows_brief: bool = False    # comes after a brief article and closes up its page


BRIEF_CHARACTERS = 1500     # an article this short fills a third of a page at most


def is_brief(body: PrintBody) -> bool:
    """A short piece: the next article follows on its page instead of leaving it half empty."""
    return len(re.sub(r"<[^>]*>", "", str(body.html)).strip()) < BRIEF_CHARACTERS and not body.images


@dataclass(frozen=True)
class TocSection:
    title: str
    articles: tuple[PrintArticle, ...]


@dataclass(frozen=True)
class Imprint:
    """The imprint (выходные данные) a periodical's print edition carries by Russian law
    (the mass media law, art. 27; 436-FZ for the age mark) and that the print shop checks."""
    title: str
    number: int
    chief_editor: str
    founder: str
    publisher: str
    publisher_address: str
    registration: str
    age_mark: str
    issn: str
    print_run: int | None
    signed_for_print: dt.date
    printer: str
    printer_address: str
    print_order: str
    sample: bool

    def missing(self) -> list[str]:
        return [label for name, label in IMPRINT_REQUIRED.items() if not getattr(self, name)]


# What a print edition may not go without, by the imprint's own labels (ISSN only when the
# journal has one).
IMPRINT_REQUIRED = {"chief_editor": "главный редактор", "founder": "учредитель", "publisher": "издатель",
                    "publisher_address": "адрес издателя и редакции",
                    "registration": "свидетельство о регистрации СМИ",
                    "age_mark": "знак информационной продукции", "print_run": "тираж",
                    "printer": "типография", "printer_address": "адрес типографии",
                    "print_order": "номер заказа"}


def vestnik_imprint(settings: Any, issue: VestnikIssue) -> Imprint:
    press = settings.print
    publisher = press.publisher or settings.title
    return Imprint(title="Вестник МАГ", number=issue.number, chief_editor=press.chief_editor,
                   founder=press.founder or publisher, publisher=publisher,
                   publisher_address=press.address, registration=press.registration,
                   age_mark=press.age_mark, issn=press.issn, print_run=issue.print_run,
                   signed_for_print=issue.signed_for_print or issue.date, printer=press.printer,
                   printer_address=press.printer_address, print_order=issue.print_order,
                   sample=press.imprint_sample)


@dataclass(frozen=True)
class PrintDocument:
    """What the PDF stage needs from one printed document."""
    name: str                  # file name, e.g. vestnik-77.pdf
    url: str                   # where it is published
    html: str
    images: tuple[tuple[str, str], ...]    # (image path relative to root, source file)
    kind: str                  # "vestnik" | "collection" | "bulletin"
    source: str = ""           # the editor's main file (the issue's or collection's _index.md, the bulletin)
    imprint: Imprint | None = None     # the Vestnik's; checked before the print shop gets it
    print_url: str = ""        # where the print shop's edition is published (url: the reader's)


def plain(value: str) -> str:
    """Front-matter text with Russian typography, for PDF metadata (no markup)."""
    return typograph_plain(value).replace("\u00a0", " ")


def _source_dir(entry: Entry) -> str:
    return posixpath.dirname(entry.source.path)


def _common(settings: Any, date: dt.date) -> dict[str, Any]:
    return dict(settings=settings, stylesheet=STYLESHEET, created=date.isoformat(),
                base_url=settings.base_url, site_host=settings.base_url.split("://", 1)[-1].rstrip("/"))


def print_articles(bodies: Any, base_url: str, papers: tuple[Paper, ...],
                   prefix: str) -> tuple[list[PrintArticle], list[TocSection], list[tuple[str, str]]]:
    """The articles of a printed publication made ready for print, the contents' sections (a
    rubric and its articles, in their order) and the images they show with their files."""
    articles: list[PrintArticle] = []
    previous_section: str | None = None
    previous_brief = False
    images: list[tuple[str, str]] = []
    for paper in papers:
        ids = f"{prefix}{paper.order:02d}-"
        body = print_body(str(bodies(paper, footnote_prefix=ids)), prefix=ids,
                          asset_dir=_source_dir(paper), base_url=base_url, initial=True)
        images += [(path, paper.source.path) for path in body.images]
        articles.append(PrintArticle(paper, f"article-{paper.order:02d}-{paper.slug}", body,
                                     opens_section=paper.section != previous_section,
                                     follows_brief=previous_brief))
        previous_section = paper.section
        previous_brief = is_brief(body)
    sections: list[TocSection] = []
    for item in articles:
        if item.opens_section or not sections:
            sections.append(TocSection(item.article.section, (item,)))
        else:
            sections[-1] = TocSection(sections[-1].title, sections[-1].articles + (item,))
    return articles, sections, images


def vestnik_document(env: jinja2.Environment, bodies: Any, settings: Any, issue: VestnikIssue,
                     name: str, url: str, print_url: str) -> PrintDocument:
    base = settings.base_url
    articles, sections, images = print_articles(bodies, base, issue.articles, "a")
    editorial = print_body(str(bodies(issue, footnote_prefix="ed-")), prefix="ed-",
                           asset_dir=_source_dir(issue), base_url=base, initial=True)
    images += [(path, issue.source.path) for path in editorial.images]
    authors = list(dict.fromkeys(author for a in issue.articles for author in a.authors))
    template = env.get_template(f"{PRINT_TEMPLATES}/vestnik.html")
    imprint = vestnik_imprint(settings, issue)
    document = template.render(
        **_common(settings, issue.date), issue=issue, articles=articles, sections=sections,
        imprint=imprint,
        editorial=editorial, has_editorial=bool(issue.body.strip()),
        meta_title=plain(f"Вестник МАГ № {issue.number}. {issue.title}"),
        meta_authors=[plain(a) for a in authors],
        meta_subject=plain(issue.summary or issue.title),
        meta_keywords=[plain(s) for s in dict.fromkeys(a.section for a in issue.articles if a.section)],
    )
    return PrintDocument(name, url, document, tuple(images), "vestnik", issue.source.path, imprint,
                         print_url)


COLLECTION_KIND = "Сборник аналитических материалов"


def collection_document(env: jinja2.Environment, bodies: Any, settings: Any, collection: Collection,
                        event: Event, event_kind: str, cities: dict[str, Any], name: str, url: str,
                        print_url: str) -> PrintDocument:
    """An event's analytic collection: the same articles, contents and pages as the Vestnik,
    under a cover and a title page of its own (a book, with no periodical's imprint)."""
    base = settings.base_url
    articles, sections, images = print_articles(bodies, base, collection.articles, "c")
    foreword = print_body(str(bodies(collection, footnote_prefix="fw-")), prefix="fw-",
                          asset_dir=_source_dir(collection), base_url=base, initial=True)
    images += [(path, collection.source.path) for path in foreword.images]
    year = collection.year or event.year
    authors = list(dict.fromkeys(author for a in collection.articles for author in a.authors))
    template = env.get_template(f"{PRINT_TEMPLATES}/collection.html")
    document = template.render(
        # The document's dates: the first day of the event it was prepared for.
        **_common(settings, event.first_day), collection=collection, event=event, event_kind=event_kind,
        year=year, cities=cities, articles=articles, sections=sections, foreword=foreword,
        has_foreword=bool(collection.body.strip()), kind_label=COLLECTION_KIND,
        event_page=base.split("://", 1)[-1].rstrip("/") + event_url(event), skyline_seed=int(hashlib.sha1(collection.event.encode()).hexdigest()[:8], 16),
        meta_title=plain(f"{collection.title}. {COLLECTION_KIND}: {event.title}"),
        meta_authors=[plain(a) for a in authors],
        meta_subject=plain(collection.summary or collection.subtitle or collection.title),
        meta_keywords=[plain(k) for k in dict.fromkeys([event.title, *(a.section for a in collection.articles
                                                                          if a.section)])],
    )
    return PrintDocument(name, url, document, tuple(images), "collection", collection.source.path,
                         print_url=print_url)


def bulletin_document(env: jinja2.Environment, bodies: Any, settings: Any, bulletin: Bulletin,
                      name: str, url: str, print_url: str, cities: list) -> PrintDocument:
    prefix = f"b{bulletin.number}-"
    body = print_body(str(bodies(bulletin, footnote_prefix=prefix)), prefix=prefix,
                      asset_dir=_source_dir(bulletin), base_url=settings.base_url, addresses=True)
    template = env.get_template(f"{PRINT_TEMPLATES}/bulletin.html")
    title = f"Информационный бюллетень МАГ № {bulletin.number}"
    document = template.render(
        **_common(settings, bulletin.date), bulletin=bulletin, body=body, cities=cities,
        meta_title=plain(title + (f". {bulletin.title}" if bulletin.title else "")),
        meta_authors=[plain(settings.title)],
        meta_subject=plain(bulletin.summary or bulletin.title or title),
    )
    return PrintDocument(name, url, document,
                         tuple((path, bulletin.source.path) for path in body.images), "bulletin",
                         bulletin.source.path, print_url=print_url)
