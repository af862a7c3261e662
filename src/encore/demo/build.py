"""Building the demo into an instance: music, catalog, licences, listeners and their history.

Every step finds what an earlier run did and does only the rest, so running the demo again
(after an interruption, or with larger numbers) never duplicates anything. The pieces are
recorded into the data directory's scratch space, imported through the real audio importer (so
each gets its whole bitrate ladder and a preview) and deleted; the demo's own external ids
remember which track each piece became. `demo/ready.json` marks a finished demo.
"""

import json
import os
import random
import shutil
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from encore.bootstrap import Services, make_importer
from encore.catalog.feed import FeedImporter
from encore.catalog.import_summary import Summary
from encore.catalog.model import ExternalKind, Track
from encore.catalog.service import CatalogChange
from encore.demo import catalog, covers, listeners, music, recording
from encore.demo.accounts import DEMO_USERS, Credentials, demo_users, synthetic_listeners
from encore.demo.library import build_libraries
from encore.demo.repertoire import PieceSpec, all_pieces
from encore.history.model import Listen
from encore.history.service import payload_of
from encore.import_progress import FeedProgressBar, ImportProgressBar

SEED = 2026
PIECES_NAMESPACE = "demo:pieces"
# The piece licensed only in these countries: not in the free demo user's.
BLOCKED_PIECE = 1
LICENSED_IN = frozenset({"US", "CA", "GB", "IE", "AU"})
# One catalog track in this many is licensed in a few countries only.
RESTRICTED_EVERY = 40
HISTORY_CHUNK = 5_000
# How popular each album's pieces are (before a little per-track variation).
ALBUM_POPULARITY = (74, 80, 77, 62, 68, 71)


