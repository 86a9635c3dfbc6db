"""`parvandeh`: the command line, a thin shell over pipeline/ and indexer/.

One boundary handler turns every failure into one line and its exit code
(a traceback only with -v).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from pipeline.errors import ExitCode, exit_code_for

F = TypeVar("F", bound=Callable[..., Any])

# Each identifier kind has a search flag of the same name (--renovation-code for renovation_code).
IDENTIFIER_KINDS = ("plaque", "renovation_code", "postal_code", "file_number", "permit_number", "national_id")


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 file`, `2 files` (`many` for irregular plurals)."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def archive_option(f: F) -> F:
    return click.option(
        "--archive",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("archive"),
        envvar="PARVANDEH_ARCHIVE",
        show_default=True,
        help="Archive folder holding catalog.sqlite, pages/ and reports/.",
    )(f)


def digits_option(f: F) -> F:
    return click.option(
        "--digits",
        type=click.Choice(["latin", "persian"]),
        default="latin",
        envvar="PARVANDEH_DIGITS",
        show_default=True,
        help="Digits of the Jalali dates shown (1387/04/16 or ۱۳۸۷/۰۴/۱۶); --json keeps ISO with the Jalali beside it.",
    )(f)


def shown_date(iso: str | None, digits: str) -> str | None:
    """A catalog date as planners read it: Jalali, in the digits asked for."""
    from indexer.dates import iso_to_jalali

    return iso_to_jalali(iso, persian_digits=digits == "persian")


def _catalog(archive: Path, *, must_exist: bool = True) -> Any:
    from indexer.catalog import Catalog

    if must_exist and not (archive / "catalog.sqlite").exists():
        raise click.UsageError(f"no archive at {archive} (run `parvandeh ingest PATH --archive {archive}` first)")
    return Catalog.open(archive)


class _PipeClosed(Exception):
    """Standard output's reader went away (`… | head -1`)."""


