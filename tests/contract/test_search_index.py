"""The SearchIndex port, on Tantivy (embedded) and on a real Typesense server (marked)."""

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from encore.adapters.search.tantivy_index import TantivySearchIndex
from encore.catalog.model import Ref
from encore.search.model import Kind, SearchDocument, SearchQuery, YearRange
from encore.search.ports import SearchIndex
from tests.typesense_server import Typesense, running_typesense


@pytest.fixture(scope="module")
def typesense(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Typesense]:
    with running_typesense(tmp_path_factory.mktemp("typesense")) as server:
        yield server


@pytest.fixture(
    params=["tantivy", pytest.param("typesense", marks=pytest.mark.typesense)],
)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    made: SearchIndex
    if request.param == "tantivy":
        made = TantivySearchIndex(tmp_path / "tantivy")
    else:
        from encore.adapters.search.typesense_index import TypesenseSearchIndex

        server: Typesense = request.getfixturevalue("typesense")
        made = TypesenseSearchIndex(
            server.url, api_key=server.api_key, collection=f"test_{secrets.token_hex(4)}"
        )
    yield made
    made.close()


def track(
    track_id: str,
    title: str,
    artist: str,
    *,
    album: str = "An Album",
    popularity: int = 50,
    genres: tuple[str, ...] = (),
    year: int | None = None,
) -> SearchDocument:
    return SearchDocument(
        kind=Kind.TRACK,
        id=track_id,
        name=title,
        popularity=popularity,
        artists=(Ref(f"ar-{artist}", artist),),
        album=Ref(f"al-{album}", album),
        duration_ms=200_000,
        genres=genres,
        year=year,
    )


def playlist(
    playlist_id: str, name: str, owner: str, *, public: bool = True, owner_name: str = ""
) -> SearchDocument:
    return SearchDocument(
        kind=Kind.PLAYLIST,
        id=playlist_id,
        name=name,
        owner=Ref(owner, owner_name or owner),
        public=public,
        followers=3,
    )


def ids(index: SearchIndex, text: str, kind: Kind = Kind.TRACK, **options: object) -> list[str]:
    query = SearchQuery(text=text, kinds=(kind,), **options)  # type: ignore[arg-type]
    return [item.id for item in index.search(query, kind).items]


def ranks_by_points(index: SearchIndex) -> bool:
    """Encore's own ranking (exact, then prefix, then typos; popularity between equals) is the
    embedded engine's; Typesense ranks its own way, which the relevance suite measures."""
    return isinstance(index, TantivySearchIndex)


CATALOG = [
    track("bohemian", "Bohemian Rhapsody - 2011 Mix", "Queen", album="A Night at the Opera"),
    track("killer", "Killer Queen", "Queen", album="Sheer Heart Attack", popularity=60),
    track("thunder", "Thunderstruck", "AC/DC", popularity=80, genres=("rock", "hard rock")),
    track("religion", "Losing My Religion", "R.E.M.", popularity=81, year=1991),
    track("halo", "Halo", "Beyoncé", popularity=77, year=2008, genres=("pop",)),
    track("blank", "Blank Space", "Taylor Swift", album="1989", popularity=78, year=2014),
    track("peekaboo", "피카부 Peek-A-Boo", "Red Velvet", popularity=70),
    track("hello-adele", "Hello", "Adele", popularity=73),
    track("hello-kitty", "Hello Kitty", "Avril Lavigne", popularity=90),
    track("hello-old", "Hello", "Lionel Richie", popularity=40),
]


@pytest.fixture
def catalog(index: SearchIndex) -> SearchIndex:
    index.upsert(CATALOG)
    return index


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("swift blank space", "blank"),  # words in any order, across fields
        ("bohemian rhaps", "bohemian"),  # the last word unfinished
        ("bohem rhaps queen", "bohemian"),  # other words unfinished too
        ("bohemain rapsody", "bohemian"),  # a typo in each word
        ("taylor swfit", "blank"),
        ("beyonce", "halo"),  # diacritics folded
        ("HALO BEYONCÉ", "halo"),  # case folded
        ("ac dc", "thunder"),
        ("acdc", "thunder"),
        ("AC/DC", "thunder"),
        ("rem", "religion"),
        ("R.E.M.", "religion"),
        ("1989", "blank"),  # numbers
        ("피카부", "peekaboo"),  # non-Latin scripts
        ("peek a boo", "peekaboo"),
        ("peekaboo red velvet", "peekaboo"),
    ],
)
def test_finds_what_is_meant(catalog: SearchIndex, text: str, expected: str) -> None:
    found = ids(catalog, text)
    assert expected in found
    if ranks_by_points(catalog):
        assert found[0] == expected


def test_typos_are_forgiven_only_on_long_enough_words(catalog: SearchIndex) -> None:
    # "halp" is one edit from "halo", but a word of four letters is the shortest forgiven one.
    assert "halo" in ids(catalog, "hal0 beyonce")  # digits: exact only, but "beyonce" matches
    assert ids(catalog, "hxlo") == ["halo"]
    assert ids(catalog, "hxo") == []  # three letters: no typo forgiven
    # Two typos need a word of eight letters or more.
    assert ids(catalog, "thundrestuck") == ["thunder"]
    assert ids(catalog, "bxlnk") == []


