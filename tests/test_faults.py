"""Faults and attacks (issue 20): hostile names, links, kill -9 at chosen moments, two builds at once,
a read-only output, damaged caches. Real processes, real signals, real file systems."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PRACTICE, PROJECT
from test_build import tree_digest

from egorod.output import KILL_SWITCH, MARKER, STAGING, StagedOutput, UnsafePath, listed_files, marker_text

# needs a browser, a server, the PDF renderer or whole-site builds: `pytest -m "not slow"` skips it
pytestmark = pytest.mark.slow


def tree(folder: Path) -> dict[str, str]:
    """Files with their digests and folders (an empty folder left behind counts too)."""
    folders = {p.relative_to(folder).as_posix() + "/": "" for p in folder.rglob("*") if p.is_dir()}
    return {**tree_digest(folder), **folders}


def build_process(repo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The real command line in a process of its own (so that it can be killed)."""
    return subprocess.run([sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root), "build",
                           "--no-pdf", "--no-search", "--quiet", *args],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=300)


# --- 1. names cannot put other paths into the list of published files -------------------------

@pytest.mark.slow
@pytest.mark.parametrize("separator", ["\n", "\r", "\u2028", "\x85", "\x7f"])
def test_content_names_with_control_or_line_separator_characters_are_refused(repo, tmp_path, separator):
    repo.build()
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "secret.png").write_bytes(b"precious")
    # content/vestnik/1/<sep><absolute path>/secret.png: one line of a line-based list would
    # have been the absolute path of the victim
    top = repo.root / "content/vestnik/1" / (separator + victim.parts[1])
    hostile = top.joinpath(*victim.parts[2:])
    hostile.mkdir(parents=True)
    (hostile / "secret.png").write_bytes(b"decoy")
    before = tree_digest(repo.out)
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1, result.output
    shown = f"\\u{ord(separator):04x}"
    assert (f"content/vestnik/1/{shown}{victim.parts[1]}:0: path: the name contains the control or "
            f"line-separator character U+{ord(separator):04X}") in result.output
    assert tree_digest(repo.out) == before
    shutil.rmtree(top)
    repo.build()
    assert (victim / "secret.png").read_bytes() == b"precious"


def test_a_markdown_file_with_a_line_separator_in_its_name_is_refused(repo):
    repo.write("content/pages/about\u2029x.md", "---\ntitle: X\n---\nX.\n")
    result = repo.run("check")
    assert result.status == 1
    assert "content/pages/about\\u2029x.md:0: path: the name contains" in result.output


def test_the_output_never_writes_a_name_that_a_list_could_split(tmp_path):
    staged = StagedOutput(tmp_path / "out")
    try:
        for name in ("a\nb.html", "a\u2028b.html", "x/\x85/y.html"):
            with pytest.raises(UnsafePath):
                staged.write(name, "x")
    finally:
        staged.abort()


@pytest.mark.slow
def test_the_list_of_published_files_is_json_and_holds_any_name_whole(repo):
    repo.build()
    text = (repo.out / MARKER).read_text(encoding="utf-8")
    assert json.loads(text)["files"] == listed_files(repo.out / MARKER)
    assert "practices/razdelnyy-sbor/index.html" in json.loads(text)["files"]
    assert "\n".join(["#", "/etc/x"]) not in marker_text(["#\n/etc/x"])   # written escaped, never split


@pytest.mark.slow
def test_nothing_outside_the_output_folder_is_removed_whatever_the_list_says(repo, tmp_path):
    repo.build()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/page.html").write_text("precious", encoding="utf-8")
    os.symlink(tmp_path / "elsewhere", repo.out / "linked")
    planted = [str(victim), "../victim.txt", "cities/../../victim.txt", "linked/page.html", "..", "/"]
    (repo.out / MARKER).write_text(marker_text(planted), encoding="utf-8")
    repo.build()
    assert victim.read_text(encoding="utf-8") == "precious"
    assert (tmp_path / "elsewhere/page.html").read_text(encoding="utf-8") == "precious"


@pytest.mark.slow
def test_a_list_of_the_old_line_format_is_replaced_and_only_the_output_folder_looked_at(repo, tmp_path):
    repo.build()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (repo.out / MARKER).write_text(f"# made by `python build.py`; the files of the last build:\n{victim}\n",
                                   encoding="utf-8")
    (repo.out / "stale.html").write_text("old", encoding="utf-8")
    repo.build()
    assert victim.exists() and not (repo.out / "stale.html").exists()
    assert listed_files(repo.out / MARKER) is not None


