"""`parvandeh report`: a static HTML confidence report and pages.csv, opened from disk.

Everything is plain files under one folder, so the report opens from `file://` with no
server and can be copied or zipped whole: the font and style sheet are copied beside it,
images and thumbnails are files in it, and lists of any length are split into numbered
HTML pages with links (a browser cannot fetch JSON from `file://`). Only the weak pages
get a page of their own with the cleaned image (copied as the archive stores it) and
their low-confidence words and identifiers boxed over it; lists show small JPEG
thumbnails made with Pillow.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from PIL import Image

import assets
from indexer.catalog import Catalog
from indexer.corrections import corrections_for, reviews_for
from indexer.dates import iso_to_jalali
from pipeline.store import read_words
from pipeline.task import WEAK_WORD
from qa.data import (
    CSV_COLUMNS,
    DEFAULT_THRESHOLD,
    Filters,
    PageRow,
    groups_by,
    load_identifiers,
    load_pages,
    summary,
)

MARKER = ".parvandeh-report"
#: Rows per list page: about 60 KB of HTML, so each opens at once.
PER_PAGE = 100
#: Rows of each list shown on the first page.
FIRST_PAGE_ROWS = 20
#: Weak pages given a page of their own (image, boxes, text), riskiest first. Each costs
#: a thumbnail and an image copy; the rest of the weak pages are listed all the same.
DEFAULT_DETAILS = 500
THUMB_SIZE = (120, 170)


class ReportError(ValueError):
    """The output folder cannot take a report (it holds other files)."""


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What `parvandeh report` was asked for (one name per option, as on the CLI)."""

    archive: Path
    output: Path
    dossier: str | None = None
    since: int | None = None
    below: float | None = None
    details: int = DEFAULT_DETAILS

    @property
    def threshold(self) -> float:
        return DEFAULT_THRESHOLD if self.below is None else self.below


@dataclass(frozen=True, slots=True)
class ReportResult:
    output: Path
    summary: dict[str, Any]
    files: int
    bytes: int
    seconds: float
    first_page_bytes: int


