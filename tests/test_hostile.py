"""Hostile content costs nothing: every trick against a YAML/Markdown pipeline is answered
by `check` at once with path:line and exit 1 (or, where the content is harmless, built in
time linear in its size), never a traceback, and `build` leaves the previous output as it was.

The corpus is generated here: each case is a file, where it goes, and the line and words
of the expected message (None: harmless, must pass check and build).
"""
from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PROJECT, Repo, make_repo

from egorod import limits
from egorod.markup import Renderer


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    data: bytes
    line: int | None = None         # expected line of the message; None: harmless
    words: str = ""                 # expected in the message


def page(front: str, body: str = "Текст.\n") -> bytes:
    return f"---\ntitle: Страница\n{front}---\n{body}".encode()


BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))


def hostile() -> list[Case]:
    p = "content/pages/"
    return [
        Case("alias-bomb", p + "bomb.md", page(BILLION_LAUGHS), 3, "anchors"),
        Case("merge-key", p + "merge.md", page("a: &x {b: 1}\nc:\n  <<: *x\n"), 3, "anchors"),
        Case("flow-nesting", p + "flow.md", page("tags: " + "[" * 4000 + "]" * 4000 + "\n"), 3, "nest"),
        Case("flow-mapping-nesting", p + "flowmap.md", page("tags: " + "{a: " * 1500 + "}" * 1500 + "\n"), 3,
             "nest"),
        Case("huge-date", "content/bulletins/9.md", "---\nnumber: 9\ndate: 99999-12-31\n---\n## Новость\n".encode(),
             3, "YYYY-MM-DD"),
        Case("block-nesting", p + "block.md",
             page("".join(" " * (2 * i) + f"k{i}:\n" for i in range(40)) + " " * 80 + "x: 1\n"), 11, "nested"),
        Case("python-tag", p + "tag.md", page("menu: !!python/object/apply:os.system ['true']\n"), 3, "tags"),
        Case("local-tag", p + "tag2.md", page("menu: !custom 1\n"), 3, "tags"),
        Case("huge-int", p + "int.md", page("menu: " + "9" * 5000 + "\n"), 3, "number of"),
        Case("sexagesimal", p + "sexa.md", page("menu: " + ":".join(["59"] * 3000) + "\n"), 3, "number of"),
        Case("huge-float", p + "float.md", page("menu: 1e99999\n"), 3, "whole number"),
        Case("duplicate-keys", p + "dup.md", page("menu: 1\nmenu: 2\n"), 4, "twice"),
        Case("escaped-form-feed", p + "ff-title.md", b'---\ntitle: "\\f\xd0\x90"\n---\nText.\n', 2, "U+000C"),
        Case("huge-front-matter", p + "front.md", page("summary: >\n" + "  слово слово слово\n" * 2000), 1,
             "front matter"),
        Case("huge-scalar", p + "scalar.md", page("summary: " + "ы" * 20_000 + "\n"), 1, "front matter"),
        Case("many-keys", p + "keys.md", page("".join(f"k{i}: {i}\n" for i in range(1000))), 3, "unknown key"),
        Case("huge-file", p + "big.md", page("", "Слово слово слово.\n\n" * 30_000), 1, "the file is"),
        Case("long-line", p + "line.md", page("", "ж" * 100_000 + "\n"), 4, "characters long"),
        Case("nul-byte", p + "nul.md", page("", "один\n\nдва\x00три\n"), 6, "U+0000"),
        Case("form-feed", p + "ff.md", page("", "Абзац.\n\nВставка\x0cиз Word.\n"), 6, "U+000C"),
        Case("lone-cr", p + "cr.md", page("", "строка\rещё\n"), 4, "U+000D"),
        Case("non-character", p + "nonchar.md", page("", "x\ufffe\n"), 4, "U+FFFE"),
        Case("invalid-utf8", p + "latin1.md", page("", "") + "Москва\n\n".encode("cp1251"), 4, "UTF-8"),
        Case("deep-list", p + "list.md", page("", "".join("    " * i + "- x\n" for i in range(250))), 20,
             "nested"),
        Case("deep-list-one-line", p + "list1.md", page("", "- " * 3000 + "x\n"), 4, "nested"),
        Case("deep-list-tabs", p + "tabs.md", page("", "".join("\t" * i + "- x\n" for i in range(300))), 20,
             "nested"),
        Case("deep-quote", p + "quote.md", page("", ">" * 5000 + " x\n"), 4, "nested"),
        Case("nested-emphasis", p + "em.md", page("", "*" * 3000 + "x" + "*" * 3000 + "\n"), 4, "emphasis"),
        Case("nested-emphasis-words", p + "em2.md", page("", "*a _b " * 800 + "x" + " b_ a*" * 800 + "\n"),
             4, "emphasis"),
        Case("footnote-refs", p + "fn.md",
             page("", "".join(f"x[^1]{chr(10) if i % 20 == 19 else ' '}" for i in range(10_000))
                  + "\n[^1]: note\n"), 4, "square brackets"),
        Case("open-brackets", p + "brackets.md", page("", "[\n" * 20_000), 4, "square brackets"),
        Case("unclosed-links", p + "links.md", page("", "[](\n" * 3000), 4, "square brackets"),
        Case("svg-script", "content/pages/evil.svg",
             b'<svg xmlns="http://www.w3.org/2000/svg">\n<script>alert(document.domain)</script>\n</svg>\n',
             2, "<script>"),
        Case("svg-handler", "content/pages/evil2.svg",
             b'<svg xmlns="http://www.w3.org/2000/svg">\n<rect width="9" onload="alert(1)"/>\n</svg>\n',
             2, "onload"),
        Case("svg-foreign", "content/pages/evil3.svg",
             b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>', 1,
             "foreignobject"),
        Case("svg-javascript-link", "content/pages/evil4.svg",
             b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
             b'<a xlink:href="java\tscript:alert(1)"><text>x</text></a></svg>', 1, "outside the image"),
        Case("svg-entities", "content/pages/evil5.svg",
             b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
             b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>', 1, "DOCTYPE"),
    ]


def harmless() -> list[Case]:
    p = "content/pages/"
    return [
        Case("bom", p + "bom.md", b"\xef\xbb\xbf" + page("", "С меткой порядка байтов.\n")),
        Case("crlf", p + "crlf.md", page("", "Строка.\n\nЕщё.\n").replace(b"\n", b"\r\n")),
        Case("quoted-number", p + "number.md", page(f'summary: "{"7" * 5000}"\n')),
        Case("long-title", p + "title.md", f"---\ntitle: {'Заголовок ' * 500}\n---\nТекст.\n".encode()),
        Case("within-limits", p + "deep.md", page("", "".join("    " * i + "- пункт\n" for i in range(12))
                                                  + "\n" + "> " * 12 + "цитата\n\n"
                                                  + "*a _b " * 6 + "x" + " b_ a*" * 6 + "\n")),
        Case("many-notes", p + "notes.md", page("", "".join(f"Абзац[^{i}] и[^1].\n\n" for i in range(1, 400))
                                               + "".join(f"[^{i}]: Сноска {i}.\n" for i in range(1, 400)))),
        Case("same-headings", p + "headings.md", page("", "## Итоги\n\nТекст.\n\n" * 500)),
        Case("addresses", p + "addresses.md", page("", ("a" * 9000 + "@ x\n\n") + ("1b" * 4000 + "://\n"))),
        Case("summary-markup", "content/practices/markup.md",
             "---\ntitle: Практика\ncity: kazan\nyear: 2021\nrubrics: [razdelnyy-sbor-otkhodov]\n"
             "summary: <img src=x onerror=alert(1)> & «текст»\n---\nТекст.\n".encode()),
        Case("svg-plain", "content/pages/plan.svg",
             b'<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"/></defs>'
             b'<rect width="9" height="9" fill="url(#g)"/><use href="#g"/>'
             b'<image href="data:image/png;base64,iVBORw0KGgo="/></svg>'),
    ]


def _put(repo: Repo, case: Case) -> Path:
    path = repo.root / case.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(case.data)
    return path


def _expected(case: Case) -> str:
    return f"{case.path}:{case.line}: "


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha1(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("case", hostile(), ids=lambda case: case.name)
def test_each_hostile_file_is_refused_at_once_with_its_line(repo, case):
    _put(repo, case)
    started = time.perf_counter()
    result = repo.run("check")
    seconds = time.perf_counter() - started
    assert result.status == 1, result.output
    assert "Traceback" not in result.output
    mine = [line for line in result.lines if line.startswith(case.path + ":")]
    assert mine and mine[0].startswith(_expected(case)), result.output[:2000]
    assert case.words in mine[0], mine[0]
    assert seconds < 1.0, f"{case.name}: check took {seconds:.2f} s"


@pytest.mark.parametrize("case", harmless(), ids=lambda case: case.name)
def test_harmless_oddities_pass_check(repo, case):
    _put(repo, case)
    started = time.perf_counter()
    result = repo.run("check")
    assert result.status == 0, result.output
    assert time.perf_counter() - started < 1.0


def _run(args: list[str], cwd: Path) -> tuple[int, str, float, float]:
    """Exit status, output, seconds and peak RSS (MB) of one command in its own process
    (reaped here with wait4, so the peak is that process's alone)."""
    log = cwd.parent / "command.log"
    with log.open("wb") as stream:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), *args], cwd=cwd,
                                   stdout=stream, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, log.read_text(encoding="utf-8", errors="replace"), seconds, usage.ru_maxrss / 1024


