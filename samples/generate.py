"""Make synthetic scans of Karaj planning dossiers, with exact ground truth.

    python -m samples.generate --out DIR [--pages N] [--seed S] [--preset small|bench|wide]

writes ``DIR/scans/<dossier>/<file>`` (PDF, TIFF, JPEG, PNG) and ``DIR/ground_truth.json``.
Real scans cannot be published, and their text and identifiers are unknown; these pages
say exactly what is on them, so OCR, extraction and search can be measured.
The same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jdatetime
import numpy as np
from PIL import Image

from samples import vocabulary as V
from samples.dossier import (
    Dossier,
    Filled,
    Filler,
    Identifier,
    Typing,
    jalali_iso,
    make_dossier,
    page_dates,
)
from samples.render import (
    RENDER_DPI,
    Box,
    PageFull,
    PageWriter,
    Style,
    draw_signature,
    draw_stamp,
)
from samples.scanner import FALSE_DPIS, Degradation, scan
from samples.splits import TUNED, fonts_of, split_of, variant_allowed

GENERATOR_VERSION = 2  # 2: the `wide` preset and its splits

# ---------------------------------------------------------------- plans


@dataclass(frozen=True)
class PagePlan:
    """Everything decided about one page before it is drawn."""

    kind: str
    topic: str | None
    language: str
    date: jdatetime.date | None
    font: str
    digits: str
    keyboard: str
    seed: int
    degradation: Degradation
    split: str = TUNED
    wide: bool = False


@dataclass(frozen=True)
class FilePlan:
    dossier: Dossier
    name: str
    fmt: str
    compression: str | None
    pages: tuple[PagePlan, ...]


@dataclass(frozen=True)
class Profile:
    """How hard a preset treats its pages (upper bounds of uniform draws)."""

    skew: float
    noise: float
    specks: float
    blur: float
    lighting: float
    yellowed: float
    border: float
    holes: float
    rotate: float
    roundtrip: float
    jpeg_quality: tuple[int, int]
    homa: float
    arabic_keyboard: float
    stamp: float
    # the `wide` preset only (shares of pages)
    wide: bool = False
    fax: float = 0.0
    carbon: float = 0.0
    copies: float = 0.0


SMALL = Profile(skew=1.2, noise=3.0, specks=0.00015, blur=0.6, lighting=0.12, yellowed=0.3,
                border=0.15, holes=0.2, rotate=0.0, roundtrip=0.0, jpeg_quality=(72, 88),
                homa=0.0, arabic_keyboard=0.0, stamp=0.6)
BENCH = Profile(skew=5.0, noise=12.0, specks=0.0025, blur=1.5, lighting=0.28, yellowed=0.45,
                border=0.2, holes=0.25, rotate=1 / 6, roundtrip=0.25, jpeg_quality=(35, 85),
                homa=0.25, arabic_keyboard=0.2, stamp=0.5)
WIDE = replace(BENCH, skew=3.0, noise=10.0, specks=0.0015, stamp=0.6, wide=True, fax=0.1,
               carbon=0.1, copies=0.2)

# A dossier's story; a dossier's pages are an ordered selection of it.
STORY: tuple[tuple[str, str | None], ...] = (
    ("permit", "application"), ("letter", "inquiry"), ("letter", "permit_request"),
    ("permit", "permit"), ("letter", "violation"), ("ruling", None), ("letter", "completion"))
#: The wide preset's dossiers also hold inspection reports (ruled tables, boxed values).
WIDE_STORY = (*STORY[:4], ("inspection", None), *STORY[4:], ("inspection", None))


def page_plan(rng: random.Random, profile: Profile, kind: str, topic: str | None,
              base: Degradation, split: str = TUNED, **fixed: Any) -> PagePlan:
    """Draw one page's typing and scanning choices; ``fixed`` pins some of them.

    The date is left empty: it depends on the page's place in its dossier.
    """
    english = kind == "summary"
    digits = "ascii" if english else rng.choices(("persian", "ascii", "arabic"), (75, 12, 13))[0]
    keyboard = "english" if english else (
        "arabic" if rng.random() < profile.arabic_keyboard else "persian")
    rotation = rng.choice((90, 180, 270)) if rng.random() < profile.rotate else 0
    d = replace(
        base, rotation=rotation, skew=round(rng.uniform(-profile.skew, profile.skew), 2),
        noise=round(rng.uniform(0, profile.noise), 1) if rng.random() < 0.8 else 0.0,
        specks=round(rng.uniform(0, profile.specks), 5) if rng.random() < 0.6 else 0.0,
        blur=round(rng.uniform(0, profile.blur), 2) if rng.random() < 0.6 else 0.0,
        lighting=round(rng.uniform(0, profile.lighting), 3) if rng.random() < 0.6 else 0.0,
        yellowed=rng.random() < profile.yellowed,
        border=rng.choice(("left", "right", "top", "bottom")) if rng.random() < profile.border
        else None,
        punch_holes=2 if rng.random() < profile.holes else 0,
        stamp=kind != "summary" and rng.random() < profile.stamp,
        signature=kind in ("letter", "ruling", "permit") and rng.random() < 0.85)
    if profile.wide:
        d = _archive_history(rng, profile, d)
    d = replace(d, **{k: v for k, v in fixed.items() if k in Degradation.__dataclass_fields__})
    font = rng.choice(fonts_of(split)) if profile.wide and not english else _font(
        rng, profile, english)
    plan = PagePlan(kind=kind, topic=topic, language="en" if english else "fa", date=None,
                    font=font, digits=digits, keyboard=keyboard, seed=rng.randrange(2**32),
                    degradation=d, split=split, wide=profile.wide)
    return replace(plan, **{k: v for k, v in fixed.items() if k in PagePlan.__dataclass_fields__})


def _archive_history(rng: random.Random, profile: Profile, d: Degradation) -> Degradation:
    """What befell a wide page before the scanner: a fax, a carbon copy, copies of copies.

    A fax arrives bitonal whatever the file format; the other two keep the file's mode.
    """
    roll = rng.random()
    if roll < profile.fax:
        return replace(d, fax=True, bitonal=True, mode="1", jpeg_quality=None, blur=0.0,
                       noise=0.0)
    if roll < profile.fax + profile.carbon:
        return replace(d, carbon=True)
    if roll < profile.fax + profile.carbon + profile.copies:
        return replace(d, generations=rng.choice((1, 2)))
    return d


def _font(rng: random.Random, profile: Profile, english: bool) -> str:
    if english:
        return "serif"
    return "homa" if rng.random() < profile.homa else "nazli"


@dataclass(frozen=True)
class FileRecipe:
    """A file of the small showcase set: format, scan settings and page kinds."""

    dossier: int
    fmt: str
    dpi: int
    mode: str
    pages: tuple[tuple[str, str | None, dict[str, Any]], ...]
    file_dpi: str = "true"


SMALL_RECIPE = (
    FileRecipe(0, "pdf", 200, "L", (("permit", "application", {}),
                                    ("letter", "inquiry", {"skew": 3.1}),
                                    ("permit", "permit", {}))),
    FileRecipe(0, "jpg", 300, "RGB", (("letter", "violation", {"rotation": 90, "stamp": True}),),
               file_dpi="false"),
    FileRecipe(1, "tif", 300, "1", (("letter", "permit_request", {"keyboard": "arabic"}),
                                    ("ruling", None, {"rotation": 180}))),
    FileRecipe(1, "png", 150, "L", (("letter", "completion", {"digits": "arabic"}),),
               file_dpi="missing"),
    FileRecipe(2, "tif", 200, "L", (("letter", "inquiry", {"digits": "ascii", "border": "left"}),
                                    ("ruling", None, {}))),
    FileRecipe(2, "png", 300, "L", (("summary", None, {}),)),
)


def plan_small(rng: random.Random, pages: int) -> list[FilePlan]:
    """The committed showcase: every format and the notable defects, mildly degraded."""
    taken: set[str] = set()
    dossiers: dict[int, Dossier] = {}
    files: list[FilePlan] = []
    cycle = 0
    while pages > 0:
        for recipe in SMALL_RECIPE:
            if pages <= 0:
                break
            key = cycle * 3 + recipe.dossier
            dossier = dossiers.get(key) or dossiers.setdefault(key, make_dossier(rng, taken))
            chosen = recipe.pages[:pages]
            pages -= len(chosen)
            files.append(_recipe_file(rng, dossier, recipe, chosen, files))
        cycle += 1
    return _date_pages(rng, files)


def _recipe_file(rng: random.Random, dossier: Dossier, recipe: FileRecipe,
                 chosen: Sequence[tuple[str, str | None, dict[str, Any]]],
                 files: Sequence[FilePlan]) -> FilePlan:
    file_dpi = {"true": recipe.dpi, "missing": None, "false": FALSE_DPIS[0]}[recipe.file_dpi]
    quality = rng.randint(*SMALL.jpeg_quality) if recipe.fmt in ("jpg", "pdf") else None
    base = Degradation(dpi=recipe.dpi, file_dpi=file_dpi, bitonal=recipe.mode == "1",
                       mode=recipe.mode, jpeg_quality=quality)
    # Grain makes lossless grayscale files huge; the committed set stays small without it.
    grainless = {"noise": 0.0} if recipe.fmt in ("png", "tif") and recipe.mode != "1" else {}
    plans = tuple(page_plan(rng, SMALL, kind, topic, base,
                            **{**grainless, **_persian_digits(kind), **fixed})
                  for kind, topic, fixed in chosen)
    number = 1 + sum(f.dossier.folder == dossier.folder for f in files)
    return FilePlan(dossier, f"scan_{number:02d}.{recipe.fmt}",
                    recipe.fmt, _compression(recipe.fmt, recipe.mode, rng), plans)


def _persian_digits(kind: str) -> dict[str, str]:
    """The showcase types Persian digits except on the pages pinned to show the others."""
    return {} if kind == "summary" else {"digits": "persian"}


def plan_bench(rng: random.Random, pages: int) -> list[FilePlan]:
    """Realistic proportions: a third at 150-200 dpi, one page in six turned, and so on."""
    taken: set[str] = set()
    files: list[FilePlan] = []
    while pages > 0:
        dossier = make_dossier(rng, taken)
        n = min(pages, rng.randint(2, 8))
        pages -= n
        story = _story(rng, n)
        number = 1
        while story:
            fmt = rng.choices(("pdf", "tif", "jpg", "png"), (35, 30, 20, 15))[0]
            take = rng.randint(1, min(4, len(story))) if fmt in ("pdf", "tif") else 1
            base = _bench_file_settings(rng, fmt)
            plans = tuple(page_plan(rng, BENCH, kind, topic, base)
                          for kind, topic in story[:take])
            files.append(FilePlan(dossier, f"scan_{number:02d}.{fmt}", fmt,
                                  _compression(fmt, base.mode, rng), plans))
            story, number = story[take:], number + 1
    return _date_pages(rng, files)


def plan_wide(rng: random.Random, pages: int, split: str) -> list[FilePlan]:
    """The bench proportions, plus new layouts, typefaces, clerks' spellings and archive
    histories; fonts and variants follow the seed's split (samples/splits.py)."""
    taken: set[str] = set()
    files: list[FilePlan] = []
    while pages > 0:
        dossier = make_dossier(rng, taken)
        n = min(pages, rng.randint(2, 6))
        pages -= n
        story = _story(rng, n, WIDE_STORY)
        number = 1
        while story:
            fmt = rng.choices(("pdf", "tif", "jpg", "png"), (35, 30, 20, 15))[0]
            take = rng.randint(1, min(3, len(story))) if fmt in ("pdf", "tif") else 1
            base = _bench_file_settings(rng, fmt)
            plans = [page_plan(rng, WIDE, kind, topic, base, split=split)
                     for kind, topic in story[:take]]
            plans = _one_file_mode(plans, fmt)
            files.append(FilePlan(dossier, f"scan_{number:02d}.{fmt}", fmt,
                                  _compression(fmt, plans[0].degradation.mode, rng),
                                  tuple(plans)))
            story, number = story[take:], number + 1
    return _date_pages(rng, files)


