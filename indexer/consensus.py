"""Dossier consensus: a page's misread identifier takes the reading the dossier agrees on.

A dossier names its parcel's plaque, renovation code, postal code, owner's national id,
file and permit numbers on page after page. When one page reads one of them differently
(a ۳ read as ۲, a lost ۰, groups the other way round) and the rest of the dossier agrees
on another reading that an OCR slip explains, the page's identifier takes that reading as
its ``canonical``; ``text`` keeps what the page says, ``corrected_from`` the page's own
reading, and the correction is listed for QA (``Catalog.identifier_corrections``).

The rule, in full (``decide`` applies it to one kind in one dossier):

* support is counted in pages: a reading printed twice on one page is one vote, and a
  reading that failed validation (a misshapen code, a plaque number starting with ۰)
  gives no vote;
* a valid reading is corrected when it is on one page and exactly one other reading is
  nearest to it and on at least two pages; one page against one, only when OCR was sure
  of the other reading (``SURE_CONFIDENCE``) and far less of this one (``CONFIDENCE_GAP``).
  A reading that failed validation takes the one valid reading nearest to it;
* near means OCR slips explain the difference (``slips``): substitutions between digits
  OCR confuses (``CONFUSABLE``) and at most one dropped or extra digit, up to ``MAX_SLIPS``
  for the kind; digit groups in the other order, or a separator more or less, count one
  slip; a renovation code that failed validation may have lost its last groups, or have
  groups a digit too long or short, each group counted on its own; a file or permit
  number that failed validation may hold the dossier's whole, with stray digits at its ends;
* never merged, since both could be real (a neighbouring parcel, a second letter number):
  plaques with another اصلی (only the فرعی may differ, or the two numbers be swapped),
  unless their فرعی is the same and ``SAME_FARI_DIGITS`` long;
  two readings each on two pages or more; two readings both read with high confidence
  (``HIGH_CONFIDENCE``); readings written in one phrase (``۱۲۳ و ۱۲۴ فرعی از ۴۵ اصلی``);
  a reading as near to two dossier readings. These disagreements are kept and listed
  for QA with the reason, as are one-page-against-one disagreements left undecided.

Consensus works on the catalog alone (OCR once) and decides from the pages' own readings,
so running it twice changes nothing more, and after more pages of a dossier arrive a
re-run may withdraw a correction it made before.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from indexer.catalog import Catalog

__all__ = [
    "CONFUSABLE",
    "HIGH_CONFIDENCE",
    "KINDS",
    "MAX_SLIPS",
    "ConsensusReport",
    "Decision",
    "Reading",
    "apply_consensus",
    "decide",
    "slips",
]

#: Kinds a dossier repeats. Dates are not: each letter has its own.
KINDS = (
    "plaque",
    "renovation_code",
    "postal_code",
    "national_id",
    "file_number",
    "permit_number",
)
#: Most slips a correction may explain, by kind. One for file and permit numbers: a dossier
#: also holds letter numbers of its own office that can be one digit apart.
MAX_SLIPS = {
    "plaque": 2,
    "renovation_code": 2,
    "postal_code": 2,
    "national_id": 2,
    "file_number": 1,
    "permit_number": 1,
}
#: Persian digits whose glyphs share strokes (۲ ۳ ۴ differ by their teeth, ۶/۷/۸/۹ by a
#: turn or a loop, ۲ and ۶ by where the hook turns, ۰ is a dot that stroke noise turns
#: into ۱ or ۵ and that a blurred ۶ shrinks to); each pair was seen misread on the
#: generated benchmark pages (۲/۶ and ۰/۶ on 150-200 dpi scans of tuned seeds 2 and 3).
CONFUSABLE = frozenset(
    frozenset(pair)
    for pair in ("23", "24", "26", "34", "35", "45", "46", "67", "69", "78", "01", "05", "06")
)
#: Two readings both above this OCR confidence are both believed (no correction).
HIGH_CONFIDENCE = 95.0
MIN_MAJORITY_PAGES = 2
#: One page against one: a reading OCR was sure of (this confidence or more) wins over
#: one it was far less sure of (by this gap).
SURE_CONFIDENCE = 85.0
CONFIDENCE_GAP = 35.0

#: A plaque whose اصلی differs by an OCR slip from the dossier's, with the same فرعی of this
#: many digits or more, is the dossier's parcel misread (``۲۸/۳۶۶۰`` of ``۲۸۰/۳۶۶۰``, ``۱۳۵۳/۲۵۳۰``
#: of ``۳۵۳/۲۵۳۰``); with another فرعی it may be a neighbour, and is never merged.
SAME_FARI_DIGITS = 3

_DIGITS_RE = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Reading:
    """One identifier as a page read it (before any correction)."""

    id: int
    page_id: int
    kind: str
    text: str
    value: str  # the page's own canonical
    valid: bool
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What consensus makes of one reading: corrected to ``canonical``, or kept and flagged."""

    reading: Reading
    status: str  # "corrected" or "kept"
    canonical: str  # the dossier's reading
    reason: str
    pages_with_reading: int
    pages_with_majority: int


