"""Pages a typesetter would sign: the ugly cases of an issue laid out for real (one build)
and read back page by page with pypdf."""
from __future__ import annotations

import re

import pytest
from conftest import make_repo
from pypdf import PdfReader
from test_pdf import build, page_texts

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow

ISSUE = "vestnik/2/vestnik-2-print.pdf"
MM = 72 / 25.4
TABLE_WORDS = ["Эффективность", "Муниципалитет", "Финансирование", "Инфраструктура", "Ответственность"]
LONG_TITLE = ("Как города Содружества учатся друг у друга: опыт межмуниципального сотрудничества "
              "в благоустройстве дворов, общественном транспорте и цифровых сервисах для жителей")


def _article(number: int, title: str, body: str) -> str:
    return f"---\ntitle: \"{title}\"\nauthors: [Редакция]\n---\n{body}\n"


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("layout") / "site")
    folder = repo.root / "content/vestnik/2"
    folder.mkdir(parents=True)
    (folder / "_index.md").write_text("---\nnumber: 2\ndate: 2024-06-01\ntitle: Трудные случаи\n"
                                      "print_run: 100\nprint_order: \"5\"\n---\nСлово редакции.\n",
                                      encoding="utf-8")
    table = ("| " + " | ".join(TABLE_WORDS) + " |\n|" + "---|" * 5 + "\n"
             + ("| " + " | ".join(TABLE_WORDS) + " |\n") * 3)
    paragraph = "Город развивается, когда жители участвуют в решениях о своём дворе и улице. " * 12
    for number in range(1, 31):     # 30 articles, none of them with a section
        if number == 1:
            text = _article(number, LONG_TITLE, (paragraph + "\n\n") * 3)
        elif number == 2:
            text = _article(number, "Таблица показателей", paragraph + "\n\n" + table + "\n" + paragraph)
        elif number % 3 == 0:
            text = _article(number, f"Заметка {number}", "Один абзац короткой заметки о городе.")
        else:
            text = _article(number, f"Статья {number}", ("## Подзаголовок\n\n" + paragraph + "\n\n") * 2)
        (folder / f"{number:02d}-statya-{number}.md").write_text(text, encoding="utf-8")
    build(repo)
    pdf = PdfReader(repo.out / ISSUE)
    # Justified lines stretch their spaces: read them as one space.
    return pdf, [re.sub(r"[ \u00a0]+", " ", text) for text in page_texts(pdf)]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def test_contents_heading_is_never_alone_on_its_page(laid_out):
    _, texts = laid_out
    contents = next(i for i, text in enumerate(texts) if text.lstrip().startswith("Содержание"))
    assert "Заметка 3" in texts[contents] or "Статья" in texts[contents]


def test_contents_breaks_between_entries_never_inside_one(laid_out):
    _, texts = laid_out
    start = next(i for i, text in enumerate(texts) if text.lstrip().startswith("Содержание"))
    # Every entry's title and its page number are on the same page.
    entries = "\n".join(texts[start:start + 4])
    for number in range(3, 31):
        title = f"Заметка {number}" if number % 3 == 0 else f"Статья {number}"
        assert re.search(re.escape(title) + r"\s*\.{3,}\s*\d+", entries), title


def test_no_page_ends_with_a_heading(laid_out):
    _, texts = laid_out
    for index, text in enumerate(texts):
        lines = _lines(text)
        # The running foot (page number) may follow; the last line of text must not be a heading.
        body = [line for line in lines if not line.isdigit()]
        assert not body or body[-1] != "Подзаголовок", f"page {index + 1} ends with a heading"


def test_a_three_line_title_opens_its_article_page_with_its_text(laid_out):
    pdf, texts = laid_out
    (number,) = [pdf.get_destination_page_number(item) for item in pdf.outline
                 if not isinstance(item, list) and item.title.startswith("Как города")]
    page = texts[number]
    assert "Как города" in "".join(_lines(page)[:4]) and "Город развивается" in page


def _words_at(page) -> list[tuple[str, float]]:
    """The words of a page with the x of their start, in points from the trim's left edge."""
    found: list[tuple[str, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            found.append((text.strip(), cm[4] + tm[4] * cm[0]))

    page.extract_text(visitor_text=visit)
    return found


def test_a_wide_table_spans_both_columns_without_breaking_a_word(laid_out):
    pdf, texts = laid_out
    (number,) = [i for i, text in enumerate(texts) if "Таблица показателей" in text.split("\n")[1:3]
                 or text.lstrip().startswith("Таблица показателей")]
    cells = [(text, x) for text, x in _words_at(pdf.pages[number]) if any(w in text for w in TABLE_WORDS)]
    # Every word of the table whole (no hyphen, no half of it on the next line)...
    assert cells and all(text.strip("-") in " ".join(TABLE_WORDS) for text, _ in cells)
    assert {word for word in TABLE_WORDS if any(word in text for text, _ in cells)} == set(TABLE_WORDS)
    # ...and the table across the page: its last column starts right of the first column's end.
    trim = [float(v) for v in pdf.pages[number]["/TrimBox"]]
    lefts = [x for _, x in cells]
    assert max(lefts) - min(lefts) > (trim[2] - trim[0]) / 2
    assert max(lefts) < trim[2] - 20 * MM


def test_brief_articles_close_up_half_empty_pages(laid_out):
    _, texts = laid_out
    # A one-paragraph note does not leave the rest of its page empty: the next article follows.
    page = next((text for text in texts if "Один абзац" in text), "\n---\n".join(texts))
    assert "Статья 4" in page, page
