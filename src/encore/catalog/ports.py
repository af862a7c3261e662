"""What the catalog domain needs from storage."""

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Protocol

from encore.catalog.audio import AudioTags, RenditionSpec
from encore.catalog.model import (
    Album,
    Artist,
    DatePrecision,
    ExternalKind,
    ImportSource,
    Quality,
    Ref,
    Rendition,
    Track,
    UnheardTrack,
)
from encore.catalog.transcoding import DeadLetter, QueueDepth, TakenJob, TranscodeJob
from encore.unit_of_work import UnitOfWork


class ArtistRepository(Protocol):
    def add(self, artist: Artist) -> None: ...
    def get(self, artist_id: str) -> Artist | None: ...
    def get_by_name(self, name: str) -> Artist | None: ...
    def find(self, *, name: str, musicbrainz_id: str | None) -> Artist | None: ...
    def refs(self, artist_ids: Sequence[str]) -> dict[str, Ref]: ...
    def add_many(self, artists: Sequence[Artist]) -> None: ...
    def ids_by_name(self, names: Collection[str]) -> dict[str, str]:
        """The id of the oldest artist of each of these exact names that exists."""
        ...


class AlbumRepository(Protocol):
    def add(self, album: Album) -> None: ...
    def get(self, album_id: str) -> Album | None: ...
    def find(self, *, name: str, artist_id: str, musicbrainz_id: str | None) -> Album | None: ...
    def set_cover(self, album_id: str, cover_art_path: str) -> None: ...
    def count_tracks(self, album_id: str) -> int: ...
    def set_total_tracks(self, album_id: str, total: int) -> None: ...
    def list_by_artist(self, artist_id: str) -> Sequence[Album]: ...
    def add_many(self, albums: Sequence[Album]) -> None: ...
    def get_many(self, album_ids: Collection[str]) -> dict[str, Album]: ...
    def ids_by_name(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """For each `(album name, artist id)` that exists, the id of the oldest such album."""
        ...

    def set_details(
        self,
        album_id: str,
        *,
        name: str,
        release_date: date | None,
        release_date_precision: DatePrecision | None,
    ) -> None: ...
    def recount_tracks(self, album_ids: Collection[str]) -> None:
        """Set each album's `total_tracks` to the number of tracks it has."""
        ...


class TrackRepository(Protocol):
    def add(self, track: Track) -> None: ...
    def get(self, track_id: str) -> Track | None: ...
    def get_by_content_hash(self, content_hash: str) -> Track | None: ...
    def list_by_album(self, album_id: str) -> Sequence[Track]: ...
    def top_by_artist(self, artist_id: str, *, limit: int) -> Sequence[Track]: ...
    def set_popularity(self, track_id: str, popularity: int) -> None: ...
    def add_many(self, tracks: Sequence[Track]) -> None: ...
    def get_many(self, track_ids: Collection[str]) -> dict[str, Track]: ...
    def update(self, track: Track) -> None:
        """Overwrite a track's metadata and links in place, keeping its creation time. The row
        stays, so what refers to the track (renditions, likes, playlists, history) is kept."""
        ...

    def content_hashes(self) -> dict[str, str]:
        """The content hash of every track with audio, with the track's id."""
        ...

    def metadata_only(self) -> Sequence[UnheardTrack]:
        """Every track known only from a feed: no audio yet."""
        ...


class RenditionRepository(Protocol):
    def put(self, rendition: Rendition) -> None:
        """Add or replace the rendition of `(track_id, quality)`."""
        ...

    def track_ids(self) -> set[str]:
        """Every track that has at least one rendition."""
        ...

    def paths_by_track(self, track_ids: Collection[str]) -> dict[str, dict[Quality, str]]:
        """Each track's renditions: quality -> media key."""
        ...

    def replace_for_tracks(
        self, track_ids: Collection[str], renditions: Sequence[Rendition]
    ) -> None:
        """Make `renditions` the whole set of renditions of `track_ids` (none, if empty)."""
        ...

    def list_for_track(self, track_id: str) -> Sequence[Rendition]: ...
    def list_for_tracks(self, track_ids: Collection[str]) -> dict[str, list[Rendition]]:
        """Each listed track's renditions, lowest quality first; tracks without any are absent."""
        ...


class ImportSourceRepository(Protocol):
    def get(self, path: str) -> ImportSource | None: ...
    def get_many(self, paths: Collection[str]) -> dict[str, ImportSource]: ...
    def put_many(self, sources: Sequence[ImportSource]) -> None: ...
    def put(self, source: ImportSource) -> None: ...


class ExternalIdRepository(Protocol):
    """The ids another system (a catalog feed) gives catalog entities, one namespace each."""

    def in_namespace(self, namespace: str, kind: ExternalKind) -> dict[str, str]:
        """Every external id of `kind` in `namespace`, with the entity id it stands for."""
        ...

    def put_many(self, namespace: str, kind: ExternalKind, entity_ids: Mapping[str, str]) -> None:
        """Map external ids to entity ids, replacing earlier mappings of the same ids."""
        ...


class CatalogUnitOfWork(UnitOfWork, Protocol):
    @property
    def artists(self) -> ArtistRepository: ...

    @property
    def albums(self) -> AlbumRepository: ...

    @property
    def tracks(self) -> TrackRepository: ...

    @property
    def renditions(self) -> RenditionRepository: ...

    @property
    def import_sources(self) -> ImportSourceRepository: ...

    @property
    def external_ids(self) -> ExternalIdRepository: ...


class TagReader(Protocol):
    def read(self, path: Path) -> AudioTags:
        """The file's tags and stream facts; raises `UnreadableAudio` with the reason."""
        ...


class Transcoder(Protocol):
    def encode(self, source: Path, target: Path, spec: RenditionSpec) -> None:
        """Encode `source` to `target` (a new file) as `spec`; raises `UnreadableAudio`."""
        ...

    def preview(self, source: Path, target: Path, *, start_ms: int, length_ms: int) -> None:
        """A clip of `source` from `start_ms`, encoded as the preview rendition."""
        ...

    def representative_start_ms(self, source: Path, *, duration_ms: int, length_ms: int) -> int:
        """Where the most representative `length_ms` of the recording begins."""
        ...


class TranscodeQueue(Protocol):
    """Durable transcode jobs for workers anywhere that can reach the queue and the media store.

    A worker `take`s a job and holds it until it `ack`s (done) or `fail`s it (tried again after a
    growing delay, or dead-lettered with the error after the last attempt). A job held by a worker
    that stops (killed, or silent past the queue's lease without a `heartbeat`) is delivered again.
    No more than the queue's per-user cap of one submitter's jobs are held at once: that user's
    other jobs wait while other users' jobs are given out.
    """

    def submit(self, jobs: Sequence[TranscodeJob]) -> None:
        """Queue `jobs`, durably once this returns; raises `QueueUnavailable`. A job submitted
        again (the same track) replaces a waiting one and leaves the dead letters."""
        ...

    def take(self, *, wait_s: float) -> TakenJob | None:
        """The next job this worker may run, waiting up to `wait_s` for one; None if none."""
        ...

    def heartbeat(self, taken: TakenJob) -> None:
        """Still working on it: keep the job from being delivered again."""
        ...

    def ack(self, taken: TakenJob) -> None: ...
    def fail(self, taken: TakenJob, error: str) -> None: ...
    def dead_letters(self, job_ids: Collection[str] | None = None) -> Sequence[DeadLetter]:
        """The dead-lettered jobs (of `job_ids` only, if given), oldest failure first."""
        ...

    def depth(self) -> QueueDepth: ...
    def close(self) -> None: ...
