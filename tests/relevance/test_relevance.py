"""Relevance over the real catalog: MRR@10 and recall@10 per kind of query, with floors, for the
embedded engine and for Typesense; `pytest tests/relevance -s` prints the tables."""

import secrets
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from encore.adapters.search.typesense_index import TypesenseSearchIndex
from encore.adapters.sql.search_source import SqlDocumentSource
from encore.bootstrap import Services
from encore.cli import app
from encore.search.model import Kind, SearchDocument, SearchQuery
from encore.search.ports import SearchIndex
from encore.search.service import CATALOG_KINDS
from tests.relevance.suite import KINDS, Case, Score, evaluate, report
from tests.typesense_server import running_typesense

pytestmark = pytest.mark.slow

# Floors per kind of query: below them, a change made search worse. The embedded engine finds
# every one of these queries' songs first today; the floors leave room for a different order
# of equally good songs, never for a song lost.
EMBEDDED_FLOOR = Score(0, mrr=0.95, recall=1.0)
TYPESENSE_FLOOR = Score(0, mrr=0.80, recall=0.85)


def scores_of(
    index: SearchIndex, cases: list[Case], keys: dict[str, tuple[str, str]]
) -> dict[str, Score]:
    def search(text: str) -> tuple[SearchDocument, ...]:
        query = SearchQuery(text=text, kinds=(Kind.TRACK,), limit=10)
        return index.search(query, Kind.TRACK).items

    return evaluate(search, cases, keys)[0]


def check(scores: dict[str, Score], floor: Score) -> None:
    assert set(scores) == set(KINDS)
    low = {
        kind: score
        for kind, score in scores.items()
        if score.mrr < floor.mrr or score.recall < floor.recall
    }
    assert not low, low


def test_the_suite_has_200_queries_of_every_kind(cases: list[Case]) -> None:
    kinds = Counter(case.kind for case in cases)
    assert sum(kinds.values()) >= 200
    assert set(kinds) == set(KINDS)
    assert min(kinds.values()) >= 40


def test_embedded_relevance(
    services: Services, cases: list[Case], keys: dict[str, tuple[str, str]]
) -> None:
    scores = scores_of(services.search_index, cases, keys)
    print("\n" + report("embedded (Tantivy)", scores))
    check(scores, EMBEDDED_FLOOR)


@pytest.mark.typesense
def test_typesense_relevance_and_the_embedded_engine_above_it(
    services: Services,
    cases: list[Case],
    keys: dict[str, tuple[str, str]],
    tmp_path: Path,
) -> None:
    with running_typesense(tmp_path / "typesense") as server:
        index = TypesenseSearchIndex(
            server.url, api_key=server.api_key, collection=f"r{secrets.token_hex(4)}"
        )
        index.rebuild(CATALOG_KINDS, SqlDocumentSource(services.engine).everything(batch=5_000))
        assert index.count() == services.search_index.count()
        typesense = scores_of(index, cases, keys)
        index.close()
    print("\n" + report("Typesense", typesense))
    check(typesense, TYPESENSE_FLOOR)
    embedded = scores_of(services.search_index, cases, keys)
    for kind in KINDS:
        assert embedded[kind].mrr >= typesense[kind].mrr, kind


def test_reindex_rebuilds_the_same_index(services: Services, imported: Path) -> None:
    before = services.search_index.count()
    result = CliRunner().invoke(app, ["search", "reindex", "--data", str(imported)])
    assert result.exit_code == 0, result.output
    assert f"Indexed {before} documents" in result.output
    assert services.search_index.count() == before
