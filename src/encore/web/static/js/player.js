// The playback engine: a queue, two audio elements (the one playing and the next track,
// already buffering), signed stream URLs with refresh, adaptive quality, listening events.
import { api, ApiError, coverUrl } from "./api.js";
import { newEventId, record } from "./outbox.js";
import { offlineAudioUrl } from "./offline.js";
import { AdaptiveQuality, rungOf } from "./quality.js";

const SAVED = "encore.queue";
const PROBE_BYTES = 131072;
// A grant this close to its expiry is asked for again before use.
const EXPIRY_MARGIN_MS = 60000;
const STALL_MS = 1500;

class Emitter {
  constructor() {
    this.listeners = new Map();
  }
  on(name, listener) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(listener);
  }
  emit(name, value) {
    for (const listener of this.listeners.get(name) || []) listener(value);
  }
}

function newAudio() {
  const audio = new Audio();
  audio.preload = "auto";
  return audio;
}

export class Player extends Emitter {
  constructor() {
    super();
    this.audio = newAudio(); // playing
    this.standby = newAudio(); // the next track, buffering
    this.standbyFor = null; // {track, grant, url}
    this.queue = []; // tracks, in play order when not shuffled
    this.order = []; // indices into queue: the order played
    this.position = -1; // index into order
    this.shuffle = false;
    this.repeat = "off"; // off | all | one
    this.current = null; // {track, grant, url, offline}
    this.adaptive = new AdaptiveQuality();
    this.radio = null; // {id}
    this.context = null;
    this.played = { ms: 0, last: null, started: false };
    this.retried = new Set();
    this.stallTimer = null;
    this.loading = 0; // a counter, so that a stale load never wins over a newer one
    this.volume = Number(localStorage.getItem("encore.volume") || "0.8");
    for (const audio of [this.audio, this.standby]) this.wire(audio);
    this.applyVolume();
    this.restore();
  }

  // --- state -----------------------------------------------------------------------------------

  get track() {
    return this.current ? this.current.track : null;
  }

  get quality() {
    return this.current && this.current.grant ? this.current.grant.quality : null;
  }

  upcoming() {
    return this.order.slice(this.position + 1).map((index) => this.queue[index]);
  }

  save() {
    const state = {
      queue: this.queue,
      order: this.order,
      position: this.position,
      shuffle: this.shuffle,
      repeat: this.repeat,
      time: this.audio.currentTime || 0,
      context: this.context,
    };
    try {
      localStorage.setItem(SAVED, JSON.stringify(state));
    } catch {
      // A full storage only costs the restored queue.
    }
  }

  restore() {
    try {
      const saved = JSON.parse(localStorage.getItem(SAVED) || "null");
      if (!saved || !Array.isArray(saved.queue)) return;
      this.queue = saved.queue;
      this.order = saved.order;
      this.position = saved.position;
      this.shuffle = !!saved.shuffle;
      this.repeat = saved.repeat || "off";
      this.context = saved.context || null;
      const index = this.order[this.position];
      if (index !== undefined) {
        this.current = { track: this.queue[index], grant: null, url: null, resumeAt: saved.time };
      }
    } catch {
      localStorage.removeItem(SAVED);
    }
  }

  // --- playing ---------------------------------------------------------------------------------

  // Play `tracks` from `start`, with `context` ({type, id}) for the listening events.
  // Tracks known by their metadata only (no audio on this server) stay out of the queue.
  async playList(tracks, start = 0, context = null) {
    const audible = (t) => t && t.id && t.streamable !== false;
    const playable = tracks.filter(audible);
    if (!playable.length) {
      this.emit("message", "Nothing here has audio on this server yet");
      return;
    }
    start = Math.max(0, playable.indexOf(tracks.slice(start).find(audible)));
    this.closePlay("skipped");
    this.queue = playable.slice();
    this.context = context;
    this.radio = context && context.type === "radio" ? { id: context.id } : null;
    this.order = this.queue.map((_, i) => i);
    if (this.shuffle) this.shuffleOrder(start);
    this.position = this.shuffle ? 0 : start;
    this.emit("queue");
    await this.load(this.position, { autoplay: true });
  }

  enqueue(track) {
    this.queue.push(track);
    this.order.push(this.queue.length - 1);
    this.dropStandby();
    this.emit("queue");
    this.save();
    if (this.position < 0) this.playList(this.queue, 0);
  }

  async toggle() {
    if (!this.current) return;
    if (!this.current.url) {
      await this.load(this.position, { autoplay: true, at: this.current.resumeAt || 0 });
      return;
    }
    if (this.audio.paused) await this.audio.play().catch((e) => this.failed(e));
    else this.audio.pause();
  }

