"""Markdown rendering: the faster steps give exactly the result of the plain ones."""
import random
import re

import frontmatter
import markdown
import pytest
from conftest import PROJECT
from markdown.extensions.attr_list import AttrListTreeprocessor
from markdown.treeprocessors import InlineProcessor, UnescapeTreeprocessor

from egorod.markup import MarkdownOptions, make_markdown

TRICKY = [
    "a *b* _c_ **d** `e` \\* [x](y) ![i](j) <http://a.b> <a@b.c> &amp; &#1; line  \nbreak[^1]\n\n[^1]: note *x*",
    "***strong em*** __a__ _a_b_ snake_case x * y * z и «уже» -- тире...",
    "[ref][r] and [r] and ![pic][r]\n\n[r]: http://x.example/a_b",
    "\\`not code\\` `` a ` b `` \\\\ \\[not a link]",
    "<b>raw</b> <!-- c --> &nbsp; R&D <span>*x*</span>",
    "[![img](a.png)](b) [link **bold `code`** _x_](u) [^missing]",
    "| a | *b* |\n|---|:-:|\n| `c` | [d](e) |\n\n- _one_\n- **two**\n\n# Заголовок *с акцентом* {#own}",
    "Заголовок\n=========\n\nПодзаголовок\n---\n\n> цитата\n> > вложенная\n\n***\n\n- - -\n\n___\n\n"
    "| один |\n|---|\n\n[id]: http://example.org \"t\"\n\n[^n]: сноска\n    продолжение\n\n## закрытый ##\n",
]


def sample_texts() -> list[str]:
    files = sorted((PROJECT / "content").rglob("*.md"))
    return [frontmatter.loads(path.read_text(encoding="utf-8")).content for path in files] + TRICKY


@pytest.mark.parametrize("raw_html", [False, True])
def test_markdown_steps_are_skipped_only_where_they_cannot_match(raw_html):
    options = MarkdownOptions(allow_raw_html=raw_html)
    ours = make_markdown(options)
    stock = make_markdown(options)    # Python-Markdown's own steps throughout
    stock.treeprocessors.register(InlineProcessor(stock), "inline", 20)
    stock.treeprocessors.register(AttrListTreeprocessor(stock), "attr_list", 8)
    stock.treeprocessors.register(UnescapeTreeprocessor(stock), "unescape", 0)
    for processor in stock.parser.blockprocessors:
        vars(processor).pop("test", None)
    del stock.is_block_level
    texts = sample_texts()
    assert len(texts) > 50
    for text in texts:
        ours.reset()
        stock.reset()
        assert ours.convert(text) == stock.convert(text), text[:120]


# The rule for non-breaking spaces written the plain way (capture the word, put it back);
# the renderer's pattern is a faster formulation of it and must tie exactly the same spaces.
READABLE_TIE = re.compile(
    r"(\d) (?=(?:г|гг|лет|млн|млрд|тыс|км|м|га|руб|чел|%)(?:\b|\.))"
    r"|(?<![\w\-])((?:г|гг|ул|д|стр|пр|пл|им|см|т\.е|т\.д|т\.п)\.|№|§) (?=\S)"
    r"|(?<![\w\-\u00ad.])([А-ЯЁа-яёA-Za-z]{1,2}) (?=\S)")


@pytest.mark.slow
def test_non_breaking_spaces_follow_the_readable_rule():
    from egorod.typography import _TIE
    words = ["г", "гг", "г.", "гг.", "ул.", "д.", "стр.", "т.е.", "т.д.", "т.п.", "им.", "№", "§", "в", "и",
             "на", "от", "to", "5", "2020", "млн", "км", "м", "%", "лет", "руб.", "тыс", "Москва", "-", "—",
             ".", ",", "\u00ad", "x-y", "к-", "А", "ё",
             # three letters or more, and what is a word character but no letter
             "дом", "abc", "Ёлка", "a_b", "_", "x2", "2x", "²", "½в", "ab.", "ул"]
    gaps = [" ", " ", " ", "  ", "", "\u00a0", "\n", "-", "."]
    rnd = random.Random(7)
    for _ in range(50000):
        text = "".join(rnd.choice(words) + rnd.choice(gaps) for _ in range(rnd.randint(1, 8)))
        assert _TIE.sub("\u00a0", text) == READABLE_TIE.sub(r"\1\2\3" + "\u00a0", text), repr(text)


