"""Find scan files under the paths an archivist gives, and group them into dossiers."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ocr.raster import SCAN_SUFFIXES

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Discovered:
    path: Path  # absolute, resolved: the ledger's key
    display: str  # as discovered, relative to the ingest root when one was given
    dossier: str  # a dossier is a folder of scans: the file's folder name
    size: int
    mtime_ns: int


@dataclass
class Ignored:
    """Files that were not scans, by suffix, so the archivist sees what was passed over."""

    by_suffix: Counter[str]

    @property
    def total(self) -> int:
        return sum(self.by_suffix.values())


def sha256_file(path: Path) -> str:
    """Hash the bytes before anything else touches the file."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(path: Path, root: Path | None) -> Discovered:
    resolved = path.resolve()
    try:
        stat = resolved.stat()
    except OSError:  # a dangling link, or a file gone since the walk: the ledger quarantines it
        size, mtime_ns = -1, -1
    else:
        size, mtime_ns = stat.st_size, stat.st_mtime_ns
    if root is not None:
        display = path.relative_to(root).as_posix()
        dossier = path.parent.name if path.parent != root else root.resolve().name
    else:
        display = path.as_posix()
        dossier = resolved.parent.name
    return Discovered(resolved, display, dossier, size, mtime_ns)


def discover(
    paths: Iterable[Path], *, exclude: Iterable[Path] = (), ignored: Ignored | None = None,
    scans_under: Counter[Path] | None = None,
) -> Iterator[Discovered]:
    """Walk files and folders in a stable order; hidden files and `exclude` are skipped.

    `scans_under` counts the scan files found under each given path (also ones another
    given path already had), so a path with none can be told to the archivist.
    """
    excluded = {p.resolve() for p in exclude}
    seen: set[Path] = set()
    for given in paths:
        if given.is_file():
            candidates: Iterable[tuple[Path, Path | None]] = [(given, None)]
        else:
            candidates = ((p, given) for p in _walk(given, excluded))
        for path, root in candidates:
            if path.suffix.lower() not in SCAN_SUFFIXES:
                if ignored is not None:
                    ignored.by_suffix[path.suffix.lower() or "(none)"] += 1
                continue
            if scans_under is not None:
                scans_under[given] += 1
            entry = _entry(path, root)
            if entry.path in seen:
                continue
            seen.add(entry.path)
            yield entry


def _walk(root: Path, excluded: set[Path]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in excluded
        )
        for name in sorted(filenames):
            if not name.startswith("."):
                yield here / name
