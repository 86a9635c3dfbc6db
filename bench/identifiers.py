"""Identifier extraction on real OCR output: precision and recall per kind, against the
generated set's ground truth, without and with dossier consensus, and the extractor alone
on the ground-truth text (its ceiling).

    .venv/bin/python -m bench.identifiers --pages 60 --seed 1 --jobs 2
    .venv/bin/python -m bench.identifiers --set /tmp/b1 --archive /tmp/b1/archive

The set is generated (or reused) with ``samples.generate --preset bench`` and ingested
afresh into ``<set>/archive`` (OCR: 2-3 s a page on 2 cores). ``--archive`` reuses an
ingested archive: no OCR, the
current extractor runs again over the stored OCR words, then consensus over the whole
catalog (both write that archive's identifiers, as a re-extraction would).

Counting: the ground truth lists every occurrence, but a page is found by a value once
however often it prints it, so both sides are sets of distinct (page, kind, canonical).
A found identifier counts whether or not it passed validation; ``P valid`` is precision
over those that did (the ones failing it are kept for QA and for consensus).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.common import ingested, make_set, timed
from indexer.catalog import Catalog
from indexer.consensus import apply_consensus
from indexer.identifiers import Kind, extract
from pipeline.store import read_words
from pipeline.task import identifiers_from_words

KINDS = [k.value for k in Kind]
Triple = tuple[tuple[str, int], str, str]  # (source, page), kind, canonical


def reextract(catalog: Catalog, archive: Path) -> int:
    """Extract identifiers again from every done page's stored words (OCR once)."""
    count = 0
    for row in list(catalog.done_pages()):
        if not row["wordfile"]:
            continue
        words = read_words(archive, row["wordfile"])
        catalog.replace_identifiers(int(row["id"]), list(identifiers_from_words(words)))
        count += 1
    return count


def catalog_triples(catalog: Catalog) -> tuple[set[Triple], set[Triple], set[Triple], set[Triple]]:
    """(page readings, page readings that passed validation, after consensus, valid after)."""
    paths = catalog.primary_paths()
    pages = {
        int(r["id"]): (paths[r["sha256"]]["display"], int(r["page"])) for r in catalog.done_pages()
    }
    raw, raw_valid, fixed, fixed_valid = set(), set(), set(), set()
    for page_id, items in catalog.identifiers_for(list(pages)).items():
        for item in items:
            key = pages[page_id]
            page_reading = item.get("corrected_from", item["canonical"])
            raw.add((key, item["kind"], page_reading))
            fixed.add((key, item["kind"], item["canonical"]))
            if item.get("valid", True):
                fixed_valid.add((key, item["kind"], item["canonical"]))
                if "corrected_from" not in item:
                    raw_valid.add((key, item["kind"], page_reading))
    # a corrected reading's own validity is in the QA table
    for row in catalog.identifier_corrections(status="corrected"):
        if row["page_valid"]:
            raw_valid.add(((row["display"], int(row["page"])), row["kind"], row["page_reading"]))
    return raw, raw_valid, fixed, fixed_valid


def truth_triples(truth: dict[str, Any]) -> set[Triple]:
    return {
        ((p["source"], int(p["page"])), i["kind"], i["canonical"])
        for p in truth["pages"]
        for i in p["identifiers"]
    }


def text_triples(truth: dict[str, Any]) -> set[Triple]:
    """The extractor alone, on the printed text."""
    return {
        ((p["source"], int(p["page"])), str(i.kind), i.canonical)
        for p in truth["pages"]
        for i in extract(p["text"])
    }


def _by_kind(triples: Iterable[Triple]) -> Counter[str]:
    return Counter(kind for _key, kind, _value in triples)


def scores(found: set[Triple], truth: set[Triple]) -> dict[str, tuple[int, float, float]]:
    """(found, precision, recall) per kind."""
    hits, got, want = _by_kind(found & truth), _by_kind(found), _by_kind(truth)
    out = {}
    for kind in KINDS:
        precision = hits[kind] / got[kind] if got[kind] else 1.0
        recall = hits[kind] / want[kind] if want[kind] else 1.0
        out[kind] = (got[kind], precision, recall)
    return out