@dataclass
class ConsensusReport:
    dossiers: int = 0
    readings: int = 0
    corrected: int = 0  # identifiers carrying a correction after this run
    kept: int = 0  # disagreements kept (both readings could be real) and flagged
    changed: int = 0  # identifier rows this run wrote
    withdrawn: int = 0  # corrections of earlier runs that no longer hold
    decisions: list[tuple[str, Decision]] = field(default_factory=list)  # (dossier, decision)


# --- slips -----------------------------------------------------------------------------


def _edits(a: str, b: str, limit: int) -> int | None:
    """Fewest OCR slips turning digits ``a`` into ``b``: substitutions between confusable
    digits and at most one dropped or extra digit (two would let any digit stand in for
    any other). None when more than ``limit`` are needed."""
    if abs(len(a) - len(b)) > 1:
        return None
    big = limit + 1
    # cost[j][k]: slips to turn a[:i] into b[:j] with k dropped or extra digits
    previous = [[j if j <= 1 and k == j else big for k in (0, 1)] for j in range(len(b) + 1)]
    for i, x in enumerate(a, start=1):
        current = [[i if i <= 1 and k == i else big for k in (0, 1)]] + [[big, big] for _ in b]
        for j, y in enumerate(b, start=1):
            same = 0 if x == y else (1 if frozenset((x, y)) in CONFUSABLE else big)
            for k in (0, 1):
                best = previous[j - 1][k] + same
                if k:
                    best = min(best, previous[j][0] + 1, current[j - 1][0] + 1)
                current[j][k] = min(best, big)
        previous = current
    found = min(previous[-1])
    return found if found <= limit else None


def _groups(value: str) -> list[str]:
    return _DIGITS_RE.findall(value)


def _separators(value: str) -> str:
    return re.sub(r"\d+", "#", value)


