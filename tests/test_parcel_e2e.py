"""End to end on rendered pages: a permit form is found by its plaque and renovation code,
and dossier consensus corrects a page that reads the plaque differently."""

from __future__ import annotations

import dataclasses
import json
import random
import sqlite3
from pathlib import Path

import jdatetime
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from cli import cli
from indexer.catalog import Catalog

pytestmark = pytest.mark.slow


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _save(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, dpi=(300, 300))


def _permit_form(seed: int) -> tuple[Image.Image, dict[str, str]]:
    """A building permit drawn by the sample generator, clean, and what it printed."""
    from samples.dossier import make_dossier
    from samples.generate import SMALL, page_plan
    from samples.generate import render_page as render_form
    from samples.scanner import Degradation

    rng = random.Random(seed)
    dossier = make_dossier(rng, set())
    plan = page_plan(
        rng, SMALL, "permit", "permit", Degradation(),
        digits="persian", keyboard="persian", font="nazli", date=jdatetime.date(1386, 8, 7),
        stamp=False, signature=False,
    )  # fmt: skip
    page = render_form(dossier, plan)
    printed = {i.kind: i.canonical for i in reversed(page.identifiers)}
    return page.image, printed


def test_a_rendered_permit_is_found_by_plaque_renovation_code_and_parcel(tmp_path: Path) -> None:
    image, printed = _permit_form(seed=4)
    _save(image, tmp_path / "scans" / "karaj-1386-0001" / "permit.png")
    archive = str(tmp_path / "archive")
    ingest = _run("ingest", str(tmp_path / "scans"), "--archive", archive, "-j", "1", "-q")
    assert ingest.exit_code == 0, ingest.output

    plaque, code = printed["plaque"], printed["renovation_code"]
    for flag, value in (("--plaque", plaque), ("--renovation-code", code)):
        found = _run("search", flag, value, "--archive", archive, "--json")
        assert found.exit_code == 0, found.output
        hits = json.loads(found.output)["hits"]
        assert [(h["source"], h["page"]) for h in hits] == [("karaj-1386-0001/permit.png", 1)], flag

    # The same plaque typed in Persian digits, and the parcel listing.
    persian = plaque.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    listing = _run("parcel", persian, "--archive", archive, "--json")
    assert listing.exit_code == 0, listing.output
    mentions = json.loads(listing.output)
    assert mentions["plaque"] == plaque and mentions["total"] == 1
    assert mentions["mentions"][0]["dossier"] == "karaj-1386-0001"
    assert "فرعی" in mentions["mentions"][0]["written"]

    other = _run("search", "--plaque", "1/1", "--archive", archive, "--json")
    assert json.loads(other.output)["total"] == 0


def _dossier_with_a_misread(seed: int, out: Path) -> tuple[str, str]:
    """Three permit pages of one dossier; the third prints one digit of the فرعی otherwise
    (۷ as ۶), standing in for OCR misreading it on a bad copy. Returns (plaque, misread)."""
    from samples.dossier import make_dossier
    from samples.generate import SMALL, page_plan
    from samples.generate import render_page as render_form
    from samples.scanner import Degradation

    dossier = make_dossier(random.Random(seed), set())
    sub = str(dossier.parcel.sub)
    misread = sub.replace("7", "6", 1)
    assert misread != sub, "the seed must give a فرعی with a ۷"
    days = (jdatetime.date(1386, 8, 7), jdatetime.date(1386, 9, 1), jdatetime.date(1387, 1, 20))
    for n, (printed, day) in enumerate(zip((sub, sub, misread), days, strict=True), start=1):
        parcel = dataclasses.replace(dossier.parcel, sub=int(printed))
        plan = page_plan(
            random.Random(seed * 10 + n), SMALL, "permit", "permit", Degradation(),
            digits="persian", keyboard="persian", font="nazli", date=day, stamp=False,
            signature=False,
        )  # fmt: skip
        page = render_form(dataclasses.replace(dossier, parcel=parcel), plan)
        _save(page.image, out / f"scan_{n:02d}.png")
    main = dossier.parcel.main
    return f"{main}/{sub}", f"{main}/{misread}"


def test_consensus_corrects_the_one_page_that_reads_the_plaque_otherwise(tmp_path: Path) -> None:
    plaque, misread = _dossier_with_a_misread(10, tmp_path / "scans" / "karaj-1386-0042")
    archive = tmp_path / "archive"
    ingest = _run("ingest", str(tmp_path / "scans"), "--archive", str(archive), "-j", "2", "-q")
    assert ingest.exit_code == 0, ingest.output

    listing = json.loads(_run("parcel", plaque, "--archive", str(archive), "--json").output)
    assert [(m["source"], m["date"]) for m in listing["mentions"]] == [
        ("karaj-1386-0042/scan_01.png", "2007-10-29"),
        ("karaj-1386-0042/scan_02.png", "2007-11-22"),
        ("karaj-1386-0042/scan_03.png", "2008-04-08"),
    ]
    sub, main = misread.split("/")[1], misread.split("/")[0]
    written = f"{sub} فرعی از {main} اصلی".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert listing["mentions"][2]["written"] == written  # the page's own text is kept
    found = _run("search", "--plaque", plaque, "--archive", str(archive), "--json")
    assert json.loads(found.output)["total"] == 3
    wrong = _run("search", "--plaque", misread, "--archive", str(archive), "--json")
    assert json.loads(wrong.output)["total"] == 0

    with Catalog.open(archive) as catalog:
        flags = catalog.identifier_corrections(status="corrected")
        (flag,) = [f for f in flags if f["kind"] == "plaque"]
        assert (flag["page_reading"], flag["majority"], flag["corrected_from"]) == (
            misread, plaque, misread,
        )  # fmt: skip
        assert (flag["display"], flag["page"], flag["pages_with_majority"]) == (
            "karaj-1386-0042/scan_03.png", 1, 2,
        )  # fmt: skip
        before = _identifier_rows(archive)

    # Ingesting again does no OCR and changes nothing, consensus included.
    again = _run("ingest", str(tmp_path / "scans"), "--archive", str(archive), "-q")
    assert again.exit_code == 0 and " 0 pages OCR'd" in again.output
    assert _identifier_rows(archive) == before


def _identifier_rows(archive: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        return db.execute(
            "SELECT id, kind, text, canonical, corrected_from, valid, warning FROM identifiers"
            " ORDER BY id"
        ).fetchall()
