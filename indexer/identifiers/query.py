"""What a planner types for an identifier search, in the form the catalog stores."""

from __future__ import annotations

import re

from indexer.identifiers.checks import _parse_date, national_id_valid
from indexer.identifiers.cleaning import clean_text
from indexer.identifiers.dates import _DATE_RE
from indexer.identifiers.extractor import extract
from indexer.identifiers.model import IdentifierError, Kind
from indexer.identifiers.patterns import _DIGITS_RE
from indexer.identifiers.renovation import _renovation_groups

_KIND_ALIASES = {"renovation": Kind.RENOVATION_CODE, "postal": Kind.POSTAL_CODE, "permit": Kind.PERMIT_NUMBER,
                 "file": Kind.FILE_NUMBER}  # fmt: skip
_PLAQUE_QUERY_RE = re.compile(r"(?P<a>\d+)(?:[ ]*[/\-][ ]*(?P<f>\d+))?")
_NUMBER_QUERY_RE = re.compile(r"\d+(?:[ ]*[-/][ ]*\d+)*")


def canonical_query(kind: str, value: str) -> str:
    """The canonical form of a value a planner typed (``--plaque ۴۵/۱۲۳`` → ``45/123``).

    ``kind`` is an identifier kind; CLI spellings (``renovation-code``) are accepted.
    Raises ``IdentifierError`` when the value cannot be that kind of identifier.
    """

    key = kind.strip().lower().replace("-", "_")
    try:
        which = _KIND_ALIASES.get(key) or Kind(key)
    except ValueError:
        raise IdentifierError(f"unknown identifier kind {kind!r}") from None
    clean = " ".join(clean_text(value).split())
    if which is Kind.PLAQUE:
        long_form = [i for i in extract(value) if i.kind == Kind.PLAQUE]
        if long_form:
            return long_form[0].canonical
        m = _PLAQUE_QUERY_RE.fullmatch(clean)
        if m is None:
            raise IdentifierError(f"a plaque is A/F (اصلی/فرعی) or A, not {value!r}")
        return f"{m['a']}/{m['f']}" if m["f"] else m["a"]
    if which is Kind.RENOVATION_CODE:
        groups, _warning = _renovation_groups(_DIGITS_RE.findall(clean))
        if not groups or not re.fullmatch(r"[\d\-/ ]+", clean):
            raise IdentifierError(
                f"a renovation code is digit groups such as 08-03-123-012-000-000, not {value!r}"
            )
        return "-".join(groups)
    if which is Kind.POSTAL_CODE:
        digits = re.sub(r"[ \-]", "", clean)
        if len(digits) != 10 or not digits.isdigit():
            raise IdentifierError(f"a postal code has 10 digits, not {value!r}")
        return digits
    if which is Kind.NATIONAL_ID:
        digits = re.sub(r"[ \-]", "", clean)
        if digits.isdigit() and 8 <= len(digits) <= 10 and national_id_valid(digits.zfill(10)):
            return digits.zfill(10)
        raise IdentifierError(f"{value!r} is not a valid national id (10 digits, checksum)")
    if which is Kind.DATE:
        m = _DATE_RE.fullmatch(clean)
        parsed = _parse_date(m["a"], m["b"], m["c"]) if m else None
        if parsed is None:
            raise IdentifierError(f"{value!r} is not a date such as 1384/06/12 or 2005-09-03")
        return parsed[0]
    if not _NUMBER_QUERY_RE.fullmatch(clean):
        raise IdentifierError(
            f"a {which.value.replace('_', ' ')} is digits and / or -, not {value!r}"
        )
    return clean.replace(" ", "")
