"""The `wide` generator and its held-out split: new layouts, clerks' spellings, archive
histories, and the rule that the readers never learn what the held-out split holds."""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.corpus import page_text
from samples import generate, splits
from samples import vocabulary as V
from samples.dossier import Filler, Typing, make_dossier
from samples.render import FAMILIES, PageWriter, Style, font_file, load_font
from samples.scanner import Degradation, scan

_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
TUNED_SEED = 5


def canonical(kind: str, text: str) -> str:
    """The identifier table, read independently of the generator, for every written form."""
    text = text.translate(_ASCII).replace("ي", "ی")
    if kind == "plaque":
        if m := re.fullmatch(r"(\d+) فرعی از (\d+)(?: اصلی)?", text):
            return f"{m[2]}/{m[1]}"
        if m := re.fullmatch(r"(\d+) اصلی (\d+) فرعی", text):
            return f"{m[1]}/{m[2]}"
        if m := re.fullmatch(r"(\d+) اصلی", text):
            return m[1]
        assert re.fullmatch(r"\d+(/\d+)?", text), text
        return text
    if kind in ("postal_code", "national_id"):
        return re.sub(r"[- ]", "", text)
    if kind == "file_number":
        return text.replace(" ", "")
    return text


@pytest.fixture(scope="module")
def plans() -> list[generate.FilePlan]:
    return generate.plan_files("wide", 40, TUNED_SEED)


@pytest.fixture(scope="module")
def texts(plans: list[generate.FilePlan]) -> list[tuple[generate.PagePlan, str, tuple]]:
    """Every page's text and identifiers, laid out without drawing (fast)."""
    return [(page, *page_text(f.dossier, page)) for f in plans for page in f.pages]


def test_split_rule_is_declared_once_and_disjoint() -> None:
    assert splits.split_of(splits.BENCH_SEEDS["tuned"]) == "tuned"
    assert splits.split_of(splits.BENCH_SEEDS["heldout"]) == "heldout"
    assert not set(splits.TUNED_FONTS) & set(splits.HELDOUT_FONTS)
    assert all(not splits.variant_allowed("tuned", v) for v in splits.HELDOUT_VARIANTS)
    assert all(splits.variant_allowed("heldout", v) for v in splits.HELDOUT_VARIANTS)
    for font in splits.HELDOUT_FONTS:
        assert FAMILIES[font][0].startswith("heldout:"), font


def test_tuned_pages_use_tuned_fonts_and_never_a_heldout_variant(
        plans: list[generate.FilePlan], texts: list) -> None:
    pages = [p for f in plans for p in f.pages]
    fonts = {p.font for p in pages if p.language == "fa"}
    assert fonts <= set(splits.TUNED_FONTS) and len(fonts) >= 4
    assert {p.split for p in pages} == {"tuned"}
    rare = {s for _, (_, spellings) in V.LABEL_SPELLINGS.items() for s in spellings}
    spelled = [re.compile(rf"(?<!\S){re.escape(s)}(?!\S)") for s in rare]
    for _page, text, _ids in texts:
        assert not any(r.search(text) for r in spelled), text
        assert not text.startswith("FAX")  # the fax header is a held-out variant


def test_heldout_plans_draw_heldout_fonts_and_variants() -> None:
    files = generate.plan_files("wide", 40, 9002)
    pages = [p for f in files for p in f.pages]
    assert {p.font for p in pages if p.language == "fa"} <= set(splits.HELDOUT_FONTS)
    assert {p.split for p in pages} == {"heldout"}
    body = "\n".join(page_text(f.dossier, p)[0] for f in files for p in f.pages)
    rare = {s for _, (_, spellings) in V.LABEL_SPELLINGS.items() for s in spellings}
    assert any(re.search(rf"(?<!\S){re.escape(s)}(?!\S)", body) for s in rare)


