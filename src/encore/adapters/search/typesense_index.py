"""The scale search index: a Typesense cluster, over its HTTP API.

Names are folded and split by `encore.search.text` before Typesense sees them, as for the
embedded index, so that both find "AC/DC" by "acdc" and "R.E.M." by "rem"; Typesense does its
own prefix and typo matching (one typo from 4 letters, two from 8) and ranks by its text match,
then popularity. The index talks to every node of a cluster and fails over between them
(`typesense_nodes`).
"""

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from encore.adapters.search.codec import decode, document_key, encode, visibility, visible_to
from encore.adapters.search.typesense_nodes import TypesenseNodes
from encore.search.model import Kind, Page, SearchDocument, SearchQuery
from encore.search.ranking import title_stem
from encore.search.text import fold, index_words, query_terms

MAX_PER_PAGE = 250
IMPORT_BATCH = 5_000


def _fields() -> list[dict[str, Any]]:
    text = [{"name": name, "type": "string"} for name in ("name", "context", "album")]
    return [
        {"name": "kind", "type": "string", "facet": True},
        *text,
        {"name": "stem", "type": "string"},
        {"name": "genre", "type": "string[]", "facet": True},
        {"name": "year", "type": "int32", "optional": True},
        {"name": "popularity", "type": "int32"},
        {"name": "visible_to", "type": "string[]"},
        {"name": "payload", "type": "string", "index": False, "optional": True},
    ]


def _document(document: SearchDocument) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": document_key(document.kind, document.id),
        "kind": document.kind.value,
        "name": " ".join(index_words(document.name)),
        "context": " ".join(index_words(document.context)),
        "album": " ".join(index_words(document.album.name)) if document.album else "",
        "stem": " ".join(index_words(title_stem(document.name))),
        "genre": [fold(genre).strip() for genre in document.genres],
        "popularity": document.popularity,
        "visible_to": [visibility(document)],
        "payload": encode(document).decode(),
    }
    if document.year is not None:
        body["year"] = document.year
    return body


def _quoted(value: str) -> str:
    return "`" + value.replace("`", "") + "`"


class TypesenseSearchIndex:
    def __init__(
        self,
        url: str | Sequence[str],
        *,
        api_key: str,
        collection: str = "encore",
        timeout_s: float = 10.0,
        connect_timeout_s: float = 1.0,
    ) -> None:
        """`url`: one node's, or every node's of a cluster."""
        self._collection = collection
        self._http = TypesenseNodes(
            [url] if isinstance(url, str) else url,
            api_key=api_key,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
        )
        self._ensure_collection()

    def _ensure_collection(self) -> None:
        found = self._http.get(f"/collections/{self._collection}")
        if found.status_code == 404:
            created = self._http.post(
                "/collections", json={"name": self._collection, "fields": _fields()}
            )
            if created.status_code != 409:  # another node made it meanwhile
                created.raise_for_status()
        else:
            found.raise_for_status()

    def _documents_url(self) -> str:
        return f"/collections/{self._collection}/documents"

    # --- writes --------------------------------------------------------------------------------

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        for start in range(0, len(documents), IMPORT_BATCH):
            self._import(documents[start : start + IMPORT_BATCH])

    def _import(self, documents: Sequence[SearchDocument]) -> None:
        if not documents:
            return
        lines = b"\n".join(orjson.dumps(_document(d)) for d in documents)
        answer = self._http.post(
            f"{self._documents_url()}/import", params={"action": "upsert"}, content=lines
        )
        answer.raise_for_status()
        failed = [r for r in answer.text.splitlines() if not orjson.loads(r).get("success")]
        if failed:
            raise RuntimeError(f"Typesense refused {len(failed)} documents: {failed[0]}")

    def delete(self, kind: Kind, ids: Sequence[str]) -> None:
        for document_id in ids:
            answer = self._http.delete(f"{self._documents_url()}/{document_key(kind, document_id)}")
            if answer.status_code != 404:
                answer.raise_for_status()

    def rebuild(self, kinds: Sequence[Kind], batches: Iterable[Sequence[SearchDocument]]) -> None:
        for kind in kinds:
            answer = self._http.delete(
                self._documents_url(), params={"filter_by": f"kind:={kind.value}"}
            )
            answer.raise_for_status()
        for batch in batches:
            self.upsert(batch)

    # --- reads ---------------------------------------------------------------------------------

    def count(self) -> int:
        answer = self._http.get(f"/collections/{self._collection}")
        answer.raise_for_status()
        return int(answer.json()["num_documents"])

    def search(self, query: SearchQuery, kind: Kind) -> Page:
        terms = query_terms(query.text)
        if not terms:
            return Page()
        filters = [f"kind:={kind.value}"]
        if query.genre:
            filters.append(f"genre:={_quoted(query.genre)}")
        if query.years is not None:
            filters.append(f"year:[{query.years.first}..{query.years.last}]")
        if kind is Kind.PLAYLIST:
            visible = ",".join(_quoted(v) for v in visible_to(query.viewer_id))
            filters.append(f"visible_to:=[{visible}]")
        if query.offset % query.limit == 0:
            page, per_page, skip = query.offset // query.limit + 1, query.limit, 0
        else:
            page, per_page, skip = 1, min(query.offset + query.limit, MAX_PER_PAGE), query.offset
        params = {
            "q": " ".join(term.text for term in terms),
            "query_by": "name,context,album",
            "query_by_weights": "4,3,2",
            "prefix": "true",
            "num_typos": "2",
            "min_len_1typo": "4",
            "min_len_2typo": "8",
            "filter_by": " && ".join(filters),
            "sort_by": "_text_match:desc,popularity:desc",
            "page": str(page),
            "per_page": str(per_page),
            "include_fields": "payload",
            "highlight_fields": "none",
        }
        answer = self._http.get(f"{self._documents_url()}/search", params=params)
        answer.raise_for_status()
        body = answer.json()
        hits = body.get("hits", [])[skip : skip + query.limit]
        items = tuple(decode(hit["document"]["payload"]) for hit in hits)
        return Page(items=items, total=int(body.get("found", 0)))

    def close(self) -> None:
        self._http.close()
