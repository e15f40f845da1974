"""What the last build of an output folder was: finished or failed, with drafts or not.

Kept in the cache folder, never in the output (a failed build leaves the output as it was, and
unchanged content must give the same bytes). ``deploy`` reads it to refuse publishing a folder
whose last build failed or showed drafts.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import write_atomically


@dataclass(frozen=True)
class BuildRecord:
    succeeded: bool
    drafts: bool
    base_url: str


def record_path(cache_dir: Path, out: Path) -> Path:
    name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return cache_dir / "builds" / f"{name}.json"


def save_record(cache_dir: Path, out: Path, record: BuildRecord) -> None:
    path = record_path(cache_dir, out)
    write_atomically(path, json.dumps(asdict(record), sort_keys=True).encode("utf-8"))


def load_record(cache_dir: Path, out: Path) -> BuildRecord | None:
    """The record of the last build of ``out``; None when there is none or it cannot be read."""
    try:
        saved = json.loads(record_path(cache_dir, out).read_text(encoding="utf-8"))
        return BuildRecord(bool(saved["succeeded"]), bool(saved["drafts"]), str(saved["base_url"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
