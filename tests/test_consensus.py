"""Dossier consensus: what OCR slips explain, when a page takes the dossier's reading, and
when two readings are both kept because both could be real."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from indexer.catalog import Catalog, PageRecord
from indexer.consensus import Reading, apply_consensus, decide, slips
from indexer.identifiers import extract

# --- slips -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reading", "majority", "valid", "count"),
    [
        ("plaque", "45/123", "45/123", True, 0),
        ("plaque", "45/122", "45/123", True, 1),  # ۳ read as ۲
        ("plaque", "45/1223", "45/123", True, 1),  # a digit read twice
        ("plaque", "45/12", "45/123", True, 1),  # a digit lost
        ("plaque", "45/132", "45/123", True, 2),
        ("plaque", "123/45", "45/123", True, 1),  # اصلی and فرعی the other way round
        ("plaque", "45/127", "45/123", True, None),  # ۷ and ۳ do not look alike
        ("plaque", "45/3", "45/123", True, None),  # more than one digit lost
        ("plaque", "46/123", "45/123", True, None),  # another اصلی (۶ is no slip of ۵)
        ("plaque", "28/3660", "280/3660", True, 1),  # the same فرعی: a ۰ of the اصلی lost
        ("plaque", "1353/2530", "353/2530", True, 1),  # ... or a mark read as a digit
        ("plaque", "28/36", "280/36", True, None),  # a short فرعی a neighbour may share
        ("plaque", "28/3661", "280/3660", True, None),  # another فرعی: another parcel
        ("plaque", "0/9335", "10/9335", False, 1),  # ... unless the reading names nothing
        ("plaque", "0/9335", "210/9335", False, None),
        ("postal_code", "3183150813", "3183750813", True, None),  # ۱/۷: not confusable
        ("plaque", "120/5957", "126/5957", True, 1),  # a blurred ۶ shrunk to a dot
        ("plaque", "656/586", "256/586", True, 1),  # ۲ and ۶ differ by where the hook turns
        ("postal_code", "3183750812", "3183750813", True, 1),
        ("postal_code", "0529221198", "3119805392", False, 3),  # halves swapped, two ۳ as ۲
        ("national_id", "2270005390", "2170005390", True, None),
        ("national_id", "0084575948", "0084575948", True, 0),
        ("renovation_code", "07-02-264-132-000-000", "07-02-264-122-000-000", True, 1),
        ("renovation_code", "000-000-122-264-02-07", "07-02-264-122-000-000", True, 1),
        ("renovation_code", "10-08-1", "10-08-041-097-000-000", False, 1),  # lost its tail
        ("renovation_code", "10-08-1", "10-08-041-097-000-000", True, None),
        ("renovation_code", "04-06", "06-04-080-128-000-000", False, 1),
        ("file_number", "2837/3/89", "28373/89", False, 1),  # a / too many
        ("file_number", "1199/81", "11199/81", True, 1),
        ("file_number", "12343/86", "12324/86", True, None),  # one slip at most for numbers
        ("file_number", "3231806/88", "23180/88", False, 2),  # stray digits at both ends
        ("file_number", "3231806/88", "23180/88", True, None),
        ("file_number", "3231806/89", "23180/88", False, None),  # the year must agree
        ("file_number", "4323180/88", "23180/88", False, 2),
        ("file_number", "43231806/88", "23180/88", False, None),  # three strays: too many
        ("file_number", "1802/88", "80/88", False, None),  # too short to be held by chance
        ("permit_number", "185427", "8542", False, 2),
        ("permit_number", "18919", "18916", True, 1),
        ("permit_number", "18918", "18916", True, None),
    ],
)
def test_slips(kind: str, reading: str, majority: str, valid: bool, count: int | None) -> None:
    assert slips(kind, reading, majority, valid=valid) == count


# --- the rule --------------------------------------------------------------------------


def _readings(kind: str, *pages: tuple[str, ...] | str, **extra: Any) -> list[Reading]:
    """One reading per value; a tuple puts several values on one page."""
    out: list[Reading] = []
    for page_id, values in enumerate(pages, start=1):
        for value in (values,) if isinstance(values, str) else values:
            out.append(
                Reading(len(out) + 1, page_id, kind, f"{value} on page", value, True, **extra)
            )
    return out


def _summary(readings: list[Reading]) -> list[tuple[str, str, str]]:
    return [(d.reading.value, d.status, d.canonical) for d in decide(readings)]


def test_one_page_against_a_majority_is_corrected() -> None:
    readings = _readings("plaque", "45/123", "45/123", "45/122", "45/123")
    (decision,) = decide(readings)
    assert (decision.reading.page_id, decision.status, decision.canonical) == (
        3,
        "corrected",
        "45/123",
    )
    assert (decision.pages_with_reading, decision.pages_with_majority) == (1, 3)


def test_a_reading_twice_on_one_page_is_one_vote() -> None:
    readings = _readings("plaque", ("45/122", "45/122"), "45/123", "45/123")
    assert _summary(readings) == [
        ("45/122", "corrected", "45/123"),
        ("45/122", "corrected", "45/123"),
    ]
    readings = _readings("plaque", ("45/122", "45/122"), "45/123")
    assert {d.reason for d in decide(readings)} == {"no majority: as many pages read it otherwise"}


def test_two_readings_each_on_two_pages_are_both_kept_and_flagged() -> None:
    readings = _readings("plaque", "45/123", "45/123", "45/122", "45/122", "45/123")
    assert _summary(readings) == [
        ("45/122", "kept", "45/123"),
        ("45/122", "kept", "45/123"),
    ]
    assert decide(readings)[0].reason == "both readings are on two pages or more"


def test_a_neighbour_written_in_the_same_phrase_is_kept() -> None:
    # ۱۲۳ و ۱۲۴ فرعی از ۴۵ اصلی: two plaques in one long form, both real.
    text = "۱۲۳ و ۱۲۴ فرعی از ۴۵ اصلی"
    readings = [
        Reading(1, 1, "plaque", text, "45/123", True),
        Reading(2, 1, "plaque", text, "45/124", True),
        Reading(3, 2, "plaque", "۱۲۳ فرعی از ۴۵ اصلی", "45/123", True),
        Reading(4, 3, "plaque", "۱۲۳ فرعی از ۴۵ اصلی", "45/123", True),
    ]
    (decision,) = decide(readings)
    assert (decision.reading.value, decision.status) == ("45/124", "kept")
    assert decision.reason == "written in one phrase with another reading"


def test_two_readings_both_read_with_high_confidence_are_kept() -> None:
    readings = _readings("plaque", "45/123", "45/123", "45/122", confidence=96.0)
    (decision,) = decide(readings)
    assert (decision.status, decision.reason) == ("kept", "both readings have high OCR confidence")
    readings = _readings("plaque", "45/123", "45/123", "45/122", confidence=80.0)
    assert _summary(readings) == [("45/122", "corrected", "45/123")]


def test_another_main_plaque_or_an_unexplained_digit_is_left_alone() -> None:
    assert _summary(_readings("plaque", "45/123", "45/123", "46/123")) == []
    assert _summary(_readings("plaque", "45/123", "45/123", "45/127")) == []


def test_a_reading_near_two_dossier_readings_is_kept() -> None:
    readings = _readings("plaque", "45/123", "45/123", "45/124", "45/124", "45/122")
    decisions = [d for d in decide(readings) if d.reading.value == "45/122"]
    assert [(d.status, d.reason) for d in decisions] == [
        ("kept", "two dossier readings are as near")
    ]


def test_a_reading_that_failed_validation_takes_the_one_valid_reading() -> None:
    readings = [
        Reading(1, 1, "renovation_code", "۱۰-۰۸-۱", "10-08-1", False),
        Reading(2, 2, "renovation_code", "۱۰-۰۸-۰۴۱-۰۹۷-۰۰۰-۰۰۰", "10-08-041-097-000-000", True),
    ]
    assert _summary(readings) == [("10-08-1", "corrected", "10-08-041-097-000-000")]


def test_a_file_number_with_stray_digits_takes_the_number_it_holds() -> None:
    # شماره پرونده: ۳۲۳۱۸۰۶/۸۸ on the ruling, ۲۳۱۸۰/۸۸ on the visit's form
    readings = [
        Reading(1, 1, "file_number", "۳۲۳۱۸۰۶/۸۸", "3231806/88", False, confidence=60.0),
        Reading(2, 1, "file_number", "۶۰۸۲۲ / ۸۸", "60822/88", True, confidence=92.0),
        Reading(3, 2, "file_number", "88/23180", "23180/88", True, confidence=76.0),
        Reading(4, 2, "file_number", "۸۹-۵۱۸۹۴", "51894-89", True, confidence=46.0),
    ]
    assert _summary(readings) == [("3231806/88", "corrected", "23180/88")]


def test_one_page_against_one_the_reading_ocr_was_sure_of_wins() -> None:
    readings = [
        Reading(1, 1, "file_number", "۱۱۹۹/۸۱", "1199/81", True, confidence=0.0),
        Reading(2, 2, "file_number", "۱۱۱۹۹/۸۱", "11199/81", True, confidence=91.0),
    ]
    assert _summary(readings) == [("1199/81", "corrected", "11199/81")]
    readings = [
        Reading(1, 1, "file_number", "۱۱۹۹/۸۱", "1199/81", True, confidence=70.0),
        Reading(2, 2, "file_number", "۱۱۱۹۹/۸۱", "11199/81", True, confidence=91.0),
    ]
    assert _summary(readings) == [
        ("1199/81", "kept", "11199/81"),
        ("11199/81", "kept", "1199/81"),
    ]


# --- the catalog -----------------------------------------------------------------------


class Archive:
    """A catalog with pages written the way ingest writes them, text and all."""

    def __init__(self, path: Path) -> None:
        self.catalog = Catalog(path / "catalog.sqlite")
        self.run = self.catalog.begin_run({})

    def page(self, dossier: str, name: str, text: str, **override: Any) -> None:
        path = f"/scans/{dossier}/{name}"
        sha = hashlib.sha256(path.encode()).hexdigest()
        self.catalog.record_path(
            path=path, display=f"{dossier}/{name}", dossier=dossier, sha256=sha, size=1, mtime_ns=0
        )
        self.catalog.add_source(sha256=sha, kind="png", size=1, dpis=[300], first_path=path)
        found = [{**i.to_dict(), **override} for i in extract(text)]
        dates = [i["canonical"] for i in found if i["kind"] == "date"]
        record = PageRecord(
            sha256=sha, page=1, text=text, confidence=90.0, words=len(text.split()), weak_words=0,
            dpi=300, dpi_estimated=False, rotation=0, skew=0.0, recipe="none", seconds=0.1,
            document_date=dates[0] if dates else None, identifiers=found,
        )  # fmt: skip
        assert self.catalog.record_page(record, self.run)

    def plaques(self) -> list[tuple[str, str, str | None, int, str | None]]:
        rows = self.catalog.db.execute(
            """SELECT pa.display, i.canonical, i.corrected_from, i.valid, i.text
               FROM identifiers i JOIN pages p ON p.id = i.page_id
               JOIN sources s USING (sha256) JOIN paths pa ON pa.path = s.first_path
               WHERE i.kind = 'plaque' ORDER BY pa.display"""
        )
        return [tuple(row) for row in rows]


LETTER = "احتراماً، در خصوص ملک به پلاک ثبتی {plaque} بخش ۱۱ مورخ {date} به اطلاع می‌رساند."


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    a = Archive(tmp_path)
    a.page(
        "karaj-1384-0001",
        "scan_01.png",
        LETTER.format(plaque="۸۲۳۵ فرعی از ۴۷ اصلی", date="۱۳۸۴/۰۲/۱۰"),
    )
    a.page(
        "karaj-1384-0001",
        "scan_02.png",
        LETTER.format(plaque="۸۲۳۵ فرعی از ۴۷ اصلی", date="۱۳۸۴/۰۵/۰۳"),
    )
    a.page(
        "karaj-1384-0001",
        "scan_03.png",
        LETTER.format(plaque="۸۲۲۵ فرعی از ۴۷ اصلی", date="۱۳۸۴/۰۹/۲۰"),
    )
    a.page(
        "karaj-1390-0002",
        "scan_01.png",
        LETTER.format(plaque="۸۲۲۵ فرعی از ۴۷ اصلی", date="۱۳۹۰/۰۱/۱۵"),
    )
    return a


def test_apply_consensus_corrects_keeps_the_page_text_and_flags_for_qa(archive: Archive) -> None:
    report = apply_consensus(archive.catalog)
    assert (report.dossiers, report.corrected, report.kept, report.changed) == (2, 1, 0, 1)
    assert archive.plaques() == [
        ("karaj-1384-0001/scan_01.png", "47/8235", None, 1, "۸۲۳۵ فرعی از ۴۷ اصلی"),
        ("karaj-1384-0001/scan_02.png", "47/8235", None, 1, "۸۲۳۵ فرعی از ۴۷ اصلی"),
        ("karaj-1384-0001/scan_03.png", "47/8235", "47/8225", 1, "۸۲۲۵ فرعی از ۴۷ اصلی"),
        # another dossier's reading is its own: consensus never crosses dossiers
        ("karaj-1390-0002/scan_01.png", "47/8225", None, 1, "۸۲۲۵ فرعی از ۴۷ اصلی"),
    ]
    (flag,) = archive.catalog.identifier_corrections()
    assert dict(flag) | {"at": None} == dict(flag) | {
        "dossier": "karaj-1384-0001", "kind": "plaque", "status": "corrected",
        "page_reading": "47/8225", "majority": "47/8235", "pages_with_reading": 1,
        "pages_with_majority": 2, "display": "karaj-1384-0001/scan_03.png", "page": 1,
        "at": None,
    }  # fmt: skip
    found = archive.catalog.pages_with_identifier("plaque", "47/8235")
    assert [(r["display"], r["document_date"], r["corrected_from"]) for r in found] == [
        ("karaj-1384-0001/scan_01.png", "2005-04-30", None),
        ("karaj-1384-0001/scan_02.png", "2005-07-25", None),
        ("karaj-1384-0001/scan_03.png", "2005-12-11", "47/8225"),
    ]
    assert archive.catalog.identifiers_for([3])[3][0]["warning"].startswith("dossier consensus")


def test_apply_consensus_twice_changes_nothing_more(archive: Archive) -> None:
    apply_consensus(archive.catalog)
    before = archive.catalog.db.execute("SELECT * FROM identifiers ORDER BY id").fetchall()
    flags = [tuple(r) for r in archive.catalog.identifier_corrections()]
    again = apply_consensus(archive.catalog)
    assert (again.corrected, again.changed, again.withdrawn) == (1, 0, 0)
    assert archive.catalog.db.execute("SELECT * FROM identifiers ORDER BY id").fetchall() == before
    assert [tuple(r) for r in archive.catalog.identifier_corrections()] == flags


def test_only_the_dossiers_asked_for_are_touched(archive: Archive) -> None:
    report = apply_consensus(archive.catalog, ["karaj-1390-0002"])
    assert (report.dossiers, report.corrected, report.changed) == (1, 0, 0)
    assert apply_consensus(archive.catalog, []).readings == 0
    assert archive.catalog.identifier_corrections() == []


def test_a_correction_is_withdrawn_when_the_dossier_no_longer_agrees(archive: Archive) -> None:
    apply_consensus(archive.catalog)
    # Two more pages arrive and read ۸۲۲۵: now both readings are on two pages or more.
    for name, date in (("scan_04.png", "۱۳۸۵/۰۱/۱۰"), ("scan_05.png", "۱۳۸۵/۰۲/۱۰")):
        archive.page(
            "karaj-1384-0001", name, LETTER.format(plaque="۸۲۲۵ فرعی از ۴۷ اصلی", date=date)
        )
    report = apply_consensus(archive.catalog, ["karaj-1384-0001"])
    assert (report.corrected, report.withdrawn) == (0, 1)
    rows = [row[:4] for row in archive.plaques() if row[0].startswith("karaj-1384")]
    assert rows == [
        ("karaj-1384-0001/scan_01.png", "47/8235", None, 1),
        ("karaj-1384-0001/scan_02.png", "47/8235", None, 1),
        ("karaj-1384-0001/scan_03.png", "47/8225", None, 1),
        ("karaj-1384-0001/scan_04.png", "47/8225", None, 1),
        ("karaj-1384-0001/scan_05.png", "47/8225", None, 1),
    ]
    assert archive.catalog.identifiers_for([3])[3][0].get("warning") is None
    flags = archive.catalog.identifier_corrections(dossier="karaj-1384-0001")
    assert {(f["status"], f["reason"]) for f in flags} == {
        ("kept", "both readings are on two pages or more")
    }
    assert apply_consensus(archive.catalog).changed == 0


def test_a_reading_that_failed_validation_gets_back_its_own_state(tmp_path: Path) -> None:
    a = Archive(tmp_path)
    code = "کد نوسازی ملک {code} و کد پستی آن ۳۱۱۹۸۰۵۳۹۲ اعلام می‌گردد."
    a.page("karaj-1381-0351", "scan_01.pdf", code.format(code="۰-۱۴۰-۲۰۰-۰۳-۰۵"))
    a.page("karaj-1381-0351", "scan_02.pdf", code.format(code="۰۵-۰۳-۲۰۰-۱۴۰-۰۰۰-۰۰۰"))
    report = apply_consensus(a.catalog)
    assert report.corrected == 1
    (flag,) = a.catalog.identifier_corrections(status="corrected")
    assert (flag["page_reading"], flag["majority"], flag["page_valid"]) == (
        "05-03-200-140-0", "05-03-200-140-000-000", 0,
    )  # fmt: skip
    assert flag["page_warning"] == "renovation code does not have the 2-2-3-3-3-3 shape"
    item = a.catalog.identifiers_for([1])[1][0]
    assert (item["canonical"], item.get("valid", True)) == ("05-03-200-140-000-000", True)
    # The valid page goes (re-extracted with nothing on it): the correction is withdrawn.
    a.catalog.replace_identifiers(2, [])
    assert apply_consensus(a.catalog).withdrawn == 1
    item = a.catalog.identifiers_for([1])[1][0]
    assert (item["canonical"], item["valid"], item["warning"]) == (
        "05-03-200-140-0", False, "renovation code does not have the 2-2-3-3-3-3 shape",
    )  # fmt: skip
    assert a.catalog.identifier_corrections() == []


def test_dossiers_of_sources(archive: Archive) -> None:
    shas = [r["sha256"] for r in archive.catalog.db.execute("SELECT sha256 FROM sources")]
    assert archive.catalog.dossiers_of(shas) == ["karaj-1384-0001", "karaj-1390-0002"]
    other = hashlib.sha256(b"/scans/karaj-1390-0002/scan_01.png").hexdigest()
    assert archive.catalog.dossiers_of([other]) == ["karaj-1390-0002"]
    assert archive.catalog.dossiers_of([]) == []


def test_a_new_page_agreeing_with_the_dossier_updates_the_counts(archive: Archive) -> None:
    apply_consensus(archive.catalog)
    archive.page(
        "karaj-1384-0001",
        "scan_04.png",
        LETTER.format(plaque="۸۲۳۵ فرعی از ۴۷ اصلی", date="۱۳۸۵/۰۱/۱۰"),
    )
    report = apply_consensus(archive.catalog, ["karaj-1384-0001"])
    assert (report.corrected, report.changed) == (1, 1)  # the warning names 3 pages now
    assert "3 other page(s) read 47/8235" in archive.catalog.identifiers_for([3])[3][0]["warning"]
    (flag,) = archive.catalog.identifier_corrections()
    assert (flag["pages_with_majority"], flag["reason"]) == (
        3,
        "1 OCR slip(s) from the reading of 3 other page(s)",
    )


def test_a_file_number_with_another_separator_is_not_corrected() -> None:
    """۱۲۷۱۷-۹۴ and ۱۲۷۱۷/۹۴ are the same number written two ways; both stay as written."""
    from indexer.consensus import slips

    assert slips("file_number", "12717-94", "12717/94") is None
    assert slips("file_number", "12718/94", "12717/94") == 1


def test_a_renovation_code_that_lost_its_first_group_takes_the_dossier_code() -> None:
    from indexer.consensus import slips

    full = "05-09-009-001-001-013"
    assert slips("renovation_code", "09-009-001-001-013", full, valid=False) == 1
    assert slips("renovation_code", "9-009-001-001-013", full, valid=False) == 1
    assert slips("renovation_code", "07-009-001-001-013", full, valid=False) is None


def test_a_renovation_code_with_groups_a_digit_too_long_takes_the_dossier_code() -> None:
    """۰۲-۰۵-۰۶۲-۱۱۹-۰۰۰۰-۰۰۰۰: a zero's dot read twice in each zero group; group by group
    the code is the dossier's, and the other pages' reading wins over the misshapen one."""
    full = "02-05-062-119-000-000"
    assert slips("renovation_code", "02-05-062-119-0000-0000", full, valid=False) == 2
    assert slips("renovation_code", "0000-0000-119-062-05-02", full, valid=False) == 3
    assert slips("renovation_code", "02-05-062-119-0000-0000", full, valid=True) is None
    assert slips("renovation_code", "02-05-062-1199-0000-0000", full, valid=False) == 3
    assert slips("renovation_code", "02-05-062-117-0000-0000", full, valid=False) is None
    readings = [
        Reading(1, 1, "renovation_code", "۰۰۰-۰۰۰-۱۱۹-۰۶۲-۰۵-۰۲", full, True, confidence=0.0),
        Reading(2, 2, "renovation_code", "۰۲-۰۵-۰۶۲-۱۱۹-۰۰۰۰-۰۰۰۰", "02-05-062-119-0000-0000",
                False, confidence=29.0),
        Reading(3, 3, "renovation_code", "02-05-062-119-000-000", full, True, confidence=91.0),
    ]  # fmt: skip
    assert _summary(readings) == [("02-05-062-119-0000-0000", "corrected", full)]