def test_exact_above_prefix_above_fuzzy_popularity_breaks_ties(tmp_path: Path) -> None:
    """Encore's own ranking, so the embedded engine's only."""
    catalog = TantivySearchIndex(tmp_path / "ranked")
    catalog.upsert(CATALOG)
    # Both Hellos match exactly and are whole titles: the more popular first; then Hello Kitty,
    # although more popular than both, because its title has more than was asked for.
    assert ids(catalog, "hello")[:3] == ["hello-adele", "hello-old", "hello-kitty"]
    # "queen": an exact word in Killer Queen's title beats Queen as the artist of a prefix match.
    assert ids(catalog, "queen")[0] == "killer"
    # Exact, then the beginning of a word, then a typo away, whatever their popularity.
    catalog.upsert(
        [
            track("typo", "Sombra", "X", popularity=100),
            track("begun", "Sombreros", "Y", popularity=60),
            track("exact", "Sombre", "Z", popularity=1),
        ]
    )
    catalog.upsert([track("longer", "Sombre Dimanche Triste", "W", popularity=99)])
    assert ids(catalog, "sombre ")[:3] == ["exact", "longer", "begun"]
    assert ids(catalog, "sombre ")[3:] == ["typo"]


def test_filters_by_genre_and_year(catalog: SearchIndex) -> None:
    assert ids(catalog, "thunderstruck", genre="hard rock") == ["thunder"]
    assert ids(catalog, "thunderstruck", genre="pop") == []
    assert ids(catalog, "halo", years=YearRange(2000, 2010)) == ["halo"]
    assert ids(catalog, "halo", years=YearRange(1990, 1999)) == []


def test_pages_and_totals(catalog: SearchIndex) -> None:
    query = SearchQuery(text="hello", kinds=(Kind.TRACK,), limit=1, offset=1)
    page = catalog.search(query, Kind.TRACK)
    assert page.total == 3
    assert [item.id for item in page.items] == ["hello-old"]
    assert catalog.search(SearchQuery(text="hello", offset=3), Kind.TRACK).items == ()


def test_an_answer_carries_the_whole_document(catalog: SearchIndex) -> None:
    found = catalog.search(SearchQuery(text="halo"), Kind.TRACK).items[0]
    assert found == CATALOG[4]


def test_upsert_replaces_and_delete_removes(catalog: SearchIndex) -> None:
    catalog.upsert([track("halo", "Halo (Live)", "Beyoncé", popularity=10)])
    assert [i.name for i in catalog.search(SearchQuery(text="halo"), Kind.TRACK).items] == [
        "Halo (Live)"
    ]
    catalog.delete(Kind.TRACK, ["halo", "no-such-track"])
    assert ids(catalog, "halo") == []
    assert catalog.count() == len(CATALOG) - 1


def test_rebuild_replaces_the_kinds_given_and_keeps_the_others(catalog: SearchIndex) -> None:
    catalog.upsert([playlist("p1", "Road trip", "u1")])
    catalog.rebuild([Kind.TRACK], [[track("new", "Brand New", "Someone")]])
    assert ids(catalog, "hello") == []
    assert ids(catalog, "brand new") == ["new"]
    assert ids(catalog, "road trip", Kind.PLAYLIST) == ["p1"]


def test_kinds_are_searched_apart(catalog: SearchIndex) -> None:
    catalog.upsert([SearchDocument(kind=Kind.ARTIST, id="queen", name="Queen", popularity=90)])
    assert ids(catalog, "queen", Kind.ARTIST) == ["queen"]
    assert "queen" not in ids(catalog, "queen", Kind.TRACK)


def test_playlists_by_name_and_owner_only_public_ones_of_others(index: SearchIndex) -> None:
    index.upsert(
        [
            playlist("mine-public", "Summer hits", "ada", owner_name="Ada Lovelace"),
            playlist("mine-private", "Summer secrets", "ada", public=False),
            playlist("theirs-public", "Summer nights", "bob", owner_name="Bob Dylan"),
            playlist("theirs-private", "Summer diary", "bob", public=False),
        ]
    )
    assert set(ids(index, "summer", Kind.PLAYLIST, viewer_id="ada")) == {
        "mine-public",
        "mine-private",
        "theirs-public",
    }
    assert set(ids(index, "summer", Kind.PLAYLIST, viewer_id="bob")) == {
        "mine-public",
        "theirs-public",
        "theirs-private",
    }
    assert set(ids(index, "summer", Kind.PLAYLIST)) == {"mine-public", "theirs-public"}
    assert ids(index, "lovelace", Kind.PLAYLIST) == ["mine-public"]
    assert ids(index, "summer dylan", Kind.PLAYLIST) == ["theirs-public"]


@pytest.mark.parametrize(
    "text", ['"halo', "halo*", "title:halo", "(halo", "halo AND", "halo || x", "`halo`", "halo\\"]
)
def test_query_syntax_is_only_text(catalog: SearchIndex, text: str) -> None:
    assert ids(catalog, text)[:1] == ["halo"]
