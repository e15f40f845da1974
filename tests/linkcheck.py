"""A link checker over a built site: every internal link and anchor must resolve."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup


def target_file(out: Path, path: str) -> Path:
    path = unquote(path)
    candidate = out / path.lstrip("/")
    if path.endswith("/"):
        return candidate / "index.html"
    return candidate


def broken_links(out: Path) -> list[str]:
    """``page: link`` for each internal href/src that has no file or no such anchor."""
    ids: dict[Path, set[str]] = {}

    def anchors(file: Path) -> set[str]:
        if file not in ids:
            soup = BeautifulSoup(file.read_text(encoding="utf-8"), "lxml")
            ids[file] = {tag["id"] for tag in soup.find_all(id=True)} | {tag["name"] for tag in soup.find_all("a", attrs={"name": True})}
        return ids[file]

    broken = []
    for page in sorted(out.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        page_url = "/" + page.relative_to(out).as_posix()
        for tag, attribute in (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")):
            for element in soup.find_all(tag, attrs={attribute: True}):
                link = element[attribute]
                parts = urlsplit(link)
                if parts.scheme or parts.netloc or link.startswith(("mailto:", "tel:")):
                    continue
                if element.get("rel") and "canonical" in element.get("rel"):
                    continue
                if not parts.path:
                    file = page
                elif parts.path.startswith("/"):
                    file = target_file(out, parts.path)
                else:
                    base = page_url.rsplit("/", 1)[0] + "/"
                    file = target_file(out, base + parts.path)
                if not file.exists():
                    broken.append(f"{page_url}: {link}")
                elif parts.fragment and file.suffix == ".html" and parts.fragment not in anchors(file):
                    broken.append(f"{page_url}: {link} (no such anchor)")
    return broken