  async next({ auto = false } = {}) {
    if (!auto) this.closePlay("skipped");
    if (this.repeat === "one" && auto) {
      this.audio.currentTime = 0;
      return this.audio.play();
    }
    let position = this.position + 1;
    if (position >= this.order.length) {
      if (this.radio) {
        await this.extendRadio();
      }
      if (position >= this.order.length) {
        if (this.repeat !== "all" || !this.order.length) {
          this.audio.pause();
          this.emit("state");
          return undefined;
        }
        position = 0;
      }
    }
    return this.load(position, { autoplay: true });
  }

  async previous() {
    if (this.audio.currentTime > 3 || this.position <= 0) {
      this.audio.currentTime = 0;
      return undefined;
    }
    this.closePlay("skipped");
    return this.load(this.position - 1, { autoplay: true });
  }

  seek(seconds) {
    if (!this.current || !Number.isFinite(seconds)) return;
    const duration = this.audio.duration || this.current.track.duration_ms / 1000;
    this.audio.currentTime = Math.max(0, Math.min(seconds, duration - 0.05));
  }

  setVolume(volume) {
    this.volume = Math.max(0, Math.min(1, volume));
    localStorage.setItem("encore.volume", String(this.volume));
    this.applyVolume();
    this.emit("volume", this.volume);
  }

  applyVolume() {
    this.audio.volume = this.volume;
    this.standby.volume = this.volume;
  }

  toggleShuffle() {
    this.shuffle = !this.shuffle;
    const playing = this.order[this.position];
    if (this.shuffle) {
      this.shuffleOrder(playing);
      this.position = 0;
    } else {
      this.order = this.queue.map((_, i) => i);
      this.position = Math.max(0, playing ?? 0);
    }
    this.dropStandby();
    this.emit("queue");
    this.save();
  }

  cycleRepeat() {
    this.repeat = { off: "all", all: "one", one: "off" }[this.repeat];
    this.dropStandby();
    this.emit("state");
    this.save();
  }

  shuffleOrder(first) {
    const rest = this.queue.map((_, i) => i).filter((i) => i !== first);
    for (let i = rest.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [rest[i], rest[j]] = [rest[j], rest[i]];
    }
    this.order = first === undefined || first < 0 ? rest : [first, ...rest];
  }

  // Move the upcoming track at `from` (0: the next one) to `to`.
  moveUpcoming(from, to) {
    const base = this.position + 1;
    const [moved] = this.order.splice(base + from, 1);
    if (moved === undefined) return;
    this.order.splice(base + Math.max(0, Math.min(to, this.order.length - base)), 0, moved);
    this.dropStandby();
    this.emit("queue");
    this.save();
    this.prefetch();
  }

  removeUpcoming(from) {
    this.order.splice(this.position + 1 + from, 1);
    this.dropStandby();
    this.emit("queue");
    this.save();
    this.prefetch();
  }

  jumpTo(upcomingIndex) {
    this.closePlay("skipped");
    return this.load(this.position + 1 + upcomingIndex, { autoplay: true });
  }

  // --- loading ---------------------------------------------------------------------------------

  async grant(track, quality) {
    const offline = await offlineAudioUrl(track.id).catch(() => null);
    if (offline) return { grant: { quality: "offline", expires_at: null }, url: offline, offline: true };
    const started = performance.now();
    const grant = await api(`/api/v1/tracks/${track.id}/stream?quality=${quality}`);
    this.emit("timing", { what: "grant", ms: performance.now() - started });
    return { grant, url: grant.stream_url, offline: false };
  }

  fresh(prepared) {
    if (!prepared || prepared.offline || !prepared.grant.expires_at) return true;
    return Date.parse(prepared.grant.expires_at) - Date.now() > EXPIRY_MARGIN_MS;
  }

  async load(position, { autoplay = true, at = 0, keepQuality = false } = {}) {
    const index = this.order[position];
    const track = this.queue[index];
    if (!track) return;
    const ticket = ++this.loading;
    this.position = position;
    this.retried.delete(track.id);
    const standby = this.standbyFor;
    const quality = keepQuality && this.quality ? this.quality : this.adaptive.pick();
    let prepared;
    if (standby && standby.track.id === track.id && this.fresh(standby) && at === 0) {
      // The next track is already buffering in the standby element: swap and play.
      [this.audio, this.standby] = [this.standby, this.audio];
      this.standby.removeAttribute("src");
      this.standby.load();
      this.standbyFor = null;
      prepared = standby;
    } else {
      this.dropStandby();
      this.current = { track, grant: null, url: null };
      this.emit("track", track);
      try {
        prepared = await this.grant(track, quality);
      } catch (error) {
        if (ticket !== this.loading) return;
        return this.unplayable(track, error);
      }
      if (ticket !== this.loading) return;
      this.audio.src = prepared.url;
      if (at) this.audio.currentTime = at;
    }
    this.current = { track, ...prepared };
    this.played = { ms: 0, last: null, started: false };
    this.audio.dataset.trackId = track.id;
    this.emit("track", track);
    this.emit("queue");
    this.mediaSession(track);
    this.save();
    if (autoplay) {
      try {
        await this.audio.play();
      } catch (error) {
        if (ticket === this.loading && error.name !== "AbortError") this.failed(error);
      }
    }
  }