@pytest.mark.slow
def test_the_whole_corpus_costs_check_under_a_second_and_build_changes_nothing(tmp_path):
    repo = make_repo(tmp_path / "site")
    repo.build()
    before = _snapshot(repo.out)
    cases = hostile()
    for case in cases:
        _put(repo, case)
    status, output, seconds, peak = _run(["check"], repo.root)
    assert status == 1 and "Traceback" not in output, output[-3000:]
    for case in cases:
        assert any(line.startswith(_expected(case)) and case.words in line for line in output.splitlines()), \
            (case.name, output[-3000:])
    # The interpreter starting takes about half of it; every file parsed costs far less.
    print(f"check of the hostile corpus: {seconds:.2f} s, peak RSS {peak:.0f} MB")
    assert seconds < 3.0, f"check of the hostile corpus took {seconds:.2f} s"
    assert peak < 250, f"check of the hostile corpus peaked at {peak:.0f} MB"
    status, output, _, _ = _run(["build", "--no-pdf", "--no-search", "-q"], repo.root)
    assert status == 1 and "Traceback" not in output, output[-3000:]
    assert _snapshot(repo.out) == before


@pytest.mark.slow
def test_harmless_corpus_builds_with_summaries_as_text_in_the_feed(tmp_path):
    from lxml import etree
    repo = make_repo(tmp_path / "site")
    for case in harmless():
        _put(repo, case)
    repo.build()
    rss = etree.fromstring((repo.out / "practices/feed.xml").read_bytes())
    (description,) = [item.findtext("description") for item in rss.iter("item")
                      if item.findtext("link", "").endswith("/practices/markup/")]
    # What a reader gets after unescaping the XML is HTML that shows the summary as typed.
    assert "<img" not in description and "&lt;img src=x onerror=alert(1)&gt; &amp; «текст»" in description
    atom = (repo.out / "bulletins/atom.xml").read_text(encoding="utf-8")
    assert "<summary>Новости января.</summary>" in atom        # Atom says type text: unchanged
    assert (repo.out / "pages/plan.svg").is_file()