class ParvandehGroup(click.Group):
    """The command group; a closed output pipe leaves every command as `_PipeClosed`, before
    click would turn it into a silent exit 1."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:  # the group's own --help and --version are written here
            return super().make_context(*args, **kwargs)
        except BrokenPipeError as e:
            raise _PipeClosed from e

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as e:
            raise _PipeClosed from e


@click.group(cls=ParvandehGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging and tracebacks on errors.")
@click.version_option(package_name="parvandeh")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """parvandeh (پرونده): OCR, index and search a planning-dossier archive."""
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(name)s: %(message)s")


# -- ingest -------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@archive_option
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="OCR processes (0: one per core).")
@click.option("--lang", default="fas+eng", show_default=True, help="Tesseract languages.")
@click.option("--page-timeout", type=click.FloatRange(min=1), default=300.0, show_default=True, help="Seconds before one page's OCR is abandoned.")
@click.option("--file-timeout", type=click.FloatRange(min=1), default=120.0, show_default=True,
              help="Seconds opening one file may take (counting its pages, repairing a damaged PDF).")
@click.option("--memory-limit", type=click.IntRange(min=0), default=2048, show_default=True, metavar="MB",
              help="Address space each page-reading process (and the programs it runs) may use; 0: no cap.")
@click.option("--retry-failed", is_flag=True, help="OCR pages that failed in earlier runs again.")
@click.option("--second-chance-below", type=click.FloatRange(0, 100), default=80.0, show_default=True, help="Re-read pages whose mean confidence is below this with a stronger cleaning recipe.")
@click.option("--no-images", "keep_images", is_flag=True, flag_value=False, default=True, help="Do not keep cleaned page images in the archive.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--queue", "queue_url", metavar="URL", envvar="PARVANDEH_QUEUE",
              help="OCR on `parvandeh worker`s through this Redis (redis://HOST:6379/0) instead of local processes.")
@click.option("--batch-size", type=click.IntRange(1, 100), default=4, show_default=True,
              help="Pages per queue job (with --queue).")
@click.option("--wait", is_flag=True,
              help="If another ingest is using the archive, wait for it to finish (default: stop, exit 5).")
def ingest(paths: tuple[Path, ...], quiet: bool, queue_url: str | None, batch_size: int, **values: Any) -> None:
    """Discover, OCR and index scans under PATHS (resumable; safe to re-run).

    One ingest at a time per archive: a second one stops at once (exit 5) saying which
    run and PID hold it, or waits with --wait. A killed ingest leaves no lock behind.
    """
    from pipeline.discover import SCAN_SUFFIXES
    from pipeline.ingest import ingest as run_ingest
    from pipeline.options import IngestOptions
    from pipeline.progress import reporter_for

    options = IngestOptions.from_mapping(values)
    runner = None
    if queue_url:
        from pipeline.queue import QueueRunner

        # The archive's path scopes job ids and the resume set: a re-run finds its jobs.
        runner = QueueRunner(queue_url, batch_size=batch_size, namespace=str(options.archive.resolve()))
    def waiting(holder: dict[str, Any]) -> None:
        from pipeline.lock import describe

        click.echo(f"waiting: archive {options.archive} is in use by {describe(holder)}", err=True)

    summary = run_ingest(list(paths), options, reporter=reporter_for(quiet=quiet), runner=runner, on_wait=waiting)
    if runner is not None:
        st = runner.stats
        click.echo(f"queue: {plural(st.enqueued, 'job')} enqueued, {st.adopted} resumed, {st.reaped} taken back "
                   f"from lost workers, {st.failed_jobs} failed on every try", err=True)
    click.echo(
        f"{plural(summary.files, 'file')} ({summary.new_sources} new, {summary.duplicates} duplicate), "
        f"{plural(summary.pages_done, 'page')} OCR'd, {summary.pages_failed} failed, "
        f"{len(summary.quarantined)} quarantined"
        + (f", {plural(summary.ignored.total, 'non-scan file')} ignored" if summary.ignored.total else "")
    )
    for path in summary.empty_paths:
        click.echo(f"no scan files found under {path} (scans are {', '.join(sorted(SCAN_SUFFIXES))})", err=True)
    for display, reason in summary.quarantined:
        click.echo(f"quarantined: {display}: {reason}", err=True)
    for source, page, error in summary.failed_pages:
        click.echo(f"failed page: {source} p.{page}: {error}", err=True)
    for display, note in summary.repaired:
        click.echo(f"repaired: {display}: {note}", err=True)
    if not summary.clean:
        sys.exit(ExitCode.QUARANTINED)


# -- search -------------------------------------------------------------------------------

def parse_date(value: str | None) -> str | None:
    """A Jalali (1384/06/12) or ISO (2005-09-03) date from the command line, as ISO."""
    if not value:
        return None
    from indexer.identifiers import IdentifierError, canonical_query

    try:
        return canonical_query("date", value)
    except IdentifierError as e:
        raise click.BadParameter(str(e)) from e


def _identifier_filters(values: dict[str, str | None]) -> tuple[tuple[str, str], ...]:
    from indexer.identifiers import IdentifierError, canonical_query

    out = []
    for kind in IDENTIFIER_KINDS:
        raw = values.get(kind)
        if raw:
            try:
                out.append((kind, canonical_query(kind, raw)))
            except IdentifierError as e:
                raise click.BadParameter(str(e), param_hint=f"--{kind.replace('_', '-')}") from e
    return tuple(out)


def _render_snippet(snippet: str) -> str:
    return snippet.replace("<mark>", "\x1b[1;33m").replace("</mark>", "\x1b[0m")


class QueryCommand(click.Command):
    """A command whose one argument is a search query, which may start with `-`.

    `search '-تخریب'` (pages without a word) or `search '-۱۲۳'` would be read as unknown
    options. The word after `--` is the query wherever `--` stands (options may follow
    it); without `--`, a word starting with `-` that is not an option name (its next
    character is not a Latin letter or `-`) and is no option's value is the query.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            at = args.index("--")
            if at + 1 < len(args):
                args = [*args[:at], *args[at + 2 :], "--", args[at + 1]]
        else:
            takes_value = {name for p in self.params if isinstance(p, click.Option) and not p.is_flag
                           for name in p.opts}
            for i, arg in enumerate(args):
                option_like = len(arg) > 1 and arg[0] == "-" and (arg[1] == "-" or arg[1].isascii() and arg[1].isalpha())
                if arg.startswith("-") and len(arg) > 1 and not option_like and not (i and args[i - 1] in takes_value):
                    args = [*args[:i], *args[i + 1 :], "--", arg]
                    break
        return super().parse_args(ctx, args)