class DemoFailed(Exception):
    """A step of the demo failed; what it finished stays, and running the demo again resumes."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    pieces: int = len(all_pieces())
    listeners: int = 200
    catalog_size: int = 3_000
    weeks: int = 8
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)

    def covered_by(self, other: "DemoOptions") -> bool:
        """Whether a demo built with `other` holds everything this one would."""
        return (
            self.pieces <= other.pieces
            and self.listeners <= other.listeners
            and self.catalog_size <= other.catalog_size
        )


@dataclass(frozen=True, slots=True)
class SignIn:
    email: str
    password: str | None  # None when the account existed before the demo made its password
    plan: str
    country: str
    admin: bool = False


@dataclass(frozen=True, slots=True)
class DemoReport:
    already_built: bool
    pieces: int
    catalog_tracks: int
    listeners: int
    listens_added: int
    users: tuple[SignIn, ...]
    blocked_track: str | None  # "'Title' by Artist"
    licensed_in: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Person:
    """A listener to give a history, with what is fixed of their taste."""

    listener: listeners.Listener
    genres: tuple[str, ...] = ()
    keen: bool = False


class Demo:
    def __init__(
        self,
        services: Services,
        console: Console,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._services = services
        self._console = console
        self._clock = clock
        self._dir = services.settings.data_dir / "demo"
        self._credentials = Credentials(self._dir / "credentials.json")

    # --- state ---------------------------------------------------------------------------------

    def built_with(self) -> DemoOptions | None:
        """The options of the finished demo in this instance, if there is one."""
        try:
            state = json.loads((self._dir / "ready.json").read_text(encoding="utf-8"))
            return DemoOptions(**state["options"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def started(self) -> bool:
        return (self._dir / "started").exists()

    # --- building ------------------------------------------------------------------------------

    def build(self, options: DemoOptions) -> DemoReport:
        built = self.built_with()
        if built is not None and options.covered_by(built):
            # A demo built before the demo had libraries gets them now (once).
            self._libraries(built)
            return self._report(built, already_built=True, listens_added=0)
        self._dir.mkdir(parents=True, exist_ok=True)
        (self._dir / "started").touch()
        pieces = all_pieces()[: options.pieces]
        piece_ids = self._pieces(pieces, options.jobs)
        catalog_ids = self._catalog(options.catalog_size)
        self._license(pieces, piece_ids, catalog_ids)
        accounts = demo_users(self._services, self._credentials)
        people = [
            _Person(listeners.Listener(demo.key, user.id, user.country), demo.genres, keen=True)
            for demo, user in accounts
        ]
        people += map(
            _Person, synthetic_listeners(self._services, options.listeners, self._clock())
        )
        added = self._history(people, catalog_ids, piece_ids, options.weeks)
        build_libraries(self._services, accounts, pieces, piece_ids)
        self._wrapped(options.weeks)
        merged = options if built is None else _larger(options, built)
        state = {"options": asdict(merged), "built_at": self._clock().isoformat()}
        (self._dir / "ready.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
        return self._report(merged, already_built=False, listens_added=added)

    def _libraries(self, options: DemoOptions) -> None:
        pieces = all_pieces()[: options.pieces]
        with self._services.uow(readonly=True) as uow:
            known = uow.external_ids.in_namespace(PIECES_NAMESPACE, ExternalKind.TRACK)
        accounts = demo_users(self._services, self._credentials)
        build_libraries(self._services, accounts, pieces, known)

    def _pieces(self, pieces: Sequence[PieceSpec], jobs: int) -> dict[str, str]:
        """Record and import the pieces not imported yet; returns every piece's track id."""
        with self._services.uow(readonly=True) as uow:
            known = uow.external_ids.in_namespace(PIECES_NAMESPACE, ExternalKind.TRACK)
        missing = [piece for piece in pieces if piece.isrc not in known]
        if missing:
            from encore.adapters.audio.ffmpeg import find_ffmpeg

            scratch = self._services.settings.data_dir / "scratch" / "demo-pieces"
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True)
            try:
                self._record(missing, scratch, find_ffmpeg(), jobs)
                known.update(self._import(missing, scratch, jobs))
            except (RuntimeError, OSError) as error:
                raise DemoFailed(str(error)) from error
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        for piece in pieces:
            self._services.catalog.set_popularity(known[piece.isrc], _popularity(piece))
        return {piece.isrc: known[piece.isrc] for piece in pieces}

    def _record(self, pieces: Sequence[PieceSpec], scratch: Path, ffmpeg: Path, jobs: int) -> None:
        albums = sorted({piece.album_index for piece in pieces})
        with _bar(self._console, "Composing") as bar, ThreadPoolExecutor(jobs) as pool:
            task = bar.add_task("", total=len(albums) + len(pieces))
            drawn = pool.map(lambda album: covers.draw_cover(album, ffmpeg), albums)
            art = dict(zip(albums, drawn, strict=True))
            bar.advance(task, len(albums))

            def one(piece: PieceSpec) -> None:
                target = scratch / recording.file_name(piece)
                recording.record(
                    piece, music.compose(piece), art[piece.album_index], target, ffmpeg
                )

            for _ in pool.map(one, pieces):
                bar.advance(task)

    def _import(self, pieces: Sequence[PieceSpec], scratch: Path, jobs: int) -> dict[str, str]:
        importer = make_importer(self._services)
        with ImportProgressBar(self._console) as progress:
            summary = importer.run([scratch], jobs=jobs, progress=progress)
        by_name = {recording.file_name(piece): piece for piece in pieces}
        imported = {
            by_name[Path(outcome.path).name].isrc: outcome.track_id
            for outcome in summary.outcomes
            if outcome.track_id and Path(outcome.path).name in by_name
        }
        _require_success(summary, "pieces")
        with self._services.uow() as uow:
            uow.external_ids.put_many(PIECES_NAMESPACE, ExternalKind.TRACK, imported)
            uow.commit()
        return imported

    def _catalog(self, size: int) -> dict[str, str]:
        if size:
            scratch = self._services.settings.data_dir / "scratch"
            scratch.mkdir(parents=True, exist_ok=True)
            feed = scratch / "demo-catalog.csv"
            catalog.write_feed(catalog.generate(size, seed=SEED), feed)
            importer = FeedImporter(
                uow=self._services.uow, on_change=self._services.documents.forget
            )
            try:
                with FeedProgressBar(self._console, "the demo catalog") as progress:
                    summary = importer.run(feed, namespace=catalog.NAMESPACE, progress=progress)
            finally:
                feed.unlink(missing_ok=True)
            _require_success(summary, "catalog")
        with self._services.uow(readonly=True) as uow:
            return uow.external_ids.in_namespace(catalog.NAMESPACE, ExternalKind.TRACK)

    def _license(
        self, pieces: Sequence[PieceSpec], piece_ids: dict[str, str], catalog_ids: dict[str, str]
    ) -> None:
        """Licence one piece, and a few catalog tracks, to some countries only."""
        territories: dict[str, frozenset[str]] = {}
        if pieces:
            territories[piece_ids[pieces[min(BLOCKED_PIECE, len(pieces) - 1)].isrc]] = LICENSED_IN
        countries = sorted(listeners.COUNTRIES)
        for number, key in enumerate(sorted(catalog_ids)):
            if number % RESTRICTED_EVERY == RESTRICTED_EVERY - 1:
                rng = _rng(f"licence:{key}")
                territories[catalog_ids[key]] = frozenset(rng.sample(countries, rng.randint(1, 5)))
        with self._services.uow() as uow:
            tracks = uow.tracks.get_many(set(territories))
            changed = [
                replace(track, available_countries=territories[track.id])
                for track in tracks.values()
                if track.available_countries != territories[track.id]
            ]
            for track in changed:
                uow.tracks.update(track)
            uow.commit()
        if changed:
            self._services.documents.forget(
                CatalogChange(track_ids=tuple(track.id for track in changed))
            )

    def _history(
        self,
        people: Sequence[_Person],
        catalog_ids: dict[str, str],
        piece_ids: dict[str, str],
        weeks: int,
    ) -> int:
        """Listening history for each listener who has none yet: a history is made once, so a
        later run (with more pieces, say) cannot interleave a second one with it."""
        with self._services.uow(readonly=True) as uow:
            fresh = [
                person
                for person in people
                if not uow.history.recent(person.listener.user_id, limit=1)
            ]
            tracks = uow.tracks.get_many({*catalog_ids.values(), *piece_ids.values()})
        if not fresh or not tracks:
            return 0
        library = listeners.Library([_pool_track(track) for track in tracks.values()])
        # The streamable artists of each genre: the demo users' favourites, so what they see plays.
        streamable: dict[str, set[str]] = defaultdict(set)
        for piece in all_pieces():
            if piece.isrc in piece_ids and piece_ids[piece.isrc] in tracks:
                streamable[piece.genre].add(tracks[piece_ids[piece.isrc]].artist_ids[0])
        end = self._clock()
        added = 0
        with _bar(self._console, "Listening") as bar:
            task = bar.add_task("", total=len(fresh))
            batch: list[Listen] = []
            countries = {person.listener.user_id: person.listener.country for person in fresh}
            for person in fresh:
                taste = listeners.taste_of(
                    person.listener,
                    library,
                    seed=SEED,
                    genres=[genre for genre in person.genres if genre in library.genres],
                    favourites=sorted(a for genre in person.genres for a in streamable[genre]),
                    keen=person.keen,
                )
                batch += listeners.history(
                    person.listener, taste, library, end=end, weeks=weeks, seed=SEED
                )
                if len(batch) >= HISTORY_CHUNK:
                    added += self._store(batch, countries)
                    batch = []
                bar.advance(task)
            added += self._store(batch, countries)
        return added

    def _store(self, batch: Sequence[Listen], countries: dict[str, str]) -> int:
        """Into the history store and the lake, as the log's two consumers would put them (the
        listens are weeks old, older than the accounts, which the events API refuses)."""
        self._services.lake.backfill([payload_of(one, countries[one.user_id]) for one in batch])
        with self._services.uow() as uow:
            added = uow.history.add(batch)
            uow.commit()
        return added

    def _wrapped(self, weeks: int) -> None:
        """Wrapped for every year the history touches, so its page has a year to show."""
        end = self._clock()
        first = (end - timedelta(weeks=weeks)).year
        with self._console.status("Wrapping up the year"):
            for year in range(first, end.year + 1):
                self._services.wrapped.compute(year=year)

    # --- reporting -----------------------------------------------------------------------------

    def _report(
        self, options: DemoOptions, *, already_built: bool, listens_added: int
    ) -> DemoReport:
        saved = self._credentials.load()
        users = [
            SignIn(demo.email, saved.get(demo.email), demo.plan.value, demo.country, demo.admin)
            for demo in DEMO_USERS
        ]
        pieces = all_pieces()[: options.pieces]
        blocked = pieces[min(BLOCKED_PIECE, len(pieces) - 1)] if pieces else None
        return DemoReport(
            already_built=already_built,
            pieces=len(pieces),
            catalog_tracks=options.catalog_size,
            listeners=options.listeners,
            listens_added=listens_added,
            users=tuple(users),
            blocked_track=f"'{blocked.title}' by {' & '.join(blocked.artists)}"
            if blocked
            else None,
            licensed_in=tuple(sorted(LICENSED_IN)),
        )