def _one_file_mode(plans: list[PagePlan], fmt: str) -> list[PagePlan]:
    """Pages of one file share mode and JPEG quality: a fax makes the whole file bitonal
    (a JPEG holds it as grey, the fax printed and scanned again)."""
    if not any(p.degradation.fax for p in plans):
        return plans
    if fmt == "jpg":
        return [replace(p, degradation=replace(p.degradation, bitonal=False, mode="L",
                                               jpeg_quality=p.degradation.jpeg_quality or 75))
                for p in plans]
    return [replace(p, degradation=replace(p.degradation, bitonal=True, mode="1",
                                           jpeg_quality=None))
            for p in plans]


def _story(rng: random.Random, n: int,
           story: tuple[tuple[str, str | None], ...] = STORY) -> list[tuple[str, str | None]]:
    summary = n >= 3 and rng.random() < 0.2
    body = n - summary
    picks = sorted(rng.sample(range(len(story)), min(body, len(story))))
    picks += sorted(rng.choices(range(len(story)), k=body - len(picks)))
    return [story[i] for i in picks] + ([("summary", None)] if summary else [])


def _bench_file_settings(rng: random.Random, fmt: str) -> Degradation:
    dpi = rng.choices((300, 200, 150), (65, 20, 15))[0]
    bitonal = fmt != "jpg" and rng.random() < {"tif": 0.5, "png": 0.3, "pdf": 0.25}[fmt]
    mode = "1" if bitonal else rng.choices(("L", "RGB"), (4, 6) if fmt == "jpg" else (7, 3))[0]
    roll = rng.random()
    file_dpi: int | None = dpi
    if roll < 0.07 and fmt != "pdf":
        file_dpi = None
    elif roll < 0.14:
        file_dpi = rng.choice(FALSE_DPIS)
    lossy = fmt in ("jpg", "pdf") or rng.random() < BENCH.roundtrip
    quality = rng.randint(*BENCH.jpeg_quality) if lossy and not bitonal else None
    return Degradation(dpi=dpi, file_dpi=file_dpi, bitonal=bitonal, mode=mode,
                       jpeg_quality=quality)


