"""The demo's composed pieces and covers, without running ffmpeg: determinism, distinctness,
valid codes and expressions ffmpeg can hold."""

import re

import pytest

from encore.demo import covers, lettering, music
from encore.demo.repertoire import RELEASES, all_pieces

ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}\d{7}")


def test_every_piece_has_a_valid_and_unique_isrc() -> None:
    pieces = all_pieces()
    assert len(pieces) == 36
    assert all(ISRC.fullmatch(piece.isrc) for piece in pieces)
    assert len({piece.isrc for piece in pieces}) == len(pieces)
    assert pieces[0].isrc_text == "XX-ENC-26-00001"


def test_the_first_pieces_span_every_album() -> None:
    first = all_pieces()[: len(RELEASES)]
    assert {piece.album for piece in first} == {release.album for release in RELEASES}
    assert {piece.track_number for piece in first} == {1}


def test_some_pieces_have_a_guest_artist() -> None:
    guests = [piece for piece in all_pieces() if len(piece.artists) > 1]
    assert guests
    assert all(piece.artists[0] == piece.album_artist for piece in guests)


def test_composing_is_deterministic() -> None:
    for piece in all_pieces():
        assert music.compose(piece) == music.compose(piece)
        assert music.expression(music.compose(piece)) == music.expression(music.compose(piece))


def test_no_two_pieces_are_alike() -> None:
    scores = [music.compose(piece) for piece in all_pieces()]
    fingerprints = {(s.key, s.bpm, s.chords, s.lead) for s in scores}
    assert len(fingerprints) == len(scores)
    assert len({music.expression(score) for score in scores}) == len(scores)
    # Within an album too, tempo or key or harmony differs, not only the melody.
    for release in RELEASES:
        album = [s for s, p in zip(scores, all_pieces(), strict=True) if p.album == release.album]
        assert len({(s.key, s.bpm, s.chords) for s in album}) == len(album)


@pytest.mark.parametrize("piece", all_pieces()[: len(RELEASES)], ids=lambda piece: piece.genre)
def test_a_score_fits_ffmpeg_and_the_length_wanted(piece: music.PieceSpec) -> None:
    score = music.compose(piece)
    expression = music.expression(score)
    # ffmpeg's expressions have variables 0 to 9 only.
    assert {int(n) for n in re.findall(r"(?:st|ld)\((\d+)", expression)} <= set(range(10))
    assert expression.count("(") == expression.count(")")
    # Quoted as one filter option: no quote may end it early.
    assert "'" not in expression
    assert "[out]" in music.filters(score)


def test_pieces_are_short() -> None:
    durations = [music.compose(piece).duration_s for piece in all_pieces()]
    assert min(durations) >= 20 and max(durations) <= 27
    assert sum(durations) / len(durations) < 23


def test_chords_stay_in_their_mode() -> None:
    for piece in all_pieces():
        score = music.compose(piece)
        for chord in score.chords:
            assert chord[0] < 12
            assert list(chord) == sorted(chord)
            assert chord[3] - chord[0] <= 12  # a seventh, or the octave


def test_every_album_has_its_own_picture() -> None:
    assert len(covers.PICTURES) == len(RELEASES)
    assert len(set(covers.PICTURES)) == len(RELEASES)


def test_lettering() -> None:
    assert lettering.printable("Lúa & Sœur? ☃") == "LUA & S?UR? ?"
    assert lettering.text_width("AB", 2) == 22
    width, height = 40, 10
    pixels = bytearray(width * height * 3)
    lettering.draw(pixels, width, "I", x=0, y=0, scale=1, color=(255, 0, 0))
    lit = {(i // 3) % width for i in range(0, len(pixels), 3) if pixels[i]}
    assert lit == {1, 2, 3}  # the I's serifs span columns 1 to 3
    # Drawing past the edges is clipped, not an error.
    lettering.draw(pixels, width, "WWWWWWWW", x=-3, y=8, scale=2, color=(1, 2, 3))
    assert len(pixels) == width * height * 3