# --- 2. static/ holds files, not links to files ------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("target", ["/proc/self/environ", ".git/config", "dir"])
def test_symbolic_links_in_static_are_refused(repo, target):
    repo.build()
    before = tree_digest(repo.out)
    (repo.root / ".git").mkdir()
    (repo.root / ".git/config").write_text("[http] extraheader = AUTHORIZATION: basic c2VjcmV0", encoding="utf-8")
    link = repo.root / "static/leak.txt"
    if target == "dir":
        os.symlink(repo.root / ".git", link, target_is_directory=True)
    else:
        os.symlink(target if target.startswith("/") else repo.root / target, link)
    result = repo.run("build", "--no-pdf", "--no-search")
    assert result.status == 1, result.output
    assert "static/leak.txt:0: -: is a symbolic link; put the file itself into static/" in result.output
    assert tree_digest(repo.out) == before
    assert "c2VjcmV0" not in "".join(p.read_text(errors="replace") for p in repo.out.rglob("*") if p.is_file())


# --- 3. a build killed during the swap: one more build gives the cold build's output ----------

def _edit(repo) -> None:
    """Remove a practice (its page must go), add one, correct another: files moved in and removed."""
    repo.remove("content/practices/novye-avtobusy.md")
    repo.write("content/practices/velodorozhki.md", PRACTICE.format(
        title="Велодорожки", city="moskva", year=2022, rubrics="velosipednaya-infrastruktura"))
    repo.write("content/pages/about.md", "---\ntitle: Об Ассамблее\nmenu: 1\n---\nНовый текст.\n")


def _swap_steps(before: dict[str, str], after: dict[str, str]) -> tuple[int, int]:
    """Files a swap from ``before`` to ``after`` moves in, and files it removes."""
    files_before = {k: v for k, v in before.items() if not k.endswith("/")}
    files_after = {k: v for k, v in after.items() if not k.endswith("/")}
    moves = sum(1 for name, digest in files_after.items() if files_before.get(name) != digest)
    return moves, len(set(files_before) - set(files_after))


