"""The parcel table: one row per registration plaque, what a planner joins to the city's
parcel layer.

A dossier is about a parcel: a letter in it may give the renovation or postal code
without repeating the plaque. So a parcel's codes are those on the pages naming its
plaque, and, when a dossier names only that one plaque, those anywhere in the dossier;
its dossiers are the dossiers naming it; its pages are the pages naming it; its dates
run from the earliest to the latest document date in its dossiers.

Built with a cursor over the identifiers and small per-dossier sets, never all pages.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from indexer.dates import iso_to_jalali

COLUMNS = (
    "plaque", "section", "renovation_code", "postal_code", "dossiers", "pages",
    "first_date", "first_date_jalali", "last_date", "last_date_jalali",
)


@dataclass(slots=True)
class _Parcel:
    plaque: str
    sections: Counter[str] = field(default_factory=Counter)
    renovation: Counter[str] = field(default_factory=Counter)
    postal: Counter[str] = field(default_factory=Counter)
    dossiers: set[str] = field(default_factory=set)
    pages: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Dossier:
    plaques: set[str] = field(default_factory=set)
    renovation: Counter[str] = field(default_factory=Counter)
    postal: Counter[str] = field(default_factory=Counter)
    first: str | None = None
    last: str | None = None


_IDENTIFIERS = """
SELECT i.page_id, i.kind, i.canonical, i.section, pa.dossier
FROM identifiers i JOIN pages p ON p.id = i.page_id
JOIN sources s ON s.sha256 = p.sha256 JOIN paths pa ON pa.path = s.first_path
WHERE p.state = 'done' AND i.valid = 1 AND i.kind IN ('plaque', 'renovation_code', 'postal_code')
ORDER BY i.page_id, i.id
"""

_DATES = """
SELECT pa.dossier, min(p.document_date), max(p.document_date)
FROM pages p JOIN sources s ON s.sha256 = p.sha256 JOIN paths pa ON pa.path = s.first_path
WHERE p.state = 'done' AND p.document_date IS NOT NULL GROUP BY pa.dossier
"""


def _ordered(counter: Counter[str]) -> list[str]:
    return [value for value, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


def parcel_rows(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """The table's rows, by plaque; list values most frequent reading first."""
    parcels: dict[str, _Parcel] = {}
    dossiers: dict[str, _Dossier] = {}
    page_ids: int | None = None
    page_items: list[sqlite3.Row] = []

    def take_page(items: list[sqlite3.Row]) -> None:
        plaques = [r for r in items if r["kind"] == "plaque"]
        for r in items:
            d = dossiers.setdefault(r["dossier"], _Dossier())
            if r["kind"] == "renovation_code":
                d.renovation[r["canonical"]] += 1
            elif r["kind"] == "postal_code":
                d.postal[r["canonical"]] += 1
        for r in plaques:
            parcel = parcels.setdefault(r["canonical"], _Parcel(r["canonical"]))
            dossiers[r["dossier"]].plaques.add(r["canonical"])
            parcel.dossiers.add(r["dossier"])
            parcel.pages.add(int(r["page_id"]))
            if r["section"]:
                parcel.sections[r["section"]] += 1
            for other in items:
                if other["kind"] == "renovation_code":
                    parcel.renovation[other["canonical"]] += 1
                elif other["kind"] == "postal_code":
                    parcel.postal[other["canonical"]] += 1

    for row in db.execute(_IDENTIFIERS):
        if page_ids is not None and row["page_id"] != page_ids:
            take_page(page_items)
            page_items = []
        page_ids = row["page_id"]
        page_items.append(row)
    if page_items:
        take_page(page_items)
    for name, first, last in db.execute(_DATES):
        d = dossiers.setdefault(name, _Dossier())
        d.first, d.last = first, last
    rows = []
    for plaque in sorted(parcels):
        parcel = parcels[plaque]
        renovation, postal = Counter(parcel.renovation), Counter(parcel.postal)
        firsts, lasts = [], []
        for name in parcel.dossiers:
            d = dossiers[name]
            if d.plaques == {plaque}:  # the dossier is about this parcel alone
                renovation.update(d.renovation)
                postal.update(d.postal)
            if d.first:
                firsts.append(d.first)
            if d.last:
                lasts.append(d.last)
        first, last = (min(firsts) if firsts else None), (max(lasts) if lasts else None)
        rows.append({
            "plaque": plaque,
            "section": _ordered(parcel.sections)[0] if parcel.sections else None,
            "renovation_code": _ordered(renovation),
            "postal_code": _ordered(postal),
            "dossiers": sorted(parcel.dossiers),
            "pages": len(parcel.pages),
            "first_date": first,
            "first_date_jalali": iso_to_jalali(first) if first else None,
            "last_date": last,
            "last_date_jalali": iso_to_jalali(last) if last else None,
        })
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with one value per cell; several readings are joined by ``;`` (best first)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ";".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()


def to_geojson(rows: list[dict[str, Any]]) -> str:
    """A FeatureCollection with no geometry: the GIS joins it to its parcel layer by plaque."""
    features = [{"type": "Feature", "id": row["plaque"], "geometry": None, "properties": row} for row in rows]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1) + "\n"
