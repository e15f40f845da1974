#!/usr/bin/env python3
"""Prove that a change of the code changes no output: build before and after, compare bytes.

    .venv/bin/python bench/same_output.py                  # against the previous commit
    .venv/bin/python bench/same_output.py --ref main~3     # against any revision
    .venv/bin/python bench/same_output.py --scale 0.3      # a larger benchmark corpus

Two sites are built twice, once by the code, templates and content of ``--ref`` (checked out
into a temporary work tree) and once by the work tree as it is now, and the output trees are
compared file by file: the sample site of the repository (PDFs included) and a benchmark
corpus written by ``bench/make_corpus.py`` (the same generator for both, so the same
content). Exit 0 when every file is the same, 1 with the list of differences otherwise.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
LINKED = ("templates", "static", "fonts")     # what a build reads from --root besides content
# Bookkeeping of the build itself, not part of the published site.
IGNORED = {".egorod-output", ".egorod-output.json"}


def run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout}{result.stderr}")


def build(code: Path, root: Path, out: Path, *options: str) -> None:
    python = PROJECT / ".venv" / "bin" / "python"
    run([str(python if python.exists() else sys.executable), str(code / "build.py"), "--root", str(root),
         "build", "--out", str(out), "-q", *options], cwd=root)


def corpus_root(code: Path, content: Path, root: Path) -> Path:
    """A site root with the corpus's content and the templates, static files and fonts of ``code``."""
    root.mkdir(parents=True)
    shutil.copy2(content / "site.yaml", root / "site.yaml")
    shutil.copytree(content / "content", root / "content")
    for name in LINKED:
        (root / name).symlink_to(code / name, target_is_directory=True)
    return root


def differences(left: Path, right: Path, relative: str = "") -> list[str]:
    comparison = filecmp.dircmp(left, right, ignore=sorted(IGNORED))
    found = [f"only before: {relative}{name}" for name in comparison.left_only]
    found += [f"only after: {relative}{name}" for name in comparison.right_only]
    for name in comparison.common_files:
        if not filecmp.cmp(left / name, right / name, shallow=False):
            found.append(f"differs: {relative}{name}")
    for name in comparison.common_dirs:
        found += differences(left / name, right / name, f"{relative}{name}/")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="HEAD~1", help="revision to compare against (default HEAD~1)")
    parser.add_argument("--scale", type=float, default=0.1, help="size of the benchmark corpus (default 0.1)")
    parser.add_argument("--search", action="store_true", help="compare the search index too")
    args = parser.parse_args(argv)
    options = [] if args.search else ["--no-search"]
    with tempfile.TemporaryDirectory(prefix="same-output-") as folder:
        work = Path(folder)
        before = work / "before-code"
        run(["git", "worktree", "add", "--detach", "-q", str(before), args.ref], cwd=PROJECT)
        try:
            build(before, before, work / "sample-before", *options)
            build(PROJECT, PROJECT, work / "sample-after", *options)
            run([sys.executable, str(PROJECT / "bench" / "make_corpus.py"), "--scale", str(args.scale),
                 "--out", str(work / "corpus")], cwd=PROJECT)
            for side, code in (("before", before), ("after", PROJECT)):
                root = corpus_root(code, work / "corpus", work / f"corpus-{side}")
                build(code, root, work / f"corpus-out-{side}", "--no-pdf", *options)
        finally:
            run(["git", "worktree", "remove", "--force", str(before)], cwd=PROJECT)
        found = differences(work / "sample-before", work / "sample-after")
        found += ["corpus: " + line for line in differences(work / "corpus-out-before", work / "corpus-out-after")]
        files = sum(len(names) for _, _, names in os.walk(work / "sample-after"))
        files += sum(len(names) for _, _, names in os.walk(work / "corpus-out-after"))
    if found:
        print("\n".join(found))
        print(f"{len(found)} difference(s) against {args.ref}")
        return 1
    print(f"same output as {args.ref}: {files} files of the sample site and a scale-{args.scale} corpus")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