@cli.command(cls=QueryCommand)
@click.argument("query", required=False, default="")
@archive_option
@click.option("--plaque", help="Registration plaque اصلی/فرعی, e.g. 45/123 or ۴۵/۱۲۳.")
@click.option("--renovation-code", help="Renovation code, e.g. 08-03-123-012-000-000.")
@click.option("--postal-code", help="Ten-digit postal code.")
@click.option("--file-number", help="Dossier file number, e.g. 12345/86.")
@click.option("--permit-number", help="Building permit number.")
@click.option("--national-id", help="National ID (personal data).")
@click.option("--dossier", help="Only pages of this dossier.")
@click.option("--from", "date_from", help="Document date from (Jalali 1384/06/12 or ISO).")
@click.option("--to", "date_to", help="Document date to (inclusive).")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="Hits to show (dossiers with --by-dossier).")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Hits (or dossiers) to skip.")
@click.option("--fuzzy", is_flag=True,
              help="Also match words one OCR slip away (a lost dot: نوسازی/توسازی), ranked below exact matches.")
@click.option("--by-dossier", is_flag=True,
              help="Group hits by dossier, best dossier first; --limit counts dossiers.")
@click.option("--backend", type=click.Choice(["sqlite", "elasticsearch"]), default="sqlite", show_default=True,
              help="Search the catalog's FTS5 index or an Elasticsearch index filled by `reindex`.")
@click.option("--es-url", envvar="PARVANDEH_ES_URL", help="Elasticsearch URL (with --backend elasticsearch).")
@click.option("--index", default="parvandeh-pages", show_default=True, help="Elasticsearch alias to search.")
@click.option("--show-personal-data", is_flag=True, help="Show national IDs in full (masked as 008****948 otherwise).")
@digits_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
def search(query: str, archive: Path, dossier: str | None, date_from: str | None, date_to: str | None,
           limit: int, offset: int, fuzzy: bool, by_dossier: bool, backend: str, es_url: str | None,
           index: str, show_personal_data: bool, digits: str, as_json: bool, **identifiers: str | None) -> None:
    """Search page text (Persian-aware) and filter by identifiers, dossier and date.

    Dates are shown in Jalali (--digits persian for ۱۳۸۷/۰۴/۱۶). A QUERY that starts with
    `-` (`-تخریب`: pages without the word) can always be given after `--`:
    `parvandeh search -- '-تخریب'`.
    """
    from indexer.query import SearchQuery
    from indexer.search import SearchResult, SqliteSearch

    filters = _identifier_filters(identifiers)
    if not query.strip() and not filters and not dossier:
        raise click.UsageError("give a QUERY, an identifier filter or --dossier")
    if backend == "elasticsearch" and not es_url:
        raise click.UsageError("--backend elasticsearch needs --es-url or PARVANDEH_ES_URL")
    q = SearchQuery.build(
        query, identifiers=filters, dossier=dossier, date_from=parse_date(date_from),
        date_to=parse_date(date_to), limit=limit, offset=offset, fuzzy=fuzzy, by_dossier=by_dossier,
    )
    result: SearchResult
    if backend == "elasticsearch":
        from indexer.elastic import ElasticSearch

        result = ElasticSearch(es_url, index=index).search(q)
    else:
        with _catalog(archive) as catalog, SqliteSearch(catalog) as sqlite_search:
            result = sqlite_search.search(q)
    if not show_personal_data:
        from indexer.identifiers import mask_personal

        result = result.masked(mask_personal)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    click.echo(f"{plural(result.total, 'hit')} for {query or '(filters)'}")
    if result.dossiers is None:
        for n, hit in enumerate(result.hits, start=offset + 1):
            _echo_hit(f"{n:>3}. ", hit, dossier=True, digits=digits)
        return
    for n, group in enumerate(result.dossiers, start=offset + 1):
        shown = f"best {len(group.hits)} of {group.total}" if group.total > len(group.hits) else f"{group.total}"
        click.echo(f"{n:>3}. [{group.dossier}]  {shown} {'page' if shown == '1' else 'pages'}")
        for hit in group.hits:
            _echo_hit("       ", hit, dossier=False, digits=digits)


