"""A search document as the JSON an index stores beside it, to answer without the database."""

from typing import Any

import orjson

from encore.catalog.model import Ref
from encore.search.model import Kind, SearchDocument


def _ref(value: Any) -> Ref | None:
    return None if value is None else Ref(value[0], value[1])


def encode(document: SearchDocument) -> bytes:
    return orjson.dumps(
        {
            "k": document.kind.value,
            "i": document.id,
            "n": document.name,
            "p": document.popularity,
            "a": [[a.id, a.name] for a in document.artists],
            "b": [document.album.id, document.album.name] if document.album else None,
            "d": document.duration_ms,
            "g": list(document.genres),
            "y": document.year,
            "o": [document.owner.id, document.owner.name] if document.owner else None,
            "u": document.public,
            "f": document.followers,
        }
    )


def decode(data: bytes | str) -> SearchDocument:
    raw = orjson.loads(data)
    return SearchDocument(
        kind=Kind(raw["k"]),
        id=raw["i"],
        name=raw["n"],
        popularity=raw["p"],
        artists=tuple(Ref(i, n) for i, n in raw["a"]),
        album=_ref(raw["b"]),
        duration_ms=raw["d"],
        genres=tuple(raw["g"]),
        year=raw["y"],
        owner=_ref(raw["o"]),
        public=raw["u"],
        followers=raw["f"],
    )
