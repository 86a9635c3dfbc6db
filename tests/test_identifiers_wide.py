"""Identifiers written as the wider generator writes them (found on its tuned split):
registers whose labels head the line above the values, shortened labels, card-style ids."""

from __future__ import annotations

import pytest

from indexer.identifiers import extract


def found(text: str) -> list[tuple[str, str]]:
    return [(str(i.kind), i.canonical) for i in extract(text)]


def test_register_with_one_label_a_line_reads_each_value_with_its_label() -> None:
    text = ("عرض گذر\n۶ متر\nپلاک ثبتی شماره\nکد پستی\nشماره‌ پرونده\n"
            "۳۳۷/۷۵۴۳\n۳۱۳۵۳ ۹۶۸۱۱\n۱۲۳۴۵/۸۶\nکارشناس بازدید")
    assert found(text) == [("plaque", "337/7543"), ("postal_code", "3135396811"),
                           ("file_number", "12345/86")]


def test_a_register_value_ocr_garbled_is_no_value_of_the_label_above_it() -> None:
    # ۳۰/۳۴۲۹ read as ۳۰۳۳۳۹ and ۲۳۱۸۰ / ۸۸ as ۰ ۸۸/: the line under ش. پرونده is the
    # plaque's value, not the file number's, and nothing is made of the garbled ones
    text = "پلاک ثبتی\nکد پستی\nش. پرونده\n۳۰۳۳۳۹\n31447-30129\n0 88/\nشماره پروانه: ۱۴۱۱۶"
    assert found(text) == [("postal_code", "3144730129"), ("permit_number", "14116")]


def test_register_with_its_labels_on_one_line_pairs_them_in_order() -> None:
    text = "پلاک ثبتی کد پستی شماره پرونده\n۱۲۳ فرعی از ۴۵ اصلی ۳۱۴۵۶۷۸۹۱۳ ۱۲۳۴۵/۸۶"
    assert found(text) == [("plaque", "45/123"), ("postal_code", "3145678913"),
                           ("file_number", "12345/86")]
    # what the page says is kept, each value's own text
    assert [i.text for i in extract(text)] == ["۱۲۳ فرعی از ۴۵ اصلی", "۳۱۴۵۶۷۸۹۱۳", "۱۲۳۴۵/۸۶"]


def test_a_register_of_the_arabic_keyboard_with_a_main_plaque_alone() -> None:
    text = "پلاك\nكد پستي ملك\nشماره پرونده\n٣٣٦ اصلي\n۳۱۷۸۱۲۳۴۵۶\n1234/91"
    assert found(text) == [("plaque", "336"), ("postal_code", "3178123456"),
                           ("file_number", "1234/91")]


def test_labels_and_values_that_do_not_line_up_are_not_paired() -> None:
    # two labels, one value: no pairing is guessed (the first label would have taken it)
    text = "کد پستی\nشماره پرونده\n۳۱۴۵۶۷۸۹۱۳\nبا سلام"
    assert ("postal_code", "3145678913") not in found(text)


@pytest.mark.parametrize("label", ["ش. پرونده:", "ش.پرونده", "شماره پرونده:"])
def test_shortened_file_label(label: str) -> None:
    assert found(f"{label} ۳۰۳۴/۹۱") == [("file_number", "3034/91")]


@pytest.mark.parametrize("written", ["۰۵۸-۱۹۴۹۴۲-۰", "٠٥٨-١٩٤٩٤٢-٠", "058-194942-0"])
def test_national_id_as_the_card_prints_it_keeps_its_groups_in_order(written: str) -> None:
    assert found(f"كد ملي: {written}") == [("national_id", "0581949420")]
    # OCR of a right-to-left line may list the groups the other way round
    reversed_groups = "-".join(reversed(written.split("-")))
    assert found(f"کد ملی: {reversed_groups}") == [("national_id", "0581949420")]


