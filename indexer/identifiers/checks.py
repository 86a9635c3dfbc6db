"""The checks a value of a kind must pass on its own: the national id's check digit, the
postal code's published rules, a real Jalali (or Gregorian) date."""

from __future__ import annotations

import jdatetime

from indexer.identifiers.model import HOME_POSTAL_PREFIXES, JALALI_MAX_YEAR, JALALI_MIN_YEAR
from indexer.normalize import fold_digits


def national_id_valid(s: str) -> bool:
    """Iranian national id checksum (کد ملی): ten digits, last one a mod-11 check digit."""
    s = fold_digits(s)
    if len(s) != 10 or not s.isascii() or not s.isdigit() or len(set(s)) == 1:
        return False
    digits = [int(c) for c in s]
    rest = sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return digits[9] == rest if rest < 2 else digits[9] == 11 - rest


def postal_code_warning(s: str) -> str | None:
    """Why a postal code looks wrong (None when it looks right); a warning, never a drop."""
    s = fold_digits(s)
    if len(s) != 10 or not s.isascii() or not s.isdigit():
        return "postal code must be 10 digits"
    if "0" in s[:5] or "2" in s[:5]:
        return "postal code has 0 or 2 in its first five digits"
    return None


def jalali_to_iso(y: int, m: int, d: int) -> str | None:
    """ISO Gregorian date of a Jalali date, None when invalid or outside 1300-1405."""
    if not JALALI_MIN_YEAR <= y <= JALALI_MAX_YEAR:
        return None
    try:
        return jdatetime.date(y, m, d).togregorian().isoformat()
    except ValueError:
        return None


def _gregorian_to_jalali(y: int, m: int, d: int) -> str | None:
    try:
        jalali = jdatetime.date.fromgregorian(year=y, month=m, day=d)
    except ValueError:
        return None
    if not JALALI_MIN_YEAR <= jalali.year <= JALALI_MAX_YEAR:
        return None
    return f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"


def _parse_date(a: str, b: str, c: str) -> tuple[str, str] | None:
    """(ISO Gregorian, Jalali y/m/d) of three digit groups in written order, or None.

    The year is the 4-digit group (first: y/m/d; last: d/m/y, which is also what a
    reversed RTL date looks like); with 2-digit years the group above 31 is the year,
    else y/m/d is tried first. Two-digit years mean 13xx.
    """
    orders: list[tuple[str, str, str]] = []
    if len(a) == 4:
        orders.append((a, b, c))
    if len(c) == 4:
        orders.append((c, b, a))
    if not orders:
        if len(a) == 2 and int(a) > 31:
            orders.append((a, b, c))
        elif len(c) == 2 and int(c) > 31:
            orders.append((c, b, a))
        else:
            if len(a) == 2:
                orders.append((a, b, c))
            if len(c) == 2:
                orders.append((c, b, a))
    for y, m, d in orders:
        if len(d) > 2:
            continue
        year, month, day = int(y), int(m), int(d)
        if len(y) == 2:
            year += 1300
        if JALALI_MIN_YEAR <= year <= JALALI_MAX_YEAR:
            iso = jalali_to_iso(year, month, day)
            if iso is not None:
                return iso, f"{year:04d}/{month:02d}/{day:02d}"
        elif len(y) == 4 and 1900 <= year <= 2100:
            jalali = _gregorian_to_jalali(year, month, day)
            if jalali is not None:
                return f"{year:04d}-{month:02d}-{day:02d}", jalali
    return None


def _postal_like(digits: str) -> bool:
    return postal_code_warning(digits) is None and digits.startswith(HOME_POSTAL_PREFIXES)
