"""Search speed: index 100,000 synthetic pages, then time 200 mixed queries.

    .venv/bin/python -m bench.search_speed [--pages 100000] [--queries 200] [--seed 3]

Page texts come from the sample generator's plans and templates (bench/corpus.py: no
drawing, no OCR) and are written through the catalog's write path (page row, identifiers,
normalized text and FTS5 rows). The headline indexing figure, on all the pages, feeds the
catalog the way `pipeline/ingest.py` does: page workers compute `index_text` beside OCR
(`pipeline/task.py`; `--workers` processes here) and the ingest's own writer
(`BatchWriter`) commits them in batches (so many pages or so many seconds, whichever
comes first). The other ways are timed on a fifth of the pages: `record_pages` (BATCH
pages a transaction) with worker forms and with the writer normalizing, and
`record_page` (a transaction per page) with the writer normalizing.

Queries mix words, "phrases", prefixes, OR, exclusions, identifier, dossier and date
filters, typed as planners type (ي/ك, any digits, half-spaces or not). Two mixes: the
planner mix draws words from the archive's vocabulary, each distinct word alike (what
people look up: names, streets, topics); the running-text mix draws them from a random
page's running text, so mostly the template words every page repeats. Latency is also
shown by the share of pages a query matches: FTS5 computes bm25 for every matching page
(about half a microsecond each), so a query matching most of the archive is the slow
case. `SqliteSearch` ranks such an index in `--threads` threads (default: the CPUs, at
most 4), each over its own range of page ids; the planner mix is also timed in one
thread, and the peer always runs in one.

The peer, in the same script on the same pages: a bare FTS5 table over the raw,
unnormalized text, indexed in the same batches and queried with the same words as a plain
MATCH (with its own snippet()). The ratio lines are the cost of normalization, joined
variants, filters and Persian snippets. Targets on a 2-core machine with SQLite:
>= 2,000 pages/s indexing, p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from bench.corpus import SyntheticPage, synthetic_pages
from indexer.catalog import Catalog, PageRecord, index_text
from indexer.query import SearchQuery, match_tokens
from indexer.search import SqliteSearch, search_threads
from pipeline.ingest import WRITE_BATCH_PAGES, WRITE_BATCH_SECONDS, BatchWriter

OUT = Path("bench/out")
BATCH = 1000


def _words(text: str) -> list[str]:
    """Index terms of three letters or more (what a planner looks up), in page order."""
    return [t for t in match_tokens(text) if len(t) >= 3 and t.isalpha()]


# -- the pages ------------------------------------------------------------------------------


def corpus(pages: int, seed: int) -> list[SyntheticPage]:
    """The synthetic pages, cached under bench/out (making them is slower than indexing)."""
    cache = OUT / f"search-corpus-{pages}-{seed}.jsonl.gz"
    if cache.exists():
        with gzip.open(cache, "rt", encoding="utf-8") as f:
            return [_page(json.loads(line)) for line in f]
    made = list(synthetic_pages(pages, seed))
    cache.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(cache, "wt", encoding="utf-8") as f:
        for page in made:
            f.write(json.dumps(asdict(page), ensure_ascii=False) + "\n")
    return made


def _page(obj: dict[str, Any]) -> SyntheticPage:
    return SyntheticPage(**{**obj, "identifiers": tuple(obj["identifiers"])})


def _sha(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


# -- indexing -------------------------------------------------------------------------------


def ledger(catalog: Catalog, pages: list[SyntheticPage]) -> None:
    """What discovery and the ledger write before OCR: sources, paths, pending pages."""
    files: dict[str, list[SyntheticPage]] = {}
    for page in pages:
        files.setdefault(page.source, []).append(page)
    with catalog.transaction():
        for source, its_pages in files.items():
            sha, path = _sha(source), f"/scans/{source}"
            catalog.record_path(path=path, display=source, dossier=its_pages[0].dossier, sha256=sha,
                                size=1, mtime_ns=1)
            catalog.add_source(sha256=sha, kind="pdf", size=1, dpis=[300] * len(its_pages), first_path=path)


def records(pages: Iterable[SyntheticPage]) -> Iterator[PageRecord]:
    for p in pages:
        yield PageRecord(
            sha256=_sha(p.source), page=p.page, text=p.text, confidence=90.0, words=len(p.text.split()),
            weak_words=0, dpi=300, dpi_estimated=False, rotation=0, skew=0.0, recipe="standard",
            seconds=0.0, document_date=p.date, identifiers=p.identifiers,
        )


def _fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def index_pages(path: Path, pages: list[SyntheticPage], *, workers: int = 0, batch: int | None = BATCH) -> float:
    """Seconds to write `pages` (ledger excluded).

    ``batch`` None: the ingest's own writer (`pipeline.ingest.BatchWriter`: fed this fast,
    it commits every `WRITE_BATCH_PAGES` pages or `WRITE_BATCH_SECONDS`, whichever first),
    then the index merge that ends an ingest run (`Catalog.merge_index`);
    1: `record_page`, a transaction per page; n: `record_pages`, n per transaction.
    `workers` > 0: that many processes compute `index_text` for each page, as page
    workers do beside OCR, and this process only writes.
    """
    with Catalog(_fresh(path)) as catalog:
        ledger(catalog, pages)
        started = time.perf_counter()
        stream: Iterator[PageRecord] = records(pages)
        pool = ProcessPoolExecutor(workers) if workers else None
        try:
            if pool is not None:
                forms = pool.map(index_text, (p.text for p in pages), chunksize=64)
                stream = (replace(r, index=f) for r, f in zip(stream, forms, strict=True))
            if batch is None:
                writer = BatchWriter(catalog, path.parent, 1, keep_images=False)
                for record in stream:
                    writer.add_record(record)
                writer.flush()
                catalog.merge_index()  # as the ingest does at the end of a run
            elif batch == 1:
                for record in stream:
                    catalog.record_page(record, run_id=1)
            else:
                while chunk := list(islice(stream, batch)):
                    catalog.record_pages(chunk, run_id=1)
        finally:
            if pool is not None:
                pool.shutdown()
        return time.perf_counter() - started


def index_raw(path: Path, pages: list[SyntheticPage]) -> float:
    """The peer: a bare FTS5 table over the raw text, same batch size."""
    db = sqlite3.connect(_fresh(path), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE VIRTUAL TABLE raw_fts USING fts5(text)")
    started = time.perf_counter()
    rows = ((i, p.text) for i, p in enumerate(pages, start=1))
    while batch := list(islice(rows, BATCH)):
        db.execute("BEGIN")
        db.executemany("INSERT INTO raw_fts (rowid, text) VALUES (?, ?)", batch)
        db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()
    return seconds


# -- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    text: str
    raw: str | None  # the same words as a plain FTS5 MATCH on raw text; None: no peer
    options: dict[str, Any]


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def make_queries(pages: list[SyntheticPage], n: int, seed: int, *, running_text: bool = False) -> list[BenchQuery]:
    """`n` queries: 30% words, 20% phrases, 20% prefixes, 20% identifiers, 10% operators and
    filters. Words come from the index's vocabulary, each distinct word alike (a second word
    and the phrase from a page that has the first), or with `running_text` from a random
    page's running text; phrases are typed as the page has them, so only exclusions can
    find nothing."""
    rng = random.Random(f"search-speed:{seed}:{running_text}")
    sample = pages[:: max(1, len(pages) // 5000)]
    having: dict[str, list[int]] = {}
    for i, p in enumerate(sample):
        for w in set(_words(p.text)):
            having.setdefault(w, []).append(i)
    vocabulary = sorted(having)
    kinds = ["word"] * 30 + ["phrase"] * 20 + ["prefix"] * 20 + ["identifier"] * 20 + ["mixed"] * 10
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        if running_text:
            page = rng.choice(pages)
            words = _words(page.text) or ["کرج"]
            word = rng.choice(words)
        else:
            word = rng.choice(vocabulary)
            page = sample[rng.choice(having[word])]
            words = _words(page.text)
        second = rng.choice(words if running_text else sorted(set(words)))
        if kind == "word":
            text = f"{word} {second}" if rng.random() < 0.5 else word
            out.append(BenchQuery(kind, text, " ".join(_quote(w) for w in text.split()), {}))
        elif kind == "phrase":  # as the page types it: its own letters, digits and half-spaces
            lines = [line.split() for line in page.text.split("\n") if len(line.split()) >= 2] or [["کرج", "کرج"]]
            if not running_text:  # around the chosen word
                lines = [line for line in lines if word in match_tokens(" ".join(line))] or lines
            line = rng.choice(lines)
            at = rng.randrange(len(line) - 1)
            if not running_text:
                at = min(next((i for i, w in enumerate(line) if word in match_tokens(w)), at), len(line) - 2)
                at = max(0, at - rng.randrange(2))
            phrase = " ".join(line[at : at + rng.choice((2, 3))])
            out.append(BenchQuery(kind, f'"{phrase}"', _quote(phrase), {}))
        elif kind == "prefix":
            stem = word[: rng.randint(3, max(3, len(word) - 1))]
            out.append(BenchQuery(kind, f"{stem}*", f"{_quote(stem)}*", {}))
        elif kind == "identifier":
            ids = [i for i in page.identifiers
                   if i["kind"] in ("plaque", "file_number", "postal_code", "renovation_code", "permit_number")]
            if not ids:
                out.append(BenchQuery(kind, word, _quote(word), {}))
                continue
            ident = rng.choice(ids)
            text = word if rng.random() < 0.5 else ""
            out.append(BenchQuery(kind, text, None, {"identifiers": ((ident["kind"], ident["canonical"]),)}))
        else:
            choice = rng.randrange(4)
            if choice == 0:
                other = rng.choice(vocabulary) if not running_text else second
                out.append(BenchQuery(kind, f"{word} OR {other}", f"{_quote(word)} OR {_quote(other)}", {}))
            elif choice == 1:
                out.append(BenchQuery(kind, f"{word} -{second}", f"{_quote(word)} NOT {_quote(second)}", {}))
            elif choice == 2:
                out.append(BenchQuery(kind, word, None, {"dossier": page.dossier}))
            else:
                out.append(BenchQuery(kind, word, None, {"date_from": "2010-01-01", "date_to": "2015-12-31"}))
    return out


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return float("nan"), float("nan")
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def time_ours(path: Path, queries: list[BenchQuery], *, threads: int | None = None,
              **mode: Any) -> tuple[list[float], list[int]]:
    with Catalog(path) as catalog, SqliteSearch(catalog, threads=threads) as backend:
        backend.search(SearchQuery.build("کرج"))  # warm the page cache and the consistency check
        seconds, totals = [], []
        for q in queries:
            query = SearchQuery.build(q.text, **q.options, **mode)
            started = time.perf_counter()
            result = backend.search(query)
            seconds.append(time.perf_counter() - started)
            totals.append(result.total)
    return seconds, totals


def time_raw(path: Path, queries: list[BenchQuery]) -> list[float]:
    db = sqlite3.connect(path)

    def run(match: str) -> None:
        db.execute("SELECT count(*) FROM raw_fts WHERE raw_fts MATCH ?", (match,)).fetchone()
        db.execute("SELECT rowid, snippet(raw_fts, 0, '<mark>', '</mark>', '…', 28), -bm25(raw_fts) AS s "
                   "FROM raw_fts WHERE raw_fts MATCH ? ORDER BY s DESC LIMIT 20", (match,)).fetchall()

    run('"کرج"')
    seconds = []
    for q in queries:
        assert q.raw is not None
        started = time.perf_counter()
        run(q.raw)
        seconds.append(time.perf_counter() - started)
    db.close()
    return seconds


BUCKETS = ((0.01, "<= 1%"), (0.1, "<= 10%"), (0.5, "<= 50%"), (1.0, "> 50%"))


def report_mix(name: str, db: Path, queries: list[BenchQuery], pages: int,
               threads: int) -> tuple[list[float], list[int]]:
    seconds, totals = time_ours(db, queries, threads=threads)
    p50, p95 = _percentiles(seconds)
    print(f"queries  {name:<13} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  over {len(queries)} queries "
          f"({sum(t == 0 for t in totals)} found nothing), ranked in {threads} thread(s)  [target p95 <= 50 ms]")
    kinds = "  ".join(
        f"{kind} {_percentiles([s for s, q in zip(seconds, queries, strict=True) if q.kind == kind])[1]:.0f}"
        for kind in ("word", "phrase", "prefix", "identifier", "mixed")
    )
    print(f"    p95 ms by kind: {kinds}")
    parts = []
    lower = 0.0
    for limit, label in BUCKETS:
        mine = [s for s, t in zip(seconds, totals, strict=True) if lower < t / pages <= limit or (t == 0 and lower == 0)]
        lower = limit
        p50b, p95b = _percentiles(mine)
        parts.append(f"{label} of pages: n={len(mine)} p50 {p50b:.0f} p95 {p95b:.0f}")
    print(f"    by pages matched: {';  '.join(parts)}")
    return seconds, totals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="processes computing index_text")
    ap.add_argument("--threads", type=int, default=search_threads(),
                    help="threads a search ranks in (default: PARVANDEH_SEARCH_THREADS or the CPUs, at most 4)")
    ap.add_argument("--keep", type=Path, help="build the indexes in this folder and keep them")
    args = ap.parse_args()

    made = time.perf_counter()
    pages = corpus(args.pages, args.seed)
    n = len(pages)
    print(f"corpus: {n} synthetic pages (seed {args.seed}, {sum(len(p.text) for p in pages) / n:.0f} characters "
          f"per page) ready in {time.perf_counter() - made:.1f} s")
    work = args.keep or Path(tempfile.mkdtemp(prefix="parvandeh-search-"))
    work.mkdir(parents=True, exist_ok=True)
    ours_db, raw_db, scratch = work / "catalog.sqlite", work / "raw.sqlite", work / "scratch.sqlite"
    try:
        ingest_s = index_pages(ours_db, pages, workers=args.workers, batch=None)
        raw_s = index_raw(raw_db, pages)
        print(f"indexing {n} pages  as ingest writes them (index_text in {args.workers} worker processes, "
              f"the ingest's BatchWriter: {WRITE_BATCH_PAGES} pages or {WRITE_BATCH_SECONDS} s a transaction, "
              f"then the index merged): "
              f"{n / ingest_s:6.0f} pages/s  raw FTS5 peer ({BATCH} a transaction): {n / raw_s:6.0f} pages/s  "
              f"ratio {raw_s / ingest_s:.2f}x  [target >= 2000]")
        part = pages[: max(1, n // 5)]  # the other ways of writing, on the same pages
        batched_workers_s = index_pages(scratch, part, workers=args.workers)
        batched_s = index_pages(scratch, part)
        per_page_s = index_pages(scratch, part, batch=1)
        _fresh(scratch)
        print(f"indexing {len(part)} pages  record_pages ({BATCH} a transaction) with index_text in {args.workers} "
              f"worker processes: {len(part) / batched_workers_s:.0f} pages/s;  record_pages, writer normalizing: "
              f"{len(part) / batched_s:.0f} pages/s;  record_page, writer normalizing: "
              f"{len(part) / per_page_s:.0f} pages/s")

        planner = make_queries(pages, args.queries, args.seed)
        running = make_queries(pages, args.queries, args.seed, running_text=True)
        ours, _ = report_mix("planner mix", ours_db, planner, n, args.threads)
        report_mix("running text", ours_db, running, n, args.threads)
        if args.threads > 1:
            report_mix("planner mix", ours_db, planner, n, 1)
        peer = [q for q in planner if q.raw is not None]
        ours_peer = [s for s, q in zip(ours, planner, strict=True) if q.raw is not None]
        raw = time_raw(raw_db, peer)
        (o50, o95), (r50, r95) = _percentiles(ours_peer), _percentiles(raw)
        print(f"peer     same {len(peer)} text queries: parvandeh ({args.threads} thread(s)) p50 {o50:.1f} / p95 "
              f"{o95:.1f} ms, raw FTS5 MATCH (1 thread) p50 {r50:.1f} / p95 {r95:.1f} ms  ratio p50 {o50 / r50:.2f}x, "
              f"p95 {o95 / r95:.2f}x")
        fuzzy, _ = time_ours(ours_db, [q for q in planner if q.kind == "word"], threads=args.threads, fuzzy=True)
        grouped, _ = time_ours(ours_db, planner, threads=args.threads, by_dossier=True)
        (f50, f95), (g50, g95) = _percentiles(fuzzy), _percentiles(grouped)
        print(f"modes    --fuzzy (planner word queries): p50 {f50:.1f} / p95 {f95:.1f} ms;  "
              f"--by-dossier (planner mix): p50 {g50:.1f} / p95 {g95:.1f} ms")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