@pytest.mark.slow
def test_worst_markdown_within_the_limits_renders_in_time_linear_in_its_size():
    """Every kind of bracket trick at the limits, in a file of the largest size allowed."""
    filler = "слово " * 10_000
    per_block = limits.MAX_LINKS_PER_BLOCK
    blocks = limits.MAX_LINKS_PER_FILE // per_block
    renderer = Renderer()
    for opener in ("[", "![", "[](", '[]("', "[a][", "x[^1]"):
        repeat = per_block // opener.count("[")
        text = "\n\n".join(opener * repeat + filler for _ in range(blocks)) + "\n\n[^1]: n\n"
        assert not limits.body_excesses(text, 1), opener
        started = time.perf_counter()
        renderer.html(text)
        seconds = time.perf_counter() - started
        assert seconds < 2.0, f"{opener!r} × {repeat * blocks} in {len(text):,} characters: {seconds:.2f} s"


def test_the_quick_look_at_a_body_passes_only_bodies_within_every_limit():
    """``limits`` skips counting a body that cannot pass a limit; counting must agree."""
    rnd = random.Random(3)
    parts = [" ", "    ", "\t", "> ", "- ", "+ ", "1. ", "12) ", "2020-", "x", "[", "\n", "\n\n", "слово "]
    passed = 0
    for _ in range(20000):
        body = "".join(rnd.choice(parts) for _ in range(rnd.randint(0, 80)))
        if limits._within_limits_at_a_glance(body):
            passed += 1
            counted = limits._counted_body_excesses(body, 1)
            assert counted == [], repr(body)
    assert passed > 1000
