"""Baseline: parvandeh ingest vs raw Tesseract on the same generated pages.

    .venv/bin/python -m bench.ingest_baseline --pages 36 --jobs 2

Prints pages/minute and normalized CER (mean, median, worst) for both, and their ratios.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bench.common import cer, make_set, run_raw_tesseract, summarize, timed
from indexer.catalog import Catalog
from indexer.export import export_pages
from pipeline.ingest import ingest
from pipeline.options import IngestOptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=36)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--set", type=Path, default=Path("bench/out/baseline-set"), help="generated set (reused if present)")
    args = ap.parse_args()

    truth = make_set(args.set, pages=args.pages, seed=args.seed)
    pages = truth["pages"]
    scans = args.set / "scans"
    reference = {(p["source"], p["page"]): p["text"] for p in pages}

    work = Path(tempfile.mkdtemp(prefix="parvandeh-bench-"))
    try:
        options = IngestOptions(archive=work / "archive", jobs=args.jobs)
        _, ours_s = timed(lambda: ingest([scans], options))
        with Catalog.open(options.archive) as catalog:
            ours = {(r["source"], r["page"]): r["text"] for r in export_pages(catalog)}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    items = [(str(scans / p["source"]), p["page"]) for p in pages]
    raw_texts, raw_s = run_raw_tesseract(items, jobs=args.jobs)
    raw = {(p["source"], p["page"]): t for p, t in zip(pages, raw_texts, strict=True)}

    ours_cer = [cer(reference[k], ours.get(k, "")) for k in reference]
    raw_cer = [cer(reference[k], raw[k]) for k in reference]
    n = len(reference)
    print(f"set: {args.set} ({n} pages), {args.jobs} processes")
    print(summarize("parvandeh", ours_cer, n, ours_s))
    print(summarize("raw tesseract", raw_cer, n, raw_s))
    print(
        f"ratios (parvandeh / raw): speed {raw_s / ours_s:.2f}x, "
        f"mean CER {sum(ours_cer) / max(sum(raw_cer), 1e-9):.2f}x"
    )


if __name__ == "__main__":
    main()
