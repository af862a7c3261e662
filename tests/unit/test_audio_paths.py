"""The audio layout as the edge reads it: exactly the paths the importer writes, nothing else."""

import pytest

from encore.catalog.audio import LADDER, PREVIEW, RenditionSpec, audio_key
from encore.streaming.paths import AUDIO_FILES, audio_path, parse_audio_path

TRACK = "AbCdEfGhIjKlMnOpQrStUv"


@pytest.mark.parametrize("spec", [*LADDER, PREVIEW], ids=lambda spec: spec.file_name)
def test_every_rendition_has_a_path_that_parses_back_to_its_key(spec: RenditionSpec) -> None:
    file_name = spec.file_name
    path = audio_path(TRACK, file_name)
    parsed = parse_audio_path(path.encode())
    assert parsed is not None
    assert parsed.path == path
    assert parsed.key == audio_key(TRACK, file_name)
    assert (parsed.track_id, parsed.file_name) == (TRACK, file_name)
    assert parsed.content_type == ("audio/flac" if file_name.endswith(".flac") else "audio/ogg")


def test_the_layout_knows_every_file_the_ladder_makes() -> None:
    assert {spec.file_name for spec in [*LADDER, PREVIEW]} == set(AUDIO_FILES)


GOOD = f"/audio/Ab/Cd/{TRACK}/160.ogg"


@pytest.mark.parametrize(
    "raw",
    [
        "/audio/Ab/Cd/AbCdEfGhIjKlMnOpQrStU/160.ogg",  # 21 characters
        "/audio/Ab/Cd/AbCdEfGhIjKlMnOpQrStUvW/160.ogg",  # 23
        f"/audio/Xb/Cd/{TRACK}/160.ogg",  # shard does not match the id
        f"/audio/Ab/Xd/{TRACK}/160.ogg",
        f"/audio/ab/cd/{TRACK}/160.ogg",  # case matters
        f"/audio/Ab/Cd/{TRACK}/128.ogg",
        f"/audio/Ab/Cd/{TRACK}/160.mp3",
        f"/audio/Ab/Cd/{TRACK}/160.OGG",
        f"/audio/Ab/Cd/{TRACK}/cover.jpg",
        f"/audio/Ab/Cd/{TRACK}/",
        f"/audio/Ab/Cd/{TRACK}",
        f"/audio/Ab/Cd/{TRACK}/160.ogg/",
        f"/audio/Ab/Cd/{TRACK}/160.ogg\n",
        f"/audio/Ab/Cd/{TRACK}/../../../../secret.key",
        f"/audio/Ab/Cd/{TRACK}/..%2F160.ogg",
        f"/audio/Ab/Cd/{TRACK}%2F160.ogg",
        f"/audio/Ab%2FCd/{TRACK}/160.ogg",
        f"/audio/Ab/Cd/{TRACK}/160%2eogg",
        f"/audio/Ab/Cd/{TRACK}/%31%36%30.ogg",
        f"/audio//Ab/Cd/{TRACK}/160.ogg",
        f"/audio/Ab/Cd//{TRACK}/160.ogg",
        f"/audio/./Ab/Cd/{TRACK}/160.ogg",
        f"/audio/Ab/Cd/{TRACK}/./160.ogg",
        f"/audio/Ab/Cd/{TRACK}/160.ogg;x",
        f"/audio\\Ab\\Cd\\{TRACK}\\160.ogg",
        f"//audio/Ab/Cd/{TRACK}/160.ogg",
        f"audio/Ab/Cd/{TRACK}/160.ogg",
        f"/covers/Ab/Cd/{TRACK}/160.ogg",
        f"/audio/Ab/Cd/{TRACK}/160.ogg\x00",
        "",
        "/",
    ],
)
def test_anything_else_names_no_file(raw: str) -> None:
    assert parse_audio_path(GOOD.encode()) is not None
    assert parse_audio_path(raw.encode()) is None


def test_non_ascii_names_no_file() -> None:
    assert parse_audio_path(f"/audio/Ab/Cd/{TRACK[:-1]}é/160.ogg".encode()) is None
