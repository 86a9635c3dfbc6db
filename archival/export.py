"""The streaming export driver: every format, one source file (or dossier) at a time.

Bounded memory: the catalog is read with a cursor and only one source file's pages (one
dossier's for a bag) are held at a time. Resumable: each output is written under a
temporary name and renamed when whole, and a ledger in the output folder
(``.parvandeh-export-FORMAT.tsv``) records what each finished output was made from, so a
re-run skips outputs that are complete and unchanged and redoes only the rest.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import Any, TextIO

from archival import alto, hocr, parcels
from archival.pages import pdf_pages, stored_page
from archival.pdf import write_pdf
from archival.provenance import cleaning_summary, engine, provenance
from archival.source import (
    PageRow,
    SourceFile,
    count_pages,
    identifiers_of,
    reader,
    run_options,
    source_files,
)
from pipeline.errors import OptionsError
from pipeline.store import atomic_path, temporary_name, write_atomic

FORMATS = ("pdf", "hocr", "alto", "bagit", "parcels")
LEDGER = ".parvandeh-export-{fmt}.tsv"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("parvandeh")
    except PackageNotFoundError:
        return "0"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# -- progress ---------------------------------------------------------------------------


class Progress:
    """Pages exported, as a rich bar on a terminal; nothing when not a terminal or with -q
    (the command prints its one-line summary either way)."""

    def __init__(self, label: str, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.quiet = quiet or not self.stream.isatty()
        self.bar: Any = None

    def start(self, total: int) -> None:
        if self.quiet:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self.bar = Bar(TextColumn(f"[bold]export {self.label}[/]"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("pages"), TimeRemainingColumn(), console=Console(file=self.stream))
        self.task = self.bar.add_task(self.label, total=total)
        self.bar.start()

    def advance(self, pages: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=pages)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


# -- resumable outputs --------------------------------------------------------------------


class Ledger:
    """What each finished output of a folder was made from (one line per output)."""

    def __init__(self, folder: Path, fmt: str) -> None:
        self.path = folder / LEDGER.format(fmt=fmt)
        self.done: dict[str, str] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                name, _, fingerprint = line.partition("\t")
                if name:
                    self.done[name] = fingerprint
        self.folder = folder

    def complete(self, name: str, fingerprint: str) -> bool:
        return self.done.get(name) == fingerprint and (self.folder / name).exists()

    def record(self, name: str, fingerprint: str) -> None:
        self.done[name] = fingerprint
        with self.path.open("a", encoding="utf-8") as f:
            f.write(f"{name}\t{fingerprint}\n")
            f.flush()
            os.fsync(f.fileno())


@dataclass
class Summary:
    fmt: str
    written: int = 0
    skipped: int = 0
    pages: int = 0
    bytes: int = 0
    seconds: float = 0.0
    unit: str = "pages"

    def line(self) -> str:
        return (f"{self.fmt}: {self.written} written, {self.skipped} unchanged and skipped, "
                f"{self.pages} {self.unit}, {self.bytes / 1e6:.1f} MB, {self.seconds:.1f} s")


# -- per-file writers -----------------------------------------------------------------------


def pdf_name(src: SourceFile) -> str:
    """``x.pdf`` stays ``x.pdf``; ``x.tif`` becomes ``x.tif.pdf`` (never two sources on one name)."""
    name = src.out_name()
    return str(name) if name.suffix.lower() == ".pdf" else str(src.out_name(".pdf"))


def write_source_pdf(archive: Path, src: SourceFile, out: Path, *, original: bool) -> int:
    with ExitStack() as stack, atomic_path(out) as tmp:
        pages = pdf_pages(archive, src, original=original, stack=stack)
        write_pdf(pages, tmp, title=f"{src.dossier}: {src.display}")
    return out.stat().st_size


def alto_documents(archive: Path, src: SourceFile, *, image_names: Callable[[PageRow], str] | None = None,
                   ) -> Iterator[tuple[int, bytes]]:
    """(page number, ALTO bytes) for each finished page of the file."""
    created = _now()
    version = _version()
    tess = engine().version
    for row in src.pages:
        page = stored_page(archive, row)
        name = image_names(row) if image_names else (row.image or "")
        yield row.page, alto.alto_page(
            page.blocks, page_id=f"p{row.page}", page_number=row.page, width=page.width, height=page.height,
            image_name=name, sha256=src.sha256, confidence=row.confidence, cleaning=cleaning_summary(row),
            created=created, software_version=version, ocr_engine=tess,
        )


def hocr_document(archive: Path, src: SourceFile) -> bytes:
    pages = []
    for row in src.pages:
        page = stored_page(archive, row)
        pages.append(hocr.hocr_page(page.blocks, number=row.page, image=row.image or "", width=page.width,
                                    height=page.height, dpi=row.dpi, rotation=row.rotation, skew=row.skew))
    return hocr.hocr_document(pages, title=src.display, engine=engine().version).encode("utf-8")


# -- the formats -------------------------------------------------------------------------


def _per_source(archive: Path, out: Path, fmt: str, progress: Progress, write: Callable[[SourceFile], tuple[str, int]],
                name_of: Callable[[SourceFile], str], salt: str = "") -> Summary:
    summary = Summary(fmt)
    out.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(out, fmt)
    db = reader(archive)
    try:
        progress.start(count_pages(db))
        for src in source_files(db):
            name = name_of(src)
            fingerprint = f"{salt}{src.fingerprint}"
            if ledger.complete(name, fingerprint):
                summary.skipped += 1
            else:
                written_name, size = write(src)
                ledger.record(written_name, fingerprint)
                summary.written += 1
                summary.bytes += size
            summary.pages += len(src.pages)
            progress.advance(len(src.pages))
    finally:
        progress.stop()
        db.close()
    return summary


def export_pdf(archive: Path, out: Path, *, original: bool = False, progress: Progress) -> Summary:
    def write(src: SourceFile) -> tuple[str, int]:
        name = pdf_name(src)
        return name, write_source_pdf(archive, src, out / name, original=original)

    return _per_source(archive, out, "pdf", progress, write, pdf_name, salt=f"original={original}|")


def export_hocr(archive: Path, out: Path, *, progress: Progress) -> Summary:
    def name_of(src: SourceFile) -> str:
        return str(src.out_name(".hocr"))

    def write(src: SourceFile) -> tuple[str, int]:
        data = hocr_document(archive, src)
        write_atomic(out / name_of(src), data)
        return name_of(src), len(data)

    return _per_source(archive, out, "hocr", progress, write, name_of)


def export_alto(archive: Path, out: Path, *, progress: Progress) -> Summary:
    """One ALTO file per page, ``<source>.p0001.alto.xml``; a file's pages are one unit of resume."""

    def name_of(src: SourceFile) -> str:  # the file's first page stands for it in the ledger
        return str(src.out_name(f".p{src.pages[0].page:04d}.alto.xml"))

    def write(src: SourceFile) -> tuple[str, int]:
        size = 0
        for number, data in alto_documents(archive, src):
            write_atomic(out / src.out_name(f".p{number:04d}.alto.xml"), data)
            size += len(data)
        return name_of(src), size

    return _per_source(archive, out, "alto", progress, write, name_of)


