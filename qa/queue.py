"""The review queue: the pages a QA reviewer should look at next, riskiest first.

Order (``RISK_ORDER``): pages whose OCR changed under a correction (``needs_review``);
then pages with an identifier that failed validation or that dossier consensus
corrected; then every other page; within each tier by mean word confidence, lowest
first. A page leaves the queue once it is corrected or marked reviewed, and comes back
only when a re-OCR changes the text under its corrections: the queue is the work left,
not a history (the report and ``export`` show what was done).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from indexer.catalog import Catalog

#: Tiers, riskiest first, as named in ``QueueItem.reasons``.
RISK_ORDER = ("needs_review", "invalid_identifiers", "consensus_corrected", "low_confidence")


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One page of the queue and why it is there."""

    rank: int
    source: str
    sha256: str
    dossier: str
    page: int
    confidence: float | None
    words: int
    low_confidence_words: int
    invalid_identifiers: int
    consensus_corrected: int
    status: str | None  # None: never reviewed; "needs_review"
    note: str | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["reasons"] = list(self.reasons)
        return out


QUEUE_SQL = """
WITH flagged AS (
    SELECT i.page_id,
           sum(i.valid = 0) AS invalid,
           sum(i.corrected_from IS NOT NULL AND r.identifier_id IS NULL) AS consensus
    FROM identifiers i LEFT JOIN identifier_reviews r ON r.identifier_id = i.id
    GROUP BY i.page_id
)
SELECT p.id, p.sha256, p.page, p.confidence, coalesce(p.words, 0) AS words,
       coalesce(p.weak_words, 0) AS weak_words, coalesce(f.invalid, 0) AS invalid,
       coalesce(f.consensus, 0) AS consensus, v.status, v.note, pa.display, pa.dossier
FROM pages p
JOIN sources s ON s.sha256 = p.sha256 JOIN paths pa ON pa.path = s.first_path
LEFT JOIN flagged f ON f.page_id = p.id
LEFT JOIN page_reviews v ON v.page_id = p.id
WHERE p.state = 'done' AND (v.status IS NULL OR v.status = 'needs_review') {where}
ORDER BY v.status IS NULL, coalesce(f.invalid, 0) + coalesce(f.consensus, 0) = 0,
         p.confidence IS NULL, p.confidence, p.id
LIMIT ? OFFSET ?
"""


def review_queue(
    catalog: Catalog, *, limit: int = 10, offset: int = 0, dossier: str | None = None
) -> list[QueueItem]:
    """The next ``limit`` pages to review (after ``offset``), in risk order."""
    where, params = "", []
    if dossier is not None:
        where, params = "AND pa.dossier = ?", [dossier]
    rows = catalog.db.execute(QUEUE_SQL.format(where=where), (*params, limit, offset)).fetchall()
    return [_item(offset + n, row) for n, row in enumerate(rows, start=1)]


def queue_length(catalog: Catalog) -> int:
    """Pages left to review (done pages never corrected or reviewed, or needing it again)."""
    return int(catalog.db.execute(
        """SELECT count(*) FROM pages p LEFT JOIN page_reviews v ON v.page_id = p.id
           WHERE p.state = 'done' AND (v.status IS NULL OR v.status = 'needs_review')"""
    ).fetchone()[0])  # fmt: skip


def _item(rank: int, row: Any) -> QueueItem:
    reasons: list[str] = []
    if row["status"] == "needs_review":
        reasons.append("needs_review")
    if row["invalid"]:
        reasons.append("invalid_identifiers")
    if row["consensus"]:
        reasons.append("consensus_corrected")
    if not reasons:
        reasons.append("low_confidence")
    return QueueItem(
        rank=rank, source=row["display"], sha256=row["sha256"], dossier=row["dossier"], page=int(row["page"]),
        confidence=row["confidence"], words=int(row["words"]), low_confidence_words=int(row["weak_words"]),
        invalid_identifiers=int(row["invalid"]), consensus_corrected=int(row["consensus"]),
        status=row["status"], note=row["note"], reasons=tuple(reasons),
    )  # fmt: skip


def describe(item: QueueItem) -> str:
    """One line saying why the page is in the queue."""
    conf = "?" if item.confidence is None else f"{item.confidence:.1f}"
    why: list[str] = []
    if item.status == "needs_review":
        why.append(f"OCR changed under a correction ({item.note})" if item.note else "needs review again")
    if item.invalid_identifiers:
        why.append(f"{item.invalid_identifiers} invalid identifier(s)")
    if item.consensus_corrected:
        why.append(f"{item.consensus_corrected} identifier(s) corrected by dossier consensus")
    why.append(f"confidence {conf}, {item.low_confidence_words}/{item.words} low-confidence words")
    return "; ".join(why)


def queue_json(items: Sequence[QueueItem], total: int) -> dict[str, Any]:
    return {"total": total, "order": list(RISK_ORDER), "pages": [i.to_dict() for i in items]}
