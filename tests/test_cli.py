"""The CLI contract: --help for every command, exit codes at the boundary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli, parse_date

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    # A worker never touches the archive (results go back through Redis), so it has no --archive.
    assert ("--archive" in result.output) == (command != "worker")
    assert len(result.output.splitlines()) > 3


def test_expected_commands_exist() -> None:
    assert {"ingest", "search", "parcel", "reindex", "export", "status", "worker"} <= set(cli.commands)


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_usage_error_exits_2(tmp_path: Path) -> None:
    proc = _run("ingest", "--jobs", "-3", str(tmp_path), "--archive", str(tmp_path / "a"))
    assert proc.returncode == 2


def test_search_without_archive_is_a_usage_error(tmp_path: Path) -> None:
    proc = _run("search", "پروانه", "--archive", str(tmp_path / "none"))
    assert proc.returncode == 2
    assert "no archive" in proc.stderr


def test_missing_tesseract_model_exits_4_with_a_hint(tmp_path: Path) -> None:
    proc = _run("ingest", str(tmp_path), "--archive", str(tmp_path / "a"), "--lang", "fas+xyz")
    assert proc.returncode == 4
    assert "tesseract-ocr-xyz" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("typed", "iso"),
    [("1384/06/12", "2005-09-03"), ("۱۳۸۴/۰۶/۱۲", "2005-09-03"), ("٢٠٠٥-٠٩-٠٣", "2005-09-03"), ("2005-09-03", "2005-09-03")],
)
def test_dates_accept_jalali_and_iso(typed: str, iso: str) -> None:
    assert parse_date(typed) == iso


def test_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    from indexer.catalog import Catalog

    Catalog.open(tmp_path).close()
    result = CliRunner().invoke(cli, ["search", "x", "--archive", str(tmp_path), "--from", "1384/13/40"])
    assert result.exit_code == 2


def test_status_and_export_on_an_empty_archive(tmp_path: Path) -> None:
    from indexer.catalog import Catalog

    Catalog.open(tmp_path).close()
    runner = CliRunner()
    status = runner.invoke(cli, ["status", "--archive", str(tmp_path)])
    assert status.exit_code == 0 and "pages:   0 total" in status.output
    export = runner.invoke(cli, ["export", "--archive", str(tmp_path)])
    assert export.exit_code == 0 and export.output == ""
    search = runner.invoke(cli, ["search", "کرج", "--json", "--archive", str(tmp_path)])
    assert json.loads(search.output) == {"query": "کرج", "total": 0, "hits": []}


def test_ingest_defaults_are_the_pipelines_own() -> None:
    """The CLI states its defaults for --help; they must be the ones the pipeline uses."""
    from pipeline.options import IngestOptions

    ingest = cli.commands["ingest"]
    defaults = {p.name: p.default for p in ingest.params}
    assert defaults["second_chance_below"] == IngestOptions().second_chance_below
    for name in ("page_timeout", "file_timeout", "memory_limit"):  # the limits a hostile file meets
        assert defaults[name] == getattr(IngestOptions(), name), name
