"""Renovation codes (کد نوسازی): six digit groups of the 2-2-3-3-3-3 shape, region first,
after their label (however OCR split the words) or, whole, without it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from indexer.identifiers.model import Kind
from indexer.identifiers.page import _groups, _ident, _Match, _Page, _tokens
from indexer.identifiers.patterns import _END, _FLAGS, _GAP, _KAD, _NUMBER_START, _OF, _TOKEN

RENOVATION_SHAPE = (2, 2, 3, 3, 3, 3)

_RUN = rf"{_TOKEN}(?:[ ]{_TOKEN}){{0,5}}"

_RENOVATION_RE = re.compile(
    rf"(?:(?<!\w)(?:{_KAD}[ ]*)?[نت]?وسا[زرژ]ی|\brenovation[ ]+code){_GAP}"
    rf"(?:{_OF}|[a-z]{{2,4}}[ ]{{1,3}})(?P<v>{_RUN})",
    _FLAGS,
)

# A whole code without its label (the label misread: کد نوسازي ملكث.): six hyphenated groups
# of the 2-2-3-3-3-3 shape, which nothing else in a dossier has.
_RENOVATION_BARE_RE = re.compile(rf"{_NUMBER_START}(?P<v>\d{{2,3}}(?:[ ]?-[ ]?\d{{2,3}}){{5}}){_END}")


def _joins(parts: Sequence[str]) -> Iterator[tuple[int, str]]:
    """Every way to put a number's word pieces together: at each gap the pieces are either
    one group cut in two by OCR (concatenated) or two groups (joined by ``-``).

    Yields (number of concatenations, joined text).
    """
    for mask in range(1 << (len(parts) - 1)):
        out, glued = parts[0], 0
        for i, part in enumerate(parts[1:]):
            if mask >> i & 1:
                out += "-" + part
            else:
                out += part
                glued += 1
        yield glued, out


def _shape_score(lengths: Sequence[int]) -> int:
    return sum(1 for n, want in zip(lengths, RENOVATION_SHAPE, strict=False) if n == want)


def _renovation_groups(digits: Sequence[str]) -> tuple[list[str], str | None]:
    """Renovation-code groups in reading order (region first) and a warning if odd-shaped."""
    groups = list(digits)
    if len(groups) == 1 and len(groups[0]) == sum(RENOVATION_SHAPE):
        run, groups, at = groups[0], [], 0
        for size in RENOVATION_SHAPE:
            groups.append(run[at : at + size])
            at += size
    lengths = [len(g) for g in groups]
    if _shape_score(lengths[::-1]) > _shape_score(lengths):
        groups.reverse()
        lengths.reverse()
    fits = len(groups) <= len(RENOVATION_SHAPE) and _shape_score(lengths) == len(groups)
    return groups, None if fits else "renovation code does not have the 2-2-3-3-3-3 shape"


def _renovation_fit(groups: Sequence[str]) -> tuple[list[str], int] | None:
    """Six groups of the 2-2-3-3-3-3 shape in reading order, and how many ۰ were restored.

    Either orientation is tried (an RTL line shows the groups reversed). A group of zeros
    one digit short is restored: Persian ۰ is a dot that OCR loses, and a group of zeros
    stays a group of zeros. None when the groups are not a whole code.
    """
    if len(groups) == 1 and len(groups[0]) == sum(RENOVATION_SHAPE):
        return _renovation_groups(groups)[0], 0
    if len(groups) != len(RENOVATION_SHAPE):
        return None
    best: tuple[list[str], int] | None = None
    for candidate in (list(groups), list(groups)[::-1]):
        fixed, restored = [], 0
        for group, want in zip(candidate, RENOVATION_SHAPE, strict=True):
            if len(group) == want:
                fixed.append(group)
            elif len(group) == want - 1 and not group.strip("0"):
                fixed.append("0" * want)
                restored += 1
            else:
                break
        else:
            if restored <= 1 and (best is None or restored < best[1]):
                best = (fixed, restored)
    return best


def _find_renovation_codes(page: _Page) -> Iterator[_Match]:
    labelled: list[tuple[int, int]] = []
    for found in _labelled_renovation_codes(page):
        labelled.append((found.start, found.end))
        yield found
    for m in _RENOVATION_BARE_RE.finditer(page.clean):
        if any(s < m.end() and m.start() < e for s, e in labelled):
            continue
        fit = _renovation_fit(re.split(r"[ ]?-[ ]?", m.group("v")))
        if fit is not None and fit[1] == 0:
            start, end = m.span("v")
            yield _Match(start, end, [_ident(Kind.RENOVATION_CODE, start, end, "-".join(fit[0]))])


def _labelled_renovation_codes(page: _Page) -> Iterator[_Match]:
    for m in _RENOVATION_RE.finditer(page.clean):
        tokens = _tokens(page, *m.span("v"))
        best: tuple[tuple[int, int, int], list[str], int] | None = None
        for k in range(1, len(tokens) + 1):
            pieces = [t[0] for t in page.visual(tokens[:k])]
            for glued, joined in _joins(pieces):
                groups = [g for g in re.split(r"[-/]+", joined) if g]
                fit = _renovation_fit(groups)
                if fit is not None:
                    rank = (fit[1], k, glued)
                    if best is None or rank < best[0]:
                        best = (rank, fit[0], k)
        if best is not None:
            (restored, _k, _glued), digits, k = best
            start, end = tokens[0][1], tokens[k - 1][2]
            warning = "a lost ۰ of a zero group restored" if restored else None
            yield _Match(
                start,
                end,
                [_ident(Kind.RENOVATION_CODE, start, end, "-".join(digits), warning=warning)],
            )
            continue
        # Not a whole code: the first word's groups, kept for QA and dossier consensus.
        start, end = tokens[0][1], tokens[0][2]
        found = [g[0] for g in _groups(page, start, end)]
        if len(found) < 2:
            continue
        digits, warning = _renovation_groups(found)
        warning = warning or f"renovation code has {len(digits)} of its 6 groups"
        yield _Match(
            start,
            end,
            [
                _ident(
                    Kind.RENOVATION_CODE,
                    start,
                    end,
                    "-".join(digits),
                    valid=False,
                    warning=warning,
                )
            ],
        )
