"""The JSON-lines export: one object per finished page (ARCHITECTURE.md's contract)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from indexer.catalog import Catalog
from indexer.dates import iso_to_jalali

BATCH = 500


def export_pages(catalog: Catalog) -> Iterator[dict[str, Any]]:
    """Stream pages in path/page order; memory stays flat however large the archive."""
    paths = catalog.primary_paths()
    rows = catalog.done_pages()
    while batch := list(islice(rows, BATCH)):
        identifiers = catalog.identifiers_for([int(r["id"]) for r in batch])
        for row in batch:
            primary = paths.get(row["sha256"])
            yield {
                "source": primary["display"] if primary else row["first_path"],
                "sha256": row["sha256"],
                "dossier": primary["dossier"] if primary else None,
                "page": row["page"],
                "text": row["text"] or "",
                "confidence": row["confidence"],
                "document_date": row["document_date"],
                "document_jalali": iso_to_jalali(row["document_date"]),
                "identifiers": identifiers.get(int(row["id"]), []),
            }
