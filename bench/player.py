"""The web player in Chromium on loopback: click on play to the first `playing` event and to
audio time > 0 (p50, p99 over 50 plays), and the track-to-track gap with pre-fetching against
the same switch without it (the peer, measured in the same run, alternating).

Builds a small demo in a temporary directory, serves it with `encore serve`, drives Debian's
Chromium (/usr/bin/chromium) through Playwright. Every timing is taken inside the page with
`performance.now()`; a play starts a track that is not the pre-fetched one, so the click
pays for the stream URL, the first bytes and the decoder start.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine_info, print_table, ratio, write_results

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.running import running_encore  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
EMAIL = "premium@demo.encore"

# Click a track row, then wait (polling on a message channel, sub-millisecond) for the first
# `playing` event and for currentTime > 0 of whichever element is playing.
CLICK_TO_PLAY = """async (index) => {
  const player = window.encore.player;
  player.audio.pause();
  const rows = document.querySelectorAll('section.playlist .track-play');
  const channel = new MessageChannel();
  const tick = () => new Promise((r) => {
    channel.port1.onmessage = r;
    channel.port2.postMessage(0);
  });
  let playingAt = null;
  const onPlaying = () => { if (playingAt === null) playingAt = performance.now(); };
  for (const a of [player.audio, player.standby]) a.addEventListener('playing', onPlaying);
  const t0 = performance.now();
  rows[index].click();
  let timeAt = null;
  while (performance.now() - t0 < 10000) {
    await tick();
    const audible = player.audio.currentTime > 0 && !player.audio.paused;
    if (timeAt === null && audible) timeAt = performance.now();
    if (timeAt !== null && playingAt !== null) break;
  }
  for (const a of [player.audio, player.standby]) a.removeEventListener('playing', onPlaying);
  return { playing: playingAt - t0, time: timeAt - t0 };
}"""

# Play track `index`, seek near its end, and measure from its `ended` to the next track's
# `playing` and to its currentTime > 0.
SWITCH = """async ({ index, prefetch }) => {
  const player = window.encore.player;
  if (!prefetch) { player.prefetchOff = true; player.dropStandby(); }
  else player.prefetchOff = false;
  const rows = document.querySelectorAll('section.playlist .track-play');
  const channel = new MessageChannel();
  const tick = () => new Promise((r) => {
    channel.port1.onmessage = r;
    channel.port2.postMessage(0);
  });
  rows[index].click();
  while (!(player.audio.currentTime > 0)) await tick();
  const first = player.audio;
  const firstTrack = player.track;
  // Wait for the next track's first bytes (with pre-fetching) as a listener would have.
  const ready = performance.now();
  const buffered = () => player.standbyFor && player.standby.readyState >= 3;
  while (prefetch && !buffered() && performance.now() - ready < 5000) await tick();
  first.currentTime = Math.max(0, first.duration - 0.3);
  await new Promise((r) => first.addEventListener('ended', r, { once: true }));
  const t0 = performance.now();
  let playingAt = null;
  const onPlaying = () => { if (playingAt === null) playingAt = performance.now(); };
  for (const a of [player.audio, player.standby]) a.addEventListener('playing', onPlaying);
  let timeAt = null;
  while (performance.now() - t0 < 10000) {
    await tick();
    const a = player.audio;
    const next = player.track !== firstTrack && !a.paused && a.currentTime > 0 && a.currentTime < 2;
    if (timeAt === null && next) timeAt = performance.now();
    if (timeAt !== null && playingAt !== null) break;
  }
  for (const a of [player.audio, player.standby]) a.removeEventListener('playing', onPlaying);
  player.audio.pause();
  player.prefetchOff = false;
  return { playing: playingAt - t0, time: timeAt - t0 };
}"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def build_demo(data: Path) -> dict[str, str]:
    subprocess.run(
        [
            *(sys.executable, "-m", "encore", "demo", "--data", str(data), "--pieces", "4"),
            *("--listeners", "4", "--catalog-size", "100", "--weeks", "2"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    passwords: dict[str, str] = json.loads((data / "demo" / "credentials.json").read_text())
    return passwords


def run(plays: int, switches: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        passwords = build_demo(data)
        with running_encore(data) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
            )
            page = browser.new_page()
            base = f"http://127.0.0.1:{server.port}/"
            page.goto(base)
            page.fill("#signin-email", EMAIL)
            page.fill("#signin-password", passwords[EMAIL])
            page.click("form.signin button[type=submit]")
            page.wait_for_selector("section.home")
            page.goto(base + "#/library")
            page.click("text=Night Drive")
            page.wait_for_selector("section.playlist .track-play")
            count = page.locator("section.playlist .track-play").count()
            page.evaluate(CLICK_TO_PLAY, 0)  # warm-up: caches, decoder, first grant
            clicks = []
            for n in range(plays):
                # Every other track: never the one already buffering as "next".
                clicks.append(page.evaluate(CLICK_TO_PLAY, (2 * n) % count))
            gaps: dict[bool, list[dict[str, float]]] = {True: [], False: []}
            for n in range(switches):
                for prefetch in (True, False):
                    index = n % (count - 1)
                    gaps[prefetch].append(
                        page.evaluate(SWITCH, {"index": index, "prefetch": prefetch})
                    )
            browser.close()
    return {"clicks": clicks, "gaps": {"prefetch": gaps[True], "cold": gaps[False]}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 plays and 3 switches")
    args = parser.parse_args()
    plays, switches = (10, 3) if args.quick else (50, 10)
    machine = machine_info()
    started = time.monotonic()
    measured = run(plays, switches)
    playing = [c["playing"] for c in measured["clicks"]]
    audible = [c["time"] for c in measured["clicks"]]
    gap_pre = [g["time"] for g in measured["gaps"]["prefetch"]]
    gap_cold = [g["time"] for g in measured["gaps"]["cold"]]
    figures = {
        "click_to_playing_ms": {
            "p50": statistics.median(playing),
            "p99": percentile(playing, 0.99),
        },
        "click_to_audio_time_ms": {
            "p50": statistics.median(audible),
            "p99": percentile(audible, 0.99),
        },
        "switch_gap_prefetched_ms": {"p50": statistics.median(gap_pre), "max": max(gap_pre)},
        "switch_gap_cold_ms": {"p50": statistics.median(gap_cold), "max": max(gap_cold)},
        "switch_gap_ratio_prefetched_to_cold": ratio(
            statistics.median(gap_pre), statistics.median(gap_cold)
        ),
        "targets": {"click_p50_ms": 100, "click_p99_ms": 200, "switch_gap_ms": 50},
    }
    print_table(
        f"Web player in Chromium on loopback ({plays} plays, {switches} switches each way)",
        ["measure", "p50 ms", "p99 / max ms"],
        [
            [
                "click -> playing event",
                f"{figures['click_to_playing_ms']['p50']:.1f}",
                f"{figures['click_to_playing_ms']['p99']:.1f}",
            ],
            [
                "click -> audio time > 0",
                f"{figures['click_to_audio_time_ms']['p50']:.1f}",
                f"{figures['click_to_audio_time_ms']['p99']:.1f}",
            ],
            [
                "switch gap, pre-fetched",
                f"{figures['switch_gap_prefetched_ms']['p50']:.1f}",
                f"{figures['switch_gap_prefetched_ms']['max']:.1f}",
            ],
            [
                "switch gap, not pre-fetched (peer)",
                f"{figures['switch_gap_cold_ms']['p50']:.1f}",
                f"{figures['switch_gap_cold_ms']['max']:.1f}",
            ],
        ],
    )
    print(f"pre-fetched gap / cold gap: {figures['switch_gap_ratio_prefetched_to_cold']:.2f}")
    path = write_results(
        "player",
        {
            "figures": figures,
            "runs": measured,
            "parameters": {"plays": plays, "switches": switches},
            "seconds": round(time.monotonic() - started, 1),
        },
        machine=machine,
    )
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
