"""The demo's accounts: three to sign in with (a free listener, a premium one, an operator),
whose passwords are printed and kept in the data directory, and synthetic listeners that are
real accounts nobody can sign in to."""

import json
import os
import random
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from encore.accounts.model import Plan, User
from encore.bootstrap import Services
from encore.demo import catalog, listeners
from encore.ids import new_id

DOMAIN = "demo.encore"
# No Argon2 hash ever equals this, so no password opens these accounts.
NO_PASSWORD = "!demo-listener"  # noqa: S105  # a marker, not a password


@dataclass(frozen=True, slots=True)
class DemoUser:
    key: str
    name: str
    plan: Plan
    country: str
    genres: tuple[str, ...]  # what they like; the streamable artists of these are favourites
    admin: bool = False  # an operator: sees the admin page

    @property
    def email(self) -> str:
        return f"{self.key}@{DOMAIN}"


DEMO_USERS = (
    DemoUser("free", "Free Demo", Plan.FREE, "DE", ("Folk", "Ambient", "Lo-Fi")),
    DemoUser("premium", "Premium Demo", Plan.PREMIUM, "US", ("Synthwave", "Techno", "Chiptune")),
    DemoUser("admin", "Demo Operator", Plan.PREMIUM, "GB", ("Ambient", "Techno"), admin=True),
)


class Credentials:
    """The demo users' passwords, in a file only the instance's owner may read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, str]:
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in saved.items()} if isinstance(saved, dict) else {}

    def save(self, saved: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(saved, handle, indent=2)


def demo_users(services: Services, credentials: Credentials) -> list[tuple[DemoUser, User]]:
    """Each demo user with their account, signed up through the account service where
    missing, with a new password saved before the account exists."""
    made = []
    saved = credentials.load()
    for demo in DEMO_USERS:
        with services.uow(readonly=True) as uow:
            user = uow.users.get_by_email(demo.email)
        if user is None:
            saved[demo.email] = _password()
            credentials.save(saved)
            user = services.accounts.add_user(
                email=demo.email,
                password=saved[demo.email],
                country=demo.country,
                display_name=demo.name,
                plan=demo.plan,
                is_admin=demo.admin,
            ).user
        made.append((demo, user))
    return made


def synthetic_listeners(services: Services, count: int, now: datetime) -> list[listeners.Listener]:
    """`count` listeners, made where missing: each from a generator seeded with its key, so the
    same listener lives in the same country whenever it is made."""
    countries = list(listeners.COUNTRIES)
    weights = [weight for _, weight in listeners.COUNTRIES.values()]
    made = []
    with services.uow() as uow:
        for number in range(count):
            key = f"listener-{number:03d}"
            user = uow.users.get_by_email(f"{key}@{DOMAIN}")
            if user is None:
                rng = random.Random(f"account:{key}")
                initial = rng.choice(string.ascii_uppercase)
                user = User(
                    id=new_id(),
                    email=f"{key}@{DOMAIN}",
                    password_hash=NO_PASSWORD,
                    display_name=f"{rng.choice(catalog.FIRST_NAMES)} {initial}.",
                    country=rng.choices(countries, weights=weights)[0],
                    plan=Plan.PREMIUM if rng.random() < 0.35 else Plan.FREE,
                    is_admin=False,
                    created_at=now - timedelta(days=rng.randint(60, 900)),
                )
                # Straight into the repository: the account service hashes a password, and
                # these accounts have none.
                uow.users.add(user)
            made.append(listeners.Listener(key=key, user_id=user.id, country=user.country))
        uow.commit()
    return made


def _password() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
