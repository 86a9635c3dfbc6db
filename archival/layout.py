"""A page's stored words as blocks and lines in reading order, each line with its
direction and language, each word split into its bidi runs.

Every archival format reads the words through this one module, so the PDF text layer,
hOCR and ALTO agree on what a line is and in which order its words are read. It uses
no OpenCV and no Tesseract: only the stored words (text, box, confidence, Tesseract's
block/paragraph/line numbers).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from ocr.types import CELL_GAP_LINES, Word, split_cells

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z]")
# Hyphen-joined digit groups: Tesseract gives them last group first inside right-to-left
# lines; the catalog's text has them back in written order (ocr.tesseract.written_digit_groups).
_HYPHEN_GROUPS = re.compile("[0-9\u06f0-\u06f9\u0660-\u0669]+(?:-[0-9\u06f0-\u06f9\u0660-\u0669]+)+")


def written_digit_groups(text: str) -> str:
    """A right-to-left line's hyphen-joined digit groups in the order they were written."""
    return _HYPHEN_GROUPS.sub(lambda m: "-".join(reversed(m.group().split("-"))), text)


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of a word in one direction: its logical text and the share of the word's
    width it covers, placed left to right as the page shows it (``left`` in 0..1)."""

    text: str
    rtl: bool
    left: float
    width: float


@dataclass(frozen=True, slots=True)
class LineWord:
    """A word as the archive formats write it: logical text, box, confidence 0-100."""

    text: str
    conf: float
    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height


@dataclass(frozen=True, slots=True)
class Line:
    """One printed line (a form's cell when Tesseract ran cells together), words in
    reading order: right to left on a Persian line."""

    words: tuple[LineWord, ...]
    rtl: bool
    lang: str  # BCP 47, as ALTO (xsd:language) and hOCR (lang) take it: "fa" or "en"
    box: tuple[int, int, int, int] = field(init=False, compare=False)  # left, top, width, height

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", _union(self.words))

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True, slots=True)
class Block:
    lines: tuple[Line, ...]
    box: tuple[int, int, int, int] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", _union([w for line in self.lines for w in line.words]))


def _union(words: Sequence[LineWord]) -> tuple[int, int, int, int]:
    if not words:
        return (0, 0, 0, 0)
    left = min(w.left for w in words)
    top = min(w.top for w in words)
    return left, top, max(w.right for w in words) - left, max(w.bottom for w in words) - top


def is_rtl_text(text: str) -> bool:
    """Whether a line is Persian (Arabic-script letters at least as many as Latin ones)."""
    rtl = len(_ARABIC_SCRIPT.findall(text))
    return rtl > 0 and rtl >= len(_LATIN.findall(text))


def page_blocks(words: Sequence[Word]) -> list[Block]:
    """The page's blocks (Tesseract's), their lines split into cells at wide gaps, in
    reading order: blocks and lines top to bottom, a row's cells from the page's start
    side (the right on a Persian page)."""
    if not words:
        return []
    page_rtl = is_rtl_text(" ".join(w.text for w in words))
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        groups.setdefault((w.block, w.par, w.line), []).append(w)
    by_block: dict[int, list[Line]] = {}
    for (block, _par, _line), line_words in groups.items():
        for cell in split_cells(line_words):
            by_block.setdefault(block, []).append(_line_of(cell, page_rtl=page_rtl))
    blocks = [Block(tuple(_reading_order(lines, rtl=page_rtl))) for lines in by_block.values()]
    return _reading_order_blocks(blocks, rtl=page_rtl)


def page_lines(words: Sequence[Word]) -> list[Line]:
    """All lines of the page in reading order, across blocks (for the PDF text layer)."""
    lines = [line for block in page_blocks(words) for line in block.lines]
    if not lines:
        return []
    rtl = sum(line.rtl for line in lines) * 2 >= len(lines)
    return _merge_rows(_reading_order(lines, rtl=rtl))


def _merge_rows(lines: list[Line]) -> list[Line]:
    """Neighbouring lines of one printed row (Tesseract sometimes splits a line after
    its first word) joined, so a text layer has one baseline per printed line."""
    out: list[Line] = []
    for line in lines:
        if out and out[-1].rtl == line.rtl and _same_row(out[-1], line):
            prev = out[-1]
            height = max(prev.box[3], line.box[3])
            gap = (prev.box[0] - (line.box[0] + line.box[2])) if line.rtl else (line.box[0] - (prev.box[0] + prev.box[2]))
            if -height <= gap <= CELL_GAP_LINES * height:
                out[-1] = Line(prev.words + line.words, rtl=prev.rtl, lang=prev.lang)
                continue
        out.append(line)
    return out


def _same_row(a: Line, b: Line) -> bool:
    a_mid = a.box[1] + a.box[3] / 2
    b_mid = b.box[1] + b.box[3] / 2
    return a.box[1] <= b_mid <= a.box[1] + a.box[3] or b.box[1] <= a_mid <= b.box[1] + b.box[3]


def _line_of(cell: list[Word], *, page_rtl: bool) -> Line:
    text = " ".join(w.text for w in cell)
    rtl = is_rtl_text(text) if (_ARABIC_SCRIPT.search(text) or _LATIN.search(text)) else page_rtl
    fix = written_digit_groups if rtl else (lambda s: s)
    words = tuple(LineWord(fix(w.text), float(w.conf), w.left, w.top, w.width, w.height) for w in cell)
    return Line(words, rtl=rtl, lang="fa" if rtl else "en")


def _reading_order(lines: list[Line], *, rtl: bool) -> list[Line]:
    """Lines grouped into printed rows (vertical overlap of their middles), rows top to
    bottom, each row's lines from the start side."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ln.box[1] + ln.box[3] / 2):
        _, top, _, height = line.box
        middle = top + height / 2
        if rows:
            row_top = min(ln.box[1] for ln in rows[-1])
            row_bottom = max(ln.box[1] + ln.box[3] for ln in rows[-1])
            if row_top <= middle <= row_bottom:
                rows[-1].append(line)
                continue
        rows.append([line])
    out: list[Line] = []
    for row in rows:
        row.sort(key=lambda ln: -(ln.box[0] + ln.box[2]) if rtl else ln.box[0])
        out.extend(row)
    return out


