#!/usr/bin/env python3
"""Benchmark: the bytes a phone downloads for a page, before and after a change of the code.

    .venv/bin/python bench/page_weight.py --ref REV [--page /vestnik/75/marshrutnaya-set/ ...]

The sample site is built twice from the same content — once by the code, templates and static
files of ``--ref`` (checked out into a temporary work tree), once by the work tree — with one
addition that both builds understand: a photograph as a camera writes it (4000×3000 JPEG of
several megabytes, with GPS and camera tags) placed in the first article of the latest Vestnik
issue, which is what an editor's upload looks like. Each page is then loaded from the site's
own nginx configuration (``deploy/nginx``, brotli/gzip as in production) by headless Chromium
emulating a phone (390×844 CSS pixels, device pixel ratio 3), scrolled to the end so that lazy
pictures load, and every response's transferred bytes are added up by type (document, styles,
scripts, fonts, images).

Front-matter fields the older code does not know (for example a practice's ``image``) are
removed from the copy it builds: the older code could not show those pictures at all.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))

from conftest import CHROMEDRIVER, CHROMIUM  # noqa: E402
from webserver import running_nginx  # noqa: E402

LINKED = ("templates", "static", "fonts")
DEFAULT_PAGES = ("/", "/vestnik/{issue}/{article}/")
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
UNKNOWN_FIELD = re.compile(r"^(?P<path>[^:\n]+\.md):\d+: (?P<field>\w+): ")


def camera_photograph(path: Path) -> None:
    """A 4000×3000 JPEG with the EXIF a phone camera writes (position, maker, serial number)."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.effect_noise((4000, 3000), 64).convert("RGB")
    draw = ImageDraw.Draw(image)
    for band in range(0, 3000, 150):
        draw.rectangle((0, band, 4000, band + 60), fill=(40 + band % 200, 90, 140))
    image = image.filter(ImageFilter.GaussianBlur(1))
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"          # Make
    exif[0x0110] = "Camera model"          # Model
    exif[0xA431] = "SERIAL-0000"           # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)})
    image.save(path, "JPEG", quality=95, exif=exif)


def latest_article(content: Path) -> tuple[str, Path]:
    issues = sorted((p for p in (content / "vestnik").iterdir() if p.is_dir() and p.name.isdigit()),
                    key=lambda p: int(p.name))
    issue = issues[-1]
    article = sorted(p for p in issue.glob("*.md") if p.name != "index.md")[0]
    return issue.name, article


def article_slug(article: Path) -> str:
    text = article.read_text(encoding="utf-8")
    declared = re.search(r"^slug:\s*(\S+)", text, re.M)
    return declared.group(1) if declared else re.sub(r"^\d+-", "", article.stem)


def site_root(code: Path, folder: Path) -> tuple[Path, str]:
    """A copy of the sample content with the camera photograph in the latest article."""
    root = folder / "root"
    root.mkdir(parents=True)
    shutil.copy2(PROJECT / "site.yaml", root / "site.yaml")
    shutil.copytree(PROJECT / "content", root / "content")
    for name in LINKED:
        (root / name).symlink_to(code / name, target_is_directory=True)
    issue, article = latest_article(root / "content")
    camera_photograph(article.parent / "camera-photo.jpg")
    with article.open("a", encoding="utf-8") as text:
        text.write("\n\n![Городская улица на снимке с камеры телефона](camera-photo.jpg "
                   "\"Снимок в том виде, в каком его даёт камера (пример)\")\n")
    return root, f"/vestnik/{issue}/{article_slug(article)}/"


