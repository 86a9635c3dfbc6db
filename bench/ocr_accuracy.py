"""OCR accuracy and speed on degraded pages: parvandeh vs raw Tesseract vs OCRmyPDF.

    .venv/bin/python -m bench.ocr_accuracy --pages 60 --jobs 2 [--skip-ocrmypdf]
    .venv/bin/python -m bench.ocr_accuracy --pages 60 --jobs 2 --ablation

All three read the same generated pages with the same number of processes. Prints per
engine pages/minute and normalized CER (mean, median, worst), the ratios, and the pages
parvandeh reads worst with their degradations.

``--ablation`` instead runs the pages through ``pipeline.task.run_page`` in a process
pool once per configuration (everything on, then each cleaning step or recognition
setting off) and prints a table of CER and pages/minute.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image

from bench.common import cer, make_set, run_raw_tesseract, summarize, timed
from indexer.catalog import Catalog
from indexer.export import export_pages
from ocr.page import PageOptions
from ocr.raster import inspect_source
from pipeline.ingest import ingest
from pipeline.options import IngestOptions
from pipeline.task import PageRef, init_worker, run_page

# (name, PageOptions overrides): everything on, then one thing off at a time.
ABLATIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("all on", {}),
    ("no orientation", {"skip": ("orient",)}),
    ("no deskew", {"skip": ("deskew",)}),
    ("no borders", {"skip": ("borders",)}),
    ("no rescale", {"skip": ("rescale",)}),
    ("no flatten", {"skip": ("flatten",)}),
    ("no despeckle", {"skip": ("despeckle",)}),
    ("no second chance", {"second_chance_below": 0.0}),
    ("no second look", {"second_look": False}),
    ("language per page only", {"line_languages": False}),
    ("no glyph numbers", {"glyph_numbers": False}),
    ("no word check", {"word_check": False}),
    ("no word joining", {"join_words": False}),
    ("no slip fixes", {"fix_slips": False}),
    ("no eng numbers", {"latin_numbers": False}),
    ("read at cleaned dpi", {"read_dpi": 0}),
    ("fas+eng everywhere", {"fas_first": False}),
)


def run_parvandeh(scans: Path, *, jobs: int) -> tuple[dict[tuple[str, int], str], float]:
    work = Path(tempfile.mkdtemp(prefix="parvandeh-bench-"))
    try:
        options = IngestOptions(archive=work / "archive", jobs=jobs)
        _, seconds = timed(lambda: ingest([scans], options))
        with Catalog.open(options.archive) as catalog:
            texts = {(r["source"], r["page"]): r["text"] for r in export_pages(catalog)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return texts, seconds


def _ocrmypdf_unit(args: tuple[str, str, list[int]]) -> list[tuple[int, str]]:
    """OCRmyPDF on one file (a PDF, an image, or one frame of a TIFF), sidecar text back."""
    src, parent, pages = args
    tmp = tempfile.mkdtemp(dir=parent)  # files of two dossiers share names (scan_01.pdf)
    path = Path(src)
    out: list[tuple[int, str]] = []
    inputs: list[tuple[list[int], Path]] = []
    if path.suffix.lower() in {".tif", ".tiff"}:
        with Image.open(path) as img:
            for page in pages:
                img.seek(page - 1)
                frame = Path(tmp) / f"{path.stem}-{page}.tif"
                dpi = img.info.get("dpi")
                img.save(frame, dpi=dpi) if dpi else img.save(frame)
                inputs.append(([page], frame))
    else:
        inputs.append((pages, path))
    for page_list, file in inputs:
        sidecar = Path(tmp) / f"{file.stem}-{page_list[0]}.txt"
        cmd = [
            "ocrmypdf", "--rotate-pages", "--deskew", "--clean", "-l", "fas+eng", "--output-type", "none",
            "--sidecar", str(sidecar), "--jobs", "1", "--quiet", "--image-dpi", "300", str(file), "-",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        text = sidecar.read_text(encoding="utf-8") if sidecar.exists() else ""
        if proc.returncode not in (0, 4) and not text:
            text = ""
        chunks = text.split("\f")
        for i, page in enumerate(page_list):
            out.append((page, chunks[i] if i < len(chunks) else ""))
    return out


def run_ocrmypdf(scans: Path, truth: list[dict[str, Any]], *, jobs: int) -> tuple[dict[tuple[str, int], str], float]:
    by_file: dict[str, list[int]] = {}
    for p in truth:
        by_file.setdefault(p["source"], []).append(p["page"])
    tmp = tempfile.mkdtemp(prefix="parvandeh-ocrmypdf-")
    venv_bin = str(Path(sys.executable).parent)
    os.environ["PATH"] = venv_bin + os.pathsep + os.environ["PATH"]
    started = time.perf_counter()
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            units = [(str(scans / src), tmp, sorted(pages)) for src, pages in by_file.items()]
            results = list(pool.map(_ocrmypdf_unit, units))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - started
    texts = {}
    for (src, _), pages in zip(by_file.items(), results, strict=True):
        for page, text in pages:
            texts[(src, page)] = text
    return texts, seconds


def _ablation_page(args: tuple[PageRef, PageOptions]) -> str:
    result = run_page(*args)
    return result.text


def run_ablation(
    scans: Path, truth: list[dict[str, Any]], *, jobs: int, rows: list[str] | None = None
) -> None:
    """Each configuration (or those named in ``rows``) over the same pages in a fresh
    pool; one table row each."""
    refs = []
    for p in truth:  # as ingest makes them, with the dpi the file states
        path = scans / p["source"]
        info = inspect_source(path)
        refs.append(PageRef(str(path), "", p["page"], info.kind, info.dpis[p["page"] - 1]))
    print(f"{'configuration':<22} {'CER mean':>8} {'median':>7} {'worst':>6} {'pages/min':>9}")
    for name, overrides in ABLATIONS:
        if rows and name not in rows:
            continue
        options = PageOptions(**overrides)
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=jobs, initializer=init_worker) as pool:
            texts = list(pool.map(_ablation_page, [(ref, options) for ref in refs]))
        seconds = time.perf_counter() - started
        cers = sorted(cer(p["text"], t) for p, t in zip(truth, texts, strict=True))
        mean, median = sum(cers) / len(cers), cers[len(cers) // 2]
        print(f"{name:<22} {mean:8.3f} {median:7.3f} {cers[-1]:6.3f} {len(cers) / seconds * 60:9.1f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--set", type=Path, default=Path("bench/out/accuracy-set"))
    ap.add_argument("--skip-ocrmypdf", action="store_true")
    ap.add_argument("--worst", type=int, default=8, help="list this many worst parvandeh pages")
    ap.add_argument("--ablation", action="store_true", help="CER and speed with each step off")
    ap.add_argument(
        "--rows", help="with --ablation: only these configurations, comma-separated ('all on,no word check')"
    )
    args = ap.parse_args()

    truth = make_set(args.set, pages=args.pages, seed=args.seed)["pages"]
    scans = args.set / "scans"
    if args.ablation:
        print(f"set: {args.set} ({len(truth)} pages, seed {args.seed}), {args.jobs} processes")
        run_ablation(scans, truth, jobs=args.jobs, rows=args.rows.split(",") if args.rows else None)
        return
    reference = {(p["source"], p["page"]): p["text"] for p in truth}
    n = len(reference)

    ours, ours_s = run_parvandeh(scans, jobs=args.jobs)
    raw_list, raw_s = run_raw_tesseract([(str(scans / p["source"]), p["page"]) for p in truth], jobs=args.jobs)
    raw = {(p["source"], p["page"]): t for p, t in zip(truth, raw_list, strict=True)}
    ours_cer = {k: cer(reference[k], ours.get(k, "")) for k in reference}
    raw_cer = {k: cer(reference[k], raw[k]) for k in reference}

    print(f"set: {args.set} ({n} pages), {args.jobs} processes")
    print(summarize("parvandeh", ours_cer.values(), n, ours_s))
    print(summarize("raw tesseract", raw_cer.values(), n, raw_s))
    mean = sum(ours_cer.values()) / n
    line = f"ratios: raw/parvandeh CER {sum(raw_cer.values()) / n / max(mean, 1e-9):.1f}x, speed parvandeh/raw {raw_s / ours_s:.2f}"
    if not args.skip_ocrmypdf:
        omp, omp_s = run_ocrmypdf(scans, truth, jobs=args.jobs)
        omp_cer = {k: cer(reference[k], omp.get(k, "")) for k in reference}
        print(summarize("ocrmypdf", omp_cer.values(), n, omp_s))
        line += f"; ocrmypdf/parvandeh CER {sum(omp_cer.values()) / n / max(mean, 1e-9):.1f}x, speed parvandeh/ocrmypdf {omp_s / ours_s:.2f}"
    print(line)
    degr = {(p["source"], p["page"]): p["degradation"] for p in truth}
    print(f"worst {args.worst} parvandeh pages:")
    for key in sorted(ours_cer, key=ours_cer.get, reverse=True)[: args.worst]:  # type: ignore[arg-type]
        d = degr[key]
        flags = ",".join(k for k in ("bitonal", "border", "punch_holes", "stamp", "blur", "yellowed") if d.get(k))
        print(
            f"  {ours_cer[key]:.3f} raw {raw_cer[key]:.3f}  {key[0]} p{key[1]}  rot={d.get('rotation')} "
            f"skew={d.get('skew')} dpi={d.get('dpi')} {flags}"
        )


if __name__ == "__main__":
    main()
