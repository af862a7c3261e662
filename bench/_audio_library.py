"""A generated, tagged music library for import benchmarks, cached in bench/.cache (git-ignored).

    .venv/bin/python bench/_audio_library.py [--files N]   # generate it (or find it) and say where

Each track is a short music-like clip (4-8 s) from ffmpeg's lavfi generators: a chord pad that
changes every bar, an arpeggio, a kick and hi-hat ticks on the beat, and a coloured noise floor,
every parameter drawn per track. An album has one source format: FLAC (16-bit 44.1 kHz or 24-bit
48 kHz), Ogg Vorbis, MP3 (CBR or VBR), Opus or AAC in M4A. mutagen tags them as a collection
is tagged: about 40 artists and 80 albums for 520 files, track and disc numbers, dates (year,
month or day), genres, ISRCs, MusicBrainz ids on some albums, featured artists, "Various
Artists" compilations, and front covers embedded in some albums and beside the files in others.
The tree is `Artist/Album/NN Title.ext` (`D-NN Title.ext` on two-disc albums).

The same file count always gives the same library. A finished one is reused: its `library.json`
marks it complete, so only the first run pays for generating it (about a minute for 520 files on
2 cores).
"""

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mutagen.flac
import mutagen.id3
import mutagen.mp4
import mutagen.oggopus
import mutagen.oggvorbis

from common import BENCH_DIR, BenchError

CACHE_DIR = BENCH_DIR / ".cache"
GENERATOR_VERSION = 1
SEED = 20_261_125
TRACKS_PER_ALBUM = 6.5
ALBUMS_PER_ARTIST = 2
CLIP_SECONDS = (4.0, 8.0)
MANIFEST = "library.json"
_FFMPEG_QUIET = ("-nostdin", "-hide_banner", "-loglevel", "error", "-y")
# mutagen's tag and frame classes have no type hints.
_FLAC: Any = mutagen.flac
_ID3: Any = mutagen.id3
_MP4: Any = mutagen.mp4
_VORBIS_KINDS: dict[str, Any] = {
    "flac": mutagen.flac.FLAC,
    "ogg": mutagen.oggvorbis.OggVorbis,
    "opus": mutagen.oggopus.OggOpus,
}


@dataclass(frozen=True)
class SourceFormat:
    name: str
    extension: str
    family: str  # how it is tagged: "vorbis" (FLAC, Ogg Vorbis, Opus), "id3" or "mp4"
    sample_rate: int
    args: tuple[str, ...]


# (format, share of albums)
FORMATS: tuple[tuple[SourceFormat, float], ...] = (
    (SourceFormat("flac-16", "flac", "vorbis", 44_100, ("-c:a", "flac", "-sample_fmt", "s16")), 20),
    (
        SourceFormat(
            "flac-24",
            "flac",
            "vorbis",
            48_000,
            ("-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"),
        ),
        8,
    ),
    (SourceFormat("vorbis-q5", "ogg", "vorbis", 44_100, ("-c:a", "libvorbis", "-q:a", "5")), 10),
    (SourceFormat("vorbis-q3", "ogg", "vorbis", 44_100, ("-c:a", "libvorbis", "-q:a", "3")), 4),
    (SourceFormat("mp3-320", "mp3", "id3", 44_100, ("-c:a", "libmp3lame", "-b:a", "320k")), 10),
    (SourceFormat("mp3-v2", "mp3", "id3", 44_100, ("-c:a", "libmp3lame", "-q:a", "2")), 10),
    (SourceFormat("mp3-192", "mp3", "id3", 44_100, ("-c:a", "libmp3lame", "-b:a", "192k")), 6),
    (SourceFormat("mp3-128", "mp3", "id3", 44_100, ("-c:a", "libmp3lame", "-b:a", "128k")), 4),
    (SourceFormat("opus-128", "opus", "vorbis", 48_000, ("-c:a", "libopus", "-b:a", "128k")), 6),
    (SourceFormat("opus-96", "opus", "vorbis", 48_000, ("-c:a", "libopus", "-b:a", "96k")), 4),
    (SourceFormat("aac-256", "m4a", "mp4", 44_100, ("-c:a", "aac", "-b:a", "256k")), 10),
    (SourceFormat("aac-128", "m4a", "mp4", 44_100, ("-c:a", "aac", "-b:a", "128k")), 8),
)