# --- linear time, same output -------------------------------------------------------------

def _stock_footnotes() -> markdown.Markdown:
    return markdown.Markdown(extensions=["footnotes"], extension_configs={"footnotes": {
        "BACKLINK_TITLE": "Вернуться к тексту", "SUPERSCRIPT_TEXT": "{}", "SEPARATOR": "-"}})


@pytest.mark.slow
def test_footnotes_in_constant_time_per_reference_give_the_stock_output():
    from egorod.markup import _LinearFootnotes
    ours = markdown.Markdown(extensions=[_LinearFootnotes(BACKLINK_TITLE="Вернуться к тексту",
                                                          SUPERSCRIPT_TEXT="{}", SEPARATOR="-")])
    stock = _stock_footnotes()
    rnd = random.Random(3)
    ids = ["1", "2", "a", "b-1", "x", "missing"]
    for _ in range(300):
        refs = " ".join(f"w[^{rnd.choice(ids)}]" + rnd.choice(["", "\n\n"]) for _ in range(rnd.randint(1, 30)))
        defined = rnd.sample(ids[:-1], rnd.randint(1, 5))
        notes = "\n".join(f"[^{i}]: note {i} [^{rnd.choice(ids)}]" for i in defined)
        text = refs + "\n\n" + notes
        ours.reset()
        stock.reset()
        assert ours.convert(text) == stock.convert(text), text


@pytest.mark.slow
def test_link_scans_bounded_and_by_brackets_give_the_stock_output():
    from markdown import inlinepatterns
    ours, stock = make_markdown(), make_markdown()
    for pattern in stock.inlinePatterns:
        if isinstance(pattern, inlinepatterns.LinkInlineProcessor):
            for name in ("getText", "getLink", "RE_LINK"):
                vars(pattern).pop(name, None)       # back to Python-Markdown's own
    rnd = random.Random(5)
    alphabet = ["[", "]", "(", ")", '"', "'", "a", "!", "^", ":", "<", ">", " ", "\n", "[x](y)", '"t")', "[r]"]
    texts = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 60))) for _ in range(3000)]
    texts.append("Слово [ссылка](http://example.org/a_(b) \"Заглавие\") и ![рис](p.png). " * 200
                 + "\n\n[r]: http://example.org")
    for text in texts:
        ours.reset()
        stock.reset()
        assert ours.convert(text) == stock.convert(text), repr(text)


# The address pattern before it was anchored to the start of each run of characters.
_QUADRATIC_URL_LIKE = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*://|www\.)[^\s<>«»\"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def test_addresses_found_where_the_readable_pattern_finds_them():
    from egorod.typography import _URL_LIKE

    def spans(text: str) -> list[tuple[int, int]]:
        return [(m.start("url") if m.group("url") else m.start(), m.end()) for m in _URL_LIKE.finditer(text)]
    rnd = random.Random(11)
    parts = ["a", "Z", "1", "_", ".", "-", "+", ":", "/", "//", "://", "@", "www.", " ", "«", "ж", "http", "x.ru"]
    for _ in range(30000):
        text = "".join(rnd.choice(parts) for _ in range(rnd.randint(1, 12)))
        assert spans(text) == [m.span() for m in _QUADRATIC_URL_LIKE.finditer(text)], repr(text)


def test_heading_ids_numbered_as_before():
    from egorod.translit import slugify
    rnd = random.Random(2)
    titles = ["Итоги", "Итоги 1", "Итоги-1", "Выводы", "Итоги 2", "{#itogi-3}"]
    md = make_markdown()
    for _ in range(200):
        chosen = [rnd.choice(titles) for _ in range(rnd.randint(1, 25))]
        text = "\n\n".join(f"## Раздел {t}" if t.startswith("{") else f"## {t}" for t in chosen)
        md.reset()
        ids = re.findall(r'<h2 id="([^"]+)"', md.convert(text))
        taken: set[str] = set()
        expected = []
        for title in chosen:            # the rule as it was written before: count up from 1
            if title.startswith("{"):
                expected.append(title[2:-1])
                taken.add(title[2:-1])
                continue
            base = slugify(title) or "section"
            candidate, number = base, 1
            while candidate in taken:
                candidate, number = f"{base}-{number}", number + 1
            taken.add(candidate)
            expected.append(candidate)
        assert ids == expected, chosen