def _echo_hit(lead: str, hit: Any, *, dossier: bool, digits: str) -> None:
    date = f"  {shown_date(hit.date, digits)}" if hit.date else ""
    where = f"  [{hit.dossier}]" if dossier else ""
    click.echo(f"{lead}{hit.source}  p.{hit.page}{where}{date}  score {hit.score:.3g}")
    if hit.snippet:
        indent = " " * (len(lead) + 2)
        click.echo(f"{indent}{_render_snippet(hit.snippet) if sys.stdout.isatty() else hit.snippet}")


@cli.command()
@click.argument("plaque")
@archive_option
@digits_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
def parcel(plaque: str, archive: Path, digits: str, as_json: bool) -> None:
    """Every dossier, file and page that mentions the parcel PLAQUE (اصلی/فرعی), oldest first."""
    from indexer.identifiers import IdentifierError, canonical_query

    try:
        canonical = canonical_query("plaque", plaque)
    except IdentifierError as e:
        raise click.BadParameter(f"{e} (write اصلی/فرعی, e.g. 45/123)", param_hint="PLAQUE") from e
    with _catalog(archive) as catalog:
        rows = catalog.pages_with_identifier("plaque", canonical)
    mentions = [
        {"dossier": r["dossier"], "source": r["display"], "page": r["page"], "date": r["document_date"],
         "jalali": shown_date(r["document_date"], "latin"), "written": r["written"]}
        for r in rows
    ]
    if as_json:
        click.echo(json.dumps({"plaque": canonical, "total": len(mentions), "mentions": mentions}, ensure_ascii=False))
        return
    dossiers = len({m["dossier"] for m in mentions})
    click.echo(f"plaque {canonical}: {plural(len(mentions), 'page')} in {plural(dossiers, 'dossier')}")
    for m in mentions:
        click.echo(f"  {shown_date(m['date'], digits) or 'undated':<10}  [{m['dossier']}]  {m['source']}  p.{m['page']}  ({m['written']})")


@cli.command()
@archive_option
@click.option("--backend", type=click.Choice(["elasticsearch"]), required=True, help="Search backend to fill.")
@click.option("--es-url", envvar="PARVANDEH_ES_URL", required=True, help="Elasticsearch URL, e.g. http://127.0.0.1:9200.")
@click.option("--index", default="parvandeh-pages", show_default=True, help="Alias that searches use.")
def reindex(archive: Path, backend: str, es_url: str, index: str) -> None:
    """Fill the search backend from the catalog (no OCR); the new index is swapped in atomically."""
    from indexer.elastic import cli_reindex

    _catalog(archive).close()  # a usage error when there is no archive
    count = cli_reindex(archive, es_url, index)
    click.echo(f"{plural(count, 'page')} indexed into {index} at {es_url}")