FIRST_NAMES = (
    "Mara", "Jonah", "Aiko", "Lucía", "Tomasz", "Nadia", "Oskar", "Inès", "Kwame", "Freya",
    "Dmitri", "Saoirse", "Ravi", "Elena", "Björn", "Amara", "Hugo", "Yuki", "Zofia", "Mateo",
)  # fmt: skip
LAST_NAMES = (
    "Quinn", "Okafor", "Lindqvist", "Moreau", "Nakamura", "Kowalski", "Ferreira", "Haddad",
    "Brennan", "Castillo", "Whitfield", "Sørensen", "Delacroix", "Varga", "Adeyemi", "Holloway",
)  # fmt: skip
ADJECTIVES = (
    "Velvet", "Electric", "Hollow", "Silver", "Midnight", "Paper", "Golden", "Quiet", "Burning",
    "Crystal", "Wandering", "Neon", "Broken", "Lunar", "Wild", "Distant", "Secret", "Northern",
)  # fmt: skip
NOUNS = (
    "Harbor", "Engine", "Lantern", "Orchard", "Signal", "Comet", "Tide", "Parade", "Machine",
    "Forest", "Mirror", "Satellite", "Garden", "River", "Canyon", "Echo", "Window", "Highway",
)  # fmt: skip
VERBS = ("Falling", "Running", "Dreaming", "Waiting", "Burning", "Drifting", "Calling", "Leaving")
GENRES = (
    "Rock", "Indie Rock", "Electronic", "Jazz", "Ambient", "Hip-Hop", "Folk", "Pop", "Classical",
    "Metal", "Soul", "Techno", "Shoegaze", "Post-Rock", "Synthpop", "Bossa Nova",
)  # fmt: skip
CHORDS = ((0, 4, 7), (0, 3, 7), (0, 2, 7), (0, 4, 7, 11), (0, 3, 7, 10), (0, 5, 7))
PROGRESSIONS = ((0, 5, 7, 5), (0, 7, 9, 5), (0, 3, 5, 7), (0, -2, 5, 3), (0, 4, 5, 7))
ARPEGGIOS = ((0, 7, 12, 7), (0, 4, 7, 12), (12, 7, 3, 0), (0, 12, 7, 19))
NOISE_COLOURS = ("pink", "brown", "white", "blue")
VARIOUS_ARTISTS = "Various Artists"


@dataclass(frozen=True)
class Sound:
    seconds: float
    root_hz: float
    chord: tuple[int, ...]
    progression: tuple[int, ...]
    arpeggio: tuple[int, ...]
    bpm: int
    hats: float
    noise: str
    noise_level: float
    seed: int


@dataclass(frozen=True)
class Tags:
    title: str
    artists: tuple[str, ...]
    album: str
    album_artist: str
    track: int
    tracks: int
    disc: int
    discs: int
    date: str
    genres: tuple[str, ...]
    isrc: str | None
    musicbrainz_track_id: str | None
    musicbrainz_album_id: str | None
    compilation: bool


@dataclass(frozen=True)
class CoverPlan:
    name: str  # its file name in the library's covers/ folder
    filter_graph: str
    embedded: bool  # else it is a sidecar `cover.jpg` (or similar) beside the tracks
    sidecar_name: str


@dataclass(frozen=True)
class TrackPlan:
    relative_path: str
    source: SourceFormat
    sound: Sound
    tags: Tags
    cover: CoverPlan | None


@dataclass(frozen=True)
class Library:
    root: Path  # the Artist/Album tree: what an import is pointed at
    manifest: dict[str, Any]

    @property
    def files(self) -> int:
        count: int = self.manifest["files"]
        return count


# --- the plan --------------------------------------------------------------------------------


