// The player bar and the queue panel.
import { labelOf } from "./quality.js";
import { artistLinks, artistsOf, cover, duration, h } from "./ui.js";

export function playerBar(app) {
  const player = app.player;
  const art = h("span", { class: "now-art" });
  const title = h("span", { class: "now-title", id: "now-title" }, "Nothing playing");
  const artists = h("span", { class: "now-artists muted" });
  const button = (label, text, onclick, extra = {}) =>
    h("button", { type: "button", class: "icon", "aria-label": label, title: label, onclick, ...extra }, text);
  const shuffle = button("Shuffle", "⇄", () => player.toggleShuffle(), { "aria-pressed": "false" });
  const prev = button("Previous", "◀◀", () => player.previous());
  const play = button("Play", "▶", () => player.toggle(), { id: "play-pause", class: "icon play" });
  const next = button("Next", "▶▶", () => player.next(), { id: "next" });
  const repeat = button("Repeat: off", "↻", () => player.cycleRepeat(), { "aria-pressed": "false" });
  const elapsed = h("span", { class: "time muted", "aria-hidden": "true" }, "0:00");
  const total = h("span", { class: "time muted", "aria-hidden": "true" }, "0:00");
  const seek = h("input", {
    type: "range", min: "0", max: "1", step: "0.1", value: "0", "aria-label": "Seek", id: "seek",
  });
  let seeking = false;
  seek.addEventListener("input", () => {
    seeking = true;
  });
  seek.addEventListener("change", () => {
    seeking = false;
    player.seek(Number(seek.value));
  });
  const volume = h("input", {
    type: "range", min: "0", max: "1", step: "0.01", value: String(player.volume), "aria-label": "Volume",
  });
  volume.addEventListener("input", () => player.setVolume(Number(volume.value)));
  const quality = h("span", { class: "quality", id: "quality", title: "Streaming quality" }, "");
  const queueButton = button("Queue", "☰", () => toggleQueue(app), {
    "aria-expanded": "false", "aria-controls": "queue-panel", id: "queue-button",
  });

  const showTrack = () => {
    const track = player.track;
    art.replaceChildren(track ? cover(track.album && track.album.id, track.album && track.album.name, "sm") : "");
    title.textContent = track ? track.name : "Nothing playing";
    artists.replaceChildren(...(track ? artistLinks(track.artists) : []));
    total.textContent = duration(track ? track.duration_ms : 0);
    seek.max = String(track ? track.duration_ms / 1000 : 1);
    document.title = track ? `${track.name} · ${artistsOf(track)} · Encore` : "Encore";
    for (const row of document.querySelectorAll(".track")) {
      row.classList.toggle("playing", !!track && row.dataset.trackId === track.id);
    }
  };
  const showState = () => {
    const playing = !player.audio.paused;
    play.textContent = playing ? "❚❚" : "▶";
    play.setAttribute("aria-label", playing ? "Pause" : "Play");
    play.title = playing ? "Pause" : "Play";
    shuffle.setAttribute("aria-pressed", String(player.shuffle));
    repeat.setAttribute("aria-pressed", String(player.repeat !== "off"));
    repeat.setAttribute("aria-label", `Repeat: ${player.repeat}`);
    repeat.title = `Repeat: ${player.repeat}`;
    repeat.textContent = player.repeat === "one" ? "↻1" : "↻";
  };
  const showQuality = () => {
    const q = player.quality;
    const auto = player.adaptive.choice === "auto" ? "Auto · " : "";
    quality.textContent = !q ? "" : q === "offline" ? "Offline copy" : `${auto}${labelOf(q)}`;
  };
  player.on("track", () => {
    showTrack();
    showQuality();
  });
  player.on("state", showState);
  player.on("quality", showQuality);
  player.on("volume", (v) => {
    volume.value = String(v);
  });
  player.on("time", (t) => {
    elapsed.textContent = duration(t * 1000);
    if (!seeking) seek.value = String(t);
    if (player.audio.duration) seek.max = String(player.audio.duration);
  });
  player.on("queue", () => {
    showState();
    showQuality();
    const panel = document.getElementById("queue-panel");
    if (!panel.hidden) renderQueue(app, panel);
  });
  showTrack();
  showState();

  return h(
    "div",
    { class: "player" },
    h("div", { class: "now" }, art, h("div", { class: "now-text" }, title, artists)),
    h(
      "div",
      { class: "controls" },
      h("div", { class: "buttons" }, shuffle, prev, play, next, repeat),
      h("div", { class: "progress" }, elapsed, seek, total),
    ),
    h("div", { class: "extras" }, quality, queueButton, h("span", { "aria-hidden": "true" }, "♪"), volume),
  );
}

function toggleQueue(app) {
  const panel = document.getElementById("queue-panel");
  panel.hidden = !panel.hidden;
  document.getElementById("queue-button").setAttribute("aria-expanded", String(!panel.hidden));
  if (!panel.hidden) {
    renderQueue(app, panel);
    panel.querySelector("h2").focus();
  }
}

// The queue: drag a track to move it, or use its up and down buttons (keyboard).
export function renderQueue(app, panel) {
  const player = app.player;
  const upcoming = player.upcoming();
  const list = h("ol", { class: "queue", "aria-label": "Next up" });
  let dragged = null;
  upcoming.forEach((track, index) => {
    const row = h(
      "li",
      { class: "queue-item", draggable: "true", dataset: { index, trackId: track.id } },
      h("span", { class: "handle", "aria-hidden": "true" }, "⠿"),
      h(
        "button",
        { type: "button", class: "link", onclick: () => player.jumpTo(index), "aria-label": `Play ${track.name} now` },
        h("span", { class: "track-name" }, track.name),
        h("span", { class: "muted" }, ` · ${artistsOf(track)}`),
      ),
      h("button", { type: "button", class: "icon", "aria-label": `Move ${track.name} up`, disabled: index === 0, onclick: () => player.moveUpcoming(index, index - 1) }, "↑"),
      h("button", { type: "button", class: "icon", "aria-label": `Move ${track.name} down`, disabled: index === upcoming.length - 1, onclick: () => player.moveUpcoming(index, index + 1) }, "↓"),
      h("button", { type: "button", class: "icon", "aria-label": `Remove ${track.name} from the queue`, onclick: () => player.removeUpcoming(index) }, "✕"),
    );
    row.addEventListener("dragstart", (event) => {
      dragged = index;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(index));
    });
    row.addEventListener("dragover", (event) => event.preventDefault());
    row.addEventListener("drop", (event) => {
      event.preventDefault();
      const from = dragged ?? Number(event.dataTransfer.getData("text/plain"));
      if (Number.isInteger(from) && from !== index) player.moveUpcoming(from, index);
    });
    list.append(row);
  });
  const now = player.track;
  panel.replaceChildren(
    h("h2", { tabindex: "-1" }, "Queue"),
    h("h3", {}, "Now playing"),
    h("p", {}, now ? `${now.name} · ${artistsOf(now)}` : "Nothing"),
    h("h3", {}, "Next up"),
    upcoming.length ? list : h("p", { class: "muted" }, "Nothing queued."),
  );
}
