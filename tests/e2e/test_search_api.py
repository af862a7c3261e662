"""GET /api/v1/search and /search/suggest over HTTP: the catalog as the service changes it (the
index follows each change), the answer's shape, and every kind of bad input."""

from datetime import date

import pytest
from fastapi.testclient import TestClient

from encore.bootstrap import Services
from encore.catalog.model import Ref
from encore.search.model import Kind, SearchDocument
from encore.search.schemas import SearchRead
from tests.builders import make_album, make_artist, make_track
from tests.e2e.conftest import Listener


@pytest.fixture
def catalog(services: Services) -> dict[str, str]:
    """A small catalog, added through the catalog service (so through its change events)."""
    queen = services.catalog.add_artist(make_artist(name="Queen", sort_name="Queen"))
    acdc = services.catalog.add_artist(make_artist(name="AC/DC", sort_name="AC/DC"))
    opera = services.catalog.add_album(
        make_album(
            artist_ids=(queen.id,), name="A Night at the Opera", release_date=date(1975, 11, 21)
        )
    )
    razors = services.catalog.add_album(
        make_album(artist_ids=(acdc.id,), name="The Razors Edge", release_date=date(1990, 9, 24))
    )
    rhapsody = services.catalog.add_track(
        make_track(
            album_id=opera.id,
            artist_ids=(queen.id,),
            title="Bohemian Rhapsody",
            popularity=84,
            genres=("rock", "classic rock"),
        )
    )
    thunder = services.catalog.add_track(
        make_track(
            album_id=razors.id,
            artist_ids=(acdc.id,),
            title="Thunderstruck",
            popularity=81,
            genres=("rock", "hard rock"),
        )
    )
    return {
        "queen": queen.id,
        "opera": opera.id,
        "rhapsody": rhapsody.id,
        "thunder": thunder.id,
        "acdc": acdc.id,
    }


def search(client: TestClient, listener: Listener, **params: object) -> dict[str, object]:
    answer = client.get("/api/v1/search", params=params, headers=listener.auth)
    assert answer.status_code == 200, answer.text
    SearchRead.model_validate_json(answer.content, strict=True)  # as documented
    body: dict[str, object] = answer.json()
    return body


def test_the_seed_answer_shape(
    client: TestClient, listener: Listener, catalog: dict[str, str]
) -> None:
    body = search(client, listener, q="bohemain rhaps")
    assert set(body) == {"tracks", "artists", "albums", "playlists"}
    assert body["tracks"] == {
        "items": [
            {
                "id": catalog["rhapsody"],
                "name": "Bohemian Rhapsody",
                "artists": [{"id": catalog["queen"], "name": "Queen"}],
                "album": {"id": catalog["opera"], "name": "A Night at the Opera"},
                "duration_ms": 215_000,
                "popularity": 84,
            }
        ],
        "total": 1,
    }
    albums = search(client, listener, q="opera", type="album")
    assert albums == {
        "albums": {
            "items": [
                {
                    "id": catalog["opera"],
                    "name": "A Night at the Opera",
                    "artists": [{"id": catalog["queen"], "name": "Queen"}],
                    "release_year": 1975,
                    "popularity": 84,
                }
            ],
            "total": 1,
        }
    }
    artists = search(client, listener, q="acdc", type="artist,track")
    assert list(artists) == ["artists", "tracks"]  # in the order asked for
    assert artists["artists"] == {
        "items": [{"id": catalog["acdc"], "name": "AC/DC", "popularity": 81}],
        "total": 1,
    }


def test_an_import_updates_the_index_incrementally(
    client: TestClient, listener: Listener, services: Services, catalog: dict[str, str]
) -> None:
    services.catalog.set_popularity(catalog["thunder"], 12)
    body = search(client, listener, q="thunderstruck", type="track")
    assert body["tracks"]["items"][0]["popularity"] == 12  # type: ignore[index]


def test_filters_by_genre_and_year(
    client: TestClient, listener: Listener, catalog: dict[str, str]
) -> None:
    def found(**params: object) -> list[str]:
        body = search(client, listener, type="track", **params)
        return [item["id"] for item in body["tracks"]["items"]]  # type: ignore[index]

    assert found(q="rock", genre="Hard Rock") == []  # "rock" is not in any name
    assert found(q="thunder", genre="Hard Rock") == [catalog["thunder"]]
    assert found(q="thunder", genre="classic rock") == []
    assert found(q="bohemian", year="1975") == [catalog["rhapsody"]]
    assert found(q="bohemian", year="1980-1999") == []


