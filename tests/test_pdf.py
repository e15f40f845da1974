"""Print PDFs of the Vestnik and the bulletin: geometry for the printer, fonts, contents,
bookmarks, metadata, reproducibility and the render cache.

Builds run the real command line (WeasyPrint, worker processes, pypdfium2); the PDFs are
read back with pypdf. One module-wide build serves the read-only checks.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_repo
from PIL import Image
from pypdf import PdfReader

from egorod import pipeline
from egorod.markup import Renderer
from egorod.pdf import pdfx4_problems
from egorod.print_html import print_body

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow

MM = 72 / 25.4
ISSUE_PDF = "vestnik/1/vestnik-1.pdf"              # the reader's edition
BULLETIN_PDF = "bulletins/1/bulletin-1.pdf"
ISSUE_PRINT = "vestnik/1/vestnik-1-print.pdf"        # the print shop's
BULLETIN_PRINT = "bulletins/1/bulletin-1-print.pdf"
EDITIONS = (ISSUE_PDF, BULLETIN_PDF, ISSUE_PRINT, BULLETIN_PRINT)
ARTICLES = ["Введение", "Опыт городов"]     # the fixture's issue 1, in order
FIRST_WORDS = {"Введение": "введения", "Опыт городов": "опыте"}


def build(repo, *args: str):
    """``build.py build --no-search --quiet`` through the CLI; returns the build context."""
    contexts = []
    real_build = pipeline.build

    def observed(config):
        contexts.append(real_build(config))
        return contexts[-1]

    pipeline.build = observed
    try:
        result = repo.run("build", "--no-search", "--quiet", *args)
    finally:
        pipeline.build = real_build
    assert result.status == 0, result.output
    return contexts[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("pdf") / "site")
    # A longer first article: its footnote is laid out on a page already filled with text
    # (where WeasyPrint's own float comparison used to push the note to the next page).
    (repo.root / "content/vestnik/1/01-vvedenie.md").write_text(
        "---\ntitle: Введение\nauthors: [Редакция]\n---\n"
        + "Слово о городе и людях. " * 40 + "Текст введения[^1].\n\n"
        + "Второй абзац о городах. " * 30 + "\n\n[^1]: Сноска.\n", encoding="utf-8")
    context = build(repo)
    return repo, context


def reader(repo, relative: str) -> PdfReader:
    return PdfReader(repo.out / relative)


def page_texts(pdf: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in pdf.pages]


def box(page, name: str) -> list[float]:
    return [float(v) for v in page[name]]


# --- what the reader and the printer get ------------------------------------------------

def test_issue_and_bulletin_pdfs_are_published(built):
    repo, context = built
    issue, bulletin = reader(repo, ISSUE_PRINT), reader(repo, BULLETIN_PDF)
    # cover, inside cover, contents (a right-hand page), two articles, the back cover on a
    # left-hand page: 6 pages, completed to 8 in print (a stapled magazine has a multiple
    # of 4); the reader's edition has no blank pages to complete a sheet.
    assert len(issue.pages) == 8
    assert len(reader(repo, ISSUE_PDF).pages) == 6
    assert len(bulletin.pages) == 1 and len(reader(repo, BULLETIN_PRINT).pages) == 1
    assert context.report.pdf_rendered == ["bulletin-1.pdf", "vestnik-1.pdf"]
    back = issue.pages[-1].extract_text()
    assert "e-gorod.ru" in back and "№\u00a01" in back
    assert not issue.pages[5].extract_text().strip() and not issue.pages[6].extract_text().strip()
    text = "\n".join(page_texts(bulletin))
    assert "Информационный" in text and "№\u00a01" in text and "15\u00a0января 2024" in text
    assert "Сессия МАГ" in text and "Практики Казани" in text


def test_print_edition_has_trim_and_bleed_boxes_with_marks_outside_the_bleed(built):
    repo, _ = built
    for relative in (ISSUE_PRINT, BULLETIN_PRINT):
        for page in reader(repo, relative).pages:
            trim, bleed, media = box(page, "/TrimBox"), box(page, "/BleedBox"), box(page, "/MediaBox")
            assert trim[2] - trim[0] == pytest.approx(210 * MM, abs=0.01)
            assert trim[3] - trim[1] == pytest.approx(297 * MM, abs=0.01)
            for side in (0, 1):
                assert trim[side] - bleed[side] == pytest.approx(3 * MM, abs=0.01)
                assert bleed[side + 2] - trim[side + 2] == pytest.approx(3 * MM, abs=0.01)
                # The media box leaves room for the crop marks outside the bleed.
                assert bleed[side] - media[side] == pytest.approx(7 * MM, abs=0.01)
                assert media[side + 2] - bleed[side + 2] == pytest.approx(7 * MM, abs=0.01)


def test_every_font_is_embedded_and_subset(built):
    repo, _ = built
    for relative in EDITIONS:
        seen = set()
        for page in reader(repo, relative).pages:
            fonts = page["/Resources"].get_object().get("/Font", {})
            for font in fonts.values():
                font = font.get_object()
                descendants = [d.get_object() for d in font.get("/DescendantFonts", [font])]
                for descendant in descendants:
                    descriptor = descendant["/FontDescriptor"].get_object()
                    assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), descendant
                    name = str(descendant["/BaseFont"])
                    assert re.match(r"^/?[A-Z]{6}\+", name), f"{name} is not a subset"
                    seen.add(name.split("+", 1)[1])
        # Only the repository's PT fonts (under our family names), never a system fallback.
        assert seen and all(name.startswith("MAG-") for name in seen), seen
        assert {"MAG-Serif", "MAG-Sans-Bold"} <= seen


@pytest.mark.parametrize("edition", [ISSUE_PDF, ISSUE_PRINT])
def test_outline_has_one_entry_per_article(built, edition):
    repo, _ = built
    pdf = reader(repo, edition)
    top = [item for item in pdf.outline if not isinstance(item, list)]
    assert [item.title for item in top] == ARTICLES
    # The article's own sections are nested under it.
    nested = [item for item in pdf.outline if isinstance(item, list)]
    assert [child.title for child in nested[0]] == ["Минск"]


def test_contents_page_numbers_point_to_the_articles(built):
    repo, _ = built
    pdf = reader(repo, ISSUE_PDF)
    texts = page_texts(pdf)
    contents = next(index for index, text in enumerate(texts) if text.startswith("Содержание"))
    assert contents % 2 == 0            # page 3: a right-hand page
    outline = {item.title: pdf.get_destination_page_number(item)
               for item in pdf.outline if not isinstance(item, list)}
    for title in ARTICLES:
        match = re.search(re.escape(title) + r"\s*[.\s]*\.{3,}\s*(\d+)", texts[contents])
        assert match, f"{title!r} with a page number not in the contents:\n{texts[contents]}"
        number = int(match.group(1))
        page = texts[number - 1]
        assert title in page.split("\n")[:4], page          # the article's head opens the page
        assert FIRST_WORDS[title] in page and FIRST_WORDS[title] not in texts[number - 2]
        assert outline[title] == number - 1
    assert re.search(r"От редакции\s*\.{3,}\s*2\b", texts[contents])


def test_footnote_sits_at_the_foot_of_its_page(built):
    repo, _ = built
    texts = page_texts(reader(repo, ISSUE_PDF))
    page = next(text for text in texts if "екст введения" in text)
    lines = [line.strip() for line in page.split("\n") if line.strip()]
    assert "1.\u00a0Сноска." in lines
    assert lines.index("1.\u00a0Сноска.") > next(i for i, line in enumerate(lines) if "екст введения" in line)
    everything = "\n".join(texts)
    assert "Вернуться к тексту" not in everything and "\u21a9" not in everything


def test_metadata(built):
    repo, _ = built
    pdf = reader(repo, ISSUE_PDF)
    meta = pdf.metadata
    assert meta.title == "Вестник МАГ № 1. Город для людей"
    assert meta.author == "Редакция, Экспертный совет МАГ"
    assert meta.subject == "Город для людей"
    assert meta["/CreationDate"].startswith("D:20240301")
    assert meta["/ModDate"].startswith("D:20240301")
    assert pdf.trailer["/Root"]["/Lang"] == "ru"
    bulletin = reader(repo, BULLETIN_PDF)
    assert bulletin.metadata.title == "Информационный бюллетень МАГ № 1. Первый выпуск"
    assert bulletin.metadata["/CreationDate"].startswith("D:20240115")
    assert bulletin.trailer["/Root"]["/Lang"] == "ru"


def test_issue_pages_show_pdf_size_pages_and_cover(built):
    repo, _ = built
    size = (repo.out / ISSUE_PDF).stat().st_size
    issue_page = repo.read("vestnik/1/index.html")
    assert 'href="/vestnik/1/vestnik-1.pdf"' in issue_page
    assert f"PDF, {-(-size // 1024)}\u00a0КБ, 6 страниц" in issue_page
    # The print shop's file beside it, with its own size and pages.
    print_size = (repo.out / ISSUE_PRINT).stat().st_size
    assert 'href="/vestnik/1/vestnik-1-print.pdf"' in issue_page and "для типографии" in issue_page
    assert f"PDF, {-(-print_size // 1024)}\u00a0КБ, 8 страниц" in issue_page
    assert 'href="/bulletins/1/bulletin-1-print.pdf"' in repo.read("bulletins/1/index.html")
    assert "PDF, " in repo.read("bulletins/1/index.html") and "1 страница" in repo.read("bulletins/1/index.html")
    assert 'src="/vestnik/1/vestnik-1-cover.jpg"' in repo.read("vestnik/index.html")
    cover = Image.open(repo.out / "vestnik/1/vestnik-1-cover.jpg")
    assert cover.format == "JPEG" and cover.size == (420, 594)
    # The cover is the Assembly's blue (the page background, cut at the trim).
    red, green, blue = cover.convert("RGB").getpixel((300, 300))
    assert abs(red - 0x1F) < 12 and abs(green - 0x4E) < 12 and abs(blue - 0x79) < 12


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pages_render_with_pdftoppm(built, tmp_path):
    repo, _ = built
    subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "3", str(repo.out / ISSUE_PRINT),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3
    cover, _, contents = (Image.open(page).convert("RGB") for page in pages)
    # pdftoppm shows the media box: 230 × 317 mm at 30 dpi (bleed and the marks' margin).
    assert cover.size[0] == pytest.approx(230 / 25.4 * 30, abs=1)
    assert cover.size[1] == pytest.approx(317 / 25.4 * 30, abs=1)
    # Outside the bleed the page is white but for the crop marks.
    assert cover.getpixel((2, 2)) == (255, 255, 255)
    assert cover.getpixel((cover.width * 2 // 3, cover.height // 2))[2] > 100      # blue cover
    colours = contents.getcolors(maxcolors=1 << 16)
    assert colours and len(colours) > 16         # text was drawn on the contents page


# --- reproducibility and cost -----------------------------------------------------------

def test_two_builds_give_identical_files(repo, tmp_path):
    build(repo, "--out", str(tmp_path / "one"))
    shutil.rmtree(repo.root / ".cache")
    second = build(repo, "--out", str(tmp_path / "two"))
    assert second.report.pdf_rendered == ["bulletin-1.pdf", "vestnik-1.pdf"]
    for relative in (*EDITIONS, "vestnik/1/vestnik-1-cover.jpg"):
        assert (tmp_path / "one" / relative).read_bytes() == (tmp_path / "two" / relative).read_bytes()


def test_unchanged_issues_are_not_rendered_again(repo):
    repo.write("content/vestnik/2/_index.md", """
        ---
        number: 2
        date: 2024-06-01
        title: Цифровой город
        ---
        Слово редакции второго номера.
        """)
    repo.write("content/vestnik/2/01-dannye.md", """
        ---
        title: Открытые данные
        authors: [Редакция]
        section: Тема номера
        ---
        Текст об открытых данных.
        """)
    first = build(repo)
    assert first.report.pdf_rendered == ["bulletin-1.pdf", "vestnik-1.pdf", "vestnik-2.pdf"]
    second = build(repo)
    assert second.report.pdf_rendered == []
    assert second.report.pdf_cached == ["bulletin-1.pdf", "vestnik-1.pdf", "vestnik-2.pdf"]
    cache = repo.root / ".cache/pdf"
    assert (repo.out / "vestnik/2/vestnik-2.pdf").read_bytes() == \
        next(cache.glob("vestnik-2.*[0-9a-f].pdf")).read_bytes()
    assert (repo.out / "vestnik/2/vestnik-2-print.pdf").read_bytes() == \
        next(cache.glob("vestnik-2.*.print.pdf")).read_bytes()

    # Editing one article renders that issue only.
    article = repo.root / "content/vestnik/2/01-dannye.md"
    article.write_text(article.read_text(encoding="utf-8").replace("открытых данных", "наборах данных"),
                       encoding="utf-8")
    third = build(repo)
    assert third.report.pdf_rendered == ["vestnik-2.pdf"]
    assert "наборах данных" in "".join(page_texts(reader(repo, "vestnik/2/vestnik-2.pdf")))

    # A file the PDFs were made from (the print stylesheet) changed: all are made again.
    css = repo.root / "templates/print/print.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    fourth = build(repo)
    assert fourth.report.pdf_rendered == ["bulletin-1.pdf", "vestnik-1.pdf", "vestnik-2.pdf"]
    # Old variants are pruned: one cache entry per document and build state is enough.
    assert len(list((repo.root / ".cache/pdf").glob("vestnik-2.*.print.pdf"))) <= 2
    assert len(list((repo.root / ".cache/pdf").glob("vestnik-2.*.pdf"))) <= 4


def test_no_pdf_skips_print(repo):
    context = build(repo, "--no-pdf")
    assert context.report.pdf_rendered == [] and "pdf" not in context.timings
    assert not (repo.out / ISSUE_PDF).exists()
    assert "Скачать номер в PDF" not in repo.read("vestnik/1/index.html")
    assert "cover-placeholder" in repo.read("vestnik/index.html")


def test_an_editors_cover_image_wins(repo):
    image = io.BytesIO()
    Image.new("RGB", (210, 297), (200, 30, 30)).save(image, "JPEG")
    (repo.root / "content/vestnik/1/oblozhka.jpg").write_bytes(image.getvalue())
    index = repo.root / "content/vestnik/1/_index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("title: Город для людей",
                                                               "title: Город для людей\ncover: oblozhka.jpg"),
                     encoding="utf-8")
    build(repo)
    assert 'src="/vestnik/1/oblozhka.jpg"' in repo.read("vestnik/index.html")
    assert not (repo.out / "vestnik/1/vestnik-1-cover.jpg").exists()
    assert (repo.out / ISSUE_PDF).is_file()


def test_a_missing_image_is_an_editor_error(repo):
    repo.write("content/vestnik/1/02-opyt.md", """
        ---
        title: Опыт городов
        authors: [Экспертный совет МАГ]
        ---
        Текст.

        ![Схема](skhema.png)
        """)
    result = repo.run("build", "--no-search", "--quiet")
    assert result.status == 1
    assert "content/vestnik/1/02-opyt.md:7: body: image 'skhema.png' not found" in result.output
    assert "Traceback" not in result.output


# --- the body transformation ------------------------------------------------------------

def test_footnotes_move_to_their_reference_and_ids_get_the_prefix():
    source = ("## Глава\n\nТекст[^1] и ещё раз[^1], [город](/cities/kazan/), [выше](#glava).\n\n"
              "![Схема](img/skhema.png)\n\n[^1]: Сноска с [ссылкой](/practices/).\n\n"
              "    Второй абзац сноски.\n")
    body = print_body(Renderer().html(source, "a01-"), prefix="a01-",
                      asset_dir="content/vestnik/1", base_url="https://e-gorod.ru/", initial=True)
    html = str(body.html)
    assert '<h2 id="a01-glava">' in html
    assert ('<p><span class="initial">Т</span>екст<span class="fn" id="a01-fn-1">Сноска с '
            '<a href="https://e-gorod.ru/practices/">ссылкой</a>.\n<br>Второй абзац сноски.</span>') in html
    assert '<a class="footnote-again" href="#a01-fn-1"></a>' in html
    assert 'href="https://e-gorod.ru/cities/kazan/"' in html and 'href="#a01-glava"' in html
    assert 'src="content/vestnik/1/img/skhema.png"' in html
    assert body.images == ["content/vestnik/1/img/skhema.png"] and body.footnotes == 1
    assert 'class="footnote"' not in html and "footnote-backref" not in html and "<ol>" not in html


# --- the two editions ----------------------------------------------------------------------

def _catalog(pdf: PdfReader):
    return pdf.trailer["/Root"]


def _xmp(pdf: PdfReader) -> bytes:
    return _catalog(pdf)["/Metadata"].get_object().get_data()


@pytest.mark.parametrize("edition", [ISSUE_PRINT, BULLETIN_PRINT])
def test_print_edition_is_pdfx4_with_a_cmyk_output_intent(built, edition):
    repo, _ = built
    pdf = reader(repo, edition)
    (intent,) = [i.get_object() for i in _catalog(pdf)["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFX" and intent["/OutputConditionIdentifier"] == "CGATS TR 001"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 4 and profile.get_data()[16:20] == b"CMYK"
    assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in _xmp(pdf)
    assert pdf.metadata["/Trapped"] == "/False" and pdf.metadata.title
    assert pdf.pdf_header >= "%PDF-1.6"
    # The design's RGB is device-independent sRGB, which PDF/X-4 accepts beside CMYK.
    spaces = pdf.pages[0]["/Resources"]["/ColorSpace"]
    assert spaces["/DefaultRGB"][0] == "/ICCBased"
    _assert_nothing_a_print_shop_refuses(pdf)


def _assert_nothing_a_print_shop_refuses(pdf: PdfReader) -> None:
    """PDF/X forbids encryption and anything that runs or plays (JavaScript, actions)."""
    assert not pdf.is_encrypted and "/Encrypt" not in pdf.trailer
    catalog = _catalog(pdf)
    assert "/OpenAction" not in catalog and "/AA" not in catalog
    assert "/JavaScript" not in catalog.get("/Names", {})
    for page in pdf.pages:
        assert "/AA" not in page
        for annotation in page.get("/Annots", []):
            action = annotation.get_object().get("/A", {})
            assert action.get("/S") not in ("/JavaScript", "/Launch")


def test_print_edition_carries_the_complete_imprint(built):
    repo, _ = built
    inside = page_texts(reader(repo, ISSUE_PRINT))[1].replace("\n", " ")
    for shown in ("Главный редактор", "И.\u00a0И.\u00a0Образцов", "Учредитель", "Издатель",
                  "Адрес издателя и\u00a0редакции", "119019", "ПИ №\u00a0ФС77-00000", "ISSN 0000-0019",
                  "12+", "Подписано в\u00a0печать 26\u00a0февраля 2024", "Тираж 500\u00a0экз.",
                  "Типография-образец", "Заказ №\u00a017", "образец"):
        assert shown.replace("\u00a0", " ") in inside.replace("\u00a0", " "), shown


def test_an_incomplete_imprint_is_named_in_the_build_log(repo, capsys):
    index = repo.root / "content/vestnik/1/_index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("print_run: 500\n", ""), encoding="utf-8")
    result = repo.run("build", "--no-search")
    assert result.status == 0, result.output
    assert "vestnik-1-print.pdf" in result.output and "тираж" in result.output


@pytest.mark.parametrize("edition", [ISSUE_PDF, BULLETIN_PDF])
def test_reader_edition_is_the_trimmed_page_tagged_for_screen_readers(built, edition):
    repo, _ = built
    pdf = reader(repo, edition)
    for page in pdf.pages:
        assert box(page, "/MediaBox") == box(page, "/TrimBox")
        assert box(page, "/MediaBox")[2:] == pytest.approx([210 * MM, 297 * MM], abs=0.01)
        assert "/BleedBox" not in page
    catalog = _catalog(pdf)
    assert catalog["/Lang"] == "ru" and catalog["/MarkInfo"]["/Marked"]
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] and pdf.metadata.title
    assert b'pdfuaid:part="1"' in _xmp(pdf)
    assert "/OutputIntents" not in catalog
    assert [item.title for item in pdf.outline if not isinstance(item, list)]
    figures = _struct_elements(catalog["/StructTreeRoot"], "/Figure")
    assert figures and all(figure.get("/Alt") for figure in figures)
    _assert_nothing_a_print_shop_refuses(pdf)


def _struct_elements(node, kind: str) -> list:
    found = []
    node = node.get_object()
    if hasattr(node, "get") and node.get("/S") == kind:
        found.append(node)
    kids = node.get("/K", []) if hasattr(node, "get") else []
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if hasattr(kid, "get") and "/S" in kid or hasattr(kid, "get") and kid.get("/Type") == "/StructTreeRoot":
            found += _struct_elements(kid, kind)
    return found


def test_reader_edition_is_smaller_than_the_print_file(built):
    repo, _ = built
    for readers, printers in ((ISSUE_PDF, ISSUE_PRINT), (BULLETIN_PDF, BULLETIN_PRINT)):
        assert (repo.out / readers).stat().st_size < (repo.out / printers).stat().st_size


def test_bulletin_prints_the_address_of_each_link_and_keeps_it_live(built):
    repo, _ = built
    pdf = reader(repo, BULLETIN_PDF)
    text = page_texts(pdf)[0].replace("\n", "")
    assert "практику (e-gorod.ru/practices/razdelnyy-sbor)" in text
    uris = [a.get_object()["/A"].get("/URI") for a in pdf.pages[0].get("/Annots", [])]
    assert "https://e-gorod.ru/practices/razdelnyy-sbor/" in uris


def test_feeds_enclose_the_readers_edition(built):
    repo, _ = built
    feed = repo.read("vestnik/feed.xml")
    assert "vestnik-1.pdf" in feed and "-print.pdf" not in feed


def test_crop_marks_can_be_left_to_the_print_shop(repo):
    settings = repo.root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("crop_marks: true", "crop_marks: false"),
                        encoding="utf-8")
    build(repo)
    for page in reader(repo, ISSUE_PRINT).pages:
        assert box(page, "/MediaBox") == box(page, "/BleedBox")


@pytest.mark.skipif(shutil.which("pdfua") is None and not (Path(sys.executable).parent / "pdfua").exists(),
                    reason="the pdfua checker (PyPI) is not installed")
@pytest.mark.parametrize("edition", [ISSUE_PDF, BULLETIN_PDF])
def test_reader_edition_passes_the_pdfua_checker(built, edition):
    repo, _ = built
    command = shutil.which("pdfua") or str(Path(sys.executable).parent / "pdfua")
    result = subprocess.run([command, "check", str(repo.out / edition)], capture_output=True, text=True)
    assert "result: PASS" in result.stdout or "errors=0" in result.stdout, result.stdout


@pytest.mark.parametrize(("line", "message"), [
    ('issn: "0000-0018"', "0000-0018"),          # the check digit of 0000-001 is 9
    ("age_mark: 14+", "14+"),
])
def test_imprint_settings_are_checked(repo, line, message):
    settings = repo.root / "site.yaml"
    field = line.split(":", 1)[0]
    text = re.sub(rf"(?m)^  {field}:.*$", f"  {line}", settings.read_text(encoding="utf-8"))
    settings.write_text(text, encoding="utf-8")
    result = repo.run("check")
    assert result.status == 1 and f"print.{field}" in result.output and message in result.output


def test_print_edition_needs_a_cmyk_output_profile(repo):
    settings = repo.root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "output_profile: templates/print/cmyk-swop-artifex.icc", "output_profile: static/img/logo.svg"),
        encoding="utf-8")
    result = repo.run("build", "--no-search", "--quiet")
    assert result.status == 1 and "print.output_profile" in result.output and "CMYK" in result.output


def test_an_image_too_coarse_for_print_is_named_on_every_build(repo):
    Image.new("RGB", (60, 40), (90, 120, 160)).save(repo.root / "content/vestnik/1/skhema.png")
    article = repo.root / "content/vestnik/1/02-opyt.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n![Схема](skhema.png)\n", encoding="utf-8")
    for _ in range(2):      # rendered, then from the cache
        result = repo.run("build", "--no-search")
        assert result.status == 0, result.output
        assert "vestnik-1-print.pdf" in result.output and "content/vestnik/1/skhema.png" in result.output
        assert "300" in result.output


def test_print_editions_pass_the_builds_own_pdfx4_check_and_it_catches_a_reader_file(built):
    repo, _ = built
    for edition in (ISSUE_PRINT, BULLETIN_PRINT):
        assert pdfx4_problems((repo.out / edition).read_bytes()) == []
    problems = pdfx4_problems((repo.out / ISSUE_PDF).read_bytes())
    assert "no PDF/X output intent with its profile" in problems
    assert "no PDF/X-4 version in the metadata" in problems
    assert "page 1 without TrimBox and BleedBox" in problems


def test_an_issue_checked_out_elsewhere_gives_the_same_pdf_bytes(tmp_path):
    """WeasyPrint names each image by its address: the print HTML's base is the same wherever
    the repository lies, so CI and an editor's machine make the same files."""
    outputs = []
    for place in ("here", "elsewhere/deeper"):
        repo = make_repo(tmp_path / place)
        Image.new("RGB", (1200, 800), (90, 120, 160)).save(repo.root / "content/vestnik/1/skhema.png")
        article = repo.root / "content/vestnik/1/02-opyt.md"
        article.write_text(article.read_text(encoding="utf-8") + "\n![Схема](skhema.png)\n", encoding="utf-8")
        result = repo.run("build", "--no-search", "--quiet")
        assert result.status == 0, result.output
        outputs.append(repo.out / "vestnik/1/vestnik-1.pdf")
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
