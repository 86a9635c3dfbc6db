"""Search relevance over OCR output: recall@3 of variant-spelled queries on the bench set.

    .venv/bin/python -m bench.search_relevance [--set bench/out/relevance-set] [--archive A]
        [--pages 60] [--seed 5] [--queries 48]

The set is `python -m samples.generate --preset bench` (made if missing), ingested with the
real pipeline (`parvandeh ingest`, about 2-3 s a page on 2 cores) unless --archive names an
archive of it. Each query is built, with a seeded RNG, from one page's ground-truth text: a
run of 2-3 words that few pages share (at most 2, as all-words matches), typed in a variant
spelling: the half-space removed (میباشد), typed as a space (می باشد) or added where the
page has none, Arabic ي/ك, Latin digits, or Arabic-Indic digits. The query must find that
page in the top 3. Planners type words, not quoted phrases, so queries are plain words.

Printed: recall@3 over OCR output (target >= 0.95), with --fuzzy, and over the ground truth
itself (the same queries on a catalog of the true texts: the ceiling, normalization and
ranking alone); then every miss with its reason: OCR misread the phrase (a query word is
not on the OCR'd page; the OCR'd words are shown) or ranking (the page matches, lower).
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ingested, make_set
from indexer.catalog import Catalog, PageRecord
from indexer.normalize import ZWNJ, display, joined_variants
from indexer.query import SearchQuery, match_tokens
from indexer.search import SqliteSearch
from samples.dossier import DIGIT_SETS, with_digits

TOP = 3
MAX_PAGES_SHARING = 2
_DIGIT = re.compile(r"[0-9۰-۹٠-٩]")
#: First halves of compounds that planners often type with a half-space: شهر‌سازی, شهر‌داری,
#: نو‌سازی, زیر‌بنا, کار‌بری, پیش‌بینی (already one), مفاصا‌حساب.
_COMPOUND = re.compile(r"(?<![\u0620-\u06ff\u200c])(شهر|نو|زیر|کار|مفاصا)(?=[\u0620-\u06ff]{3})")


# -- variant spellings ----------------------------------------------------------------------


def _zwnj_removed(phrase: str) -> str | None:
    return phrase.replace(ZWNJ, "") if ZWNJ in phrase else None


def _zwnj_as_space(phrase: str) -> str | None:
    return phrase.replace(ZWNJ, " ") if ZWNJ in phrase else None


def _zwnj_added(phrase: str) -> str | None:
    """A half-space typed inside a compound the page writes joined (شهر‌سازی, زیر‌بنای)."""
    added = _COMPOUND.sub(r"\1" + ZWNJ, phrase, count=1)
    return added if added != phrase else None


_ARABIC_KEYBOARD = str.maketrans("یک", "يك")


def _arabic_letters(phrase: str) -> str | None:
    typed = phrase.translate(_ARABIC_KEYBOARD)
    return typed if typed != phrase else None


def _digits(style: str) -> Callable[[str], str | None]:
    def typed(phrase: str) -> str | None:
        if not _DIGIT.search(phrase):
            return None
        out = with_digits(phrase, style)
        return out if out != phrase else None

    return typed


VARIANTS: dict[str, Callable[[str], str | None]] = {
    "half-space removed": _zwnj_removed,
    "half-space as space": _zwnj_as_space,
    "half-space added": _zwnj_added,
    "Arabic ي/ك": _arabic_letters,
    "Latin digits": _digits("ascii"),
    "Arabic-Indic digits": _digits("arabic"),
}
assert set(DIGIT_SETS) >= {"ascii", "arabic"}


# -- building the queries -------------------------------------------------------------------


@dataclass(frozen=True)
class RelevanceQuery:
    variant: str
    text: str  # what is typed
    phrase: str  # as the ground truth has it
    source: str
    page: int


def _phrases(text: str) -> list[str]:
    """Runs of 2-3 whitespace words within one line, each with some letters or digits."""
    out = []
    for line in display(text).split("\n"):
        words = line.split()
        for size in (2, 3):
            for i in range(len(words) - size + 1):
                run = words[i : i + size]
                if sum(len(match_tokens(w)) > 0 for w in run) == size and len("".join(match_tokens(" ".join(run)))) >= 6:
                    out.append(" ".join(run))
    return out


def build_queries(truth: list[dict[str, Any]], n: int, seed: int) -> list[RelevanceQuery]:
    """`n` queries, cycling through the variants, from distinctive phrases of shuffled pages."""
    rng = random.Random(f"search-relevance:{seed}")
    token_sets = [set(match_tokens(p["text"])) for p in truth]

    def sharing(phrase: str) -> int:
        wanted = set(match_tokens(phrase))
        return sum(wanted <= tokens for tokens in token_sets)

    order = list(range(len(truth)))
    rng.shuffle(order)
    names = list(VARIANTS)
    queries: list[RelevanceQuery] = []
    used: Counter[int] = Counter()
    cursor = 0
    while len(queries) < n:
        variant = names[len(queries) % len(names)]
        for _ in range(len(order)):  # the next page, least used first, that has a fitting phrase
            index = order[cursor % len(order)]
            cursor += 1
            if used[index] > min(used[i] for i in order):
                continue
            page = truth[index]
            fitting = [(p, typed) for p in _phrases(page["text"])
                       if (typed := VARIANTS[variant](p)) is not None and sharing(p) <= MAX_PAGES_SHARING]
            if fitting:
                phrase, typed = rng.choice(fitting)
                queries.append(RelevanceQuery(variant, typed, phrase, page["source"], int(page["page"])))
                used[index] += 1
                break
        else:
            raise SystemExit(f"no page has a distinctive phrase for {variant!r}")
    return queries


# -- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    query: RelevanceQuery
    rank: int | None  # 1-based rank of the target page; None: not found at all


def evaluate(catalog: Catalog, queries: list[RelevanceQuery], *, fuzzy: bool = False) -> list[Outcome]:
    backend = SqliteSearch(catalog)
    out = []
    for q in queries:
        result = backend.search(SearchQuery.build(q.text, limit=1000, fuzzy=fuzzy))
        ranks = [i for i, h in enumerate(result.hits, start=1) if (h.source, h.page) == (q.source, q.page)]
        out.append(Outcome(q, ranks[0] if ranks else None))
    return out


def recall(outcomes: list[Outcome]) -> float:
    return sum(o.rank is not None and o.rank <= TOP for o in outcomes) / len(outcomes)


def truth_catalog(path: Path, truth: list[dict[str, Any]]) -> Catalog:
    """The ground-truth texts indexed the way ingest indexes OCR output, file by file."""
    catalog = Catalog(path)
    files: dict[str, list[dict[str, Any]]] = {}
    for page in truth:
        files.setdefault(page["source"], []).append(page)
    for i, (source, pages) in enumerate(sorted(files.items())):
        sha = f"{i:064x}"
        catalog.add_source(sha256=sha, kind="pdf", size=1, dpis=[300] * max(int(p["page"]) for p in pages),
                           first_path=f"/truth/{source}")
        catalog.record_path(path=f"/truth/{source}", display=source, dossier=pages[0]["dossier"], sha256=sha,
                            size=1, mtime_ns=1)
        catalog.record_pages(
            [PageRecord(sha, int(p["page"]), p["text"], 100.0, 1, 0, 300, False, 0, 0.0, "truth", 0.0,
                        document_date=p.get("document_date")) for p in pages],
            run_id=1,
        )
    return catalog


def _ocr_text(catalog: Catalog, source: str, page: int) -> str:
    row = catalog.db.execute(
        """SELECT p.text FROM pages p JOIN paths pa ON pa.sha256 = p.sha256
           WHERE pa.display = ? AND p.page = ? AND p.state = 'done'""", (source, page)
    ).fetchone()
    return row[0] or "" if row else ""


def _absent(query: RelevanceQuery, ocr: str) -> tuple[list[str], list[str], list[str]]:
    """Why the OCR'd page does not match: the query words no spelling of which is on it,
    the OCR'd words closest to those, and words that are there but not together, as typed
    (a number whose groups OCR split up or reordered)."""
    from difflib import get_close_matches

    tokens = match_tokens(ocr)
    singles = set(tokens) | set(joined_variants(ocr))

    def on_page(alt: tuple[str, ...]) -> bool:
        if len(alt) == 1:
            return alt[0] in singles
        return any(tuple(tokens[i : i + len(alt)]) == alt for i in range(len(tokens) - len(alt) + 1))

    missing: list[str] = []
    apart: list[str] = []
    for clause in SearchQuery.build(query.text).clauses:
        if any(on_page(alt) for alt in clause.alternatives):
            continue
        first = clause.alternatives[0]
        (apart if all(t in singles for t in first) else missing).append(" ".join(first))
    near = [w for m in missing for w in get_close_matches(m.replace(" ", ""), sorted(set(tokens)), n=1, cutoff=0.5)]
    return missing, near, apart


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", type=Path, default=Path("bench/out/relevance-set"), help="generated set (made if missing)")
    ap.add_argument("--archive", type=Path,
                    help="an archive of the set to reuse, or to ingest into if it has no catalog "
                         "(default: ingest afresh into SET/archive)")
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--queries", type=int, default=48)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    truth = make_set(args.set, pages=args.pages, seed=args.seed)["pages"]
    if args.archive is None or not (args.archive / "catalog.sqlite").exists():
        print(f"ingesting {args.set / 'scans'} (real OCR) …", flush=True)
    archive, note = ingested(args.set, args.archive, jobs=args.jobs)
    print(f"archive: {note}")

    queries = build_queries(truth, args.queries, args.seed)
    with Catalog.open(archive) as catalog:
        done = catalog.counts()["done"]
        ocr = evaluate(catalog, queries)
        fuzzy = evaluate(catalog, queries, fuzzy=True)
        texts = {(o.query.source, o.query.page): _ocr_text(catalog, o.query.source, o.query.page) for o in ocr}
    with tempfile.TemporaryDirectory() as tmp, truth_catalog(Path(tmp) / "truth.sqlite", truth) as clean:
        ceiling = evaluate(clean, queries)

    print(f"set: {args.set} ({len(truth)} pages, seed {args.seed}), archive: {archive} ({done} pages OCR'd)")
    print(f"queries: {len(queries)}, each the variant spelling of a phrase shared by at most {MAX_PAGES_SHARING} pages")
    by_variant = Counter(q.variant for q in queries)
    for variant in VARIANTS:
        mine = [o for o in ocr if o.query.variant == variant]
        print(f"  {variant:<20} n={by_variant[variant]:<3} recall@{TOP} {recall(mine):.2f}  "
              f"(--fuzzy {recall([o for o in fuzzy if o.query.variant == variant]):.2f})")
    print(f"recall@{TOP} over OCR output: {recall(ocr):.3f}  [target >= 0.95]")
    print(f"recall@{TOP} over OCR output with --fuzzy: {recall(fuzzy):.3f}")
    print(f"recall@{TOP} over the ground truth (no OCR): {recall(ceiling):.3f}")

    misses = [(o, f, c) for o, f, c in zip(ocr, fuzzy, ceiling, strict=True) if o.rank is None or o.rank > TOP]
    misread = [o for o, _f, _c in misses if o.rank is None]

    def number_misread(o: Outcome) -> bool:
        missing, _near, apart = _absent(o.query, texts[o.query.source, o.query.page])
        return any(ch.isdigit() for word in missing + apart for ch in word)

    print(f"misses: {len(misses)}: OCR misread the phrase {len(misread)} "
          f"({sum(map(number_misread, misread))} of them a number), ranking {len(misses) - len(misread)}")
    for o, f, c in misses:
        q = o.query
        fuzzy_note = f"; --fuzzy: rank {f.rank}" if f.rank else "; --fuzzy: not found"
        truth_note = f"ground truth rank {c.rank}" if c.rank else "not found in the ground truth either"
        if o.rank is None:
            missing, near, apart = _absent(q, texts[q.source, q.page])
            reason = "OCR misread the phrase: " + "; ".join(
                ([f"{' '.join(missing)} not on the page (OCR has: {' '.join(near) or '-'})"] if missing else [])
                + ([f"{' / '.join(apart)} split up or reordered"] if apart else [])
            )
        else:
            reason = f"ranking: the page matches at rank {o.rank}"
        print(f"  [{q.variant}] {q.text!r} (page says {q.phrase!r}) -> {q.source} p.{q.page}: {reason}"
              f" ({truth_note}{fuzzy_note})")


if __name__ == "__main__":
    main()