def test_playlists_are_found_by_name_and_owner(
    client: TestClient, services: Services, make_listener: object
) -> None:
    ada = make_listener("ada@example.com")  # type: ignore[operator]
    bob = make_listener("bob@example.com")  # type: ignore[operator]
    services.search.upsert_playlists(
        [
            SearchDocument(Kind.PLAYLIST, "p-ada", "Night drive", owner=Ref(ada.id, "Ada")),
            SearchDocument(
                Kind.PLAYLIST, "p-ada-private", "Night shift", owner=Ref(ada.id, "Ada"),
                public=False,
            ),
        ]
    )  # fmt: skip

    def found(who: Listener, q: str) -> list[str]:
        body = search(client, who, q=q, type="playlist")
        return sorted(item["id"] for item in body["playlists"]["items"])  # type: ignore[index]

    assert found(ada, "night") == ["p-ada", "p-ada-private"]
    assert found(bob, "night") == ["p-ada"]
    assert found(bob, "ada") == ["p-ada"]
    services.search.delete_playlists(["p-ada"])
    assert found(bob, "night") == []


def test_suggest_completes_across_types(
    client: TestClient, listener: Listener, catalog: dict[str, str]
) -> None:
    answer = client.get("/api/v1/search/suggest", params={"q": "que"}, headers=listener.auth)
    assert answer.status_code == 200, answer.text
    suggestions = answer.json()["suggestions"]
    assert suggestions[0] == {"text": "Queen", "type": "artist", "id": catalog["queen"]}
    assert {"text": "Bohemian Rhapsody", "type": "track", "id": catalog["rhapsody"]} in suggestions
    empty = client.get("/api/v1/search/suggest", params={"q": " "}, headers=listener.auth)
    assert empty.json() == {"suggestions": []}


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "   "},
        {},
        {"q": "x" * 10_000},
        {"q": "queen", "limit": 0},
        {"q": "queen", "limit": 10_000},
        {"q": "queen", "limit": "many"},
        {"q": "queen", "offset": -1},
        {"q": "queen", "offset": 100_000},
        {"q": "queen", "type": "song"},
        {"q": "queen", "type": ""},
        {"q": "queen", "year": "last year"},
        {"q": "queen", "year": "1999-1980"},
        {"q": "queen", "genre": " "},
    ],
)
def test_bad_input_is_a_clear_422(
    client: TestClient, listener: Listener, params: dict[str, object]
) -> None:
    answer = client.get("/api/v1/search", params=params, headers=listener.auth)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"]


@pytest.mark.parametrize(
    "query",
    ["!!!", "...", '"', "*", ":", "(", ")", "AND", "OR NOT", "%FF%FE", "%00", "\\", "🎵🎶"],
)
def test_odd_queries_answer_sensibly(
    client: TestClient, listener: Listener, catalog: dict[str, str], query: str
) -> None:
    answer = client.get(f"/api/v1/search?q={query}&type=track", headers=listener.auth)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"tracks"}


def test_query_syntax_characters_are_just_text(
    client: TestClient, listener: Listener, catalog: dict[str, str]
) -> None:
    body = search(client, listener, q='"thunder* (AND:', type="track")
    assert [i["id"] for i in body["tracks"]["items"]] == [catalog["thunder"]]  # type: ignore[index]


def test_search_needs_a_signed_in_user(client: TestClient) -> None:
    assert client.get("/api/v1/search", params={"q": "x"}).status_code == 401
    assert client.get("/api/v1/search/suggest", params={"q": "x"}).status_code == 401


def test_playlists_made_through_the_api_are_searchable_as_they_change(
    client: TestClient, services: Services, listener: Listener
) -> None:
    other = Listener(client, "grace@example.com")

    def found(who: Listener, q: str) -> list[str]:
        body = search(client, who, q=q, type="playlist")
        return [item["id"] for item in body["playlists"]["items"]]  # type: ignore[index]

    made = client.post(
        "/api/v1/playlists", json={"name": "Sunday Morning Coffee"}, headers=listener.auth
    )
    assert made.status_code == 201, made.text
    playlist_id = made.json()["id"]
    assert found(other, "sunday cofee") == [playlist_id]  # a typo, from another listener

    def patch(**changes: object) -> None:
        answer = client.patch(
            f"/api/v1/playlists/{playlist_id}", json=changes, headers=listener.auth
        )
        assert answer.status_code == 200, answer.text

    patch(name="Rainy Evening Jazz")
    assert found(other, "rainy jazz") == [playlist_id]
    assert found(other, "sunday coffee") == []
    patch(public=False)
    assert found(other, "rainy jazz") == []  # private: not for others
    assert found(listener, "rainy jazz") == [playlist_id]  # but the owner still finds it
    assert (
        client.delete(f"/api/v1/playlists/{playlist_id}", headers=listener.auth).status_code == 204
    )
    assert found(listener, "rainy jazz") == []

    # A rebuild finds listeners' playlists in the database, not only in the index it replaces.
    kept = client.post("/api/v1/playlists", json={"name": "Road Trip"}, headers=listener.auth)
    services.search_index.rebuild(tuple(Kind), [])
    assert found(other, "road trip") == []
    services.search.reindex()
    assert found(other, "road trip") == [kept.json()["id"]]
