"""Settings: `ENCORE_*` environment variables over an optional TOML file over defaults.

Built once, by `encore.bootstrap`, never at import time. The TOML file is `ENCORE_CONFIG` when set,
else `encore.toml` in the data directory when it exists.
"""

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from encore.streaming.signing import MIN_KEY_LENGTH

DEFAULT_DATA_DIR = Path("./var")
# scheme://host[:port], the host a name, an IPv4 address or a bracketed IPv6 address.
_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?/?")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENCORE_", extra="forbid", frozen=True)

    # Every setting has a description: docs/reference/configuration.md is rendered from them.
    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        alias="ENCORE_DATA",
        description="The data directory: the embedded default's whole state (database, media, "
        "search index, event log, lake, models, secret key). `--data` on the command line",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database, e.g. "
        "`postgresql://encore@db.internal/encore` (psycopg 3); default: the SQLite file "
        "`encore.db` in the data directory",
    )
    database_replica_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of a PostgreSQL streaming replica of `database_url` (made "
        "with `pg_basebackup -R`). Catalog reads (tracks, albums, artists, a full search reindex) "
        "go to it while it answers and keeps up, and to the primary otherwise; a listener's own "
        "data is always read from the primary",
    )
    database_replica_max_lag_s: float = Field(
        default=5.0,
        gt=0,
        description="Most seconds the replica may lag behind the primary before catalog reads "
        "go to the primary instead",
    )
    database_replica_recheck_s: float = Field(
        default=2.0,
        gt=0,
        description="Seconds between two probes of the replica's health and lag (in the "
        "background: requests never wait for a replica that is down)",
    )
    host: str = Field(default="127.0.0.1", description="Address `encore serve` listens on")
    port: int = Field(default=8080, ge=1, le=65535, description="Port `encore serve` listens on")

    secret_key: SecretStr | None = Field(
        default=None,
        description="Master secret that access tokens, Subsonic passwords and (unless "
        "`stream_signing_keys` is set) audio URLs are derived from; every node of a fleet needs "
        "the same. Default: generated once into `DATA/secret.key`",
    )
    signup_open: bool = Field(
        default=True,
        description="Whether anyone may create an account with `POST /api/v1/users`; "
        "`encore users add` works either way",
    )
    access_token_ttl_s: int = Field(
        default=900, ge=30, le=86_400, description="Lifetime of an access token, in seconds"
    )
    refresh_token_ttl_s: int = Field(
        default=30 * 86_400, ge=3600, description="Lifetime of a refresh token, in seconds"
    )

    max_body_bytes: int = Field(
        default=1 << 20,
        ge=1024,
        description="Largest request body accepted (413 above it); listening-event batches "
        "may be up to 8 MiB",
    )
    login_attempts_per_minute: int = Field(
        default=10,
        ge=1,
        description="Failed sign-ins allowed per minute for one account from one client address "
        "(a token bucket with this burst); 429 after. From other addresses the account stays "
        "open, only slowed down: after a few failures in a row each answer waits longer, up to "
        "`login_delay_max_s`",
    )
    login_delay_max_s: float = Field(
        default=8.0,
        ge=0,
        le=60,
        description="Longest wait before answering a sign-in to an account that keeps failing "
        "(the wait doubles from 0.25 s after the third failure in 15 minutes); 0: no wait",
    )
    rate_limits: bool = Field(
        default=True,
        description="Limit requests per listener (per client address when signed out) on "
        "sign-in, search, stream URLs and listening events, the Subsonic API's included: 429 "
        "with `Retry-After` over a limit. Each limit is a token bucket: a rate per second "
        "and a burst",
    )
    rate_limit_login_per_s: float = Field(
        default=0.2, gt=0, description="Sign-in attempts a second per client address (`login`)"
    )
    rate_limit_login_burst: int = Field(
        default=20, ge=1, description="Sign-in attempts in a burst per client address"
    )
    rate_limit_search_per_s: float = Field(
        default=5.0, gt=0, description="Searches a second per listener (`search`, `suggest`)"
    )
    rate_limit_search_burst: int = Field(
        default=60, ge=1, description="Searches in a burst per listener (typing as you search)"
    )
    rate_limit_stream_per_s: float = Field(
        default=5.0, gt=0, description="Stream URLs a second per listener"
    )
    rate_limit_stream_burst: int = Field(
        default=100, ge=1, description="Stream URLs in a burst per listener (a queue fetched ahead)"
    )
    rate_limit_events_per_s: float = Field(
        default=2.0,
        gt=0,
        description="Listening-event batches (and scrobbles) a second per listener",
    )
    rate_limit_events_burst: int = Field(
        default=60, ge=1, description="Listening-event batches in a burst per listener"
    )
    catalog_cache_ttl_s: float = Field(
        default=60.0,
        ge=0,
        description="How long a rendered catalog document (track, album, artist) is served from "
        "the cache; at most half of `stream_url_ttl_s`",
    )
    catalog_cache_entries: int = Field(
        default=100_000, ge=0, description="Most catalog documents kept in the in-process cache"
    )
    cache_backend: Literal["memory", "redis"] = Field(
        default="memory",
        description="Where the cache and the rate limits live: `memory` (this process) or "
        "`redis` (`redis_url`; shared by every API node of a fleet, `pip install -e '.[redis]'`). "
        "While Redis is unreachable reads miss, writes are dropped and limits let requests "
        "through; it is used again as soon as it answers",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description='Redis\'s URL (with `cache_backend = "redis"`)',
    )
    redis_key_prefix: str = Field(
        default="encore:",
        max_length=100,
        description="Prefix of every key Encore writes in Redis, so that several deployments "
        "can share one server",
    )
    access_log: bool = Field(default=False, description="Log every HTTP request (uvicorn's log)")

    media_backend: Literal["local", "s3"] = Field(
        default="local",
        description="Where audio and cover art live: `local` (`DATA/media`) or `s3` (any S3 API)",
    )
    s3_bucket: str = Field(default="encore-media", description="Bucket of the `s3` media backend")
    s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint of the S3 API; default: AWS's for `s3_region`"
    )
    s3_access_key: str | None = Field(
        default=None, description='S3 access key (required with `media_backend = "s3"`)'
    )
    s3_secret_key: SecretStr | None = Field(
        default=None, description='S3 secret key (required with `media_backend = "s3"`)'
    )
    s3_region: str = Field(default="us-east-1", description="S3 region")
    search_backend: Literal["tantivy", "typesense"] = Field(
        default="tantivy",
        description="Search engine: `tantivy` (embedded, index in `DATA/search`) or `typesense` "
        "(a Typesense cluster; run `encore search reindex` after switching)",
    )
    typesense_url: str = Field(
        default="http://127.0.0.1:8108",
        description="Typesense's URL, or the URLs of every node of a Typesense cluster, "
        "comma-separated (searches and writes fail over from a node that is down to the next)",
    )
    typesense_api_key: SecretStr | None = Field(
        default=None,
        description='Typesense\'s API key (required with `search_backend = "typesense"`)',
    )
    typesense_collection: str = Field(
        default="encore", description="Typesense collection holding Encore's documents"
    )
    cdn_origins: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Edge origins stream URLs point at, by region (`us`, `eu`, `asia`), in "
        'order of preference, as JSON: `{"eu": ["https://eu1.cdn.example"]}`; empty: '
        "the API's own address (its `/audio` route is an edge)",
    )
    cdn_health_path: str = Field(
        default="/healthz", description="Path probed on each edge origin to mark it up or down"
    )
    cdn_health_interval_s: float = Field(
        default=10.0, gt=0, description="Seconds between two probes of the edge origins"
    )

    # ENCORE_STREAM_SIGNING_KEYS takes a comma-separated list (as nginx's ENCORE_STREAM_KEYS).
    stream_signing_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Keys that sign audio URLs, comma-separated, 32 characters or more each. "
        "The first signs, every key verifies: to rotate, put a new key first and drop the old "
        "one a TTL later. Empty: one key derived from `secret_key`",
    )
    stream_url_ttl_s: int = Field(
        default=3600, ge=60, le=7 * 86_400, description="Seconds a signed audio URL stays valid"
    )
    edge_cache_dir: Path | None = Field(
        default=None,
        description="The audio edge's disk cache in front of a remote (S3) media store; "
        "default: `DATA/edge-cache`",
    )
    edge_cache_max_bytes: int = Field(
        default=20 * 1024**3,
        ge=1024**2,
        description="Size cap of the edge's disk cache (least recently used out first)",
    )
    event_log: Literal["sqlite", "nats"] = Field(
        default="sqlite",
        description="The listening event log: `sqlite` (`DATA/events.db`) or `nats` "
        "(a NATS JetStream stream)",
    )
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="NATS server URL")
    nats_stream: str = Field(
        default="ENCORE",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="JetStream stream holding the event log",
    )
    transcode_queue: Literal["sqlite", "nats"] = Field(
        default="sqlite",
        description="The transcode work queue: `sqlite` (`DATA/transcode.db`, workers on this "
        "machine) or `nats` (a JetStream work-queue stream, workers anywhere)",
    )
    transcode_stream: str = Field(
        default="ENCORE_TRANSCODE",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="JetStream stream of the `nats` transcode queue (its buckets take the name "
        "plus `_SLOTS` and `_DEAD`)",
    )
    transcode_max_in_flight: int = Field(
        default=64,
        ge=1,
        le=100_000,
        description="Transcode jobs running at once in the whole fleet (JetStream's "
        "`max_ack_pending`); each worker process also runs at most its `--concurrency`",
    )
    transcode_max_per_user: int = Field(
        default=8,
        ge=1,
        le=10_000,
        description="Transcode jobs of one submitting account running at once, fleet-wide; its "
        "other jobs wait while other accounts' jobs run (`encore import` submits as `operator`)",
    )
    transcode_max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Attempts at a transcode job before it is dead-lettered with its error",
    )
    transcode_lease_s: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="A job whose worker sent no heartbeat for this long (it was killed) is "
        "given to another worker; workers heartbeat every third of it",
    )
    transcode_retry_s: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description="Wait before retrying a failed transcode job, doubled at each further attempt",
    )
    import_runs_workers: bool = Field(
        default=True,
        description="`encore import` transcodes its own jobs in process (`--jobs` workers); "
        "false: it queues them and waits for `encore worker transcode` processes",
    )
    run_consumers: bool = Field(
        default=True,
        description="Run the event log's consumers (history, counts, lake) inside "
        "`encore serve`; false: run them with `encore consume` in processes of their own",
    )
    subsonic_password_auth: bool = Field(
        default=True,
        description="Let Subsonic clients sign in with a password (`p`) or token (`t` + `s`) as "
        "well as an OpenSubsonic API key; false leaves API keys alone (errors 41 and 42)",
    )
    subsonic_now_playing: Literal["everyone", "own"] = Field(
        default="everyone",
        description="What Subsonic's `getNowPlaying` shows: what the server's listeners play "
        "(by display name), or `own`: each listener only their own",
    )
    recommend_check_s: float = Field(
        default=3600.0,
        ge=0,
        description="How often `encore serve` looks for listeners whose Monday (or, for Daily "
        "Mix, midnight) has come and makes their playlists; 0 turns the scheduler off",
    )
    recommend_runner: Literal["local", "spark"] = Field(
        default="local",
        description="Where personalization's batch runs: `local` (a process pool) or `spark` "
        "(`pip install -e '.[spark]'` and a Java runtime)",
    )
    recommend_workers: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Worker processes of the local runner; default: one per core",
    )

    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins (`https://player.example`) whose pages may call the API from a "
        'browser (CORS), as JSON: `["https://player.example"]`. Empty: none, which the web '
        "player served by Encore itself does not need. Never a wildcard; no cookies or "
        "credentials are ever allowed",
    )
    hsts_max_age_s: int = Field(
        default=31_536_000,
        ge=0,
        description="`Strict-Transport-Security` max-age on answers served over https (TLS, or "
        "`X-Forwarded-Proto: https` from a proxy uvicorn trusts); 0 sends none",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token Prometheus sends to scrape `/metrics` from anywhere. Unset: "
        "`/metrics` answers clients on the loopback interface only (403 to others)",
    )

    @field_validator("stream_signing_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @field_validator("stream_signing_keys")
    @classmethod
    def _check_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for key in keys:
            text = key.get_secret_value()
            if (
                len(text) < MIN_KEY_LENGTH
                or "," in text
                or text != text.strip()
                or not text.isprintable()
            ):
                raise ValueError(
                    f"each stream signing key needs {MIN_KEY_LENGTH} or more printable characters, "
                    "no commas and no surrounding spaces"
                )
        return keys

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if _ORIGIN.fullmatch(origin) is None:
                raise ValueError(
                    f"{origin!r} is not an origin: scheme://host[:port], no path, no wildcard"
                )
        return [origin.rstrip("/") for origin in origins]

    @model_validator(mode="after")
    def _documents_outlived_by_their_urls(self) -> "Settings":
        # Cached catalog documents carry signed preview URLs: they must expire well before those.
        if self.catalog_cache_ttl_s * 2 > self.stream_url_ttl_s:
            raise ValueError("catalog_cache_ttl_s must be at most half of stream_url_ttl_s")
        return self

    @field_validator("typesense_url")
    @classmethod
    def _check_typesense_urls(cls, value: str) -> str:
        for url in value.split(","):
            if not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"typesense_url: {url.strip()!r} is not an http(s) URL")
        return value

    @property
    def typesense_urls(self) -> list[str]:
        return [url.strip() for url in self.typesense_url.split(",")]

    @model_validator(mode="after")
    def _replica_of_postgres(self) -> "Settings":
        if self.database_replica_url is None:
            return self
        for name, url in (
            ("database_url", self.database_url or ""),
            ("database_replica_url", self.database_replica_url),
        ):
            if not url.startswith("postgresql"):
                raise ValueError(
                    f"database_replica_url needs PostgreSQL: {name} must be a postgresql:// URL"
                )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'encore.db').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _toml_file(init_settings(), env_settings())
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def _toml_file(init: dict[str, Any], env: dict[str, Any]) -> Path | None:
    import os

    explicit = os.environ.get("ENCORE_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"ENCORE_CONFIG points at {path}, which is not a file")
        return path
    data_dir = Path(
        init.get("ENCORE_DATA")
        or init.get("data_dir")
        or env.get("ENCORE_DATA")
        or DEFAULT_DATA_DIR
    )
    candidate = data_dir / "encore.toml"
    return candidate if candidate.is_file() else None


def load_settings(**overrides: Any) -> Settings:
    """Settings for this process; `overrides` (from CLI flags) win over everything else."""
    given = {key: value for key, value in overrides.items() if value is not None}
    if "data_dir" in given:
        given["ENCORE_DATA"] = Path(given.pop("data_dir"))
    return Settings(**given)