def slips(kind: str, reading: str, majority: str, *, valid: bool = True) -> int | None:
    """How many OCR slips turn the page's ``reading`` into the dossier's ``majority``.

    None when slips do not explain the difference, or when the two are different things
    (plaques with different اصلی). ``valid`` is whether the reading passed validation: a
    misshapen renovation code may be a complete one that lost its last groups.
    """
    # A reading that failed validation names nothing real, so more slips may explain it.
    limit = MAX_SLIPS.get(kind, 1) + (0 if valid else 1)
    if reading == majority:
        return 0
    if kind == "plaque":
        a, _, f = reading.partition("/")
        b, _, g = majority.partition("/")
        if f and g and (f, a) == (b, g):
            return 1  # اصلی/فرعی read the other way round
        if not f or not g:
            return None
        if a != b:
            if valid and not (f == g and len(f) >= SAME_FARI_DIGITS):
                return None  # another اصلی is another parcel
            main = _edits(a, b, limit)  # a plaque that failed validation is no parcel at all
            rest = _edits(f, g, limit - main) if main is not None else None
            return None if rest is None or main is None else main + rest
        return _edits(f, g, limit)
    ours, theirs = _groups(reading), _groups(majority)
    if kind == "file_number" and ours == theirs:
        return None  # the same number with another separator (۱۲۷۱۷-۹۴, ۱۲۷۱۷/۹۴): as written
    best: int | None = None
    orders = [(ours, 0)]
    if len(ours) > 1:
        orders.append((ours[::-1], 1))  # groups of an RTL line in the other order
    elif kind == "postal_code" and len(ours[0]) == 10:
        orders.append(([ours[0][5:], ours[0][:5]], 1))  # 31456-78913 shown as 78913-31456
    for groups, swapped in orders:
        extra = swapped + (_separators(reading) != _separators(majority) and not swapped)
        found = _edits("".join(groups), "".join(theirs), limit - extra) if extra <= limit else None
        if found is not None and (best is None or found + extra < best):
            best = found + extra
    if best is None and kind == "renovation_code" and not valid:
        best = _truncated(ours, theirs)
        if best is None:
            best = _misshapen(ours, theirs, limit)
    if best is None and kind in ("file_number", "permit_number") and not valid:
        best = _stray_digits(ours, theirs, limit)
    return best


def _stray_digits(ours: Sequence[str], theirs: Sequence[str], limit: int) -> int | None:
    """A number that failed validation holding the majority's whole, with digits more at
    its ends (``۳۲۳۱۸۰۶/۸۸`` of ``۲۳۱۸۰/۸۸``: a box's side or a mark read as digits): one
    slip a digit. Its other groups (the year) must be the same, and the number held at
    least three digits long, so that it cannot be found in any long run by chance."""
    if len(ours) != len(theirs):
        return None
    differ = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
    if len(differ) != 1:
        return None
    a, b = differ[0]
    extra = len(a) - len(b)
    return extra if len(b) >= 3 and 0 < extra <= limit and b in a else None


def _misshapen(ours: Sequence[str], theirs: Sequence[str], limit: int) -> int | None:
    """Slips turning a renovation code with all its groups but some of them a digit too long
    or short (``۰۰۰۰`` for ``۰۰۰``: a zero's dot read twice) into the majority's code. Group
    by group, each may have its own digit too many or too few (the whole code compared at
    once allows one only); either way round."""
    if len(ours) != len(theirs):
        return None
    best: int | None = None
    for groups, swapped in ((list(ours), 0), (list(ours)[::-1], 1)):
        total: int | None = swapped
        for a, b in zip(groups, theirs, strict=True):
            found = _edits(a, b, limit - total) if total is not None else None
            total = None if found is None or total is None else total + found
        if total is not None and (best is None or total < best):
            best = total
    return best


def _truncated(ours: Sequence[str], theirs: Sequence[str]) -> int | None:
    """A renovation code that lost its last groups (``10-08-1`` of ``10-08-041-…``): its
    groups agree with the majority's first ones, the last one with the start or end of
    the majority's next group; or, the same way round, its first groups."""
    if len(ours) < 2 or len(ours) >= len(theirs):
        return None
    for orientation in (list(ours), list(ours)[::-1]):
        head, last = orientation[:-1], orientation[-1]
        if list(head) == list(theirs[: len(head)]):
            target = theirs[len(head)]
            if target.startswith(last) or target.endswith(last):
                return 1
        # or its first groups (a stamp or a box's side over the start of the code)
        first, tail = orientation[0], orientation[1:]
        if list(tail) == list(theirs[len(theirs) - len(tail) :]):
            target = theirs[len(theirs) - len(tail) - 1]
            if target.startswith(first) or target.endswith(first):
                return 1
    return None


# --- the rule --------------------------------------------------------------------------


