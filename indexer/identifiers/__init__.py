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
  with an extra digit or with its ۹ read as و (a date on the page says which), a comma
  read as a leading ۰, a date's year ۱۳xx read as ۱۴xx.
  Anything else that does not have its kind's form is kept with ``valid=False``, for QA
  and for dossier consensus (``indexer.consensus``), which corrects misread digits.

The package has one module per noun: ``model`` (what extraction hands out), ``cleaning``,
``checks`` (the rules a value passes on its own), ``patterns`` (regex fragments the kinds
share), ``page`` (the page being searched), one module per kind (``renovation``,
``national_id``, ``postal``, ``plaque``, ``numbers`` for file and permit numbers,
``ten_digits`` for ten digits standing alone, ``dates``), ``words`` and ``registers``
(reading OCR output into the text searched), ``query`` and ``personal``; ``extractor``
holds ``extract``, which runs the kinds' finders in the order of one table, ``_FINDERS``:
a new kind is a module and a row.
"""

from __future__ import annotations

from indexer.identifiers.checks import jalali_to_iso, national_id_valid, postal_code_warning
from indexer.identifiers.cleaning import CLEAN_STEPS, clean_text
from indexer.identifiers.dates import document_date
from indexer.identifiers.extractor import extract
from indexer.identifiers.model import Identifier, IdentifierError, Kind, OcrWord
from indexer.identifiers.personal import mask_national_id, mask_personal
from indexer.identifiers.query import canonical_query
from indexer.identifiers.words import text_from_words

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
