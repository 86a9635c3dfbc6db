"""Lines under a rubber stamp, read again with the stamp's lighter ink set aside.

Clerks stamp a form where it is signed, and the stamp often lands on a line that carries
an identifier (a plaque, a postal code). Tesseract reads the typed text and the stamp's
ring and lettering together and returns junk at a low confidence (``پلاک تبتیزگ03ع از
156`` for ``پلاک ثبتی: 9035 فرعی از 156``), and since every pixel of it is covered by a
word, the second look for missed regions never sees it. The stamp's violet or blue is
lighter than black type on a grey scan: a line with much light ink that lies away from
its dark strokes is read once more with only its darkest ink, and that reading is kept
when it is the more confident.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ocr.tesseract import line_box, line_groups, mean_conf, recognize_region
from ocr.types import Word

INK_BELOW = 200  # grey levels darker than this are ink on a cleaned (flattened) page
# Ink lighter than the type and this far from its strokes (pixels) is another ink.
AWAY_PX = 2
STROKE_MIN_MM = 1.5  # and in strokes this long: specks of a copy's grey haze are not a stamp
# This much of it (mm²) in a line makes the line stamped. Lines on the tuned pages under
# a stamp held 1.2-15 mm²; lines beside it none, nor the lines of a second-generation
# photocopy (5-10 mm² of haze in specks, which the stroke length leaves out).
STAMP_INK_MM2 = 1.0
# A stamp on the page (erase_stamps): other ink within this of other ink is one patch,
STAMP_GATHER_MM = 3.0
# and a patch this wide and tall holding this much of it (mm²) is a stamp. The round
# stamps of the tuned pages held 150-280 mm² over 37-43 mm; no page without a stamp had a
# patch 15 mm on both sides (the largest: a pale rule, 32 x 4 mm, 18 mm²).
STAMP_SIDE_MM = 15.0
STAMP_PAGE_MM2 = 40.0
STAMP_LONGEST_MM = 80.0
MAX_STAMPED_LINES = 6  # per page, weakest first
STAMPED_MARGIN = 0.0  # the new reading replaces the line when more confident than this


def keep_darkest_ink(gray: np.ndarray) -> np.ndarray:
    """The region with only its darkest ink: the typed text, without stamp and pen.

    A signatory's name and title are typed in black; the rubber stamp over them is
    violet or blue, lighter on a grey scan, and a pen scrawl is often lighter too.
    Otsu's threshold over the ink's own grey levels splits the two; on a region with
    no stamp it only thins the strokes' edges, and the caller keeps whichever reading
    of the region, as it is or this, is the more confident.
    """
    level = _ink_level(gray)
    if level is None:
        return gray
    return np.where(gray <= level, gray, np.uint8(255)).astype(np.uint8)


def other_ink(gray: np.ndarray, *, dpi: int) -> int:
    """Pixels of ink that `keep_darkest_ink` sets aside, away from the ink it keeps and in
    strokes at least STROKE_MIN_MM long: a stamp's ring and lettering, not the soft edges
    of the type (which touch its core) nor the grey haze of a copy of a copy (specks)."""
    strokes, _level = _other_ink_strokes(gray, dpi=dpi)
    return 0 if strokes is None else int(strokes.sum())


def _ink_level(gray: np.ndarray) -> float | None:
    """Otsu's level between the type and a lighter ink, over the region's ink; None when
    there is too little ink to tell."""
    values = gray[gray < INK_BELOW]
    if values.size < 64:
        return None
    level, _ = cv2.threshold(values.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(level)


def _other_ink_strokes(
    gray: np.ndarray, *, dpi: int, least: float = 0, level: float | None = None
) -> tuple[np.ndarray | None, float]:
    """The mask (1 on 0) of ink that `keep_darkest_ink` sets aside, away from the ink it
    keeps and in strokes at least STROKE_MIN_MM long, and the grey level between the two
    inks (``level``, or the region's own); None on a page of one ink (a bitonal scan, a
    page with nothing lighter), or with fewer than ``least`` pixels of the other."""
    ink = gray < INK_BELOW
    level = _ink_level(gray) if level is None else level
    if level is None:
        return None, 0.0
    near = cv2.dilate((gray <= level).astype(np.uint8), np.ones((2 * AWAY_PX + 1,) * 2, np.uint8))
    away = (ink & (near == 0)).astype(np.uint8)
    if least and np.count_nonzero(away) < least:
        return None, float(level)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(away, connectivity=8)
    long_enough = np.zeros(n, bool)
    long_enough[1:] = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) >= (
        STROKE_MIN_MM * dpi / 25.4
    )
    if not long_enough.any():
        return None, float(level)
    return long_enough[labels].astype(np.uint8), float(level)


def erase_stamps(gray: np.ndarray, *, dpi: int) -> tuple[np.ndarray, int]:
    """The page with the lighter ink of its rubber stamps painted over with paper, and how
    many stamps there were.

    A stamp is other ink (`other_ink`) gathered within STAMP_GATHER_MM into a patch at
    least STAMP_SIDE_MM on each side, at most STAMP_LONGEST_MM, and clear of the page's
    edges, holding STAMP_PAGE_MM2 of it: a ring with its lettering, or a boxed office
    stamp. Inside its box, everything paler than the type goes (by Otsu's level over the
    box's ink, or the page's if lower): the ring and lettering, and the paler edges of
    the type they cross; the type under the stamp is darker than both inks and stays.
    Done before Tesseract first reads the page, so that its layout analysis does not break
    the lines the stamp lies across into fragments (which `read_stamped_lines`, reading
    the lines Tesseract found, cannot mend). The stamp's own words are not the document's.
    """
    # Found on a copy half the size, patches gathered on one a quarter: a stamp is
    # centimetres across, and the page is read at full size.
    rows, cols = gray.shape
    half = cv2.resize(gray, (max(1, cols // 2), max(1, rows // 2)), interpolation=cv2.INTER_AREA)
    px_per_mm = dpi / 2 / 25.4
    least = STAMP_PAGE_MM2 * px_per_mm**2
    level = _ink_level(gray)  # at full size: halving blurs the type's edges into mid-greys
    if level is None:
        return gray, 0
    strokes, _ = _other_ink_strokes(half, dpi=dpi // 2, least=least, level=level)
    if strokes is None:
        return gray, 0
    small = cv2.resize(strokes.astype(np.float32), (max(1, cols // 4), max(1, rows // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, round(STAMP_GATHER_MM * px_per_mm / 2) | 1)
    patches = cv2.dilate((small > 0).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(patches, connectivity=8)
    ink_in = np.bincount(labels.ravel(), weights=small.ravel(), minlength=n) * 4  # in half-size pixels
    x, y, w, h = (stats[1:, i] for i in range(4))
    per_mm = px_per_mm / 2
    stamp = np.zeros(n, bool)
    stamp[1:] = (
        (np.minimum(w, h) >= STAMP_SIDE_MM * per_mm)
        & (np.maximum(w, h) <= STAMP_LONGEST_MM * per_mm)
        & (ink_in[1:] >= least)
        & (x > 0) & (y > 0) & (x + w < small.shape[1]) & (y + h < small.shape[0])  # an edge's grey band
    )
    if not stamp.any():
        return gray, 0
    out = gray.copy()
    for i in np.flatnonzero(stamp):
        left, top, width, height = (int(v) * 4 for v in stats[i, :4])
        box = out[top : top + height, left : left + width]  # the ring's inside too, where its lettering is
        local = _ink_level(box)
        box[box > (level if local is None else min(level, local))] = 255
    return out, int(stamp.sum())


def stamped_lines(gray: np.ndarray, words: Sequence[Word], *, dpi: int) -> list[list[int]]:
    """Indexes of the words of each line that a stamp lies over, least confident first.

    The whole line is looked at, gaps and all: where the stamp is darkest, Tesseract
    drops the words under it and reads the rest of the line confidently."""
    least = STAMP_INK_MM2 * (dpi / 25.4) ** 2
    found: list[tuple[float, list[int]]] = []
    for line in line_groups(words):
        ws = [words[i] for i in line]
        top, bottom = min(w.top for w in ws), max(w.top + w.height for w in ws)
        left, right = min(w.left for w in ws), max(w.left + w.width for w in ws)
        if other_ink(gray[top:bottom, left:right], dpi=dpi) >= least:
            found.append((mean_conf(ws), line))
    found.sort(key=lambda item: item[0])
    return [line for _conf, line in found[:MAX_STAMPED_LINES]]


def read_stamped_lines(
    gray: np.ndarray, words: Sequence[Word], *, lang: str, dpi: int, timeout: float = 0
) -> tuple[list[Word], frozenset[int]]:
    """New words for the stamped lines that read better with the stamp set aside, and
    the indexes of the words they replace."""
    found: list[Word] = []
    drop: set[int] = set()
    for n, cell in enumerate(stamped_lines(gray, words, dpi=dpi)):
        old = [words[i] for i in cell]
        new = recognize_region(
            gray,
            line_box(old, gray.shape),
            lang=lang,
            dpi=dpi,
            block=60_000 + 100 * n,
            timeout=timeout,
            psm=7,
            prepare=keep_darkest_ink,
        )
        new = [w for w in new if any(c.isalnum() for c in w.text)]
        if new and mean_conf(new) > mean_conf(old) + STAMPED_MARGIN:
            found.extend(new)
            drop.update(cell)
    return found, frozenset(drop)
