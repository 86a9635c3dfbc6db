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
    ink = gray[gray < INK_BELOW]
    if ink.size < 64:
        return gray
    level, _ = cv2.threshold(ink.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.where(gray <= level, gray, np.uint8(255)).astype(np.uint8)


def other_ink(gray: np.ndarray, *, dpi: int) -> int:
    """Pixels of ink that `keep_darkest_ink` sets aside, away from the ink it keeps and in
    strokes at least STROKE_MIN_MM long: a stamp's ring and lettering, not the soft edges
    of the type (which touch its core) nor the grey haze of a copy of a copy (specks)."""
    kept = keep_darkest_ink(gray)
    if kept is gray:
        return 0
    near = cv2.dilate((kept < INK_BELOW).astype(np.uint8), np.ones((2 * AWAY_PX + 1,) * 2, np.uint8))
    away = ((gray < INK_BELOW) & (near == 0)).astype(np.uint8)
    _n, _labels, stats, _ = cv2.connectedComponentsWithStats(away, connectivity=8)
    longest = STROKE_MIN_MM * dpi / 25.4
    return int(sum(area for _x, _y, w, h, area in stats[1:].tolist() if max(w, h) >= longest))


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