def export_parcels(archive: Path, out: Path, *, progress: Progress) -> Summary:
    """The parcel table as CSV, or as GeoJSON when ``out`` ends in .geojson or .json."""
    started = time.perf_counter()
    db = reader(archive)
    try:
        progress.start(0)
        rows = parcels.parcel_rows(db)
    finally:
        progress.stop()
        db.close()
    geo = out.suffix.lower() in (".geojson", ".json")
    data = (parcels.to_geojson(rows) if geo else parcels.to_csv(rows)).encode("utf-8")
    write_atomic(out, data)
    return Summary("parcels", written=1, pages=len(rows), bytes=len(data), seconds=time.perf_counter() - started,
                   unit="parcels")


def identifiers_csv(db: Any, src: SourceFile) -> list[list[Any]]:
    ids = identifiers_of(db, [p.id for p in src.pages])
    rows = []
    for p in src.pages:
        for i in ids.get(p.id, []):
            rows.append([src.display, p.page, i["kind"], i["text"], i["canonical"], i["section"] or "",
                         i["jalali"] or "", "" if i["confidence"] is None else i["confidence"],
                         "yes" if i["valid"] else "no", i["corrected_from"] or ""])
    return rows


IDENTIFIER_COLUMNS = ["source", "page", "kind", "written", "canonical", "section", "jalali", "confidence",
                      "valid", "corrected_from"]