def _compression(fmt: str, mode: str, rng: random.Random) -> str | None:
    if fmt != "tif":
        return None
    return "group4" if mode == "1" else rng.choice(("tiff_lzw", "tiff_adobe_deflate"))


def _date_pages(rng: random.Random, files: list[FilePlan]) -> list[FilePlan]:
    """Give each dossier's pages increasing dates, in file order; some forms stay undated."""
    counts = Counter(f.dossier.folder for f in files for _ in f.pages)
    queues: dict[str, list[jdatetime.date]] = {}
    out = []
    for f in files:
        folder = f.dossier.folder
        if folder not in queues:
            queues[folder] = page_dates(rng, f.dossier, counts[folder])
        pages = []
        for p in f.pages:
            day = queues[folder].pop(0)
            undated = p.topic == "application" and rng.random() < 0.4
            pages.append(replace(p, date=None if undated else day))
        out.append(replace(f, pages=tuple(pages)))
    return out


# ---------------------------------------------------------------- page builders


class PageBuilder:
    """Places filled templates; an identifier counts only once its text is on the page."""

    def __init__(self, writer: PageWriter, filler: Filler, rng: random.Random,
                 plan: PagePlan) -> None:
        self.w, self.filler, self.rng, self.plan = writer, filler, rng, plan
        self.identifiers: list[Identifier] = []

    def _commit(self, filled: Sequence[Filled]) -> None:
        for f in filled:
            self.identifiers.extend(f.identifiers)

    def line(self, template: str, **style: Any) -> None:
        f = self.filler.fill(template)
        self.w.line(f.text, **style)
        self._commit([f])

    def para(self, template: str, **style: Any) -> bool:
        f = self.filler.fill(template)
        try:
            self.w.paragraph(f.text, **style)
        except PageFull:
            return False
        self._commit([f])
        return True

    def columns(self, cols: Sequence[Sequence[str]], **style: Any) -> list[Box]:
        filled = [[self.filler.fill(t) for t in col] for col in cols]
        boxes = self.w.columns([[f.text for f in col] for col in filled], **style)
        self._commit([f for col in filled for f in col])
        return boxes

    def row(self, *cells: str, **style: Any) -> None:
        filled = [self.filler.fill(t) for t in cells]
        self.w.table_row([f.text for f in filled], **style)
        self._commit(filled)

    def grid(self, *cells: str, **style: Any) -> None:
        filled = [self.filler.fill(t) for t in cells]
        self.w.grid_row([f.text for f in filled], **style)
        self._commit(filled)

    def boxed(self, label: str, value: str, **style: Any) -> None:
        filled = [self.filler.fill(label), self.filler.fill(value)]
        self.w.boxed(filled[0].text, filled[1].text, **style)
        self._commit(filled)

    def ruled(self, heads: Sequence[str], cols: Sequence[Sequence[str]], **style: Any
              ) -> list[Box]:
        """Ruled columns, each read whole; identifiers committed in that reading order."""
        filled_heads = [self.filler.fill(h) for h in heads]
        filled = [[self.filler.fill(t) for t in col] for col in cols]
        boxes = self.w.ruled_columns([f.text for f in filled_heads],
                                     [[f.text for f in col] for col in filled], **style)
        for head, col in zip(filled_heads, filled, strict=True):
            self._commit([head, *col])
        return boxes

    def sign(self, boxes: Sequence[Box], stamp_lines: Sequence[str]) -> None:
        """Scrawls over the signature blocks and, on some pages, a stamp across one.

        On wide pages a scrawl may run over the signer's printed name, and a stamp may
        land on a line that carries an identifier.
        """
        d = self.plan.degradation
        if d.signature:
            for box in boxes:
                over_text = self.plan.wide and self.rng.random() < 0.5
                draw_signature(self.w.image, box if over_text else _raise_box(box), self.rng)
        if d.stamp and self.plan.wide and self.rng.random() < 0.5 and self._stamp_a_number(
                stamp_lines):
            return
        if d.stamp and boxes:
            left, top, right, bottom = self.rng.choice(list(boxes))
            centre = ((left + right) / 2 + self.rng.uniform(-200, 200),
                      top + self.rng.uniform(-40, 120))
            draw_stamp(self.w.image, centre, self.rng, stamp_lines)


    def _stamp_a_number(self, stamp_lines: Sequence[str]) -> bool:
        """A stamp centred near a printed identifier, as clerks stamp the figures they
        certify; False when the page shows none."""
        boxes = getattr(self.w, "line_boxes", None)
        if not boxes:
            return False
        wanted = [i.text for i in self.identifiers if i.kind != "date"]
        lines = [k for k, line in enumerate(self.w.lines) if any(t in line for t in wanted)]
        if not lines:
            return False
        left, top, right, bottom = boxes[self.rng.choice(lines)]
        centre = ((left + right) / 2 + self.rng.uniform(-150, 150),
                  (top + bottom) / 2 + self.rng.uniform(-60, 60))
        draw_stamp(self.w.image, centre, self.rng, stamp_lines)
        return True


