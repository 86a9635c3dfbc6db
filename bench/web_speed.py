"""Web search speed: the search-speed bench's queries over HTTP, end to end.

    .venv/bin/python -m bench.web_speed [--pages 100000] [--queries 200] [--seed 3] [--keep DIR]

The catalog is the one `bench/search_speed.py` builds (synthetic pages from the sample
generator's plans, written through the ingest's own writer; `--keep DIR` keeps it and a
later run with the same DIR reuses it). `parvandeh serve` runs it in its own process on
127.0.0.1, and one client (httpx, one kept-alive connection) times `GET /api/search` and
the HTML `GET /search` for the planner mix: request, search, masking, JSON or template,
response, all included. The peer, in this script on the same catalog and queries:
`SqliteSearch.search` called directly (no HTTP, no masking), as a ratio. The three run
one after another for each query, so on a shared machine they meet the same load. Target: p95
under 100 ms over HTTP.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.search_speed import BenchQuery, _percentiles, corpus, index_pages, make_queries
from indexer.catalog import Catalog
from indexer.query import SearchQuery
from indexer.search import SqliteSearch, search_threads


def params_for(q: BenchQuery) -> dict[str, str]:
    """The bench query as the web API's query parameters (the CLI's flags)."""
    out = {"q": q.text} if q.text else {}
    for kind, canonical in q.options.get("identifiers", ()):
        out[kind] = canonical
    if q.options.get("dossier"):
        out["dossier"] = q.options["dossier"]
    if q.options.get("date_from"):
        out["from"] = q.options["date_from"]
    if q.options.get("date_to"):
        out["to"] = q.options["date_to"]
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(archive: Path, port: int) -> subprocess.Popen[bytes]:
    """`parvandeh serve` on 127.0.0.1 in its own process, once it answers."""
    exe = Path(sys.executable).with_name("parvandeh")
    proc = subprocess.Popen([str(exe), "serve", "--archive", str(archive), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"parvandeh serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("parvandeh serve did not answer within 60 s")


def time_side_by_side(base: str, db: Path, queries: list[BenchQuery], threads: int
                      ) -> tuple[list[float], list[float], list[float], int]:
    """Each query three times in a row: `GET /api/search`, `GET /search` (HTML) and
    `SqliteSearch.search` directly, so all three meet the same load on a shared machine;
    which goes first turns with each query (the first of three reads the pages from disk)."""
    api, page, direct, bad = [], [], [], 0
    with (httpx.Client(base_url=base, timeout=60) as client, Catalog(db) as catalog,
          SqliteSearch(catalog, threads=threads) as backend):
        client.get("/api/search", params={"q": "کرج"})  # warm the page cache and the consistency check
        backend.search(SearchQuery.build("کرج"))
        for n, q in enumerate(queries):
            params = params_for(q)
            query = SearchQuery.build(q.text, **q.options)
            order = [("/api/search", api), ("/search", page), (None, direct)]
            for path, into in order[n % 3 :] + order[: n % 3]:
                started = time.perf_counter()
                if path is None:
                    backend.search(query)
                else:
                    response = client.get(path, params=params)
                    response.read()
                    bad += response.status_code != 200
                into.append(time.perf_counter() - started)
    return api, page, direct, bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="processes computing index_text while building")
    ap.add_argument("--keep", type=Path, help="build the catalog in this folder and keep it (reused when there)")
    args = ap.parse_args()

    pages = corpus(args.pages, args.seed)
    work = args.keep or Path(tempfile.mkdtemp(prefix="parvandeh-web-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "catalog.sqlite"
    proc = None
    try:
        if not db.exists():
            built = index_pages(db, pages, workers=args.workers, batch=None)
            print(f"catalog: {len(pages)} synthetic pages indexed in {built:.0f} s ({work})")
        else:
            print(f"catalog: reusing {db} ({len(pages)} synthetic pages)")
        queries = make_queries(pages, args.queries, args.seed)
        threads = search_threads()
        port = _free_port()
        proc = serve(work, port)
        base = f"http://127.0.0.1:{port}"
        api, page, direct, bad = time_side_by_side(base, db, queries, threads)
        (a50, a95), (h50, h95), (d50, d95) = _percentiles(api), _percentiles(page), _percentiles(direct)
        paired = statistics.median(a / d for a, d in zip(api, direct, strict=True))
        print(f"web      GET /api/search  p50 {a50:6.1f} ms  p95 {a95:6.1f} ms  over {len(queries)} planner-mix queries, "
              f"HTTP through uvicorn on 127.0.0.1 (parvandeh serve, ranked in {threads} thread(s))  [target p95 < 100 ms]")
        print(f"web      GET /search (HTML) p50 {h50:6.1f} ms  p95 {h95:6.1f} ms  ({bad} answers not 200)")
        print(f"peer     SqliteSearch.search direct p50 {d50:6.1f} ms  p95 {d95:6.1f} ms  ratio API/direct "
              f"p50 {a50 / d50:.2f}x  p95 {a95 / d95:.2f}x;  HTML/direct p50 {h50 / d50:.2f}x  p95 {h95 / d95:.2f}x")
        print(f"         per query, API/direct median {paired:.2f}x (the API adds HTTP, masking national ids in "
              f"snippets and JSON: p50 {a50 - d50:+.1f} ms)")
    finally:
        if proc is not None:
            proc.kill()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
