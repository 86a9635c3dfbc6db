"""The page store: cleaned images and word data, content-addressed by source and page.

Files are written before the catalog row that points at them, each by rename, so the
catalog never names a file that is not whole.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ocr.types import Word


def page_dir(archive: Path, sha256: str) -> Path:
    return archive / "pages" / sha256[:2] / sha256


def temporary_name(path: Path) -> Path:
    """A hidden name beside ``path`` for this process to write before renaming."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path``, renamed to it when the block ends without error
    (and removed when it does not, so a failed write leaves nothing behind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            if tmp.is_dir():
                shutil.rmtree(tmp)
            else:
                tmp.unlink()


def write_atomic(path: Path, data: bytes) -> None:
    """``data`` at ``path`` whole or not at all: readers never see a part of it."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_image(archive: Path, sha256: str, page: int, data: bytes, ext: str) -> str:
    rel = Path("pages") / sha256[:2] / sha256 / f"p{page:04d}.{ext}"
    write_atomic(archive / rel, data)
    return rel.as_posix()


def write_words(archive: Path, sha256: str, page: int, words: Sequence[Word]) -> str:
    """The words with boxes and confidences: what OCR-once re-runs extraction from."""
    rel = Path("pages") / sha256[:2] / sha256 / f"p{page:04d}.words.json.gz"
    rows = [[w.text, w.conf, w.left, w.top, w.width, w.height, w.block, w.par, w.line] for w in words]
    payload = json.dumps({"version": 1, "words": rows}, ensure_ascii=False).encode("utf-8")
    write_atomic(archive / rel, gzip.compress(payload, mtime=0))
    return rel.as_posix()


def read_words(archive: Path, rel: str) -> list[Word]:
    data = json.loads(gzip.decompress((archive / rel).read_bytes()))
    return [Word(*row) for row in data["words"]]
