""""Редактировать эту страницу": a link to the page's source file in the repository's web
interface (`repo_url`, `repo_branch` in site.yaml), on every page made from a file."""
from __future__ import annotations

import re

import pytest

EDIT = re.compile(r'<a class="edit-link" href="([^"]+)">Редактировать эту страницу</a>')


def set_repo(repo, url: str, branch: str = "main") -> None:
    settings = repo.root / "site.yaml"
    text = settings.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^repo_url:.*$', f'repo_url: "{url}"', text)
    text = re.sub(r'(?m)^repo_branch:.*$', f"repo_branch: {branch}", text)
    settings.write_text(text, encoding="utf-8")


def test_every_page_of_a_file_links_to_that_file(repo):
    set_repo(repo, "https://github.com/mag-assembly/e-gorod/", branch="master")
    repo.build()
    expected = {
        "practices/razdelnyy-sbor/index.html": "content/practices/razdelnyy-sbor.md",
        "cities/minsk/index.html": "content/cities/minsk.md",
        "bulletins/1/index.html": "content/bulletins/1.md",
        "vestnik/1/index.html": "content/vestnik/1/_index.md",
        "vestnik/1/opyt/index.html": "content/vestnik/1/02-opyt.md",
        "about/index.html": "content/pages/about.md",
    }
    for page, source in expected.items():
        links = EDIT.findall(repo.read(page))
        assert links == [f"https://github.com/mag-assembly/e-gorod/edit/master/{source}"], page
    # Every edit link on the site names a file that exists; listings (no single file) have none.
    linked = 0
    for path in repo.out.rglob("index.html"):
        for href in EDIT.findall(path.read_text(encoding="utf-8")):
            source = href.split("/edit/master/", 1)[1]
            assert (repo.root / source).is_file(), (path, href)
            linked += 1
    assert linked >= len(expected)
    assert not EDIT.search(repo.read("index.html"))
    assert not EDIT.search(repo.read("practices/index.html"))


@pytest.mark.slow
def test_no_edit_link_without_repo_url(repo):
    set_repo(repo, "")
    repo.build()
    for path in repo.out.rglob("*.html"):
        assert "edit-link" not in path.read_text(encoding="utf-8"), path
