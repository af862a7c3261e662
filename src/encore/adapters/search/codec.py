"""What both search adapters store: a document's key, who may see it, and the JSON kept beside
it to answer without the database."""

from typing import Any

import orjson

from encore.catalog.model import Ref
from encore.search.model import Kind, SearchDocument


def document_key(kind: Kind, document_id: str) -> str:
    return f"{kind.value}:{document_id}"


def visibility(document: SearchDocument) -> str:
    """Public documents are everyone's; a private playlist is its owner's only."""
    if document.public or document.owner is None:
        return "public"
    return f"owner {document.owner.id}"


def visible_to(viewer_id: str | None) -> list[str]:
    """The visibilities a viewer (or an anonymous caller) may see."""
    return ["public"] if viewer_id is None else ["public", f"owner {viewer_id}"]


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