def decide(readings: Sequence[Reading]) -> list[Decision]:
    """Decisions for the readings of one kind in one dossier (readings left alone omitted)."""
    if not readings:
        return []
    kind = readings[0].kind
    pages: dict[str, set[int]] = defaultdict(set)
    invalid_pages: dict[str, set[int]] = defaultdict(set)
    confidence: dict[str, float] = {}
    for r in readings:
        (pages if r.valid else invalid_pages)[r.value].add(r.page_id)
        if r.valid and r.confidence is not None:
            confidence[r.value] = max(confidence.get(r.value, 0.0), r.confidence)
    phrases: dict[tuple[int, str], set[str]] = defaultdict(set)
    for r in readings:
        phrases[(r.page_id, r.text)].add(r.value)
    decisions = []
    for r in readings:
        support = len(pages.get(r.value, ())) if r.valid else 0
        near = sorted(
            (
                (found, -len(seen), value)
                for value, seen in pages.items()
                if value != r.value
                and (found := slips(kind, r.value, value, valid=r.valid)) is not None
            ),
        )
        if not r.valid:
            majority = near  # a reading that failed validation is no rival to a valid one
        else:
            majority = [n for n in near if -n[1] >= MIN_MAJORITY_PAGES and -n[1] > support]
            if not majority:
                rivals = [n for n in near if -n[1] >= support]
                if rivals and support == 1 and _surer(confidence.get(rivals[0][2]), r.confidence):
                    majority = rivals[:1]  # one page against one: the reading OCR was sure of
                elif rivals and support == 1 and _surer(r.confidence, confidence.get(rivals[0][2])):
                    continue  # the rival is the one corrected
                elif rivals:
                    decisions.append(
                        _kept(r, rivals[0], support, "no majority: as many pages read it otherwise")
                    )
                    continue
                else:
                    continue
        if not majority:
            continue
        count, minus_pages, value = majority[0]
        if len(majority) > 1 and majority[1][:2] == (count, minus_pages):
            decisions.append(_kept(r, majority[0], support, "two dossier readings are as near"))
            continue
        reason = _veto(r, value, support, phrases, confidence) if r.valid else None
        if reason is not None:
            decisions.append(_kept(r, majority[0], support, reason))
            continue
        decisions.append(
            Decision(
                r, "corrected", value,
                f"{count} OCR slip(s) from the reading of {-minus_pages} other page(s)",
                support or len(invalid_pages.get(r.value, ())), -minus_pages,
            )
        )  # fmt: skip
    return decisions


def _surer(theirs: float | None, ours: float | None) -> bool:
    """Whether a rival reading was read with high confidence and this one with little."""
    return (
        theirs is not None
        and ours is not None
        and theirs >= SURE_CONFIDENCE
        and ours <= SURE_CONFIDENCE - CONFIDENCE_GAP
    )


def _veto(
    r: Reading,
    value: str,
    support: int,
    phrases: dict[tuple[int, str], set[str]],
    confidence: dict[str, float],
) -> str | None:
    """Why a near reading must be kept although the dossier reads otherwise, or None."""
    if r.valid and support >= MIN_MAJORITY_PAGES:
        return "both readings are on two pages or more"
    if len(phrases[(r.page_id, r.text)]) > 1:
        return "written in one phrase with another reading"
    ours = r.confidence if r.valid else None
    if (
        ours is not None
        and ours >= HIGH_CONFIDENCE
        and confidence.get(value, 0.0) >= HIGH_CONFIDENCE
    ):
        return "both readings have high OCR confidence"
    return None


def _kept(r: Reading, near: tuple[int, int, str], support: int, reason: str) -> Decision:
    return Decision(r, "kept", near[2], reason, support, -near[1])


# --- the catalog -----------------------------------------------------------------------


