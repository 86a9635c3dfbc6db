"""Parcel identifiers in OCR text: plaques, codes, file and permit numbers, dates.

Shaped like eyecite: ``clean_text`` (a named list of ``str -> str`` steps), ``extract``
(text, optionally OCR words, in; frozen ``Identifier`` values out) and ``canonical_query``
(what a planner types, in the form the catalog stores). Canonical values always use ASCII
digits; ``Identifier.text`` keeps the page's own letters and digits.

Tesseract returns ``-`` or ``/`` separated digit groups inside right-to-left lines in
reversed group order. The true order is restored, in this order of trust:

1. word boxes: when the groups are separate OCR words on one line, left-to-right on the
   page is the reading order of a number;
2. the known shape of the value: renovation codes are 2-2-3-3-3-3 digits (region first),
   dates have their 4-digit year at one end, file and permit numbers end with a 2-digit
   year, national ids must pass their checksum, postal codes have no 0 or 2 in their first
   five digits (and, as a tie-break, Karaj codes start with 31);
3. for ``A/F`` plaques, which have no shape, a long form (``F فرعی از A اصلی``) on the
   same page that names the same parcel with the groups the other way round.

Only lines that contain Arabic-script letters are treated as right-to-left; Latin lines
keep the order written. Where nothing decides, the written order is kept.

OCR output as it really comes is read too, with the words' boxes when they are given:

* a right-to-left line that Tesseract listed in another order (Latin garbage on it makes
  it read the line left to right) is put back in the order of its boxes;
* a number OCR split into several words is put together in page order (``۰-۱۴۰-۲۰۰-۰۳-۰۵
  ۰۰۰-۰۰``), each cut either inside a group or between two, whichever gives the value's
  shape;
* labels with OCR slips (``aS نوسازی``, ``کذ پستی``, ``شمازه``, ``خرعی``) and with ملک / آن
  before the value; نوسازی, پستی and ملی stand alone when کد was lost;
* slips with one reading only are repaired, with a ``warning`` saying so: a lost ۰ of a
  group of zeros, ``/`` read as ``۱`` or echoed in file numbers and dates, a year read
  with an extra digit (a date on the page says which), a comma read as a leading ۰.
  Anything else that does not have its kind's form is kept with ``valid=False``, for QA
  and for dossier consensus (``indexer.consensus``), which corrects misread digits.

The package has one module per noun: ``model`` (what extraction hands out), ``cleaning``,
``checks`` (the rules a value passes on its own), ``patterns`` (regex fragments the kinds
share), ``page`` (the page being searched), one module per kind (``renovation``,
``national_id``, ``postal``, ``plaque``, ``numbers`` for file and permit numbers,
``ten_digits`` for ten digits standing alone, ``dates``), ``words`` and ``registers``
(reading OCR output into the text searched), ``query`` and ``personal``. ``extract`` runs
the kinds' finders in the order of one table, ``_FINDERS``: a new kind is a module and a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from indexer.identifiers.checks import jalali_to_iso, national_id_valid, postal_code_warning
from indexer.identifiers.cleaning import CLEAN_STEPS, _clean_with_offsets, clean_text
from indexer.identifiers.dates import _find_dates, _find_repaired_dates, document_date
from indexer.identifiers.model import Identifier, IdentifierError, Kind, OcrWord
from indexer.identifiers.national_id import _find_national_ids
from indexer.identifiers.numbers import _find_file_numbers, _find_permit_numbers
from indexer.identifiers.page import _box_and_confidence, _Match, _Page
from indexer.identifiers.personal import mask_national_id, mask_personal
from indexer.identifiers.plaque import _find_plaques, _reconcile_plaques
from indexer.identifiers.postal import _find_bare_postal_codes, _find_postal_codes
from indexer.identifiers.query import canonical_query
from indexer.identifiers.registers import _label_registers
from indexer.identifiers.renovation import _find_renovation_codes
from indexer.identifiers.ten_digits import _find_bare_tens
from indexer.identifiers.words import _align_words, _reading_order, text_from_words
from indexer.normalize import display

__all__ = [
    "CLEAN_STEPS",
    "Identifier",
    "IdentifierError",
    "Kind",
    "OcrWord",
    "canonical_query",
    "clean_text",
    "document_date",
    "extract",
    "jalali_to_iso",
    "mask_national_id",
    "mask_personal",
    "national_id_valid",
    "postal_code_warning",
    "text_from_words",
]

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