def _env() -> Environment:
    env = Environment(loader=PackageLoader("qa", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.filters["conf"] = lambda v: "–" if v is None else f"{v:.1f}"
    env.filters["jalali"] = lambda v: iso_to_jalali(v) or ""
    env.globals["page_rows"] = page_rows
    return env


def risk_key(row: PageRow) -> tuple[bool, bool, float]:
    """The review queue's order (qa/queue.py): OCR changed under a correction, flagged
    identifiers, then lowest confidence."""
    return (row.review != "needs_review", not row.flagged, row.confidence or 0.0)


def build_report(options: ReportOptions, *, progress: Callable[[str], None] | None = None) -> ReportResult:
    """Write the report for ``options`` and return its summary and size."""
    start = time.perf_counter()
    out = _prepare(options.output)
    threshold = options.threshold
    with Catalog.open(options.archive) as catalog:
        rows = load_pages(catalog, Filters(options.dossier, options.since))
        quarantined = [dict(r) for r in catalog.quarantine_list()
                       if options.since is None or (r["run_id"] or 0) >= options.since]  # fmt: skip
        done = [r for r in rows if r.state == "done"]
        weak = [r for r in done if r.weak(threshold)]
        listed = weak if options.below is not None else rows
        by_conf = sorted((r for r in listed if r.state == "done"), key=lambda r: (r.confidence or 0.0, r.source, r.page))
        by_conf += [r for r in listed if r.state != "done"]
        weakest = sorted(done, key=lambda r: (r.confidence or 0.0, r.source, r.page))[:FIRST_PAGE_ROWS]
        detailed = {r.id: r for r in weakest}  # the weakest always open, weak or not
        for r in sorted(weak, key=risk_key):
            if len(detailed) >= options.details:
                break
            detailed.setdefault(r.id, r)
        load_identifiers(catalog, list(detailed.values()))
        reviews = reviews_for(catalog, list(detailed))
        corrections = corrections_for(catalog, list(reviews))
        texts = _texts(catalog, list(detailed))
    info = summary(rows, threshold)
    info.update(
        archive=str(options.archive), dossier=options.dossier, since=options.since,
        quarantined=[{"path": q["path"], "reason": q["reason"]} for q in quarantined],
        failed_pages=[{"source": r.source, "page": r.page, "error": r.error} for r in rows if r.state == "failed"],
        by_dossier=[g.to_dict() for g in groups_by(rows, "dossier", threshold)],
        by_kind=[g.to_dict() for g in groups_by(rows, "kind", threshold)],
        detailed_pages=len(detailed), generated=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )  # fmt: skip
    env = _env()
    writer = _Writer(out, env, threshold)
    if progress:
        progress(f"{len(rows)} pages, {len(weak)} weak, {len(detailed)} with a page of their own")
    for row in detailed.values():
        writer.detail(options.archive, row, texts.get(row.id, ""), reviews.get(row.id), corrections.get(row.id, []))
    list_pages = writer.paged("list", by_conf, "list.html", title="Pages, weakest first")
    dossier_pages = writer.paged("dossiers", info["by_dossier"], "dossiers.html", title="Dossiers, weakest first")
    quarantine_pages = writer.paged("quarantine", info["quarantined"], "quarantine.html", title="Quarantined files")
    failed_pages = writer.paged("failed", info["failed_pages"], "failed.html", title="Failed pages")
    writer.write("index.html", env.get_template("index.html").render(
        root="", s=info, weakest=[writer.view(r) for r in weakest], threshold=threshold,
        histogram=histogram_svg(info["histogram"]["counts"], threshold),
        dossiers=info["by_dossier"][:FIRST_PAGE_ROWS], kinds=info["by_kind"],
        quarantined=info["quarantined"][:FIRST_PAGE_ROWS], failed=info["failed_pages"][:FIRST_PAGE_ROWS],
        list_pages=list_pages, dossier_pages=dossier_pages, quarantine_pages=quarantine_pages,
        failed_pages=failed_pages, listed=len(by_conf), below=options.below,
    ))  # fmt: skip
    _write_csv(out / "pages.csv", sorted(listed, key=lambda r: (r.source, r.page)))
    (out / "summary.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    files, size = _size(out)
    return ReportResult(out, info, files, size, time.perf_counter() - start, (out / "index.html").stat().st_size)


def _prepare(out: Path) -> Path:
    """An empty folder, or one holding an earlier report (replaced); never other files."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()) and not (out / MARKER).exists():
        raise ReportError(f"{out} holds other files; give an empty or new folder for the report")
    for sub in ("list", "dossiers", "quarantine", "failed", "page"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / MARKER).write_text("a parvandeh QA report; `parvandeh report` replaces this folder's report\n")
    static = out / "static"
    static.mkdir(exist_ok=True)
    for path in (*assets.webfonts().values(), assets.FONTS / "OFL.txt"):
        shutil.copyfile(path, static / path.name)
    css = (Path(__file__).parent / "static" / "report.css").read_text(encoding="utf-8")
    (static / "report.css").write_text(css, encoding="utf-8")
    return out


def _write_csv(path: Path, rows: Sequence[PageRow]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        w.writerows(r.csv_row() for r in rows)


def _size(out: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _dirs, names in os.walk(out):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, name))
    return files, size


def histogram_svg(counts: Sequence[int], threshold: float, *, width: int = 640, height: int = 220) -> Markup:
    """Page confidence drawn as bars (inline SVG, no script), the threshold as a line."""
    pad_l, pad_b, pad_t = 44, 34, 30
    inner_w, inner_h = width - pad_l - 8, height - pad_b - pad_t
    top = max(counts) if counts and max(counts) else 1
    bin_w = inner_w / len(counts)
    step = 100 / len(counts)
    parts = [f'<svg class="histogram" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>Pages by mean word confidence</title>']
    for n, count in enumerate(counts):
        h = inner_h * count / top
        x = pad_l + n * bin_w
        lo = n * step
        cls = "bar weak" if lo < threshold else "bar"
        parts.append(f'<rect class="{cls}" x="{x + 1:.1f}" y="{pad_t + inner_h - h:.1f}" width="{bin_w - 2:.1f}" '
                     f'height="{h:.1f}" data-count="{count}"><title>{lo:g}–{lo + step:g}: {count} page(s)</title></rect>')
        if count:
            parts.append(f'<text class="count" x="{x + bin_w / 2:.1f}" y="{pad_t + inner_h - h - 3:.1f}">{count}</text>')
    for tick in range(0, 101, 20):
        x = pad_l + inner_w * tick / 100
        parts.append(f'<text class="tick" x="{x:.1f}" y="{height - pad_b + 16}">{tick}</text>')
    tx = pad_l + inner_w * min(max(threshold, 0), 100) / 100
    parts.append(f'<line class="threshold" x1="{tx:.1f}" x2="{tx:.1f}" y1="{pad_t - 24}" y2="{pad_t + inner_h}"/>')
    parts.append(f'<text class="threshold-label" x="{tx + 4:.1f}" y="{pad_t - 14}">threshold {threshold:g}</text>')
    parts.append(f'<line class="axis" x1="{pad_l}" x2="{pad_l + inner_w}" y1="{pad_t + inner_h}" y2="{pad_t + inner_h}"/>')
    parts.append(f'<text class="tick" x="{pad_l - 6}" y="{pad_t + 8}" text-anchor="end">{top}</text>')
    parts.append(f'<text class="axis-label" x="{pad_l + inner_w / 2:.1f}" y="{height - 4}">mean word confidence</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


_ROWS_HEAD = (
    '<table class="pages">\n<thead><tr><th></th><th>source</th><th>page</th><th>dossier</th><th>confidence</th>'
    "<th>low words</th><th>flags</th><th>status</th><th>why</th></tr></thead>\n<tbody>\n"
)


def page_rows(views: Sequence[dict[str, Any]], root: str) -> Markup:
    """The table of pages that every list shows, 100,000 rows of it in all at scale: built
    with plain string joins (a template macro cost a third of the whole report)."""
    e = html.escape
    out = [_ROWS_HEAD]
    for v in views:
        r: PageRow = v["row"]
        href, thumb = v["href"], v["thumb"]
        source = e(r.source)
        out.append(f'<tr class="{"weak" if v["weak"] else ""} {r.state}">\n<td class="thumb">')
        if thumb:
            out.append(f'<a href="{root}{href}"><img loading="lazy" src="{root}{thumb}" alt="page {r.page} of {source}"></a>')
        out.append('</td>\n<td class="source">')
        out.append(f'<a href="{root}{href}">{source}</a>' if href else source)
        flags = "".join(f'<span class="flag invalid">{e(k)} invalid</span> ' for k in r.kinds(r.invalid_labels))
        flags += "".join(f'<span class="flag consensus">{e(k)} consensus</span> ' for k in r.kinds(r.flag_labels))
        conf = "–" if r.confidence is None else f"{r.confidence:.1f}"
        out.append(
            f'</td>\n<td class="num">{r.page}</td>\n<td dir="auto">{e(r.dossier)}</td>\n<td class="num">{conf}</td>\n'
            f'<td class="num">{r.weak_words}/{r.words}</td>\n<td>{flags}</td>\n<td>{e(r.status)}</td>\n'
            f'<td class="why">{e("; ".join(v["reasons"]))}</td>\n</tr>\n'
        )
    out.append("</tbody>\n</table>\n")
    return Markup("".join(out))


def _slug(row: PageRow) -> str:
    return f"{row.sha256[:16]}-p{row.page:04d}"


class _Writer:
    """Writes the report's files; remembers which pages have a detail page and thumbnail."""

    def __init__(self, out: Path, env: Environment, threshold: float) -> None:
        self.out, self.env, self.threshold = out, env, threshold
        self.detailed: dict[int, dict[str, str | None]] = {}

    def write(self, rel: str, text: str) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def view(self, row: PageRow) -> dict[str, Any]:
        """What a list row shows of a page."""
        links = self.detailed.get(row.id, {})
        return {
            "row": row, "reasons": row.reasons(self.threshold) if row.state == "done" else [row.error or row.state],
            "href": links.get("href"), "thumb": links.get("thumb"), "weak": row.weak(self.threshold),
        }  # fmt: skip

    def paged(self, name: str, items: Sequence[Any], template: str, *, title: str) -> int:
        """``items`` split into name/0001.html…; returns how many files."""
        if not items:
            return 0
        tpl = self.env.get_template(template)
        pages = (len(items) + PER_PAGE - 1) // PER_PAGE
        for n in range(pages):
            chunk = items[n * PER_PAGE : (n + 1) * PER_PAGE]
            views = [self.view(r) for r in chunk] if isinstance(chunk[0], PageRow) else chunk
            self.write(f"{name}/{n + 1:04d}.html", tpl.render(
                root="../", title=title, items=views, number=n + 1, pages=pages, first=n * PER_PAGE + 1,
                total=len(items), threshold=self.threshold, name=name,
            ))  # fmt: skip
        return pages

    def detail(self, archive: Path, row: PageRow, text: str, review: Any, corrections: Sequence[Any]) -> None:
        """The page of one weak page: its image with boxes, its text, its identifiers."""
        slug = _slug(row)
        image = size = thumb = None
        if row.image and (archive / row.image).is_file():
            src = archive / row.image
            image = f"img/{slug}{src.suffix}"
            (self.out / "img").mkdir(exist_ok=True)
            shutil.copyfile(src, self.out / image)
            thumb = f"thumb/{slug}.jpg"
            size = _thumbnail(src, self.out / thumb)
        words = []
        if row.wordfile and (archive / row.wordfile).is_file():
            words = [w for w in read_words(archive, row.wordfile) if 0 <= w.conf < WEAK_WORD and w.text.strip()]
        boxes = [
            {"x": w.left, "y": w.top, "w": w.width, "h": w.height, "conf": w.conf, "text": w.text,
             "opacity": round(0.2 + 0.55 * (WEAK_WORD - w.conf) / WEAK_WORD, 2)}
            for w in words
        ]  # fmt: skip
        marked = _marked_text(text, {w.text for w in words})
        self.write(f"page/{slug}.html", self.env.get_template("detail.html").render(
            root="../", row=row, reasons=row.reasons(self.threshold), image=image, size=size, boxes=boxes,
            text=marked, review=review, corrections=corrections, threshold=self.threshold,
            weak_limit=WEAK_WORD, words=sorted(words, key=lambda w: w.conf),
        ))  # fmt: skip
        self.detailed[row.id] = {"href": f"page/{slug}.html", "thumb": thumb}


def _texts(catalog: Catalog, page_ids: Sequence[int]) -> dict[int, str]:
    """The shown (corrected when corrected) texts of the detailed pages only."""
    out: dict[int, str] = {}
    for start in range(0, len(page_ids), 500):
        chunk = tuple(page_ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        out.update((int(i), t or "") for i, t in catalog.db.execute(f"SELECT id, text FROM pages WHERE id IN ({marks})", chunk))
    return out


_TOKEN = re.compile(r"(\s+)")
_EDGE = "«»()[]{}.,:;!?،؛؟\"'"


def _marked_text(text: str, low: set[str]) -> Markup:
    """The page text with its low-confidence words marked (escaped HTML)."""
    wanted = {w.strip(_EDGE) for w in low if len(w.strip(_EDGE)) > 1}
    out = []
    for part in _TOKEN.split(text):
        if part and not part.isspace() and part.strip(_EDGE) in wanted:
            out.append(Markup('<mark class="low">{}</mark>').format(part))
        else:
            out.append(escape(part))
    return Markup("").join(out)


def _thumbnail(src: Path, dst: Path) -> tuple[int, int]:
    """A small greyscale JPEG of the page; returns the full image's size (for the boxes)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(src) as im:
        size = im.size
        im.draft("L", (THUMB_SIZE[0] * 2, THUMB_SIZE[1] * 2))  # JPEG: decode at a fraction
        small = im.convert("L")
        small.thumbnail(THUMB_SIZE, Image.Resampling.LANCZOS)
        small.save(dst, "JPEG", quality=70)
    return size
