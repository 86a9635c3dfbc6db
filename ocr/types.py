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
