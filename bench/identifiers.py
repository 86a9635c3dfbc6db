"""Identifier extraction on real OCR output: precision and recall per kind, against the
generated set's ground truth, without and with dossier consensus, and the extractor alone
on the ground-truth text (its ceiling).

    .venv/bin/python -m bench.identifiers --jobs 2 [--split tuned] [--fresh] [--misses]
    .venv/bin/python -m bench.identifiers --set /tmp/b1 --archive /tmp/b1/archive

By default: the tuned and the held-out split of the `wide` generator (samples/splits.py,
30 pages each), side by side, with raw Tesseract's text run through the same extractor
as the peer (from bench.ocr_accuracy's cache; run there first to have it). OCR is done
once per set and cached (``SET/archive``); every run re-extracts from the stored words
and re-runs consensus, so the current extractor is measured without OCR. Misses are
printed by class (kind, how the value was written, why it was lost).

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

from bench.common import cached_archive, ingested, make_set, split_sets, timed
from indexer.catalog import Catalog
from indexer.consensus import apply_consensus
from indexer.identifiers import Kind, extract
from pipeline.reextract import read_again

KINDS = [k.value for k in Kind]
Triple = tuple[tuple[str, int], str, str]  # (source, page), kind, canonical


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


def written_form(kind: str, text: str) -> str:
    """How a value was written on the page, for naming miss classes."""
    import re

    ascii_text = text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2))
    digits = ("latin" if re.search("[0-9]", text) else "arabic" if re.search("[٠-٩]", text)
              else "persian")
    folded = ascii_text.replace("ي", "ی")
    if kind == "plaque":
        form = ("slash" if "/" in folded else "asli-fari" if re.match(r"\d+ اصلی \d+", folded)
                else "fari-az-asli" if "اصلی" in folded and "فرعی" in folded
                else "fari-az" if "فرعی" in folded else "asli-only")
    elif kind in ("postal_code", "national_id"):
        form = "hyphen" if "-" in folded else "space" if " " in folded else "plain"
    elif kind == "file_number":
        form = "spaced" if " " in folded else "hyphen" if "-" in folded else "slash"
    else:
        form = "-"
    return f"{form}/{digits}"


def miss_classes(truth_doc: dict[str, Any], truth: set[Triple], found: set[Triple],
                 text: set[Triple]) -> tuple[Counter[tuple[str, str, str]], Counter[tuple[str, str]]]:
    """Misses by (kind, written form, cause) and wrong readings by (kind, cause).

    A miss is ``extractor`` when the extractor misses it on the printed text too,
    ``ocr-slip`` when a reading of that kind on the page is a few characters off it,
    else ``ocr-lost`` (OCR garbled or dropped the value or its label). A wrong reading is
    ``slip`` when near a true value of its page, else ``spurious``.
    """
    from rapidfuzz.distance import Levenshtein

    forms: dict[Triple, str] = {}
    for p in truth_doc["pages"]:
        for i in p["identifiers"]:
            forms.setdefault(((p["source"], int(p["page"])), i["kind"], i["canonical"]),
                             written_form(i["kind"], i["text"]))
    by_page: dict[tuple[tuple[str, int], str], set[str]] = {}
    for key, kind, value in found:
        by_page.setdefault((key, kind), set()).add(value)
    truth_by_page: dict[tuple[tuple[str, int], str], set[str]] = {}
    for key, kind, value in truth:
        truth_by_page.setdefault((key, kind), set()).add(value)
    missed: Counter[tuple[str, str, str]] = Counter()
    for t in truth - found:
        key, kind, value = t
        near = any(Levenshtein.distance(value, v) <= 2 for v in by_page.get((key, kind), ()))
        cause = "extractor" if t not in text else "ocr-slip" if near else "ocr-lost"
        missed[(kind, forms.get(t, "?"), cause)] += 1
    wrong: Counter[tuple[str, str]] = Counter()
    for key, kind, value in found - truth:
        near = any(Levenshtein.distance(value, v) <= 2 for v in truth_by_page.get((key, kind), ()))
        wrong[(kind, "slip" if near else "spurious")] += 1
    return missed, wrong


def _peer_triples(set_dir: Path, truth_doc: dict[str, Any], name: str) -> set[Triple] | None:
    """A peer's text (cached by bench.ocr_accuracy) through the same extractor."""
    import json

    path = set_dir / f"peer-{name}.json"
    if not path.exists():
        return None
    pages = json.loads(path.read_text(encoding="utf-8"))["pages"]
    return {((s, int(p)), str(i.kind), i.canonical) for s, p, t in pages for i in extract(t)}


