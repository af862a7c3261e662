"""`encore recommend run`, as an operator runs it."""

from pathlib import Path

from typer.testing import CliRunner

from encore.cli import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_a_run_on_an_empty_instance_reports_popularity(tmp_path: Path) -> None:
    data = str(tmp_path)
    code, output = _run(
        "users", "add", "ada@example.com", "--password", "correct horse", "--data", data
    )
    assert code == 0, output
    code, output = _run("recommend", "run", "--data", data)
    assert code == 0, output
    assert "for 1 listeners" in output
    assert "model none: popularity" in output
    # Due only: this week's and today's playlists are there now, but they are popularity ones,
    # which a run always tries to better.
    code, output = _run("recommend", "run", "--due-only", "--kind", "daily_mix", "--data", data)
    assert code == 0, output


def test_bad_options_are_refused_before_anything_runs(tmp_path: Path) -> None:
    code, output = _run("recommend", "run", "--runner", "hadoop", "--data", str(tmp_path))
    assert code == 2
    assert "runner" in output
    code, output = _run("recommend", "run", "--kind", "weekly", "--data", str(tmp_path))
    assert code == 2
    assert "unknown kind" in output