def _raise_box(box: Box) -> Box:
    left, top, right, bottom = box
    return (left, top - 170, right, top)


def build_letter(b: PageBuilder) -> None:
    """A municipal letter: letterhead, number and date, addressee, body, signature."""
    rng, topic = b.rng, b.plan.topic or "inquiry"
    subject, sentences = V.LETTER_TOPICS[topic]
    b.line(rng.choice(V.INVOCATIONS), font="titr", size=44, align="center", spacing=1.5)
    head = list(V.LETTERHEAD) + ([rng.choice(V.LETTERHEAD_UNITS)] if rng.random() < 0.7 else [])
    b.columns([head, [*V.LETTER_NUMBERS, rng.choice(V.ATTACHMENT)]],
              weights=(0.62, 0.38), fonts=(("titr", 50), ("nazli-bold", 44)))
    b.w.rule(double=True)
    b.line(rng.choice(V.ADDRESSEES), font="nazli-bold", spacing=1.6)
    b.line(V.SUBJECT + subject, font="nazli-bold", spacing=1.8)
    b.line(rng.choice(V.SALUTATIONS))
    picked = sorted(rng.sample(range(len(sentences)), rng.randint(3, len(sentences))))
    body = [sentences[i] for i in picked]
    split = rng.randint(1, len(body))
    b.para(" ".join([rng.choice(V.LETTER_OPENINGS), *body[:split]]), reserve=800)
    if body[split:]:
        b.para(" ".join(body[split:]), reserve=800)
    b.para(rng.choice(V.LETTER_CLOSINGS), reserve=700)
    b.w.gap(150)
    boxes = b.columns([[], ["{official}", rng.choice(V.SIGNER_TITLES)]], align="center",
                      fonts=(("nazli-bold", 46), ("nazli-bold", 46)))
    b.sign(boxes[1:], V.LETTERHEAD)
    b.w.gap(40)
    for cc in rng.sample(V.CARBON_COPIES, rng.randint(0, 2)):
        if b.w.room() > 120:
            b.line(cc, size=36, spacing=1.5)
    b.w.footer(b.filler.fill(V.FOOTER).text)


