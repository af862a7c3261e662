"""`encore backup`, `encore restore` and `encore backup check` on bad input and faults: each is
refused with a clear error and a non-zero exit, and nothing stored is changed."""

import hashlib
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

from encore.adapters.backup.archive import ArchiveWriter
from encore.adapters.sql import migrate
from encore.adapters.sql.engine import make_engine
from encore.backup.manifest import Manifest
from encore.cli import app
from tests.e2e.backup_fixture import AUDIO, Api, Seeded, seed
from tests.e2e.running import running_encore

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def _tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` by relative path, with its SHA-256."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def instance(tmp_path: Path) -> tuple[Path, Seeded]:
    data = tmp_path / "instance"
    return data, seed(data, tracks=5)


@pytest.fixture
def backup(instance: tuple[Path, Seeded], tmp_path: Path) -> Path:
    archive = tmp_path / "encore.backup"
    code, output = _run("backup", "--data", str(instance[0]), "--to", str(archive))
    assert code == 0, output
    return archive


def _refused(archive: Path, target: Path, message: str, *extra: str) -> None:
    before = _tree(target) if target.exists() else None
    code, output = _run("restore", str(archive), "--data", str(target), *extra)
    assert code == 1, output
    assert message in " ".join(output.split()), output
    assert (_tree(target) if target.exists() else None) == before
    leftovers = [p.name for p in target.parent.iterdir() if ".restore-" in p.name]
    assert not leftovers


def test_backup_restore_and_check_round_trip(backup: Path, tmp_path: Path) -> None:
    restored = tmp_path / "restored"
    code, output = _run("restore", str(backup), "--data", str(restored))
    assert code == 0, output
    assert "not in" in output  # media by reference: listed, not copied
    assert (restored / "secret.key").stat().st_mode & 0o777 == 0o600
    code, output = _run("backup", "check", "--data", str(restored), "--against", str(backup))
    assert code == 1 and "missing" in output and "Check failed" in output
    assert " ".join(output.split()).count("│ users │ 1 │") == 1


def test_a_truncated_backup_is_refused(backup: Path, tmp_path: Path) -> None:
    with tarfile.open(backup) as tar:
        manifest = tar.getmember("manifest.json")
    # Cut anywhere up to the manifest's last byte (what follows it is the tar's zero padding).
    end = manifest.offset_data + manifest.size
    for length in (0, 100, 512 * 3, end // 2, manifest.offset, end - 1):
        cut = tmp_path / f"cut-{length}.backup"
        cut.write_bytes(backup.read_bytes()[:length])
        _refused(cut, tmp_path / "target", "Not a usable Encore backup")


def test_foreign_files_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a backup at all\n" * 100)
    _refused(text, tmp_path / "target", "is not an intact Encore backup")
    foreign = tmp_path / "other.tar"
    with tarfile.open(foreign, "w") as tar:
        tar.add(text, arcname="notes.txt")
    _refused(foreign, tmp_path / "target", "is not an Encore backup")
    _refused(tmp_path / "absent.backup", tmp_path / "target", "does not exist")


def test_a_damaged_member_fails_its_checksum(backup: Path, tmp_path: Path) -> None:
    with tarfile.open(backup) as tar:
        database = tar.getmember("data/encore.db")
    damaged = tmp_path / "damaged.backup"
    content = bytearray(backup.read_bytes())
    content[database.offset_data + 5000] ^= 0xFF
    damaged.write_bytes(bytes(content))
    _refused(damaged, tmp_path / "target", "encore.db in")
    _refused(damaged, tmp_path / "target", "fails its checksum")


def test_a_damaged_manifest_is_refused(backup: Path, tmp_path: Path) -> None:
    with tarfile.open(backup) as tar:
        manifest = tar.getmember("manifest.json")
    damaged = tmp_path / "damaged.backup"
    content = bytearray(backup.read_bytes())
    content[manifest.offset_data + 1] = ord("#")
    damaged.write_bytes(bytes(content))
    _refused(damaged, tmp_path / "target", "the manifest is damaged")


def test_a_non_empty_data_directory_needs_force(
    backup: Path, instance: tuple[Path, Seeded], tmp_path: Path
) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "encore.db").write_bytes(b"someone else's data")
    _refused(backup, occupied, "is not empty")
    code, output = _run("restore", str(backup), "--data", str(occupied), "--force")
    assert code == 0, output
    assert _tree(occupied)["encore.db"] != hashlib.sha256(b"someone else's data").hexdigest()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_force_keeps_the_old_data_when_the_restore_fails_midway(
    backup: Path, instance: tuple[Path, Seeded], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("the old instance")
    from encore.adapters.backup import restore

    def no_space(staging: Path, data_dir: Path, *, keep_media: bool) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(restore, "_swap", no_space)
    with pytest.raises(OSError, match="No space"):
        restore.restore(backup, occupied, force=True)
    assert _tree(occupied) == {"keep.txt": hashlib.sha256(b"the old instance").hexdigest()}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_data_directory_that_does_not_exist(tmp_path: Path) -> None:
    archive = tmp_path / "encore.backup"
    code, output = _run("backup", "--data", str(tmp_path / "nowhere"), "--to", str(archive))
    assert code == 1
    assert "does not exist" in output
    assert not archive.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = _run("backup", "--data", str(empty), "--to", str(archive))
    assert code == 1 and "holds no Encore database" in output
    assert list(empty.iterdir()) == [] and not archive.exists()
    code, output = _run("backup", "check", "--data", str(tmp_path / "nowhere"))
    assert code == 1 and "holds no Encore database" in output


def test_restore_into_a_directory_that_does_not_exist_creates_it(
    backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "new" / "place"
    code, output = _run("restore", str(backup), "--data", str(target))
    assert code == 0, output
    assert (target / "encore.db").is_file()


@pytest.mark.slow
def test_a_backup_killed_halfway_leaves_no_file_and_the_data_untouched(
    instance: tuple[Path, Seeded], tmp_path: Path
) -> None:
    data = instance[0]
    for n in range(40):  # enough media that the copy takes a while
        media = data / "media" / "audio" / "zz" / f"{n:02d}.ogg"
        media.parent.mkdir(parents=True, exist_ok=True)
        media.write_bytes(os.urandom(4 * 1024 * 1024))
    before = _tree(data)
    target = tmp_path / "out"
    target.mkdir()
    command = ["backup", "--with-media", "--data", str(data), "--to", str(target / "encore.backup")]
    process = subprocess.Popen(
        [sys.executable, "-m", "encore", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size > 8 * 1024 * 1024 for p in target.glob(".*.partial")):
        assert process.poll() is None, "the backup ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (target / "encore.backup").exists()
    assert all(p.name.startswith(".") for p in target.iterdir())
    assert _tree(data) == before
    # What a killed backup leaves behind is no backup.
    (partial,) = target.glob(".*.partial")
    _refused(partial, tmp_path / "target", "Not a usable Encore backup")


@pytest.mark.slow
def test_with_media_a_restored_track_streams_the_same_bytes(
    instance: tuple[Path, Seeded], tmp_path: Path
) -> None:
    data, seeded = instance
    archive, restored = tmp_path / "full.backup", tmp_path / "restored"
    code, output = _run("backup", "--with-media", "--data", str(data), "--to", str(archive))
    assert code == 0, output
    code, output = _run("restore", str(archive), "--data", str(restored))
    assert code == 0, output
    code, output = _run("backup", "check", "--data", str(restored), "--against", str(archive))
    assert code == 0 and "1 of 1 sampled files match" in output, output
    code, output = _run("backup", "check", "--data", str(restored))  # sampled from renditions
    assert code == 0 and "1 of 1 sampled files match" in output, output
    with running_encore(restored, timeout_s=90) as server:
        api = Api(server.port)
        try:
            status, body = api.json(
                "GET", f"/api/v1/tracks/{seeded.streamable}/stream?quality=normal"
            )
            assert status == 200, body
        finally:
            api.close()
        url = httpx.Response(200, content=body).json()["stream_url"]
        audio = httpx.get(url, timeout=30)
    assert audio.status_code == 200
    assert hashlib.sha256(audio.content).hexdigest() == hashlib.sha256(AUDIO).hexdigest()


def test_a_backup_of_an_older_schema_is_migrated(tmp_path: Path) -> None:
    data = tmp_path / "old"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'encore.db'}")
    migrate.upgrade(engine, "0005")
    engine.dispose()
    archive = tmp_path / "old.backup"
    code, output = _run("backup", "--data", str(data), "--to", str(archive))
    assert code == 0, output
    code, output = _run("restore", str(archive), "--data", str(tmp_path / "restored"))
    assert code == 0, output
    assert "Migrated the schema from 0005" in output
    code, output = _run("backup", "check", "--data", str(tmp_path / "restored"))
    assert code == 0 and f"Schema revision {migrate.HEAD}" in output, output


def test_a_backup_from_a_newer_encore_is_refused(backup: Path, tmp_path: Path) -> None:
    from encore.adapters.backup.archive import verify

    manifest = verify(backup)
    newer = tmp_path / "newer.backup"
    with ArchiveWriter(newer) as archive:
        archive.commit(
            Manifest(
                encore_version="9.0",
                schema_revision="0999",
                created_at=manifest.created_at,
                entries=(),
                media=(),
                media_included=False,
            )
        )
    _refused(newer, tmp_path / "target", "is newer than this Encore's")


def test_a_postgresql_instance_is_pointed_to_its_own_tools(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["backup", "--data", str(tmp_path), "--to", str(tmp_path / "x.backup")],
        env={"COLUMNS": "200", "ENCORE_DATABASE_URL": "postgresql://encore@db.invalid/encore"},
    )
    assert result.exit_code == 2
    assert "pg_dump" in result.output
    assert list(tmp_path.iterdir()) == []
