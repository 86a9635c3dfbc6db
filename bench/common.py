"""Shared pieces of the benchmarks: sets, ground truth, CER, and the raw-Tesseract peer."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from indexer.normalize import normalize

_NOT_TEXT = re.compile(r"[^\w\s]|_", re.UNICODE)


def cer_text(text: str) -> str:
    """Letters and digits folded as the index folds them, punctuation dropped, spaces single."""
    return " ".join(_NOT_TEXT.sub(" ", normalize(text)).split())


def cer(reference: str, hypothesis: str) -> float:
    """Normalized character error rate: edit distance over the reference length."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = cer_text(reference), cer_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


def make_set(out: Path, *, pages: int, seed: int, preset: str = "bench") -> dict[str, Any]:
    """Generate (or reuse) a benchmark set with the samples generator."""
    truth = out / "ground_truth.json"
    if not truth.exists():
        subprocess.run(
            [sys.executable, "-m", "samples.generate", "--out", str(out), "--pages", str(pages),
             "--seed", str(seed), "--preset", preset],
            check=True,
        )
    return json.loads(truth.read_text(encoding="utf-8"))


def page_key(source: str, page: int) -> tuple[str, int]:
    return (source, int(page))


def _raw_one(args: tuple[str, int, str]) -> tuple[str, float]:
    """Raw Tesseract as a user would call it: the page as the file has it, no cleaning."""
    import pytesseract
    from PIL import Image

    from ocr.raster import load_page

    path, page, lang = args
    started = time.perf_counter()
    image = load_page(Path(path), page)
    text = pytesseract.image_to_string(Image.fromarray(image.gray), lang=lang)
    return text, time.perf_counter() - started


def run_raw_tesseract(items: list[tuple[str, int]], *, jobs: int, lang: str = "fas+eng") -> tuple[list[str], float]:
    """(texts in item order, wall seconds) with `jobs` processes, one OpenMP thread each."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        out = list(pool.map(_raw_one, [(p, n, lang) for p, n in items]))
    return [t for t, _ in out], time.perf_counter() - started


def summarize(name: str, cers: Iterable[float], pages: int, seconds: float) -> str:
    values = list(cers)
    return (
        f"{name:<16} pages={pages:<4} pages/min={pages / seconds * 60:7.1f}  "
        f"CER mean={statistics.fmean(values):.3f} median={statistics.median(values):.3f} "
        f"worst={max(values):.3f}"
    )


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def ingested(set_dir: Path, archive: Path | None, *, jobs: int) -> tuple[Path, str]:
    """The archive a benchmark reads, and a note saying how it was obtained.

    `archive` given: reused when it holds a catalog (no OCR; the caller says so), else the
    set is ingested into it. Not given: the set is ingested afresh into SET/archive, whose
    earlier contents are removed first, so a default run always measures the current code.
    """
    import shutil

    from pipeline.ingest import ingest
    from pipeline.options import IngestOptions

    if archive is not None and (archive / "catalog.sqlite").exists():
        return archive, f"reused {archive} (no OCR: its pages were read by whichever code ingested them)"
    if archive is None:
        archive = set_dir / "archive"
        shutil.rmtree(archive, ignore_errors=True)
    summary, seconds = timed(lambda: ingest([set_dir / "scans"], IngestOptions(archive=archive, jobs=jobs)))
    return archive, (f"ingested into {archive} in {seconds:.0f} s: {summary.pages_done} pages OCR'd, "
                     f"{summary.pages_failed} failed, {len(summary.quarantined)} quarantined")
