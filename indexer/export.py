"""The JSON-lines export: one object per finished page (ARCHITECTURE.md's contract)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from indexer.catalog import Catalog
from indexer.corrections import corrections_for, reviews_for
from indexer.dates import iso_to_jalali

BATCH = 500


def export_pages(catalog: Catalog) -> Iterator[dict[str, Any]]:
    """Stream pages in path/page order; memory stays flat however large the archive.

    A page a QA reviewer corrected or reviewed also carries ``ocr_text`` (the OCR's own
    text; ``text`` is the corrected one), ``review`` and ``corrections`` (who, when, why,
    old and new); the keys of other pages are unchanged.
    """
    paths = catalog.primary_paths()
    rows = catalog.done_pages()
    while batch := list(islice(rows, BATCH)):
        ids = [int(r["id"]) for r in batch]
        identifiers = catalog.identifiers_for(ids)
        reviews = reviews_for(catalog, ids)
        corrections = corrections_for(catalog, list(reviews)) if reviews else {}
        for row in batch:
            primary = paths.get(row["sha256"])
            page_id = int(row["id"])
            obj: dict[str, Any] = {
                "source": primary["display"] if primary else row["first_path"],
                "sha256": row["sha256"],
                "dossier": primary["dossier"] if primary else None,
                "page": row["page"],
                "text": row["text"] or "",
                "confidence": row["confidence"],
                "document_date": row["document_date"],
                "document_jalali": iso_to_jalali(row["document_date"]),
                "identifiers": identifiers.get(page_id, []),
            }
            review = reviews.get(page_id)
            if review is not None:
                obj["ocr_text"] = review.ocr_text
                obj["review"] = {"status": review.status, "by": review.by, "at": review.at, "note": review.note}
                obj["corrections"] = [c.to_dict() for c in corrections.get(page_id, [])]
            yield obj
