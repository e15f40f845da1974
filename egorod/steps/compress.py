"""Step "compress": a ``.br`` and a ``.gz`` twin of every text file, for the web server to send
as they are (nginx ``brotli_static`` / ``gzip_static``) instead of compressing on each request.

Runs last, over everything the other steps wrote. The twins are deterministic (no time or
file name in the gzip header, fixed levels), so unchanged content gives the same bytes; a file
that the build kept unchanged keeps the twins of the previous build without reading it.
"""
from __future__ import annotations

import posixpath
from pathlib import Path

import brotli
from isal import igzip

from ..context import BuildContext
from ..incremental import write_each
from ..output import StagedOutput
from .base import Step

COMPRESSIBLE = frozenset({".html", ".css", ".js", ".mjs", ".json", ".xml", ".svg", ".txt", ".ics",
                          ".webmanifest"})
# Below this the twins save less than a packet, and the server's extra lookup is not worth it.
MIN_SIZE = 512
TWINS = (".br", ".gz")
# Brotli's best quality (11) compresses about 1 MB/s, 10 % smaller than quality 6 at 8 MB/s:
# worth it for the static files (few, loaded by every page, cached for a year), not for the
# thousands of pages a cold build compresses.
BROTLI_QUALITY_STATIC = 11
BROTLI_QUALITY = 6
BROTLI_MAX_WINDOW = 24              # log2 of brotli's largest window
# The gzip twin serves the few clients without brotli. ISA-L's level 3 makes it five times
# faster than zlib's level 9, about 6 % larger (bench/README.md, "Compression").
GZIP_LEVEL = 3
# Forking the worker processes costs about as much as compressing this many pages.
PARALLEL_FILES = 200


def compressible(relative: str) -> bool:
    return posixpath.splitext(relative)[1] in COMPRESSIBLE


def gzip_bytes(data: bytes) -> bytes:
    """gzip with mtime 0 and no file name: the same bytes give the same twin in every build."""
    return igzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def brotli_quality(relative: str) -> int:
    return BROTLI_QUALITY_STATIC if relative.startswith("static/") else BROTLI_QUALITY


def brotli_bytes(data: bytes, quality: int) -> bytes:
    """Brotli with the smallest window that holds the whole file: for a page of tens of kilobytes
    a fifth less time than the default window (4 MB), and about as many bytes (fewer in all)."""
    window = min(BROTLI_MAX_WINDOW, max(10, (len(data) + 15).bit_length()))   # (a window is 2**n - 16 bytes)
    return brotli.compress(data, quality=quality, lgwin=window)


def write_twins(staged: StagedOutput, relative: str, path: Path) -> None:
    """The .br and .gz twins of the file at ``path``, written beside it (read and written by the
    process that compresses it: a worker sends back names, not megabytes)."""
    data = path.read_bytes()
    staged.write(relative + ".br", brotli_bytes(data, brotli_quality(relative)))
    staged.write(relative + ".gz", gzip_bytes(data))


class CompressStep(Step):
    name = "compress"

    def run(self, context: BuildContext, staged: StagedOutput) -> None:
        todo: list[tuple[str, Path]] = []
        for relative, path in list(staged.files()):
            if not compressible(relative):
                continue
            twins = [relative + suffix for suffix in TWINS]
            if relative not in staged.staged and all(staged.previous_file(twin) for twin in twins):
                for twin in twins:
                    staged.take_over(twin)
                continue
            if path.stat().st_size >= MIN_SIZE:
                todo.append((relative, path))
        write_each(staged, context.bodies, len(todo), context.config.processes, PARALLEL_FILES,
                   lambda index: write_twins(staged, *todo[index]))
        context.log(f"compress: {len(todo)} files (brotli and gzip)" if todo else "compress: nothing changed")
