"""The sample-scan generator: same seed same bytes, exact ground truth, real files."""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import jdatetime
import numpy as np
import pytest
from pdf2image import convert_from_path, pdfinfo_from_path
from PIL import Image, ImageFont, ImageSequence, features

from samples import generate
from samples import vocabulary as V
from samples.render import load_font, text_length
from samples.scanner import Degradation, scan

PAGES = 7  # the small preset's first seven: PDF, JPEG (turned 90°), bitonal TIFF, 150-dpi PNG
SEED = 11
COMMITTED = Path(__file__).resolve().parent.parent / "samples"
ZWNJ = "\u200c"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("made")
    generate.generate(out, preset="small", pages=PAGES, seed=SEED)
    return out


def load_truth(root: Path) -> dict:
    return json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def truth(made: Path) -> dict:
    return load_truth(made)


# ------------------------------------------------------------ an independent reading of the table

_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def canonical(kind: str, text: str) -> str:
    """The ARCHITECTURE identifier table, implemented separately from the generator."""
    text = text.translate(_ASCII).replace("ي", "ی")
    if kind == "plaque":
        if m := re.fullmatch(r"(\d+) فرعی از (\d+) اصلی", text):
            return f"{m[2]}/{m[1]}"
        if m := re.fullmatch(r"(\d+) اصلی", text):
            return m[1]
        assert re.fullmatch(r"\d+(/\d+)?", text), text
        return text
    if kind == "date":
        y, mo, d = (int(x) for x in text.split("/"))
        return jdatetime.date(y, mo, d).togregorian().isoformat()
    if kind == "postal_code":
        return text.replace("-", "")
    return text


def national_id_ok(nid: str) -> bool:
    digits = [int(c) for c in nid]
    s = sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return len(nid) == 10 and digits[9] == (s if s < 2 else 11 - s)


def frames(path: Path) -> list[Image.Image]:
    """Every page of a scan file, as images (PDFs rendered small: only shape matters)."""
    if path.suffix == ".pdf":
        return convert_from_path(path, dpi=12)
    with Image.open(path) as im:
        return [f.copy() for f in ImageSequence.Iterator(im)]


# ------------------------------------------------------------ determinism


