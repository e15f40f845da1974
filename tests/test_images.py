"""The image pipeline: renditions at the declared widths, metadata stripped, alt text
required, broken files reported, nothing made twice."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from egorod import images
from egorod.content.read import images_without_alt, photographs_without_caption

GPS_IFD = 0x8825
BODY_SERIAL = 0xA431       # BodySerialNumber, in the Exif IFD
EXIF_IFD = 0x8769
MAKE = 0x010F


def camera_photo(width: int = 2000, height: int = 1200, orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: GPS position, camera make and serial number, an orientation."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    for x in range(0, width, 50):               # some detail, so that sizes differ by width
        image.paste((20, 60, 160), (x, 0, x + 10, height))
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[images._ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)})
    exif.get_ifd(EXIF_IFD)[BODY_SERIAL] = "SN-123456"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


def plan_for(path: Path, root: Path, url: str = "/x/photo.jpg") -> images.Picture:
    import hashlib
    return images.plan(url, path.relative_to(root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest(),
                       images.header_size(path), images.modern_format(), images.settings_key())


def serial(fork_unused, count, workers):  # the sequential stand-in for parallel.forked_batches
    raise AssertionError("one worker: no processes forked")


@pytest.fixture()
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "content" / "photo.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(camera_photo())
    return path


def test_every_rendition_has_its_declared_size_and_no_metadata(tmp_path: Path, photo: Path) -> None:
    picture = plan_for(photo, tmp_path)
    cache = tmp_path / "cache"
    made, problems = images.process_all(tmp_path, cache, [picture], 1, serial)
    assert problems == [] and made == len(picture.renditions)
    assert [r.width for r in picture.modern] == [480, 960, 1600]
    for rendition in picture.renditions:
        with Image.open(images.cached(cache, rendition)) as result:
            assert result.size == (rendition.width, rendition.height)
            assert result.format.lower() == rendition.format
            exif = result.getexif()
            assert not exif.get_ifd(GPS_IFD) and not exif.get_ifd(EXIF_IFD) and MAKE not in exif
            assert "exif" not in result.info and "icc_profile" not in result.info and "xmp" not in result.info
    assert picture.email.width == images.EMAIL_WIDTH and picture.email.format == "jpeg"
    assert picture.clean.url == "/x/photo.jpg" and picture.clean.width == images.MAX_WIDTH


def test_unchanged_pictures_are_not_made_again(tmp_path: Path, photo: Path) -> None:
    picture = plan_for(photo, tmp_path)
    cache = tmp_path / "cache"
    assert images.process_all(tmp_path, cache, [picture], 1, serial)[0] > 0
    assert images.process_all(tmp_path, cache, [picture], 1, serial) == (0, [])


def test_orientation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "turned.jpg"
    path.write_bytes(camera_photo(800, 400, orientation=6))     # taken holding the phone upright
    picture = plan_for(path, tmp_path, "/turned.jpg")
    assert (picture.width, picture.height) == (400, 800)
    images.process_all(tmp_path, tmp_path / "cache", [picture], 1, serial)
    with Image.open(images.cached(tmp_path / "cache", picture.plain[-1])) as result:
        assert result.size == (400, 800)


def test_small_pictures_are_not_enlarged(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(path)
    picture = plan_for(path, tmp_path, "/small.png")
    assert [r.width for r in picture.plain] == [300] and picture.plain[0].format == "png"


def test_a_truncated_file_is_a_problem_not_a_traceback(tmp_path: Path, photo: Path) -> None:
    photo.write_bytes(photo.read_bytes()[:3000])
    picture = plan_for(photo, tmp_path)        # the header is still whole
    made, problems = images.process_all(tmp_path, tmp_path / "cache", [picture], 1, serial)
    assert made == 0 and len(problems) == 1
    assert problems[0][0] == "content/photo.jpg" and "truncated" in problems[0][1]


def test_a_file_that_is_no_image_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "fake.jpg"
    path.write_text("not a picture")
    with pytest.raises(images.ImageProblem, match="cannot identify image file"):
        images.header_size(path)


def test_a_decompression_bomb_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.png"
    Image.new("L", (400, 400)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)     # the file holds 1,600 times as many
    with pytest.raises(images.ImageProblem, match="decompression bomb"):
        images.header_size(path)


def test_img_becomes_a_sized_picture_lazy_after_the_first(tmp_path: Path, photo: Path) -> None:
    picture = plan_for(photo, tmp_path)
    html = images.pictures_in_html('<p><img alt="Площадь" src="/x/photo.jpg" /></p>'
                                   '<p><img alt="Снова" src="/x/photo.jpg" /><img alt="Чужая" src="/y.jpg" /></p>',
                                   {picture.url: picture})
    first, second = re.findall(r"<picture>.*?</picture>", html)
    assert 'width="1600" height="960"' in first and 'alt="Площадь"' in first and "loading" not in first
    assert 'loading="lazy" decoding="async"' in second
    assert f'type="{picture.modern[0].mime}"' in first and "/images/" in first and "480w" in first
    assert '<img alt="Чужая" src="/y.jpg" />' in html


def test_a_decorative_picture_has_an_empty_alt(tmp_path: Path, photo: Path) -> None:
    picture = plan_for(photo, tmp_path)
    html = images.pictures_in_html('<img alt="" class="decorative" src="/x/photo.jpg" />', {picture.url: picture})
    assert 'alt=""' in html


@pytest.mark.parametrize(("body", "lines"), [
    ("Текст.\n\n![](a.jpg)\n", [3]),
    ("![Площадь](a.jpg)\n", []),
    ("![](a.jpg){.decorative}\n", []),
    ("```\n![](a.jpg)\n```\n", []),
    ("`![](a.jpg)`\n\n![ ](b.png \"title\")\n", [3]),
])
def test_images_without_alt_are_found_with_their_lines(body: str, lines: list[int]) -> None:
    assert images_without_alt(body, 1) == lines


@pytest.mark.parametrize(("body", "lines"), [
    ("![Зал](zal.jpg)\n", [1]),
    ("![Зал](zal.JPEG \"Зал. Фото: И. Петров, CC BY 4.0\")\n", []),
    ("![Схема](skhema.png)\n", []),                  # a drawing, not a photograph
    ("Текст\n\n![](ornament.jpg){.decorative}\n", []),
])
def test_vestnik_photographs_need_a_caption(body: str, lines: list[int]) -> None:
    assert photographs_without_caption(body, 1) == lines


def test_a_titled_picture_alone_in_its_paragraph_is_a_figure(tmp_path: Path, photo: Path) -> None:
    picture = plan_for(photo, tmp_path)
    html = images.pictures_in_html('<p><img alt="Зал" src="/x/photo.jpg" title="Зал. Фото: И. Петров" /></p>',
                                   {picture.url: picture})
    assert html.startswith('<figure class="picture"><picture>')
    assert html.endswith('<figcaption class="meta">Зал. Фото: И. Петров</figcaption></figure>')


# --- builds -------------------------------------------------------------------------------

ARTICLE = """
---
title: Опыт городов
authors: [Экспертный совет МАГ]
---
Текст.

