"""Archival export speed and size: pages/s per format, PDF bytes per page against the
original scans (and against OCRmyPDF's output for the same files), peak memory as the
archive grows.

    .venv/bin/python -m bench.export_speed [--archive DIR] [--replicate 20] [--runs 3] [--skip-ocrmypdf]

Without --archive the committed samples (10 pages, 6 files, PDF/JPEG/TIFF/PNG) are
ingested into a temporary archive first. Each export runs as `parvandeh export` in its
own process, into a fresh folder, `--runs` times (the median is printed), so its peak
RSS is its own. `--replicate K` then clones the catalog's page rows K times (the clones
point at the same stored images and word files) and runs the PDF and ALTO exports again:
pages/s and peak RSS at 1x and Kx pages show whether memory stays flat as pages grow.

The peer for size is OCRmyPDF 16+ (bench extra) on the same original files, OCR included
(`-l fas+eng`, its default PDF/A-2b output and optimization); it is skipped when it is
not installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("pdf", "pdf --original", "hocr", "alto", "bagit", "parcels")


def _parvandeh() -> list[str]:
    exe = Path(sys.executable).with_name("parvandeh")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cli"]


def _ingest_samples(work: Path) -> Path:
    archive = work / "archive"
    subprocess.run([*_parvandeh(), "ingest", str(ROOT / "samples" / "scans"), "--archive", str(archive),
                    "--jobs", "2", "-q"], check=True)
    return archive


def _pages(archive: Path) -> int:
    db = sqlite3.connect(archive / "catalog.sqlite")
    try:
        return int(db.execute("SELECT count(*) FROM pages WHERE state = 'done'").fetchone()[0])
    finally:
        db.close()


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))


def export_once(archive: Path, fmt: str, out: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one `parvandeh export` in its own process."""
    name, *flags = fmt.split()
    target = out / "parcels.csv" if name == "parcels" else out
    started = time.perf_counter()
    proc = subprocess.Popen([*_parvandeh(), "export", "--archive", str(archive), "--format", name,
                             "-o", str(target), "-q", *flags], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, _, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if proc.returncode not in (None, 0) or not target.exists():
        raise SystemExit(f"export {fmt} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return seconds, int(usage.ru_maxrss)


def timed(archive: Path, fmt: str, work: Path, runs: int) -> tuple[float, int, int]:
    """Median seconds, largest peak RSS and output bytes over ``runs`` fresh exports."""
    times, peaks, size = [], [], 0
    for n in range(runs):
        out = work / f"out-{fmt.replace(' ', '')}-{n}"
        shutil.rmtree(out, ignore_errors=True)
        seconds, peak = export_once(archive, fmt, out)
        times.append(seconds)
        peaks.append(peak)
        size = _size(out / "parcels.csv" if fmt == "parcels" else out)
    return statistics.median(times), max(peaks), size


def originals(archive: Path) -> list[Path]:
    db = sqlite3.connect(archive / "catalog.sqlite")
    try:
        return [Path(p) for (p,) in db.execute("SELECT first_path FROM sources ORDER BY first_path")]
    finally:
        db.close()


def ocrmypdf_size(files: list[Path], work: Path) -> tuple[int, float, list[str]]:
    """Bytes and seconds of OCRmyPDF's output for these files (OCR included), and failures."""
    exe = Path(sys.executable).with_name("ocrmypdf")
    if not exe.exists():
        return 0, 0.0, ["ocrmypdf not installed (scripts/setup.sh --bench)"]
    total, failed = 0, []
    started = time.perf_counter()
    for i, src in enumerate(files):
        out = work / f"ocrmypdf-{i}.pdf"
        args = [str(exe), "-q", "-l", "fas+eng", "--jobs", "2", "--rotate-pages", "--deskew"]
        if src.suffix.lower() != ".pdf":
            args += ["--image-dpi", "300"]
        done = subprocess.run([*args, str(src), str(out)], capture_output=True, text=True, timeout=600,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        if done.returncode != 0 or not out.exists():
            failed.append(f"{src.name}: exit {done.returncode} {done.stderr.strip().splitlines()[-1:] or ''}")
            continue
        total += out.stat().st_size
    return total, time.perf_counter() - started, failed


def replicate(archive: Path, times: int, work: Path) -> Path:
    """A copy of the archive whose catalog holds every done page ``times`` times (clones
    under new source hashes and dossiers, pointing at the same stored files)."""
    clone = work / f"archive-x{times}"
    shutil.rmtree(clone, ignore_errors=True)
    clone.mkdir(parents=True)
    shutil.copy2(archive / "catalog.sqlite", clone / "catalog.sqlite")
    (clone / "pages").symlink_to((archive / "pages").resolve())
    db = sqlite3.connect(clone / "catalog.sqlite")
    with db:
        sources = db.execute("SELECT * FROM sources").fetchall()
        cols_s = [d[0] for d in db.execute("SELECT * FROM sources LIMIT 0").description]
        cols_p = [d[0] for d in db.execute("SELECT * FROM pages LIMIT 0").description if d[0] != "id"]
        cols_a = [d[0] for d in db.execute("SELECT * FROM paths LIMIT 0").description]
        for k in range(1, times):
            for row in sources:
                src = dict(zip(cols_s, row, strict=True))
                sha = hashlib.sha256(f"{src['sha256']}:{k}".encode()).hexdigest()
                first_path = f"{src['first_path']}#{k}"
                db.execute(f"INSERT INTO sources ({','.join(cols_s)}) VALUES ({','.join('?' * len(cols_s))})",
                           [sha if c == "sha256" else first_path if c == "first_path" else src[c] for c in cols_s])
                for prow in db.execute(f"SELECT {','.join(cols_p)} FROM pages WHERE sha256 = ?", (src["sha256"],)).fetchall():
                    page = dict(zip(cols_p, prow, strict=True))
                    page["sha256"] = sha
                    db.execute(f"INSERT INTO pages ({','.join(cols_p)}) VALUES ({','.join('?' * len(cols_p))})",
                               [page[c] for c in cols_p])
                path = dict(zip(cols_a, db.execute("SELECT * FROM paths WHERE path = ?", (src["first_path"],)).fetchone(),
                                strict=True))
                path.update(path=first_path, sha256=sha, dossier=f"{path['dossier']}-r{k}",
                            display=f"{path['dossier']}-r{k}/{Path(path['display']).name}")
                db.execute(f"INSERT INTO paths ({','.join(cols_a)}) VALUES ({','.join('?' * len(cols_a))})",
                           [path[c] for c in cols_a])
    db.close()
    return clone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, help="an ingested archive (default: ingest the samples)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--replicate", type=int, default=20, help="clone the pages this many times for the memory check")
    parser.add_argument("--skip-ocrmypdf", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        work = Path(tmp)
        archive = args.archive or _ingest_samples(work)
        pages = _pages(archive)
        scans = originals(archive)
        scan_bytes = sum(p.stat().st_size for p in scans if p.exists())
        print(f"archive: {pages} pages in {len(scans)} files, originals {scan_bytes / 1e6:.2f} MB "
              f"({scan_bytes / pages / 1e3:.0f} KB/page)")
        sizes: dict[str, int] = {}
        for fmt in FORMATS:
            seconds, peak, size = timed(archive, fmt, work, args.runs)
            sizes[fmt] = size
            print(f"export {fmt:<15} {pages / seconds:7.1f} pages/s  (median of {args.runs}: {seconds:.2f} s, "
                  f"process start included)  peak RSS {peak / 1024:.0f} MB  output {size / 1e6:.2f} MB")
        for fmt in ("pdf", "pdf --original"):
            print(f"{fmt:<15} {sizes[fmt] / pages / 1e3:6.0f} KB/page = {sizes[fmt] / scan_bytes:.2f} x the original scans")
        if not args.skip_ocrmypdf:
            size, seconds, failed = ocrmypdf_size(scans, work)
            if size:
                done = len(scans) - len(failed)
                print(f"ocrmypdf        {size / 1e6:.2f} MB for {done} of {len(scans)} files (OCR included, {seconds:.0f} s); "
                      f"parvandeh pdf = {sizes['pdf'] / size:.2f} x, pdf --original = {sizes['pdf --original'] / size:.2f} x"
                      + (" (sizes over all files; see failures)" if failed else ""))
            for line in failed:
                print(f"ocrmypdf failed: {line}")
        if args.replicate > 1:
            big = replicate(archive, args.replicate, work)
            big_pages = _pages(big)
            for fmt in ("pdf", "alto", "parcels"):
                small_s, small_peak, _ = timed(archive, fmt, work, 1)
                big_s, big_peak, _ = timed(big, fmt, work, 1)
                print(f"memory {fmt:<8} {pages} pages: {pages / small_s:6.1f} pages/s, peak {small_peak / 1024:.0f} MB; "
                      f"{big_pages} pages: {big_pages / big_s:6.1f} pages/s, peak {big_peak / 1024:.0f} MB "
                      f"({big_peak / small_peak:.2f} x the memory for {big_pages / pages:.0f} x the pages)")


if __name__ == "__main__":
    main()
