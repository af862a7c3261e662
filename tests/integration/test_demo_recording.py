"""Recording the demo's pieces and drawing its covers with the real ffmpeg."""

from pathlib import Path

import pytest
from mutagen.flac import FLAC

from encore.adapters.audio.ffmpeg import find_ffmpeg
from encore.adapters.audio.tags import MutagenTagReader
from encore.demo import covers, music, recording
from encore.demo.repertoire import RELEASES, all_pieces

pytestmark = pytest.mark.slow


def _size(jpeg: bytes) -> tuple[int, int]:
    """Width and height from a baseline JPEG's SOF0 segment."""
    at = jpeg.index(b"\xff\xc0")
    height = int.from_bytes(jpeg[at + 5 : at + 7], "big")
    width = int.from_bytes(jpeg[at + 7 : at + 9], "big")
    return width, height


def test_every_album_gets_its_own_cover() -> None:
    drawn = [covers.draw_cover(index, find_ffmpeg()) for index in range(len(RELEASES))]
    assert all(art.startswith(b"\xff\xd8") and _size(art) == (600, 600) for art in drawn)
    assert len(set(drawn)) == len(drawn)
    # Drawn again, the same bytes: a re-run stores nothing new.
    assert covers.draw_cover(0, find_ffmpeg()) == drawn[0]


def test_pieces_are_tagged_distinct_and_reproducible(tmp_path: Path) -> None:
    ffmpeg = find_ffmpeg()
    first = all_pieces()[1]
    second = next(piece for piece in all_pieces() if len(piece.artists) > 1)
    cover = covers.draw_cover(first.album_index, ffmpeg)
    paths = []
    for name, piece in (("a", first), ("b", second), ("c", first)):
        path = tmp_path / name / recording.file_name(piece)
        path.parent.mkdir()
        recording.record(piece, music.compose(piece), cover, path, ffmpeg)
        paths.append(path)

    tags = MutagenTagReader().read(paths[1])
    assert tags.title == second.title
    assert tags.artists == second.artists and len(tags.artists) == 2
    assert tags.album_artists == (second.album_artist,)
    assert (tags.album, tags.track_number) == (second.album, second.track_number)
    assert tags.date == second.date
    assert tags.genres == (second.genre,)
    assert tags.isrc == second.isrc
    assert tags.lossless and tags.sample_rate == 44_100 and tags.channels == 2
    assert tags.cover is not None and tags.cover.data == cover
    assert abs(tags.duration_ms / 1000 - music.compose(second).duration_s) < 1.5

    signatures = [FLAC(path).info.md5_signature for path in paths]
    assert signatures[0] != signatures[1]  # different music, not only different tags
    assert paths[0].read_bytes() == paths[2].read_bytes()
    assert list(tmp_path.glob("*/.*.part")) == []


def test_a_failed_recording_leaves_nothing(tmp_path: Path) -> None:
    piece = all_pieces()[0]
    target = tmp_path / "piece.flac"
    with pytest.raises(RuntimeError, match="could not record"):
        recording.record(piece, music.compose(piece), b"", target, tmp_path / "no-ffmpeg")
    assert list(tmp_path.iterdir()) == []
