"""`encore users export` and `encore users delete`, run as an operator would."""

import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from encore.cli import app

runner = CliRunner()


def run(*args: str, given: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=given, env={"COLUMNS": "200"})
    return result.exit_code, result.output


def add(data: Path, email: str) -> None:
    code, output = run("users", "add", email, "--password", "correct horse", "--data", str(data))
    assert code == 0, output


def test_an_operator_exports_a_listener(tmp_path: Path) -> None:
    add(tmp_path, "ada@example.com")
    target = tmp_path / "ada.zip"
    code, output = run(
        "users", "export", "ADA@example.com", "--to", str(target), "--data", str(tmp_path)
    )
    assert code == 0, output
    assert "Exported ADA@example.com" in output
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        assert json.loads(archive.read("profile.json"))["email"] == "ada@example.com"
        assert archive.read("history.csv").decode().startswith("listened_at,track_id")
    assert not (tmp_path / "ada.zip.partial").exists()


def test_an_unknown_email_is_a_clear_error(tmp_path: Path) -> None:
    add(tmp_path, "ada@example.com")
    for command in (("delete", "--yes"), ("export", "--to", str(tmp_path / "x.zip"))):
        code, output = run(
            "users", command[0], "nobody@example.com", *command[1:], "--data", str(tmp_path)
        )
        assert code == 1
        assert "No account has the email 'nobody@example.com'" in output
    assert not (tmp_path / "x.zip").exists()


def test_an_operator_deletes_a_listener(tmp_path: Path) -> None:
    add(tmp_path, "ada@example.com")
    add(tmp_path, "bob@example.com")
    # Asked first; a no deletes nothing.
    code, output = run("users", "delete", "ada@example.com", "--data", str(tmp_path), given="n\n")
    assert code == 1 and "Nothing deleted" in output
    assert "ada@example.com" in run("users", "list", "--data", str(tmp_path))[1]
    code, output = run("users", "delete", "ada@example.com", "--data", str(tmp_path), given="y\n")
    assert code == 0, output
    assert "Deleted ada@example.com" in output and "0 playlists deleted" in output
    listed = run("users", "list", "--data", str(tmp_path))[1]
    assert "ada@example.com" not in listed and "bob@example.com" in listed
    # Twice: the account is not there any more.
    code, output = run("users", "delete", "ada@example.com", "--yes", "--data", str(tmp_path))
    assert code == 1 and "No account has the email" in output
    code, output = run("users", "forget", "--data", str(tmp_path))
    assert code == 0 and "0 deleted listeners forgotten" in output