def test_same_seed_gives_same_bytes(made: Path, tmp_path: Path) -> None:
    generate.generate(tmp_path, preset="small", pages=PAGES, seed=SEED)
    ours = sorted(p.relative_to(made) for p in made.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert ours == theirs
    assert any(p.suffix == ".png" for p in ours)
    for rel in ours:
        assert (made / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_another_seed_gives_other_dossiers() -> None:
    one = generate.plan_files("small", PAGES, SEED)
    two = generate.plan_files("small", PAGES, SEED + 1)
    assert [f.dossier for f in one] != [f.dossier for f in two]


# ------------------------------------------------------------ ground truth


def test_every_identifier_is_on_its_page_in_reading_order(truth: dict) -> None:
    for page in truth["pages"]:
        position = 0
        for ident in page["identifiers"]:
            found = page["text"].find(ident["text"], position)
            assert found >= 0, (page["source"], page["page"], ident)
            position = found + len(ident["text"])


def test_canonical_forms_follow_the_table(truth: dict) -> None:
    kinds = set()
    for page in truth["pages"]:
        for ident in page["identifiers"]:
            kinds.add(ident["kind"])
            assert ident["canonical"].isascii()
            assert canonical(ident["kind"], ident["text"]) == ident["canonical"], ident
            if ident["kind"] == "national_id":
                assert national_id_ok(ident["canonical"]), ident
            if ident["kind"] == "postal_code":
                code = ident["canonical"]
                assert len(code) == 10 and not set(code[:5]) & {"0", "2"}, ident
            if ident["kind"] == "date":
                y, m, d = (int(x) for x in ident["text"].translate(_ASCII).split("/"))
                assert ident["jalali"] == f"{y:04d}/{m:02d}/{d:02d}"
                assert 1380 <= y <= 1403
            if ident["kind"] == "plaque":
                assert ident["section"] is None or ident["section"].isdigit()
    assert kinds == {"plaque", "renovation_code", "postal_code", "national_id", "file_number",
                     "permit_number", "date"}


def test_areas_and_phone_numbers_are_not_identifiers(truth: dict) -> None:
    number = r"[0-9۰-۹٠-٩]+(?:[/٫.][0-9۰-۹٠-٩]+)?"
    areas = 0
    for page in truth["pages"]:
        written = {i["text"] for i in page["identifiers"]}
        for m in re.finditer(rf"({number}) (?:متر|square)", page["text"]):
            areas += 1
            assert m[1] not in written, (page["source"], m[1])
        for m in re.finditer(rf"(?:تلفن[^:]*|telephone): ?({number})", page["text"]):
            assert m[1] not in written
    assert areas > 0


def test_parcels_repeat_within_a_dossier_and_differ_between_them(truth: dict) -> None:
    parcels: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for page in truth["pages"]:
        for ident in page["identifiers"]:
            if ident["kind"] in ("plaque", "renovation_code", "postal_code"):
                parcels[page["dossier"]].add((ident["kind"], ident["canonical"]))
    assert len(parcels) >= 2
    for found in parcels.values():
        kinds = [k for k, _ in found]
        assert len(kinds) == len(set(kinds)), found  # one value per kind in a dossier
    values = [v for found in parcels.values() for v in found]
    assert len(values) == len(set(values))


def test_document_date_is_a_date_on_the_page(truth: dict) -> None:
    for page in truth["pages"]:
        dates = {i["canonical"] for i in page["identifiers"] if i["kind"] == "date"}
        assert page["document_date"] is None or page["document_date"] in dates


def test_persian_pages_look_typed(truth: dict) -> None:
    persian = [p for p in truth["pages"] if p["language"] == "fa"]
    assert persian and all(re.search("[آ-ی]", p["text"]) for p in persian)
    assert any(ZWNJ in p["text"] for p in persian)
    assert any(re.search("[۰-۹]", p["text"]) for p in persian)
    for page in persian:
        if page["render"]["keyboard"] == "arabic":
            assert "ي" in page["text"] and "ی" not in page["text"] and "ک" not in page["text"]
        else:
            assert "ي" not in page["text"] and "ك" not in page["text"]
    assert any(p["render"]["keyboard"] == "arabic" for p in persian)


# ------------------------------------------------------------ the files


@pytest.mark.parametrize("root", ["made", "committed"])
def test_declared_files_exist_with_their_page_counts(root: str, request: pytest.FixtureRequest
                                                     ) -> None:
    base = request.getfixturevalue("made") if root == "made" else COMMITTED
    if root == "committed" and not (base / "ground_truth.json").exists():
        pytest.skip("the committed sample set has not been generated")
    pages: dict[str, list[int]] = defaultdict(list)
    for page in load_truth(base)["pages"]:
        pages[page["source"]].append(page["page"])
    on_disk = {p.relative_to(base / "scans").as_posix()
               for p in (base / "scans").rglob("*") if p.is_file()}
    assert on_disk == set(pages)
    for source, numbers in pages.items():
        path = base / "scans" / source
        if path.suffix == ".pdf":
            count = pdfinfo_from_path(str(path))["Pages"]
        else:
            with Image.open(path) as im:
                count = getattr(im, "n_frames", 1)
        assert numbers == list(range(1, count + 1)), source


def test_committed_set_is_small() -> None:
    files = [p for p in (COMMITTED / "scans").rglob("*") if p.is_file()]
    if not files:
        pytest.skip("the committed sample set has not been generated")
    files.append(COMMITTED / "ground_truth.json")
    assert sum(p.stat().st_size for p in files) <= 8 * 1024 * 1024


def test_pages_have_the_declared_size_and_orientation(made: Path, truth: dict) -> None:
    opened: dict[str, list[Image.Image]] = {}
    turned = 0
    for page in truth["pages"]:
        path = made / "scans" / page["source"]
        opened.setdefault(page["source"], frames(path))
        image = opened[page["source"]][page["page"] - 1]
        d = page["degradation"]
        landscape = image.width > image.height
        assert landscape == (d["rotation"] in (90, 270)), page["source"]
        turned += d["rotation"] in (90, 270)
        if path.suffix != ".pdf":
            short, long = sorted(image.size)
            assert (short, long) == (round(2480 * d["dpi"] / 300), round(3508 * d["dpi"] / 300))
            assert image.mode == d["mode"]
    assert turned


def test_dpi_metadata_says_what_the_ground_truth_says(made: Path, truth: dict) -> None:
    for page in truth["pages"]:
        path = made / "scans" / page["source"]
        claimed = page["degradation"]["file_dpi"]
        if path.suffix == ".pdf":
            width_pt = float(pdfinfo_from_path(str(path))["Page size"].split()[0])
            dpi = page["degradation"]["dpi"]
            pixels = round(2480 * dpi / 300) if page["degradation"]["rotation"] in (0, 180) \
                else round(3508 * dpi / 300)
            if page["page"] == 1:
                assert pixels * 72 / width_pt == pytest.approx(claimed, rel=0.01)
            continue
        with Image.open(path) as im:
            if claimed is None and path.suffix == ".tif":
                assert 282 not in im.getexif()  # no XResolution tag at all
            elif claimed is None:
                assert "dpi" not in im.info
            else:
                assert im.info["dpi"][0] == pytest.approx(claimed, abs=0.01)


def test_bitonal_tiffs_are_group4(made: Path, truth: dict) -> None:
    bitonal = [p for p in truth["pages"]
               if p["degradation"]["bitonal"] and p["source"].endswith(".tif")]
    assert bitonal
    for page in bitonal:
        with Image.open(made / "scans" / page["source"]) as im:
            im.seek(page["page"] - 1)
            assert im.mode == "1" and im.info["compression"] == "group4"


def test_refuses_to_clear_a_scans_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "scans").mkdir()
    (tmp_path / "scans" / "precious.tif").write_bytes(b"II*\0")
    with pytest.raises(generate.OutputInUse):
        generate.generate(tmp_path, preset="small", pages=1)
    with pytest.raises(SystemExit) as exit_:
        generate.main(["--out", str(tmp_path), "--pages", "1"])
    assert exit_.value.code == 2
    assert (tmp_path / "scans" / "precious.tif").exists()


def test_command_line_writes_a_page(tmp_path: Path) -> None:
    generate.main(["--out", str(tmp_path), "--pages", "1", "--preset", "bench", "--seed", "2"])
    truth = load_truth(tmp_path)
    assert truth["generator"]["preset"] == "bench" and len(truth["pages"]) == 1
    assert (tmp_path / "scans" / truth["pages"][0]["source"]).is_file()


# ------------------------------------------------------------ drawing and scanning


def test_persian_is_shaped_by_raqm() -> None:
    assert features.check("raqm")
    font = load_font("nazli", 48)
    assert font.layout_engine == ImageFont.Layout.RAQM
    word = "شهرداری"
    isolated = sum(text_length(ch, font, rtl=True) for ch in word)
    assert text_length(word, font, rtl=True) != pytest.approx(isolated, abs=1)
    # The half-space breaks the join, so the two spellings take different room.
    assert text_length("می" + ZWNJ + "شود", font, rtl=True) != pytest.approx(
        text_length("میشود", font, rtl=True), abs=1)


def _vocabulary_strings() -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(re.sub(r"\{\w+\}", "", value))  # fields are filled, not drawn
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, tuple | list):
            for v in value:
                walk(v)

    for name in dir(V):
        if name.isupper():
            walk(getattr(V, name))
    return found