def build_permit(b: PageBuilder) -> None:
    """A building permit, or the application form for one: a bordered table, then notes."""
    rng, application = b.rng, b.plan.topic == "application"
    b.columns([list(V.LETTERHEAD), V.APPLICATION_NUMBERS if application else V.PERMIT_NUMBERS],
              weights=(0.6, 0.4), fonts=(("titr", 46), ("nazli-bold", 44)))
    b.line(V.APPLICATION_TITLE if application else V.PERMIT_TITLE, font="titr", size=64,
           align="center", spacing=1.9)
    size = b.w.style.body_size - 6
    b.row(V.OWNER_SECTION, bold=True, size=size)
    for row in V.OWNER_ROWS + ((V.CONTACT_ROW,) if application else ()):
        b.row(*row, size=size)
    for heading, rows in ((V.PARCEL_SECTION, V.PARCEL_ROWS),
                          (V.BUILDING_SECTION, V.BUILDING_ROWS)):
        b.row(heading, bold=True, size=size)
        for cells in rows:
            b.row(*cells, size=size)
    b.w.gap(50)
    if application:
        notes = [V.APPLICATION_STATEMENT, *rng.sample(V.APPLICATION_NOTES, 2)]
    else:
        notes = rng.sample(V.PERMIT_NOTES, rng.randint(2, 4))
    for note in notes:
        b.para(note, size=size, reserve=420)
    b.w.gap(180)
    signers = [[V.APPLICANT_SIGNATURE]] if application else [[s] for s in V.PERMIT_SIGNERS[:2]]
    b.sign(b.columns(signers, align="center"), V.LETTERHEAD)


