"""Stage 5: write the output as one transaction.

A build writes only files that are new or changed, into a staging folder inside the
destination (``.egorod-staging/``, on the output's own file system, so an output folder
that is a mount point works and every move is a rename); files that come out the same as
in the previous output are not written at all (same bytes, same mtime, so ``rsync``
deploys stay small). Only when every step has succeeded are the staged files moved into
place and the files the new build no longer produces removed. A build that fails leaves
the previous output byte for byte as it was.

The swap is recoverable: before it starts, a swap record listing every move and removal
is written and flushed to disk. A build killed during the swap leaves that record behind,
and the next build finishes the swap before doing anything else, so a kill plus one build
gives the same output as a cold build. One build at a time writes into a folder: the
staging area holds a lock (``flock``) for as long as the build runs.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import tempfile
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import BuildFailed, Problem
from .i18n import _
from .paths import forbidden_character, name_problem


class UnsafePath(ValueError):
    pass


def safe_join(base: Path, relative: str) -> Path:
    """``base/relative``, refusing anything that would land outside ``base`` or that a list of
    files could not hold as one name (control and line-separator characters)."""
    if (not relative or relative.startswith(("/", "\\")) or "\\" in relative
            or forbidden_character(relative) is not None):
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
MARKER_FORMAT = "egorod-output-1"     # the marker is JSON: {"format": ..., "files": [...]}
STAGING = ".egorod-staging"   # inside the output: stages, the lock and the swap record; never published
LOCK = "lock"
SWAP_RECORD = "swap.json"
# Test-only: the build kills itself (SIGKILL) after this many steps of the swap, so that
# tests can stop a real build at a chosen moment. Unset in normal use.
KILL_SWITCH = "EGOROD_TEST_KILL_AFTER_SWAP_STEPS"


class UnsafeDestination(ValueError):
    """The output folder would overwrite something that is not a previous build."""


class OutputBusy(RuntimeError):
    """Another build is writing into the same output folder."""


class SwapInterrupted(OSError):
    """The swap failed half-way; its record stays, and the next build completes it."""


def check_destination(destination: Path, root: Path) -> None:
    destination, root = destination.resolve(), root.resolve()
    if destination == root or root.is_relative_to(destination):
        raise UnsafeDestination(_("the output folder {folder} would contain the repository itself; "
                                  "choose a folder of its own, e.g. output/").format(folder=destination))
    for protected in ("content", "templates", "static", "egorod", "fonts", ".git"):
        if destination.is_relative_to(root / protected):
            raise UnsafeDestination(_("the output folder {folder} is inside {protected}/ of the repository")
                                    .format(folder=destination, protected=protected))
    if destination.exists() and not destination.is_dir():
        raise UnsafeDestination(_("{folder} exists and is not a folder").format(folder=destination))
    ours = (destination / MARKER).is_file() or (destination / STAGING / SWAP_RECORD).is_file()   # or half swapped
    if destination.is_dir() and not ours and any(path.name != STAGING for path in destination.iterdir()):
        raise UnsafeDestination(_("the output folder {folder} already holds files that were not made by this "
                                  "build; choose an empty or new folder (nothing was written)").format(folder=destination))


# --- the list of published files -----------------------------------------------------------

def marker_text(files: list[str]) -> str:
    """The marker: every file of the build, as JSON, so that no name can split into two."""
    return json.dumps({"format": MARKER_FORMAT, "made_by": "python build.py", "files": files},
                      ensure_ascii=False, indent=0) + "\n"


def listed_files(marker: Path) -> list[str] | None:
    """The files a marker lists; None when it cannot be read or is of another format."""
    try:
        saved = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = saved.get("files") if isinstance(saved, dict) and saved.get("format") == MARKER_FORMAT else None
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        return None
    return files


def files_found(destination: Path) -> list[str]:
    """Every file in the output folder but the staging area (when no list says what is there)."""
    found = []
    for folder, folders, files in os.walk(destination):
        if Path(folder) == destination:
            folders[:] = [name for name in folders if name != STAGING]
        found += [Path(folder, name).relative_to(destination).as_posix() for name in files]
        found += [Path(folder, name).relative_to(destination).as_posix()
                  for name in folders if Path(folder, name).is_symlink()]
    return sorted(found)


# --- the swap, as a record that a later build can carry out again ---------------------------

@dataclass(frozen=True)
class Swap:
    stage: str                  # the staging folder's name inside STAGING
    moves: list[str]            # staged files to move into place, the marker last
    removals: list[str]         # files of the previous build that the new one does not make


def write_record(path: Path, swap: Swap) -> None:
    """Write the swap record atomically and flush it (and its folder) to disk."""
    temporary = path.with_name(path.name + ".new")
    with open(temporary, "w", encoding="utf-8") as stream:
        json.dump({"stage": swap.stage, "moves": swap.moves, "removals": swap.removals}, stream,
                  ensure_ascii=False)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)
    _fsync_folder(path.parent)


def read_record(path: Path) -> Swap | None:
    """The record of a swap left unfinished; None when there is none (it is never half written)."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return Swap(str(saved["stage"]), list(saved["moves"]), list(saved["removals"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class _Inside:
    """``destination/relative`` only when it really lies inside: a list read from disk may
    name anything, and a folder on the way may be a link."""

    def __init__(self, destination: Path):
        self.destination = destination
        self.real = destination.resolve()
        self._checked: dict[Path, bool] = {}

    def __call__(self, relative: str) -> Path | None:
        try:
            path = safe_join(self.destination, relative)
        except UnsafePath:
            return None
        if path.parent not in self._checked:
            self._checked[path.parent] = path.parent.resolve().is_relative_to(self.real)
        return path if self._checked[path.parent] else None


