"""Plan changes (idempotent, audited) and family / duo groups over HTTP."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from encore.bootstrap import Services
from tests.e2e.conftest import Listener


def _change(
    client: TestClient, who: Listener, plan: str, key: str
) -> tuple[int, dict[str, object]]:
    response = client.put(
        "/api/v1/me/plan", json={"plan": plan}, headers={**who.auth, "Idempotency-Key": key}
    )
    return response.status_code, response.json()


def test_plan_change_is_audited_and_idempotent(
    client: TestClient, listener: Listener, services: Services
) -> None:
    status, first = _change(client, listener, "premium", "order-1")
    assert status == 200
    assert first["from_plan"] == "free"
    assert first["to_plan"] == "premium"
    assert first["replayed"] is False
    assert client.get("/api/v1/me", headers=listener.auth).json()["plan"] == "premium"

    repeat = client.put(
        "/api/v1/me/plan",
        json={"plan": "premium"},
        headers={**listener.auth, "Idempotency-Key": "order-1"},
    )
    assert repeat.status_code == 200
    assert repeat.headers["idempotent-replayed"] == "true"
    assert repeat.json()["id"] == first["id"]
    assert repeat.json()["replayed"] is True

    history = client.get("/api/v1/me/plan/history", headers=listener.auth).json()
    assert [(c["from_plan"], c["to_plan"]) for c in history] == [("free", "premium")]
    assert len(services.accounts.plan_history(listener.id)) == 1


def test_reusing_a_key_for_another_plan_is_refused(client: TestClient, listener: Listener) -> None:
    assert _change(client, listener, "premium", "k")[0] == 200
    status, problem = _change(client, listener, "duo", "k")
    assert status == 422
    assert problem["type"] == "/problems/invalid-input"
    assert client.get("/api/v1/me", headers=listener.auth).json()["plan"] == "premium"


def test_plan_change_needs_a_key_and_a_known_plan(client: TestClient, listener: Listener) -> None:
    missing = client.put("/api/v1/me/plan", json={"plan": "premium"}, headers=listener.auth)
    assert missing.status_code == 422
    unknown = client.put(
        "/api/v1/me/plan",
        json={"plan": "platinum"},
        headers={**listener.auth, "Idempotency-Key": "x"},
    )
    assert unknown.status_code == 422
    assert client.get("/api/v1/me", headers=listener.auth).json()["plan"] == "free"
    assert client.get("/api/v1/me/plan/history", headers=listener.auth).json() == []


def test_family_members_enjoy_the_owner_plan_until_it_ends(
    client: TestClient, make_listener: Callable[[str], Listener]
) -> None:
    owner, kid = make_listener("owner@example.com"), make_listener("kid@example.com")
    assert _change(client, owner, "family", "f1")[0] == 200
    invited = client.post(
        "/api/v1/me/plan/members", json={"email": "kid@example.com"}, headers=owner.auth
    )
    assert invited.status_code == 201
    assert invited.json()["status"] == "invited"
    # Invited is not yet in.
    assert client.get("/api/v1/me", headers=kid.auth).json()["product"] == "free"

    accepted = client.post(f"/api/v1/me/plan/invitations/{owner.id}", headers=kid.auth)
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "active"
    me = client.get("/api/v1/me", headers=kid.auth).json()
    assert (me["plan"], me["product"]) == ("free", "family")

    # Leaving the family plan ends the memberships with it.
    assert _change(client, owner, "premium", "f2")[0] == 200
    assert client.get("/api/v1/me", headers=kid.auth).json()["product"] == "free"
    assert client.get("/api/v1/me/plan/members", headers=owner.auth).json() == []


def test_duo_has_room_for_two(client: TestClient, make_listener: Callable[[str], Listener]) -> None:
    owner = make_listener("owner@example.com")
    make_listener("one@example.com")
    make_listener("two@example.com")
    assert _change(client, owner, "duo", "d1")[0] == 200
    first = client.post(
        "/api/v1/me/plan/members", json={"email": "one@example.com"}, headers=owner.auth
    )
    assert first.status_code == 201
    second = client.post(
        "/api/v1/me/plan/members", json={"email": "two@example.com"}, headers=owner.auth
    )
    assert second.status_code == 409
    assert "full" in second.json()["detail"]


def test_family_has_room_for_six(
    client: TestClient, make_listener: Callable[[str], Listener]
) -> None:
    owner = make_listener("owner@example.com")
    assert _change(client, owner, "family", "f")[0] == 200
    statuses = []
    for n in range(6):
        make_listener(f"member{n}@example.com")
        statuses.append(
            client.post(
                "/api/v1/me/plan/members",
                json={"email": f"member{n}@example.com"},
                headers=owner.auth,
            ).status_code
        )
    assert statuses == [201] * 5 + [409]


def test_shrinking_a_full_family_to_duo_is_refused(
    client: TestClient, make_listener: Callable[[str], Listener]
) -> None:
    owner = make_listener("owner@example.com")
    assert _change(client, owner, "family", "f")[0] == 200
    for n in range(2):
        make_listener(f"m{n}@example.com")
        client.post(
            "/api/v1/me/plan/members", json={"email": f"m{n}@example.com"}, headers=owner.auth
        )
    status, problem = _change(client, owner, "duo", "d")
    assert status == 409
    assert "remove members first" in str(problem["detail"])
    assert client.get("/api/v1/me", headers=owner.auth).json()["plan"] == "family"
    assert len(client.get("/api/v1/me/plan/history", headers=owner.auth).json()) == 1


def test_members_cannot_be_invited_twice_or_invite(
    client: TestClient, make_listener: Callable[[str], Listener]
) -> None:
    owner, other = make_listener("owner@example.com"), make_listener("other@example.com")
    kid = make_listener("kid@example.com")
    _change(client, owner, "family", "a")
    _change(client, other, "family", "b")
    assert (
        client.post(
            "/api/v1/me/plan/members", json={"email": kid.email}, headers=owner.auth
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/me/plan/members", json={"email": kid.email}, headers=other.auth
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/me/plan/members", json={"email": owner.email}, headers=owner.auth
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/me/plan/members", json={"email": "ghost@example.com"}, headers=owner.auth
        ).status_code
        == 404
    )
    free = make_listener("free@example.com")
    assert (
        client.post(
            "/api/v1/me/plan/members", json={"email": kid.email}, headers=free.auth
        ).status_code
        == 409
    )


def test_member_can_leave_and_owner_can_remove(
    client: TestClient, make_listener: Callable[[str], Listener]
) -> None:
    owner, a, b = (make_listener(f"{n}@example.com") for n in ("owner", "a", "b"))
    _change(client, owner, "family", "f")
    for member in (a, b):
        client.post("/api/v1/me/plan/members", json={"email": member.email}, headers=owner.auth)
        client.post(f"/api/v1/me/plan/invitations/{owner.id}", headers=member.auth)
    assert client.delete("/api/v1/me/plan/membership", headers=a.auth).status_code == 204
    assert client.delete(f"/api/v1/me/plan/members/{b.id}", headers=owner.auth).status_code == 204
    assert client.get("/api/v1/me/plan/members", headers=owner.auth).json() == []
    assert client.delete("/api/v1/me/plan/membership", headers=a.auth).status_code == 422