def build_ruling(b: PageBuilder) -> None:
    """An Article-100 commission ruling: parties, the municipality's report, the verdict."""
    rng = b.rng
    b.columns([[V.LETTERHEAD[0], V.RULING_OFFICE], V.RULING_NUMBERS],
              weights=(0.6, 0.4), fonts=(("titr", 46), ("nazli-bold", 44)))
    b.line(V.RULING_TITLE, font="titr", size=60, align="center", spacing=1.6)
    b.line(V.RULING_SUBTITLE, font="nazli-bold", align="center")
    b.w.rule()
    for line in V.RULING_PARTIES:
        b.para(line)
    b.line(V.RULING_REPORT_HEADING, font="nazli-bold")
    report = [V.RULING_REPORT[0], *rng.sample(V.RULING_REPORT[1:], rng.randint(0, 2))]
    b.para(" ".join(report), reserve=900)
    b.line(V.RULING_VERDICT_HEADING, font="nazli-bold")
    b.para(rng.choice(V.RULING_VERDICTS), reserve=600)
    b.para(V.RULING_APPEAL, reserve=500)
    b.w.gap(170)
    boxes = b.columns([[m] for m in V.RULING_MEMBERS], align="center",
                      fonts=[("nazli-bold", 40)] * 3)
    b.sign(boxes, V.RULING_STAMP)


def build_summary(b: PageBuilder) -> None:
    """An English summary typed for the archive, with the same identifiers in Latin digits."""
    rng = b.rng
    for text in V.EN_HEADER:
        b.line(text, font="serif-bold", size=48, align="center", spacing=1.5)
    b.line(V.EN_TITLE, align="center", spacing=1.6)
    b.w.rule()
    b.columns([[V.EN_NUMBERS[0]], [V.EN_NUMBERS[1]]], fonts=(("serif-bold", 42),) * 2)
    b.w.gap(30)
    for fact in V.EN_FACTS:
        b.para(fact)
    b.w.gap(20)
    b.line(V.EN_HISTORY_HEADING, font="serif-bold")
    picked = sorted(rng.sample(range(len(V.EN_HISTORY)), rng.randint(2, 5)))
    for i in picked:
        b.para(V.EN_HISTORY[i], reserve=300)
    b.para(rng.choice(V.EN_STATUS), reserve=200)
    b.w.footer(b.filler.fill(V.EN_FOOTER).text, size=32)


