"""Typed values that cross the process boundary (they must stay picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Word:
    """One recognized word: what Tesseract read, where, and how sure it was."""

    text: str
    conf: float
    left: int
    top: int
    width: int
    height: int
    block: int = 0
    par: int = 0
    line: int = 0

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.width, self.height)


@dataclass(frozen=True, slots=True)
class CleanInfo:
    """What cleaning did to a page, kept in the catalog for QA."""

    rotation: int = 0
    skew: float = 0.0
    dpi: int = 300
    source_dpi: int | None = None
    dpi_estimated: bool = False
    recipe: str = "none"
    steps: tuple[str, ...] = field(default_factory=tuple)
    line_mm: float | None = None  # median height of the text lines (ink band), None if unmeasured


# A gap wider than this many line heights between two words of one Tesseract line
# separates two cells or columns of a form that Tesseract ran together.
CELL_GAP_LINES = 2.5


def split_cells(line_words: list[Word]) -> list[list[Word]]:
    """One Tesseract line cut into cells at wide gaps; each cell keeps the line's word
    order, which is the reading order (boxes are not: a number re-read glyph by glyph may
    have a box reaching over its neighbours). Pure, so exports need no OpenCV."""
    height = sorted(w.height for w in line_words)[len(line_words) // 2]
    by_x = sorted(line_words, key=lambda w: w.left)
    runs: list[list[Word]] = [[by_x[0]]]
    for prev, w in zip(by_x, by_x[1:], strict=False):
        if w.left - (prev.left + prev.width) > CELL_GAP_LINES * max(height, 1):
            runs.append([])
        runs[-1].append(w)
    cells = []
    for run in runs:
        keep = set(map(id, run))
        cells.append([w for w in line_words if id(w) in keep])
    return cells
