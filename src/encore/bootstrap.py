"""The one wiring point: settings -> adapters -> services.

Nothing else in Encore chooses an adapter. Tests call `bootstrap` with their own settings, or
build services by hand from fakes, the same way.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

from encore import __version__
from encore.account_data.model import Erasure
from encore.account_data.ports import ForgettingStore, Record
from encore.account_data.service import AccountDataService, ErasureHook
from encore.accounts.login_guard import LoginGuard
from encore.accounts.passwords import Passwords
from encore.accounts.service import AccountService
from encore.accounts.tokens import AccessTokens
from encore.adapters.audio.live import FfmpegLiveAudio
from encore.adapters.cache.memory import MemoryCache
from encore.adapters.cache.redis import RedisCache
from encore.adapters.cdn_health import OriginHealthChecker
from encore.adapters.compute.local import LocalRunner
from encore.adapters.events.sqlite_log import SqliteEventLog
from encore.adapters.keyfile import load_or_create_secret
from encore.adapters.lake.parquet import ParquetLake
from encore.adapters.lake.wrapped import LakeYearSource
from encore.adapters.media.cover_scaler import FfmpegCoverScaler
from encore.adapters.media.local import LocalMediaStore
from encore.adapters.rate_limit.memory import MemoryRateLimiter
from encore.adapters.rate_limit.redis import RedisRateLimiter
from encore.adapters.recommend.faiss_index import FaissIndexBuilder
from encore.adapters.redis_client import RedisOutages
from encore.adapters.sql import migrate
from encore.adapters.sql.account_data import SqlExportSource, SqlTombstones
from encore.adapters.sql.browsing import SqlSimilarTracks
from encore.adapters.sql.engine import make_engine
from encore.adapters.sql.operations import SqlOperationsReport
from encore.adapters.sql.read_routing import ReplicaReads
from encore.adapters.sql.recommend import (
    SqlGeneratedPlaylists,
    SqlInteractionSource,
    SqlListeners,
    SqlRecommendRuns,
)
from encore.adapters.sql.search_source import SqlDocumentSource
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.cache import Cache
from encore.catalog.documents import RenderedDocuments
from encore.catalog.service import CatalogService
from encore.config import Settings
from encore.consumers import ConsumerRunner
from encore.events import EventLog
from encore.history.consumers import HistoryConsumer, LakeConsumer
from encore.history.service import ListeningService
from encore.keys import derive_key
from encore.library.service import LibraryService
from encore.media import MediaStore
from encore.rate_limits import ROUTE_CLASSES, Limit, RateLimiter, RouteClass, RouteLimits
from encore.recommend.als import ALS_NAME, AlsTrainer
from encore.recommend.batch import RecommendBatch
from encore.recommend.model import HYBRID_NAME, HybridTrainer
from encore.recommend.model_store import ModelStore
from encore.recommend.ports import BatchRunner
from encore.recommend.radio import RadioService
from encore.recommend.scheduler import RecommendScheduler
from encore.recommend.service import RecommendService
from encore.recommend.similar import SimilarByTaste
from encore.search.ports import SearchIndex
from encore.search.service import SearchService
from encore.streaming.cdn import OriginSelector
from encore.streaming.service import StreamService
from encore.streaming.signing import UrlSigner
from encore.subsonic.credentials import SubsonicCredentials
from encore.subsonic.facade import Subsonic
from encore.subsonic.limits import LimitedSignIn
from encore.subsonic.ports import CoverScaler, LiveAudio, SimilarTracks
from encore.subsonic.remembered import RememberedBrowsing, RememberedTracks
from encore.subsonic.sealing import SecretBox
from encore.wrapped.service import WrappedService

if TYPE_CHECKING:
    from encore.catalog.importer import AudioImporter
    from encore.catalog.ports import TranscodeQueue
    from encore.catalog.transcode_worker import TranscodeWorker
    from encore.streaming.precache import PreCache

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    accounts: AccountService
    catalog: CatalogService
    library: LibraryService
    access_tokens: AccessTokens
    documents: RenderedDocuments
    engine: Engine
    media: MediaStore
    uow: SqlUnitOfWorkFactory
    url_signer: UrlSigner
    events: EventLog
    listening: ListeningService
    lake: ParquetLake
    # The event log's in-process consumers; started with the API (and by `catch_up` in tests).
    pipeline: ConsumerRunner
    wrapped: WrappedService
    streams: StreamService
    origins: OriginSelector
    origin_health: OriginHealthChecker
    search: SearchService
    search_index: SearchIndex
    subsonic: Subsonic
    subsonic_credentials: SubsonicCredentials
    subsonic_sign_in: LimitedSignIn
    subsonic_live: LiveAudio
    subsonic_covers: CoverScaler
    recommend: RecommendService
    radio: RadioService
    models: ModelStore
    recommend_batch: RecommendBatch
    recommend_scheduler: RecommendScheduler
    operations: SqlOperationsReport  # imports, batch runs and Wrapped, for the admin page
    account_data: AccountDataService
    route_limits: RouteLimits
    # Opened on first use, so that a node that never transcodes never connects to the queue.
    transcode_queue: "Callable[[], TranscodeQueue]"
    # Where catalog reads go when a replica is configured (None: the primary, always).
    replica_reads: ReplicaReads | None = None
    # Calls answered without Redis while it was unreachable, by component, for /metrics.
    redis_outages: list[RedisOutages] = field(default_factory=list)
    # Named probes for /healthz; each raises when its part is unwell.
    health_checks: dict[str, Callable[[], None]] = field(default_factory=dict)

    def failing_checks(self) -> list[str]:
        """The names of the health checks that fail now (each failure logged)."""
        failing = []
        for name, check in self.health_checks.items():
            try:
                check()
            except Exception:
                log.warning("health check %s failed", name, exc_info=True)
                failing.append(name)
        return failing

    def close(self) -> None:
        if isinstance(self.transcode_queue, OpenOnce) and self.transcode_queue.opened:
            self.transcode_queue().close()
        self.recommend_scheduler.stop()
        self.pipeline.stop()
        self.events.close()
        self.search_index.close()
        if self.replica_reads is not None:
            self.replica_reads.close()
        self.engine.dispose()


def bootstrap(
    settings: Settings,
    *,
    run_migrations: bool = True,
    passwords: Passwords | None = None,
) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    master = (
        settings.secret_key.get_secret_value().encode()
        if settings.secret_key
        else load_or_create_secret(settings.data_dir)
    )
    engine = make_engine(settings.sqlalchemy_url)
    if run_migrations:
        migrate.upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    replica_reads = _replica_reads(settings, engine)
    documents_cache, counters, limiter = _caches(settings)
    route_limits = RouteLimits(limiter, _route_limits(settings))
    login_guard = LoginGuard(
        cache=counters,
        limiter=limiter,
        attempts_per_minute=settings.login_attempts_per_minute,
        max_delay_s=settings.login_delay_max_s,
    )
    access_tokens = AccessTokens(
        derive_key(master, "access-token"), ttl_s=settings.access_token_ttl_s, revocations=counters
    )
    accounts = AccountService(
        uow=uow,
        passwords=passwords or Passwords(),
        access_tokens=access_tokens,
        cache=counters,
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_s),
        signup_open=settings.signup_open,
        login_guard=login_guard,
    )
    catalog = CatalogService(uow=SqlUnitOfWorkFactory(engine, reads=replica_reads))
    documents = RenderedDocuments(documents_cache, ttl_s=settings.catalog_cache_ttl_s)
    catalog.on_change(documents.forget)
    library = LibraryService(uow=uow, track_details=catalog.get_tracks)
    events = _event_log(settings)
    origins = OriginSelector(settings.cdn_origins)
    url_signer = UrlSigner(stream_signing_keys(settings, master), ttl_s=settings.stream_url_ttl_s)
    streams = StreamService(
        uow=uow,
        entitlements=accounts,
        signer=url_signer,
        origins=origins,
        events=events,
        cache=counters,
    )
    catalog.on_change(streams.forget)
    search_index = _search_index(settings)
    search = SearchService(
        index=search_index, source=SqlDocumentSource(engine, bulk_reads=replica_reads)
    )
    catalog.on_change(search.catalog_changed)
    library.on_change(lambda notice: search.playlists_changed([notice.playlist.id]))
    listening = ListeningService(
        uow=uow, events=events, cache=counters, track_details=catalog.get_tracks
    )
    tombstones = SqlTombstones(engine)
    lake = ParquetLake(settings.data_dir / "lake", forgotten=tombstones.user_ids)
    pipeline = ConsumerRunner(events, [HistoryConsumer(uow), LakeConsumer(lake)])
    wrapped = WrappedService(uow=uow, source=LakeYearSource(lake, engine))
    # The batch runs train Encore's production model (ALS vectors, an item graph, a genre
    # prior: bench/recommend); models that a Spark run trained with Spark's ALS load too.
    trainer = HybridTrainer()
    models = ModelStore(
        settings.data_dir / "models",
        trainers={ALS_NAME: AlsTrainer(), HYBRID_NAME: trainer},
        indexes=FaissIndexBuilder(),
        trainer_name=HYBRID_NAME,
    )
    generated = SqlGeneratedPlaylists(engine)
    listeners = SqlListeners(engine)
    recommend = RecommendService(playlists=generated, listeners=listeners)
    radio = RadioService(models=models.current, listeners=listeners, cache=counters)
    listening.on_recorded(radio.events_recorded)
    recommend_batch = RecommendBatch(
        source=SqlInteractionSource(engine),
        playlists=generated,
        models=models,
        trainer=trainer,
        indexes=FaissIndexBuilder(),
        runs=SqlRecommendRuns(engine),
    )

    subsonic, subsonic_credentials = _subsonic(
        engine,
        master,
        counters,
        accounts,
        catalog,
        library,
        listening,
        search,
        streams,
        similar=SimilarByTaste(
            models=models.current, listeners=listeners, fallback=SqlSimilarTracks(engine)
        ),
        now_playing_everyone=settings.subsonic_now_playing == "everyone",
    )

    forgetting: list[ForgettingStore] = [lake]
    if isinstance(events, SqliteEventLog):
        forgetting.append(events)
    account_data = AccountDataService(
        uow=uow,
        source=SqlExportSource(engine),
        accounts=accounts,
        tombstones=tombstones,
        forgetting=forgetting,
        now_playing=lambda user_id: _now_playing(listening, user_id),
        hooks=_erasure_hooks(accounts, listening, search, subsonic_credentials),
    )

    def database() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def search_health() -> None:
        search_index.count()

    return Services(
        settings=settings,
        accounts=accounts,
        catalog=catalog,
        library=library,
        access_tokens=access_tokens,
        documents=documents,
        engine=engine,
        media=media_store(settings),
        uow=uow,
        url_signer=url_signer,
        events=events,
        listening=listening,
        lake=lake,
        pipeline=pipeline,
        wrapped=wrapped,
        streams=streams,
        origins=origins,
        origin_health=OriginHealthChecker(
            origins, path=settings.cdn_health_path, interval_s=settings.cdn_health_interval_s
        ),
        search=search,
        search_index=search_index,
        subsonic=subsonic,
        subsonic_credentials=subsonic_credentials,
        subsonic_sign_in=LimitedSignIn(
            credentials=subsonic_credentials,
            limits=route_limits,
            guard=login_guard,
            password_auth=settings.subsonic_password_auth,
        ),
        subsonic_live=FfmpegLiveAudio(),
        subsonic_covers=FfmpegCoverScaler(),
        recommend=recommend,
        radio=radio,
        models=models,
        recommend_batch=recommend_batch,
        recommend_scheduler=RecommendScheduler(
            recommend_batch,
            lambda: batch_runner(settings),
            check_s=settings.recommend_check_s,
        ),
        operations=SqlOperationsReport(engine),
        account_data=account_data,
        route_limits=route_limits,
        transcode_queue=OpenOnce(lambda: transcode_queue(settings)),
        redis_outages=list(
            {
                id(part): part.outages
                for part in (documents_cache, counters, limiter)
                if isinstance(part, RedisCache | RedisRateLimiter)
            }.values()
        ),
        replica_reads=replica_reads,
        health_checks={"database": database, "search": search_health},
    )


def _caches(settings: Settings) -> tuple[Cache, Cache, RateLimiter]:
    """The document cache, the cache of counters and shared state, and the rate limiter."""
    if settings.cache_backend == "memory":
        # Two caches, so that a flood of catalog documents can never evict the sign-in counters.
        return (
            MemoryCache(max_entries=settings.catalog_cache_entries),
            MemoryCache(max_entries=1_000_000),
            MemoryRateLimiter(),
        )
    from encore.adapters.redis_client import connect

    client = connect(settings.redis_url)
    # One cache: Redis evicts by its own policy (set `maxmemory-policy volatile-lru`), and
    # every key Encore writes expires.
    prefix = settings.redis_key_prefix
    cache = RedisCache(client, prefix=prefix)
    return cache, cache, RedisRateLimiter(client, prefix=prefix)


def _route_limits(settings: Settings) -> dict[RouteClass, Limit]:
    if not settings.rate_limits:
        return {}
    return {
        route_class: Limit(
            getattr(settings, f"rate_limit_{route_class}_per_s"),
            getattr(settings, f"rate_limit_{route_class}_burst"),
        )
        for route_class in ROUTE_CLASSES
    }


def _replica_reads(settings: Settings, primary: Engine) -> ReplicaReads | None:
    if settings.database_replica_url is None:
        return None
    # A short connect timeout bounds what the one request that finds the replica gone waits.
    replica = make_engine(settings.database_replica_url, connect_args={"connect_timeout": 2})
    return ReplicaReads(
        primary,
        replica,
        max_lag_s=settings.database_replica_max_lag_s,
        recheck_s=settings.database_replica_recheck_s,
    )


def _now_playing(listening: ListeningService, user_id: str) -> Record | None:
    playing = listening.now_playing(user_id=user_id)
    return None if playing is None else asdict(playing)


def _erasure_hooks(
    accounts: AccountService,
    listening: ListeningService,
    search: SearchService,
    credentials: SubsonicCredentials,
) -> list[ErasureHook]:
    """What else forgets a deleted account once its rows are gone: its tokens and cached
    entitlements (and its family's), its now-playing, its cached Subsonic credential, and the
    search index's copies of the playlists it owned."""

    def tokens(user_id: str) -> Callable[[Erasure], None]:
        members = [membership.member_id for membership in accounts.members(user_id)]
        return lambda erasure: accounts.forget_account(user_id, members)

    def now_playing(user_id: str) -> Callable[[Erasure], None]:
        return lambda erasure: listening.forget_listener(user_id)

    def playlists(user_id: str) -> Callable[[Erasure], None]:
        return lambda erasure: search.playlists_changed(
            [outcome.playlist_id for outcome in erasure.playlists]
        )

    return [tokens, now_playing, playlists, credentials.forgetting]


def secrets_of(settings: Settings) -> list[str]:
    """Every secret this process holds, as text: what log lines must never show."""
    master = (
        settings.secret_key.get_secret_value().encode()
        if settings.secret_key
        else load_or_create_secret(settings.data_dir)
    )
    held = [master.decode(errors="replace").strip(), *stream_signing_keys(settings, master)]
    for secret in (settings.s3_secret_key, settings.typesense_api_key, settings.metrics_token):
        if secret is not None:
            held.append(secret.get_secret_value())
    return held


def stream_signing_keys(settings: Settings, master: bytes | None = None) -> list[str]:
    """The texts of the keys that sign (the first) and verify (all) audio URLs; `master` is the
    secret key, read (or created) here when not given."""
    if settings.stream_signing_keys:
        return [key.get_secret_value() for key in settings.stream_signing_keys]
    if master is None:
        master = (
            settings.secret_key.get_secret_value().encode()
            if settings.secret_key
            else load_or_create_secret(settings.data_dir)
        )
    return [derive_key(master, "stream-url").hex()]


def _subsonic(
    engine: Engine,
    master: bytes,
    cache: Cache,
    accounts: AccountService,
    catalog: CatalogService,
    library: LibraryService,
    listening: ListeningService,
    search: SearchService,
    streams: StreamService,
    *,
    similar: SimilarTracks,
    now_playing_everyone: bool,
) -> tuple[Subsonic, SubsonicCredentials]:
    """The Subsonic facade over the services, and its credentials (sealed under their own key)."""
    from encore.adapters.sql.browsing import SqlBrowsing
    from encore.adapters.sql.subsonic_marks import SqlCredentialStore, SqlMarks

    credentials = SubsonicCredentials(
        store=SqlCredentialStore(engine),
        username_of=lambda user_id: accounts.get_account(user_id).user.email,
        box=SecretBox(derive_key(master, "subsonic-password")),
        cache=cache,
    )
    browsing = RememberedBrowsing(SqlBrowsing(engine))
    tracks = RememberedTracks(catalog.get_tracks)
    catalog.on_change(browsing.catalog_changed)
    catalog.on_change(tracks.catalog_changed)
    facade = Subsonic(
        accounts=accounts,
        catalog=catalog,
        library=library,
        listening=listening,
        search=search,
        streams=streams,
        browsing=browsing,
        marks=SqlMarks(engine),
        similar=similar,
        server_version=__version__,
        track_details=tracks,
        now_playing_everyone=now_playing_everyone,
    )
    return facade, credentials


def batch_runner(settings: Settings, name: str | None = None) -> BatchRunner:
    """The runner for personalization's batch runs: the settings' choice unless named."""
    if (name or settings.recommend_runner) == "local":
        return LocalRunner(settings.recommend_workers)
    from encore.adapters.compute.spark import SparkRunner

    return SparkRunner()


def _search_index(settings: Settings) -> SearchIndex:
    if settings.search_backend == "tantivy":
        from encore.adapters.search.tantivy_index import TantivySearchIndex

        return TantivySearchIndex(settings.data_dir / "search" / "tantivy")
    from encore.adapters.search.typesense_index import TypesenseSearchIndex

    if settings.typesense_api_key is None:
        raise ValueError("search_backend 'typesense' needs typesense_api_key")
    return TypesenseSearchIndex(
        settings.typesense_urls,
        api_key=settings.typesense_api_key.get_secret_value(),
        collection=settings.typesense_collection,
    )


def _event_log(settings: Settings) -> EventLog:
    if settings.event_log == "sqlite":
        return SqliteEventLog(settings.data_dir / "events.db")
    from encore.adapters.events.jetstream import JetStreamEventLog

    return JetStreamEventLog(settings.nats_url, stream=settings.nats_stream)


def media_store(settings: Settings) -> MediaStore:
    if settings.media_backend == "local":
        return LocalMediaStore(settings.data_dir / "media")
    from encore.adapters.media.s3 import S3MediaStore

    if not settings.s3_access_key or not settings.s3_secret_key:
        raise ValueError("media_backend 's3' needs s3_access_key and s3_secret_key")
    store = S3MediaStore(
        settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        region=settings.s3_region,
    )
    store.ensure_bucket()
    from encore.adapters.media.disk_cache import DiskCachedStore

    # The edge serves files, not requests to S3: objects are kept on local disk while used.
    return DiskCachedStore(
        store,
        settings.edge_cache_dir or settings.data_dir / "edge-cache",
        max_bytes=settings.edge_cache_max_bytes,
    )


class OpenOnce:
    """Opens its thing on the first call and gives the same one after (thread-safe)."""

    def __init__(self, open_: "Callable[[], TranscodeQueue]") -> None:
        self._open = open_
        self._lock = threading.Lock()
        self._opened: TranscodeQueue | None = None

    @property
    def opened(self) -> bool:
        return self._opened is not None

    def __call__(self) -> "TranscodeQueue":
        with self._lock:
            if self._opened is None:
                self._opened = self._open()
            return self._opened


def transcode_queue(settings: Settings) -> "TranscodeQueue":
    from encore.catalog.transcoding import QueuePolicy

    policy = QueuePolicy(
        max_attempts=settings.transcode_max_attempts,
        per_user=settings.transcode_max_per_user,
        total=settings.transcode_max_in_flight,
        lease_s=settings.transcode_lease_s,
        backoff_base_s=settings.transcode_retry_s,
    )
    if settings.transcode_queue == "sqlite":
        from encore.adapters.transcode.sqlite_queue import SqliteTranscodeQueue

        return SqliteTranscodeQueue(settings.data_dir / "transcode.db", policy)
    from encore.adapters.transcode.jetstream_queue import JetStreamTranscodeQueue

    return JetStreamTranscodeQueue(settings.nats_url, policy, stream=settings.transcode_stream)


def make_transcode_worker(services: Services) -> "TranscodeWorker":
    """A worker on the settings' queue and media store, encoding with ffmpeg."""
    from encore.adapters.audio.ffmpeg import FfmpegTranscoder
    from encore.catalog.transcode_worker import TranscodeWorker

    return TranscodeWorker(
        queue=services.transcode_queue(),
        transcoder=FfmpegTranscoder(),
        media=services.media,
        uow=services.uow,
        scratch_dir=services.settings.data_dir / "scratch",
        heartbeat_s=services.settings.transcode_lease_s / 3,
        on_change=services.catalog.changed,
    )


def make_importer(services: Services) -> "AudioImporter":
    """The audio importer, with tag reading, its transcode queue and, unless the settings leave
    transcoding to `encore worker transcode`, workers of its own (loaded only when importing)."""
    from encore.adapters.audio.tags import MutagenTagReader
    from encore.catalog.importer import AudioImporter

    runs_workers = services.settings.import_runs_workers
    return AudioImporter(
        uow=services.uow,
        tags=MutagenTagReader(),
        queue=services.transcode_queue(),
        media=services.media,
        worker=make_transcode_worker(services) if runs_workers else None,
        on_change=services.catalog.changed,
    )


def make_precache(services: Services) -> "PreCache":
    """Edge pre-warming: what is popular where, fetched through the edge over HTTP."""
    from encore.adapters.edge_warmer import HttpEdgeWarmer
    from encore.adapters.sql.popularity import SqlPopularity
    from encore.streaming.precache import PreCache

    return PreCache(
        popularity=SqlPopularity(services.engine),
        signer=services.url_signer,
        origins=services.origins,
        warmer=HttpEdgeWarmer(),
    )
