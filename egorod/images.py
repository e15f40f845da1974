"""The one image pipeline: every raster picture the content shows, made into renditions.

A photograph kept beside the Markdown is never published as it is: it may be 6 MB, turned
by an EXIF tag, in a camera's colour space, and carry its GPS position and the camera's
serial number. Each one becomes

- a responsive set for the site: a few widths in the modern format the installed Pillow
  writes (AVIF, else WebP) and in JPEG (PNG for pictures with transparency), under names
  made from the source's hash, so that a browser may keep them for a year;
- at the original's own address, one clean copy (oriented, sRGB, no metadata, at most
  ``MAX_WIDTH`` wide) for links to the file and for readers without ``srcset``;
- for the e-mail edition, a JPEG twice as wide as it is shown.

Every rendition is kept in the build cache under a key made from the source's hash and the
settings below; an unchanged picture is never decoded again.
"""
from __future__ import annotations

import hashlib
import io
import posixpath
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable
from urllib.parse import unquote, urlsplit

from .files import write_atomically
from .i18n import _

if TYPE_CHECKING:
    from PIL.Image import Image

# Widths of the responsive set, in pixels; none wider than the source.
WIDTHS = (480, 960, 1600)
MAX_WIDTH = WIDTHS[-1]
EMAIL_SHOWN = 536             # the letter's text column: 600 px less 32 px each side (templates/email/bulletin.html)
EMAIL_WIDTH = 2 * EMAIL_SHOWN  # twice the shown width, for sharp screens
OPEN_GRAPH = (1200, 630)      # what social networks show for a shared page
QUALITY = {"avif": 60, "webp": 78, "jpeg": 82}
# How wide a picture is shown: the column of text, at most --measure (42rem, static/css/site.css);
# the browser picks the smallest file that fills it.
SIZES = "(max-width: 42rem) 100vw, 42rem"
# Raise when the encoding changes: every cached rendition is then made again.
PIPELINE_VERSION = "1"
RASTER_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".avif"})
IMAGES_URL = "/images/"
_FORMAT_OF_SUFFIX = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp", ".avif": "avif"}
_SUFFIX_OF_FORMAT = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}
_MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif"}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_ORIENTATION = 0x0112
_TURNED = {5, 6, 7, 8}        # EXIF orientations that swap width and height


def beside(source_path: str, name: str) -> str:
    """The file ``name`` next to the Markdown file ``source_path``, relative to the repository root."""
    return posixpath.join(posixpath.dirname(source_path), name)


def site_url(local: str) -> str:
    """``content/vestnik/77/plan.jpg`` → ``/vestnik/77/plan.jpg``: where the build publishes it."""
    return "/" + local[len("content/"):]


def local_image(source_path: str, target: str) -> str | None:
    """The file under content/ that a link or image of ``source_path`` names, when it is a raster
    picture kept beside the Markdown (``content/vestnik/77/plan.jpg``)."""
    if _SCHEME.match(target) or target.startswith(("#", "//", "/")):
        return None
    path = unquote(urlsplit(target).path)
    if posixpath.splitext(path)[1].lower() not in RASTER_SUFFIXES:
        return None
    local = posixpath.normpath(beside(source_path, path))
    return local if local.startswith("content/") else None


class ImageProblem(Exception):
    """A picture that cannot be read; the message names what is wrong, for the editor."""


def modern_format() -> str:
    """AVIF where the installed Pillow writes it, else WebP."""
    from PIL import features
    return "avif" if features.check("avif") else "webp"


@dataclass(frozen=True)
class Rendition:
    url: str          # where the site publishes it
    format: str       # jpeg, png, webp, avif
    width: int
    height: int
    key: str          # its name in the cache
    crop: bool = False  # cut to width × height from the middle, not scaled to the width

    @property
    def mime(self) -> str:
        return _MIME[self.format]


@dataclass(frozen=True)
class Picture:
    """A source picture and every rendition the outputs use."""
    url: str                       # the original's address on the site, /vestnik/77/plan.jpg
    source: str                    # its file, relative to the repository root
    width: int                     # after orientation
    height: int
    clean: Rendition               # at ``url``: oriented, sRGB, no metadata
    modern: tuple[Rendition, ...]  # the responsive set in AVIF or WebP
    plain: tuple[Rendition, ...]   # the same widths in JPEG or PNG
    email: Rendition               # JPEG, EMAIL_WIDTH wide at most
    open_graph: Rendition          # JPEG, OPEN_GRAPH, cut from the middle

    @property
    def renditions(self) -> tuple[Rendition, ...]:
        return (self.clean, *self.modern, *self.plain, self.email, self.open_graph)


