"""The benchmark corpus generator (bench/make_corpus.py): deterministic, valid, buildable."""
from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import yaml

from egorod import cli

PROJECT = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT / "bench" / "make_corpus.py"


def _load_generator():
    if "bench_make_corpus" in sys.modules:
        return sys.modules["bench_make_corpus"]
    spec = importlib.util.spec_from_file_location("bench_make_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _run_cli(*args: str) -> tuple[int, str]:
    buffer = io.StringIO()
    with redirect_stdout(buffer), redirect_stderr(buffer):
        status = cli.main(list(args))
    return status, buffer.getvalue()


def _front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---", 2)[1])


@pytest.mark.slow
def test_same_scale_gives_the_same_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):   # the command line, as bench/run.py and a developer use it
        done = subprocess.run([sys.executable, str(SCRIPT), "--scale", "0.01", "--out", str(out)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    files = _files(first)
    assert files == _files(second)
    assert files["site.yaml"] == (PROJECT / "site.yaml").read_bytes()
    kinds = Counter(name.split("/")[1] for name in files if name.startswith("content/"))
    assert kinds["practices"] == 30 and kinds["bulletins"] == 2 and kinds["vestnik"] == 16
    # A different scale is a different corpus, not a prefix of this one.
    other = tmp_path / "c"
    _load_generator().make_corpus(0.02, other)
    assert _files(other) != files


@pytest.mark.slow
def test_corpus_checks_and_builds_with_the_project(tmp_path):
    corpus = tmp_path / "corpus"
    stats = _load_generator().make_corpus(0.02, corpus)
    for name in ("templates", "static", "fonts"):
        (corpus / name).symlink_to(PROJECT / name, target_is_directory=True)

    status, output = _run_cli("--root", str(corpus), "check")
    assert status == 0, output

    # Practices cover every problem of the rubricator and all 13 contest editions (year - 2007).
    settings = yaml.safe_load((corpus / "site.yaml").read_text(encoding="utf-8"))
    problems = {p["slug"] for sector in settings["rubricator"] for p in sector["problems"]}
    practices = [_front_matter(p) for p in sorted((corpus / "content" / "practices").glob("*.md"))]
    assert len(practices) == stats["practices"] == 60
    assert problems == {r for p in practices for r in p["rubrics"]}
    assert {p["contest"]["edition"] for p in practices} == set(range(1, 14))
    assert all(p["contest"]["edition"] == p["year"] - 2007 and p["sample"] for p in practices)
    countries = {c["name"] for c in settings["countries"]}
    cities = [_front_matter(p) for p in (corpus / "content" / "cities").glob("*.md")]
    assert cities and all(c["country"] in countries for c in cities)

    out = tmp_path / "out"
    status, output = _run_cli("--root", str(corpus), "build", "--out", str(out), "--no-pdf", "--no-search", "--quiet")
    assert status == 0, output
    built = {p.relative_to(out).as_posix() for p in out.rglob("index.html")}
    for path in sorted((corpus / "content" / "practices").glob("*.md")):
        assert f"practices/{path.stem}/index.html" in built
    pages = [(out / "practices" / path.stem / "index.html").read_text(encoding="utf-8")
             for path in sorted((corpus / "content" / "practices").glob("*.md"))[:5]]
    assert all("<table>" in page and "«" in page and "<h2" in page for page in pages)
    assert any('class="footnote' in page for page in pages)


def _body_words(path: Path) -> int:
    return _load_generator().word_count(path.read_text(encoding="utf-8").split("---", 2)[2])


def test_bulletins_and_articles_are_as_long_as_the_assemblys(tmp_path):
    _load_generator().make_corpus(0.03, tmp_path)
    bulletins = sorted((tmp_path / "content" / "bulletins").glob("*.md"))
    articles = sorted((tmp_path / "content" / "vestnik").glob("*/[0-9]*.md"))
    assert len(bulletins) == 7 and len(articles) == 30
    for path in bulletins:      # 8-12 news items of about 1,500 words in all
        items = path.read_text(encoding="utf-8").count("\n## ")
        assert 8 <= items <= 12 and 1_300 <= _body_words(path) <= 1_800, (path.name, items, _body_words(path))
    for path in articles:
        assert 1_500 <= _body_words(path) <= 4_100, (path.name, _body_words(path))


def test_light_corpus_keeps_the_short_texts(tmp_path):
    _load_generator().make_corpus(0.03, tmp_path, light=True)
    bulletins = sorted((tmp_path / "content" / "bulletins").glob("*.md"))
    articles = sorted((tmp_path / "content" / "vestnik").glob("*/[0-9]*.md"))
    assert max(_body_words(path) for path in bulletins) < 800
    assert max(_body_words(path) for path in articles) < 1_200