  dropStandby() {
    if (this.standbyFor) {
      this.standby.removeAttribute("src");
      this.standby.load();
      this.standbyFor = null;
    }
  }

  nextPosition() {
    if (this.repeat === "one") return null;
    if (this.position + 1 < this.order.length) return this.position + 1;
    return this.repeat === "all" && this.order.length > 1 ? 0 : null;
  }

  // While a track plays: the next one's URL, a throughput probe, and its first bytes buffered.
  async prefetch() {
    if (this.prefetchOff) return; // the benchmark's peer: switching without pre-fetching
    const position = this.nextPosition();
    if (position === null) {
      if (this.radio && this.position + 3 >= this.order.length) this.extendRadio();
      return;
    }
    const track = this.queue[this.order[position]];
    if (!track || (this.standbyFor && this.standbyFor.track.id === track.id)) return;
    const ticket = this.loading;
    try {
      const prepared = await this.grant(track, this.adaptive.pick());
      if (ticket !== this.loading) return;
      if (!prepared.offline) this.probe(prepared.url);
      this.standbyFor = { track, ...prepared };
      this.standby.src = prepared.url;
      this.standby.load();
    } catch {
      // The next track will be asked for again when its turn comes.
    }
  }

  async probe(url) {
    const started = performance.now();
    try {
      const answer = await fetch(url, { headers: { Range: `bytes=0-${PROBE_BYTES - 1}` } });
      const bytes = (await answer.arrayBuffer()).byteLength;
      this.adaptive.sample(bytes, performance.now() - started);
      this.emit("quality", this.quality);
    } catch {
      // No sample this time.
    }
  }

  // --- faults ----------------------------------------------------------------------------------

  unplayable(track, error) {
    const why =
      error instanceof ApiError
        ? error.status === 451
          ? "it is not available in your country"
          : error.message
        : "it could not be loaded";
    this.emit("message", `Couldn't play "${track.name}": ${why}. Skipped.`);
    if (error instanceof ApiError && error.status === 401) return undefined;
    if (error instanceof ApiError && error.status === 0) {
      this.emit("state");
      return undefined; // the server is out of reach: skipping would fail the same way
    }
    return this.next({ auto: true });
  }

  failed(error) {
    this.emit("message", `Playback failed: ${error.message || error}`);
    this.emit("state");
  }

  // The audio element gave up: a URL that expired is asked for again and playback resumes
  // where it was; anything else skips the track and says so.
  async audioError() {
    const current = this.current;
    if (!current || !current.url) return;
    const track = current.track;
    const at = this.audio.currentTime || 0;
    if (!current.offline && !this.retried.has(track.id)) {
      this.retried.add(track.id);
      try {
        const prepared = await this.grant(track, current.grant.quality || this.adaptive.pick());
        if (this.current !== current) return;
        this.current = { track, ...prepared };
        this.audio.src = prepared.url;
        this.audio.currentTime = at;
        await this.audio.play();
        this.emit("quality", this.quality);
        return;
      } catch (error) {
        if (this.current !== current) return;
        if (error instanceof ApiError && error.status === 0) return this.unplayable(track, error);
      }
    }
    this.closePlay("skipped");
    return this.unplayable(track, new Error("the audio could not be loaded"));
  }

  stalled() {
    if (!this.current || this.current.offline || !this.current.grant) return;
    const before = this.current.grant.quality;
    const chosen = this.adaptive.stalled(before);
    this.emit("message", "Playback stalled: stepping quality down");
    if (rungOf(chosen) < rungOf(before)) {
      const at = this.audio.currentTime;
      this.dropStandby();
      this.replaceQuality(chosen, at);
    }
  }

  async replaceQuality(quality, at) {
    const current = this.current;
    try {
      const prepared = await this.grant(current.track, quality);
      if (this.current !== current) return;
      this.current = { track: current.track, ...prepared };
      this.audio.src = prepared.url;
      this.audio.currentTime = at;
      await this.audio.play();
      this.emit("quality", this.quality);
    } catch {
      // Stay on what plays.
    }
  }

