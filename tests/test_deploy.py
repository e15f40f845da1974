"""`python build.py deploy`: a real rsync into a folder (the server's, as nginx serves it).

Only changed files travel, the live site stays whole if the deploy stops between its phases,
and a failed or draft build is never published.
"""
from __future__ import annotations

import re
import shutil
import socket
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import Repo, free_port
from webserver import running_nginx

from egorod.deploy import PHASES, parse_rsync_output, parse_target, plan, run_phase
from egorod.output import MARKER, listed_files

pytestmark = pytest.mark.skipif(shutil.which("rsync") is None, reason="deploy tests need rsync (Debian package rsync)")


def _tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in folder.rglob("*") if path.is_file()}


def _site_files(repo: Repo) -> dict[str, bytes]:
    """What a deploy must publish: the built files, without the build's own list."""
    return {relative: data for relative, data in _tree(repo.out).items() if relative != MARKER}


def _sent(output: str) -> tuple[int, int]:
    found = re.search(r"^sent (\d+) files \((\d+) bytes;", output, re.MULTILINE)
    assert found, output
    return int(found.group(1)), int(found.group(2))


def _edit_practice(repo: Repo) -> None:
    path = repo.root / "content/practices/razdelnyy-sbor.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Текст практики", "Исправленный текст практики"),
                    encoding="utf-8")


def test_files_go_assets_first_then_pages_then_feeds_and_build_metadata_never():
    phases = plan([MARKER, "index.html", "index.html.br", "static/css/site.3f2a9c1e.css", "vestnik/1/vestnik-1.pdf",
                   "bulletins/1/email.txt", "bulletins/feed.xml.gz", "sitemap.xml", "robots.txt",
                   ".server/nginx-redirects.conf", "pagefind/pagefind-entry.json"])
    assert phases == {
        "assets": ["pagefind/pagefind-entry.json", "static/css/site.3f2a9c1e.css", "vestnik/1/vestnik-1.pdf"],
        "pages": ["bulletins/1/email.txt", "index.html", "index.html.br"],
        "feeds": [".server/nginx-redirects.conf", "bulletins/feed.xml.gz", "robots.txt", "sitemap.xml"],
    }


def test_rsync_report_gives_files_sent_bytes_and_deletions_not_files_only_touched():
    transfer = parse_rsync_output("\n".join([
        ">f+++++++++ practices/a/index.html", ".f..t...... practices/b/index.html", "*deleting   old/index.html",
        "Number of deleted files: 3 (reg: 2, dir: 1)", "Number of regular files transferred: 1,234",
        "Total transferred file size: 12,345,678 bytes", "Total bytes sent: 99"]))
    assert (transfer.files, transfer.file_bytes, transfer.bytes_sent, transfer.deleted) == (1234, 12345678, 99, 3)
    assert transfer.changed == ["practices/a/index.html", "old/index.html"]


def test_deploy_publishes_every_built_file_and_nothing_else(repo: Repo, tmp_path: Path):
    repo.build()
    result = repo.run("deploy", "--target", str(tmp_path / "www"))
    assert result.status == 0, result.output
    assert _tree(tmp_path / "www") == _site_files(repo)
    assert _sent(result.output)[0] == len(_site_files(repo))


def test_second_deploy_after_one_practice_edit_sends_only_the_changed_files(repo: Repo, tmp_path: Path):
    target = tmp_path / "www"
    repo.build()
    assert repo.run("deploy", "--target", str(target)).status == 0
    before = _site_files(repo)
    _edit_practice(repo)
    repo.build()
    after = _site_files(repo)
    changed = {path for path in after if before.get(path) != after[path]}
    assert "practices/razdelnyy-sbor/index.html" in changed and len(changed) < len(after) / 5

    result = repo.run("deploy", "--target", str(target))
    assert result.status == 0, result.output
    assert _sent(result.output) == (len(changed), sum(len(after[path]) for path in changed))
    assert _tree(target) == after


def test_deploy_deletes_the_files_of_a_removed_page(repo: Repo, tmp_path: Path):
    target = tmp_path / "www"
    repo.build()
    assert repo.run("deploy", "--target", str(target)).status == 0
    repo.remove("content/practices/novye-avtobusy.md")
    repo.build()
    result = repo.run("deploy", "--target", str(target))
    assert result.status == 0, result.output
    assert not (target / "practices/novye-avtobusy").exists()
    assert _tree(target) == _site_files(repo)