def run_split(split: str, set_dir: Path, truth_doc: dict[str, Any], args: argparse.Namespace
              ) -> dict[str, Any]:
    archive, _facts, note = cached_archive(set_dir, jobs=args.jobs, fresh=args.fresh)
    with Catalog.open(archive) as catalog:
        pages, extract_s = timed(lambda: read_again(catalog, archive).pages)
        report, consensus_s = timed(lambda: apply_consensus(catalog))
        raw, raw_valid, fixed, fixed_valid = catalog_triples(catalog)
    truth = truth_triples(truth_doc)
    text = text_triples(truth_doc)
    print(f"{split}: {set_dir} ({len(truth_doc['pages'])} pages); OCR: {note}; re-extracted "
          f"{pages} pages in {extract_s:.2f} s; consensus {report.corrected} corrected, "
          f"{report.kept} kept and flagged, in {consensus_s:.2f} s", flush=True)
    return {"truth": truth, "text": text, "raw": raw, "raw_valid": raw_valid, "fixed": fixed,
            "fixed_valid": fixed_valid, "doc": truth_doc,
            "tesseract": _peer_triples(set_dir, truth_doc, "tesseract")}


def _pr(found: set[Triple], truth: set[Triple], kind: str | None) -> tuple[float, float, int]:
    if kind:
        found = {t for t in found if t[1] == kind}
        truth = {t for t in truth if t[1] == kind}
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0, hits / len(truth) if truth else 1.0, len(truth))


def side_by_side(results: dict[str, dict[str, Any]]) -> list[str]:
    """One line per kind: each split's OCR+consensus, OCR alone, raw Tesseract, GT text."""
    columns = [("OCR+consensus", "fixed"), ("OCR", "raw"), ("raw tesseract", "tesseract"),
               ("GT text", "text")]
    head = f"{'kind':<16}"
    for split in results:
        head += f" || {split:<8}{'truth':>5}"
        for name, _ in columns:
            head += f" | {name:>13} P     R"
    lines = [head]
    for kind in [*KINDS, None]:
        line = f"{kind or 'all':<16}"
        for r in results.values():
            line += f" || {'':<8}{_pr(set(), r['truth'], kind)[2]:>5}"
            for _name, key in columns:
                if r[key] is None:
                    line += f" | {'':>13} {'-':>5} {'-':>5}"
                    continue
                p, rec, _n = _pr(r[key], r["truth"], kind)
                line += f" | {'':>13} {p:.3f} {rec:.3f}"
        lines.append(line)
    return lines


def run_splits(args: argparse.Namespace) -> None:
    seeds = {k: v for k, v in (("tuned", args.seed_tuned), ("heldout", args.seed_heldout)) if v}
    results = {split: run_split(split, set_dir, doc, args)
               for split, set_dir, doc in split_sets(Path("bench/out"), pages=args.pages,
                                                     seeds=seeds, splits=args.split)}
    print("distinct (page, kind, canonical); no tuning looks at the heldout split (samples/splits.py)")
    for line in side_by_side(results):
        print(line)
    for split, r in results.items():
        missed, wrong = miss_classes(r["doc"], r["truth"], r["fixed"], r["text"])
        print(f"{split}: OCR+consensus misses by class (kind, written form/digits, cause): "
              + (", ".join(f"{k} {f} {c}: {n}" for (k, f, c), n in sorted(missed.items())) or "none"))
        print(f"{split}: OCR+consensus wrong readings by class: "
              + (", ".join(f"{k} {c}: {n}" for (k, c), n in sorted(wrong.items())) or "none"))
        if args.misses:
            for key, kind, value in sorted(r["truth"] - r["fixed"]):
                print(f"  {split} missed  {key[0]} p.{key[1]} {kind} {value}")
            for key, kind, value in sorted(r["fixed"] - r["truth"]):
                print(f"  {split} wrong   {key[0]} p.{key[1]} {kind} {value}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--pages", type=int, default=None, help="default: 30 a split; 60 with --set")
    ap.add_argument("--seed", type=int, default=1, help="with --set: the bench set's seed")
    ap.add_argument("--seed-tuned", type=int, default=None)
    ap.add_argument("--seed-heldout", type=int, default=None)
    ap.add_argument("--split", action="append", choices=["tuned", "heldout"],
                    help="only this split (repeatable; default both)")
    ap.add_argument("--fresh", action="store_true", help="OCR the split sets again")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--set",
        type=Path,
        default=None,
        help="one bench-preset set instead of the two splits (reused if present)",
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
    if args.set is None and args.archive is None:
        args.pages = args.pages or 30
        run_splits(args)
        return
    args.pages = args.pages or 60
    set_dir = args.set or Path(f"bench/out/identifiers-s{args.seed}")
    truth_doc = make_set(set_dir, pages=args.pages, seed=args.seed)
    archive, ocr_note = ingested(set_dir, args.archive, jobs=args.jobs)
    with Catalog.open(archive) as catalog:
        (pages, extract_s) = timed(lambda: read_again(catalog, archive).pages)
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
