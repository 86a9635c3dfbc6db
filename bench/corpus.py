"""Synthetic page texts for the search benchmarks, without drawing or OCR.

The generator's own plans, templates and page layouts (`samples.generate`) run with a
writer that records lines instead of drawing them, so the texts, digit styles, keyboards
and identifiers are those the scans of the same seed would show.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from samples.dossier import Filler, jalali_iso
from samples.generate import BUILDERS, PageBuilder, PagePlan, page_setup, plan_files
from samples.render import NBSP, Box, Style


class TextWriter:
    """The part of `samples.render.PageWriter` the page builders use, minus the drawing."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.lines: list[str] = []

    def _put(self, text: str) -> None:
        self.lines.append(text.replace(NBSP, " "))

    def room(self) -> int:
        return 10_000

    def line(self, text: str, **_: Any) -> None:
        self._put(text)

    def paragraph(self, text: str, **_: Any) -> None:
        self._put(text)

    def columns(self, cols: Sequence[Sequence[str]], **_: Any) -> list[Box]:
        for col in cols:
            for text in col:
                self._put(text)
        return [(0, 0, 0, 0) for _ in cols]

    def table_row(self, cells: Sequence[str], **_: Any) -> None:
        for text in cells:
            self._put(text)

    def grid_row(self, cells: Sequence[str], **_: Any) -> None:
        for text in cells:
            if text:
                self._put(text)

    def boxed(self, label: str, value: str, **_: Any) -> None:
        self._put(label)
        self._put(value)

    def ruled_columns(self, heads: Sequence[str], cols: Sequence[Sequence[str]], **_: Any
                      ) -> list[Box]:
        for head, col in zip(heads, cols, strict=True):
            self._put(head)
            for text in col:
                self._put(text)
        return [(0, 0, 0, 0) for _ in cols]

    def rule(self, **_: Any) -> None:
        pass

    def gap(self, _pixels: int) -> None:
        pass

    def footer(self, text: str, **_: Any) -> None:
        self._put(text)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _TextBuilder(PageBuilder):
    def sign(self, boxes: Sequence[Box], stamp_lines: Sequence[str]) -> None:
        pass


@dataclass(frozen=True, slots=True)
class SyntheticPage:
    dossier: str
    source: str
    page: int
    date: str | None
    text: str
    identifiers: tuple[dict[str, Any], ...]


def page_text(dossier: Any, plan: PagePlan) -> tuple[str, tuple[dict[str, Any], ...]]:
    """What `samples.generate.render_page` would print on the page, and its identifiers."""
    rng = random.Random(plan.seed)
    style, typing = page_setup(rng, plan)
    builder = _TextBuilder(TextWriter(style), Filler(dossier, typing, rng), rng, plan)  # type: ignore[arg-type]
    BUILDERS[plan.kind](builder)
    return builder.w.text, tuple(i.to_json() for i in builder.identifiers)


def synthetic_pages(pages: int, seed: int, preset: str = "bench") -> Iterator[SyntheticPage]:
    """`pages` pages of a preset (`bench`, or `wide` for tuning on its tuned split), in
    dossier and file order."""
    for plan in plan_files(preset, pages, seed):
        for number, page in enumerate(plan.pages, start=1):
            text, identifiers = page_text(plan.dossier, page)
            yield SyntheticPage(
                dossier=plan.dossier.folder, source=f"{plan.dossier.folder}/{plan.name}",
                page=number, date=jalali_iso(page.date) if page.date else None, text=text,
                identifiers=identifiers,
            )
