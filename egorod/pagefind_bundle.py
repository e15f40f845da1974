"""Pagefind bundles, complete and reproducible: the same pages always give the same files.

Pagefind's API service answered that it had written the bundle while its writes were still
under way, and then ended the indexer: on a busy machine files came out empty or cut short.
The build now runs Pagefind's command, which exits once it has written everything; still, a
bundle goes into the cache for good, so ``unfinished_files`` checks that every file it names
is whole before it is used.

Pagefind writes the values of each filter, and the list of filters in its metadata, in the
order of a Rust hash map, which changes from run to run. The file names are hashes of the
contents, so two builds of the same site differed in every filter file, in the metadata
file and in ``pagefind-entry.json``: deploys uploaded them again, and builds could not be
compared. The pages, the word index and the fragments come out the same every time.

This module puts the filter values and the filters in sorted order and names the files
by a hash of what they now hold. It reads and writes the small part of CBOR that these
files use (unsigned integers, text, arrays, maps).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

ENTRY_FILE = "pagefind-entry.json"
SIGNATURE = b"pagefind_dcd"       # every compressed Pagefind file starts with it


class UnexpectedBundle(RuntimeError):
    """The bundle is not laid out as this module expects (another Pagefind version?)."""


# --- CBOR, the part Pagefind uses ----------------------------------------------------------

def decode(data: bytes, at: int = 0) -> tuple[Any, int]:
    """The item starting at ``at``, and where the next one starts."""
    head = data[at]
    major, info = head >> 5, head & 31
    at += 1
    if info < 24:
        argument = info
    elif info <= 27:
        size = 1 << (info - 24)
        argument, at = int.from_bytes(data[at:at + size], "big"), at + size
    else:
        raise UnexpectedBundle(f"CBOR item 0x{head:02x} is not used by Pagefind bundles")
    if major == 0:
        return argument, at
    if major == 3:
        return data[at:at + argument].decode("utf-8"), at + argument
    if major in (4, 5):
        items = []
        for _ in range(argument * (major - 3)):     # a map has a key and a value per entry
            item, at = decode(data, at)
            items.append(item)
        return (items if major == 4 else dict(zip(items[::2], items[1::2], strict=True))), at
    raise UnexpectedBundle(f"CBOR major type {major} is not used by Pagefind bundles")


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise UnexpectedBundle(f"{argument} is too large for CBOR")


def encode(value: Any) -> bytes:
    if isinstance(value, bool) or not isinstance(value, (int, str, list, dict)):
        raise UnexpectedBundle(f"{type(value).__name__} is not used by Pagefind bundles")
    if isinstance(value, int):
        return _head(0, value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _head(3, len(data)) + data
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(encode(item) for item in value)
    return _head(5, len(value)) + b"".join(encode(key) + encode(item) for key, item in value.items())


def read_file(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise UnexpectedBundle(f"{path.name} does not start with {SIGNATURE!r}")
    value, end = decode(data, len(SIGNATURE))
    if end != len(data):
        raise UnexpectedBundle(f"{path.name} has data after its content")
    return value


def file_bytes(value: Any) -> bytes:
    # mtime 0: the compressed file depends on the content only
    return gzip.compress(SIGNATURE + encode(value), compresslevel=9, mtime=0)


def content_name(language: str, data: bytes, length: int) -> str:
    """A file name as Pagefind makes them (language, underscore, hex), from the content."""
    return f"{language}_{hashlib.sha256(data).hexdigest()[:length]}"


# --- the bundle ------------------------------------------------------------------------------

def _whole_gzip(path: Path) -> bool:
    try:
        gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error):
        return False
    return True


def unfinished_files(bundle: Path) -> list[str]:
    """The files of the bundle that are missing, empty or cut short; [] when it is whole.

    The entry names each language's metadata, which names every page fragment, word index
    chunk and filter; all of them, and the WebAssembly files, are gzip streams, complete
    only when they decompress. The other files (scripts, styles) must not be empty.
    """
    try:
        entry = json.loads((bundle / ENTRY_FILE).read_text(encoding="utf-8"))
        languages = entry["languages"]
    except (OSError, ValueError, KeyError, TypeError):
        return [ENTRY_FILE]
    expected = []
    for index in languages.values():
        meta_name = f"pagefind.{index['hash']}.pf_meta"
        try:
            meta = read_file(bundle / meta_name)
        except (OSError, EOFError, zlib.error, UnexpectedBundle, IndexError):
            return [meta_name]
        expected += [f"fragment/{page[0]}.pf_fragment" for page in meta[1]]
        expected += [f"index/{chunk[2]}.pf_index" for chunk in meta[2]]
        expected += [f"filter/{chunk[1]}.pf_filter" for chunk in meta[3]]
        expected += [f"wasm.{name}.pagefind" for name in (index.get("wasm"), "unknown") if name]
    unfinished = [name for name in expected if not _whole_gzip(bundle / name)]
    return unfinished + sorted(path.name for path in bundle.iterdir() if path.is_file() and not path.stat().st_size)


def sorted_filter(value: Any) -> Any:
    """A filter file, ``[name, [[value, [page, ...]], ...]]``, with its values sorted."""
    name, values = value
    return [name, sorted(values, key=lambda entry: entry[0])]


def reorder_language(bundle: Path, language: str, meta_name: str) -> str:
    """Sort the filters of one language's index; returns the new name of its metadata."""
    meta_path = bundle / f"pagefind.{meta_name}.pf_meta"
    meta = read_file(meta_path)
    if not (isinstance(meta, list) and len(meta) > 3 and isinstance(meta[3], list)):
        raise UnexpectedBundle(f"{meta_path.name}: no list of filters where Pagefind 1.x puts it")
    filters = []
    for filter_name, old_name in meta[3]:
        old_path = bundle / "filter" / f"{old_name}.pf_filter"
        data = file_bytes(sorted_filter(read_file(old_path)))
        new_name = content_name(language, data, len(old_name) - len(language) - 1)
        old_path.unlink()
        (bundle / "filter" / f"{new_name}.pf_filter").write_bytes(data)
        filters.append([filter_name, new_name])
    meta[3] = sorted(filters)
    data = file_bytes(meta)
    new_meta = content_name(language, data, len(meta_name) - len(language) - 1)
    meta_path.unlink()
    (bundle / f"pagefind.{new_meta}.pf_meta").write_bytes(data)
    return new_meta


def make_reproducible(bundle: Path) -> None:
    """Rewrite the bundle Pagefind has just written into ``bundle`` in a canonical order."""
    entry_path = bundle / ENTRY_FILE
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language, index in sorted(entry.get("languages", {}).items()):
        index["hash"] = reorder_language(bundle, language, index["hash"])
    # As compact as Pagefind writes it
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
