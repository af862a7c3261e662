"""Settings of signed URLs and the edge cache."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from encore.bootstrap import stream_signing_keys
from encore.config import load_settings
from encore.keys import derive_key

ONE = "a" * 32
TWO = "b" * 48


def keys_of(tmp_path: Path, **settings: object) -> list[str]:
    return stream_signing_keys(load_settings(data_dir=tmp_path, **settings))


@pytest.mark.parametrize(
    "value", [f"{ONE},{TWO}", f" {ONE} , {TWO} ,", f'["{ONE}", "{TWO}"]', [ONE, TWO]]
)
def test_keys_as_a_list_or_comma_separated(tmp_path: Path, value: object) -> None:
    assert keys_of(tmp_path, stream_signing_keys=value) == [ONE, TWO]


def test_keys_from_the_environment_and_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENCORE_STREAM_SIGNING_KEYS", f"{TWO},{ONE}")
    assert keys_of(tmp_path) == [TWO, ONE]
    monkeypatch.delenv("ENCORE_STREAM_SIGNING_KEYS")
    (tmp_path / "encore.toml").write_text(f'stream_signing_keys = ["{ONE}"]\n')
    assert keys_of(tmp_path) == [ONE]


def test_without_keys_one_is_derived_from_the_secret(tmp_path: Path) -> None:
    assert keys_of(tmp_path, secret_key="s" * 40) == [derive_key(b"s" * 40, "stream-url").hex()]
    generated = keys_of(tmp_path)  # the secret is generated into the data directory
    assert generated == keys_of(tmp_path)
    assert len(generated[0]) == 64


@pytest.mark.parametrize("value", ["short", f"{ONE},short", f"{ONE}, ,x", f'["{ONE}, x"]', "[oops"])
def test_weak_or_malformed_keys_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises((ValidationError, ValueError)):
        load_settings(data_dir=tmp_path, stream_signing_keys=value)


def test_edge_defaults(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.stream_url_ttl_s == 3600
    assert settings.edge_cache_dir is None
    assert settings.edge_cache_max_bytes > 1024**3
    with pytest.raises(ValidationError):
        load_settings(data_dir=tmp_path, stream_url_ttl_s=0)
