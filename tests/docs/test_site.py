"""The documentation site builds with --strict, offline, and its reference pages are the code's."""

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from docsite import api_reference

from encore.config import Settings
from tests.docs.sandbox import ROOT

MKDOCS = Path(sys.executable).parent / "mkdocs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return out


def _text(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


@pytest.mark.docs
@pytest.mark.slow
def test_the_configuration_page_lists_every_setting(site: Path) -> None:
    text = _text(site / "reference" / "configuration.html")
    for name, field in Settings.model_fields.items():
        variable = field.alias or f"ENCORE_{name.upper()}"
        assert variable in text, variable
        assert " ".join((field.description or "").replace("`", "").split()[:4]) in text, name


@pytest.mark.docs
@pytest.mark.slow
def test_the_http_api_page_lists_every_operation(site: Path) -> None:
    text = _text(site / "reference" / "http-api.html")
    document = api_reference.openapi_document()
    for path, item in document["paths"].items():
        for method in api_reference.METHODS:
            if method in item:
                assert f"{method.upper()} {path}" in text, (method, path)
    for schema in document["components"]["schemas"]:
        assert schema in text, schema


@pytest.mark.docs
@pytest.mark.slow
def test_nothing_is_fetched_from_elsewhere(site: Path) -> None:
    for page in site.rglob("*.html"):
        found = re.findall(
            r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', page.read_text()
        )
        assert found == [], (page, found)


@pytest.mark.docs
@pytest.mark.slow
def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [the missing page](missing.md).\n")
    (tmp_path / "mkdocs.yml").write_text(
        (ROOT / "mkdocs.yml")
        .read_text()
        .split("\nnav:")[0]
        .replace("docsite/hooks.py", str(ROOT / "docsite" / "hooks.py"))
    )
    built = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert built.returncode != 0
    assert "missing.md" in built.stderr
