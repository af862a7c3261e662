"""The open-loop mixed load: requests at a fixed rate, each sent at its scheduled time whether or
not the earlier ones have answered, its latency measured from that scheduled time (so a stall
counts against every request it delays: no coordinated omission).

Runs as a process of its own, apart from the fleet it loads and from whoever reads its results:
    python -m tests.soak.generator PLAN.json OUT.json --rate 200 --seconds 20 [--share 0/2]
With `--share j/k`, k such processes split the rate, this one sending requests j, j+k, ...
It imports nothing of Encore: the plan (tests/soak/workload.py) is all it knows.
"""

import argparse
import asyncio
import json
import random
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx

# The mix, by weight: what a listener's player does most (stream URLs, then audio), then
# search, listening-event batches and playlist edits.
MIX = {"stream_url": 35, "audio_range": 25, "search": 15, "events": 15, "playlist_add": 10}
EVENTS_PER_BATCH = 5
RANGE_BYTES = 64 * 1024
TIMEOUT_S = 10.0
# A request dispatched this late after its scheduled time was not held at the rate.
HELD_TOLERANCE_S = 0.010
Client = httpx.AsyncClient
Headers = dict[str, str]


class Load:
    def __init__(self, plan: dict[str, Any], seed: int) -> None:
        self.plan = plan
        self.chooser = random.Random(seed)
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter[str]] = defaultdict(Counter)
        self.lags: list[float] = []
        self.timeline: dict[int, Counter[str]] = defaultdict(Counter)
        self.events: dict[int, list[str]] = defaultdict(list)
        self.edits: Counter[int] = Counter()

    def route(self) -> str:
        return self.chooser.choices(list(MIX), weights=list(MIX.values()))[0]

    async def one(
        self, client: httpx.AsyncClient, number: int, route: str, scheduled: float, t0: float
    ) -> None:
        user = number % len(self.plan["tokens"])
        headers = {"Authorization": f"Bearer {self.plan['tokens'][user]}"}
        second = int(scheduled - t0)
        try:
            problem = await getattr(self, f"route_{route}")(client, user, headers)
        except (httpx.HTTPError, ValueError, KeyError) as error:
            # No answer, or not the answer's shape (ValueError: not JSON): an error either way.
            problem = type(error).__name__
        latency = time.perf_counter() - scheduled
        self.latencies[route].append(round(latency * 1000, 3))
        self.timeline[second]["done"] += 1
        if problem:
            self.errors[route][problem] += 1
            self.timeline[second]["errors"] += 1
            self.timeline[second][f"errors:{route}"] += 1

    async def route_stream_url(self, client: Client, user: int, headers: Headers) -> str:
        track = self.chooser.choice(self.plan["track_ids"])
        answer = await client.get(f"/api/v1/tracks/{track}/stream?quality=normal", headers=headers)
        if answer.status_code != 200 or "stream_url" not in answer.json():
            return str(answer.status_code)
        return ""

    async def route_audio_range(self, client: Client, user: int, _: Headers) -> str:
        path = self.chooser.choice(self.plan["audio_paths"])
        start = self.chooser.randrange(0, self.plan["audio_bytes"] - RANGE_BYTES)
        answer = await client.get(
            path, headers={"Range": f"bytes={start}-{start + RANGE_BYTES - 1}"}
        )
        if answer.status_code != 206 or len(answer.content) != RANGE_BYTES:
            return f"{answer.status_code}/{len(answer.content)}B"
        return ""

    async def route_search(self, client: Client, user: int, headers: Headers) -> str:
        query = self.chooser.choice(self.plan["queries"])
        answer = await client.get(
            "/api/v1/search", params={"q": query, "type": "track", "limit": 10}, headers=headers
        )
        if answer.status_code != 200 or "tracks" not in answer.json():
            return str(answer.status_code)
        return ""

    async def route_events(self, client: Client, user: int, headers: Headers) -> str:
        now = datetime.now(UTC).isoformat()
        batch = [
            {
                "id": uuid.uuid4().hex,
                "type": "play_ended",
                "track_id": self.chooser.choice(self.plan["track_ids"]),
                "timestamp": now,
                "duration_played_ms": 60_000,
                "completed": True,
                "device": "soak",
            }
            for _ in range(EVENTS_PER_BATCH)
        ]
        answer = await client.post(
            "/api/v1/me/player/events", json={"events": batch}, headers=headers
        )
        if answer.status_code != 202:
            return str(answer.status_code)
        statuses = answer.json()["events"]
        kept = [s["id"] for s in statuses if s["status"] in ("accepted", "clamped")]
        self.events[user].extend(kept)
        return "" if len(kept) == len(batch) else "event-rejected"

    async def route_playlist_add(
        self, client: httpx.AsyncClient, user: int, headers: dict[str, str]
    ) -> str:
        playlist = self.plan["playlist_ids"][user]
        track = self.chooser.choice(self.plan["track_ids"])
        answer = await client.post(
            f"/api/v1/playlists/{playlist}/tracks", json={"track_ids": [track]}, headers=headers
        )
        if answer.status_code != 201:
            return str(answer.status_code)
        self.edits[user] += 1
        return ""


async def run(
    plan: dict[str, Any],
    *,
    rate: float,
    seconds: float,
    share: int,
    shares: int,
    start_at: float | None = None,
) -> dict[str, Any]:
    load = Load(plan, seed=share)
    total = int(rate * seconds)
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    tasks: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(
        base_url=plan["base_url"], limits=limits, timeout=TIMEOUT_S
    ) as client:
        # Every share starts on the same wall-clock second when told one (and faults are timed
        # from it); else shortly after this process is ready.
        lead = 0.2 if start_at is None else max(0.0, start_at - time.time())
        t0 = time.perf_counter() + lead
        for number in range(share, total, shares):
            scheduled = t0 + number / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            load.lags.append(time.perf_counter() - scheduled)
            load.timeline[int(scheduled - t0)]["scheduled"] += 1
            task = asyncio.create_task(load.one(client, number, load.route(), scheduled, t0))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
        elapsed = time.perf_counter() - t0
    lags = load.lags
    return {
        "scheduled": len(lags),
        "held": sum(1 for lag in lags if lag <= HELD_TOLERANCE_S),
        "dispatch_lag_ms": sorted(round(lag * 1000, 3) for lag in lags),
        "elapsed_s": elapsed,
        "latencies_ms": load.latencies,
        "errors": {route: dict(counts) for route, counts in load.errors.items()},
        "timeline": {second: dict(counts) for second, counts in sorted(load.timeline.items())},
        "acknowledged": {"events": load.events, "edits": dict(load.edits)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--rate", type=float, required=True, help="requests/s, all shares")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--share", default="0/1", help="j/k: this process's share")
    parser.add_argument("--start-at", type=float, help="UNIX time of the first request")
    arguments = parser.parse_args()
    share, shares = (int(part) for part in arguments.share.split("/"))
    plan = json.loads(arguments.plan.read_text())
    result = asyncio.run(
        run(
            plan,
            rate=arguments.rate,
            seconds=arguments.seconds,
            share=share,
            shares=shares,
            start_at=arguments.start_at,
        )
    )
    arguments.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