def table(
    truth: set[Triple], columns: list[tuple[str, set[Triple]]], valid: dict[str, set[Triple]]
) -> list[str]:
    want = _by_kind(truth)
    head = f"{'kind':<16}{'truth':>6}"
    for name, _found in columns:
        head += f" | {name:<14}{'found':>6}{'P':>7}{'R':>7}"
        if name in valid:
            head += f"{'P valid':>9}"
    lines = [head]
    computed = [(name, scores(found, truth)) for name, found in columns]
    valid_scores = {name: scores(found, truth) for name, found in valid.items()}
    for kind in [*KINDS, "all"]:
        line = f"{kind:<16}{(sum(want.values()) if kind == 'all' else want[kind]):>6}"
        for name, by_kind in computed:
            if kind == "all":
                found = dict(columns)[name]
                hits = len(found & truth)
                got, p, r = len(found), hits / max(len(found), 1), hits / max(len(truth), 1)
            else:
                got, p, r = by_kind[kind]
            line += f" | {'':<14}{got:>6}{p:>7.3f}{r:>7.3f}"
            if name in valid:
                if kind == "all":
                    vf = valid[name]
                    vp = len(vf & truth) / max(len(vf), 1)
                else:
                    vp = valid_scores[name][kind][1]
                line += f"{vp:>9.3f}"
        lines.append(line)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--set",
        type=Path,
        default=None,
        help="generated set (default bench/out/identifiers-s<seed>; reused if present)",
    )
    ap.add_argument(
        "--archive",
        type=Path,
        default=None,
        help="an ingested archive of the set to reuse, or one to ingest into "
        "(default: ingest afresh into <set>/archive)",
    )
    ap.add_argument(
        "--misses", action="store_true", help="list what OCR + consensus missed or got wrong"
    )
    args = ap.parse_args()

    set_dir = args.set or Path(f"bench/out/identifiers-s{args.seed}")
    truth_doc = make_set(set_dir, pages=args.pages, seed=args.seed)
    archive, ocr_note = ingested(set_dir, args.archive, jobs=args.jobs)
    with Catalog.open(archive) as catalog:
        (pages, extract_s) = timed(lambda: reextract(catalog, archive))
        report, consensus_s = timed(lambda: apply_consensus(catalog))
        raw, raw_valid, fixed, fixed_valid = catalog_triples(catalog)
    truth = truth_triples(truth_doc)
    text = text_triples(truth_doc)

    dossiers = len({p["dossier"] for p in truth_doc["pages"]})
    print(f"set: {set_dir} ({len(truth_doc['pages'])} pages, {dossiers} dossiers); OCR: {ocr_note}")
    print(
        f"extraction from stored words: {pages} pages in {extract_s:.2f} s; consensus: "
        f"{report.corrected} corrected, {report.kept} kept and flagged, in {consensus_s:.2f} s"
    )
    print(
        "distinct (page, kind, canonical); P counts every identifier found, P valid only those passing validation"
    )
    for line in table(
        truth,
        [("OCR", raw), ("OCR+consensus", fixed), ("GT text", text)],
        {"OCR": raw_valid, "OCR+consensus": fixed_valid},
    ):
        print(line)
    gained = len((fixed - raw) & truth)
    lost = len((raw - fixed) & truth)
    wrong_new = len((fixed - raw) - truth)
    wrong_gone = len((raw - fixed) - truth)
    print(
        f"consensus: +{gained} right and +{wrong_new} wrong readings, "
        f"-{wrong_gone} wrong and -{lost} right readings; "
        f"recall ratio OCR / GT text {len(raw & truth) / max(len(text & truth), 1):.3f}, "
        f"OCR+consensus / GT text {len(fixed & truth) / max(len(text & truth), 1):.3f}"
    )
    if args.misses:
        for key, kind, value in sorted(truth - fixed):
            print(f"missed  {key[0]} p.{key[1]} {kind} {value}")
        for key, kind, value in sorted(fixed - truth):
            print(f"wrong   {key[0]} p.{key[1]} {kind} {value}")


if __name__ == "__main__":
    main()
