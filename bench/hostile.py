"""Damaged files: does an ingest of the hostile set (samples/hostile.py) end, within its
limits, having read, repaired or quarantined every file?

`parvandeh ingest` runs in a subprocess under a wall-clock guard; the peak memory is the
sum of the resident sizes of its whole process tree (the coordinator, pool workers,
pdftoppm, tesseract, the repair child), sampled with psutil. Peers on the same files:
how many the raw readers open (poppler's `pdftoppm` on the first page, Pillow decoding
every frame), and OCRmyPDF's outcome on the PDFs when `--ocrmypdf` is given.

    .venv/bin/python -m bench.hostile [--jobs 2] [--guard 600] [--ocrmypdf]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from samples import hostile

ROOT = Path(__file__).resolve().parent.parent


def run_guarded(cmd: list[str], guard: float) -> tuple[int | None, float, int]:
    """Run `cmd`; (exit code or None when the guard killed it, seconds, peak tree RSS bytes)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    parent = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        if time.monotonic() - started > guard:
            for child in parent.children(recursive=True):
                child.kill()
            proc.kill()
            proc.wait()
            return None, time.monotonic() - started, peak
        total = 0
        with contextlib.suppress(psutil.Error):
            for p in [parent, *parent.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
        peak = max(peak, total)
        time.sleep(0.05)
    return proc.returncode, time.monotonic() - started, peak


def outcomes(archive: Path) -> dict[str, str]:
    """File name → read | partial | failed | quarantined (and '+repaired'), hostile files only."""
    out: dict[str, str] = {}
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        for (path,) in db.execute("SELECT path FROM quarantine"):
            out[Path(path).name] = "quarantined"
        rows = db.execute(
            """SELECT pa.path, group_concat(p.state), (SELECT count(*) FROM repairs r WHERE r.sha256 = pa.sha256)
               FROM paths pa JOIN pages p USING (sha256) WHERE pa.dossier = 'hostile' GROUP BY pa.path"""
        )
        for path, states, repaired in rows:
            s = states.split(",")
            kind = "read" if all(x == "done" for x in s) else "failed" if "done" not in s else "partial"
            out[Path(path).name] = kind + ("+repaired" if repaired else "")
    return out


def _good_pages(archive: Path) -> set[tuple[str, int, str, str]]:
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        return set(db.execute(
            """SELECT p.sha256, p.page, p.text, p.updated FROM pages p JOIN paths pa USING (sha256)
               WHERE pa.dossier = 'dossier-good' AND p.state = 'done'"""
        ))


def peer_opens(path: Path, timeout: float = 60) -> bool:
    """Whether the raw reader opens the file: pdftoppm's first page, or Pillow every frame."""
    if path.suffix == ".pdf":
        try:  # with no output root, pdftoppm writes the page to stdout
            done = subprocess.run(["pdftoppm", "-r", "72", "-f", "1", "-l", "1", "-gray", str(path)],
                                  capture_output=True, timeout=timeout)
            return done.returncode == 0 and len(done.stdout) > 0
        except subprocess.TimeoutExpired:
            return False
    code = ("import sys\nfrom PIL import Image, ImageSequence\n"
            "with Image.open(sys.argv[1]) as im:\n    [f.load() for f in ImageSequence.Iterator(im)]\n")
    try:
        return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=timeout).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def ocrmypdf_outcome(path: Path, out: Path, guard: float) -> tuple[str, int]:
    """OCRmyPDF on one file as its user would run it: ('ok' | 'refused' | 'hang', peak tree RSS)."""
    cmd = [sys.executable, "-m", "ocrmypdf", "-l", "fas+eng", "--jobs", "1", "--force-ocr",
           str(path), str(out / f"{path.stem}.out.pdf")]  # its default output, PDF/A
    code, _, peak = run_guarded(cmd, guard)
    return ("hang" if code is None else "ok" if code == 0 else "refused"), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--guard", type=float, default=600, help="Wall-clock seconds before the ingest counts as hung.")
    parser.add_argument("--memory-limit", type=int, default=2048, help="MB, passed to ingest --memory-limit.")
    parser.add_argument("--ocrmypdf", action="store_true", help="Also run OCRmyPDF on each PDF (slow).")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="parvandeh-hostile-"))
    try:
        folder = work / "in" / "hostile"
        items = hostile.write_corpus(folder)
        archive = work / "archive"
        good = work / "good" / "dossier-good"
        hostile.write_good(good)
        ingest = [sys.executable, str(ROOT / "cli.py"), "ingest", "--archive", str(archive), "-q",
                  "-j", str(args.jobs), "--memory-limit", str(args.memory_limit)]
        run_guarded([*ingest, str(good.parent)], args.guard)  # an archive that already holds good pages
        kept_before = _good_pages(archive)
        code, seconds, peak = run_guarded([*ingest, str(folder.parent)], args.guard)
        kept_after = _good_pages(archive)
        got = outcomes(archive) if (archive / "catalog.sqlite").exists() else {}
        hangs = 1 if code is None else 0
        crashes = 0 if code in (0, 3, None) else 1
        with sqlite3.connect(archive / "catalog.sqlite") as db:
            crashes += db.execute("SELECT count(*) FROM pages WHERE error LIKE '%crashed the process%'").fetchone()[0]
            pages_done = db.execute(
                "SELECT count(*) FROM pages p JOIN paths pa USING (sha256) WHERE pa.dossier = 'hostile' "
                "AND p.state = 'done'"
            ).fetchone()[0]
        read = sum(1 for v in got.values() if v.startswith(("read", "partial")))
        repaired = sum(1 for v in got.values() if v.endswith("+repaired"))
        quarantined = sum(1 for v in got.values() if v == "quarantined")
        failed = sum(1 for v in got.values() if v.startswith("failed"))
        unaccounted = len(items) - len(got)

        peer_started = time.monotonic()
        opens = {h.name: peer_opens(folder / h.name) for h in items}
        peer = sum(opens.values())
        peer_seconds = time.monotonic() - peer_started
        print(f"files: {len(items)}  ({len(set(h.data for h in items))} distinct)")
        print(f"read: {read} files ({sum(1 for v in got.values() if v.startswith('partial'))} of them partly), "
              f"{pages_done} pages OCR'd")
        print(f"repaired: {repaired}")
        print(f"quarantined: {quarantined}  (and {failed} whose every page failed, with a reason)")
        print(f"unaccounted: {unaccounted}")
        print(f"hangs: {hangs}")
        print(f"crashes: {crashes}  (ingest exit code {code})")
        print(f"peak memory: {peak / 2**20:.0f} MB  (ingest process tree, --memory-limit {args.memory_limit} MB "
              f"per page-reading process, --jobs {args.jobs})")
        print(f"time: {seconds:.1f} s")
        same = sum(1 for row in kept_before if row in kept_after)
        print(f"good pages ingested before, still there unchanged: {same} of {len(kept_before)}")
        print(f"peer: raw pdftoppm/Pillow open {peer} of {len(items)} files ({peer_seconds:.1f} s, no OCR); "
              f"parvandeh reads {read}: {read / max(peer, 1):.2f}x")
        theirs: dict[str, str] = {}
        if args.ocrmypdf:
            pdfs = [folder / h.name for h in items if h.name.endswith(".pdf")]
            out = work / "ocrmypdf"
            out.mkdir()
            started = time.monotonic()
            peaks = []
            for p in pdfs:
                theirs[p.name], top = ocrmypdf_outcome(p, out, args.guard)
                peaks.append(top)
            results = list(theirs.values())
            ours = sum(1 for p in pdfs if got.get(p.name, "").startswith(("read", "partial")))
            print(f"peer: ocrmypdf on the {len(pdfs)} PDFs: {results.count('ok')} ok, {results.count('refused')} "
                  f"refused, {results.count('hang')} hung, peak {max(peaks) / 2**20:.0f} MB, "
                  f"{time.monotonic() - started:.0f} s one file at a time; parvandeh reads {ours}: "
                  f"{ours / max(results.count('ok'), 1):.2f}x")
        print()
        print(f"{'file':<26} {'parvandeh':<20} {'raw open':<9} {'ocrmypdf':<9} damage")
        for h in items:
            print(f"{h.name:<26} {got.get(h.name, '-'):<20} {'yes' if opens[h.name] else 'no':<9} "
                  f"{theirs.get(h.name, ''):<9} {h.what}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
