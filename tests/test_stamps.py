"""Lines under a rubber stamp (ocr.stamps): found by the stamp's lighter ink, read again
without it."""

from __future__ import annotations

import numpy as np
import pytest

from ocr.stamps import STAMP_INK_MM2, other_ink, read_stamped_lines, stamped_lines
from ocr.types import Word
from tests.imaging import PERSIAN_LINES, render_page, word_recall
from tests.test_ocr_page import _stamped

DPI = 180


def _page() -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Three Persian lines and the (top, bottom) rows of each line's ink."""
    page = render_page(PERSIAN_LINES[:3], dpi=DPI, font_pt=12, line_spacing=4.0)
    rows = np.flatnonzero((page < 128).any(axis=1))
    breaks = np.flatnonzero(np.diff(rows) > 8)
    tops = [int(rows[0]), *(int(rows[i + 1]) for i in breaks)]
    bottoms = [*(int(rows[i]) for i in breaks), int(rows[-1])]
    return page, list(zip(tops, bottoms, strict=True))


def _line_words(page: np.ndarray, lines: list[tuple[int, int]], conf: float) -> list[Word]:
    """One word per line spanning its ink, as a weak reading would box it."""
    words = []
    for n, (top, bottom) in enumerate(lines):
        cols = np.flatnonzero((page[top : bottom + 1] < 128).any(axis=0))
        words.append(Word("...", conf, int(cols[0]), top, int(cols[-1] - cols[0] + 1), bottom - top + 1, 1, 1, n + 1))
    return words


def test_a_stamp_s_ink_is_told_from_the_soft_edges_of_the_type() -> None:
    page, lines = _page()
    least = STAMP_INK_MM2 * (DPI / 25.4) ** 2
    top, bottom = lines[1]
    stamped = _stamped(page, level=120, centre=(400, (top + bottom) // 2), radius=45)
    assert other_ink(stamped[top:bottom, :], dpi=DPI) >= least
    assert other_ink(page[top:bottom, :], dpi=DPI) == 0  # anti-aliased type alone


def test_only_the_line_under_the_stamp_is_picked() -> None:
    page, lines = _page()
    top, bottom = lines[1]
    stamped = _stamped(page, level=120, centre=(400, (top + bottom) // 2), radius=45)
    assert stamped_lines(stamped, _line_words(stamped, lines, conf=90.0), dpi=DPI) == [[1]]
    assert stamped_lines(page, _line_words(page, lines, conf=90.0), dpi=DPI) == []  # no stamp


@pytest.mark.slow
def test_the_words_a_stamp_hid_are_read_without_it() -> None:
    """Tesseract drops the plaque's ۱۲۳ فرعی under the stamp and reads the rest of the
    line well; read with the stamp's ink set aside, the line is whole."""
    from ocr.tesseract import recognize

    page, lines = _page()
    top, bottom = lines[1]
    stamped = _stamped(page, level=120, centre=(400, (top + bottom) // 2), radius=45)
    first = recognize(stamped, lang="fas", dpi=DPI)
    under = {i for i, w in enumerate(first.words) if top <= w.top + w.height / 2 <= bottom}
    as_read = " ".join(first.words[i].text for i in sorted(under))
    found, drop = read_stamped_lines(stamped, first.words, lang="fas", dpi=DPI)
    assert drop == under
    again = " ".join(w.text for w in found)
    assert word_recall(as_read, [PERSIAN_LINES[1]]) < 0.9
    assert word_recall(again, [PERSIAN_LINES[1]]) >= 0.9
