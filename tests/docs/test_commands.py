"""Every command the documentation shows is run, page by page, in a sandbox."""

from pathlib import Path

import pytest
from docsite.commands import Block, blocks, console_commands, page_blocks, serves

from tests.docs.sandbox import ROOT, run_page

DOCS = ROOT / "docs"
PAGES = page_blocks(DOCS)
RUN = {page: [b for b in found if b.not_run is None] for page, found in PAGES.items()}
NOT_RUN = [b for found in PAGES.values() for b in found if b.not_run is not None]


def _page_param(page: Path) -> object:
    # Each page starts processes (servers, imports, make): seconds at least, a minute with a demo.
    marks = [pytest.mark.docs, pytest.mark.slow, pytest.mark.timeout(600)]
    return pytest.param(page, id=str(page), marks=marks)


@pytest.mark.parametrize("page", [_page_param(p) for p in sorted(RUN) if RUN[p]])
def test_the_commands_of_a_page_run(page: Path, tmp_path: Path, music: Path) -> None:
    run = run_page(RUN[page], tmp_path, music, timeout_s=540)
    assert run.returncode == 0, f"{page}: a command failed (the last one shown):\n{run.output}"


@pytest.mark.parametrize("block", [pytest.param(b, id=b.where) for b in NOT_RUN])
def test_a_block_marked_not_run_says_why(block: Block) -> None:
    # Not a skip: what is checked here is the reason; the block itself is named in the test id
    # (CI counts no skips, so a skip would read as a test that could not run).
    assert block.not_run and block.not_run != "no reason given", block.where


def test_there_are_commands_to_run() -> None:
    # A change to the reader that found nothing would make every page pass.
    assert sum(len(b.commands) for found in RUN.values() for b in found) >= 20
    # Blocks a test cannot run are allowed, and listed, but they must stay the exception.
    assert len(NOT_RUN) <= 8, [b.where for b in NOT_RUN]


PAGE = """\
Intro.

```console
$ one --flag
what one prints
$ two \\
    --more
$ three
```

<!-- not-run: needs a real host -->
```console
$ systemctl restart encore
```

````markdown
```console
$ an example inside another fence
```
````

```bash
export A=1
echo "$A"
```

```python
print("not a shell block")
```
"""


def test_the_reader_finds_commands_continuations_scripts_and_reasons() -> None:
    found = list(blocks(Path("page.md"), PAGE))
    assert [(b.language, b.line, b.not_run) for b in found] == [
        ("console", 3, None),
        ("console", 12, "needs a real host"),
        ("bash", 22, None),
    ]
    assert found[0].commands == ("one --flag", "two \\\n    --more", "three")
    assert found[2].commands == ('export A=1\necho "$A"',)


def test_a_prompt_in_the_output_is_not_a_continuation() -> None:
    assert console_commands(["$ a", "out \\", "$ b"]) == ["a", "b"]


def test_servers_are_recognised() -> None:
    assert serves("make run")
    assert serves(".venv/bin/encore serve --port 9000")
    assert not serves("make runner")
    assert not serves(".venv/bin/encore users add x")