def plan_library(files: int, seed: int = SEED) -> list[TrackPlan]:
    """Every track of the library, with its sound, tags and path; the same for the same input."""
    rng = random.Random(f"{seed}-{files}")
    album_count = max(2, round(files / TRACKS_PER_ALBUM))
    compilations = max(1, album_count // 40)
    artists = _unique(rng, max(2, (album_count - compilations) // ALBUMS_PER_ARTIST), _artist_name)
    sizes = _split(rng, files, album_count)
    album_names = _unique(rng, album_count, _album_name)
    formats = [fmt for fmt, _ in FORMATS]
    weights = [weight for _, weight in FORMATS]
    plans: list[TrackPlan] = []
    self_titled: set[str] = set()
    for index, (size, name) in enumerate(zip(sizes, album_names, strict=True)):
        compilation = index < compilations
        album_artist = VARIOUS_ARTISTS if compilation else artists[index % len(artists)]
        if not compilation and album_artist not in self_titled and rng.random() < 0.08:
            self_titled.add(album_artist)
            name = album_artist
        source = rng.choices(formats, weights)[0]
        year = rng.randint(1965, 2025)
        date = rng.choices(
            [f"{year}", f"{year}-{rng.randint(1, 12):02d}", _day(rng, year)], [40, 10, 50]
        )[0]
        genres = tuple(rng.sample(GENRES, rng.choice((1, 1, 1, 2))))
        musicbrainz = rng.random() < 0.3
        album_id = str(uuid.UUID(int=rng.getrandbits(128), version=4)) if musicbrainz else None
        discs = 2 if size >= 9 and rng.random() < 0.3 else 1
        cover = _cover_plan(rng, index)
        titles = _unique(rng, size, _title)
        per_disc = -(-size // discs)
        folder = f"{_path_part(album_artist)}/{_path_part(name)}"
        for position, title in enumerate(titles):
            disc, track = divmod(position, per_disc)
            artist = rng.choice(artists) if compilation else album_artist
            track_artists: tuple[str, ...] = (artist,)
            if rng.random() < 0.12:
                track_artists = (artist, rng.choice([a for a in artists if a != artist]))
            number = f"{track + 1:02d}" if discs == 1 else f"{disc + 1}-{track + 1:02d}"
            tags = Tags(
                title=title,
                artists=track_artists,
                album=name,
                album_artist=album_artist,
                track=track + 1,
                tracks=min(per_disc, size - disc * per_disc),
                disc=disc + 1,
                discs=discs,
                date=date,
                genres=genres,
                isrc=_isrc(rng, year) if rng.random() < 0.8 else None,
                musicbrainz_track_id=(
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)) if musicbrainz else None
                ),
                musicbrainz_album_id=album_id,
                compilation=compilation,
            )
            plans.append(
                TrackPlan(
                    relative_path=f"{folder}/{number} {_path_part(title)}.{source.extension}",
                    source=source,
                    sound=_sound(rng),
                    tags=tags,
                    cover=cover,
                )
            )
    return plans


def _unique(rng: random.Random, count: int, make: Callable[[random.Random], str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = make(rng)
        if len(seen) > 200 * count:  # the word lists ran out of combinations
            name = f"{name} {len(names) + 1}"
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _artist_name(rng: random.Random) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
    styles = (
        f"The {adjective} {noun}s",
        f"{first} {last}",
        f"{adjective} {noun}",
        f"{first} & the {noun}s",
        f"{last} Quartet",
        f"DJ {first}",
        f"{noun}{rng.choice(NOUNS).lower()}",
    )
    return rng.choice(styles)


def _album_name(rng: random.Random) -> str:
    adjective, noun, other = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(NOUNS)
    styles = (
        f"{adjective} {noun}",
        f"Songs from the {noun}",
        f"{noun} of {other}s",
        f"Live at the {noun}",
        f"{adjective}",
        f"{adjective} {noun}, Vol. {rng.randint(2, 4)}",
    )
    return rng.choice(styles)


def _title(rng: random.Random) -> str:
    adjective, noun, verb = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(VERBS)
    base = rng.choice(
        (
            f"{adjective} {noun}",
            f"The {noun}",
            f"{verb} {noun}s",
            f"{verb}",
            f"Don't Leave the {noun}",
            f"{noun} / {rng.choice(NOUNS)}",
            f"Where Is the {noun}?",
        )
    )
    suffix = rng.choices(("", " (Remix)", " - Live", " (Interlude)", ", Pt. II"), (85, 4, 4, 4, 3))
    return base + suffix[0]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` split into `parts` album sizes of at least 2, uneven like real albums."""
    weights = [rng.uniform(0.4, 1.6) for _ in range(parts)]
    scale = (total - 2 * parts) / sum(weights)
    sizes = [2 + int(weight * scale) for weight in weights]
    for index in rng.sample(range(parts), total - sum(sizes)):
        sizes[index] += 1
    return sizes


def _day(rng: random.Random, year: int) -> str:
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _isrc(rng: random.Random, year: int) -> str:
    country = rng.choice(("US", "GB", "FR", "DE", "SE", "JP", "BR"))
    registrant = "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=3))
    return f"{country}{registrant}{year % 100:02d}{rng.randint(0, 99_999):05d}"


def _cover_plan(rng: random.Random, index: int) -> CoverPlan | None:
    kind = rng.choices(("embedded", "sidecar", "none"), (40, 10, 50))[0]
    if kind == "none":
        return None
    png = rng.random() < 0.2
    size = "300x300" if png else rng.choice(("500x500", "600x600", "400x400"))
    graph = rng.choice(
        (
            f"gradients=s={size}:seed={rng.randint(1, 10**6)}:n={rng.randint(2, 6)}",
            f"mandelbrot=s={size}:start_scale={rng.uniform(0.5, 3):.2f}",
            f"cellauto=s={size}:rule={rng.choice((18, 30, 90, 110))}:seed={rng.randint(1, 10**6)}",
        )
    )
    if not png:
        graph += f",noise=alls={rng.randint(2, 5)}:allf=u"
    extension = "png" if png else "jpg"
    return CoverPlan(
        name=f"{index:03d}.{extension}",
        filter_graph=graph,
        embedded=kind == "embedded",
        sidecar_name=f"{rng.choice(('cover', 'folder', 'front'))}.{extension}",
    )


def _sound(rng: random.Random) -> Sound:
    return Sound(
        seconds=round(rng.uniform(*CLIP_SECONDS), 2),
        root_hz=110 * 2 ** (rng.randint(-5, 7) / 12),
        chord=rng.choice(CHORDS),
        progression=rng.choice(PROGRESSIONS),
        arpeggio=rng.choice(ARPEGGIOS),
        bpm=rng.randint(70, 160),
        hats=rng.choice((0.0, 0.03, 0.06)),
        noise=rng.choice(NOISE_COLOURS),
        noise_level=round(rng.uniform(0.01, 0.06), 3),
        seed=rng.randint(1, 2**31 - 1),
    )


def _path_part(text: str) -> str:
    return text.replace("/", "-").replace(":", "-").strip(". ") or "_"


# --- sound -----------------------------------------------------------------------------------


def _step(period_s: float, values: Sequence[int]) -> str:
    """An expression that steps through `values` (4 of them) once per `period_s` seconds."""
    position = f"mod(floor(t/{period_s:.5f}),4)"
    return "(0" + "".join(f"+({v})*eq({position},{i})" for i, v in enumerate(values) if v) + ")"


def sound_command(ffmpeg: Path, sound: Sound, sample_rate: int) -> list[str]:
    """The ffmpeg inputs and filters that synthesise `sound` as stereo at `sample_rate`."""
    beat = 60 / sound.bpm
    half = beat / 2
    progression = _step(4 * beat, sound.progression)
    arpeggio = _step(half, sound.arpeggio)

    def channel(detune: float, lead_level: float) -> str:
        pad = "+".join(
            f"sin(2*PI*t*{sound.root_hz * detune:.3f}*pow(2,({progression}+{s})/12))"
            for s in sound.chord
        )
        lead = (
            f"{lead_level}*sin(2*PI*t*{2 * sound.root_hz:.3f}*pow(2,({progression}+{arpeggio})/12))"
            f"*exp(-5*mod(t,{half:.5f}))"
        )
        kick = f"0.22*sin(2*PI*t*52)*exp(-14*mod(t,{beat:.5f}))"
        hats = f"{sound.hats}*(2*random(0)-1)*exp(-45*mod(t,{half:.5f}))"
        return f"0.08*({pad})+{lead}+{kick}+{hats}"

    duration = f"{sound.seconds:.2f}"
    voices = f"aevalsrc=exprs='{channel(1.0, 0.07)}|{channel(1.002, 0.1)}':s={sample_rate}"
    noise = (
        f"anoisesrc=d={duration}:c={sound.noise}:r={sample_rate}"
        f":a={sound.noise_level}:s={sound.seed}"
    )
    fade_out = max(0.0, sound.seconds - 0.4)
    graph = (
        "[1]pan=stereo|c0=c0|c1=c0[n];[0][n]amix=inputs=2:normalize=0:duration=shortest,"
        f"afade=t=in:d=0.02,afade=t=out:st={fade_out:.2f}:d=0.4[out]"
    )
    return [
        str(ffmpeg),
        *_FFMPEG_QUIET,
        *("-f", "lavfi", "-i", f"{voices}:d={duration}"),
        *("-f", "lavfi", "-i", noise),
        *("-filter_complex", graph, "-map", "[out]"),
    ]


# --- tags ------------------------------------------------------------------------------------


def tag_file(path: Path, plan: TrackPlan, cover: bytes | None) -> None:
    """Write `plan`'s tags (and `cover`, when given) into the encoded file at `path`."""
    mime = "image/png" if plan.cover and plan.cover.name.endswith(".png") else "image/jpeg"
    if plan.source.family == "vorbis":
        _tag_vorbis(path, plan, cover, mime)
    elif plan.source.family == "id3":
        _tag_id3(path, plan.tags, cover, mime)
    else:
        _tag_mp4(path, plan.tags, cover, mime)


def _tag_vorbis(path: Path, plan: TrackPlan, cover: bytes | None, mime: str) -> None:
    tags = plan.tags
    audio = _VORBIS_KINDS[plan.source.extension](path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()  # ffmpeg's own encoder tag
    fields: dict[str, list[str]] = {
        "title": [tags.title],
        "artist": list(tags.artists),
        "album": [tags.album],
        "albumartist": [tags.album_artist],
        "tracknumber": [str(tags.track)],
        "tracktotal": [str(tags.tracks)],
        "discnumber": [str(tags.disc)],
        "disctotal": [str(tags.discs)],
        "date": [tags.date],
        "genre": list(tags.genres),
    }
    if tags.isrc:
        fields["isrc"] = [tags.isrc]
    if tags.musicbrainz_track_id and tags.musicbrainz_album_id:
        fields["musicbrainz_trackid"] = [tags.musicbrainz_track_id]
        fields["musicbrainz_albumid"] = [tags.musicbrainz_album_id]
    if tags.compilation:
        fields["compilation"] = ["1"]
    for key, values in fields.items():
        audio[key] = values
    if cover is not None:
        picture = _FLAC.Picture()
        picture.type = 3
        picture.mime = mime
        picture.desc = "Front cover"
        picture.data = cover
        if plan.source.extension == "flac":
            audio.add_picture(picture)
        else:
            audio["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
    audio.save()


def _tag_id3(path: Path, tags: Tags, cover: bytes | None, mime: str) -> None:
    id3 = _ID3.ID3()
    id3.add(_ID3.TIT2(encoding=3, text=[tags.title]))
    id3.add(_ID3.TPE1(encoding=3, text=list(tags.artists)))
    id3.add(_ID3.TALB(encoding=3, text=[tags.album]))
    id3.add(_ID3.TPE2(encoding=3, text=[tags.album_artist]))
    id3.add(_ID3.TRCK(encoding=3, text=[f"{tags.track}/{tags.tracks}"]))
    id3.add(_ID3.TPOS(encoding=3, text=[f"{tags.disc}/{tags.discs}"]))
    id3.add(_ID3.TDRC(encoding=3, text=[tags.date]))
    id3.add(_ID3.TCON(encoding=3, text=list(tags.genres)))
    if tags.isrc:
        id3.add(_ID3.TSRC(encoding=3, text=[tags.isrc]))
    if tags.musicbrainz_track_id and tags.musicbrainz_album_id:
        owner = "http://musicbrainz.org"
        id3.add(_ID3.UFID(owner=owner, data=tags.musicbrainz_track_id.encode("ascii")))
        album_id = tags.musicbrainz_album_id
        id3.add(_ID3.TXXX(encoding=3, desc="MusicBrainz Album Id", text=[album_id]))
    if tags.compilation:
        id3.add(_ID3.TXXX(encoding=3, desc="COMPILATION", text=["1"]))
    if cover is not None:
        id3.add(_ID3.APIC(encoding=3, mime=mime, type=3, desc="Front cover", data=cover))
    id3.save(path, v2_version=4)


def _tag_mp4(path: Path, tags: Tags, cover: bytes | None, mime: str) -> None:
    audio = _MP4.MP4(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()
    audio.tags.update(
        {
            "©nam": [tags.title],
            "©ART": list(tags.artists),
            "©alb": [tags.album],
            "aART": [tags.album_artist],
            "trkn": [(tags.track, tags.tracks)],
            "disk": [(tags.disc, tags.discs)],
            "©day": [tags.date],
            "©gen": list(tags.genres),
        }
    )
    if tags.isrc:
        audio.tags["----:com.apple.iTunes:ISRC"] = [_MP4.MP4FreeForm(tags.isrc.encode())]
    if tags.musicbrainz_track_id and tags.musicbrainz_album_id:
        for key, value in (
            ("MusicBrainz Track Id", tags.musicbrainz_track_id),
            ("MusicBrainz Album Id", tags.musicbrainz_album_id),
        ):
            audio.tags[f"----:com.apple.iTunes:{key}"] = [_MP4.MP4FreeForm(value.encode())]
    if tags.compilation:
        audio.tags["cpil"] = True
    if cover is not None:
        kind = _MP4.MP4Cover.FORMAT_PNG if mime == "image/png" else _MP4.MP4Cover.FORMAT_JPEG
        audio.tags["covr"] = [_MP4.MP4Cover(cover, imageformat=kind)]
    audio.save()


# --- generating ------------------------------------------------------------------------------


def library_dir(files: int, seed: int = SEED) -> Path:
    return CACHE_DIR / f"library-v{GENERATOR_VERSION}-{files}-{seed}"


def ensure_library(files: int, *, jobs: int, seed: int = SEED, log: bool = True) -> Library:
    """The library of `files` tracks: the cached one when complete, else generated now."""
    folder = library_dir(files, seed)
    manifest_path = folder / MANIFEST
    if manifest_path.is_file():
        return Library(folder / "music", json.loads(manifest_path.read_text()))
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted generation
    from encore.adapters.audio.ffmpeg import find_ffmpeg

    ffmpeg = find_ffmpeg()
    plans = plan_library(files, seed)
    if log:
        print(f"Generating {files} tracks into {folder} (once; later runs reuse it)", flush=True)
    started = time.perf_counter()
    covers_dir = folder / "covers"
    covers_dir.mkdir(parents=True)
    covers = {plan.cover.name: plan.cover for plan in plans if plan.cover}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lambda cover: _render_cover(ffmpeg, cover, covers_dir), covers.values()))
        images = {name: (covers_dir / name).read_bytes() for name in covers}
        list(pool.map(lambda plan: _render_track(ffmpeg, plan, folder / "music", images), plans))
    manifest = _manifest(folder / "music", plans, files, seed, time.perf_counter() - started)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return Library(folder / "music", manifest)


def _render_cover(ffmpeg: Path, cover: CoverPlan, folder: Path) -> None:
    command = [str(ffmpeg), *_FFMPEG_QUIET, "-f", "lavfi", "-i", cover.filter_graph]
    quality = [] if cover.name.endswith(".png") else ["-q:v", "4"]
    _run([*command, "-frames:v", "1", *quality, str(folder / cover.name)])


def _render_track(ffmpeg: Path, plan: TrackPlan, music: Path, images: dict[str, bytes]) -> None:
    path = music / plan.relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    command = sound_command(ffmpeg, plan.sound, plan.source.sample_rate)
    _run([*command, *plan.source.args, "-map_metadata", "-1", str(path)])
    cover = plan.cover
    tag_file(path, plan, images[cover.name] if cover and cover.embedded else None)
    if cover and not cover.embedded:
        sidecar = path.parent / cover.sidecar_name
        if not sidecar.exists():
            sidecar.write_bytes(images[cover.name])


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"ffmpeg failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _manifest(
    music: Path, plans: list[TrackPlan], files: int, seed: int, seconds: float
) -> dict[str, Any]:
    artists = {artist for plan in plans for artist in plan.tags.artists}
    albums = {(plan.tags.album_artist, plan.tags.album) for plan in plans}
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "files": files,
        "artists": len(artists),
        "albums": len(albums),
        "formats": dict(sorted(Counter(plan.source.name for plan in plans).items())),
        "multi_artist_tracks": sum(len(plan.tags.artists) > 1 for plan in plans),
        "embedded_cover_tracks": sum(bool(plan.cover and plan.cover.embedded) for plan in plans),
        "sidecar_cover_tracks": sum(bool(plan.cover and not plan.cover.embedded) for plan in plans),
        "audio_seconds": round(sum(plan.sound.seconds for plan in plans), 1),
        "bytes": sum((music / plan.relative_path).stat().st_size for plan in plans),
        "generation_seconds": round(seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=520)
    args = parser.parse_args()
    library = ensure_library(args.files, jobs=len(os.sched_getaffinity(0)))
    print(library.root)
    print(json.dumps(library.manifest, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