def apply_consensus(catalog: Catalog, dossiers: Iterable[str] | None = None) -> ConsensusReport:
    """Run dossier consensus over ``dossiers`` (all of them when None) and write the result.

    Idempotent: decisions come from the pages' own readings, and only rows whose state
    differs from the decision are written.
    """
    wanted = None if dossiers is None else sorted(set(dossiers))
    report = ConsensusReport()
    if wanted == []:
        return report
    rows = catalog.consensus_readings(wanted, KINDS)
    by_group: dict[tuple[str, str], list[Reading]] = defaultdict(list)
    current: dict[int, Any] = {}
    for row in rows:
        corrected = row["corrected_from"] is not None
        reading = Reading(
            id=int(row["id"]),
            page_id=int(row["page_id"]),
            kind=row["kind"],
            text=row["text"],
            value=row["corrected_from"] if corrected else row["canonical"],
            valid=bool(
                row["page_valid"] if corrected and row["page_valid"] is not None else row["valid"]
            ),
            confidence=row["confidence"],
        )
        by_group[(row["dossier"], row["kind"])].append(reading)
        current[reading.id] = row
    report.dossiers = len({dossier for dossier, _kind in by_group})
    report.readings = len(current)
    updates: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    decided: set[int] = set()
    for (dossier, _kind), readings in sorted(by_group.items()):
        for d in decide(readings):
            decided.add(d.reading.id)
            report.decisions.append((dossier, d))
            row = current[d.reading.id]
            flag = _flag(dossier, d, row)
            if any(row[key] != flag[key] for key in _FLAG_FIELDS):
                flags.append(flag)
            wanted_row: _State
            if d.status == "corrected":
                report.corrected += 1
                wanted_row = (d.canonical, d.reading.value, 1, _warning(d))
            else:
                report.kept += 1
                wanted_row = _page_state(d.reading, row)
            if _state(row) != wanted_row:
                updates.append(_update(d.reading.id, wanted_row))
    unflag = []
    for identifier_id, row in current.items():
        if identifier_id in decided or row["status"] is None:
            continue
        unflag.append(identifier_id)
        if row["corrected_from"] is not None:
            report.withdrawn += 1
            reading = Reading(identifier_id, row["page_id"], row["kind"], row["text"],
                              row["corrected_from"], bool(row["page_valid"]))  # fmt: skip
            updates.append(_update(identifier_id, _page_state(reading, row)))
    report.changed = len(updates)
    if updates or flags or unflag:
        catalog.record_consensus(updates, flags, unflag)
    return report


def _warning(d: Decision) -> str:
    return (
        f"dossier consensus: this page reads {d.reading.value}, "
        f"{d.pages_with_majority} other page(s) read {d.canonical}"
    )


_State = tuple[str, str | None, int, str | None]  # canonical, corrected_from, valid, warning


def _state(row: Any) -> _State:
    return (row["canonical"], row["corrected_from"], int(row["valid"]), row["warning"])


def _page_state(r: Reading, row: Any) -> _State:
    """The identifier as its page read it."""
    if row["corrected_from"] is None:
        return _state(row)
    return (r.value, None, int(r.valid), row["page_warning"])


def _update(identifier_id: int, state: _State) -> dict[str, Any]:
    canonical, corrected_from, valid, warning = state
    return {
        "id": identifier_id,
        "canonical": canonical,
        "corrected_from": corrected_from,
        "valid": valid,
        "warning": warning,
    }


_FLAG_FIELDS = ("status", "majority", "reason", "pages_with_reading", "pages_with_majority")


def _flag(dossier: str, d: Decision, row: Any) -> dict[str, Any]:
    page_warning = row["page_warning"] if row["corrected_from"] is not None else row["warning"]
    return {
        "identifier_id": d.reading.id,
        "dossier": dossier,
        "kind": d.reading.kind,
        "status": d.status,
        "page_reading": d.reading.value,
        "majority": d.canonical,
        "pages_with_reading": d.pages_with_reading,
        "pages_with_majority": d.pages_with_majority,
        "reason": d.reason,
        "page_valid": int(d.reading.valid),
        "page_warning": page_warning,
    }
