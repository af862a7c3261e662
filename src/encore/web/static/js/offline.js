// Playlists saved for offline listening (premium): audio and the playlist itself go into Cache
// Storage; the player plays a saved track from there, online or not. A save interrupted by a
// lost connection keeps what it has, says so, and resumes when the connection returns.
import { api, ApiError } from "./api.js";

const CACHE = "encore-offline-v1";
const INDEX = "encore.offline";
const QUALITY = "normal";
const listeners = new Set();
const running = new Map();

export function onOfflineChange(listener) {
  listeners.add(listener);
}

export function savedPlaylists() {
  try {
    return JSON.parse(localStorage.getItem(INDEX) || "{}");
  } catch {
    return {};
  }
}

function setState(playlistId, state) {
  const all = savedPlaylists();
  if (state === null) delete all[playlistId];
  else all[playlistId] = { ...(all[playlistId] || {}), ...state };
  localStorage.setItem(INDEX, JSON.stringify(all));
  for (const listener of listeners) listener(playlistId, all[playlistId] || null);
}

const audioKey = (trackId) => `/offline/audio/${trackId}`;
const playlistKey = (playlistId) => `/offline/playlist/${playlistId}`;

export async function offlineAudioUrl(trackId) {
  // Nothing saved: no need to open the cache on the way to every play.
  if (!("caches" in window) || !Object.keys(savedPlaylists()).length) return null;
  const cache = await caches.open(CACHE);
  const hit = await cache.match(audioKey(trackId));
  if (!hit) return null;
  return URL.createObjectURL(await hit.blob());
}

export async function offlinePlaylist(playlistId) {
  if (!("caches" in window)) return null;
  const hit = await (await caches.open(CACHE)).match(playlistKey(playlistId));
  return hit ? hit.json() : null;
}

// Save (or resume saving) a playlist; resolves with its state when done or interrupted.
export function saveForOffline(playlist) {
  if (running.has(playlist.id)) return running.get(playlist.id);
  const work = save(playlist).finally(() => running.delete(playlist.id));
  running.set(playlist.id, work);
  return work;
}

async function save(playlist) {
  const cache = await caches.open(CACHE);
  const tracks = playlist.tracks.items.map((item) => item.track).filter((t) => t.streamable);
  await cache.put(
    playlistKey(playlist.id),
    new Response(JSON.stringify(playlist), { headers: { "Content-Type": "application/json" } }),
  );
  let saved = 0;
  setState(playlist.id, { name: playlist.name, total: tracks.length, saved, state: "saving" });
  for (const track of tracks) {
    if (!(await cache.match(audioKey(track.id)))) {
      try {
        const grant = await api(`/api/v1/tracks/${track.id}/stream?quality=${QUALITY}`);
        const answer = await fetch(grant.stream_url);
        if (!answer.ok) throw new ApiError(answer.status, "Download failed");
        const bytes = await answer.blob();
        await cache.put(
          audioKey(track.id),
          new Response(bytes, { headers: { "Content-Type": bytes.type || "audio/ogg" } }),
        );
      } catch (error) {
        const lost = !navigator.onLine || error instanceof TypeError || error.status === 0;
        const message = lost
          ? `Connection lost after ${saved} of ${tracks.length} tracks; saving resumes when you are back online`
          : `Saving stopped after ${saved} of ${tracks.length} tracks: ${error.message}`;
        setState(playlist.id, { saved, state: "interrupted", message });
        return savedPlaylists()[playlist.id];
      }
    }
    saved += 1;
    setState(playlist.id, { saved, state: "saving" });
  }
  setState(playlist.id, { saved, state: "saved", message: "" });
  return savedPlaylists()[playlist.id];
}

export async function removeOffline(playlistId) {
  const playlist = await offlinePlaylist(playlistId);
  const cache = await caches.open(CACHE);
  if (playlist) {
    const keep = new Set();
    for (const [id, state] of Object.entries(savedPlaylists())) {
      if (id === playlistId) continue;
      const other = await offlinePlaylist(id);
      if (other) for (const item of other.tracks.items) keep.add(item.track.id);
      void state;
    }
    for (const item of playlist.tracks.items) {
      if (!keep.has(item.track.id)) await cache.delete(audioKey(item.track.id));
    }
  }
  await cache.delete(playlistKey(playlistId));
  setState(playlistId, null);
}

// Resume interrupted saves when the connection returns.
window.addEventListener("online", async () => {
  for (const [id, state] of Object.entries(savedPlaylists())) {
    if (state.state === "interrupted" || state.state === "saving") {
      const playlist = await offlinePlaylist(id);
      if (playlist) saveForOffline(playlist);
    }
  }
});
