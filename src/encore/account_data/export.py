"""The archive of everything Encore holds about a listener: which files, in which order, and
their README. Every section is written twice, as JSON (an array of objects) and as CSV."""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from encore.account_data.archive import ZipStream, csv_lines, json_array_lines, json_bytes
from encore.account_data.ports import ExportSource, Record

BATCH = 5_000  # rows read from storage at a time


@dataclass(frozen=True, slots=True)
class Section:
    name: str  # the file names' stem
    columns: tuple[str, ...]
    about: str  # its line in the README


SECTIONS: tuple[Section, ...] = (
    Section(
        "plan_history",
        ("changed_at", "from_plan", "to_plan", "changed_by", "reason", "idempotency_key"),
        "every change of plan, with who made it",
    ),
    Section(
        "family",
        ("owner_id", "member_id", "status", "invited_at", "joined_at"),
        "the family or duo plan you own or belong to",
    ),
    Section(
        "sessions",
        ("issued_at", "expires_at", "used_at", "revoked_at"),
        "sign-in sessions (refresh tokens; the tokens themselves are never stored)",
    ),
    Section(
        "playlists",
        (
            "id",
            "role",
            "name",
            "description",
            "public",
            "collaborative",
            "owner_id",
            "snapshot_id",
            "created_at",
            "updated_at",
        ),
        "playlists you own or edit with others (role owner or collaborator); in the JSON "
        "each comes with its tracks",
    ),
    Section(
        "playlist_tracks",
        ("playlist_id", "position", "track_id", "track", "added_at", "added_by", "added_by_name"),
        "the tracks of those playlists, with who added each",
    ),
    Section(
        "likes", ("liked_at", "track_id", "track", "artists"), "your Liked Songs, newest first"
    ),
    Section(
        "follows",
        ("followed_at", "target_type", "target_id", "name"),
        "the artists, playlists and listeners you follow",
    ),
    Section(
        "starred_albums",
        ("starred_at", "album_id", "album"),
        "albums you starred from a Subsonic app",
    ),
    Section(
        "ratings",
        ("rated_at", "target_type", "target_id", "rating"),
        "your 1-5 ratings from a Subsonic app",
    ),
    Section(
        "subsonic_credentials",
        ("username", "created_at"),
        "your Subsonic credential (its password and API key are never exported)",
    ),
    Section(
        "recommendations",
        ("playlist_id", "kind", "slot", "name", "source", "period_start", "generated_at"),
        "Discover Weekly, Daily Mixes and Release Radar made for you",
    ),
    Section(
        "recommendation_tracks",
        ("playlist_id", "position", "track_id", "track"),
        "their tracks",
    ),
    Section(
        "history",
        (
            "listened_at",
            "track_id",
            "track",
            "duration_played_ms",
            "completed",
            "skipped",
            "context_type",
            "context_id",
            "device",
            "received_at",
            "event_id",
        ),
        "your whole listening history, oldest first",
    ),
)

README = """Your data from Encore
=====================

Exported {exported_at} for {email} (user id {user_id}).

Each section is here twice: NAME.json (an array of objects) and NAME.csv (UTF-8, a header
row, times in ISO 8601 UTC, lists joined with "; ").

profile.json        your account: email, display name, country, plan, time zone, when it began
now_playing.json    what you were playing, if anything right now (null otherwise)
wrapped/YEAR.json   your Wrapped summary of each year it was computed for
{sections}

A track's name is given beside its id as the catalog has it now; "deleted user" stands for a
listener who has deleted their account.
"""


def archive(
    source: ExportSource,
    *,
    user_id: str,
    profile: Record,
    now_playing: Record | None,
    exported_at: datetime,
    batch: int = BATCH,
) -> Iterator[bytes]:
    """The zip archive's bytes, produced as it is written."""
    stream = ZipStream()

    def write(name: str, parts: Iterable[bytes]) -> Iterator[bytes]:
        with stream.entry(name) as entry:
            for part in parts:
                entry.write(part)
                if stream.ready():
                    yield from stream.chunks()
        yield from stream.chunks()

    readme = README.format(
        exported_at=exported_at.isoformat(timespec="seconds"),
        email=profile.get("email"),
        user_id=user_id,
        sections="\n".join(
            f"{section.name + '.json/.csv':<20}{section.about}" for section in SECTIONS
        ),
    )
    yield from write("README.txt", [readme.encode()])
    yield from write("profile.json", [json_bytes(profile)])
    yield from write("now_playing.json", [json_bytes(now_playing)])
    for section in SECTIONS:

        def rows(section: Section = section) -> Iterator[Sequence[Record]]:
            return source.records(section.name, user_id, batch=batch)

        if section.name == "playlists":
            json_parts = json_array_lines(_with_tracks(source, user_id, rows()))
        else:
            json_parts = json_array_lines(rows())
        yield from write(f"{section.name}.json", json_parts)
        yield from write(f"{section.name}.csv", csv_lines(section.columns, rows()))
    for year, document in source.wrapped(user_id):
        yield from write(f"wrapped/{year}.json", [document])
    stream.close()
    yield from stream.chunks()


def _with_tracks(
    source: ExportSource, user_id: str, playlists: Iterable[Sequence[Record]]
) -> Iterator[list[Record]]:
    """Each playlist with its tracks nested (a playlist holds 10,000 tracks at most)."""
    for batch in playlists:
        yield [
            {**playlist, "tracks": source.playlist_tracks(str(playlist["id"]), user_id)}
            for playlist in batch
        ]