def _reading_order_blocks(blocks: list[Block], *, rtl: bool) -> list[Block]:
    """Blocks by their top, then from the start side."""
    return sorted(blocks, key=lambda b: (b.box[1], -(b.box[0] + b.box[2]) if rtl else b.box[0]))


# -- bidi runs inside a word ------------------------------------------------------------

_STRONG_R = {"R", "AL"}
_NUMBER = {"EN", "AN"}
_NUMBER_JOINERS = {"ES", "CS", "ET"}  # '-', '/', '.', ',', '%' between digits stay with them


def _classes(text: str) -> list[str]:
    out: list[str] = []
    for ch in text:
        cls = unicodedata.bidirectional(ch)
        if cls == "NSM" and out:
            cls = out[-1]
        if cls in _STRONG_R:
            out.append("R")
        elif cls == "L":
            out.append("L")
        elif cls in _NUMBER:
            out.append("N")
        elif cls in _NUMBER_JOINERS:
            out.append("J")
        else:
            out.append("O")
    # a joiner between two digits is part of the number (Unicode bidi W4/W5, simplified)
    for i, cls in enumerate(out):
        if cls == "J":
            prev = next((c for c in reversed(out[:i]) if c != "J"), "O")
            nxt = next((c for c in out[i + 1 :] if c != "J"), "O")
            out[i] = "N" if prev == "N" and nxt == "N" else "O"
    return out


def word_runs(text: str, *, rtl_line: bool) -> list[Run]:
    """The word cut into direction runs, each with its place in the word's box.

    Persian letters run right to left; digits, Latin letters and the separators between
    digits left to right; anything else goes with its neighbours when both agree and
    with the line's direction otherwise. Runs are returned in logical order; ``left``
    and ``width`` say where each sits, as a share of the word's width, counting glyphs.
    """
    if not text:
        return []
    classes = _classes(text)
    strong = ["R" if c == "R" else ("L" if c in "LN" else None) for c in classes]
    base = "R" if rtl_line else "L"
    resolved: list[str] = []
    for i, s in enumerate(strong):
        if s is not None:
            resolved.append(s)
            continue
        prev = next((x for x in reversed(strong[:i]) if x is not None), base)
        nxt = next((x for x in strong[i + 1 :] if x is not None), base)
        resolved.append(prev if prev == nxt else base)
    pieces: list[tuple[str, bool]] = []
    for ch, d in zip(text, resolved, strict=True):
        rtl = d == "R"
        if pieces and pieces[-1][1] == rtl:
            pieces[-1] = (pieces[-1][0] + ch, rtl)
        else:
            pieces.append((ch, rtl))
    total = len(text)
    # Visual order: on a right-to-left line the runs go right to left; on a
    # left-to-right line a right-to-left run sits where it is written.
    order = range(len(pieces) - 1, -1, -1) if rtl_line else range(len(pieces))
    lefts = [0.0] * len(pieces)
    x = 0.0
    for k in order:
        lefts[k] = x
        x += len(pieces[k][0]) / total
    return [Run(text, rtl, lefts[k], len(text) / total) for k, (text, rtl) in enumerate(pieces)]
