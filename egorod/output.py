"""Stage 5: write the output as one transaction.

A build writes only files that are new or changed, into a staging folder beside the
destination; files that come out the same as in the previous output are not written at
all (same bytes, same mtime, so ``rsync`` deploys stay small). Only when every step has
succeeded are the staged files moved into place and the files the new build no longer
produces removed. A build that fails leaves the previous output byte for byte as it was.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class UnsafePath(ValueError):
    pass


def safe_join(base: Path, relative: str) -> Path:
    """``base/relative``, refusing anything that would land outside ``base``."""
    if not relative or relative.startswith(("/", "\\")) or "\\" in relative or "\x00" in relative:
        raise UnsafePath(f"unsafe output path {relative!r}")
    parts = relative.split("/")
    if any(part in ("..", ".", "") for part in parts):
        raise UnsafePath(f"unsafe output path {relative!r}")
    return base / relative


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _same_file_content(old: Path, new: Path) -> bool:
    return old.stat().st_size == new.stat().st_size and _same_bytes(old, new.read_bytes())


MARKER = ".egorod-output"   # marks a folder as this generator's output: only such a folder is rewritten
MARKER_HEADER = "# made by `python build.py`; the files of the last build:"


def listed_files(destination: Path) -> list[str] | None:
    """The files of the build in ``destination``, as its marker lists them (None: unknown)."""
    try:
        lines = (destination / MARKER).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    if not lines or lines[0] != MARKER_HEADER:
        return None
    return lines[1:]


class UnsafeDestination(ValueError):
    """The output folder would overwrite something that is not a previous build."""


def check_destination(destination: Path, root: Path) -> None:
    destination, root = destination.resolve(), root.resolve()
    if destination == root or root.is_relative_to(destination):
        raise UnsafeDestination(f"the output folder {destination} would contain the repository itself; "
                                "choose a folder of its own, e.g. output/")
    for protected in ("content", "templates", "static", "egorod", "fonts", ".git"):
        if destination.is_relative_to(root / protected):
            raise UnsafeDestination(f"the output folder {destination} is inside {protected}/ of the repository")
    if destination.is_dir() and any(destination.iterdir()) and not (destination / MARKER).is_file():
        raise UnsafeDestination(f"the output folder {destination} already holds files that were not made "
                                "by this build; choose an empty or new folder (nothing was written)")
    if destination.exists() and not destination.is_dir():
        raise UnsafeDestination(f"{destination} exists and is not a folder")


class StagedOutput:
    def __init__(self, destination: Path, root: Path | None = None):
        self.destination = destination.resolve()
        if root is not None:
            check_destination(self.destination, root)
        self.destination.parent.mkdir(parents=True, exist_ok=True)
        self._clean_leftovers()
        self.stage = Path(tempfile.mkdtemp(prefix=f".{self.destination.name}.building-",
                                           dir=self.destination.parent))
        # The output being replaced: what comes out the same stays there untouched.
        self.previous = self.destination if self.destination.is_dir() else None
        self.expected: set[str] = set()     # every file of the new build
        self.staged: set[str] = set()       # the new or changed ones, waiting in the stage
        self._made_dirs: set[Path] = set()

    def _clean_leftovers(self) -> None:
        """Staging folders of builds that were killed before they finished."""
        for leftover in self.destination.parent.glob(f".{self.destination.name}.building-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    # --- writing -------------------------------------------------------------------
    def path(self, relative: str) -> Path:
        """Where a step writes ``relative`` in the stage (checked to stay inside)."""
        return safe_join(self.stage, relative)

    def previous_file(self, relative: str) -> Path | None:
        if self.previous is None:
            return None
        old = safe_join(self.previous, relative)
        return old if old.is_file() and not old.is_symlink() else None

    def take_over(self, relative: str) -> None:
        """Keep the previous build's file at ``relative`` as it is."""
        safe_join(self.stage, relative)
        self.expected.add(relative)

    def write(self, relative: str, data: str | bytes) -> Path:
        target = self.path(relative)
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.expected.add(relative)
        old = self.previous_file(relative)
        if old is not None and relative not in self.staged and _same_bytes(old, data):
            return old
        if target.parent not in self._made_dirs:     # one mkdir per folder, not per file
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(target.parent)
        target.write_bytes(data)
        self.staged.add(relative)
        return target

    def copy_file(self, source: Path, relative: str) -> None:
        """Publish ``source`` at ``relative``; left as it is when the same file is there."""
        old = self.previous_file(relative)
        self.expected.add(relative)
        if old is not None and relative not in self.staged and _same_file_content(old, source):
            return
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        self.staged.add(relative)

    def copy_tree(self, source: Path, relative: str) -> None:
        if not source.is_dir():
            return
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                self.copy_file(path, f"{relative}/{path.relative_to(source).as_posix()}")

    # --- reading what the new build has so far ----------------------------------------
    def current(self, relative: str) -> Path | None:
        """The file the new build has at ``relative`` (staged or kept), if any."""
        if relative in self.staged:
            return self.path(relative)
        if relative in self.expected:
            return self.previous_file(relative)
        return None

    def files(self) -> Iterator[tuple[str, Path]]:
        """Every file of the new build so far, sorted, with where its bytes are now."""
        for relative in sorted(self.expected):
            path = self.current(relative)
            if path is not None:
                yield relative, path

    @contextmanager
    def full_tree(self) -> Iterator[Path]:
        """The whole new build as a folder (hard links), for tools that read a site folder."""
        tree = Path(tempfile.mkdtemp(prefix=f".{self.destination.name}.view-", dir=self.destination.parent))
        try:
            for relative, path in self.files():
                target = tree / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(path, target)
                except OSError:
                    shutil.copyfile(path, target)
            yield tree
        finally:
            shutil.rmtree(tree, ignore_errors=True)

    # --- the transaction ----------------------------------------------------------------
    def _previous_files(self) -> list[str] | None:
        """The files of the previous build, as its marker lists them (None: unknown)."""
        return listed_files(self.destination)

    def commit(self) -> None:
        """Move the new and changed files into place and remove what the build no longer makes."""
        previous_files = self._previous_files() if self.previous is not None else None
        # The marker lists every file of this build, so the next one knows what to remove.
        self.write(MARKER, "\n".join([MARKER_HEADER, *sorted(self.expected | {MARKER})]) + "\n")
        if self.previous is None:
            if self.destination.exists():          # a file, or a folder that appeared meanwhile
                raise FileExistsError(f"{self.destination} exists and is not a folder")
            os.replace(self.stage, self.destination)
            os.chmod(self.destination, 0o755)
            return
        for relative in sorted(self.staged):
            target = self.destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(self.stage / relative, target)
        if previous_files is None:
            # No list of the previous build: look at every file (the folder is ours: MARKER).
            stale = [path.relative_to(self.destination).as_posix()
                     for path in self.destination.rglob("*") if not path.is_dir() or path.is_symlink()]
        else:
            stale = previous_files
        folders: set[Path] = set()
        for relative in stale:
            if relative not in self.expected:
                path = self.destination / relative
                if path.is_file() or path.is_symlink():
                    path.unlink()
                    folders.add(path.parent)
        # Folders left empty by removed files go too, up to the output folder itself.
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            while folder != self.destination and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        shutil.rmtree(self.stage, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)
