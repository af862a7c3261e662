"""The demo users' libraries: playlists (one of them collaborative), liked songs and followed
artists, made of the demo's playable pieces so that everything the player shows plays."""

from collections.abc import Sequence
from dataclasses import dataclass

from encore.accounts.model import User
from encore.bootstrap import Services
from encore.demo.accounts import DemoUser
from encore.demo.repertoire import PieceSpec

LIKED = 5


@dataclass(frozen=True, slots=True)
class DemoPlaylist:
    owner: str  # a demo user's key
    name: str
    description: str
    collaborative: bool = False
    invited: str | None = None  # the key of a demo user invited to collaborate


PLAYLISTS = (
    DemoPlaylist("premium", "Night Drive", "Synths and neon for the empty motorway"),
    DemoPlaylist("free", "Slow Mornings", "Soft things for the first coffee"),
    DemoPlaylist(
        "premium",
        "Road Trip Together",
        "Both of us add to this one",
        collaborative=True,
        invited="free",
    ),
)


def build_libraries(
    services: Services,
    users: Sequence[tuple[DemoUser, User]],
    pieces: Sequence[PieceSpec],
    piece_ids: dict[str, str],
) -> int:
    """Give each demo user without playlists their library; how many playlists were made."""
    by_key = {demo.key: (demo, user) for demo, user in users}
    library = services.library
    made = 0
    fresh = {
        key
        for key, (_, user) in by_key.items()
        if library.playlists_of(user_id=user.id, limit=1, offset=0)[1] == 0
    }
    for spec in PLAYLISTS:
        if spec.owner not in fresh or spec.owner not in by_key:
            continue
        demo, owner = by_key[spec.owner]
        tracks = _favourites(demo, pieces, piece_ids)
        if not tracks:
            continue
        playlist = library.create(
            owner_id=owner.id,
            name=spec.name,
            description=spec.description,
            public=not spec.collaborative,  # collaborative playlists are private
            collaborative=spec.collaborative,
        )
        library.add_tracks(user_id=owner.id, playlist_id=playlist.id, track_ids=tracks[:-1])
        made += 1
        if spec.invited in by_key:
            guest = by_key[spec.invited][1]
            library.invite(owner_id=owner.id, playlist_id=playlist.id, collaborator_id=guest.id)
            library.add_tracks(user_id=guest.id, playlist_id=playlist.id, track_ids=tracks[-1:])
    for key in fresh:
        demo, user = by_key[key]
        favourites = _favourites(demo, pieces, piece_ids)
        library.like(user_id=user.id, track_ids=favourites[:LIKED])
        with services.uow(readonly=True) as uow:
            found = uow.tracks.get_many(set(favourites))
        artists = list(dict.fromkeys(found[t].artist_ids[0] for t in favourites if t in found))
        if artists:
            library.follow_artists(user_id=user.id, artist_ids=artists[:LIKED])
    return made


def _favourites(
    demo: DemoUser, pieces: Sequence[PieceSpec], piece_ids: dict[str, str]
) -> list[str]:
    """Every playable piece, the user's genres first."""
    ranked = sorted(pieces, key=lambda piece: (piece.genre not in demo.genres, piece.isrc))
    return [piece_ids[piece.isrc] for piece in ranked if piece.isrc in piece_ids]
