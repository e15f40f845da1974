"""The fast path of the renderer (egorod/markup_fast.py) writes what Python-Markdown writes."""
import random
import re
import subprocess
import sys

import frontmatter
import pytest
from conftest import PROJECT
from test_markup import TRICKY, sample_texts

from egorod.markup import Renderer, make_markdown
from egorod.markup_fast import fast_html


def python_markdown(text: str) -> str:
    md = make_markdown()
    return md.convert(text)


def assert_same_as_python_markdown(texts: list[str]) -> int:
    """Every text the fast path takes gets Python-Markdown's bytes; returns how many it took."""
    md = make_markdown()
    taken = 0
    for text in texts:
        fast = fast_html(text)
        if fast is None:
            continue
        taken += 1
        md.reset()
        assert fast == md.convert(text), text[:300]
    return taken


def test_the_sample_site_gets_the_same_html_from_both_paths():
    texts = sample_texts()
    taken = assert_same_as_python_markdown(texts)
    # Most of the Assembly's texts are plain: a gate that let nothing through would pass above.
    assert taken >= 0.9 * (len(texts) - len(TRICKY))


@pytest.mark.slow
def test_the_benchmark_corpus_gets_the_same_html_from_both_paths(tmp_path):
    done = subprocess.run([sys.executable, str(PROJECT / "bench" / "make_corpus.py"), "--scale", "0.05",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    texts = [frontmatter.loads(path.read_text(encoding="utf-8")).content
             for path in sorted((tmp_path / "content").rglob("*.md"))]
    assert len(texts) > 200
    assert assert_same_as_python_markdown(texts) >= 0.95 * len(texts)


# Pieces of lines that sit on the edges where the two parsers part: block markers with and
# without their space, lists and quotes after blank lines, tables with odd rows, links with
# brackets, parentheses and unsafe addresses, footnotes, no-break spaces, dashes.
_LINE_STARTS = ["", "# ", "## ", "###### ", "####### ", "#", "#  ", "- ", "+ ", "-  ", "1. ", "2. ", "10. ", "0. ",
                "1) ", "1.  ", "> ", ">", "> > ", ">  ", "| ", "| a | b |", "| a | b | c |", "|a|b|", "| |", "|--|",
                "|---|---|", "|:--|--:|", "|-|:-:|", "[^1]: ", "[^2]: ", "[^1]:", "[^a-b]: ", "[^ü]: ", "---",
                "---- ", "=", "-"]
_WORDS = ["Текст в городе", 'и "цитата" тут', "a - b", "[ссылка](/x/)", '[с](http://a.ru "Заголовок")', "x[^1]",
          "y[^2]", "2020 г. в 5 км", "и т.д.", "[1]", "[a] [b]", "a|b", "&", "ё", "...", "--", "Мосгортранс—",
          "№ 5", "(скобки)", "«уже»", ":", "!", "#", "[^3]", "http://x.ru/a--b", "x@y.ru", "']", "[", "]", "(", ")",
          "[a [b] c](/x)", "[^1 ссылка](/x)", "[x](/a b)", "[x](/a)(b)", "[](/x)", "[x]()", "[x](/путь/)",
          "[m](mailto:a@b.ru)", "[j](javascript:alert(1))", "[j](javascript:void)", '"[a](/b)"', "„", "\u00a0",
          "+7 (495) 123", "a/b", "—", "[^1][^2]", "[^x]", "^", "%", "=", "[a|b](/c)", "[ с ](/x)", "[x](/y 'z')",
          "[x](/y (z))", "[x]( /y)", "Итоги", "www.mag.ru", "[x](#якорь)", "[x](?q=1&b=2)", ": -", "1.5",
          "ул. Ленина", "В", "г."]


def _random_document(rnd: random.Random) -> str:
    lines = []
    for _ in range(rnd.randint(1, 8)):
        if rnd.random() < 0.25:
            lines.append("")
            continue
        start = rnd.choice(_LINE_STARTS) if rnd.random() < 0.5 else ""
        lines.append(start + " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(0, 4))))
    return "\n".join(lines)


@pytest.mark.slow
def test_random_documents_get_the_same_html_from_both_paths():
    rnd = random.Random(2026)
    texts = [_random_document(rnd) for _ in range(20000)]
    assert assert_same_as_python_markdown(texts) > 3000


@pytest.mark.parametrize("text", [
    "Абзац\n- пункт сразу под абзацем",
    "- пункт\n\n- пункт после пустой строки",
    "- пункт\n\n+ другой маркер после пустой строки",
    "> цитата\n\n> вторая после пустой строки",
    "Абзац с *курсивом*",
    "Слово_с_подчёркиваниями",
    "Строка с переносом  \nпосле двух пробелов",
    "Абзац\n    с отступом",
    "#Заголовок без пробела",
    "Заголовок\n---",
    "[ссылка][ref]\n\n[ref]: /x",
    "Сноска[^1] без определения",
    "Две ссылки[^1] на одну сноску[^1]\n\n[^1]: Текст.",
    "&nbsp; и &#171;",
    "<b>HTML</b>",
    "| a | b |\n|---|\n| c | d |",
    "| a |\n|---|",
    "1) пункт со скобкой",
    "![картинка](/a.png)",
    # Found by fuzzing the two parsers against each other (one case of each kind):
    '[a](/x " a ")',                     # a title Python-Markdown trims
    "[a](/x'y')",                        # '...' in an address: a title for Python-Markdown
    "[a [b](/c)](/d)",                   # a link in a link's text
    "[^1](/a)\n\n[^1]: a",                # a note mark right before a link's address
    "- +",                               # an empty item inside an item, for pulldown-cmark
    "٣. пункт",                          # a list number in other digits
    "| a | b |\n|---|---|\n|",            # a row of a lone pipe
    "- a\n\n[^a]: b\n\n- c",              # a note's definition between two lists
    "&ſ;",                               # an entity to Python-Markdown (ſ folds to s)
    "x\n[^a\nb]: c",                      # a note's label over two lines
])
def test_texts_outside_the_plain_part_go_through_python_markdown(text):
    assert fast_html(text) is None
    assert Renderer().html(text) == python_markdown(text)


def test_a_plain_text_takes_the_fast_path():
    text = ('## Итоги "года"\n\nГород [Минск](/cities/minsk/) - в 2020 г. снизил расходы на 15 %[^1].\n\n'
            "- один\n- два\n\n| Год | Число |\n|---|--:|\n| 2020 | 5 |\n\n> Цитата.\n\n[^1]: Данные города.")
    fast = fast_html(text)
    assert fast is not None and fast == python_markdown(text)
    assert '<h2 id="itogi-goda">Итоги «года»</h2>' in fast


# The dash pattern of typography.py, written the readable way (look behind, then the spaces).
READABLE_DASH = re.compile(r"(?<=\S)[ \u00a0]+(?:-{1,3}|–|—)(?=[ \u00a0])")


def test_dashes_are_found_where_the_readable_pattern_finds_them():
    from egorod.typography import _DASH
    rnd = random.Random(11)
    for _ in range(100000):
        text = "".join(rnd.choice(" \u00a0-–—a.") for _ in range(rnd.randint(0, 12)))
        assert _DASH.sub("X", text) == READABLE_DASH.sub("X", text), repr(text)
