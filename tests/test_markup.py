"""Markdown rendering: the faster steps give exactly the result of the plain ones."""
import random
import re

import frontmatter
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


def test_non_breaking_spaces_follow_the_readable_rule():
    from egorod.markup import _TIE
    words = ["г", "гг", "г.", "гг.", "ул.", "д.", "стр.", "т.е.", "т.д.", "т.п.", "им.", "№", "§", "в", "и",
             "на", "от", "to", "5", "2020", "млн", "км", "м", "%", "лет", "руб.", "тыс", "Москва", "-", "—",
             ".", ",", "\u00ad", "x-y", "к-", "А", "ё"]
    gaps = [" ", " ", " ", "  ", "", "\u00a0", "\n", "-", "."]
    rnd = random.Random(7)
    for _ in range(50000):
        text = "".join(rnd.choice(words) + rnd.choice(gaps) for _ in range(rnd.randint(1, 8)))
        assert _TIE.sub("\u00a0", text) == READABLE_TIE.sub(r"\1\2\3" + "\u00a0", text), repr(text)
