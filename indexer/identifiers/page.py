"""The page being searched: its cleaned text, its OCR words and where they sit in it, and
the digit groups and words of a number; ``_Match`` is what a finder yields."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from indexer.identifiers.model import Identifier, Kind, OcrWord
from indexer.identifiers.patterns import _ARABIC_LETTER_RE, _DIGITS_RE, _FLAGS, _TOKEN_RE

_UNIT_AFTER_RE = re.compile(r"[ ]{0,3}(?:متر|m2|m²|sq|%|درصد|ریال|تومان|cm|mm)", _FLAGS)

_Group = tuple[str, int, int]  # digits (or a token), start, end (cleaned-text positions)


@dataclass
class _Page:
    clean: str
    words: Sequence[OcrWord] = ()
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # start, end, word index
    source: str = ""  # the text given to extract, for what cleaning folded (digit scripts)
    offsets: list[int] = field(default_factory=list)  # cleaned position -> source position
    _years: set[int] | None = None  # the years of its dates, read once (dates._page_years)

    def is_rtl(self, pos: int) -> bool:
        """Whether the line around ``pos`` has Arabic-script letters (Tesseract reads it RTL)."""
        start = self.clean.rfind("\n", 0, pos) + 1
        end = self.clean.find("\n", pos)
        return bool(
            _ARABIC_LETTER_RE.search(self.clean, start, end if end >= 0 else len(self.clean))
        )

    def has_no_letters(self, pos: int) -> bool:
        """Whether the line around ``pos`` is digits and marks only (a form's value cell
        on a line of its own), whose direction its text does not tell."""
        start = self.clean.rfind("\n", 0, pos) + 1
        end = self.clean.find("\n", pos)
        return not any(c.isalpha() for c in self.clean[start : end if end >= 0 else len(self.clean)])

    def words_in(self, start: int, end: int) -> list[int]:
        return [i for s, e, i in self.spans if s < end and start < e]

    def visual_order(self, groups: Sequence[_Group]) -> list[int] | None:
        """Left-to-right order of ``groups`` on the page, when each is its own word on one line."""
        if len(groups) < 2 or not self.spans:
            return None
        owners = []
        for _digits, start, end in groups:
            found = self.words_in(start, end)
            if len(found) != 1:
                return None
            owners.append(found[0])
        if len(set(owners)) != len(owners):
            return None
        lines = {(self.words[i].block, self.words[i].par, self.words[i].line) for i in owners}
        if len(lines) != 1:
            return None
        return sorted(range(len(groups)), key=lambda k: self.words[owners[k]].left)

    def visual(self, tokens: Sequence[_Group]) -> list[_Group]:
        """``tokens`` (one number split into words) left to right as the page shows them.

        Word boxes say it when there are some; otherwise a right-to-left line lists the
        words of a number from its right end, so their order is reversed.
        """
        order = self.visual_order(tokens)
        if order is not None:
            return [tokens[k] for k in order]
        if len(tokens) > 1 and self.is_rtl(tokens[0][1]):
            return list(tokens[::-1])
        return list(tokens)

    def scripts(self, start: int, end: int) -> str:
        """The digits of ``clean[start:end]`` as the source wrote them (Persian, Arabic, ASCII)."""
        if not self.offsets:
            return self.clean[start:end]
        return "".join(self.source[self.offsets[i]] for i in range(start, end))


@dataclass
class _Match:
    """Identifiers found on one span (several when one long form lists several فرعی)."""

    start: int
    end: int
    found: list[Identifier]
    flipped: str | None = None  # the A/F plaque read the other way round


def _groups(page: _Page, start: int, end: int) -> list[_Group]:
    return [(m.group(), m.start(), m.end()) for m in _DIGITS_RE.finditer(page.clean, start, end)]


def _tokens(page: _Page, start: int, end: int) -> list[_Group]:
    """The words of a number, spaces around separators dropped (``۰۸ - ۰۳`` is one word)."""
    return [
        (m.group().replace(" ", ""), m.start(), m.end())
        for m in _TOKEN_RE.finditer(page.clean, start, end)
    ]


def _ident(kind: Kind, start: int, end: int, canonical: str, **extra: Any) -> Identifier:
    return Identifier(kind=kind, text="", canonical=canonical, start=start, end=end, **extra)


def _has_unit_after(page: _Page, pos: int) -> bool:
    return _UNIT_AFTER_RE.match(page.clean, pos) is not None


def _take_digits(groups: Sequence[_Group], want: int) -> list[_Group] | None:
    """The leading groups that hold exactly ``want`` digits, if they do."""
    taken, count = [], 0
    for group in groups:
        taken.append(group)
        count += len(group[0])
        if count == want:
            return taken
        if count > want:
            return None
    return None


def _box_and_confidence(
    page: _Page, start: int, end: int
) -> tuple[tuple[int, int, int, int] | None, float | None]:
    covered = [page.words[i] for i in page.words_in(start, end)]
    if not covered:
        return None, None
    left = min(w.left for w in covered)
    top = min(w.top for w in covered)
    right = max(w.left + w.width for w in covered)
    bottom = max(w.top + w.height for w in covered)
    confs = [float(w.conf) for w in covered if w.conf >= 0]
    return (left, top, right - left, bottom - top), (min(confs) if confs else None)
