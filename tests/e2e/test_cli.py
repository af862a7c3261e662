"""The `encore` command line, run as a user would."""

from pathlib import Path

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

from encore.adapters.sql.migrate import HEAD
from encore.cli import app
from tests.e2e.running import free_port, running_encore

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_users_add_and_list(tmp_path: Path) -> None:
    data = str(tmp_path)
    code, output = _run(
        "users",
        "add",
        "ada@example.com",
        "--password",
        "correct horse",
        "--plan",
        "premium",
        "--country",
        "SE",
        "--data",
        data,
    )
    assert code == 0, output
    assert "ada@example.com (premium)" in output
    code, output = _run("users", "list", "--data", data)
    assert code == 0
    assert "ada@example.com" in output and "premium" in output and "SE" in output


def test_instances_in_separate_data_directories(tmp_path: Path) -> None:
    _run(
        "users",
        "add",
        "ada@example.com",
        "--password",
        "correct horse",
        "--data",
        str(tmp_path / "a"),
    )
    code, output = _run("users", "list", "--data", str(tmp_path / "b"))
    assert code == 0
    assert "ada@example.com" not in output


def test_data_directory_from_the_environment(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["users", "add", "env@example.com", "--password", "correct horse"],
        env={"ENCORE_DATA": str(tmp_path), "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "encore.db").exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["users", "add", "ada@example.com", "--password", "correct horse", "--plan", "gold"],
            2,
            "gold",
        ),
        (["users", "add", "ada@example.com", "--password", "short"], 1, "password"),
        (["users", "add", "not-an-email", "--password", "correct horse"], 1, "email"),
        (
            ["users", "add", "ada@example.com", "--password", "correct horse", "--country", "XX"],
            1,
            "country",
        ),
        (["users", "list", "--limit", "0"], 2, "limit"),
        (["serve", "--port", "70000"], 2, "port"),
        (["no-such-command"], 2, "No such command"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_message(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    exit_code, output = (
        _run(*args, "--data", str(tmp_path)) if args[0] != "no-such-command" else _run(*args)
    )
    assert exit_code == code, output
    assert message.lower() in output.lower()


def test_duplicate_user_exits_one(tmp_path: Path) -> None:
    args = [
        "users",
        "add",
        "ada@example.com",
        "--password",
        "correct horse",
        "--data",
        str(tmp_path),
    ]
    assert _run(*args)[0] == 0
    code, output = _run(*args)
    assert code == 1
    assert "exists already" in output


def test_migrate_reports_the_revision(tmp_path: Path) -> None:
    code, output = _run("migrate", "--data", str(tmp_path))
    assert code == 0
    assert f"revision {HEAD}" in output


@pytest.mark.slow
def test_serve_answers_healthz_on_a_fresh_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    with running_encore(data) as server:
        response = httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert (data / "secret.key").exists()
        assert (data / "encore.db").exists()
    # Uvicorn shuts down cleanly, then re-raises the signal it got.
    assert server.returncode in (0, -15), server.output
    assert b"Application shutdown complete" in server.output


def test_import_of_nothing_usable_exits_non_zero_with_reasons(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    (music / "junk.mp3").write_bytes(b"this is no audio at all" * 10)
    (music / "empty.flac").write_bytes(b"")
    code, output = _run(
        "import", str(music), str(tmp_path / "missing"), "--data", str(tmp_path / "d")
    )
    assert code == 1
    assert "junk.mp3" in output and "empty.flac" in output
    assert "no such file or directory" in output
    assert "Nothing could be imported" in output


def test_import_needs_a_path(tmp_path: Path) -> None:
    code, output = _run("import", "--data", str(tmp_path))
    assert code == 2
    assert "missing argument" in output.lower()


def test_wrapped_and_consume_commands(tmp_path: Path) -> None:
    data = str(tmp_path)
    code, output = _run("wrapped", "--year", "2026", "--data", data)
    assert code == 0, output
    assert "Wrapped 2026: 0 listeners" in output
    code, output = _run("wrapped", "--year", "1990", "--data", data)
    assert code != 0
    code, output = _run("consume", "--consumer", "nonsense", "--data", data)
    assert code == 2
    assert "Unknown consumers: nonsense" in output


def test_import_with_the_transcode_queue_unreachable_says_so(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    (music / "song.flac").write_bytes(b"fLaC not really")
    result = runner.invoke(
        app,
        ["import", str(music), "--data", str(tmp_path / "data")],
        env={
            "COLUMNS": "200",
            "ENCORE_TRANSCODE_QUEUE": "nats",
            "ENCORE_NATS_URL": f"nats://127.0.0.1:{free_port()}",
        },
    )
    assert result.exit_code == 1
    assert "The transcode queue is unavailable: cannot reach NATS" in result.output
    assert "run the same import again once the queue is back" in result.output
