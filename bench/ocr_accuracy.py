"""OCR accuracy and speed on degraded pages: parvandeh vs raw Tesseract vs OCRmyPDF.

    .venv/bin/python -m bench.ocr_accuracy --jobs 2 [--skip-ocrmypdf] [--fresh]   # both splits
    .venv/bin/python -m bench.ocr_accuracy --set DIR --pages 60 --jobs 2 [--ablation]

By default: the tuned and the held-out split of the `wide` generator (samples/splits.py,
30 pages each), side by side. Every engine's output is cached in the set's folder
(parvandeh's as an ingested archive, the peers' as JSON), so a second run OCRs nothing;
``--fresh`` reads everything again. ``--set DIR`` measures one `bench`-preset set instead.

All three read the same generated pages with the same number of processes. Prints per
engine pages/minute and normalized CER (mean, median, worst), the ratios, and the pages
parvandeh reads worst with their degradations.

``--ablation`` instead runs the pages through ``pipeline.task.run_page`` in a process
pool once per configuration (everything on, then each cleaning step or recognition
setting off) and prints a table of CER and pages/minute.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image

from bench.common import (
    cached_archive,
    cached_peer,
    cer,
    make_set,
    run_raw_tesseract,
    split_sets,
    summarize,
    timed,
)
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
    ("no stamp erasing", {"skip": ("stamps",)}),
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


OCRMYPDF_TIMEOUT = 600  # seconds for one file


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
        # OCRmyPDF was seen to hang on a page (no child running); it then reads nothing
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(cmd, capture_output=True, text=True, timeout=OCRMYPDF_TIMEOUT,
                           env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        text = sidecar.read_text(encoding="utf-8") if sidecar.exists() else ""
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


def _raw_texts(scans: Path, truth: list[dict[str, Any]], jobs: int) -> tuple[dict[tuple[str, int], str], float]:
    texts, seconds = run_raw_tesseract([(str(scans / p["source"]), p["page"]) for p in truth], jobs=jobs)
    return {(p["source"], p["page"]): t for p, t in zip(truth, texts, strict=True)}, seconds


def _worst_flags(d: dict[str, Any]) -> str:
    keys = ("bitonal", "border", "punch_holes", "stamp", "blur", "yellowed", "fax", "carbon",
            "generations")
    return ",".join(f"{k}={d[k]}" if k == "generations" else k for k in keys if d.get(k))


def run_splits(args: argparse.Namespace) -> None:
    """Tuned and held-out side by side: parvandeh, raw Tesseract and OCRmyPDF per split."""
    seeds = {k: v for k, v in (("tuned", args.seed_tuned), ("heldout", args.seed_heldout)) if v}
    sets = split_sets(Path("bench/out"), pages=args.pages, seeds=seeds, splits=args.split)
    rows: list[str] = []
    worst: list[str] = []
    for split, set_dir, truth_doc in sets:
        truth = truth_doc["pages"]
        scans = set_dir / "scans"
        reference = {(p["source"], p["page"]): p["text"] for p in truth}
        archive, facts, note = cached_archive(set_dir, jobs=args.jobs, fresh=args.fresh)
        print(f"{split}: {set_dir} ({len(truth)} pages); parvandeh: {note}", flush=True)
        with Catalog.open(archive) as catalog:
            ours = {(r["source"], r["page"]): r["text"] for r in export_pages(catalog)}
        engines = [("parvandeh", ours, facts["seconds"], True)]
        raw, raw_s, reused = cached_peer(set_dir, "tesseract", partial(_raw_texts, scans, truth, args.jobs),
                                         fresh=args.fresh)
        engines.append(("raw tesseract", raw, raw_s, reused))
        if not args.skip_ocrmypdf:
            omp, omp_s, reused = cached_peer(
                set_dir, "ocrmypdf", partial(run_ocrmypdf, scans, truth, jobs=args.jobs),
                fresh=args.fresh)
            engines.append(("ocrmypdf", omp, omp_s, reused))
        cers = {name: {k: cer(reference[k], texts.get(k, "")) for k in reference}
                for name, texts, _s, _r in engines}
        ours_mean = sum(cers["parvandeh"].values()) / len(reference)
        for name, _texts, seconds, _r in engines:
            line = summarize(f"{split:<8} {name}", cers[name].values(), len(reference), seconds)
            if name != "parvandeh":
                mean = sum(cers[name].values()) / len(reference)
                line += (f"  | {name}/parvandeh CER {mean / max(ours_mean, 1e-9):.1f}x, "
                         f"speed parvandeh/{name} {seconds / facts['seconds']:.2f}")
            rows.append(line)
        degr = {(p["source"], p["page"]): p["degradation"] for p in truth}
        fonts = {(p["source"], p["page"]): f"{p['kind']}/{p['render']['font']}" for p in truth}
        ranked = sorted(cers["parvandeh"], key=cers["parvandeh"].get, reverse=True)  # type: ignore[arg-type]
        for key in ranked[: args.worst]:
            d = degr[key]
            worst.append(f"  {split:<8} {cers['parvandeh'][key]:.3f} raw {cers['raw tesseract'][key]:.3f}  "
                         f"{key[0]} p{key[1]} {fonts[key]} rot={d.get('rotation')} skew={d.get('skew')} "
                         f"dpi={d.get('dpi')} {_worst_flags(d)}")
    print(f"{args.jobs} processes; wide preset; no tuning looks at the heldout split (samples/splits.py)")
    for line in rows:
        print(line)
    print(f"worst {args.worst} parvandeh pages per split:")
    for line in worst:
        print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=None,
                    help="pages (default: 30 a split; 60 with --set)")
    ap.add_argument("--seed", type=int, default=3, help="with --set: the bench set's seed")
    ap.add_argument("--seed-tuned", type=int, default=None)
    ap.add_argument("--seed-heldout", type=int, default=None)
    ap.add_argument("--split", action="append", choices=["tuned", "heldout"],
                    help="only this split (repeatable; default both)")
    ap.add_argument("--fresh", action="store_true", help="OCR again instead of reusing the caches")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--set", type=Path, default=None,
                    help="one bench-preset set instead of the two splits")
    ap.add_argument("--skip-ocrmypdf", action="store_true")
    ap.add_argument("--worst", type=int, default=8, help="list this many worst parvandeh pages")
    ap.add_argument("--ablation", action="store_true", help="CER and speed with each step off")
    ap.add_argument(
        "--rows", help="with --ablation: only these configurations, comma-separated ('all on,no word check')"
    )
    args = ap.parse_args()
    if args.set is None and not args.ablation:
        args.pages = args.pages or 30
        run_splits(args)
        return
    args.set = args.set or Path("bench/out/accuracy-set")
    args.pages = args.pages or 60
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
