"""Settings: `ENCORE_*` environment variables over an optional TOML file over defaults.

Built once, by `encore.bootstrap`, never at import time. The TOML file is `ENCORE_CONFIG` when set,
else `encore.toml` in the data directory when it exists.
"""

import json
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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENCORE_", extra="forbid", frozen=True)

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, alias="ENCORE_DATA")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data directory"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)

    secret_key: SecretStr | None = Field(
        default=None, description="Signing secret; default: generated once into the data directory"
    )
    signup_open: bool = True
    access_token_ttl_s: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_s: int = Field(default=30 * 86_400, ge=3600)

    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    login_attempts_per_minute: int = Field(default=10, ge=1)
    catalog_cache_ttl_s: float = Field(default=60.0, ge=0)
    catalog_cache_entries: int = Field(default=100_000, ge=0)
    access_log: bool = False

    # Where audio and cover art live: a directory under the data directory, or any S3 API.
    media_backend: Literal["local", "s3"] = "local"
    s3_bucket: str = "encore-media"
    s3_endpoint_url: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    # Search: Tantivy in <data>/search (embedded), or a Typesense cluster.
    search_backend: Literal["tantivy", "typesense"] = "tantivy"
    typesense_url: str = "http://127.0.0.1:8108"
    typesense_api_key: SecretStr | None = None
    typesense_collection: str = "encore"
    # Edge origins stream URLs point at, by region ('us', 'eu', 'asia'), in order of preference;
    # empty: the API's own address (its /audio route is an edge).
    cdn_origins: dict[str, list[str]] = Field(default_factory=dict)
    cdn_health_path: str = "/healthz"
    cdn_health_interval_s: float = Field(default=10.0, gt=0)

    # Signed audio URLs. The first key signs, every key verifies: to rotate, put a new key first,
    # and drop the last one a TTL later. Empty: one key derived from the secret key.
    # ENCORE_STREAM_SIGNING_KEYS takes a comma-separated list (as nginx's ENCORE_STREAM_KEYS).
    stream_signing_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    stream_url_ttl_s: int = Field(default=3600, ge=60, le=7 * 86_400)
    # The edge's disk cache in front of a remote media store (default: DATA/edge-cache).
    edge_cache_dir: Path | None = None
    edge_cache_max_bytes: int = Field(default=20 * 1024**3, ge=1024**2)
    # The event log: a SQLite file in the data directory, or a NATS JetStream stream.
    event_log: Literal["sqlite", "nats"] = "sqlite"
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = Field(default="ENCORE", pattern=r"^[A-Za-z0-9_-]+$")
    # The log's consumers (history, counts, lake) run inside `encore serve`; false: they run in
    # `encore consume` processes of their own.
    run_consumers: bool = True
    # Subsonic clients may sign in with a password (`p`) or a token (`t` + `s`) as well as an
    # OpenSubsonic API key; false leaves API keys alone (errors 41 and 42 for the others).
    subsonic_password_auth: bool = True
    # Subsonic's getNowPlaying shows what the server's listeners play (by display name), as
    # other Subsonic servers do; "own" shows each listener only their own.
    subsonic_now_playing: Literal["everyone", "own"] = "everyone"
    # Personalization's batch runs inside `encore serve`: how often it looks for listeners
    # whose Monday (or, for Daily Mix, midnight) has come; 0 turns the scheduler off.
    recommend_check_s: float = Field(default=3600.0, ge=0)
    recommend_runner: Literal["local", "spark"] = "local"
    # Worker processes of the local runner (default: one per core).
    recommend_workers: int | None = Field(default=None, ge=1, le=256)

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

    @model_validator(mode="after")
    def _documents_outlived_by_their_urls(self) -> "Settings":
        # Cached catalog documents carry signed preview URLs: they must expire well before those.
        if self.catalog_cache_ttl_s * 2 > self.stream_url_ttl_s:
            raise ValueError("catalog_cache_ttl_s must be at most half of stream_url_ttl_s")
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
