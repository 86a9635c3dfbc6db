"""The Tesseract engine: one call per page, keeping words, boxes and confidences.

Wraps one external program (OCRmyPDF's `_exec/tesseract.py` is the model): keyword-only
options, an empty page turned into an empty reading, real failures re-raised typed.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
import pytesseract

from indexer.normalize import BIDI_MARKS
from ocr import engine
from ocr.errors import RecognitionFailed
from ocr.types import Word, split_cells

# Marks Tesseract inserts around numbers in right-to-left lines; never part of the text.
_NO_BIDI = dict.fromkeys(map(ord, BIDI_MARKS))


@dataclass(frozen=True, slots=True)
class Reading:
    """Tesseract's reading of one page image."""

    words: tuple[Word, ...]
    text: str
    confidence: float  # mean word confidence, 0-100; 0.0 for a page with no words

    @classmethod
    def empty(cls) -> Reading:
        return cls((), "", 0.0)


def _no_data() -> dict[str, list]:
    """`image_to_data`'s columns for a page without words."""
    return {name: [] for name in engine.TSV_HEADER.split("\t")}


def _config(*, psm: int, dpi: int, extra: str = "") -> str:
    parts = [f"--psm {psm}", f"--dpi {dpi}", "-c preserve_interword_spaces=0"]
    if extra:
        parts.append(extra)
    return " ".join(parts)


def image_data(gray: np.ndarray, *, lang: str, config: str, timeout: float = 0) -> dict[str, list]:
    """`image_to_data` on a grey page handed to Tesseract as an uncompressed PGM file.

    Read in this process where `ocr.engine` can (the models stay loaded); otherwise by
    the `tesseract` program, to which pytesseract would write a PNG of the page for every
    call: compressing a page costs as much as a tenth of Tesseract's own reading, and the
    PGM is read back faster.
    """
    tsv = engine.image_tsv(gray, lang=lang, config=config, timeout=timeout)
    if tsv is not None:
        return pytesseract.pytesseract.file_to_dict(tsv, "\t", -1) or _no_data()
    fd, path = tempfile.mkstemp(prefix="parvandeh-", suffix=".pgm")
    os.close(fd)
    try:
        if not cv2.imwrite(path, np.ascontiguousarray(gray, dtype=np.uint8)):
            raise RecognitionFailed(f"could not write the page for Tesseract to {path}")
        return pytesseract.image_to_data(
            path, lang=lang, config=config, output_type=pytesseract.Output.DICT, timeout=timeout
        )
    finally:
        os.unlink(path)


def recognize(
    gray: np.ndarray,
    *,
    lang: str = "fas+eng",
    dpi: int = 300,
    psm: int = 3,
    timeout: float = 0,
    extra_config: str = "",
) -> Reading:
    """OCR one page; words come back in Tesseract's reading order per line."""
    try:
        data = image_data(gray, lang=lang, config=_config(psm=psm, dpi=dpi, extra=extra_config), timeout=timeout)
    except RuntimeError as e:  # pytesseract signals its own timeout this way
        raise RecognitionFailed(f"Tesseract timed out after {timeout:.0f} s") from e
    except pytesseract.TesseractError as e:
        if "Empty page" in str(e.message):
            return Reading.empty()
        raise RecognitionFailed(f"Tesseract failed: {e.message}") from e
    return reading_from_data(data)


def _words_from_data(data: dict[str, list], *, dx: int = 0, dy: int = 0, block: int = 0) -> list[Word]:
    """Words of `image_to_data`, bidi marks removed, shifted by (dx, dy) and ``block``."""
    words: list[Word] = []
    dx, dy, block = int(dx), int(dy), int(block)
    for i, raw in enumerate(data["text"]):
        text = str(raw or "").translate(_NO_BIDI).strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        words.append(
            Word(
                text=text,
                conf=conf,
                left=int(data["left"][i]) + dx,
                top=int(data["top"][i]) + dy,
                width=int(data["width"][i]),
                height=int(data["height"][i]),
                block=int(data["block_num"][i]) + block,
                par=int(data["par_num"][i]),
                line=int(data["line_num"][i]),
            )
        )
    return words


