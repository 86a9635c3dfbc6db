"""Showing document dates as planners read them: Jalali, in Persian or Latin digits.

The catalog keeps ISO Gregorian dates (they sort and range as text); everything a person
reads (the CLI, the web application, the QA report) shows the Jalali date beside or
instead of it, through this one function.
"""

from __future__ import annotations

import datetime as dt

import jdatetime

from indexer.normalize import to_persian_digits


def iso_to_jalali(iso: str | None, *, persian_digits: bool = False) -> str | None:
    """`2008-07-06` → `1387/04/16` (or `۱۳۸۷/۰۴/۱۶`); None for None or a malformed date."""
    if not iso:
        return None
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return None
    j = jdatetime.date.fromgregorian(date=day)
    text = f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    return to_persian_digits(text) if persian_digits else text
