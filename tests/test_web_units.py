"""The web application's pure parts, without an archive: masking agrees with the CLI's,
shown text is escaped, masked ids read left to right, search fields read as the CLI
reads its flags."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.identifiers import mask_personal
from web.archive import mask_shown, valid_sha
from web.forms import MAX_QUERY, BadInput, SearchForm
from web.views import marked_text_html, snippet_html, text_html

PIECES = st.sampled_from([
    "کد ملی", "كد ملي", "شماره ملی", "national id", "National Code:", "کد پستی", "تلفن", ": ", " ", "-", " - ",
    "/", "\n", "ـ", "\u200f", "\u200c", "پلاک", "۰۰۸۴۵۷۵۹۴۸", "0084575948", "٠٠٨٤٥٧٥٩٤٨", "۲۸۸۲۲۴۲۱۲۳", "۲۸۸-۲۲۴۲۱۲-۳",
    "۳۱۴۵۶۷۸۹۱۳", "31456-78913", "۱۳۸۴/۰۶/۱۲", "۱۲۳۴۵۶۷۸", "1234567", "۰۹۱۲۱۲۳۴۵۶۷", "کرج", "مالک",
])


@given(st.lists(PIECES | st.text(alphabet="0123456789۰۱۲۳۴۵۶۷۸۹ -ملی", max_size=14), max_size=16).map("".join))
@settings(max_examples=400, deadline=None, database=None)
def test_mask_shown_masks_exactly_what_mask_personal_masks(text: str) -> None:
    assert mask_shown(text) == mask_personal(text)


def test_mask_shown_masks_a_labelled_and_a_bare_id() -> None:
    assert mask_shown("کد ملی: ۰۰۸۴۵۷۵۹۴۸") == "کد ملی: ۰۰۸****۹۴۸"
    assert mask_shown("مالک 0084575948 است") == "مالک 008****948 است"
    assert mask_shown("تاریخ ۱۳۸۴/۰۶/۱۲ کرج") == "تاریخ ۱۳۸۴/۰۶/۱۲ کرج"


def test_masked_ids_are_isolated_left_to_right() -> None:
    html = snippet_html("کد ملی: <mark>۰۰۸****۹۴۸</mark> مالک")
    assert '<mark><bdi dir="ltr" class="masked">۰۰۸****۹۴۸</bdi></mark>' in html
    assert text_html("(۰۰۸-****-۹۴۸)") == '(<bdi dir="ltr" class="masked">۰۰۸-****-۹۴۸</bdi>)'


def test_shown_text_is_escaped_and_only_marks_come_back() -> None:
    html = snippet_html('<script>alert("x")</script> <mark>کرج</mark> <img src=x onerror=1>')
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "<mark>کرج</mark>" in html
    from indexer.query import SearchQuery

    page = marked_text_html("شهرداری كرج\n<b>کرج</b>", SearchQuery.build("کرج"))
    assert page == "شهرداری <mark>كرج</mark>\n<mark>&lt;b&gt;کرج&lt;/b&gt;</mark>"


def test_hashes_are_64_lowercase_hex_only() -> None:
    assert valid_sha("0" * 64) and valid_sha("ab" * 32)
    for bad in ("A" * 64, "0" * 63, "0" * 65, "../" + "0" * 61, "g" * 64, "0" * 64 + "\n", "۰" * 64):
        assert not valid_sha(bad)


def test_search_fields_read_as_the_cli_reads_its_flags() -> None:
    q = SearchForm(q="پروانه", date_from="۱۳۸۴/۰۶/۱۲", date_to="2008-03-19",
                   identifiers={"plaque": "۴۵/۱۲۳", "postal_code": "۳۱۴۵۶-۷۸۹۱۳"}).query(limit=20, offset=0)
    assert (q.date_from, q.date_to) == ("2005-09-03", "2008-03-19")
    assert dict(q.identifiers) == {"plaque": "45/123", "postal_code": "3145678913"}
    with pytest.raises(BadInput) as bad:
        SearchForm(q="x" * (MAX_QUERY + 1)).query(limit=20, offset=0)
    assert bad.value.field == "q"
    with pytest.raises(BadInput) as bad:
        SearchForm(q="کرج", date_to="۱۳۸۴/۱۳/۴۰").query(limit=20, offset=0)
    assert bad.value.field == "date_to"
    assert SearchForm(q="  ").empty and not SearchForm(dossier="karaj").empty
