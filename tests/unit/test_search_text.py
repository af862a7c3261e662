"""How text becomes searchable words."""

import pytest

from encore.search.text import fold, max_edits, query_terms, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Beyoncé", ["beyonce"]),
        ("MÖTLEY CRÜE", ["motley", "crue"]),
        ("AC/DC", ["ac", "dc", "acdc"]),
        ("R.E.M.", ["r", "e", "m", "rem"]),
        ("Anti-Hero", ["anti", "hero", "antihero"]),
        ("Don\u2019t Stop", ["dont", "stop"]),
        ("Ke$ha", ["kesha"]),
        ("Simon & Garfunkel", ["simon", "and", "garfunkel"]),
        ("1989 (Deluxe)", ["1989", "deluxe"]),
        ("Грустная сука", ["грустная", "сука"]),
        ("完全感覚Dreamer", ["完", "全", "感", "覚", "dreamer"]),
        ("피카부 Peek", ["피", "카", "부", "peek"]),
        ('"*:() AND', ["and"]),
        ("!!! ???", []),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_fold_keeps_scripts_and_drops_marks() -> None:
    assert fold("Sigur Rós Ærø straße") == "sigur ros aero strasse"


def test_a_typed_word_with_punctuation_stays_one_term() -> None:
    assert [t.text for t in query_terms("ac/dc r.e.m. a-ha")] == ["acdc", "rem", "aha"]


def test_only_the_last_word_is_being_typed_unless_followed_by_space() -> None:
    assert [t.typing for t in query_terms("bohemian rhaps")] == [False, True]
    assert [t.typing for t in query_terms("bohemian rhaps ")] == [False, False]


@pytest.mark.parametrize(
    ("word", "edits"),
    [("abc", 0), ("abcd", 1), ("abcdefg", 1), ("abcdefgh", 2), ("1989", 0), ("피카부", 0)],
)
def test_typos_forgiven_by_length(word: str, edits: int) -> None:
    assert max_edits(word) == edits


def test_a_long_query_is_cut_to_sixteen_words() -> None:
    assert len(query_terms(" ".join(f"w{i}" for i in range(100)))) == 16
