"""`build.py check FILE...`: only the given files (and their references), for a commit hook."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PROJECT

from egorod.content import kinds as content_kinds


def problem_paths(result) -> set[str]:
    return {line.split(":", 1)[0] for line in result.lines if line.startswith(("content/", "site.yaml"))}


def break_practice(repo, name: str, old: str, new: str) -> None:
    path = repo.root / "content/practices" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_reports_only_the_given_files(repo):
    break_practice(repo, "razdelnyy-sbor.md", "year: 2020", "yaer: 2020")
    break_practice(repo, "novye-avtobusy.md", "year: 2019", "year: двадцатый")
    everything = repo.run("check")
    assert everything.status == 1
    assert problem_paths(everything) == {"content/practices/razdelnyy-sbor.md", "content/practices/novye-avtobusy.md"}

    one = repo.run("check", str(repo.root / "content/practices/razdelnyy-sbor.md"))
    assert one.status == 1
    assert problem_paths(one) == {"content/practices/razdelnyy-sbor.md"}
    # the very lines the full check prints for that file
    expected = [line for line in everything.lines if line.startswith("content/practices/razdelnyy-sbor.md:")]
    assert [line for line in one.lines if line.startswith("content/")] == expected

    clean = repo.run("check", str(repo.root / "content/cities/kazan.md"), str(repo.root / "content/bulletins/1.md"))
    assert clean.status == 0, clean.output
    assert "ok: 2 files are valid" in clean.output


def test_references_of_the_given_files_are_checked(repo):
    break_practice(repo, "razdelnyy-sbor.md", "city: kazan", "city: atlantida")
    break_practice(repo, "razdelnyy-sbor.md", "rubrics: [razdelnyy-sbor-otkhodov]", "rubrics: [razdelnyy-sbor-otkhodov, net-takoy]")
    repo.write("content/bulletins/2.md", "---\nnumber: 2\ndate: 2024-02-15\ncities: [minsk, gorod-n]\n---\n## Новость\n")
    repo.write("content/pages/search.md", "---\ntitle: Поиск по сайту\n---\nТекст.\n")
    result = repo.run("check", str(repo.root / "content/practices/razdelnyy-sbor.md"),
                      str(repo.root / "content/bulletins/2.md"), str(repo.root / "content/pages/search.md"))
    assert result.status == 1
    text = result.output
    assert "content/practices/razdelnyy-sbor.md:3: city: unknown city 'atlantida'" in text
    assert "content/practices/razdelnyy-sbor.md:5: rubrics: unknown problem 'net-takoy'" in text
    assert "content/bulletins/2.md:4: cities: unknown city 'gorod-n'" in text
    assert "content/pages/search.md:1: -: the page name 'search' is used by the site itself" in text


def test_a_vestnik_issue_is_checked_as_a_whole(repo):
    repo.write("content/vestnik/1/01-povtor.md", "---\ntitle: Повтор\nauthors: [Редакция]\n---\nТекст.\n")
    other = repo.root / "content/vestnik/1/02-opyt.md"
    result = repo.run("check", str(other))   # not the new file: the clash is still found
    assert result.status == 1
    assert "order 1 is also used by" in result.output
    # a cover image given alone checks its issue (pre-commit passes any file under content/)
    index = repo.root / "content/vestnik/1/_index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("title: Город для людей",
                                                               "title: Город для людей\ncover: oblozhka.jpg"),
                     encoding="utf-8")
    (repo.root / "content/vestnik/1/01-povtor.md").unlink()
    image = repo.root / "content/vestnik/1/oblozhka.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    result = repo.run("check", str(image))
    assert result.status == 1
    assert "content/vestnik/1/_index.md:5: cover: cover image 'oblozhka.jpg' not found" in result.output


def test_a_settings_change_checks_everything_it_can_break(repo):
    settings = repo.root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "      - {slug: razdelnyy-sbor-otkhodov, title: Раздельный сбор и переработка отходов}\n", ""),
        encoding="utf-8")
    result = repo.run("check", str(settings))
    assert result.status == 1
    assert problem_paths(result) == {"content/practices/razdelnyy-sbor.md", "content/practices/novye-avtobusy.md"}
    assert "unknown problem 'razdelnyy-sbor-otkhodov'" in result.output


def test_invalid_settings_are_reported_whatever_file_is_given(repo):
    settings = repo.root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("short_title:", "shorttitle:"), encoding="utf-8")
    result = repo.run("check", str(repo.root / "content/cities/kazan.md"))
    assert result.status == 1
    assert "site.yaml:" in result.output and "shorttitle: unknown key; did you mean `short_title`?" in result.output


def test_markdown_in_a_place_the_site_does_not_read(repo):
    wrong = repo.write("content/practice/novaya.md", "---\ntitle: Новая\n---\nТекст.\n")
    result = repo.run("check", str(wrong))
    assert result.status == 1
    assert "content/practice/novaya.md:1: -: the site does not read this file here" in result.output
    assert "content/practices/<slug>.md" in result.output


def test_paths_relative_to_the_current_folder_or_the_root(repo, tmp_path, monkeypatch):
    break_practice(repo, "razdelnyy-sbor.md", "year: 2020", "yaer: 2020")
    monkeypatch.chdir(repo.root / "content")
    assert problem_paths(repo.run("check", "practices/razdelnyy-sbor.md")) == {"content/practices/razdelnyy-sbor.md"}
    monkeypatch.chdir(tmp_path)
    assert problem_paths(repo.run("check", "content/practices/razdelnyy-sbor.md")) == {"content/practices/razdelnyy-sbor.md"}


def test_missing_or_foreign_paths_are_usage_errors(repo, tmp_path):
    missing = repo.run("check", str(repo.root / "content/practices/net-takogo.md"))
    assert missing.status == 2 and "no such file" in missing.output
    outside = tmp_path / "elsewhere.md"
    outside.write_text("---\ntitle: x\n---\n", encoding="utf-8")
    foreign = repo.run("check", str(outside))
    assert foreign.status == 2 and "not inside the repository" in foreign.output


def test_only_the_given_files_and_the_cities_are_read(repo, monkeypatch):
    for index in range(40):
        repo.write(f"content/practices/praktika-{index}.md", f"---\ntitle: Практика {index}\ncity: minsk\n"
                   "year: 2021\nrubrics: [obshchestvennyy-transport]\nsummary: Кратко.\n---\nТекст.\n")
    read: list[str] = []
    real = content_kinds.read_source

    def spy(root, path, problems):
        read.append(path.relative_to(root).as_posix())
        return real(root, path, problems)

    monkeypatch.setattr(content_kinds, "read_source", spy)
    result = repo.run("check", str(repo.root / "content/practices/praktika-7.md"))
    assert result.status == 0, result.output
    cities = {p.relative_to(repo.root).as_posix() for p in (repo.root / "content/cities").glob("*.md")}
    assert set(read) == cities | {"content/practices/praktika-7.md"}


@dataclass
class Hooked:
    """A git repository of the site with the project's commit hook installed and a first commit."""
    root: Path
    env: dict[str, str]     # of git and the hook; EGOROD_LANG=en (conftest) unless a test drops it

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=300)

    def commit(self, relative: str, message: str) -> subprocess.CompletedProcess:
        self.run("git", "add", relative)
        return self.run("git", "commit", "-q", "--no-gpg-sign", "-m", message)