def with_words(reading: Reading, extra: list[Word], *, drop: frozenset[int] = frozenset()) -> Reading:
    """The reading with more words (lines a second look found) and without the words at
    the indexes in ``drop`` (lines read again in another language), text re-assembled."""
    if not extra and not drop:
        return reading
    return reading_of([*(w for i, w in enumerate(reading.words) if i not in drop), *extra])


def reading_of(words: list[Word]) -> Reading:
    """A reading made of these words: text assembled, confidence their mean."""
    if not words:
        return Reading.empty()
    return Reading(tuple(words), assemble_text(words), round(mean_conf(words), 2))


def mean_conf(words: Sequence[Word]) -> float:
    """Mean word confidence, 0-100; 0.0 for no words."""
    return sum(w.conf for w in words) / len(words) if words else 0.0


def line_groups(words: Sequence[Word]) -> list[list[int]]:
    """Indexes of the words of each line Tesseract found (block, paragraph, line), in its order."""
    lines: dict[tuple[int, int, int], list[int]] = {}
    for i, w in enumerate(words):
        lines.setdefault((w.block, w.par, w.line), []).append(i)
    return list(lines.values())


def line_box(words: Sequence[Word], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(left, top, width, height) around these words of one line, with a quarter of the
    line's height (at least 4 px) of margin, inside an image of ``shape``: the region a
    line is read again from on its own."""
    top, bottom = min(w.top for w in words), max(w.top + w.height for w in words)
    left, right = min(w.left for w in words), max(w.left + w.width for w in words)
    pad = max(4, (bottom - top) // 4)
    h_img, w_img = shape[:2]
    x0, y0 = max(0, left - pad), max(0, top - pad)
    return x0, y0, min(w_img, right + pad) - x0, min(h_img, bottom + pad) - y0


def is_latin_text(words: list[Word] | tuple[Word, ...]) -> bool:
    """Whether these words are written in Latin letters (an English line), not Persian."""
    return not is_rtl_page(words) and any(_LATIN_LETTER.search(w.text) for w in words)


def recognize_region(
    gray: np.ndarray,
    box: tuple[int, int, int, int],
    *,
    lang: str,
    dpi: int,
    block: int,
    timeout: float = 0,
    psm: int = 6,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[Word]:
    """Words of one region (left, top, width, height), in page coordinates.

    Read as a single block (``psm`` 6) or a single line (7); ``prepare`` changes the
    region's pixels first (the page itself is left alone).
    """
    left, top, width, height = box
    crop = gray[top : top + height, left : left + width]
    if prepare is not None:
        crop = prepare(crop)
    try:
        data = image_data(crop, lang=lang, config=_config(psm=psm, dpi=dpi), timeout=timeout)
    except (RuntimeError, pytesseract.TesseractError, RecognitionFailed):
        return []  # a second look is a bonus; its failure leaves the first reading
    return _words_from_data(data, dx=left, dy=top, block=block)


def recognize_strips(
    gray: np.ndarray,
    boxes: Sequence[tuple[int, int, int, int]],
    *,
    lang: str,
    dpi: int,
    scale: float = 1.0,
    timeout: float = 0,
) -> list[list[Word]]:
    """The words of each one-line region (left, top, width, height), in page coordinates,
    from one Tesseract call: the regions, enlarged ``scale`` times, are stacked one under
    the other with blank rows between them and read as a block. A call costs Tesseract's
    start-up (about 20 ms) however small the region, so many small regions read
    together cost a fraction of reading each alone."""
    if not boxes:
        return []
    crops = []
    for left, top, width, height in boxes:
        crop = gray[top : top + height, left : left + width]
        if scale != 1.0:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        crops.append(crop)
    margin = max(c.shape[0] for c in crops)
    canvas = np.full(
        (margin + sum(c.shape[0] + margin for c in crops), max(c.shape[1] for c in crops) + 2 * margin),
        255,
        np.uint8,
    )
    origins = []
    y = margin
    for crop in crops:
        canvas[y : y + crop.shape[0], margin : margin + crop.shape[1]] = crop
        origins.append(y)
        y += crop.shape[0] + margin
    try:
        data = image_data(canvas, lang=lang, config=_config(psm=6, dpi=round(dpi * scale)), timeout=timeout)
    except (RuntimeError, pytesseract.TesseractError, RecognitionFailed):
        return [[] for _ in boxes]  # a re-read is a bonus; its failure leaves the first reading
    found: list[list[Word]] = [[] for _ in boxes]
    for w in _words_from_data(data):
        middle = w.top + w.height / 2
        for k, (origin, crop) in enumerate(zip(origins, crops, strict=True)):
            if origin <= middle < origin + crop.shape[0]:
                left, top = boxes[k][0], boxes[k][1]
                found[k].append(
                    replace(
                        w,
                        left=left + round((w.left - margin) / scale),
                        top=top + round((w.top - origin) / scale),
                        width=round(w.width / scale),
                        height=round(w.height / scale),
                    )
                )
                break
    return found


def reading_from_data(data: dict[str, list]) -> Reading:
    """Build words and reading-ordered text from `image_to_data`'s columns."""
    return reading_of(_words_from_data(data))


HEAD_ROWS = 3  # a letterhead starts within this many printed rows of the page top
HEAD_MAX_ROWS = 5  # and is this short; longer side-by-side runs are form rows, read across
_RTL_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_LETTER = re.compile("[A-Za-z]")


@dataclass(slots=True)
class _Segment:
    """A run of words on one printed line, one cell or column wide."""

    words: list[Word]
    left: int
    top: int
    right: int
    bottom: int

    @classmethod
    def of(cls, words: list[Word]) -> _Segment:
        return cls(
            words,
            min(w.left for w in words),
            min(w.top for w in words),
            max(w.left + w.width for w in words),
            max(w.top + w.height for w in words),
        )

    def text(self, *, rtl: bool, written_order: bool) -> str:
        line = " ".join(w.text for w in self.words)
        if written_order and rtl and _RTL_LETTER.search(line):
            return written_digit_groups(line)
        return line


# Digit groups joined by hyphens (a renovation code, a postal code): Tesseract gives them
# last group first inside right-to-left lines. Slash-joined groups come back in order.
# Off for now: indexer.identifiers restores the order itself from Tesseract's order, and
# turning one word of a number that OCR split in two defeats its joining of the parts.
WRITTEN_DIGIT_ORDER = True
_HYPHEN_GROUPS = re.compile("[0-9\u06f0-\u06f9\u0660-\u0669]+(?:-[0-9\u06f0-\u06f9\u0660-\u0669]+)+")


def written_digit_groups(line: str) -> str:
    """A right-to-left line with its hyphen-joined digit groups put back in written order."""
    return _HYPHEN_GROUPS.sub(lambda m: "-".join(reversed(m.group().split("-"))), line)


def is_rtl_page(words: list[Word] | tuple[Word, ...]) -> bool:
    """Whether most letters on the page are Arabic-script (Persian) rather than Latin."""
    rtl = sum(len(_RTL_LETTER.findall(w.text)) for w in words)
    ltr = sum(len(_LATIN_LETTER.findall(w.text)) for w in words)
    return rtl >= ltr


def assemble_text(words: list[Word] | tuple[Word, ...], *, written_order: bool = WRITTEN_DIGIT_ORDER) -> str:
    """Page text in reading order, one printed line per text line.

    Tesseract's own block order reads a two-column form column after column and runs a
    letterhead's two columns into one line. Here lines are split at wide gaps into
    cells; cells sharing a printed row are read from the page's starting side (right on
    Persian pages), rows top to bottom; a letterhead at the top of the page (side-by-side
    blocks of several lines with no full-width line between) is read column by column.
    With ``written_order``, hyphen-joined digit groups on RTL lines are put back in their
    written order (``written_digit_groups``).
    """
    if not words:
        return ""
    rtl = is_rtl_page(words)
    segments = _segments(words)
    rows = _rows(segments, rtl=rtl)
    return "\n".join(seg.text(rtl=rtl, written_order=written_order) for seg in _order(rows, rtl=rtl))


def _segments(words: list[Word] | tuple[Word, ...]) -> list[_Segment]:
    out: list[_Segment] = []
    for line_words in ([words[i] for i in group] for group in line_groups(words)):
        out.extend(_Segment.of(cell) for cell in split_cells(line_words))
    return out


def _rows(segments: list[_Segment], *, rtl: bool) -> list[list[_Segment]]:
    """Segments grouped into printed rows (vertical overlap), each row from its start side."""
    rows: list[list[_Segment]] = []
    for seg in sorted(segments, key=lambda s: (s.top + s.bottom) / 2):
        middle = (seg.top + seg.bottom) / 2
        if rows:
            last = rows[-1]
            top = min(s.top for s in last)
            bottom = max(s.bottom for s in last)
            if top <= middle <= bottom:
                last.append(seg)
                continue
        rows.append([seg])
    for row in rows:
        row.sort(key=lambda s: -s.right if rtl else s.left)
    return rows


def _order(rows: list[list[_Segment]], *, rtl: bool) -> list[_Segment]:
    """Rows in order, except a top-of-page letterhead, which is read column by column."""
    if not rows:
        return []
    out: list[_Segment] = []
    for i in range(min(HEAD_ROWS, len(rows))):
        run = _column_run(rows, i, rtl=rtl)
        if run and len(run) <= HEAD_MAX_ROWS:
            for row in rows[:i]:
                out.extend(row)
            out.extend(_by_columns(run))
            rest = rows[i + len(run) :]
            break
        if run:  # a form's rows, not a letterhead: read across
            rest = rows
            break
    else:
        rest = rows
    for row in rest:
        out.extend(row)
    return out


def _column_run(rows: list[list[_Segment]], start: int, *, rtl: bool) -> list[list[_Segment]]:
    """Rows from ``start`` set as side-by-side columns, or [] if they are not.

    Two-cell rows whose gap stays put, then one-cell rows continuing only the far column
    (a number block one line longer than the letterhead beside it).
    """
    run: list[list[_Segment]] = []
    split: float | None = None
    for row in rows[start:]:
        if len(row) == 2:
            edge = (row[0].left + row[1].right) / 2 if rtl else (row[0].right + row[1].left) / 2
            if split is not None and not _between(row, split):
                break
            split = edge if split is None else split
            run.append(row)
            continue
        if len(row) == 1 and split is not None and len(run) >= 1:
            seg = row[0]
            if (rtl and seg.right < split) or (not rtl and seg.left > split):
                run.append(row)
                continue
        break
    return run if len(run) >= 2 and sum(len(r) == 2 for r in run) >= 2 else []


def _between(row: list[_Segment], split: float) -> bool:
    a, b = sorted(row, key=lambda s: s.left)
    return a.right <= split <= b.left


def _by_columns(rows: list[list[_Segment]]) -> list[_Segment]:
    """The start-side column top to bottom, then the far one."""
    first = [row[0] for row in rows if len(row) == 2]
    rest = [row[-1] for row in rows]
    return first + rest


def osd(gray: np.ndarray, *, dpi: int, min_characters: int = 20, timeout: float = 10) -> tuple[int, float] | None:
    """Tesseract's orientation (clockwise turn to upright, confidence), or None when it cannot tell."""
    config = f"--psm 0 --dpi {dpi} -c min_characters_to_try={min_characters}"
    found = engine.image_osd(gray, config=config)
    if found is not False:
        return found
    try:
        found = pytesseract.image_to_osd(gray, config=config, output_type=pytesseract.Output.DICT, timeout=timeout)
        return int(found["rotate"]) % 360, float(found["orientation_conf"])
    except (pytesseract.TesseractError, RuntimeError, KeyError, ValueError):
        # "Too few characters", a timeout, or output we cannot read: no opinion.
        return None