@pytest.mark.slow
def test_a_build_killed_during_the_swap_is_completed_by_the_next_build(repo, tmp_path):
    repo.build()
    old = tree(repo.out)
    kept = tmp_path / "kept"
    os.rename(repo.out, kept)
    _edit(repo)
    cold = tmp_path / "cold"
    repo.build("--out", str(cold))
    new = tree(cold)
    moves, removals = _swap_steps(old, new)
    assert moves > 3 and removals >= 1
    # first move; half-way; every file moved in (the new list in place) but nothing removed;
    # one file removed; everything done but the record
    for step in (1, moves // 2, moves, moves + 1, moves + removals):
        subprocess.run(["cp", "-a", str(kept), str(repo.out)], check=True)
        killed = build_process(repo, env={KILL_SWITCH: str(step)})
        assert killed.returncode == -signal.SIGKILL, (step, killed.stderr)
        assert tree(repo.out) != old, step
        repo.build()
        assert tree(repo.out) == new, step
        assert not (repo.out / "practices/novye-avtobusy").exists(), step
        subprocess.run(["rm", "-rf", str(repo.out)], check=True)


@pytest.mark.slow
def test_a_first_build_killed_during_the_swap_is_completed_by_the_next_build(repo, tmp_path):
    cold = tmp_path / "cold"
    repo.build("--out", str(cold))
    killed = build_process(repo, env={KILL_SWITCH: "5"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (repo.out / STAGING).is_dir()
    repo.build()
    assert tree(repo.out) == tree(cold)


def test_a_failed_first_build_leaves_no_output_folder(repo):
    template = repo.root / "templates/city.html"     # fails while rendering, once the stage exists
    template.write_text(template.read_text(encoding="utf-8").replace(
        "{% block content %}", "{% block content %}{{ city.no_such|int + nothing }}"), encoding="utf-8")
    assert repo.run("build", "--no-pdf", "--no-search").status == 1
    assert not repo.out.exists()


# --- 4. one build at a time; staging on the output's file system; workers die with the build ----

@pytest.mark.slow
def test_a_second_build_into_the_same_folder_is_refused_while_the_first_runs(repo):
    repo.build()
    before = tree_digest(repo.out)
    first = StagedOutput(repo.out, root=repo.root)     # a build in progress in this process
    try:
        first.write("index.html", "half-way")
        second = build_process(repo)
        assert second.returncode == 2, second.stderr
        assert (f"build.py: error: another build is writing into {repo.out.resolve()} (pid {os.getpid()}); "
                "wait for it") in second.stderr
        published = {name: digest for name, digest in tree_digest(repo.out).items() if not name.startswith(STAGING)}
        assert (first.stage / "index.html").is_file() and published == before   # nothing of the first trampled
    finally:
        first.abort()
    assert build_process(repo).returncode == 0
    assert not (repo.out / STAGING).exists()


@pytest.mark.slow
def test_two_builds_started_together_never_mix_their_files(repo, tmp_path):
    repo.build()
    command = [sys.executable, str(PROJECT / "build.py"), "--root", str(repo.root), "build", "--no-pdf",
               "--no-search", "--quiet"]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    statuses = sorted(run.wait(timeout=300) for run in runs)
    assert statuses in ([0, 0], [0, 2]), [run.stderr.read() for run in runs if run.stderr]
    cold = tmp_path / "cold"
    repo.build("--out", str(cold))
    assert tree(repo.out) == tree(cold)


def _mount_tmpfs(folder: Path, size: str = "64m") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


@pytest.fixture
def mount_point(tmp_path):
    folder = tmp_path / "mnt"
    _mount_tmpfs(folder)
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.slow
def test_an_output_folder_that_is_a_mount_point_is_built_and_updated(repo, mount_point, tmp_path):
    repo.build("--out", str(mount_point))
    _edit(repo)
    repo.build("--out", str(mount_point))
    cold = tmp_path / "cold"
    repo.build("--out", str(cold))
    assert tree(mount_point) == tree(cold)
    assert sorted(p.name for p in mount_point.parent.iterdir()) == ["cold", "mnt", "site"]   # nothing staged beside


def test_workers_end_with_a_build_killed_by_sigkill(tmp_path):
    script = tmp_path / "forever.py"
    script.write_text(
        "import os, sys, time\n"
        "from egorod.parallel import forked_batches\n"
        "def work(batch):\n"
        "    os.write(1, f'{os.getpid()}\\n'.encode())\n"     # one write: the two lines never interleave
        "    while True:\n"
        "        pass\n"     # busy, as the worker seen at 100 % CPU long after its build was killed
        "for _ in forked_batches(work, 2, 2):\n"
        "    pass\n", encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert parent.stdout is not None
    workers = [int(parent.stdout.readline()) for _ in range(2)]
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers)


def _running(pid: int) -> bool:
    """Alive and not a zombie (in a container nobody may reap the orphans)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


# --- 5. a read-only output ends with a message, and the previous output stays ------------------

@pytest.mark.slow
def test_a_read_only_output_folder_is_reported_and_the_previous_output_kept(repo, mount_point):
    out = mount_point / "site"
    repo.build("--out", str(out))
    before = tree_digest(out)
    subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
    _edit(repo)
    result = build_process(repo, "--out", str(out))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"build.py: error: cannot write {out}: Read-only file system; "
                                     "the previous output is unchanged")
    assert tree_digest(out) == before


@pytest.mark.slow
def test_a_full_disk_is_reported_and_the_previous_output_kept(repo, tmp_path):
    disk = tmp_path / "small"
    _mount_tmpfs(disk, size="16m")
    try:
        out = disk / "site"
        repo.build("--out", str(out))
        before = tree_digest(out)
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as stream:
            try:
                while True:
                    stream.write(b"\0" * 4096)
            except OSError:
                pass    # full
        _edit(repo)
        result = build_process(repo, "--out", str(out))
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip() == (f"build.py: error: cannot write {out}: No space left on device; "
                                         "the previous output is unchanged")
        assert tree_digest(out) == before
        filler.unlink()
        repo.build("--out", str(out))
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


# --- 6. the search index is reproducible ---------------------------------------------------------

@pytest.mark.slow
def test_two_cold_builds_give_the_same_search_bundle(repo, tmp_path):
    bundles = []
    for name in ("first", "second"):
        shutil.rmtree(repo.root / ".cache", ignore_errors=True)    # cold: no cached bundle to copy
        out = tmp_path / name
        result = repo.run("build", "--no-pdf", "--quiet", "--out", str(out))
        assert result.status == 0, result.output
        bundles.append(tree(out / "pagefind"))
    assert len(bundles[0]) > 20 and any(name.startswith("filter/") for name in bundles[0])
    assert bundles[0] == bundles[1]


@pytest.mark.slow
def test_a_search_bundle_is_used_only_once_pagefind_has_written_every_file(repo, tmp_path):
    from egorod.pagefind_bundle import unfinished_files
    result = repo.run("build", "--no-pdf", "--quiet")
    assert result.status == 0, result.output
    bundle = repo.out / "pagefind"
    assert unfinished_files(bundle) == []
    fragment = next((bundle / "fragment").iterdir())
    fragment.write_bytes(fragment.read_bytes()[:-9])          # cut short
    (bundle / "pagefind-ui.js").write_bytes(b"")              # created, not yet written
    assert unfinished_files(bundle) == [f"fragment/{fragment.name}", "pagefind-ui.js"]
    (bundle / "pagefind-entry.json").write_bytes(b"")
    assert unfinished_files(bundle) == ["pagefind-entry.json"]


# --- 5. serve: idle connections cannot pile up threads ---------------------------------------------

@pytest.mark.slow
def test_serve_drops_silent_connections_and_bounds_its_threads(monkeypatch):
    import socket
    import threading

    from egorod.serve import BuildState, Hub, PreviewHandler, PreviewServer
    monkeypatch.setattr(PreviewHandler, "timeout", 1.0)
    server = PreviewServer(("127.0.0.1", 0), Hub(BuildState("t", None)), max_connections=16)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    base = threading.active_count()
    idle: list[socket.socket] = []
    try:
        idle = [socket.create_connection(server.server_address) for _ in range(200)]
        time.sleep(0.5)
        assert threading.active_count() <= base + 16
        for connection in idle:         # every one closed: at once beyond the bound, else after 1 s
            connection.settimeout(5)
            try:
                assert connection.recv(1) == b""
            except ConnectionResetError:
                pass
        with socket.create_connection(server.server_address) as client:     # and the server still answers
            client.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert client.recv(100).startswith(b"HTTP/1.0 503")
    finally:
        for connection in idle:
            connection.close()
        server.shutdown()
        server.server_close()


# --- 5. damaged caches are made again, never published or trusted ----------------------------------

@pytest.mark.slow
def test_a_damaged_pdf_or_cover_in_the_cache_is_rendered_again(repo):
    result = repo.run("build", "--no-search", "--quiet")
    assert result.status == 0, result.output
    published = {name: (repo.out / name).read_bytes()
                 for name in ("vestnik/1/vestnik-1-cover.jpg", "vestnik/1/vestnik-1.pdf", "bulletins/1/bulletin-1.pdf",
                              "bulletins/1/bulletin-1-print.pdf")}
    cache = repo.root / ".cache/pdf"
    [cover] = cache.glob("vestnik-1.*.jpg")
    cover.write_bytes(cover.read_bytes()[:10])                 # truncated
    for pdf in cache.glob("bulletin-1.*.pdf"):                 # both editions
        data = bytearray(pdf.read_bytes())
        data[len(data) // 2] ^= 0xFF                           # changed, same size
        pdf.write_bytes(bytes(data))
    result = repo.run("build", "--no-search", "--quiet")
    assert result.status == 0, result.output
    for name, good in published.items():
        assert (repo.out / name).read_bytes() == good, name
    assert cover.read_bytes() == published["vestnik/1/vestnik-1-cover.jpg"]


@pytest.mark.slow
def test_a_rendered_body_changed_in_the_cache_is_rendered_again(repo, tmp_path):
    import sqlite3
    repo.build()
    page = repo.read("practices/razdelnyy-sbor/index.html")
    with sqlite3.connect(repo.root / ".cache/bodies.sqlite") as db:
        changed = db.execute("UPDATE bodies SET html = '<script>alert(1)</script>'").rowcount
    assert changed > 0
    fresh = tmp_path / "fresh"              # every page made again, its body asked of the cache
    repo.build("--out", str(fresh))
    assert (fresh / "practices/razdelnyy-sbor/index.html").read_text(encoding="utf-8") == page
    assert "alert(1)" not in "".join(p.read_text(encoding="utf-8") for p in fresh.rglob("*.html"))


@pytest.mark.slow
def test_a_file_of_the_previous_build_where_the_new_one_has_a_folder_is_replaced(repo, tmp_path):
    (repo.root / "static/extra").write_text("a file", encoding="utf-8")
    repo.build()
    (repo.root / "static/extra").unlink()
    (repo.root / "static/extra").mkdir()
    (repo.root / "static/extra/style.css").write_text("a folder", encoding="utf-8")
    repo.build()
    cold = tmp_path / "cold"
    repo.build("--out", str(cold))
    assert tree(repo.out) == tree(cold)
