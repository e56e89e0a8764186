"""Revised Romanization and the matching of English names to the index's Korean words."""

from __future__ import annotations

import pytest

from assistant.search.names import NameIndex, match_names, name_phrases
from assistant.search.romanize import keys, romanize


@pytest.mark.parametrize(
    ("word", "roman"),
    [("인천", "incheon"), ("강남구", "gangnamgu"), ("부산", "busan"), ("종로", "jongno"), ("신라", "silla"), ("별내", "byeollae"),
     ("왕십리", "wangsimni"), ("울산", "ulsan"), ("광주", "gwangju"), ("독립문", "dongnimmun"), ("해운대", "haeundae")],
)
def test_revised_romanization(word, roman):
    assert romanize(word) == roman


def test_keys_include_the_letter_by_letter_spelling():
    assert keys("종로") == {"jongno", "jongro"}


def test_name_phrases_are_capitalised_runs():
    assert name_phrases("Which programs did Gangnam-gu and the Mapo Youth Center run?") [:2] == ["Gangnam-gu", "Mapo Youth Center"]
    assert "Which" not in name_phrases("Which district signed?")


def test_names_match_the_index_words():
    names = NameIndex(["인천", "강남", "영등포", "청년", "수당", "도봉"])
    found, unmatched = match_names("What did Incheon and Yeongdeungpo-gu pay, and did Busan?", names)
    assert found == ["인천", "영등포"] and unmatched == ["Busan"]
    assert names.lookup("Gangnam-gu") == ["강남"]
    assert names.lookup("do") == []  # too short to tell from English


def test_an_english_name_the_documents_do_not_hold_is_a_missing_name():
    from assistant.search import analyse

    names = NameIndex(["인천", "청년", "수당"])
    a = analyse("How much youth allowance did Daegu pay in 2024?", names)
    assert "Daegu" in a.entities and 2024 in a.years and "청년" in a.terms
    b = analyse("How much youth allowance did Incheon pay in 2024?", names)
    assert "인천" in b.entities and "인천" in b.terms