@cli.command()
@archive_option
@click.option("--dossier", help="Only this dossier's pages.")
@click.option("--wait", is_flag=True, help="If an ingest is using the archive, wait for it (default: stop, exit 5).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def reextract(archive: Path, dossier: str | None, wait: bool, quiet: bool) -> None:
    """Read the identifiers of ingested pages again from their stored OCR (no OCR).

    After an upgrade whose extractor reads more, pages ingested before it are found by what
    the older one made of them until this is run. Reviewers' corrections are applied over
    the new readings, a reviewed page keeps its date, and dossier consensus runs again.
    """
    from pipeline.reextract import reextract as run_reextract

    _catalog(archive).close()  # a usage error when there is no archive

    def progress(n: int, total: int) -> None:
        if not quiet and (n == total or n % 200 == 0):
            click.echo(f"\rre-extracting: {n}/{total} pages", err=True, nl=n == total)

    def waiting(holder: dict[str, Any]) -> None:
        from pipeline.lock import describe

        click.echo(f"waiting: archive {archive} is in use by {describe(holder)}", err=True)

    r = run_reextract(archive, dossier=dossier, wait=wait, on_wait=waiting, progress=progress)

    def kinds(counts: Any) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "none"

    click.echo(
        f"{plural(r.pages, 'page')} read again: {plural(r.changed_pages, 'page')} with other identifiers "
        f"(new: {kinds(r.added)}; gone: {kinds(r.removed)}), {r.redated} re-dated; consensus: "
        f"{r.consensus.corrected} corrected, {r.consensus.kept} kept and flagged"
    )
    if r.no_words:
        click.echo(f"{plural(r.no_words, 'page')} have no stored OCR words and kept their identifiers", err=True)
    for reason in r.unreadable:
        click.echo(f"kept as it was (its OCR words cannot be read): {reason}", err=True)


# -- export and status --------------------------------------------------------------------


EXPORT_FORMATS = ("jsonl", "pdf", "hocr", "alto", "bagit", "parcels")


@cli.command()
@archive_option
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True,
              help="jsonl: one JSON object per page; pdf: a searchable PDF per source file; hocr: an hOCR "
                   "file per source file; alto: an ALTO v4 file per page; bagit: a BagIt bag per dossier; "
                   "parcels: the parcel table (CSV, or GeoJSON when FILE ends in .geojson).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="FILE (jsonl, parcels; jsonl defaults to stdout) or DIR (pdf, hocr, alto, bagit).")
@click.option("--original", is_flag=True, help="PDF of the original scans instead of the cleaned page images.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def export(archive: Path, fmt: str, output: Path | None, original: bool, quiet: bool) -> None:
    """Export pages: JSON lines, searchable PDFs, hOCR, ALTO, BagIt bags or the parcel table.

    Re-running an export into the same folder skips outputs that are complete and unchanged.
    """
    if fmt == "jsonl":
        if original:
            raise click.UsageError("--original applies to --format pdf only")
        from indexer.export import export_pages

        with _catalog(archive) as catalog, click.open_file(str(output or "-"), "w", encoding="utf-8") as out:
            for obj in export_pages(catalog):
                out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return
    if output is None:
        raise click.UsageError(f"--format {fmt} needs -o {'FILE' if fmt == 'parcels' else 'DIR'}")
    if fmt != "parcels" and output.exists() and not output.is_dir():
        raise click.UsageError(f"-o {output}: --format {fmt} writes a folder, and this is a file")
    from archival.export import export as run_export

    _catalog(archive).close()  # a usage error when there is no archive
    summary = run_export(archive, fmt, output, original=original, quiet=quiet)
    click.echo(summary.line(), err=True)


@cli.command()
@click.option("--queue", "queue_url", required=True, metavar="URL", envvar="PARVANDEH_QUEUE",
              help="The coordinator's Redis, e.g. redis://HOST:6379/0.")
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@click.option("--path-map", "path_maps", multiple=True, metavar="OLD=NEW",
              help="Scans the coordinator sees under OLD are under NEW on this host (repeatable).")
@click.option("--name", help="Worker name shown by `status --queue` (default HOST.PID).")
@click.option("--lang", default="fas+eng", show_default=True, help="Tesseract languages this host must have.")
def worker(queue_url: str, burst: bool, path_maps: tuple[str, ...], name: str | None, lang: str) -> None:
    """OCR pages from the queue on this host; run one per core (SIGTERM: finish the job, then stop).

    Workers never touch the archive: results go back through Redis to `ingest --queue`.
    """
    from pipeline.worker import parse_path_map, run_worker

    run_worker(queue_url, burst=burst, path_map=parse_path_map(path_maps), name=name, langs=lang.split("+"))


def status_report(catalog: Any, archive: Path) -> dict[str, Any]:
    """What `status` says, as one object: the human lines and `--json` come from it alone."""
    c = catalog.counts()
    run = catalog.last_run()
    return {
        "archive": str(archive),
        "sources": c["sources"],
        "paths": c["paths"],
        "pages": {"total": c["pages"], "done": c["done"], "pending": c["pending"], "failed": c["failed"]},
        "last_run": None if run is None else {
            "id": run["id"], "status": run["status"], "started": run["started"], "finished": run["finished"],
            "pages_done": run["pages_done"], "pages_failed": run["pages_failed"], "quarantined": run["quarantined"],
        },
        "quarantined": [
            {"path": r["path"], "reason": r["reason"], "sha256": r["sha256"], "run": r["run_id"], "at": r["at"]}
            for r in catalog.quarantine_list()
        ],
        "failed_pages": [
            {"source": r["first_path"], "sha256": r["sha256"], "page": r["page"], "error": r["error"],
             "attempts": r["attempts"]}
            for r in catalog.failed_pages()
        ],
        "repaired": [{"path": r["path"], "note": r["note"]} for r in catalog.repaired_list()],
    }


def status_lines(report: dict[str, Any]) -> list[str]:
    pages, run = report["pages"], report["last_run"]
    lines = [
        f"archive: {report['archive']}",
        f"sources: {report['sources']} ({plural(report['paths'], 'path')})",
        f"pages:   {pages['total']} total, {pages['done']} done, {pages['pending']} pending, {pages['failed']} failed",
    ]
    if run is not None:
        lines.append(f"last run: #{run['id']} {run['status']}, started {run['started']}, "
                     f"finished {run['finished'] or '-'}")
    lines.append(f"quarantined files: {len(report['quarantined'])}")
    lines += [f"  {q['path']}: {q['reason']}" for q in report["quarantined"]]
    if report["failed_pages"]:
        lines.append(f"failed pages: {len(report['failed_pages'])} (ingest --retry-failed to try again)")
        lines += [f"  {f['source']} p.{f['page']}: {f['error']}" for f in report["failed_pages"]]
    if report["repaired"]:
        lines.append(f"repaired files: {len(report['repaired'])} (read from a repaired copy; the original is untouched)")
        lines += [f"  {r['path']}: {r['note']}" for r in report["repaired"]]
    return lines


@cli.command()
@archive_option
@click.option("--queue", "queue_url", metavar="URL", envvar="PARVANDEH_QUEUE",
              help="Also show the queue's jobs and workers (redis://HOST:6379/0).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts (the same content).")
def status(archive: Path, queue_url: str | None, as_json: bool) -> None:
    """Counts of sources and pages by state, the last run, and each quarantined file and
    failed page with its reason."""
    queue = None
    if queue_url:
        from pipeline.queue import queue_status

        queue = queue_status(queue_url)
    with _catalog(archive) as catalog:
        report = status_report(catalog, archive)
    if as_json:
        click.echo(json.dumps({**report, **({"queue": queue} if queue is not None else {})},
                              ensure_ascii=False, default=str))
        return
    if queue is not None:
        from pipeline.queue import status_lines as queue_lines

        for line in queue_lines(queue):
            click.echo(line)
    for line in status_lines(report):
        click.echo(line)


def _pipe_closed() -> NoReturn:
    """The reader of our output went away (`search … | head -1`): that is how a pipe ends,
    not a failure. Later writes, and the flush at exit, go nowhere instead of raising."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(ExitCode.OK)


@cli.command()
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (anything but 127.0.0.1 opens the archive to the network).")
@click.option("--port", type=click.IntRange(1, 65535), default=8750, show_default=True, help="Port to listen on.")
@click.option("--allow-corrections", is_flag=True,
              help="Open the catalog for writing and let reviewers correct pages (with the token printed at start-up).")
@click.option("--show-personal-data", is_flag=True, help="Show national IDs in full (masked as 008****948 otherwise).")
def serve(archive: Path, host: str, port: int, allow_corrections: bool, show_personal_data: bool) -> None:
    """Serve the web application for planners and reviewers (read-only unless --allow-corrections)."""
    import uvicorn

    from web.app import create_app

    if not (archive / "catalog.sqlite").exists():
        raise click.UsageError(f"no archive at {archive} (run `parvandeh ingest PATH --archive {archive}` first)")
    app = create_app(archive, allow_corrections=allow_corrections, show_personal_data=show_personal_data)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    click.echo(f"parvandeh: serving {archive} at {url}/ ({'corrections allowed' if allow_corrections else 'read-only'}"
               f"{', personal data shown' if show_personal_data else ''}); Ctrl-C stops")
    if app.state.token:
        click.echo(f"corrections token: {app.state.token}")
        click.echo(f"review screen:     {url}/review?token={app.state.token}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: anyone who can reach this address can read the archive", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        app.state.reader.close()


# -- QA: the review queue and corrections ---------------------------------------------------


@cli.command()
@archive_option
@click.option("--next", "next_", is_flag=True, help="Show the next pages to review (the default).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=10, show_default=True, help="Pages to show.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Pages of the queue to skip.")
@click.option("--dossier", help="Only pages of this dossier.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
def review(archive: Path, next_: bool, limit: int, offset: int, dossier: str | None, as_json: bool) -> None:
    """The review queue, riskiest first: pages whose OCR changed under a correction, then
    pages with invalid or consensus-corrected identifiers, then by confidence, lowest first.

    Corrected and reviewed pages leave the queue (`parvandeh correct`).
    """
    from qa.queue import describe, queue_json, queue_length, review_queue

    with _catalog(archive) as catalog:
        items = review_queue(catalog, limit=limit, offset=offset, dossier=dossier)
        total = queue_length(catalog)
    if as_json:
        click.echo(json.dumps(queue_json(items, total), ensure_ascii=False))
        return
    click.echo(f"{total} page(s) to review; the next {len(items)}:")
    for item in items:
        click.echo(f"{item.rank:>4}. {item.source}  p.{item.page}  [{item.dossier}]  sha256 {item.sha256[:12]}")
        click.echo(f"      {describe(item)}")


@cli.command()
@click.argument("source", required=False)
@click.argument("page", required=False, type=click.IntRange(min=1))
@archive_option
@click.option("--text-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The page's corrected text (UTF-8), replacing the OCR text in search and display.")
@click.option("--replace", "replacements", nargs=2, multiple=True, metavar="OLD NEW",
              help="Replace a word or phrase of the page's text (ی/ي and digits match any form; repeatable).")
@click.option("--identifier", nargs=3, metavar="KIND OLD NEW",
              help="Correct one identifier, e.g. plaque 45/128 45/123 (OLD - adds one, NEW - removes one).")
@click.option("--reviewed", "accept", is_flag=True, help="Accept the page as it reads: it leaves the review queue.")
@click.option("--import", "import_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Apply a corrections CSV (columns source,page,kind,old,new[,by,reason]) all or nothing.")
@click.option("--by", help="Who corrects (default: the OS user).")
@click.option("--reason", help="Why, kept with the correction.")
def correct(source: str | None, page: int | None, archive: Path, text_file: Path | None,
            replacements: tuple[tuple[str, str], ...], identifier: tuple[str, str, str] | None, accept: bool,
            import_file: Path | None, by: str | None, reason: str | None) -> None:
    """Correct page PAGE of SOURCE (a sha256, a unique prefix of one, or the path search shows).

    The correction is kept with who, when and why; the OCR's own text and readings are kept
    beside it (export shows both), and the page is re-indexed at once.
    """
    from indexer.corrections import (
        CorrectionError,
        correct_identifier,
        correct_text,
        import_csv,
        mark_reviewed,
        replace_words,
        resolve_page,
    )

    actions = sum(bool(a) for a in (text_file, replacements, identifier, accept))
    try:
        with _catalog(archive) as catalog:
            if import_file is not None:
                if source or actions:
                    raise click.UsageError("--import takes no SOURCE PAGE and no other correction")
                done = import_csv(catalog, import_file, by=by)
                click.echo(f"{len(done)} correction(s) imported from {import_file}")
                return
            if source is None or page is None:
                raise click.UsageError("give SOURCE and PAGE (or --import FILE)")
            if actions != 1:
                raise click.UsageError("give one of --text-file, --replace, --identifier or --reviewed")
            page_id = resolve_page(catalog, source, page)
            if text_file is not None or replacements:
                if text_file is not None:
                    text = text_file.read_text(encoding="utf-8-sig")
                else:
                    text = catalog.db.execute("SELECT text FROM pages WHERE id = ?", (page_id,)).fetchone()[0] or ""
                    for old, new in replacements:
                        text = replace_words(text, old, new)
                c = correct_text(catalog, page_id, text, by=by, reason=reason)
                click.echo(f"correction #{c.id}: text of {source} p.{page} corrected by {c.by}; re-indexed")
            elif identifier is not None:
                kind, old, new = identifier
                c = correct_identifier(catalog, page_id, kind, old, new, by=by, reason=reason)
                click.echo(f"correction #{c.id}: {c.kind} {c.old} -> {c.new} on {source} p.{page} by {c.by}")
            else:
                c = mark_reviewed(catalog, page_id, by=by, reason=reason)
                click.echo(f"{source} p.{page} marked reviewed by {c.by}")
    except CorrectionError as e:
        raise click.UsageError(str(e)) from e


@cli.command()
@archive_option
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the report (default: ARCHIVE/reports/latest).")
@click.option("--dossier", help="Only pages of this dossier.")
@click.option("--since", type=click.IntRange(min=1), metavar="RUN",
              help="Only pages written by ingest run RUN or later (`status` shows the last run).")
@click.option("--below", type=click.FloatRange(0, 100), metavar="N",
              help="Confidence threshold for weak pages (default 80); given, lists and pages.csv hold only weak pages.")
@click.option("--details", type=click.IntRange(min=0), default=500, show_default=True,
              help="Weak pages given a page of their own (image, boxes, text), riskiest first.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def report(archive: Path, output: Path | None, dossier: str | None, since: int | None, below: float | None,
           details: int, as_json: bool) -> None:
    """QA confidence report: DIR/index.html (static; open it from disk) and DIR/pages.csv."""
    from qa.report import ReportError, ReportOptions, build_report

    _catalog(archive).close()  # a usage error when there is no archive
    options = ReportOptions(archive=archive, output=output or archive / "reports" / "latest", dossier=dossier,
                            since=since, below=below, details=details)
    try:
        result = build_report(options)
    except ReportError as e:
        raise click.UsageError(str(e)) from e
    if as_json:
        click.echo(json.dumps(result.summary, ensure_ascii=False))
        return
    s = result.summary
    mean = "-" if s["mean_confidence"] is None else f"{s['mean_confidence']:.1f}"
    click.echo(f"{s['pages']} page(s): mean confidence {mean}, {s['below_threshold']} below {s['threshold']:g}, "
               f"{s['weak_pages']} weak, {s['failed']} failed, {len(s['quarantined'])} quarantined file(s)")
    click.echo(f"report: {result.output / 'index.html'} ({result.files} files, {result.bytes / 1e6:.1f} MB, "
               f"{result.seconds:.1f} s); pages.csv beside it")


def main() -> None:
    """Entry point: run the group and map any failure to its exit code in one place."""
    verbose = "-v" in sys.argv[1:] or "--verbose" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
        sys.stdout.flush()  # a closed pipe shows here when the output fit in the buffer
    except (_PipeClosed, BrokenPipeError):
        _pipe_closed()
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.Abort:
        click.echo("interrupted: run the same command again to finish what is left", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as e:
        e.show()
        sys.exit(ExitCode.USAGE if isinstance(e, click.UsageError) else ExitCode.UNEXPECTED)
    except KeyboardInterrupt:
        click.echo("interrupted: run the same ingest again to finish the pages left", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except Exception as e:  # noqa: BLE001 - the one boundary handler
        code = exit_code_for(e)
        if verbose:
            import traceback

            traceback.print_exc()
        click.echo(f"error: {e}", err=True)
        sys.exit(code)


if __name__ == "__main__":
    main()