def settings_key() -> str:
    """What, besides the source, decides the bytes of a rendition."""
    from PIL import __version__ as pillow
    return f"{PIPELINE_VERSION}|{pillow}|{sorted(QUALITY.items())}"


def header_size(path: Path) -> tuple[int, int, bool]:
    """Width and height as shown (EXIF orientation applied) and whether it has transparency,
    read from the header only."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as image:
            width, height = image.size
            if image.getexif().get(_ORIENTATION) in _TURNED:
                width, height = height, width
            alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    # (a "decompression bomb": a small file that would decode to more pixels than any photograph)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageProblem(_("cannot be read as an image ({error})").format(error=error)) from None
    if width < 1 or height < 1:
        raise ImageProblem(_("has no pixels"))
    return width, height, alpha


def scaled(width: int, height: int, target: int) -> tuple[int, int]:
    """Size at ``target`` pixels wide (never wider than the source), proportions kept."""
    if target >= width:
        return width, height
    return target, max(1, round(height * target / width))


def plan(url: str, source: str, digest: str, size: tuple[int, int, bool], modern: str,
         settings: str) -> Picture:
    """The renditions of one picture, named from its hash; nothing is decoded here."""
    width, height, alpha = size
    plain_format = "png" if alpha else "jpeg"
    stem = f"{IMAGES_URL}{digest[:16]}"

    def rendition(target: int, format_: str, address: str | None = None) -> Rendition:
        w, h = scaled(width, height, target)
        key = hashlib.sha256(f"{settings}|{digest}|{w}|{format_}".encode()).hexdigest()
        return Rendition(address or f"{stem}-{w}.{_SUFFIX_OF_FORMAT[format_]}", format_, w, h, key)

    widths = sorted({scaled(width, height, target)[0] for target in WIDTHS})
    original_format = _FORMAT_OF_SUFFIX[posixpath.splitext(url)[1].lower()]
    og_width, og_height = OPEN_GRAPH
    og_key = hashlib.sha256(f"{settings}|{digest}|{og_width}x{og_height}|crop".encode()).hexdigest()
    return Picture(url, source, width, height,
                   clean=rendition(MAX_WIDTH, original_format, url),
                   modern=tuple(rendition(w, modern) for w in widths),
                   plain=tuple(rendition(w, plain_format) for w in widths),
                   email=rendition(EMAIL_WIDTH, "jpeg"),
                   open_graph=Rendition(f"{stem}-og.jpg", "jpeg", og_width, og_height, og_key, crop=True))


def decode(data: bytes) -> Image:
    """The picture as it should look: every pixel read (a truncated file fails here),
    turned upright, in sRGB, RGB or RGBA, with no metadata left."""
    from PIL import Image, ImageCms, ImageFile, ImageOps
    # WeasyPrint, once imported, lets Pillow pad a truncated file with grey for the whole
    # process: a damaged picture must fail here all the same.
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageProblem(_("cannot be read as an image ({error})").format(error=error)) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if alpha else "RGB"
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:   # a camera's or a scanner's colour space, shown right by every browser
            converted = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                                                  ImageCms.createProfile("sRGB"), outputMode=mode)
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError):
            pass    # a broken profile: the pixels as they are are the best guess
    image = image.convert(mode)
    image.info = {}     # no EXIF (GPS, camera serial number), XMP or profile travels on
    return image


def encode(image: Image, rendition: Rendition) -> bytes:
    from PIL import Image, ImageOps
    if rendition.crop:
        image = ImageOps.fit(image, (rendition.width, rendition.height), Image.Resampling.LANCZOS)
        image.info = {}
    elif image.size != (rendition.width, rendition.height):
        image = image.resize((rendition.width, rendition.height), Image.Resampling.LANCZOS)
        image.info = {}
    if rendition.format == "jpeg" and image.mode == "RGBA":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    options: dict[str, object] = {"optimize": True}
    if rendition.format in QUALITY:
        options["quality"] = QUALITY[rendition.format]
    if rendition.format == "jpeg":
        options["progressive"] = True
    image.save(buffer, rendition.format.upper(), **options)
    return buffer.getvalue()


def cached(cache: Path, rendition: Rendition) -> Path:
    return cache / rendition.key[:2] / f"{rendition.key}.{_SUFFIX_OF_FORMAT[rendition.format]}"


def missing(cache: Path, picture: Picture) -> list[Rendition]:
    return [rendition for rendition in picture.renditions if not cached(cache, rendition).is_file()]


def make_renditions(root: Path, cache: Path, picture: Picture) -> int:
    """Writes the picture's renditions that the cache lacks; how many it made."""
    todo = missing(cache, picture)
    if not todo:
        return 0
    image = decode((root / picture.source).read_bytes())
    for rendition in todo:
        write_atomically(cached(cache, rendition), encode(image, rendition))
    return len(todo)


