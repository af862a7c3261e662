"""Range headers, any of them (RFC 9110 14): each parses to a range inside the file, is refused
with 416, or is ignored (the whole file); and a file cut into ranges adds up to its size."""

import re

from hypothesis import given
from hypothesis import strategies as st

from encore.streaming.ranges import ByteRange, Status, parse_range

sizes = st.integers(min_value=0, max_value=10**12)
# Headers near the grammar find more of its corners than arbitrary text does.
numbers = st.one_of(st.integers(0, 10**20).map(str), st.sampled_from(["", " 1", "+1", "1_0", "٣"]))
specs = st.one_of(
    st.builds(lambda a, b: f"{a}-{b}", numbers, numbers),
    st.builds(lambda b: f"-{b}", numbers),
    st.text(max_size=20),
)
headers = st.one_of(
    st.builds(
        lambda unit, items: f"{unit}={','.join(items)}",
        st.sampled_from(["bytes", "BYTES", " bytes ", "items", ""]),
        st.lists(specs, min_size=0, max_size=3),
    ),
    st.text(max_size=40),
)
_SINGLE = re.compile(r"\s*bytes\s*=[\s,]*([0-9]*)-([0-9]*)[\s,]*", re.IGNORECASE)


@given(header=headers, size=sizes)
def test_every_header_is_a_range_inside_the_file_a_416_or_ignored(header: str, size: int) -> None:
    answer = parse_range(header, size)
    single = _SINGLE.fullmatch(header)
    if answer.status is Status.OK:
        assert answer.range is None
        return
    assert single, "only a single bytes range is honoured or refused"
    first, last = single.groups()
    if answer.status is Status.PARTIAL:
        assert answer.range is not None
        assert 0 <= answer.range.first <= answer.range.last < size
    else:
        assert answer.status is Status.UNSATISFIABLE and answer.range is None
        # 416 only for a well-formed range that cannot be met: past the end, or an empty suffix.
        assert (first and int(first) >= size) or (not first and int(last) == 0)


@given(size=st.integers(1, 10**9), data=st.data())
def test_a_satisfiable_range_is_what_it_asked_for_cut_at_the_end(
    size: int, data: st.DataObject
) -> None:
    first = data.draw(st.integers(0, size - 1))
    last = data.draw(st.integers(first, size + 1000))
    assert parse_range(f"bytes={first}-{last}", size).range == ByteRange(first, min(last, size - 1))
    assert parse_range(f"bytes={first}-", size).range == ByteRange(first, size - 1)
    suffix = data.draw(st.integers(1, size + 1000))
    assert parse_range(f"bytes=-{suffix}", size).range == ByteRange(max(0, size - suffix), size - 1)
    assert parse_range(f"bytes={size + first}-", size).status is Status.UNSATISFIABLE


@given(size=st.integers(1, 10**6), cuts=st.lists(st.integers(1, 10**6), max_size=20))
def test_consecutive_ranges_add_up_to_the_whole_file(size: int, cuts: list[int]) -> None:
    position, total = 0, 0
    bounds = sorted({cut for cut in cuts if cut < size})
    for end in [*bounds, size]:
        answer = parse_range(f"bytes={position}-{end - 1}", size)
        assert answer.status is Status.PARTIAL and answer.range is not None
        assert answer.range.first == position
        total += answer.range.length
        position = answer.range.last + 1
    assert total == size
    assert parse_range(f"bytes={position}-", size).status is Status.UNSATISFIABLE
