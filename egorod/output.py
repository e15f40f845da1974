"""Stage 5: write the output atomically.

Everything is written into a staging folder beside the destination; only a build that
finished is swapped in, so a failed build leaves the previous output byte for byte.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


class UnsafePath(ValueError):
    pass


def safe_join(base: Path, relative: str) -> Path:
    """``base/relative``, refusing anything that would land outside ``base``."""
    if not relative or relative.startswith(("/", "\\")) or "\\" in relative or "\x00" in relative:
        raise UnsafePath(f"unsafe output path {relative!r}")
    parts = Path(relative).parts
    if any(part in ("..", "") for part in parts):
        raise UnsafePath(f"unsafe output path {relative!r}")
    target = (base / relative).resolve()
    if not target.is_relative_to(base.resolve()):
        raise UnsafePath(f"output path {relative!r} escapes the output folder")
    return target


def _same_file_content(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


class StagedOutput:
    def __init__(self, destination: Path):
        self.destination = destination.resolve()
        self.destination.parent.mkdir(parents=True, exist_ok=True)
        self.stage = Path(tempfile.mkdtemp(prefix=f".{self.destination.name}.building-",
                                           dir=self.destination.parent))
        self.written: list[str] = []
        self.reused = 0
        # The output being replaced: files that come out the same are taken over from it
        # (same inode, same mtime), so deploys with rsync only move what really changed.
        self.previous = self.destination if self.destination.is_dir() else None

    def previous_file(self, relative: str) -> Path | None:
        if self.previous is None:
            return None
        old = self.previous / relative
        return old if old.is_file() and not old.is_symlink() else None

    def take_over(self, relative: str, old: Path) -> Path:
        """Put the previous build's file at ``relative`` without rewriting it."""
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        try:
            os.link(old, target)
        except OSError:
            shutil.copy2(old, target)
        self.written.append(relative)
        self.reused += 1
        return target

    def path(self, relative: str) -> Path:
        return safe_join(self.stage, relative)

    def write(self, relative: str, data: str | bytes) -> Path:
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        old = self.previous_file(relative)
        if old is not None and old.stat().st_size == len(data) and old.read_bytes() == data:
            return self.take_over(relative, old)
        if target.exists():
            target.unlink()   # never write through a hard link into the previous output
        target.write_bytes(data)
        self.written.append(relative)
        return target

    def copy_tree(self, source: Path, relative: str) -> None:
        if not source.is_dir():
            return
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                rel = f"{relative}/{path.relative_to(source).as_posix()}"
                old = self.previous_file(rel)
                if old is not None and _same_file_content(old, path):
                    self.take_over(rel, old)
                    continue
                target = self.path(rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                self.written.append(rel)

    def commit(self) -> None:
        """Swap the finished build in place of the destination."""
        old = None
        if self.destination.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.destination.name}.old-", dir=self.destination.parent))
            os.rmdir(old)
            os.replace(self.destination, old)
        os.replace(self.stage, self.destination)
        os.chmod(self.destination, 0o755)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)