def process_all(root: Path, cache: Path, pictures: list[Picture], workers: int,
                fork: Callable[..., Iterable[list[tuple[int, int, str]]]]) -> tuple[int, list[tuple[str, str]]]:
    """Makes what the cache lacks, in ``workers`` processes: (renditions made, [(source, problem)])."""
    todo = [picture for picture in pictures if missing(cache, picture)]

    def batch(indices: list[int]) -> list[tuple[int, int, str]]:
        results = []
        for index in indices:     # (picture, renditions made, problem)
            try:
                results.append((index, make_renditions(root, cache, todo[index]), ""))
            except ImageProblem as problem:
                results.append((index, 0, str(problem)))
        return results

    made, problems = 0, []
    outcomes = fork(batch, len(todo), workers) if workers > 1 and len(todo) > 1 else [batch(list(range(len(todo))))]
    for outcome in outcomes:
        for index, count, problem in outcome:
            made += count
            if problem:
                problems.append((todo[index].source, problem))
    return made, sorted(problems)


# --- HTML ---------------------------------------------------------------------------------

_IMG = re.compile(r"<img\b([^>]*?)\s*/?>")
_ATTR = re.compile(r'([a-zA-Z][\w:-]*)="([^"]*)"')


def srcset(renditions: Iterable[Rendition]) -> str:
    return ", ".join(f"{rendition.url} {rendition.width}w" for rendition in renditions)


def picture_html(picture: Picture, alt: str, *, lazy: bool, extra: str = "", sizes: str = SIZES) -> str:
    """``<picture>`` with the responsive set, explicit size (no layout shift) and lazy loading;
    ``sizes`` says how wide the page shows it (the text column unless told otherwise)."""
    largest = picture.plain[-1]
    loading = ' loading="lazy" decoding="async"' if lazy else ""
    return (f'<picture><source type="{picture.modern[0].mime}" srcset="{srcset(picture.modern)}" sizes="{sizes}">'
            f'<img src="{escape(picture.url)}" srcset="{srcset(picture.plain)}" sizes="{sizes}" '
            f'width="{largest.width}" height="{largest.height}" alt="{alt}"{extra}{loading}></picture>')


def pictures_in_html(html: str, pictures: dict[str, Picture]) -> str:
    """Each ``<img>`` of a rendered body whose source the pipeline made: a ``<picture>``; the
    first one loads at once (it may be on the first screen), the others when scrolled to."""
    seen = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal seen
        attrs = dict(_ATTR.findall(match.group(1)))
        picture = pictures.get(attrs.get("src", ""))
        if picture is None:
            return match.group(0)
        seen += 1
        # alt and title come escaped from Markdown already
        alt = "" if "decorative" in attrs.get("class", "").split() else attrs.get("alt", "")
        extra = "".join(f' {name}="{attrs[name]}"' for name in ("title", "class") if name in attrs)
        return picture_html(picture, alt, lazy=seen > 1, extra=extra)

    return _IMG.sub(replace, _FIGURE.sub(_figure, html))


# A picture alone in its paragraph, with a title: a figure whose caption is the title.
_FIGURE = re.compile(r'<p>(<img\b[^>]*?\stitle="([^"]*)"[^>]*>)</p>')


def _figure(match: re.Match[str]) -> str:
    return f'<figure class="picture">{match.group(1)}<figcaption class="meta">{match.group(2)}</figcaption></figure>'


def email_pictures(html: str, pictures: dict[str, Picture], folder: str) -> str:
    """Each ``<img>`` of a body whose source the pipeline made: its e-mail rendition, with the
    width and height it is shown at (mail programs ignore ``srcset`` and many CSS sizes).
    ``folder`` is the site address of the Markdown file's folder, for relative sources."""
    def replace(match: re.Match[str]) -> str:
        attrs = dict(_ATTR.findall(match.group(1)))
        src = attrs.get("src", "")
        if src and not src.startswith("/") and not _SCHEME.match(src):
            src = posixpath.normpath(posixpath.join(folder, src))
        picture = pictures.get(src)
        if picture is None:
            return match.group(0)
        shown = min(EMAIL_SHOWN, picture.width)
        height = max(1, round(picture.height * shown / picture.width))
        alt = "" if "decorative" in attrs.get("class", "").split() else attrs.get("alt", "")
        return f'<img src="{picture.email.url}" width="{shown}" height="{height}" alt="{alt}">'

    return _IMG.sub(replace, html)
