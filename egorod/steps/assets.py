"""Step "assets": the files of static/, each also under a name made from its content.

``static/css/site.css`` is published as it is (for addresses typed by hand, in letters or
elsewhere) and as ``static/css/site.3f2a9c1e.css``, the name the pages use: a hashed file never
changes, so browsers may keep it for a year, and a new version is a new name. Stylesheets are
rewritten to name the hashed fonts and images they use, before their own hash is taken.
"""
from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from ..context import BuildContext
from ..output import StagedOutput
from .base import Step

STATIC_DIR = "static"
HASH_LENGTH = 8
# What pages load: stylesheets, scripts, fonts, images (a licence text keeps its one name).
HASHED_SUFFIXES = frozenset({".css", ".js", ".woff2", ".woff", ".svg", ".png", ".jpg", ".jpeg", ".webp",
                             ".gif", ".ico"})
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')\s]+)\1\s*\)""")


@dataclass(frozen=True)
class Asset:
    url: str            # the plain address, /static/css/site.css
    hashed_url: str     # the cacheable one, /static/css/site.3f2a9c1e.css
    data: bytes         # the bytes published at hashed_url (stylesheets with hashed references)


def hashed_name(url: str, data: bytes) -> str:
    """``/static/css/site.css`` → ``/static/css/site.<first 8 hex digits of sha256>.css``."""
    folder, name = posixpath.split(url)
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    hashed = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
    return posixpath.join(folder, hashed)


def rewrite_css(css: str, css_url: str, hashed: dict[str, str]) -> str:
    """Every ``url(...)`` of a stylesheet that names a static file, pointed at its hashed name."""
    folder = posixpath.dirname(css_url)

    def replace(match: re.Match[str]) -> str:
        quote, target = match.group(1), match.group(2)
        plain = target if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        if plain not in hashed:
            return match.group(0)
        new = hashed[plain] if target.startswith("/") else posixpath.relpath(hashed[plain], folder)
        return f"url({quote}{new}{quote})"

    return _CSS_URL.sub(replace, css)


def static_assets(static: Path) -> list[Asset]:
    """The files of ``static/`` that pages load, with their hashed names; stylesheets last, as
    they name the others."""
    files = sorted((path for path in static.rglob("*") if path.is_file() and not path.name.startswith(".")
                    and path.suffix.lower() in HASHED_SUFFIXES),
                   key=lambda path: (path.suffix == ".css", path.as_posix()))
    hashed: dict[str, str] = {}
    assets = []
    for path in files:
        url = f"/{STATIC_DIR}/{path.relative_to(static).as_posix()}"
        data = path.read_bytes()
        if path.suffix == ".css":
            data = rewrite_css(data.decode("utf-8"), url, hashed).encode("utf-8")
        hashed[url] = hashed_name(url, data)
        assets.append(Asset(url, hashed[url], data))
    return assets


class AssetsStep(Step):
    name = "assets"

    def __init__(self) -> None:
        self.assets: list[Asset] = []

    def prepare(self, context: BuildContext, staged: StagedOutput) -> None:
        self.assets = static_assets(context.config.root / STATIC_DIR)
        context.facts.assets = {asset.url: asset.hashed_url for asset in self.assets}

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        staged.copy_tree(context.config.root / STATIC_DIR, STATIC_DIR)
        for asset in self.assets:
            staged.write(asset.hashed_url.lstrip("/"), asset.data)
