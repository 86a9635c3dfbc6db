"""The page store: cleaned images and word data, content-addressed by source and page.

Files are written before the catalog row that points at them, each by rename, so the
catalog never names a file that is not whole.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Sequence
from pathlib import Path

from ocr.types import Word


def page_dir(archive: Path, sha256: str) -> Path:
    return archive / "pages" / sha256[:2] / sha256


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_image(archive: Path, sha256: str, page: int, data: bytes, ext: str) -> str:
    rel = Path("pages") / sha256[:2] / sha256 / f"p{page:04d}.{ext}"
    _atomic_write(archive / rel, data)
    return rel.as_posix()


def write_words(archive: Path, sha256: str, page: int, words: Sequence[Word]) -> str:
    """The words with boxes and confidences: what OCR-once re-runs extraction from."""
    rel = Path("pages") / sha256[:2] / sha256 / f"p{page:04d}.words.json.gz"
    rows = [[w.text, w.conf, w.left, w.top, w.width, w.height, w.block, w.par, w.line] for w in words]
    payload = json.dumps({"version": 1, "words": rows}, ensure_ascii=False).encode("utf-8")
    _atomic_write(archive / rel, gzip.compress(payload, mtime=0))
    return rel.as_posix()


def read_words(archive: Path, rel: str) -> list[Word]:
    data = json.loads(gzip.decompress((archive / rel).read_bytes()))
    return [Word(*row) for row in data["words"]]
