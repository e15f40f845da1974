"""Page dates from git history: sitemap <lastmod> and "Обновлено …" on pages.

Real git repositories in tmp_path, with commits at known dates (GIT_COMMITTER_DATE),
built with the real command line.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from egorod import gitdates

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str, date: str | None = None) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="Редактор", GIT_AUTHOR_EMAIL="editor@example.org",
               GIT_COMMITTER_NAME="Редактор", GIT_COMMITTER_EMAIL="editor@example.org",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    for name in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(name, None)
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00+03:00"
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def commit(cwd: Path, date: str, message: str = "правка") -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "--no-gpg-sign", "-m", message, date=date)


def init(cwd: Path) -> None:
    git(cwd, "init", "-q", "-b", "main")


def sitemap(repo) -> dict[str, str | None]:
    xml = repo.read("sitemap.xml")
    found = {}
    for block in re.findall(r"<url>(.*?)</url>", xml, re.S):
        loc = re.search(r"<loc>https?://[^/]+(/[^<]*)</loc>", block).group(1)
        mod = re.search(r"<lastmod>([^<]+)</lastmod>", block)
        found[loc] = mod.group(1) if mod else None
    return found


def set_mtime(path: Path, day: dt.date) -> None:
    stamp = time.mktime(dt.datetime(day.year, day.month, day.day, 12, 0).timetuple())
    os.utime(path, (stamp, stamp))


@pytest.fixture
def history(repo):
    """The conftest site with a history of edits, renames and a settings change."""
    root = repo.root
    init(root)
    commit(root, "2023-01-10", "первая версия сайта")
    practice = root / "content/practices/razdelnyy-sbor.md"
    practice.write_text(practice.read_text(encoding="utf-8") + "\nДополнение.\n", encoding="utf-8")
    commit(root, "2023-05-20")
    bulletin = root / "content/bulletins/1.md"
    bulletin.write_text(bulletin.read_text(encoding="utf-8").replace("Прошла", "Состоялась"), encoding="utf-8")
    git(root, "mv", "content/pages/about.md", "content/pages/o-nas.md")           # a pure rename
    old = root / "content/practices/novye-avtobusy.md"                             # a rename with edits
    text = old.read_text(encoding="utf-8").replace("Новые автобусы", "Новые троллейбусы")
    old.unlink()
    (root / "content/practices/novye-trolleybusy.md").write_text(text, encoding="utf-8")
    commit(root, "2023-09-01")
    settings = root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("short_title: МАГ", "short_title: МАГ "),
                        encoding="utf-8")
    commit(root, "2024-02-03", "настройки")
    return repo


@pytest.mark.slow
def test_lastmod_is_the_date_of_the_last_commit_of_each_file(history):
    repo = history
    repo.build()
    dates = sitemap(repo)
    assert dates["/practices/razdelnyy-sbor/"] == "2023-05-20"
    assert dates["/bulletins/1/"] == "2023-09-01"
    assert dates["/practices/novye-trolleybusy/"] == "2023-09-01"   # renamed and edited: a change
    assert dates["/o-nas/"] == "2023-01-10"                          # only renamed: text unchanged since
    assert dates["/cities/moskva/"] == "2023-01-10"
    assert dates["/vestnik/1/"] == "2023-01-10"
    assert dates["/vestnik/1/opyt/"] == "2023-01-10"
    # Every page of one file agrees with `git log -1` of that file (except the pure rename).
    for url, path in [("/cities/kazan/", "content/cities/kazan.md"), ("/bulletins/1/", "content/bulletins/1.md"),
                      ("/practices/razdelnyy-sbor/", "content/practices/razdelnyy-sbor.md"),
                      ("/vestnik/1/vvedenie/", "content/vestnik/1/01-vvedenie.md")]:
        assert dates[url] == git(repo.root, "log", "-1", "--format=%cs", "--", path).strip()
    # Listings: the newest of what they list.
    assert dates["/bulletins/"] == "2023-09-01"
    assert dates["/cities/"] == "2023-01-10"
    assert dates["/practices/"] == "2023-09-01"
    # Pages show the same date in Russian.
    page = repo.read("practices/razdelnyy-sbor/index.html")
    assert "Обновлено 20\u00a0мая 2023\u00a0г." in page
    assert "Обновлено 10\u00a0января 2023\u00a0г." in repo.read("o-nas/index.html")


@pytest.mark.slow
def test_dates_do_not_depend_on_file_times_of_a_checkout(history, tmp_path):
    repo = history
    repo.build()
    first = repo.read("sitemap.xml")
    page = repo.read("practices/razdelnyy-sbor/index.html")
    for path in (repo.root / "content").rglob("*.md"):   # a fresh checkout has new file times
        set_mtime(path, dt.date(2030, 1, 1))
    repo.build("--out", str(tmp_path / "second"))
    assert (tmp_path / "second/sitemap.xml").read_text(encoding="utf-8") == first
    assert (tmp_path / "second/practices/razdelnyy-sbor/index.html").read_text(encoding="utf-8") == page


@pytest.mark.slow
def test_uncommitted_and_untracked_files_take_their_modification_time(history):
    repo = history
    bulletin = repo.root / "content/bulletins/1.md"
    bulletin.write_text(bulletin.read_text(encoding="utf-8") + "\nПравка без коммита.\n", encoding="utf-8")
    set_mtime(bulletin, dt.date(2025, 6, 7))
    new = repo.write("content/bulletins/2.md", """
        ---
        number: 2
        date: 2024-02-15
        ---
        ## Новость
        """)
    set_mtime(new, dt.date(2025, 7, 8))
    repo.build()
    dates = sitemap(repo)
    assert dates["/bulletins/1/"] == "2025-06-07"
    assert dates["/bulletins/2/"] == "2025-07-08"
    assert dates["/practices/razdelnyy-sbor/"] == "2023-05-20"


@pytest.mark.slow
def test_one_git_log_for_the_whole_repository(history, monkeypatch):
    repo = history
    for number in range(2, 30):
        repo.write(f"content/bulletins/{number}.md", f"---\nnumber: {number}\ndate: 2024-01-{number % 28 + 1:02d}\n---\n## Новость\n\nТекст.\n")
    commit(repo.root, "2024-03-01")
    calls: list[list[str]] = []
    real_run = subprocess.run

    def spy(args, *rest, **kwargs):
        calls.append(list(args))
        return real_run(args, *rest, **kwargs)

    monkeypatch.setattr(gitdates.subprocess, "run", spy)
    repo.build()
    logs = [call for call in calls if "log" in call]
    assert len(logs) == 1, calls
    assert len(calls) <= 3    # which commit, the log, and one diff for uncommitted edits
    assert sitemap(repo)["/bulletins/17/"] == "2024-03-01"
    # A rebuild of the same commit (a preview after a save) does not read the log again,
    # but still sees an uncommitted edit; a new commit is read again.
    calls.clear()
    bulletin = repo.root / "content/bulletins/17.md"
    bulletin.write_text(bulletin.read_text(encoding="utf-8") + "Правка.\n", encoding="utf-8")
    set_mtime(bulletin, dt.date(2025, 1, 2))
    repo.build()
    assert not [call for call in calls if "log" in call], calls
    assert sitemap(repo)["/bulletins/17/"] == "2025-01-02"
    commit(repo.root, "2024-04-05")
    repo.build()
    assert len([call for call in calls if "log" in call]) == 1
    assert sitemap(repo)["/bulletins/17/"] == "2024-04-05"


@pytest.mark.slow
def test_site_in_a_subfolder_of_the_repository(repo, tmp_path):
    top = repo.root.parent          # the git repository holds the site in a subfolder
    (top / "README.md").write_text("Репозиторий.\n", encoding="utf-8")
    init(top)
    commit(top, "2022-03-04")
    kazan = repo.root / "content/cities/kazan.md"
    kazan.write_text(kazan.read_text(encoding="utf-8") + "\nЕщё абзац.\n", encoding="utf-8")
    commit(top, "2022-11-12")
    repo.build()
    dates = sitemap(repo)
    assert dates["/cities/kazan/"] == "2022-11-12"
    assert dates["/cities/minsk/"] == "2022-03-04"


def test_rename_chains_and_deleted_files(tmp_path):
    root = tmp_path / "r"
    (root / "content").mkdir(parents=True)
    init(root)
    (root / "content/a.md").write_text("текст а\n", encoding="utf-8")
    (root / "content/x.md").write_text("старый x\n", encoding="utf-8")
    (root / "content/ёлка.md").write_text("ёлка\n" * 5, encoding="utf-8")
    commit(root, "2021-01-01")
    git(root, "mv", "content/a.md", "content/b.md")
    commit(root, "2021-02-01")
    git(root, "mv", "content/b.md", "content/c.md")
    (root / "content/x.md").unlink()
    commit(root, "2021-03-01")
    (root / "content/x.md").write_text("новый x, совсем другой\n", encoding="utf-8")
    (root / "content/a.md").write_text("новый файл с прежним именем a\n", encoding="utf-8")
    git(root, "mv", "content/ёлка.md", "content/elka.md")
    commit(root, "2021-04-01")
    history = gitdates.read_history(root)
    assert history.in_git
    assert history.committed["content/c.md"] == dt.date(2021, 1, 1)   # renamed twice, never edited
    assert history.committed["content/x.md"] == dt.date(2021, 4, 1)   # deleted, then written anew
    assert history.committed["content/a.md"] == dt.date(2021, 4, 1)   # a new file under an old name
    assert history.committed["content/elka.md"] == dt.date(2021, 1, 1)
    assert "content/b.md" not in history.committed and "content/ёлка.md" not in history.committed


@pytest.mark.slow
def test_outside_git_dates_are_file_modification_times(repo, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(repo.root.parent))
    assert gitdates.read_history(repo.root).in_git is False
    set_mtime(repo.root / "content/cities/minsk.md", dt.date(2021, 8, 9))
    set_mtime(repo.root / "content/bulletins/1.md", dt.date(2022, 10, 11))
    repo.build()
    dates = sitemap(repo)
    assert dates["/cities/minsk/"] == "2021-08-09"
    assert dates["/bulletins/1/"] == "2022-10-11"
    assert "Обновлено 9\u00a0августа 2021\u00a0г." in repo.read("cities/minsk/index.html")


@pytest.mark.slow
def test_without_git_installed_dates_are_file_modification_times(history, monkeypatch, tmp_path):
    repo = history
    set_mtime(repo.root / "content/cities/minsk.md", dt.date(2020, 5, 6))
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    repo.build()
    assert sitemap(repo)["/cities/minsk/"] == "2020-05-06"