def test_heldout_fonts_are_outside_every_folder_the_glyph_model_learns() -> None:
    """The glyph model of ocr/digits.py renders what its FONT_GLOBS match; no held-out font
    may be among them, whether or not scripts/fonts.sh has fetched it yet."""
    from ocr import digits

    heldout = [font_file(name) for f in splits.HELDOUT_FONTS for name in (f, f"{f}-bold")]
    patterns = [os.path.expanduser(g) for g in digits.FONT_GLOBS]
    for path in heldout:
        assert not any(fnmatch.fnmatch(str(path), g) for g in patterns), path
        assert not any(str(path).startswith(str(Path(g.split("*")[0]))) for g in patterns
                       if g.split("*")[0].endswith("/fonts/")), path
    learned = {Path(p).resolve() for g in patterns for p in glob.glob(g, recursive=True)}
    names = {p.name for p in heldout}
    assert not {p for p in learned if p.name in names}
    if any(p.exists() for p in heldout):  # fetched: the model's own list still excludes them
        assert not set(digits.font_files()) & {p.resolve() for p in heldout}


def test_heldout_words_are_in_no_word_list() -> None:
    """The held-out label spellings must not be taught to the word check either."""
    words_file = Path(__file__).resolve().parent.parent / "ocr/data/planning-words-fas.txt"
    words = set(words_file.read_text(encoding="utf-8").split())
    rare = {w for _, (_, spellings) in V.LABEL_SPELLINGS.items() for s in spellings
            for w in s.split()}
    assert not {w for w in rare if "." in w or len(w) <= 2} & words


def test_every_identifier_is_on_its_page_and_canonical(texts: list) -> None:
    kinds: Counter[str] = Counter()
    for _page, text, identifiers in texts:
        position = 0
        for ident in identifiers:
            found = text.find(ident["text"], position)
            assert found >= 0, (text, ident)
            position = found + len(ident["text"])
            assert ident["canonical"].isascii()
            if ident["kind"] != "date":
                assert canonical(ident["kind"], ident["text"]) == ident["canonical"], ident
            kinds[ident["kind"]] += 1
    assert set(kinds) == {"plaque", "renovation_code", "postal_code", "national_id",
                          "file_number", "permit_number", "date"}


def test_identifiers_are_written_every_way_a_clerk_would(texts: list) -> None:
    written = [i["text"].translate(_ASCII) for _, _, ids in texts for i in ids]
    raw = [i["text"] for _, _, ids in texts for i in ids]
    plaques = [i for _, _, ids in texts for i in ids if i["kind"] == "plaque"]
    assert any("/" in p["text"] for p in plaques)                       # ۴۵/۱۲۳
    assert any("فرعی از" in p["text"].replace("ي", "ی") for p in plaques)
    assert any(re.fullmatch(r"[0-9]+/[0-9]+", p["text"]) for p in plaques)  # Latin digits
    postal = [i["text"].translate(_ASCII) for _, _, ids in texts for i in ids
              if i["kind"] == "postal_code"]
    assert any("-" in p for p in postal) and any(" " in p for p in postal)
    assert any(re.fullmatch(r"\d{10}", p) for p in postal)
    files = [i["text"] for _, _, ids in texts for i in ids if i["kind"] == "file_number"]
    assert any("-" in f for f in files) and any(" / " in f for f in files)
    assert any(re.fullmatch(r"\d{3}-\d{6}-\d", w) for w in written)    # a national id card
    assert any(c in "".join(raw) for c in "0123456789")
    body = "\n".join(t for _, t, _ in texts).replace("ي", "ی")
    assert "کدپستی" in body and "پلاک ثبتی" in body