@pytest.mark.parametrize(("text", "want"), [
    ("کدنوسازی: | ۰۱۳-۰۰۱-۰۰۱-۰۰۹-۰۹-۰۵", ("renovation_code", "05-09-009-001-001-013")),
    ("شماره پروانه: | ۱۹۹۳۵", ("permit_number", "19935")),
    ("کد پستی: [۳۱۴۵۶۷۸۹۱۳", ("postal_code", "3145678913")),
])
def test_a_value_in_a_box_whose_side_ocr_read_as_a_bar(text: str, want: tuple[str, str]) -> None:
    assert found(text) == [want]


@pytest.mark.parametrize(("text", "want"), [
    ("ساره: ۲۲۹۳/۸۵", ("file_number", "2293/85")),            # شماره with ش's dots and م lost
    ("پرونده ساره ۶۳۵۲ | ۸۳", ("file_number", "6352/83")),     # a spaced slash read as a bar
    ("به موجب گزارش شماره ۶۰۸۲۲ / ۸۸ مورخ", ("file_number", "60822/88")),  # reading order
    ("کدمل: ١٦٤٦٧٠٥٠٠٩", ("national_id", "1646705009")),      # the last ی of ملی lost
    ("کد پسی: ۳۱۴۵۶۷۸۹۱۳", ("postal_code", "3145678913")),     # the ت of پستی lost
])
def test_labels_and_separators_as_ocr_misreads_them(text: str, want: tuple[str, str]) -> None:
    assert found(text) == [want]


def test_a_name_is_not_a_number_label() -> None:
    assert found("سارا ۱۲۳۴ و سمیرا") == []


def test_a_form_cell_whose_label_ocr_garbled_still_gives_its_id_and_postal_code() -> None:
    # a table row read as one line: the labels garbled (کد رک for کد ملی, کلسق for کد پستی)
    assert found("نام مالک حسن جعفری کد رک 484-295232-6") == [("national_id", "4842952326")]
    assert found("کلسق 31561 42073") == [("postal_code", "3156142073")]
    assert ("postal_code", "3156142073") in found("5876 فرعی از 7 اصل 31561 42073 83/6352")


@pytest.mark.parametrize("text", [
    "در نستی ۳۱۳۶۹۵۶۵۶۹ نوشت",          # a number in a sentence
    "تلفن همراه: ۳۱۴۵۶۷۸۹۱۳",           # a phone
    "۳۱۲۴۵۶۷۸۹۱",                       # neither a Karaj postal code nor a valid id
    "۴۸۴-۲۹۵۲۳۲-۷",                     # card groups whose check digit fails
])
def test_bare_ten_digits_that_are_no_identifier(text: str) -> None:
    assert found(text) == []


def test_a_plaque_label_broken_over_two_lines_is_no_file_number() -> None:
    assert found("نقشه تفکیکی ملک به پلاک\nثبتي شماره ۷۲/۹۰۱۸ پیوست") == [("plaque", "72/9018")]


def test_a_plaque_whose_sentence_wrapped_before_its_number_word_is_found() -> None:
    text = "کوچه شهید رحیمی، پلاک ١١٧ به پلاک ثبتی\nشماره ١٥٧ اصلی بخش ١١ ارسال می‌گردد."
    assert found(text) == [("plaque", "157")]
    assert found("به پلاک ثبتی\nشماره ۷۲/۹۰۱۸ ارسال") == [("plaque", "72/9018")]
    # a register's label over the letter's own number is no plaque
    assert found("پلاک ثبتی\nشماره: ۱۲۳۴/۸۵") == [("file_number", "1234/85")]


@pytest.mark.parametrize("text", [
    "شماره پرونده\n۱\nمنطقه",
    "شماره پرونده ۱۲",
    "ش. پرونده\n۳/۳(\nمنطقه",  # what a second-generation copy left of ۲۱۵۳۴/۹۳
    "به پرونده شماره ۵/۸۳ مورخ ۱۳۸۳/۰۲/۱۱",  # ۱۱۹۵/۸۳ with its first digits lost
    "شماره: ٠/٨٨",
])
def test_one_or_two_digits_are_no_file_number(text: str) -> None:
    """With a year or without, a number of one or two digits is what OCR left of one."""
    assert [kind for kind, _ in found(text) if kind == "file_number"] == []