def _remove_files_on_the_way(destination: Path, folder: Path) -> None:
    path = destination
    for part in folder.relative_to(destination).parts:
        path = path / part
        if path.is_symlink() or path.exists() and not path.is_dir():
            path.unlink()


def _first_missing_folder(destination: Path, folder: Path, known: set[Path]) -> Path | None:
    """The highest folder on the way from ``destination`` to ``folder`` that does not exist;
    None when all exist or one of them is a file (moved file by file, as that case needs)."""
    path = destination
    for part in folder.relative_to(destination).parts:
        path = path / part
        if path in known:
            continue
        if os.path.isdir(path):
            known.add(path)
            continue
        return None if os.path.lexists(path) else path
    return None


def carry_out(destination: Path, work: Path, swap: Swap) -> None:
    """Do the swap; every step may already have been done by a build that was killed."""
    stage = work / swap.stage
    inside = _Inside(destination)
    kill_after = int(os.environ.get(KILL_SWITCH) or 0)
    steps = 0

    def step_done() -> None:
        nonlocal steps
        steps += 1
        if steps == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    known: set[Path] = set()        # folders of the destination found to exist
    moved_folder = ""               # "a/b/": the staged folder moved last, with every file under it
    for relative in swap.moves:
        # (The list is sorted: the files under a folder come together, the first of them moved it.)
        if moved_folder and relative.startswith(moved_folder):
            step_done()
            continue
        source = stage / relative
        if not os.path.lexists(source):
            step_done()             # moved by a build that was killed
            continue
        target = inside(relative)
        if target is not None:
            missing = _first_missing_folder(destination, target.parent, known)
            if missing is not None:
                # A folder the output does not have yet (all of a cold build): the staged
                # folder goes whole, in one rename, with the files that follow it in the list.
                moved_folder = missing.relative_to(destination).as_posix() + "/"
                os.replace(stage / moved_folder, missing)
                known.add(missing)
                step_done()
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                # A file of the previous build where this one has a folder: the file goes now,
                # not with the removals, which come after the moves.
                _remove_files_on_the_way(destination, target.parent)
                target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(source, target)
        step_done()
    folders: set[Path] = set()
    for relative in swap.removals:
        path = inside(relative)
        if path is None:
            continue        # never anything outside the output folder, whatever a list says
        if path.is_symlink() or path.is_file():
            path.unlink()
        folders.add(path.parent)
        step_done()
    # Folders left empty by removed files go too, up to the output folder itself.
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        while folder != destination and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    (work / SWAP_RECORD).unlink(missing_ok=True)
    _fsync_folder(work)
    shutil.rmtree(stage, ignore_errors=True)


# --- one build at a time ---------------------------------------------------------------------

