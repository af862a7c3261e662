"""The people and things the authorization matrix asks about: one listener per role, their
playlists and a few playable tracks, in one Encore instance."""

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from encore.accounts.model import Plan
from encore.api.app import create_app
from encore.bootstrap import Services, bootstrap
from encore.config import load_settings
from tests.e2e.conftest import FAST_PASSWORDS
from tests.e2e.test_stream_api import _seed as seed_tracks

PASSWORD = "correct horse battery"
# In the order the matrix tries them: the roles whose writes succeed last, so that a delete
# or a removal does not take away what an earlier role's request was about.
ROLES = (
    "anonymous",
    "other",
    "free",
    "premium",
    "family_member",
    "collaborator",
    "admin",
    "family_owner",
    "owner",
)
SIGNED_IN = ROLES[1:]
PLANS = {"premium": Plan.PREMIUM, "family_owner": Plan.FAMILY}


@dataclass
class World:
    services: Services
    app: FastAPI
    client: TestClient
    ids: dict[str, str] = field(default_factory=dict)  # user ids by role, and the things below
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)  # access, refresh by role
    started: bool = True  # its lifespan ran

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]['access']}"}

    def close(self) -> None:
        if self.started:
            self.client.__exit__(None, None, None)
        self.services.close()

    def copy(self, data: Path, *, start: bool) -> "World":
        """Another instance holding the same people and things (closed first: its files are
        copied), for a test whose writes must not reach the others'."""
        shutil.copytree(self.services.settings.data_dir, data)
        made = _open(data, start=start)
        made.ids, made.tokens = dict(self.ids), {k: dict(v) for k, v in self.tokens.items()}
        return made


def _open(data: Path, *, start: bool) -> World:
    services = bootstrap(
        # Rate limits off: the matrix asks far more often than a listener may, and its subject
        # is who may do what, not how often (tests/e2e/test_rate_limits.py has that).
        load_settings(
            data_dir=data,
            login_attempts_per_minute=10_000,
            rate_limits=False,
            login_delay_max_s=0,
            recommend_check_s=0,
        ),
        passwords=FAST_PASSWORDS,
    )
    app = create_app(services)
    # Not on loopback: a client from elsewhere, as the matrix means anyone on the network.
    client = TestClient(app, raise_server_exceptions=False, client=("203.0.113.7", 40000))
    if start:  # the lifespan: event consumers and the rest; a short test does without
        client.__enter__()
    return World(services, app, client, started=start)


def build_world(data: Path) -> World:
    """A new instance with every role and thing in it, closed: copy it to use it."""
    world = _open(data, start=False)
    services = world.services
    accounts = services.accounts
    for role in SIGNED_IN:
        account = accounts.add_user(
            email=f"{role.replace('_', '-')}@example.com",
            password=PASSWORD,
            country="SE",
            display_name=role,
            plan=PLANS.get(role, Plan.FREE),
            is_admin=role == "admin",
        )
        world.ids[role] = account.id
    accounts.invite_member(owner_id=world.ids["family_owner"], email="family-member@example.com")
    accounts.accept_invitation(
        member_id=world.ids["family_member"], owner_id=world.ids["family_owner"]
    )
    for role in SIGNED_IN:
        pair = accounts.sign_in(email=f"{role.replace('_', '-')}@example.com", password=PASSWORD)
        world.tokens[role] = {"access": pair.access_token, "refresh": pair.refresh_token}
    tracks = seed_tracks(services)
    world.ids |= {"track": tracks.lossy, "lossless": tracks.lossless, "feed_only": tracks.feed_only}
    library, owner = services.library, world.ids["owner"]
    for name, public, collaborative in (
        ("public", True, False),
        ("private", False, False),
        ("shared", False, True),
    ):
        playlist = library.create(
            owner_id=owner, name=name, public=public, collaborative=collaborative
        )
        library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=[tracks.lossy] * 3)
        world.ids[name] = playlist.id
    library.invite(
        owner_id=owner, playlist_id=world.ids["shared"], collaborator_id=world.ids["collaborator"]
    )
    album = services.catalog.get_track(tracks.lossy).album.id
    world.ids["album"] = album
    world.ids["artist"] = services.catalog.get_track(tracks.lossy).artists[0].id
    world.close()
    return world
