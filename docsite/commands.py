"""The shell commands a page of the documentation shows, as `tests/docs` runs them.

A ```console block holds commands after `$ ` prompts (a line ending in a backslash goes on to
the next) and, between them, what they print; a ```sh, ```bash or ```shell block is one script.
A block right after `<!-- not-run: REASON -->` is not run, and says why.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SHELL_LANGUAGES = frozenset({"console", "sh", "bash", "shell", "zsh"})
PROMPT = "$ "
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(?P<reason>.*?)\s*-->\s*$")
# Commands that serve until stopped: started in the background, then waited for on /healthz.
_SERVES = re.compile(r"(^|[\s/])(make run|encore serve)(\s|$)")


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block of shell commands on a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    commands: tuple[str, ...]
    not_run: str | None = None  # the reason, for a block the tests skip

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def serves(command: str) -> bool:
    """Whether a command runs a server until it is stopped."""
    return bool(_SERVES.search(command))


def console_commands(lines: list[str]) -> list[str]:
    """The commands of a console block: prompted lines with their continuations."""
    commands: list[str] = []
    going_on = False
    for line in lines:
        if going_on:
            commands[-1] += "\n" + line
        elif line.startswith(PROMPT):
            commands.append(line[len(PROMPT) :])
        else:
            continue
        going_on = line.rstrip().endswith("\\")
    return commands


def blocks(page: Path, text: str) -> Iterator[Block]:
    """The shell blocks of a page's Markdown, in order (blocks nested in a longer fence, such as
    an example of the convention itself, are text and not included)."""
    lines = text.splitlines()
    index = 0
    reason: str | None = None
    while index < len(lines):
        line = lines[index]
        opening = _FENCE.match(line)
        if not opening:
            if line.strip():
                marker = _NOT_RUN.match(line)
                reason = marker.group("reason") or "no reason given" if marker else None
            index += 1
            continue
        fence, indent = opening.group("fence"), len(opening.group("indent"))
        language = (opening.group("info").split() or [""])[0].lower()
        body: list[str] = []
        index += 1
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            if (
                closing
                and closing.group("fence")[0] == fence[0]
                and len(closing.group("fence")) >= len(fence)
                and not closing.group("info").strip()
            ):
                break
            body.append(lines[index][indent:] if lines[index][:indent].isspace() else lines[index])
            index += 1
        if language in SHELL_LANGUAGES:
            # A console block's commands follow prompts; any other shell block is one script.
            scripted = ["\n".join(body)]
            commands = console_commands(body) if language == "console" else scripted
            yield Block(page, index - len(body), language, tuple(commands), reason)
        reason = None
        index += 1


def page_blocks(docs: Path) -> dict[Path, list[Block]]:
    """Every page under `docs` with the shell blocks it shows."""
    found: dict[Path, list[Block]] = {}
    for page in sorted(docs.rglob("*.md")):
        relative = page.relative_to(docs)
        found[relative] = list(blocks(relative, page.read_text(encoding="utf-8")))
    return found