@pytest.fixture
def hooked(repo, tmp_path) -> Hooked:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    pytest.importorskip("pre_commit")
    root = repo.root
    shutil.copy(PROJECT / ".pre-commit-config.yaml", root / ".pre-commit-config.yaml")
    shutil.copy(PROJECT / "build.py", root / "build.py")
    os.symlink(PROJECT / "egorod", root / "egorod")
    if sys.prefix != sys.base_prefix:            # the hook runs .venv/bin/python of the clone
        os.symlink(sys.prefix, root / ".venv")
    else:
        (root / ".venv/bin").mkdir(parents=True)
        os.symlink(sys.executable, root / ".venv/bin/python")
    (root / ".gitignore").write_text(".venv\negorod\noutput/\n.cache/\n", encoding="utf-8")
    env = dict(os.environ, GIT_AUTHOR_NAME="Редактор", GIT_AUTHOR_EMAIL="editor@example.org",
               GIT_COMMITTER_NAME="Редактор", GIT_COMMITTER_EMAIL="editor@example.org",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    for name in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(name, None)
    hooked = Hooked(root, env)
    assert hooked.run("git", "init", "-q", "-b", "main").returncode == 0
    installed = hooked.run(sys.executable, "-m", "pre_commit", "install")
    assert installed.returncode == 0, installed.stderr
    first = hooked.commit("-A", "сайт")
    assert first.returncode == 0, first.stdout + first.stderr
    return hooked


@pytest.mark.slow
def test_pre_commit_hook_blocks_a_broken_commit(repo, hooked):
    break_practice(repo, "razdelnyy-sbor.md", "year: 2020", "yaer: 2020")
    break_practice(repo, "novye-avtobusy.md", "year: 2019", "year: двадцатый")   # broken but not staged
    refused = hooked.commit("content/practices/razdelnyy-sbor.md", "опечатка")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "content/practices/razdelnyy-sbor.md:4: yaer: unknown key; did you mean `year`?" in output
    assert "novye-avtobusy" not in output
    assert hooked.run("git", "rev-list", "--count", "HEAD").stdout.strip() == "1"

    break_practice(repo, "razdelnyy-sbor.md", "yaer: 2020", "year: 2021")
    fixed = hooked.commit("content/practices/razdelnyy-sbor.md", "исправлено")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert hooked.run("git", "rev-list", "--count", "HEAD").stdout.strip() == "2"


@pytest.mark.slow
def test_the_pre_commit_hook_speaks_russian(repo, hooked):
    del hooked.env["EGOROD_LANG"]          # an editor's environment: the default language
    break_practice(repo, "razdelnyy-sbor.md", "year: 2020", "yaer: 2020")
    refused = hooked.commit("content/practices/razdelnyy-sbor.md", "опечатка")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "content/practices/razdelnyy-sbor.md:4: yaer: такого поля нет; может быть, `year`?" in output
    assert "content/practices/razdelnyy-sbor.md:1: year: обязательное поле отсутствует" in output
    assert "2 ошибки: ничего не записано" in output
    assert "проверка материалов e-gorod" in output       # the hook's own name
