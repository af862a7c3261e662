// Home: Discover Weekly, Daily Mixes, Release Radar, recently played, popular tracks.
import { api, ApiError } from "../api.js";
import { tracksOf } from "../player.js";
import { cover, h, loading, trackList } from "../ui.js";

// A personalised list that may not exist on this server yet (404): a clear empty state.
function personal(load, render, what) {
  return loading(
    () =>
      load().catch((error) => {
        if (error instanceof ApiError && error.status === 404) return { unavailable: true };
        throw error;
      }),
    (value) =>
      value.unavailable
        ? h("p", { class: "muted unavailable", dataset: { unavailable: what } }, `${what} is not available yet on this server.`)
        : render(value),
  );
}

export function mixCard(app, mix, context) {
  const tracks = tracksOf(mix);
  const first = tracks[0];
  const audible = tracks.some((t) => t.streamable !== false);
  return h(
    "div",
    { class: "mix" },
    first ? cover(first.album.id, mix.name, "md") : h("span", { class: "cover cover-md cover-missing" }),
    h("h3", {}, mix.name),
    mix.description ? h("p", { class: "muted" }, mix.description) : null,
    h(
      "button",
      { type: "button", class: "primary", disabled: !audible, onclick: () => app.player.playList(tracks, 0, context) },
      `Play ${mix.name}`,
    ),
    tracks.length && !audible ? h("p", { class: "muted no-audio" }, "None of these tracks has audio on this server yet.") : null,
  );
}

export function homeView(app) {
  const name = app.me ? app.me.display_name : "";
  return h(
    "section",
    { class: "home" },
    h("h1", {}, name ? `Good to hear you, ${name}` : "Home"),
    h("h2", {}, "Discover Weekly"),
    h("p", {}, h("a", { href: "#/playlist/discover-weekly" }, "Open Discover Weekly")),
    h("h2", {}, "Daily Mixes"),
    personal(
      () => api("/api/v1/me/daily-mixes"),
      (answer) => {
        const mixes = Array.isArray(answer) ? answer : answer.items || answer.mixes || [];
        return h("div", { class: "mixes" }, mixes.map((mix) => mixCard(app, mix, { type: "playlist", id: mix.id })));
      },
      "Daily Mixes",
    ),
    h("h2", {}, "Release Radar"),
    personal(
      () => api("/api/v1/me/release-radar"),
      (radar) => trackList(app, tracksOf(radar), { context: { type: "playlist", id: radar.id } }),
      "Release Radar",
    ),
    h("h2", {}, "Recently played"),
    loading(
      () => api("/api/v1/me/player/recently-played?limit=10"),
      (page) => trackList(app, dedupe(page.items.map((item) => item.track))),
    ),
    h("h2", {}, "Popular tracks"),
    loading(
      () => popular(),
      (tracks) => trackList(app, tracks, { context: { type: "search", id: null } }),
    ),
  );
}

function dedupe(tracks) {
  const seen = new Set();
  return tracks.filter((t) => !seen.has(t.id) && seen.add(t.id));
}

// The most popular playable tracks: top tracks of the artists the listener follows or played,
// else those of the first artists search finds.
async function popular() {
  const followed = await api("/api/v1/me/following?type=artist&limit=10").catch(() => null);
  let ids = followed ? followed.artists.items.map((a) => a.id) : [];
  if (!ids.length) {
    const recent = await api("/api/v1/me/player/recently-played?limit=20").catch(() => null);
    ids = recent ? [...new Set(recent.items.flatMap((i) => i.track.artists.map((a) => a.id)))] : [];
  }
  const artists = await Promise.all(ids.slice(0, 6).map((id) => api(`/api/v1/artists/${id}`).catch(() => null)));
  const tracks = dedupe(artists.filter(Boolean).flatMap((a) => a.top_tracks)).filter((t) => t.streamable !== false);
  return tracks.sort((a, b) => b.popularity - a.popularity).slice(0, 15);
}