def export_bagit(archive: Path, out: Path, *, progress: Progress) -> Summary:
    """One BagIt bag per dossier (``out/<dossier>``): originals, searchable PDFs, ALTO, page
    texts, identifiers.csv and a provenance JSON per file, with SHA-256 manifests."""
    import bagit

    summary = Summary("bagit")
    out.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(out, "bagit")
    db = reader(archive)
    try:
        progress.start(count_pages(db))
        # one cursor, ordered by dossier: a dossier's files are held while its bag is made
        for dossier, group in groupby(source_files(db), key=lambda src: src.dossier):
            started_pages = summary.pages
            sources = list(group)
            pages = sum(len(s.pages) for s in sources)
            name = _safe(dossier) or "no-dossier"
            fingerprint = "|".join(s.fingerprint for s in sources)
            if ledger.complete(name, fingerprint):
                summary.skipped += 1
            else:
                target = out / name
                tmp, old = temporary_name(target), target.with_name(f".{name}.old")
                for stale in (tmp, old):
                    if stale.exists():
                        shutil.rmtree(stale)
                try:
                    summary.bytes += _fill_bag(archive, db, tmp, sources)
                    bag = bagit.make_bag(str(tmp), _bag_info(dossier, sources), processes=1, checksums=["sha256"])
                    bag.validate(fast=True)
                    if target.exists():
                        os.replace(target, old)
                    os.replace(tmp, target)
                finally:
                    for stale in (tmp, old):
                        if stale.exists():
                            shutil.rmtree(stale)
                ledger.record(name, fingerprint)
                summary.written += 1
            summary.pages = started_pages + pages
            progress.advance(pages)
    finally:
        progress.stop()
        db.close()
    return summary


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_.۰۱۲۳۴۵۶۷۸۹" else "_" for ch in name).strip("._")


def _bag_info(dossier: str, sources: list[SourceFile]) -> dict[str, str]:
    return {
        "Source-Organization": "Municipality planning archive (parvandeh)",
        "External-Identifier": dossier,
        "External-Description": f"Planning dossier {dossier}: {len(sources)} scanned file(s), "
                                f"{sum(len(s.pages) for s in sources)} page(s) with OCR",
        "Bag-Software-Agent": f"parvandeh {_version()} (bagit)",
    }


def _bag_image(stem: str, row: PageRow) -> str:
    """Where a page's cleaned image goes in a bag (what its ALTO's fileName names)."""
    return f"images/{stem}.p{row.page:04d}{Path(row.image or '.img').suffix}"


def _fill_bag(archive: Path, db: Any, folder: Path, sources: list[SourceFile]) -> int:
    """The bag's payload before bagging (make_bag moves it into data/)."""
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    exported = _now()
    ids: list[list[Any]] = []
    for src in sources:
        name = src.out_name().name
        stem = f"{name}"
        original = Path(src.path)
        if original.is_file():
            (folder / "originals").mkdir(exist_ok=True)
            shutil.copy2(original, folder / "originals" / name)
        size += write_source_pdf(archive, src, folder / "pdf" / (name if name.lower().endswith(".pdf") else name + ".pdf"),
                                 original=False)
        for number, data in alto_documents(archive, src, image_names=partial(_bag_image, stem)):
            write_atomic(folder / "alto" / f"{stem}.p{number:04d}.alto.xml", data)
            size += len(data)
        for row in src.pages:
            text = (row.text or "") + "\n"
            write_atomic(folder / "text" / f"{stem}.p{row.page:04d}.txt", text.encode("utf-8"))
            if row.image and (archive / row.image).is_file():
                image = archive / row.image
                target = folder / _bag_image(stem, row)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(image, target)
        record = provenance(src, run_options(db, src.pages[0].run_id), exported=exported)
        write_atomic(folder / "provenance" / f"{stem}.json",
                     json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
        ids.extend(identifiers_csv(db, src))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(IDENTIFIER_COLUMNS)
    writer.writerows(ids)
    write_atomic(folder / "identifiers.csv", buf.getvalue().encode("utf-8"))
    return size


def export(archive: Path, fmt: str, out: Path, *, original: bool = False, quiet: bool = False,
           stream: TextIO | None = None) -> Summary:
    """Run one export; the boundary for the CLI."""
    if fmt not in FORMATS:
        raise OptionsError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    if original and fmt != "pdf":
        raise OptionsError("--original applies to --format pdf only")
    progress = Progress(fmt, quiet=quiet, stream=stream)
    started = time.perf_counter()
    if fmt == "pdf":
        summary = export_pdf(archive, out, original=original, progress=progress)
    elif fmt == "hocr":
        summary = export_hocr(archive, out, progress=progress)
    elif fmt == "alto":
        summary = export_alto(archive, out, progress=progress)
    elif fmt == "bagit":
        summary = export_bagit(archive, out, progress=progress)
    else:
        summary = export_parcels(archive, out, progress=progress)
    summary.seconds = time.perf_counter() - started
    return summary