@pytest.mark.parametrize("text", [
    "به موجب گزارش شماره /39560 84 مورخ ۱۳۸۴/۴/۲۹ شهرداری منطقه ۹",
    "شماره: /۹۷۵۲۱ ۸۴\nتاریخ: ۱۳۸۴/۰۹/۲۰",
])
def test_a_spaced_number_whose_separator_ocr_listed_first_is_read(text: str) -> None:
    """``۹۷۵۲۱ / ۸۴``: the separator, a word of its own between two runs of digits in a
    right-to-left line, comes out before the number (``/۹۷۵۲۱ ۸۴``)."""
    want = ("file_number", "39560/84" if "39560" in text else "97521/84")
    assert want in found(text)
    # a year the page's dates do not allow is not taken on trust
    assert all(kind != "file_number" for kind, _ in found("شماره: /۹۷۵۲۱ ۶۴\nتاریخ: ۱۳۸۴/۰۹/۲۰"))


def test_a_file_number_of_three_digits_or_more_with_its_year_is_kept() -> None:
    assert ("file_number", "1195/83") in found("به پرونده شماره ۱۱۹۵/۸۳ مورخ ۱۳۸۳/۰۲/۱۱")
    assert ("file_number", "198/83") in found("به پرونده شماره ۱۹۸/۸۳ مورخ ۱۳۸۳/۰۲/۱۱")


@pytest.mark.parametrize("text", [
    "ساختمان در مال احداث مازاد بر پروانه شماره ۴۲ مي‌باشد",  # ۸۵ of ۸۵۴۲ lost
    "شماره پروانه: ۷",
])
def test_one_or_two_digits_are_no_permit_number(text: str) -> None:
    assert found(text) == []
    whole = text.replace("۴۲", "۸۵۴۲").replace("۷", "۷۷۸۶")
    assert found(whole) == [("permit_number", "8542" if "۴۲" in text else "7786")]


@pytest.mark.parametrize("written", ["٤٨٩٢٣٠٣١٩٨٦", "۳۱۹۸۶۱۴۸۹۲۳", "31986048923"])
def test_a_postal_code_whose_dash_ocr_read_as_a_digit_is_read(written: str) -> None:
    """``۳۱۹۸۶-۴۸۹۲۳`` with its dash read as ۰ or ۱, the groups either way round (an RTL
    line lists them from the right): the rules decide the order, as for two groups."""
    assert found(f"کد پستی: {written}") == [("postal_code", "3198648923")]


@pytest.mark.parametrize("written", ["۳۱۹۸۶۵۴۸۹۲۳", "۲۰۹۸۶۰۴۸۹۲۳", "۳۱۹۸۶۴۸۹۲۳۰"])
def test_eleven_digits_that_are_no_postal_code_with_a_dash_are_not_taken(written: str) -> None:
    # a ۵ in the middle is no dash; 20986 breaks the rules either way; the ۰ is at the end
    assert found(f"کد پستی: {written}") == []


@pytest.mark.parametrize(("text", "want"), [
    ("مربوط به پلاک ی ٢٥٤ اصلی بخش ۱۱ واقع در کرج", "254"),  # پلاک ثبتی garbled
    ("پلاک ثبتی: 286 اصل بخش ۱۱", "286"),  # اصلی lost its ی
])
def test_a_main_plaque_before_its_section_is_a_plaque_without_its_label(text: str, want: str) -> None:
    assert found(text) == [("plaque", want)]


def test_a_main_number_without_a_section_after_it_needs_its_label() -> None:
    assert found("در ۲۵۴ اصلی کار") == []
    assert found("۱۰ اصلاحیه بخش ۲") == []
    # the long form keeps its فرعی: the bare اصلی inside it does not stand alone
    assert found("۲۷۴۳ فرعی از ۱۹ اصلی بخش ۱۱") == [("plaque", "19/2743")]
