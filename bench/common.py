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
    if truth.exists():
        made = json.loads(truth.read_text(encoding="utf-8")).get("generator", {})
        if (made.get("preset"), made.get("seed"), made.get("pages")) != (preset, seed, pages):
            truth.unlink()  # another set under this name: make the one asked for
    if not truth.exists():
        subprocess.run(
            [sys.executable, "-m", "samples.generate", "--out", str(out), "--pages", str(pages),
             "--seed", str(seed), "--preset", preset],
            check=True,
        )
    return json.loads(truth.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the two splits


def split_sets(root: Path, *, pages: int, seeds: dict[str, int] | None = None,
               splits: Iterable[str] | None = None) -> list[tuple[str, Path, dict[str, Any]]]:
    """(split, set folder, ground truth) for the tuned and the held-out `wide` set.

    The held-out set is made only to quote figures (samples/splits.py); its fonts come from
    scripts/fonts.sh, run first if they are missing.
    """
    from samples.splits import BENCH_SEEDS, HELDOUT, SPLITS, heldout_font_dir, split_of

    seeds = {**BENCH_SEEDS, **(seeds or {})}
    out = []
    for split in splits or SPLITS:
        seed = seeds[split]
        if split_of(seed) != split:
            raise SystemExit(f"seed {seed} belongs to the {split_of(seed)} split, not {split}")
        if split == HELDOUT and not any(heldout_font_dir().glob("*.ttf")):
            subprocess.run(["bash", str(Path(__file__).resolve().parent.parent / "scripts/fonts.sh")],
                           check=True)
        folder = root / f"wide-{split}-s{seed}-p{pages}"
        out.append((split, folder, make_set(folder, pages=pages, seed=seed, preset="wide")))
    return out


def cached_archive(set_dir: Path, *, jobs: int, fresh: bool = False) -> tuple[Path, dict[str, Any], str]:
    """The set ingested once into SET/archive (OCR once): (archive, run facts, note).

    Later runs reuse it, so extraction and consensus can be re-run without OCR; ``fresh``
    (or a changed set) ingests again. The facts keep the ingest's wall time and jobs, so
    pages/minute can still be quoted from the run that did the OCR.
    """
    import shutil

    from pipeline.ingest import ingest
    from pipeline.options import IngestOptions

    archive = set_dir / "archive"
    facts_file = set_dir / "ingest.json"
    stamp = (set_dir / "ground_truth.json").stat().st_mtime
    if not fresh and facts_file.exists() and (archive / "catalog.sqlite").exists():
        facts = json.loads(facts_file.read_text(encoding="utf-8"))
        if facts.get("truth_mtime") == stamp:
            return archive, facts, (f"reused {archive} (OCR'd {facts['when']} by the code of that "
                                    f"run, {facts['seconds']:.0f} s with {facts['jobs']} jobs)")
    shutil.rmtree(archive, ignore_errors=True)
    summary, seconds = timed(lambda: ingest([set_dir / "scans"], IngestOptions(archive=archive, jobs=jobs)))
    facts = {"seconds": seconds, "jobs": jobs, "pages": summary.pages_done, "truth_mtime": stamp,
             "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    facts_file.write_text(json.dumps(facts), encoding="utf-8")
    return archive, facts, (f"ingested into {archive} in {seconds:.0f} s: {summary.pages_done} pages "
                            f"OCR'd, {summary.pages_failed} failed, {len(summary.quarantined)} quarantined")


def cached_peer(set_dir: Path, name: str, run: Callable[[], tuple[dict[tuple[str, int], str], float]],
                *, fresh: bool = False) -> tuple[dict[tuple[str, int], str], float, bool]:
    """A peer's texts per page and wall seconds, kept in SET/peer-NAME.json; (texts, s, reused)."""
    path = set_dir / f"peer-{name}.json"
    stamp = (set_dir / "ground_truth.json").stat().st_mtime
    if not fresh and path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("truth_mtime") == stamp:
            return {(s, int(p)): t for s, p, t in data["pages"]}, data["seconds"], True
    texts, seconds = run()
    path.write_text(json.dumps({"truth_mtime": stamp, "seconds": seconds,
                                "pages": [[s, p, t] for (s, p), t in texts.items()]},
                               ensure_ascii=False), encoding="utf-8")
    return texts, seconds, False


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
