"""What the build makes for the web server: content-hashed assets, deterministic compressed
twins, and the 301s of the pages' old addresses (aliases)."""
from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from conftest import Repo, make_repo

from egorod.redirects import REDIRECTS_FILE

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in folder.rglob("*") if path.is_file()}


def _stylesheet(repo: Repo) -> str:
    return re.search(r'<link rel="stylesheet" href="/static/css/(site\.[0-9a-f]{8}\.css)">',
                     repo.read("index.html")).group(1)


def _add_alias(repo: Repo, alias: str, practice: str = "razdelnyy-sbor") -> None:
    path = repo.root / f"content/practices/{practice}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("---\ntitle:", f"---\naliases: [{alias}]\ntitle:", 1),
                    encoding="utf-8")


def test_pages_name_the_stylesheet_by_its_content_hash(repo: Repo):
    repo.build()
    css = _stylesheet(repo)
    assert (repo.out / "static/css" / css).is_file() and (repo.out / "static/css/site.css").is_file()
    fonts = re.findall(r'url\("\.\./fonts/([^"]+)"\)', (repo.out / "static/css" / css).read_text(encoding="utf-8"))
    assert fonts and all(re.fullmatch(r"PT\w+-\w+\.[0-9a-f]{8}\.woff2", font) for font in fonts)
    assert all((repo.out / "static/fonts" / font).is_file() for font in fonts)


def test_a_changed_stylesheet_gets_a_new_name_and_the_old_one_goes(repo: Repo):
    repo.build()
    old = _stylesheet(repo)
    css = repo.root / "static/css/site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.new-rule { color: red; }\n", encoding="utf-8")
    repo.build()
    assert _stylesheet(repo) != old and not (repo.out / "static/css" / old).exists()
    assert _stylesheet(repo) in (repo.out / "practices/razdelnyy-sbor/index.html").read_text(encoding="utf-8")


def test_every_text_file_has_brotli_and_gzip_twins_of_the_same_bytes(repo: Repo):
    repo.build()
    for relative in ("index.html", "bulletins/feed.xml", "static/css/site.css", "sitemap.xml"):
        data = (repo.out / relative).read_bytes()
        assert brotli.decompress((repo.out / f"{relative}.br").read_bytes()) == data
        assert gzip.decompress((repo.out / f"{relative}.gz").read_bytes()) == data


def test_a_build_without_twins_makes_none_and_the_next_build_adds_them(repo: Repo):
    repo.build("--no-compress")
    assert not [path for path in repo.out.rglob("*") if path.suffix in (".br", ".gz")]
    repo.build()
    for relative in ("index.html", "practices/razdelnyy-sbor/index.html"):
        data = (repo.out / relative).read_bytes()
        assert brotli.decompress((repo.out / f"{relative}.br").read_bytes()) == data
        assert gzip.decompress((repo.out / f"{relative}.gz").read_bytes()) == data


def test_gzip_twins_carry_no_time_and_no_file_name(repo: Repo):
    repo.build()
    header = (repo.out / "index.html.gz").read_bytes()[:10]
    assert header[3] & 0x08 == 0              # FNAME flag: no file name
    assert header[4:8] == b"\0\0\0\0"         # MTIME: none


def test_two_cold_builds_give_the_same_bytes_twins_included(tmp_path: Path):
    first, second = make_repo(tmp_path / "one"), make_repo(tmp_path / "two")
    first.build()
    second.build()
    one = {path: data for path, (data, _) in _files(first.out).items()}
    two = {path: data for path, (data, _) in _files(second.out).items()}
    assert one == two


def test_rebuild_without_changes_rewrites_no_file_twins_and_assets_included(repo: Repo):
    repo.build()
    before = _files(repo.out)
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 0 and "rendered 0 pages" in result.output
    assert _files(repo.out) == before


def test_one_practice_edit_rewrites_only_its_files_and_the_listings_that_show_it(repo: Repo):
    repo.build()
    before = _files(repo.out)
    path = repo.root / "content/practices/razdelnyy-sbor.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Текст практики", "Новый текст практики"),
                    encoding="utf-8")
    repo.build()
    after = _files(repo.out)
    rewritten = {relative for relative in after if before.get(relative) != after[relative]}
    assert {"practices/razdelnyy-sbor/index.html", "practices/razdelnyy-sbor/index.html.br",
            "practices/razdelnyy-sbor/index.html.gz"} <= rewritten
    assert not [relative for relative in rewritten if relative.startswith("static/")]
    assert len(rewritten) < 20


def test_alias_becomes_a_301_location_in_the_servers_redirects(repo: Repo):
    _add_alias(repo, "/old/practices/sbor.html")
    repo.build()
    assert 'location = "/old/practices/sbor.html" { return 301 /practices/razdelnyy-sbor/; }' in \
        repo.read(REDIRECTS_FILE).splitlines()


def test_alias_with_a_query_is_refused_with_its_line(repo: Repo):
    _add_alias(repo, '"/index.php?id=12"')
    result = repo.run("check")
    assert result.status == 1
    assert re.search(r"content/practices/razdelnyy-sbor\.md:2: aliases: .*without \?query", result.output)


def test_alias_with_a_character_nginx_would_read_is_refused(repo: Repo):
    _add_alias(repo, '"/old; return 200"')
    result = repo.run("check")
    assert result.status == 1 and "aliases: " in result.output and "must be a site path" in result.output


def test_alias_that_is_the_address_of_a_page_is_refused(repo: Repo):
    _add_alias(repo, "/cities/kazan/")
    result = repo.run("check")
    assert result.status == 1 and "is the address of a page of the site" in result.output


def test_alias_of_two_pages_is_refused(repo: Repo):
    _add_alias(repo, "/old/")
    _add_alias(repo, "/old/", practice="novye-avtobusy")
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1 and "an old address can lead to one page only" in result.output

