"""The embedded search index: Tantivy, on local disk.

Words are folded and split by `encore.search.text` before Tantivy sees them, so the index and
the queries agree on what a word is. Each word of a query is looked up exactly (per field), as
the beginning of a word (a field of every word's prefixes, so typing stays a term lookup), and
within one or two typos, which are looked up only when the words as typed do not fill the page;
each kind of match scores a constant (`encore.search.ranking`). The best few hundred by those
points are re-ranked with the name's length and popularity read from fast fields; only the page
shown is read from the document store. Among equal points Tantivy keeps the documents written
first, and a rebuild writes the most popular tracks first, so the few hundred are the right ones.

One writer at a time may hold an index: each write takes it, commits and lets it go, so that an
`encore import` can update the index of a running server. Readers pick up new commits on the
next search.
"""

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy

from encore.adapters.search.codec import decode, document_key, encode, visibility, visible_to
from encore.search.model import Kind, Page, SearchDocument, SearchQuery
from encore.search.ranking import POINTS, FieldPoints, final_score, title_stem
from encore.search.text import MAX_WORD, QueryTerm, fold, index_words, query_terms

WRITER_HEAP = 64_000_000
# A rebuild writes the whole index at once: the more it holds in memory, the fewer segments it
# leaves, and every segment costs each typo lookup a walk through its own dictionary.
REBUILD_HEAP = 1_500_000_000
# How many of the best by points are re-ranked; a page past this is cut short.
CANDIDATES = 200
MIN_PREFIX = 1
MIN_BEGINNING = 3
FIELDS = ("name", "context", "album")
Q = tantivy.Query
Occur = tantivy.Occur


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("kind", tokenizer_name="raw", index_option="basic")
    # Every word of every field, for the costliest lookup (two typos), done once, not per field.
    builder.add_text_field("words", tokenizer_name="whitespace", index_option="basic")
    for field in FIELDS:
        builder.add_text_field(field, tokenizer_name="whitespace", index_option="basic")
        builder.add_text_field(
            f"{field}_prefixes", tokenizer_name="whitespace", index_option="basic"
        )
    builder.add_text_field("whole_name", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("genre", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("visible_to", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("popularity", fast=True)
    builder.add_integer_field("name_words", fast=True)
    builder.add_bytes_field("payload", stored=True)
    return builder.build()


def _prefixes(words: Iterable[str]) -> set[str]:
    return {word[:end] for word in words for end in range(MIN_PREFIX, len(word))}


def _document(document: SearchDocument) -> tantivy.Document:
    name = index_words(document.name)
    stem = title_stem(document.name)
    context = index_words(document.context)
    album = index_words(document.album.name) if document.album else []
    fields: dict[str, Any] = {
        "key": document_key(document.kind, document.id),
        "kind": document.kind.value,
        "whole_name": " ".join(term.text for term in query_terms(stem)),
        "genre": [fold(genre).strip() for genre in document.genres],
        "visible_to": visibility(document),
        "popularity": document.popularity,
        "name_words": len(index_words(stem)),
        "payload": encode(document),
    }
    for field, words in (("name", name), ("context", context), ("album", album)):
        fields[field] = " ".join(words)
        fields[f"{field}_prefixes"] = " ".join(_prefixes(words))
    fields["words"] = " ".join({*name, *context, *album})
    if document.year is not None:
        fields["year"] = document.year
    return tantivy.Document(**fields)


class TantivySearchIndex:
    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self._schema = _schema()
        self._index = tantivy.Index(self._schema, path=str(path), reuse=True)
        self._meta = path / "meta.json"
        self._seen = self._stamp()
        self._reload = threading.Lock()

    # --- writes --------------------------------------------------------------------------------

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        if documents:
            self._write([documents])

    def rebuild(self, kinds: Sequence[Kind], batches: Iterable[Sequence[SearchDocument]]) -> None:
        self._write(batches, clear=kinds)

    def _write(
        self, batches: Iterable[Sequence[SearchDocument]], *, clear: Sequence[Kind] = ()
    ) -> None:
        """Many documents under one writer and one commit: searches see all of it or none."""
        writer = self._index.writer(REBUILD_HEAP if clear else WRITER_HEAP, 1)
        try:
            for kind in clear:
                writer.delete_documents_by_term("kind", kind.value)
            for batch in batches:
                for document in batch:
                    if document.kind not in clear:
                        writer.delete_documents_by_term(
                            "key", document_key(document.kind, document.id)
                        )
                    writer.add_document(_document(document))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        self._refresh(force=True)

    def delete(self, kind: Kind, ids: Sequence[str]) -> None:
        if not ids:
            return
        writer = self._index.writer(WRITER_HEAP, 1)
        try:
            for document_id in ids:
                writer.delete_documents_by_term("key", document_key(kind, document_id))
            writer.commit()
        finally:
            writer.wait_merging_threads()
        self._refresh(force=True)

    # --- reads ---------------------------------------------------------------------------------

    def count(self) -> int:
        self._refresh()
        return int(self._index.searcher().num_docs)

    def search(self, query: SearchQuery, kind: Kind) -> Page:
        self._refresh()
        terms = query_terms(query.text)
        if not terms:
            return Page()
        searcher = self._index.searcher()
        wanted = query.offset + query.limit
        limit = max(CANDIDATES, wanted)
        # Without typos first, which is cheap. When documents with every word, typed right (or
        # begun), fill the page, typos are not looked up: what is typed right is what is meant.
        result = searcher.search(
            self._query(query, kind, terms, every=True, typos=False), limit, count=True
        )
        if len(result.hits) < wanted:
            result = searcher.search(
                self._query(query, kind, terms, every=True, typos=True), limit, count=True
            )
        if not result.hits and len(terms) > 1:
            # No document has every word: the ones with most of them are the next best thing.
            result = searcher.search(
                self._query(query, kind, terms, every=False, typos=True), limit
            )
        hits = result.hits
        if not hits:
            return Page()
        addresses = [address for _, address in hits]
        popularity = searcher.fast_field_values("popularity", addresses)
        lengths = searcher.fast_field_values("name_words", addresses)
        ranked = sorted(
            range(len(hits)),
            key=lambda i: (
                -final_score(
                    hits[i][0], popularity=int(popularity[i] or 0), name_words=int(lengths[i] or 0)
                )
            ),
        )
        page = ranked[query.offset : wanted]
        items = tuple(decode(searcher.doc(addresses[i])["payload"][0]) for i in page)
        total = getattr(result, "count", None)
        return Page(items=items, total=int(total if total is not None else len(hits)))

    def close(self) -> None:
        """Nothing is held open between calls."""

    def _stamp(self) -> int:
        try:
            return self._meta.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def _refresh(self, *, force: bool = False) -> None:
        # A commit by another process (an import) rewrites meta.json: reload then, not always.
        stamp = self._stamp()
        if force or stamp != self._seen:
            with self._reload:
                self._index.reload()
                self._seen = stamp

    # --- the query -----------------------------------------------------------------------------

    def _term_query(self, term: QueryTerm, *, typos: bool) -> tantivy.Query:
        """The best way `term` matches one of the fields, in points."""
        schema = self._schema
        word = term.text
        options: list[tantivy.Query] = []
        for field in FIELDS:
            points: FieldPoints = getattr(POINTS, field)
            found = [(Q.term_query(schema, field, word), points.exact)]
            # A word of one or two letters is a whole word ("in", "du") unless being typed: as
            # the beginning of words it would match a good part of the catalog, at a cost.
            if len(word) < MAX_WORD and (term.typing or len(word) >= MIN_BEGINNING):
                # A word still being typed: its beginning is nearly as good as the whole word.
                begun = points.exact - 0.5 if term.typing else points.prefix
                found.append((Q.term_query(schema, f"{field}_prefixes", word), begun))
            if typos and term.max_edits >= 1:
                found.append((Q.fuzzy_term_query(schema, field, word, 1), points.one_typo))
                if term.typing:
                    fuzzy_prefix = Q.fuzzy_term_query(schema, field, word, 1, True, True)
                    found.append((fuzzy_prefix, points.one_typo_prefix))
            options.extend(Q.const_score_query(query, score) for query, score in found)
        if typos and term.max_edits >= 2:
            two = Q.fuzzy_term_query(schema, "words", word, 2)
            options.append(Q.const_score_query(two, POINTS.two_typos))
        return Q.disjunction_max_query(options)

    def _query(
        self, query: SearchQuery, kind: Kind, terms: list[QueryTerm], *, every: bool, typos: bool
    ) -> tantivy.Query:
        schema = self._schema
        occur = Occur.Must if every else Occur.Should
        words = [(occur, self._term_query(term, typos=typos)) for term in terms]
        text = Q.boolean_query(words)
        whole = " ".join(term.text for term in terms)
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = [
            (Occur.Must, Q.term_query(schema, "kind", kind.value)),
            (Occur.Must, text),
            (
                Occur.Should,
                Q.const_score_query(Q.term_query(schema, "whole_name", whole), POINTS.whole_name),
            ),
        ]
        filters: list[tantivy.Query] = []
        if query.genre:
            filters.append(Q.term_query(schema, "genre", query.genre))
        if query.years is not None:
            filters.append(
                Q.range_query(
                    schema,
                    "year",
                    tantivy.FieldType.Integer,
                    query.years.first,
                    query.years.last,
                )
            )
        if kind is Kind.PLAYLIST:
            filters.append(Q.term_set_query(schema, "visible_to", visible_to(query.viewer_id)))
        clauses.extend((Occur.Must, Q.const_score_query(f, 0.0)) for f in filters)
        return Q.boolean_query(clauses)
