"""How letters' words are cut and normalised for the index, and how a query becomes an expression
the databases cannot misread."""

from __future__ import annotations

import shutil
import unicodedata

import pytest

from engine.services.saraban import search

DECOMPOSED_TAMBON = "ต\u0e4d\u0e32บล"


def test_sara_am_is_one_character_however_it_was_written() -> None:
    assert search.normalise(DECOMPOSED_TAMBON) == "ต\u0e33บล"
    assert search.normalise("ตำบล") == "ต\u0e33บล"
    assert search.words(f"{DECOMPOSED_TAMBON}แม่เหียะ") == ["ตำบล", "แม่", "เหียะ"]


def test_sara_ae_written_as_two_sara_e_is_folded() -> None:
    assert search.normalise("\u0e40\u0e40ม่") == "แม่"


def test_thai_digits_zero_width_spaces_and_case_are_folded() -> None:
    assert search.normalise("ชม ๕๒๑๐๑/๑๒") == "ชม 52101/12"
    assert search.normalise("ตำบล\u200bแม่เหียะ  ABC") == "ตำบล แม่เหียะ abc"


def test_a_number_is_cut_into_the_runs_the_index_keeps() -> None:
    assert search.terms("ที่ ชม ๕๒๑๐๑/๑๒") == ["ที่", "ชม", "52101", "12"]
    assert search.pieces("0808.2") == ["0808", "2"]
    assert search.pieces('("x"') == ["x"]


def test_thai_marks_stay_inside_their_word() -> None:
    assert search.terms("ประชุม แม่ เหียะ") == ["ประชุม", "แม่", "เหียะ"]


def test_a_compound_is_indexed_with_its_parts() -> None:
    kept = search.index_terms("ถนนสายหลัก")
    assert kept[0] == "ถนนสายหลัก"
    assert {"ถนน", "สาย", "หลัก"} <= set(kept)
    assert search.index_terms("52101") == ["52101"]


def test_a_query_is_bounded_and_without_repeats() -> None:
    assert search.query_words("ตำบล ตำบล ตำบล") == [["ตำบล"]]
    many = " ".join(f"คำ{i}" for i in range(100))
    assert len(search.query_words(many)) <= search.MAX_QUERY_WORDS
    assert search.query_words("ก" * 10_000) == search.query_words("ก" * search.MAX_QUERY)
    assert search.query_words(" .,;:/-()[]\"'*^ ") == []
    assert search.query_words("") == []


@pytest.mark.parametrize(
    "hostile", ['"', "*", "NEAR(ก ข, 2)", "'; DROP TABLE x; --", "a:b", "^x", "a OR b NOT c"]
)
def test_query_expressions_hold_quoted_word_characters_only(hostile: str) -> None:
    wanted = search.query_words(hostile)
    fts5 = search.fts5_query(wanted)
    for phrase in fts5.split(" AND ") if fts5 else []:
        inner = phrase.rstrip("*")
        assert inner.startswith('"') and inner.endswith('"') and '"' not in inner[1:-1]
    for split in wanted:
        assert all(c.isalnum() or unicodedata.category(c)[0] == "M" for term in split for c in term)


def test_a_long_number_also_matches_as_a_beginning() -> None:
    assert search.fts5_query([["52101", "12"]]) == '"52101 12"'
    assert search.fts5_query([["5210"]]) == '"5210"*'
    assert search.fts5_query([["ตำบล"], ["12"]]) == '"ตำบล" AND "12"'
    assert search.tsquery([["ชม"], ["5210"]]) == "('ชม') & ('5210':*)"
    assert search.tsquery([["52101", "12"]]) == "('52101' <-> '12')"


def test_a_pdf_that_cannot_be_read_has_no_text() -> None:
    assert search.pdf_text(b"") == ""
    assert search.pdf_text(b"not a pdf at all") == ""


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_a_pdf_text_is_cut_to_its_limit() -> None:
    weasyprint = pytest.importorskip("weasyprint")
    pdf = weasyprint.HTML(string=f"<p>{'ตำบลแม่เหียะ ' * 200}</p>").write_pdf()
    text = search.pdf_text(bytes(pdf), limit=50)
    assert 0 < len(text) <= 50
