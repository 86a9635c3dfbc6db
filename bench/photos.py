"""OCR of pages photographed with a phone: parvandeh vs raw Tesseract vs OCRmyPDF.

    .venv/bin/python -m bench.photos --pages 24 --jobs 2 [--skip-ocrmypdf] [--ablation | --each-stage]

The pages are the bench generator's clean prints (`samples.generate`, preset ``bench``)
photographed by `samples.photo` (a sheet on a desk at an angle, uneven light and a
shadow, defocus, grain, JPEG, 100-170 dpi on the sheet); no real photographs with a
licence that allows it were found on the package registries. Prints CER (mean, median,
worst) and pages/minute per engine. ``--ablation`` adds parvandeh with the photograph
stages (ocr.photo: sheet, shadows, enlarge) all off; ``--each-stage`` also one at a time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.common import cer, run_raw_tesseract, summarize
from bench.ocr_accuracy import run_ocrmypdf
from ocr.page import PageOptions
from pipeline.task import PageRef, init_worker, run_page

PHOTO_SETTINGS_VERSION = 1  # part of the set's record: raise it when samples/photo.py changes
ABLATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("photo stages off", ("sheet", "shadows", "enlarge")),
    ("no sheet", ("sheet",)),
    ("no shadows", ("shadows",)),
    ("no enlarge", ("enlarge",)),
)


def make_photo_set(out: Path, *, pages: int, seed: int) -> list[dict[str, Any]]:
    """Photograph the bench generator's clean pages (or reuse a set made the same way)."""
    from samples.generate import plan_files, render_page
    from samples.photo import take_photo

    truth_file = out / "ground_truth.json"
    record = {"pages": pages, "seed": seed, "version": PHOTO_SETTINGS_VERSION}
    if truth_file.exists():
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if truth.get("made") == record:
            return list(truth["pages"])
    shutil.rmtree(out, ignore_errors=True)
    records: list[dict[str, Any]] = []
    plans = [(f, p) for f in plan_files("bench", pages, seed) for p in f.pages][:pages]
    for n, (plan, page) in enumerate(plans, start=1):
        rendered = render_page(plan.dossier, page)
        shot = take_photo(rendered.image, np.random.default_rng([seed, n]))
        source = f"{plan.dossier.folder}/photo_{n:02d}.jpg"
        (out / "scans" / plan.dossier.folder).mkdir(parents=True, exist_ok=True)
        shot.image.save(out / "scans" / source, "JPEG", quality=95, dpi=(72, 72))  # as phones write
        records.append({"source": source, "page": 1, "text": rendered.text, "kind": page.kind,
                        "font": page.font, "photo": shot.settings,
                        "corners": shot.corners.round(1).tolist()})
    truth_file.write_text(json.dumps({"made": record, "pages": records}, ensure_ascii=False, indent=1) + "\n",
                          encoding="utf-8")
    return records


def _read(args: tuple[PageRef, PageOptions]) -> tuple[str, tuple[str, ...]]:
    result = run_page(*args)
    return result.text, result.clean.steps


def run_parvandeh(
    scans: Path, truth: list[dict[str, Any]], *, jobs: int, skip: tuple[str, ...] = ()
) -> tuple[list[str], list[tuple[str, ...]], float]:
    """The page task (what ingest runs per page) over the photos; texts, cleaning steps, seconds."""
    refs = [PageRef(str(scans / p["source"]), "", 1, "image", None) for p in truth]
    options = PageOptions(skip=skip)
    started = time.perf_counter()
    context = multiprocessing.get_context("forkserver")  # as pipeline.runner: no fork under threads
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=init_worker) as pool:
        out = list(pool.map(_read, [(ref, options) for ref in refs]))
    return [t for t, _ in out], [s for _, s in out], time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=24)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--set", type=Path, default=Path("bench/out/photo-set"))
    ap.add_argument("--skip-ocrmypdf", action="store_true")
    ap.add_argument("--ablation", action="store_true", help="parvandeh with the photograph stages off too")
    ap.add_argument("--each-stage", action="store_true", help="with --ablation: each stage off alone too")
    args = ap.parse_args()

    # Made in this process, the photographs would leave OpenCV's worker threads behind,
    # and a pool forked after that (the raw-Tesseract peer's) can hang on their locks.
    cv2.setNumThreads(0)
    truth = make_photo_set(args.set, pages=args.pages, seed=args.seed)
    scans = args.set / "scans"
    n = len(truth)
    print(f"set: {args.set} ({n} phone-like photographs of bench pages, seed {args.seed}), {args.jobs} processes")
    ours, steps, ours_s = run_parvandeh(scans, truth, jobs=args.jobs)
    ours_cer = [cer(p["text"], t) for p, t in zip(truth, ours, strict=True)]
    print(summarize("parvandeh", ours_cer, n, ours_s), flush=True)
    sheets = sum(any(s.startswith("sheet") for s in st) for st in steps)
    enlarged = sum(any(s.startswith("enlarge") for s in st) for st in steps)
    print(f"  photograph stages: sheet found on {sheets} of {n}, text enlarged on {enlarged}")
    if args.ablation:
        for name, skip in ABLATIONS if args.each_stage else ABLATIONS[:1]:
            texts, _, seconds = run_parvandeh(scans, truth, jobs=args.jobs, skip=skip)
            cers = [cer(p["text"], t) for p, t in zip(truth, texts, strict=True)]
            print(summarize(f"  {name}", cers, n, seconds), flush=True)
    raw, raw_s = run_raw_tesseract([(str(scans / p["source"]), 1) for p in truth], jobs=args.jobs)
    raw_cer = [cer(p["text"], t) for p, t in zip(truth, raw, strict=True)]
    print(summarize("raw tesseract", raw_cer, n, raw_s), flush=True)
    if not args.skip_ocrmypdf:
        omp, omp_s = run_ocrmypdf(scans, truth, jobs=args.jobs)
        omp_cer = [cer(p["text"], omp.get((p["source"], 1), "")) for p in truth]
        print(summarize("ocrmypdf", omp_cer, n, omp_s), flush=True)
    worst = sorted(range(n), key=lambda i: -ours_cer[i])[:5]
    print("worst parvandeh pages:")
    for i in worst:
        p = truth[i]
        photo = ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in p["photo"].items())
        print(f"  {ours_cer[i]:.3f} raw {raw_cer[i]:.3f}  {p['source']} {p['kind']} {p['font']}  {photo}")


if __name__ == "__main__":
    main()
