"""Bad input thrown at a running fleet: malformed bodies, forged tokens and signatures, broken
Range headers, oversized and nonsensical requests, each of which must be refused: a 4xx answer
(never a 5xx, never a hang), or for a batch of listening events, whose answer is 202 with a
status per event, every event rejected. Used by bench/faults.py beside the mixed load, and by
the fleet's CI test.

Every request is built from the load's plan (real tokens, ids and signed audio paths), so that
what is bad about it is the one thing each case changes.
"""

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx

from tests.soak.workload import Plan

Request = dict[str, Any]  # keyword arguments of httpx.Client.request
TIMEOUT_S = 10.0


def _forged(token: str) -> str:
    head, payload, signature = token.split(".")
    return f"{head}.{payload}.{signature[::-1]}"


def _tampered(path: str) -> str:
    # Flip one hex digit of the signature: the URL must be refused, not served.
    at = path.rindex("sig=") + 4
    digit = "0" if path[at] != "0" else "1"
    return path[:at] + digit + path[at + 1 :]


def cases(plan: Plan, pick: random.Random) -> list[tuple[str, Callable[[], Request]]]:
    """Named makers of bad requests."""

    def token() -> dict[str, str]:
        return {"Authorization": f"Bearer {pick.choice(plan.tokens)}"}

    def track() -> str:
        return pick.choice(plan.track_ids)

    def playlist() -> str:
        return pick.choice(plan.playlist_ids)

    def audio() -> str:
        return pick.choice(plan.audio_paths)

    return [
        ("malformed JSON body", lambda: {
            "method": "POST", "url": "/api/v1/playlists", "headers": token(),
            "content": b'{"name": "open', "extra": {"content-type": "application/json"}}),
        ("wrong body types", lambda: {
            "method": "POST", "url": f"/api/v1/playlists/{playlist()}/tracks",
            "headers": token(), "json": {"track_ids": "not-a-list", "position": -5}}),
        ("position far past the end", lambda: {
            "method": "POST", "url": f"/api/v1/playlists/{playlist()}/tracks",
            "headers": token(), "json": {"track_ids": [track()], "position": 10**9}}),
        ("oversized body", lambda: {
            "method": "POST", "url": "/api/v1/me/player/events", "headers": token(),
            "content": b"[" + b"0," * 1_500_000 + b"0]",
            "extra": {"content-type": "application/json"}}),
        ("events with nonsense", lambda: {
            "method": "POST", "url": "/api/v1/me/player/events", "headers": token(),
            "json": {"events": [{"id": "", "type": "teleported", "track_id": "../../etc",
                                 "timestamp": "yesterday", "duration_played_ms": -1}]}}),
        ("forged token", lambda: {
            "method": "GET", "url": f"/api/v1/tracks/{track()}",
            "headers": {"Authorization": f"Bearer {_forged(pick.choice(plan.tokens))}"}}),
        ("token of no kind", lambda: {
            "method": "GET", "url": "/api/v1/me",
            "headers": {"Authorization": "Bearer e30.e30.e30"}}),
        ("malformed id", lambda: {
            "method": "GET", "url": "/api/v1/tracks/%00%ff..%2f", "headers": token()}),
        ("stream URL, unknown quality", lambda: {
            "method": "GET", "url": f"/api/v1/tracks/{track()}/stream?quality=ultra",
            "headers": token()}),
        ("search, huge query", lambda: {
            "method": "GET", "url": "/api/v1/search", "headers": token(),
            "params": {"q": "x" * 5_000, "type": "track", "limit": 20}}),
        ("search, bad paging", lambda: {
            "method": "GET", "url": "/api/v1/search", "headers": token(),
            "params": {"q": "blue", "type": "spaceship", "limit": -1, "offset": "many"}}),
        ("tampered audio signature", lambda: {"method": "GET", "url": _tampered(audio())}),
        ("audio URL with its expiry changed", lambda: {
            "method": "GET", "url": audio().replace("exp=", "exp=1", 1)}),
        ("unsatisfiable Range", lambda: {
            "method": "GET", "url": audio(),
            "headers": {"Range": f"bytes={plan.audio_bytes * 4}-"}}),
        ("sign-in, wrong grant", lambda: {
            "method": "POST", "url": "/api/v1/auth/token",
            "data": {"grant_type": "telepathy", "username": "a", "password": "b"}}),
        ("plan change without a key", lambda: {
            "method": "PUT", "url": "/api/v1/me/plan", "headers": token(),
            "json": {"plan": "platinum"}}),
        ("stale If-Match", lambda: {
            "method": "DELETE", "url": f"/api/v1/playlists/{playlist()}/tracks",
            "headers": {**token(), "If-Match": "not-a-snapshot"},
            "json": {"track_ids": [track()]}}),
        ("unknown route", lambda: {
            "method": "GET", "url": "/api/v1/../../../../etc/passwd", "headers": token()}),
        ("method not allowed", lambda: {
            "method": "PATCH", "url": f"/api/v1/tracks/{track()}", "headers": token()}),
    ]  # fmt: skip


def _refused(answer: httpx.Response) -> bool:
    if answer.status_code == 202 and answer.request.url.path == "/api/v1/me/player/events":
        return all(event["status"] == "rejected" for event in answer.json()["events"])
    return 400 <= answer.status_code < 500


@dataclass
class BadInputResult:
    tried: int = 0
    by_case: Counter[str] = field(default_factory=Counter)
    # Answers that were not 4xx (a 5xx, a 2xx to something bad, or no answer), with the case.
    wrong: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"tried": self.tried, "by_case": dict(self.by_case), "wrong": self.wrong}


def throw(plan: Plan, *, count: int, seed: int = 9457) -> BadInputResult:
    """Send `count` bad requests (the cases in turn) and check every answer is a 4xx."""
    pick = random.Random(seed)
    made = cases(plan, pick)
    result = BadInputResult()
    with httpx.Client(base_url=plan.base_url, timeout=TIMEOUT_S) as client:
        for number in range(count):
            name, make = made[number % len(made)]
            request = make()
            extra = request.pop("extra", None)
            if extra:
                request["headers"] = {**request.get("headers", {}), **extra}
            result.tried += 1
            result.by_case[name] += 1
            try:
                answer = client.request(**request)
            except httpx.HTTPError as error:
                result.wrong.append(f"{name}: no answer ({type(error).__name__})")
                continue
            if not _refused(answer):
                result.wrong.append(f"{name}: {answer.status_code}")
    return result