def build_inspection(b: PageBuilder) -> None:
    """An inspection report (wide preset): a ruled table of labels and values in cells of
    their own, a register whose labels head the line above the values, boxed values and
    two ruled columns."""
    rng, f = b.rng, b.filler
    b.columns([list(V.LETTERHEAD), list(V.INSPECTION_NUMBERS)], weights=(0.6, 0.4),
              fonts=(("titr", 46), ("nazli-bold", 44)))
    b.line(V.INSPECTION_TITLE, font="titr", size=58, align="center", spacing=1.7)
    size = b.w.style.body_size - 8
    for row in V.INSPECTION_GRID:
        b.grid(*row, weights=(0.75, 1.45, 0.75, 1.45), size=size, bold=(True, False) * 2)
    b.w.gap(40)
    b.grid(*V.REGISTER_HEADS, size=size, bold=True)
    b.grid(*V.REGISTER_FIELDS, size=size)
    b.w.gap(40)
    for label, value in rng.sample(V.INSPECTION_STACKED, 2):
        below = f.variant("form:value-below", 0.4)
        cells = f.variant("form:digit-cells", 0.5) and value == "{postal}"
        b.boxed(label + ":", value, below=below, cells=cells)
    b.w.gap(20)
    heads = [head for head, _ in V.INSPECTION_COLUMNS]
    cols = [list(lines) for _, lines in V.INSPECTION_COLUMNS]
    b.ruled(heads, cols, size=size)
    b.w.gap(160)
    boxes = b.columns([[V.INSPECTION_SIGNERS[0]], [V.INSPECTION_SIGNERS[1]]], align="center",
                      fonts=(("nazli-bold", 44), ("nazli-bold", 44)))
    b.sign(boxes, V.LETTERHEAD)


BUILDERS: dict[str, Callable[[PageBuilder], None]] = {
    "letter": build_letter, "permit": build_permit, "ruling": build_ruling,
    "summary": build_summary, "inspection": build_inspection,
}


@dataclass(frozen=True)
class RenderedPage:
    image: Image.Image
    text: str
    identifiers: tuple[Identifier, ...] = field(default_factory=tuple)


def page_setup(rng: random.Random, plan: PagePlan) -> tuple[Style, Typing]:
    """A page's type style and typing, drawn first from its seed (the text-only corpus
    of bench/corpus.py draws them the same way)."""
    size = rng.choice((46, 48, 50, 52))
    if plan.language == "en":
        style = Style.english(size - 6)
    elif plan.font in ("nazli", "homa"):
        style = Style.persian(plan.font, size)
    else:
        style = Style.family(plan.font, size, titr_headings=rng.random() < 0.4)
    typing = Typing(plan.language, plan.digits, plan.keyboard, plan.date, wide=plan.wide,
                    split=plan.split)
    return style, typing


def fax_header(b: PageBuilder) -> None:
    """The sending machine's line across the top of a received fax (held-out variant)."""
    r = b.rng
    number = f"026-{r.randint(32000000, 34999999)}"
    b.w.line(f"FAX {number}   {r.randint(7, 15):02d}:{r.randint(0, 59):02d}   "
             f"P.{r.randint(1, 3):02d}", font="serif", size=30, spacing=1.6)


def render_page(dossier: Dossier, plan: PagePlan) -> RenderedPage:
    """Draw one clean upright page at 300 dpi, with its text and identifiers."""
    rng = random.Random(plan.seed)
    style, typing = page_setup(rng, plan)
    builder = PageBuilder(PageWriter(style), Filler(dossier, typing, rng), rng, plan)
    if plan.degradation.fax and variant_allowed(plan.split, "scan:fax-header"):
        fax_header(builder)
    BUILDERS[plan.kind](builder)
    return RenderedPage(builder.w.image, builder.w.text, tuple(builder.identifiers))


# ---------------------------------------------------------------- files and ground truth


def write_file(path: Path, plan: FilePlan, images: Sequence[Image.Image]) -> None:
    """Save the pages as one file, with the dpi metadata the plan says the scanner wrote."""
    first = plan.pages[0].degradation
    dpi = {"dpi": (first.file_dpi, first.file_dpi)} if first.file_dpi else {}
    head, rest = images[0], list(images[1:])
    if plan.fmt == "pdf":
        stamp = _pdf_time(plan.pages[-1].date or plan.dossier.opened)
        # Pillow hands bitonal pages to its TIFF encoder (CCITT), which rejects a quality.
        lossy = {"quality": first.jpeg_quality} if first.jpeg_quality else {}
        head.save(path, "PDF", save_all=True, append_images=rest,
                  resolution=float(first.file_dpi or 72), **lossy,
                  title=f"{plan.dossier.folder} {path.stem}", creationDate=stamp, modDate=stamp)
    elif plan.fmt == "tif":
        head.save(path, "TIFF", save_all=True, append_images=rest,
                  compression=plan.compression, **dpi)
    elif plan.fmt == "jpg":
        head.save(path, "JPEG", quality=first.jpeg_quality or 80, **dpi)
    else:
        head.save(path, "PNG", **dpi)


