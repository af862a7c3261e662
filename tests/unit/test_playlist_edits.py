"""The pure track-list edits: what they produce, what they touch, what they depend on."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from encore.errors import InvalidInput
from encore.library.model import Change, Entry, conflicts, cover_albums, insert, remove, reorder

AT = datetime(2026, 1, 1, tzinfo=UTC)


def entries(*names: str) -> list[Entry]:
    return [Entry(name, AT, "owner") for name in names]


def names(found: list[Entry]) -> str:
    return "".join(entry.track_id for entry in found)


def test_insert_appends_or_goes_before_a_position() -> None:
    appended = insert(entries(*"abc"), entries("x"), None)
    assert names(appended.entries) == "abcx"
    assert (appended.touched_from, appended.depends_through) == (3, None)
    placed = insert(entries(*"abc"), entries("x", "y"), 1)
    assert names(placed.entries) == "axybc"
    assert (placed.touched_from, placed.depends_through) == (1, 0)
    with pytest.raises(InvalidInput, match="position"):
        insert(entries(*"abc"), entries("x"), 4)


def test_remove_takes_every_occurrence() -> None:
    edit = remove(entries(*"abcab"), ["b"])
    assert names(edit.entries) == "aca"
    assert (edit.touched_from, edit.depends_through) == (1, None)
    assert remove(entries(*"abc"), ["z"]).touched_from is None


@pytest.mark.parametrize(
    ("start", "before", "length", "expected", "touched"),
    [
        (0, 3, 1, "bcade", 0),  # Spotify's example: the first track to just before the fourth
        (3, 0, 2, "deabc", 0),
        (1, 5, 2, "adebc", 1),  # to the end
        (1, 2, 1, "abcde", None),  # before itself's successor: nothing moves
        (2, 2, 2, "abcde", None),
    ],
)
def test_reorder_moves_a_range_before_a_track(
    start: int, before: int, length: int, expected: str, touched: int | None
) -> None:
    edit = reorder(entries(*"abcde"), range_start=start, insert_before=before, range_length=length)
    assert names(edit.entries) == expected
    assert edit.touched_from == touched


@pytest.mark.parametrize(
    ("start", "before", "length"), [(5, 0, 1), (0, 6, 1), (4, 0, 2), (0, 1, 0), (-1, 0, 1)]
)
def test_reorder_refuses_ranges_outside_the_playlist(start: int, before: int, length: int) -> None:
    with pytest.raises(InvalidInput):
        reorder(entries(*"abcde"), range_start=start, insert_before=before, range_length=length)


@given(
    st.integers(1, 12).flatmap(
        lambda size: st.tuples(
            st.just(size),
            st.integers(0, size - 1).flatmap(
                lambda start: st.tuples(
                    st.just(start), st.integers(1, size - start), st.integers(0, size)
                )
            ),
        )
    )
)
def test_reorder_keeps_every_track_once_and_leaves_positions_before_touched_alone(
    case: tuple[int, tuple[int, int, int]],
) -> None:
    size, (start, length, before) = case
    old = [Entry(str(n), AT, None) for n in range(size)]
    edit = reorder(old, range_start=start, insert_before=before, range_length=length)
    assert sorted(e.track_id for e in edit.entries) == sorted(e.track_id for e in old)
    moved = [e.track_id for e in old[start : start + length]]
    at = next(i for i, e in enumerate(edit.entries) if e.track_id == moved[0])
    assert [e.track_id for e in edit.entries[at : at + length]] == moved
    first = size if edit.touched_from is None else edit.touched_from
    assert edit.entries[:first] == old[:first]


def change(touched_from: int | None, *fields: str) -> Change:
    return Change(1, "s", touched_from, frozenset(fields), AT)


def test_edits_conflict_only_with_changes_where_they_apply() -> None:
    appended = [change(10)]
    assert not conflicts(appended, depends_through=9, fields=frozenset())
    assert conflicts(appended, depends_through=10, fields=frozenset())
    assert not conflicts([change(0)], depends_through=None, fields=frozenset())
    assert not conflicts([change(None, "name")], depends_through=None, fields=frozenset({"public"}))
    assert conflicts([change(None, "name")], depends_through=None, fields=frozenset({"name"}))


def test_the_cover_is_a_mosaic_of_four_albums_or_the_first_one() -> None:
    assert cover_albums(["a", "a", "b", "c", "b", "d", "e"]) == ["a", "b", "c", "d"]
    assert cover_albums(["a", "b", "a"]) == ["a"]
    assert cover_albums([]) == []
