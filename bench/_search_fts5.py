"""The baseline bench/search.py compares against: SQLite FTS5 with prefix matching.

One FTS5 table of titles, artists and albums (the unicode61 tokenizer folds case and
diacritics), queried with every typed word as a prefix ("bohem"* AND "rhaps"*), ranked by FTS5's
bm25, then popularity. No typo tolerance: that is what the baseline lacks.
"""

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from encore.adapters.search.codec import decode, encode
from encore.search.model import Kind, SearchDocument
from encore.search.text import words

SCHEMA = """
CREATE VIRTUAL TABLE docs USING fts5(
    name, context, album, popularity UNINDEXED, payload UNINDEXED,
    tokenize = "unicode61 remove_diacritics 2", prefix = '2 3 4'
);
"""


def build(path: Path, batches: Iterable[Sequence[SearchDocument]]) -> None:
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(SCHEMA)
        for batch in batches:
            connection.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        d.name,
                        d.context,
                        d.album.name if d.album else "",
                        d.popularity,
                        encode(d),
                    )
                    for d in batch
                    if d.kind is Kind.TRACK
                ],
            )
        connection.commit()
        connection.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        connection.commit()
    finally:
        connection.close()


def match_expression(text: str) -> str | None:
    terms = [f'"{word}"*' for word in dict.fromkeys(words(text)) if '"' not in word]
    return " AND ".join(terms) or None


def search(connection: sqlite3.Connection, text: str, limit: int) -> list[SearchDocument]:
    expression = match_expression(text)
    if expression is None:
        return []
    rows = connection.execute(
        "SELECT payload FROM docs WHERE docs MATCH ? ORDER BY rank, popularity DESC LIMIT ?",
        (expression, limit),
    ).fetchall()
    return [decode(row[0]) for row in rows]