def test_fonts_have_every_glyph_the_pages_use() -> None:
    strings = _vocabulary_strings()
    persian = set("".join(s for s in strings if re.search("[آ-ی]", s)))
    persian |= set("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789٫٬يك/-.:،")
    english = set("".join(s for s in strings if s.isascii())) | set("0123456789/-.,")
    for name, chars in [("nazli", persian), ("nazli-bold", persian), ("titr", persian),
                        ("homa", persian), ("serif", english), ("serif-bold", english)]:
        font = load_font(name, 40)
        notdef = font.getmask("\ue000")
        missing = {c for c in chars - {" ", ZWNJ}
                   if bytes(font.getmask(c)) == bytes(notdef)
                   and font.getmask(c).size == notdef.size}
        assert not missing, (name, missing)


def test_rotation_turns_the_page_counter_clockwise() -> None:
    page = Image.new("RGB", (2480, 3508), "white")
    page.paste((0, 0, 0), (0, 0, 300, 300))  # a mark in the top-left corner
    for rotation, corner in [(90, (-1, 0)), (180, (-1, -1)), (270, (0, -1))]:
        out = scan(page, Degradation(rotation=rotation, mode="L"), np.random.default_rng(0))
        pixels = np.asarray(out)
        assert pixels.shape == ((2480, 3508) if rotation != 180 else (3508, 2480))
        assert pixels[corner] == 0 and pixels[0, 0] == 255, rotation


@pytest.mark.slow
def test_tesseract_reads_an_upright_persian_sample(made: Path, truth: dict,
                                                   tmp_path: Path) -> None:
    if not shutil.which("tesseract"):
        pytest.skip("tesseract is not installed")
    import pytesseract

    page = next(p for p in truth["pages"] if p["language"] == "fa"
                and p["degradation"]["rotation"] == 0 and p["render"]["digits"] == "persian")
    image = frames(made / "scans" / page["source"])[page["page"] - 1] \
        if not page["source"].endswith(".pdf") else convert_from_path(
            made / "scans" / page["source"], dpi=200, first_page=page["page"],
            last_page=page["page"])[0]
    text = pytesseract.image_to_string(image, lang="fas+eng")
    assert "شهرداری" in text
    words = set(page["text"].split())
    assert len(words & set(text.split())) >= len(words) // 3
