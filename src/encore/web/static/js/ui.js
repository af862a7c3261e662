// Small DOM helpers and the pieces every page uses: track rows with their menu, toasts, covers.
import { api, coverUrl } from "./api.js";

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return "0:00";
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

export function artistsOf(track) {
  return (track.artists || []).map((a) => a.name).join(", ");
}

export function artistLinks(artists = []) {
  const links = [];
  artists.forEach((artist, i) => {
    if (i) links.push(", ");
    links.push(h("a", { href: `#/artist/${artist.id}` }, artist.name));
  });
  return links;
}

export function cover(albumId, label, size = "md") {
  const image = h("img", {
    class: `cover cover-${size}`,
    src: coverUrl(albumId),
    alt: label ? `Cover of ${label}` : "",
    loading: "lazy",
  });
  image.addEventListener("error", () => image.classList.add("cover-missing"), { once: true });
  return image;
}

let toastTimer = null;
export function toast(message, kind = "info") {
  const region = document.getElementById("toast");
  region.textContent = message;
  region.dataset.kind = kind;
  region.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    region.hidden = true;
  }, 6000);
}

// A section that loads: a busy line, then its content, or what went wrong and a retry button.
export function loading(load, render) {
  const box = h("div", { class: "loading", "aria-busy": "true" }, "Loading…");
  const run = () => {
    box.replaceChildren("Loading…");
    box.setAttribute("aria-busy", "true");
    load()
      .then((value) => box.replaceChildren(render(value)))
      .catch((error) =>
        box.replaceChildren(
          h(
            "div",
            { class: "error", role: "alert" },
            h("p", {}, error.message || "Something went wrong"),
            h("button", { type: "button", onclick: run }, "Retry"),
          ),
        ),
      )
      .finally(() => box.removeAttribute("aria-busy"));
  };
  run();
  return box;
}

let myPlaylists = null;
export function ownPlaylists(refresh = false) {
  if (!myPlaylists || refresh) {
    myPlaylists = api("/api/v1/me/playlists?limit=50").catch((error) => {
      myPlaylists = null;
      throw error;
    });
  }
  return myPlaylists;
}

// The menu of a track: everything that can be done with it, keyboard-reachable.
function trackMenu(app, track, button, extra = []) {
  closeMenus();
  const items = [
    ["Add to queue", () => app.player.enqueue(track)],
    ["Start radio", () => app.player.startRadio(track)],
    ["Like", () => like(track)],
    ["Go to album", () => (location.hash = `#/album/${track.album.id}`)],
    ...extra,
  ];
  const menu = h("div", { class: "menu", role: "menu", "aria-label": `Actions for ${track.name}` });
  for (const [label, action] of items) {
    menu.append(
      h(
        "button",
        {
          type: "button",
          role: "menuitem",
          onclick: () => {
            closeMenus();
            action();
          },
        },
        label,
      ),
    );
  }
  const add = h("div", { class: "menu-group", role: "group", "aria-label": "Add to playlist" });
  add.append(h("span", { class: "menu-label" }, "Add to playlist"));
  menu.append(add);
  ownPlaylists()
    .then((page) => {
      for (const playlist of page.items) {
        add.append(
          h(
            "button",
            {
              type: "button",
              role: "menuitem",
              onclick: () => {
                closeMenus();
                addToPlaylist(playlist, track);
              },
            },
            playlist.name,
          ),
        );
      }
      if (!page.items.length) add.append(h("span", { class: "muted" }, "No playlists yet"));
    })
    .catch((error) => add.append(h("span", { class: "muted" }, error.message)));
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeMenus();
      button.focus();
    }
  });
  button.after(menu);
  button.setAttribute("aria-expanded", "true");
  menu.querySelector("button").focus();
}

export function closeMenus() {
  for (const menu of document.querySelectorAll(".menu")) {
    const button = menu.previousElementSibling;
    if (button) button.setAttribute("aria-expanded", "false");
    menu.remove();
  }
}
document.addEventListener("click", (event) => {
  if (!event.target.closest(".menu, .track-more")) closeMenus();
});

async function like(track) {
  try {
    await api(`/api/v1/me/tracks?ids=${track.id}`, { method: "PUT" });
    toast(`Added "${track.name}" to Liked Songs`);
  } catch (error) {
    toast(`Could not like it: ${error.message}`, "error");
  }
}

async function addToPlaylist(playlist, track) {
  try {
    await api(`/api/v1/playlists/${playlist.id}/tracks`, {
      method: "POST",
      json: { track_ids: [track.id] },
    });
    toast(`Added "${track.name}" to ${playlist.name}`);
    window.dispatchEvent(new CustomEvent("encore:playlist-changed", { detail: playlist.id }));
  } catch (error) {
    toast(`Could not add it to ${playlist.name}: ${error.message}`, "error");
  }
}

// A list of tracks: click (or Enter) plays from that track; each has a menu.
export function trackList(app, tracks, { context = null, extraMenu = null, numbered = true } = {}) {
  const list = h("ol", { class: "tracks", "aria-label": "Tracks" });
  tracks.forEach((track, index) => {
    const playing = app.player.track && app.player.track.id === track.id;
    const more = h(
      "button",
      {
        type: "button",
        class: "track-more icon",
        "aria-haspopup": "menu",
        "aria-expanded": "false",
        "aria-label": `More for ${track.name}`,
      },
      "⋯",
    );
    more.addEventListener("click", (event) => {
      event.stopPropagation();
      trackMenu(app, track, more, extraMenu ? extraMenu(track, index) : []);
    });
    const row = h(
      "li",
      { class: `track${playing ? " playing" : ""}`, dataset: { trackId: track.id, index } },
      h(
        "button",
        {
          type: "button",
          class: "track-play",
          "aria-label": `Play ${track.name} by ${artistsOf(track)}`,
          onclick: () => app.player.playList(tracks, index, context),
          disabled: track.streamable === false,
          title: track.streamable === false ? "No audio for this track" : null,
        },
        numbered ? h("span", { class: "track-number" }, index + 1) : null,
        cover(track.album && track.album.id, track.album && track.album.name, "sm"),
        h(
          "span",
          { class: "track-text" },
          h("span", { class: "track-name" }, track.name),
          h("span", { class: "track-artists muted" }, artistsOf(track)),
        ),
      ),
      h("span", { class: "track-duration muted" }, duration(track.duration_ms)),
      more,
    );
    list.append(row);
  });
  if (!tracks.length) list.append(h("li", { class: "muted empty" }, "No tracks here yet."));
  return list;
}

// Cards linking to albums, artists or playlists.
export function cards(items, { href, art, subtitle, label }) {
  const grid = h("ul", { class: "cards", "aria-label": label });
  for (const item of items) {
    grid.append(
      h(
        "li",
        { class: "card" },
        h(
          "a",
          { href: href(item) },
          art ? art(item) : h("span", { class: "cover cover-md cover-missing" }),
          h("span", { class: "card-title" }, item.name),
          subtitle ? h("span", { class: "card-subtitle muted" }, subtitle(item)) : null,
        ),
      ),
    );
  }
  if (!items.length) grid.append(h("li", { class: "muted empty" }, "Nothing here yet."));
  return grid;
}