def drop_front_matter_field(path: Path, field: str) -> None:
    """Removes ``field`` and its indented value from the YAML front matter of ``path``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    kept, skipping = [], False
    for line in lines:
        if line.startswith(f"{field}:"):
            skipping = True
            continue
        if skipping and line.startswith((" ", "- ")) and line.strip():
            continue
        skipping = False
        kept.append(line)
    path.write_text("\n".join(kept), encoding="utf-8")


def build(code: Path, root: Path, out: Path) -> None:
    python = PROJECT / ".venv" / "bin" / "python"
    command = [str(python if python.exists() else sys.executable), str(code / "build.py"), "--root", str(root),
               "build", "--out", str(out), "-q", "--no-pdf"]
    for _ in range(20):     # the older code may name fields it does not know: drop them and retry
        result = subprocess.run(command, cwd=root, capture_output=True, text=True,
                                env={"EGOROD_LANG": "en", "PATH": "/usr/bin:/bin"})
        if result.returncode == 0:
            return
        unknown = [UNKNOWN_FIELD.match(line) for line in result.stderr.splitlines() if "unknown key" in line]
        if not all(unknown) or not unknown:
            sys.exit(f"build failed with {code}:\n{result.stdout}{result.stderr}")
        for match in unknown:
            assert match is not None
            drop_front_matter_field(root / match["path"], match["field"])
    sys.exit(f"build with {code} kept failing")


def kind_of(mime: str) -> str:
    for prefix, kind in (("text/html", "document"), ("text/css", "styles"), ("javascript", "scripts"),
                         ("font", "fonts"), ("image/", "images")):
        if prefix in mime:
            return kind
    return "other"


def phone_browser(user_data_dir: Path):
    """Debian's Chromium, headless and offline, with the network events in its performance log."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--no-first-run", f"--user-data-dir={user_data_dir}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


def downloaded(site: Path, pages: list[str], scratch: Path) -> dict[str, dict[str, int]]:
    """Per page, bytes on the wire by kind of resource, for a phone reading to the end."""
    found: dict[str, dict[str, int]] = {}
    with running_nginx(scratch / "nginx", site) as server:
        driver = phone_browser(scratch / "browser")
        try:
            for page in pages:
                driver.get_log("performance")        # forget the previous page's events
                driver.execute_cdp_cmd("Network.enable", {})
                driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
                driver.get(server.url + page)
                height = driver.execute_script("return document.body.scrollHeight")
                for y in range(0, height + 844, 600):
                    driver.execute_script(f"window.scrollTo(0, {y})")
                    time.sleep(0.05)
                time.sleep(1.0)
                found[page] = by_kind(driver.get_log("performance"), server.url)
        finally:
            driver.quit()
    return found


def by_kind(log: list[dict], site: str) -> dict[str, int]:
    """Transferred bytes of the site's responses (not the browser's own pages) by kind."""
    mime: dict[str, str] = {}
    sizes: dict[str, int] = defaultdict(int)
    for entry in log:
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.responseReceived":
            if params["response"]["url"].startswith(site + "/"):
                mime[params["requestId"]] = params["response"].get("mimeType", "")
        elif message["method"] == "Network.loadingFinished" and params["requestId"] in mime:
            sizes[kind_of(mime[params["requestId"]])] += int(params["encodedDataLength"])
    return dict(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", required=True, help="the revision to compare with (the 'before')")
    parser.add_argument("--page", action="append", help="a page's path (default: home and the article)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="egorod-weight-") as scratch_name:
        scratch = Path(scratch_name)
        before_code = scratch / "before-code"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(before_code), args.ref], cwd=PROJECT,
                       check=True)
        try:
            figures = {}
            for name, code in (("before", before_code), ("after", PROJECT)):
                root, article = site_root(code, scratch / name)
                build(code, root, scratch / name / "output")
                pages = args.page or [page if "{" not in page else article for page in DEFAULT_PAGES]
                figures[name] = downloaded(scratch / name / "output", pages, scratch / name)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before_code)], cwd=PROJECT, check=False)
    kinds = ("document", "styles", "scripts", "fonts", "images", "other")
    print(f"bytes a phone downloads (390x844 @3x, brotli/gzip as served), before = {args.ref}, after = work tree")
    print(f"{'page':40} {'':6} " + " ".join(f"{k:>9}" for k in kinds) + f" {'total':>10}")
    for page in figures["after"]:
        for name in ("before", "after"):
            row = figures[name][page]
            print(f"{page:40} {name:6} " + " ".join(f"{row.get(k, 0):9d}" for k in kinds)
                  + f" {sum(row.values()):10d}")


if __name__ == "__main__":
    main()
