"""mkdocs hooks (mkdocs.yml `hooks:`): the reference pages' tables are rendered from the code at
every build, where a page holds a marker `<!-- generated: NAME -->`, so they cannot go stale."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# mkdocs loads this file by path: the repository root makes `docsite` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docsite import api_reference, settings_reference

GENERATORS: dict[str, Callable[[], str]] = {
    "settings": settings_reference.render,
    "http-api": api_reference.render,
}
_rendered: dict[str, str] = {}


def marker(name: str) -> str:
    return f"<!-- generated: {name} -->"


def on_page_markdown(markdown: str, **_: Any) -> str:
    for name, generate in GENERATORS.items():
        if marker(name) in markdown:
            if name not in _rendered:
                _rendered[name] = generate()
            markdown = markdown.replace(marker(name), _rendered[name])
    return markdown