def test_inspection_pages_have_tables_boxes_and_ruled_columns(plans: list) -> None:
    page = next(p for f in plans for p in f.pages if p.kind == "inspection")
    dossier = next(f.dossier for f in plans if page in f.pages)
    rendered = generate.render_page(dossier, page)
    lines = rendered.text.split("\n")
    heads = [line.replace("ي", "ی") for line in lines]
    # the register: its labels on one line each, its values on the lines after them
    at = heads.index(V.REGISTER_HEADS[0].replace("ي", "ی"))
    plaques = [i for i in rendered.identifiers if i.kind == "plaque"]
    assert any(p.text == lines[at + 3] for p in plaques)
    assert len({p.canonical for p in plaques}) == 1
    # ruled cells: long horizontal and vertical ink runs where the grid is
    grey = np.asarray(rendered.image.convert("L"))
    dark = grey < 100
    assert (dark.sum(axis=1) > 0.7 * grey.shape[1]).sum() >= 8    # table rulings
    assert (dark.sum(axis=0) > 0.08 * grey.shape[0]).sum() >= 4   # column rulings
    assert len(rendered.identifiers) >= 12


def test_boxed_values_and_digit_cells_keep_the_value_on_one_line() -> None:
    dossier = make_dossier(random.Random(3), set())
    typing = Typing("fa", "persian", "persian", None, wide=True, split="heldout")
    filler = Filler(dossier, typing, random.Random(4))
    w = PageWriter(Style.family("vazirmatn", 48, titr_headings=False))
    value = filler.fill("{postal}")
    w.boxed("کد پستی:", value.text, below=True, cells=True)
    assert w.lines == ["کد پستی:", value.text.replace("\u00a0", " ")]
    top_label, top_value = w.line_boxes[0][1], w.line_boxes[1][1]
    assert top_value > top_label + 40  # the value sits on the line under its label


@pytest.mark.parametrize("history", ["fax", "carbon", "generations"])
def test_archive_histories_change_the_page_as_described(history: str) -> None:
    page = Image.new("RGB", (2480, 3508), "white")
    w = PageWriter(Style.persian())
    w.image = page
    w.draw = __import__("PIL.ImageDraw", fromlist=["Draw"]).Draw(page)
    for _ in range(20):
        w.line("کد پستی ملک ۳۱۴۵۶۷۸۹۱۳ و پلاک ثبتی ۴۵/۱۲۳")
    plain = np.asarray(scan(page, Degradation(mode="L"), np.random.default_rng(1)))
    fields = {"fax": {"fax": True, "bitonal": True, "mode": "1"}, "carbon": {"carbon": True},
              "generations": {"generations": 2}}[history]
    out = scan(page, Degradation(**{"mode": "L", **fields}), np.random.default_rng(1))
    pixels = np.asarray(out.convert("L"), dtype=np.float32)
    assert out.size == page.size
    if history == "fax":
        assert out.mode == "1"
        rows = pixels[200:3300]
        same = (np.abs(np.diff(rows, axis=0)) == 0).all(axis=1).mean()
        assert same > 0.6  # each fax line covers about three pixel rows
    elif history == "carbon":
        assert pixels.min() > 40  # pale ink, never black
    else:
        assert (pixels < 128).sum() > (plain < 128).sum() * 1.2  # strokes fattened, dust


def test_wide_generation_is_deterministic_and_writes_split(tmp_path: Path) -> None:
    generate.generate(tmp_path / "a", preset="wide", pages=1, seed=TUNED_SEED)
    generate.generate(tmp_path / "b", preset="wide", pages=1, seed=TUNED_SEED)
    truth = json.loads((tmp_path / "a/ground_truth.json").read_text(encoding="utf-8"))
    assert truth["generator"]["split"] == "tuned"
    for rel in sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*")
                      if p.is_file()):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_every_tuned_font_draws_every_character_the_pages_use() -> None:
    chars = set("0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩/-.:،٫٬يكیکپچژگ")
    for family in splits.TUNED_FONTS:
        for name in (family, f"{family}-bold") if family in FAMILIES else (family,):
            font = load_font(name, 40)
            notdef = bytes(font.getmask("\ue000"))
            assert not {c for c in chars if bytes(font.getmask(c)) == notdef}, name
