import os
import stat
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from encore.adapters.keyfile import load_or_create_secret
from encore.config import load_settings
from encore.keys import derive_key


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("ENCORE_"):
            monkeypatch.delenv(name)
    settings = load_settings()
    assert settings.data_dir == Path("var")
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'var' / 'encore.db'}"


def test_environment_then_toml_then_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "encore.toml").write_text('port = 9000\nsignup_open = false\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("ENCORE_DATA", str(tmp_path))
    monkeypatch.setenv("ENCORE_PORT", "9100")
    settings = load_settings()
    assert settings.port == 9100
    assert settings.signup_open is False
    assert settings.host == "0.0.0.0"
    assert load_settings(port=9200).port == 9200


def test_explicit_config_file_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENCORE_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(FileNotFoundError):
        load_settings(data_dir=tmp_path)


def test_bad_values_and_unknown_keys_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ENCORE_PORT", "eighty")
    with pytest.raises(ValidationError):
        load_settings(data_dir=tmp_path)
    monkeypatch.delenv("ENCORE_PORT")
    (tmp_path / "encore.toml").write_text("prot = 1\n")
    with pytest.raises(ValidationError):
        load_settings(data_dir=tmp_path)


def test_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path / "data")
    assert len(first) == 32
    assert load_or_create_secret(tmp_path / "data") == first
    mode = stat.S_IMODE((tmp_path / "data" / "secret.key").stat().st_mode)
    assert mode == 0o600
    assert load_or_create_secret(tmp_path / "other") != first


def test_concurrent_first_starts_agree_on_one_secret(tmp_path: Path) -> None:
    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(load_or_create_secret(tmp_path)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


def test_unusable_secret_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("short\n")
    with pytest.raises(ValueError, match="no usable secret"):
        load_or_create_secret(tmp_path)


def test_derived_keys_differ_per_purpose() -> None:
    master = b"m" * 32
    assert derive_key(master, "access-token") != derive_key(master, "signed-url")
    assert derive_key(master, "access-token") == derive_key(master, "access-token")


def test_a_replica_needs_postgresql(tmp_path: Path) -> None:
    replica = "postgresql://127.0.0.1:5433/encore"
    with pytest.raises(ValueError, match="database_url must be a postgresql:// URL"):
        load_settings(data_dir=tmp_path, database_replica_url=replica)
    with pytest.raises(ValueError, match="database_replica_url must be a postgresql:// URL"):
        load_settings(
            data_dir=tmp_path,
            database_url="postgresql://127.0.0.1/encore",
            database_replica_url="sqlite:///x.db",
        )
    settings = load_settings(
        data_dir=tmp_path,
        database_url="postgresql://127.0.0.1/encore",
        database_replica_url=replica,
    )
    assert settings.database_replica_url == replica


def test_typesense_url_lists_a_clusters_nodes(tmp_path: Path) -> None:
    one = load_settings(data_dir=tmp_path)
    assert one.typesense_urls == ["http://127.0.0.1:8108"]
    three = load_settings(data_dir=tmp_path, typesense_url="http://a:8108, http://b:8108,https://c")
    assert three.typesense_urls == ["http://a:8108", "http://b:8108", "https://c"]
    with pytest.raises(ValueError, match="'b:8108' is not an http"):
        load_settings(data_dir=tmp_path, typesense_url="http://a:8108,b:8108")
