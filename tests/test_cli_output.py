"""What the CLI prints: Jalali dates in the digits asked for, a closed pipe, a query that
starts with `-`, an empty folder, counts in the singular."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli, plural
from tests.test_search_contract import build_catalog

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The search contract's pages (A 2005-09-03 = 1384/06/12, B 2007-03-21 = 1386/01/01)."""
    folder = tmp_path_factory.mktemp("cli-output") / "archive"
    folder.mkdir()
    build_catalog(folder / "catalog.sqlite").close()
    return folder


def _run(archive: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner(env=env).invoke(cli, [*args, "--archive", str(archive)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _proc(*args: str, **kw: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], env=env, **kw)  # type: ignore[call-overload]


# -- Jalali dates ---------------------------------------------------------------------------


def test_search_hits_show_the_jalali_date(archive: Path) -> None:
    out = _run(archive, "search", "کرج")
    assert "1384/06/12" in out and "1386/01/01" in out
    assert "2005-09-03" not in out and "2007-03-21" not in out
    persian = _run(archive, "search", "کرج", "--digits", "persian")
    assert "۱۳۸۴/۰۶/۱۲" in persian and "۱۳۸۶/۰۱/۰۱" in persian and "1384/06/12" not in persian
    assert "۱۳۸۴/۰۶/۱۲" in _run(archive, "search", "کرج", env={"PARVANDEH_DIGITS": "persian"})


def test_by_dossier_groups_show_the_jalali_date(archive: Path) -> None:
    lines = _run(archive, "search", "کرج", "--by-dossier", "--digits", "persian").splitlines()
    assert lines[0] == "2 hits for کرج"
    page_lines = [line for line in lines if "p.1" in line]
    assert any("۱۳۸۴/۰۶/۱۲" in line for line in page_lines)
    assert any("۱۳۸۶/۰۱/۰۱" in line for line in page_lines)


def test_json_keeps_iso_with_the_jalali_beside_it(archive: Path) -> None:
    hits = json.loads(_run(archive, "search", "کرج", "--json", "--digits", "persian"))["hits"]
    assert {(h["date"], h["jalali"]) for h in hits} == {("2005-09-03", "1384/06/12"), ("2007-03-21", "1386/01/01")}
    undated = json.loads(_run(archive, "search", "Summary", "--json"))["hits"]
    assert [(h["date"], h["jalali"]) for h in undated] == [(None, None)]


def test_parcel_shows_jalali_dates_oldest_first(archive: Path) -> None:
    lines = _run(archive, "parcel", "45/123").splitlines()
    assert lines[0] == "plaque 45/123: 2 pages in 2 dossiers"
    assert lines[1].split()[0] == "1384/06/12" and lines[2].split()[0] == "1388/02/30"
    assert _run(archive, "parcel", "45/123", "--digits", "persian").splitlines()[1].split()[0] == "۱۳۸۴/۰۶/۱۲"
    mentions = json.loads(_run(archive, "parcel", "45/123", "--json"))["mentions"]
    assert [(m["date"], m["jalali"]) for m in mentions] == [("2005-09-03", "1384/06/12"), ("2009-05-20", "1388/02/30")]
    assert _run(archive, "parcel", "45/124").splitlines()[0] == "plaque 45/124: 1 page in 1 dossier"


def test_export_has_the_jalali_date_beside_the_iso_one(archive: Path) -> None:
    rows = [json.loads(line) for line in _run(archive, "export").splitlines()]
    dated = {(r["document_date"], r["document_jalali"]) for r in rows}
    assert ("2005-09-03", "1384/06/12") in dated and (None, None) in dated


# -- a closed pipe --------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["search", "کرج"], ["search", "کرج", "--json"], ["export"], ["status"],
                                     ["parcel", "45/123"], ["--help"]])
def test_a_closed_pipe_ends_quietly_with_exit_0(archive: Path, command: list[str]) -> None:
    """`parvandeh search … | head -1`: the reader is gone before the output is written."""
    proc = _proc(*command, *(["--archive", str(archive)] if command[0] != "--help" else []),
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head -1` that has its line, before we have written anything
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""


# -- a query that starts with `-` ----------------------------------------------------------


def test_a_query_starting_with_a_dash_is_a_query(archive: Path) -> None:
    """`-تخریب` asks for pages without the word; it is not an unknown option `-ت`."""
    everything = {h["source"] for h in json.loads(_run(archive, "search", "", "--dossier", "karaj-1384-0412", "--json"))["hits"]}
    without = json.loads(_run(archive, "search", "-تخریب", "--json", "--limit", "50"))
    assert without["query"] == "-تخریب"
    assert "karaj-1384-0412/scan_01.pdf" not in {h["source"] for h in without["hits"]}  # A has تخریب
    assert without["total"] > 0 and everything
    for args in (["--", "-تخریب", "--json", "--limit", "50"], ["--json", "--limit", "50", "--", "-تخریب"]):
        assert json.loads(_run(archive, "search", *args)) == without
    # an option's value that starts with `-` is still that option's value
    bad = CliRunner().invoke(cli, ["search", "کرج", "--limit", "-3", "--archive", str(archive)])
    assert bad.exit_code == 2 and "--limit" in bad.output
    assert "--" in CliRunner().invoke(cli, ["search", "--help"]).output


# -- an empty folder, counts ----------------------------------------------------------------


def test_an_empty_folder_says_so_and_exits_3(tmp_path: Path) -> None:
    empty, notes = tmp_path / "empty", tmp_path / "notes"
    empty.mkdir()
    notes.mkdir()
    (notes / "readme.txt").write_text("فهرست پرونده‌ها", encoding="utf-8")
    proc = _proc("ingest", str(empty), str(notes), "--archive", str(tmp_path / "archive"), "-q",
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = (s.decode() for s in proc.communicate(timeout=120))
    assert proc.returncode == 3, out + err
    assert f"no scan files found under {empty}" in err and f"no scan files found under {notes}" in err
    assert out.strip() == "0 files (0 new, 0 duplicate), 0 pages OCR'd, 0 failed, 0 quarantined, 1 non-scan file ignored"


def test_plural() -> None:
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert plural(1, "non-scan file") == "1 non-scan file" and plural(3, "dossier") == "3 dossiers"
