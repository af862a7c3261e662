"""The pure track-list edits: what they produce, what they touch, what they depend on."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from encore.errors import InvalidInput
from encore.library.model import (
    Change,
    Entry,
    conflicts,
    cover_albums,
    insert,
    remove,
    remove_positions,
    reorder,
)

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


class PlaylistAgainstAList(RuleBasedStateMachine):
    """Any sequence of edits leaves the playlist as the same edits leave a plain list, read
    as Spotify's Web API describes them (position, and range_start/insert_before/range_length)."""

    def __init__(self) -> None:
        super().__init__()
        self.playlist: list[Entry] = []
        self.model: list[str] = []
        self.made = 0

    def _new(self, count: int) -> list[str]:
        self.made += count
        return [f"t{n % 7}" for n in range(self.made - count, self.made)]  # repeats on purpose

    @rule(count=st.integers(1, 4), data=st.data())
    def add(self, count: int, data: st.DataObject) -> None:
        ids = self._new(count)
        position = data.draw(st.none() | st.integers(0, len(self.model)))
        self.playlist = insert(self.playlist, entries(*ids), position).entries
        at = len(self.model) if position is None else position
        self.model[at:at] = ids

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        gone = data.draw(st.lists(st.sampled_from([*self.model, "absent"]), max_size=3))
        self.playlist = remove(self.playlist, gone).entries
        self.model = [track for track in self.model if track not in gone]

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def delete_at(self, data: st.DataObject) -> None:
        positions = data.draw(st.lists(st.integers(0, len(self.model) - 1), max_size=3))
        self.playlist = remove_positions(self.playlist, positions).entries
        self.model = [t for i, t in enumerate(self.model) if i not in positions]

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        size = len(self.model)
        start = data.draw(st.integers(0, size - 1))
        length = data.draw(st.integers(1, size - start))
        before = data.draw(st.integers(0, size))
        self.playlist = reorder(
            self.playlist, range_start=start, insert_before=before, range_length=length
        ).entries
        span = range(start, start + length)
        moved = self.model[start : start + length]
        head = [t for i, t in enumerate(self.model[:before]) if i not in span]
        tail = [t for i, t in enumerate(self.model) if i >= before and i not in span]
        self.model = head + moved + tail

    @rule(data=st.data())
    def refuse_out_of_range(self, data: st.DataObject) -> None:
        size = len(self.model)
        outside = data.draw(st.integers(size + 1, size + 5) | st.integers(-5, -1))
        with pytest.raises(InvalidInput):
            insert(self.playlist, entries("x"), outside)
        with pytest.raises(InvalidInput):
            reorder(self.playlist, range_start=max(size, 0), insert_before=0, range_length=1)
        with pytest.raises(InvalidInput):
            remove_positions(self.playlist, [size])

    @invariant()
    def same_as_the_list(self) -> None:
        assert [entry.track_id for entry in self.playlist] == self.model


TestPlaylistAgainstAList = PlaylistAgainstAList.TestCase
TestPlaylistAgainstAList.settings = settings(max_examples=60, stateful_step_count=15, deadline=None)
