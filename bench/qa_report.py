"""QA report speed and size at scale: `parvandeh report` over 1,000 and 100,000 pages.

    .venv/bin/python -m bench.qa_report [--pages 1000 100000] [--seed 3]

The catalogs are built as bench/search_speed.py builds its own: the sample generator's
page texts and identifiers (bench/corpus.py, no drawing, no OCR) written through the
catalog's write path. They have **no page images and no word files**, so the detail pages
carry no image, boxes or thumbnails (their cost on a real archive is per detailed page,
bounded by `--details`, and is measured by the end-to-end test's archive, not here). Page
confidences, low-confidence word counts, invalid identifiers and failed pages are drawn
from a seeded generator so the report has weak pages, flags and failures to show.

The peer, in the same script on the same catalog: `export --format jsonl` to a file (the
other full read of every page). Targets: 100,000 pages in under a minute, and a first
page (index.html) small enough to open at once (well under 1 MB).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.search_speed import _sha, corpus, ledger, records
from indexer.catalog import Catalog
from indexer.export import export_pages
from qa.report import ReportOptions, build_report

OUT = Path("bench/out")


def build_catalog(path: Path, pages: int, seed: int) -> Path:
    """A catalog of ``pages`` synthetic pages with drawn confidences (cached in bench/out)."""
    if path.exists():
        return path
    made = corpus(pages, seed)
    rng = random.Random(f"qa-report:{seed}")
    tmp = path.with_suffix(".tmp")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    with Catalog(tmp) as catalog:
        ledger(catalog, made)
        batch = []
        for rec in records(made):
            conf = max(5.0, min(99.0, rng.betavariate(8, 1.6) * 100))
            words = max(20, len(rec.text.split()))
            ids = [dict(i) for i in rec.identifiers]
            if ids and rng.random() < 0.03:
                ids[0]["valid"] = False
                ids[0]["warning"] = "bench: drawn invalid"
            batch.append(replace(rec, confidence=round(conf, 1), words=words,
                                 weak_words=int(words * (100 - conf) / 150), identifiers=ids))
            if len(batch) == 1000:
                catalog.record_pages(batch, run_id=1)
                batch = []
        catalog.record_pages(batch, run_id=1)
        failed = rng.sample(made, max(1, pages // 500))
        for p in failed:
            catalog.db.execute(
                "UPDATE pages SET state = 'failed', error = 'bench: page timed out' WHERE sha256 = ? AND page = ?",
                (_sha(p.source), p.page),
            )
        for n in range(max(1, pages // 2000)):
            catalog.quarantine(path=f"/scans/broken/file_{n:04d}.pdf", sha256=None,
                               reason="cannot read: PDF is encrypted", run_id=1)  # fmt: skip
        catalog.merge_index(force=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    tmp.rename(path)
    return path


def open_in_browser(paths: list[Path]) -> list[tuple[str, float]]:
    """Milliseconds for headless Chromium (Debian's) to load each file from disk; empty
    when chromium or playwright is missing."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    if chromium is None:
        return []
    from tests.browser import CHROMIUM_ARGS

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        for path in paths:
            t = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            out.append((f"{path.parent.name}/{path.name}", (time.perf_counter() - t) * 1000))
        browser.close()
    return out


def run(pages: int, seed: int) -> None:
    catalog_path = OUT / f"qa-catalog-{pages}-{seed}" / "catalog.sqlite"
    catalog_path.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    build_catalog(catalog_path, pages, seed)
    built = time.perf_counter() - t
    archive = catalog_path.parent
    with tempfile.TemporaryDirectory(prefix="qa-report-") as tmp:
        out = Path(tmp) / "report"
        result = build_report(ReportOptions(archive=archive, output=out))
        again = build_report(ReportOptions(archive=archive, output=out))  # replacing a report
        seconds = min(result.seconds, again.seconds)
        t = time.perf_counter()
        sink = io.StringIO()
        with Catalog.open(archive) as catalog:
            for obj in export_pages(catalog):
                sink.write(json.dumps(obj, ensure_ascii=False) + "\n")
        export_s = time.perf_counter() - t
        lists = sorted((out / "list").glob("*.html"))
        biggest_list = max((p.stat().st_size for p in lists), default=0)
        csv_mb = (out / "pages.csv").stat().st_size / 1e6
        print(f"pages={pages:>7}  catalog built in {built:.1f} s (cached when 0)")
        print(f"  report: {seconds:.1f} s (first run {result.seconds:.1f} s, replacing it {again.seconds:.1f} s), "
              f"{result.files} files, {result.bytes / 1e6:.1f} MB; index.html {result.first_page_bytes / 1e3:.0f} KB; "
              f"{len(lists)} list pages, largest {biggest_list / 1e3:.0f} KB; pages.csv {csv_mb:.1f} MB; "
              f"{result.summary['detailed_pages']} detail pages (no images in this catalog)")
        print(f"  peer export --format jsonl: {export_s:.1f} s, {len(sink.getvalue().encode()) / 1e6:.1f} MB; "
              f"report/export time {seconds / export_s:.2f}x")
        opened = open_in_browser([out / "index.html", lists[-1] if lists else out / "index.html"])
        if opened:
            print("  chromium: " + ", ".join(f"{name} loaded in {ms:.0f} ms" for name, ms in opened))
        print(f"  target: 100,000 pages < 60 s: {'met' if pages < 100_000 or seconds < 60 else 'NOT met'}; "
              f"first page < 1 MB: {'met' if result.first_page_bytes < 1e6 else 'NOT met'}")
    shutil.rmtree(archive / "reports", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    for pages in args.pages:
        run(pages, args.seed)


if __name__ == "__main__":
    main()
