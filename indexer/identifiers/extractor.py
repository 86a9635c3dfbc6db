"""``extract``: the kinds' finders run over one page in the order of one table,
``_FINDERS``; a later finder's match overlapping an earlier one is dropped."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from indexer.identifiers.cleaning import _clean_with_offsets
from indexer.identifiers.dates import _find_dates, _find_repaired_dates
from indexer.identifiers.model import Identifier, OcrWord
from indexer.identifiers.national_id import _find_national_ids
from indexer.identifiers.numbers import _find_file_numbers, _find_permit_numbers
from indexer.identifiers.page import _box_and_confidence, _Match, _Page
from indexer.identifiers.plaque import _find_plaques, _reconcile_plaques
from indexer.identifiers.postal import _find_bare_postal_codes, _find_postal_codes
from indexer.identifiers.registers import _label_registers
from indexer.identifiers.renovation import _find_renovation_codes
from indexer.identifiers.ten_digits import _find_bare_tens
from indexer.identifiers.words import _align_words, _reading_order, text_from_words
from indexer.normalize import display

#: Finders by priority: a later finder's match overlapping an earlier one is dropped, so
#: ``پلاک ثبتی شماره ۴۵/۱۲۳`` is a plaque and not also a file number.
_FINDERS: tuple[tuple[str, Callable[[_Page], Iterator[_Match]]], ...] = (
    ("renovation_code", _find_renovation_codes),
    ("national_id", _find_national_ids),
    ("postal_code", _find_postal_codes),
    ("plaque", _find_plaques),
    ("permit_number", _find_permit_numbers),
    ("file_number", _find_file_numbers),
    ("bare_postal_code", _find_bare_postal_codes),
    ("bare_ten_digits", _find_bare_tens),
    ("date", _find_dates),
    ("repaired_date", _find_repaired_dates),
)


def extract(text: str, words: Sequence[OcrWord] | None = None) -> list[Identifier]:
    """Every identifier in ``text``, in page order.

    ``words`` (OCR words with boxes and confidences) are optional: given, they put a box
    and a confidence on each identifier and settle the order of digit groups that OCR
    split into separate words. With an empty ``text`` the text is built from ``words``.
    """
    words = words or ()
    if not text and words:
        text = text_from_words(words)
    clean, offsets = _clean_with_offsets(text)
    spans: list[tuple[int, int, int]] = []
    if words:
        clean, offsets, spans = _reading_order(clean, offsets, words, _align_words(clean, words))
    clean, offsets, spans = _label_registers(clean, offsets, spans)
    page = _Page(clean, words, spans, source=text, offsets=offsets)
    accepted: list[_Match] = []
    for _name, finder in _FINDERS:
        for match in finder(page):
            if not any(match.start < m.end and m.start < match.end for m in accepted):
                accepted.append(match)
    _reconcile_plaques(accepted)
    found = []
    for match in sorted(accepted, key=lambda m: m.start):
        covered = offsets[match.start : match.end]
        start, end = min(covered), max(covered) + 1
        box, confidence = _box_and_confidence(page, match.start, match.end)
        for ident in match.found:
            found.append(
                replace(
                    ident,
                    text=display(text[start:end]),
                    start=start,
                    end=end,
                    box=box,
                    confidence=confidence,
                )
            )
    return found