def _pool_track(track: Track) -> listeners.PoolTrack:
    return listeners.PoolTrack(
        track_id=track.id,
        artist_id=track.artist_ids[0],
        album_id=track.album_id,
        genre=track.genres[0] if track.genres else "Unknown",
        duration_ms=track.duration_ms,
        popularity=track.popularity,
        track_number=track.track_number or 0,
        countries=track.available_countries,
    )


def _popularity(piece: PieceSpec) -> int:
    rng = _rng(f"popularity:{piece.isrc}")
    base = ALBUM_POPULARITY[piece.album_index % len(ALBUM_POPULARITY)]
    return max(0, min(100, base - 3 * (piece.track_number - 1) + rng.randint(-4, 4)))


def _larger(a: DemoOptions, b: DemoOptions) -> DemoOptions:
    return replace(
        a,
        pieces=max(a.pieces, b.pieces),
        listeners=max(a.listeners, b.listeners),
        catalog_size=max(a.catalog_size, b.catalog_size),
    )


def _require_success(summary: Summary, what: str) -> None:
    failures = summary.failures
    if failures:
        reasons = "; ".join(f"{Path(f.path).name}: {f.reason}" for f in failures[:3])
        raise DemoFailed(f"{len(failures)} of the demo's {what} could not be imported ({reasons})")


def _rng(label: str) -> random.Random:
    return random.Random(f"{SEED}:{label}")


def _bar(console: Console, label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