![Площадь у вокзала](plosh.jpg "Площадь. Фото: И. Петров, CC BY 4.0")
"""


def published_files(html: str) -> list[tuple[str, int]]:
    return [(url, int(width)) for url, width in re.findall(r"(/[^\s\",]+) (\d+)w", html)]


@pytest.mark.slow
def test_a_built_page_shows_a_picture_whose_files_exist_clean(repo) -> None:
    (repo.root / "content/vestnik/1/plosh.jpg").write_bytes(camera_photo())
    (repo.root / "content/vestnik/1/unused.jpg").write_bytes(camera_photo(100, 100))
    repo.write("content/vestnik/1/02-opyt.md", ARTICLE)
    repo.build()
    page = repo.read("vestnik/1/opyt/index.html")
    files = published_files(page)
    assert len(files) == 6
    for url, width in files:
        with Image.open(repo.out / url.lstrip("/")) as rendition:
            assert rendition.width == width
            assert not rendition.getexif().get_ifd(GPS_IFD) and MAKE not in rendition.getexif()
    with Image.open(repo.out / "vestnik/1/plosh.jpg") as clean:      # the original's address, cleaned
        assert clean.width == images.MAX_WIDTH and not clean.getexif()
    assert not (repo.out / "vestnik/1/unused.jpg").exists()
    # a page without pictures stays as it was
    assert "<picture>" not in repo.read("vestnik/1/vvedenie/index.html")


@pytest.mark.slow
def test_unchanged_images_are_not_reprocessed_and_unused_ones_go(repo) -> None:
    (repo.root / "content/vestnik/1/plosh.jpg").write_bytes(camera_photo())
    repo.write("content/vestnik/1/02-opyt.md", ARTICLE)
    repo.build()
    cache = sorted((repo.root / ".cache/images").rglob("*.*"))
    stamps = [path.stat().st_mtime_ns for path in cache]
    page = repo.read("vestnik/1/opyt/index.html")
    repo.build()
    assert [path.stat().st_mtime_ns for path in cache] == stamps
    assert sorted((repo.root / ".cache/images").rglob("*.*")) == cache
    assert repo.read("vestnik/1/opyt/index.html") == page
    repo.write("content/vestnik/1/02-opyt.md", ARTICLE.split("![")[0])
    repo.build()
    assert not list((repo.out / "images").glob("*")) and not (repo.out / "vestnik/1/plosh.jpg").exists()


@pytest.mark.slow
def test_missing_alt_text_fails_with_path_and_line(repo) -> None:
    (repo.root / "content/vestnik/1/plosh.jpg").write_bytes(camera_photo(100, 100))
    repo.write("content/vestnik/1/02-opyt.md", ARTICLE.replace("Площадь у вокзала", ""))
    result = repo.run("check")
    assert result.status == 1
    assert "content/vestnik/1/02-opyt.md:7: image: alt text missing" in result.output


@pytest.mark.slow
def test_a_broken_image_is_a_clear_error(repo) -> None:
    (repo.root / "content/vestnik/1/plosh.jpg").write_bytes(camera_photo()[:2000])
    repo.write("content/vestnik/1/02-opyt.md", ARTICLE)
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1
    assert "content/vestnik/1/plosh.jpg:0: image: cannot be read as an image" in result.output
    assert "Traceback" not in result.output


def test_check_names_a_file_that_is_no_picture(repo) -> None:
    (repo.root / "content/vestnik/1/plosh.jpg").write_text("<html>not a photo</html>")
    repo.write("content/vestnik/1/02-opyt.md", ARTICLE)
    result = repo.run("check")
    assert result.status == 1
    assert "content/vestnik/1/plosh.jpg:0: image: cannot be read as an image" in result.output


@pytest.mark.slow
def test_a_city_picture_from_the_front_matter_is_a_figure_with_its_credit(repo) -> None:
    (repo.root / "content/cities/kazan.jpg").write_bytes(camera_photo(1200, 800))
    city = (repo.root / "content/cities/kazan.md").read_text(encoding="utf-8")
    repo.write("content/cities/kazan.md", city.replace("summary:", "image:\n  file: kazan.jpg\n  alt: Кремль\n"
                                                       "  caption: Казанский кремль\n  credit: Фото — И. Петров, CC BY 4.0\n"
                                                       "summary:", 1))
    repo.build()
    page = repo.read("cities/kazan/index.html")
    figure = re.search(r'<figure class="illustration">.*?</figure>', page, re.S)
    assert figure is not None
    assert 'alt="Кремль"' in figure.group() and 'width="1200" height="800"' in figure.group()
    assert 'class="credit">Фото — И. Петров, CC BY 4.0<' in figure.group()
    for url, width in published_files(figure.group()):
        assert Image.open(repo.out / url.lstrip("/")).width == width


def test_a_front_matter_picture_needs_its_alt_and_its_file(repo) -> None:
    city = (repo.root / "content/cities/kazan.md").read_text(encoding="utf-8")
    repo.write("content/cities/kazan.md", city.replace("summary:", "image:\n  file: kazan.jpg\nsummary:", 1))
    result = repo.run("check")
    assert result.status == 1 and "content/cities/kazan.md:5: image.alt: is required but missing" in result.output
    repo.write("content/cities/kazan.md", city.replace("summary:", "image:\n  file: kazan.jpg\n  alt: Кремль\n"
                                                       "summary:", 1))
    result = repo.run("check")
    assert result.status == 1
    assert "content/cities/kazan.md:5: image: picture 'kazan.jpg' not found beside the Markdown file" in result.output


@pytest.mark.slow
def test_the_email_edition_shows_absolute_sized_jpegs_and_pages_their_open_graph_picture(repo) -> None:
    (repo.root / "content/bulletins/sessiya.jpg").write_bytes(camera_photo())
    bulletin = (repo.root / "content/bulletins/1.md").read_text(encoding="utf-8")
    repo.write("content/bulletins/1.md", bulletin + "\n![Зал заседаний сессии](sessiya.jpg)\n")
    repo.build()
    letter = repo.read("bulletins/1/email.html")
    (img,) = re.findall(r"<img\b[^>]*>", letter)
    src = re.search(r'src="([^"]+)"', img).group(1)
    assert src.startswith(("http://", "https://")) and src.endswith("-1072.jpg")
    assert 'width="536"' in img and 'height="322"' in img and 'alt="Зал заседаний сессии"' in img
    with Image.open(repo.out / src.split("/", 3)[3]) as rendition:
        assert rendition.size == (2 * 536, round(1200 * 1072 / 2000)) and rendition.format == "JPEG"
    page = repo.read("bulletins/1/index.html")
    og = re.search(r'<meta property="og:image" content="([^"]+)">', page).group(1)
    assert og.endswith("-og.jpg")
    with Image.open(repo.out / og.split("/", 3)[3]) as rendition:
        assert rendition.size == images.OPEN_GRAPH
    assert "/static/img/og.png" in repo.read("bulletins/index.html")     # no picture: the site's own


def test_pictures_are_made_on_forked_workers(tmp_path: Path) -> None:
    from egorod.parallel import forked_batches
    pictures = []
    for number in range(3):
        path = tmp_path / "content" / f"p{number}.jpg"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(camera_photo(300 + number, 200))
        pictures.append(plan_for(path, tmp_path, f"/p{number}.jpg"))
    made, problems = images.process_all(tmp_path, tmp_path / "cache", pictures, 2, forked_batches)
    assert problems == [] and made == sum(len(p.renditions) for p in pictures)
    assert all(images.cached(tmp_path / "cache", r).is_file() for p in pictures for r in p.renditions)


@pytest.mark.slow
def test_a_changed_picture_gives_the_same_bytes_as_a_cold_build(repo, tmp_path: Path) -> None:
    photo = repo.root / "content/vestnik/1/plosh.jpg"
    photo.write_bytes(camera_photo())
    repo.write("content/vestnik/1/02-opyt.md", ARTICLE)
    repo.build()
    photo.write_bytes(camera_photo(1800, 1000))
    repo.build()
    cold = tmp_path / "cold"
    import shutil
    shutil.rmtree(repo.root / ".cache")
    repo.build("--out", str(cold))
    warm_files = sorted(p.relative_to(repo.out) for p in repo.out.rglob("*") if p.is_file())
    cold_files = sorted(p.relative_to(cold) for p in cold.rglob("*") if p.is_file())
    assert warm_files == cold_files
    for relative in warm_files:
        if relative.name != ".egorod-output":
            assert (repo.out / relative).read_bytes() == (cold / relative).read_bytes(), relative


def test_the_sample_pictures_are_drawn_large_enough_for_print() -> None:
    from egorod import samples
    assert samples.embankment().size == (2400, 1500)
    assert samples.route_network().size == (2400, 1600)     # ≥ 300 dpi across a 170 mm column
    for relative in (samples.EMBANKMENT, samples.ROUTE_NETWORK):
        assert (Path(__file__).resolve().parent.parent / relative).is_file()


@pytest.mark.slow
def test_an_editors_cover_is_a_clean_thumbnail_with_its_widths(repo) -> None:
    (repo.root / "content/vestnik/1/cover.jpg").write_bytes(camera_photo(1400, 1980))
    index = (repo.root / "content/vestnik/1/_index.md").read_text(encoding="utf-8")
    repo.write("content/vestnik/1/_index.md", index.replace("title: Город для людей", "title: Город для людей\ncover: cover.jpg"))
    repo.build()
    listing = repo.read("vestnik/index.html")
    assert 'src="/vestnik/1/cover.jpg" srcset="/images/' in listing and 'sizes="16rem"' in listing
    with Image.open(repo.out / "vestnik/1/cover.jpg") as cover:
        assert cover.width == 1400 and not cover.getexif()


def test_a_truncated_file_fails_even_after_weasyprint_was_imported(tmp_path: Path, photo: Path) -> None:
    import weasyprint  # noqa: F401  (it lets Pillow pad truncated files, process-wide)
    from PIL import ImageFile
    assert ImageFile.LOAD_TRUNCATED_IMAGES
    photo.write_bytes(photo.read_bytes()[:3000])
    made, problems = images.process_all(tmp_path, tmp_path / "cache", [plan_for(photo, tmp_path)], 1, serial)
    assert made == 0 and "truncated" in problems[0][1]
    assert ImageFile.LOAD_TRUNCATED_IMAGES     # WeasyPrint's own setting is left as it was