def test_deploy_leaves_certbot_challenges_on_the_server(repo: Repo, tmp_path: Path):
    target = tmp_path / "www"
    challenge = target / ".well-known/acme-challenge/token"
    challenge.parent.mkdir(parents=True)
    challenge.write_text("proof", encoding="utf-8")
    repo.build()
    assert repo.run("deploy", "--target", str(target)).status == 0
    assert challenge.read_text(encoding="utf-8") == "proof"


def test_dry_run_lists_the_files_and_sends_nothing(repo: Repo, tmp_path: Path):
    target = tmp_path / "www"
    repo.build()
    result = repo.run("deploy", "--dry-run", "--target", str(target))
    assert result.status == 0, result.output
    assert "practices/razdelnyy-sbor/index.html" in result.lines
    assert not target.exists() or not any(target.iterdir())


def test_deploy_refuses_a_build_that_failed(repo: Repo, tmp_path: Path):
    target = tmp_path / "www"
    repo.build()
    repo.write("content/practices/broken.md", "---\ntitle: Без города\n---\nТекст.\n")
    assert repo.run("build", "--no-pdf", "--no-search", "--quiet").status == 1
    result = repo.run("deploy", "--target", str(target))
    assert result.status == 1
    assert "the last build" in result.output and "failed" in result.output
    assert not target.exists()


def test_deploy_refuses_a_build_with_drafts(repo: Repo, tmp_path: Path):
    target = tmp_path / "www"
    repo.build("--drafts")
    result = repo.run("deploy", "--target", str(target))
    assert result.status == 1 and "--drafts" in result.output
    assert not target.exists()


def test_deploy_refuses_a_folder_that_was_never_built(repo: Repo, tmp_path: Path):
    result = repo.run("deploy", "--target", str(tmp_path / "www"))
    assert result.status == 1 and "python build.py build" in result.output


def test_unreachable_ssh_server_is_explained_without_a_traceback(repo: Repo):
    if shutil.which("ssh") is None:
        pytest.skip("needs the ssh client (Debian package openssh-client)")
    repo.build()
    with socket.socket() as closed:     # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings = (repo.root / "site.yaml").read_text(encoding="utf-8")
    (repo.root / "site.yaml").write_text(settings.replace("ssh_port: 22", f"ssh_port: {port}"), encoding="utf-8")
    result = repo.run("deploy", "--target", "deploy@127.0.0.1:/srv/e-gorod/site")
    assert result.status == 1
    assert "could not reach deploy@127.0.0.1 over SSH" in result.output and "Traceback" not in result.output


# --- a deploy that stops between its phases -------------------------------------------------

class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def _local_links(site: Path) -> set[str]:
    """Every address of this site that a page of ``site`` names (links, styles, scripts, images)."""
    links = set()
    for page in site.rglob("*.html"):
        url = "/" + page.relative_to(site).as_posix()
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.found:
            absolute = urlsplit(urljoin(url, link))
            if not absolute.scheme and not absolute.netloc:
                links.add(absolute.path)
    return links


def test_deploy_stopped_after_any_phase_leaves_every_link_working(repo: Repo, tmp_path: Path):
    """A new stylesheet (new hashed name), an edited practice and a removed practice, published
    phase by phase with the real rsync: after each phase, and after the deletions that end a
    whole deploy, nginx serves every address that a page there links to."""
    live = tmp_path / "live"
    repo.build()
    assert repo.run("deploy", "--target", str(live)).status == 0
    css = repo.root / "static/css/site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.deploy-test { color: #123456; }\n", encoding="utf-8")
    _edit_practice(repo)
    repo.remove("content/practices/novye-avtobusy.md")
    repo.build()
    phases = plan(listed_files(repo.out) or [])
    for stop in range(len(PHASES) + 2):
        server_folder = tmp_path / f"stopped-after-{stop}"
        shutil.copytree(live, server_folder)
        target = parse_target(str(server_folder), repo.root, 22)
        for phase in PHASES[:stop]:
            run_phase(target, repo.out, phases[phase], phase, dry_run=False)
        if stop > len(PHASES):
            assert repo.run("deploy", "--target", str(server_folder)).status == 0
            assert not (server_folder / "practices/novye-avtobusy").exists()
        with running_nginx(tmp_path / f"nginx-{stop}", server_folder, upstream_port=free_port()) as nginx:
            broken = sorted(link for link in _local_links(server_folder)
                            if link.startswith("/") and not link.startswith("/pagefind/")
                            and nginx.request(link, method="HEAD")[0] != 200)
        assert broken == [], f"after {PHASES[:stop]}"