def lock_output(work: Path, destination: Path) -> int:
    """Hold the output folder's lock (a descriptor); OutputBusy when another build has it."""
    while True:
        work.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(work / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            continue            # the build that held it removed the staging area meanwhile
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "?"
            os.close(descriptor)
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise OutputBusy(_("another build is writing into {folder} (pid {pid}); wait for it or stop it, "
                               "then run this build again").format(folder=destination, pid=holder)) from None
        try:
            if os.stat(work / LOCK).st_ino == os.fstat(descriptor).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(descriptor)    # locked a file that its last holder had just removed: again
    try:
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))   # named in the other build's message
    except OSError:         # a full disk: leave nothing behind, the lock is still ours
        (work / LOCK).unlink()
        with suppress(OSError):
            work.rmdir()
        os.close(descriptor)
        raise
    return descriptor


class StagedOutput:
    def __init__(self, destination: Path, root: Path | None = None):
        self.destination = destination.resolve()
        if root is not None:
            check_destination(self.destination, root)
        self._created = not self.destination.exists()
        self.destination.mkdir(parents=True, exist_ok=True)
        self.work = self.destination / STAGING
        self._lock = lock_output(self.work, self.destination)
        try:
            self._recover()
            self.stage = Path(tempfile.mkdtemp(prefix="build-", dir=self.work))
        except BaseException:
            self._release()
            raise
        # The output being replaced: what comes out the same stays there untouched.
        self.previous = self.destination if (self.destination / MARKER).is_file() else None
        self.expected: set[str] = set()     # every file of the new build
        self.staged: set[str] = set()       # the new or changed ones, waiting in the stage
        self._made_dirs: set[Path] = set()

    def _recover(self) -> None:
        """Finish the swap of a build killed half-way, and drop what killed builds left."""
        swap = read_record(self.work / SWAP_RECORD)
        if swap is not None:
            try:
                carry_out(self.destination, self.work, swap)
            except OSError as error:
                raise SwapInterrupted(error.errno, error.strerror, error.filename) from error
        for leftover in self.work.iterdir():
            if leftover.name != LOCK:
                if leftover.is_dir() and not leftover.is_symlink():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)

    def _release(self) -> None:
        """Remove the staging area (unless a swap record waits in it) and let go of the lock."""
        if not (self.work / SWAP_RECORD).exists():
            shutil.rmtree(self.work, ignore_errors=True)
            if self._created and not any(self.destination.iterdir()):
                self.destination.rmdir()    # a first build that failed leaves no folder behind
        os.close(self._lock)
        self._lock = -1

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
        """Publish the files of ``source`` (hidden ones left out) under ``relative``.

        Like content/, the folder must hold the files themselves: a symbolic link could
        publish any file the build can read (the CI's git credentials, the environment).
        """
        if not source.is_dir():
            return
        problems: list[Problem] = []
        files: list[Path] = []
        for folder, folders, names in os.walk(source):
            for name in sorted((*folders, *names)):
                path = Path(folder, name)
                shown = f"{source.name}/{path.relative_to(source).as_posix()}"
                problem = name_problem(shown)
                if problem is not None:
                    problems.append(problem)
                elif path.is_symlink():
                    problems.append(Problem(shown, 0, "-", _("is a symbolic link; put the file itself into "
                                                             "{folder}/").format(folder=source.name)))
                elif name in names and not name.startswith("."):
                    files.append(path)
        if problems:
            raise BuildFailed(sorted(problems))
        for path in sorted(files):
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
        tree = Path(tempfile.mkdtemp(prefix="view-", dir=self.work))
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
    def commit(self) -> None:
        """Move the new and changed files into place and remove what the build no longer makes."""
        before: list[str] = []      # no previous build: nothing to remove
        if self.previous is not None:
            listed = listed_files(self.destination / MARKER)
            # No readable list of the previous build: look at every file (the folder is ours).
            before = listed if listed is not None else files_found(self.destination)
        # The marker lists every file of this build, so the next one knows what to remove.
        self.write(MARKER, marker_text(sorted(self.expected | {MARKER})))
        moves = sorted(self.staged - {MARKER}) + ([MARKER] if MARKER in self.staged else [])
        swap = Swap(self.stage.name, moves, sorted(set(before) - self.expected))
        write_record(self.work / SWAP_RECORD, swap)
        try:
            carry_out(self.destination, self.work, swap)
        except OSError as error:
            raise SwapInterrupted(error.errno, error.strerror, error.filename) from error
        self._release()

    def abort(self) -> None:
        if self._lock < 0:
            return          # committed
        if not (self.work / SWAP_RECORD).exists():   # else the stage is what the next build moves in
            shutil.rmtree(self.stage, ignore_errors=True)
        self._release()