  // --- radio -----------------------------------------------------------------------------------

  async startRadio(track) {
    let station;
    try {
      station = await api("/api/v1/radio", {
        method: "POST",
        json: { seed_type: "track", seed_id: track.id },
      });
    } catch (error) {
      const unavailable = error instanceof ApiError && [404, 405, 501].includes(error.status);
      this.emit(
        "message",
        unavailable ? "Radio is not available on this server yet" : `Radio: ${error.message}`,
      );
      return;
    }
    const tracks = tracksOf(station);
    await this.playList([track, ...tracks.filter((t) => t.id !== track.id)], 0, {
      type: "radio",
      id: station.id,
    });
    if (tracks.length < 3) this.extendRadio();
  }

  async extendRadio() {
    if (!this.radio || this.radio.pending) return;
    this.radio.pending = true;
    try {
      const more = tracksOf(await api(`/api/v1/radio/${this.radio.id}/next`)).filter((t) => t.streamable !== false);
      for (const track of more) {
        this.queue.push(track);
        this.order.push(this.queue.length - 1);
      }
      this.emit("queue");
    } catch (error) {
      this.emit("message", `Radio: ${error.message}`);
    } finally {
      if (this.radio) this.radio.pending = false;
    }
  }

  // --- events ----------------------------------------------------------------------------------

  event(type, extra = {}) {
    const track = this.track;
    if (!track) return;
    const context = this.context && this.context.type ? this.context : null;
    record({
      id: newEventId(),
      type,
      track_id: track.id,
      timestamp: new Date().toISOString(),
      context,
      device: "web",
      ...extra,
    }).catch(() => this.emit("message", "A play could not be stored on this device"));
  }

  // End the current play (if one started) with `play_ended` or `skipped`.
  closePlay(type) {
    if (!this.played.started) return;
    this.played.started = false;
    const completed = type === "play_ended";
    this.event(type, { duration_played_ms: Math.round(this.played.ms), completed });
  }

  wire(audio) {
    const active = () => audio === this.audio;
    audio.addEventListener("playing", () => {
      if (!active()) return;
      clearTimeout(this.stallTimer);
      if (!this.played.started) {
        this.played.started = true;
        this.event("play_started");
        api("/api/v1/me/player/now-playing", {
          method: "PUT",
          json: { track_id: this.track.id, progress_ms: 0, is_playing: true, device: "web" },
        }).catch(() => {});
        this.prefetch();
      }
      this.emit("state");
    });
    audio.addEventListener("pause", () => active() && this.emit("state"));
    audio.addEventListener("timeupdate", () => {
      if (!active()) return;
      const now = audio.currentTime;
      if (this.played.last !== null && now > this.played.last && now - this.played.last < 2) {
        this.played.ms += (now - this.played.last) * 1000;
      }
      this.played.last = now;
      this.emit("time", now);
    });
    audio.addEventListener("waiting", () => {
      if (!active() || audio.paused) return;
      clearTimeout(this.stallTimer);
      this.stallTimer = setTimeout(() => this.stalled(), STALL_MS);
    });
    audio.addEventListener("ended", () => {
      if (!active()) return;
      this.closePlay("play_ended");
      this.next({ auto: true });
    });
    audio.addEventListener("error", () => {
      if (!active() || !audio.getAttribute("src")) return;
      this.audioError();
    });
  }

  mediaSession(track) {
    if (!("mediaSession" in navigator)) return;
    const artwork = track.album
      ? [{ src: coverUrl(track.album.id), sizes: "512x512", type: "image/jpeg" }]
      : [];
    navigator.mediaSession.metadata = new MediaMetadata({
      title: track.name,
      artist: (track.artists || []).map((a) => a.name).join(", "),
      album: track.album ? track.album.name : "",
      artwork,
    });
    const handlers = {
      play: () => this.toggle(),
      pause: () => this.audio.pause(),
      previoustrack: () => this.previous(),
      nexttrack: () => this.next(),
      seekto: (details) => this.seek(details.seekTime),
      seekbackward: () => this.seek(this.audio.currentTime - 10),
      seekforward: () => this.seek(this.audio.currentTime + 10),
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch {
        // An action this browser does not know.
      }
    }
  }
}

// Tracks from any of the shapes a list of tracks comes in: [track], [{track}], {items: [...]},
// {tracks: ...}.
export function tracksOf(value) {
  if (!value) return [];
  if (Array.isArray(value)) return value.map((item) => (item && item.track ? item.track : item));
  if (value.tracks !== undefined) return tracksOf(value.tracks);
  if (value.items !== undefined) return tracksOf(value.items);
  return [];
}
