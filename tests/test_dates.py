"""Jalali display of catalog dates (indexer.dates)."""

from __future__ import annotations

import pytest

from indexer.dates import iso_to_jalali


@pytest.mark.parametrize(
    ("iso", "latin", "persian"),
    [
        ("2008-07-06", "1387/04/16", "۱۳۸۷/۰۴/۱۶"),
        ("2005-09-03", "1384/06/12", "۱۳۸۴/۰۶/۱۲"),
        ("2008-03-19", "1386/12/29", "۱۳۸۶/۱۲/۲۹"),  # last day of 1386
        ("2008-03-20", "1387/01/01", "۱۳۸۷/۰۱/۰۱"),  # Nowruz
    ],
)
def test_iso_to_jalali(iso: str, latin: str, persian: str) -> None:
    assert iso_to_jalali(iso) == latin
    assert iso_to_jalali(iso, persian_digits=True) == persian


@pytest.mark.parametrize("bad", [None, "", "2008-13-01", "not a date"])
def test_iso_to_jalali_rejects(bad: str | None) -> None:
    assert iso_to_jalali(bad) is None