def _pdf_time(day: jdatetime.date) -> time.struct_time:
    """A fixed creation date (the day of the last page) keeps PDFs byte-identical."""
    g = day.togregorian()
    return time.gmtime(calendar.timegm((g.year, g.month, g.day, 10, 0, 0, 0, 0, 0)))


def page_record(plan: FilePlan, number: int, page: PagePlan,
                rendered: RenderedPage) -> dict[str, object]:
    """One page's entry in ground_truth.json (the format is in samples/README.md)."""
    return {
        "source": f"{plan.dossier.folder}/{plan.name}",
        "dossier": plan.dossier.folder,
        "page": number,
        "kind": page.kind,
        "language": page.language,
        "text": rendered.text,
        "identifiers": [i.to_json() for i in rendered.identifiers],
        "document_date": jalali_iso(page.date) if page.date else None,
        "degradation": page.degradation.to_json(),
        "render": {"topic": page.topic, "font": page.font, "digits": page.digits,
                   "keyboard": page.keyboard, "format": plan.fmt,
                   "compression": plan.compression, "split": page.split},
    }


PLANNERS: dict[str, Callable[[random.Random, int, str], list[FilePlan]]] = {
    "small": lambda rng, pages, _split: plan_small(rng, pages),
    "bench": lambda rng, pages, _split: plan_bench(rng, pages),
    "wide": plan_wide,
}
DEFAULT_PAGES = {"small": 10, "bench": 60, "wide": 30}


class OutputInUse(RuntimeError):
    """The output folder holds scans this generator did not make."""


def plan_files(preset: str, pages: int, seed: int) -> list[FilePlan]:
    """Every decision for a run; seeded from a string, so hash randomization never matters."""
    if preset not in PLANNERS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PLANNERS)}")
    return PLANNERS[preset](random.Random(f"parvandeh-samples:{preset}:{seed}"), pages,
                            split_of(seed))


def generate(out: Path, *, preset: str = "small", pages: int | None = None,
             seed: int = 7) -> dict[str, Any]:
    """Write the scans and ground_truth.json under ``out``; returns the ground truth."""
    pages = pages or DEFAULT_PAGES.get(preset, 1)
    files = plan_files(preset, pages, seed)
    scans = _fresh_scans_dir(out)
    records: list[dict[str, object]] = []
    for plan in files:
        folder = scans / plan.dossier.folder
        folder.mkdir(parents=True, exist_ok=True)
        images = []
        for number, page in enumerate(plan.pages, start=1):
            rendered = render_page(plan.dossier, page)
            noise = np.random.default_rng(page.seed)
            images.append(scan(rendered.image, page.degradation, noise,
                               jpeg_roundtrip=plan.fmt in ("png", "tif")))
            records.append(page_record(plan, number, page, rendered))
        write_file(folder / plan.name, plan, images)
    generator = {"name": "samples.generate", "version": GENERATOR_VERSION, "preset": preset,
                 "seed": seed, "pages": pages, "render_dpi": RENDER_DPI}
    if preset == "wide":
        generator["split"] = split_of(seed)
    truth = {"generator": generator, "pages": records}
    (out / "ground_truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return truth


def _fresh_scans_dir(out: Path) -> Path:
    """Replace scans this generator made before; never delete anything else."""
    scans = out / "scans"
    truth = out / "ground_truth.json"
    if scans.exists() and any(scans.iterdir()):
        ours = truth.exists() and "generator" in json.loads(truth.read_text(encoding="utf-8"))
        if not ours:
            raise OutputInUse(f"{scans} exists and was not made by samples.generate; "
                              "choose another --out")
        shutil.rmtree(scans)
    scans.mkdir(parents=True, exist_ok=True)
    return scans


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--preset", choices=sorted(DEFAULT_PAGES), default="small")
    parser.add_argument("--pages", type=int, help="total pages (default: 10 small, 60 bench, 30 wide)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.pages is not None and args.pages < 1:
        parser.error("--pages must be at least 1")
    try:
        truth = generate(args.out, preset=args.preset, pages=args.pages, seed=args.seed)
    except OutputInUse as e:
        parser.exit(2, f"error: {e}\n")
    print(f"wrote {len(truth['pages'])} pages to {args.out / 'scans'} "
          f"and {args.out / 'ground_truth.json'}")


if __name__ == "__main__":
    main()
