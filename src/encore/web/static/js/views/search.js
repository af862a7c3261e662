// Search as you type, results grouped by type.
import { api } from "../api.js";
import { cards, cover, h, trackList } from "../ui.js";

const DEBOUNCE_MS = 150;

export function searchView(app, initial) {
  const input = h("input", {
    id: "search-input",
    type: "search",
    placeholder: "Artists, songs, albums or playlists",
    "aria-label": "Search",
    autocomplete: "off",
    value: initial,
  });
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const results = h("div", { class: "results" });
  let timer = null;
  let controller = null;

  const run = async (text) => {
    if (controller) controller.abort();
    if (!text.trim()) {
      results.replaceChildren();
      status.textContent = "";
      return;
    }
    controller = new AbortController();
    const signal = controller.signal;
    status.textContent = "Searching…";
    try {
      const found = await api(`/api/v1/search?q=${encodeURIComponent(text)}&limit=10`, { signal });
      if (signal.aborted) return;
      results.replaceChildren(...groups(app, found));
      const total = ["tracks", "artists", "albums", "playlists"].reduce((n, k) => n + ((found[k] && found[k].items.length) || 0), 0);
      status.textContent = total ? `${total} results for "${text}"` : `Nothing found for "${text}"`;
    } catch (error) {
      if (error.name === "AbortError" || signal.aborted) return;
      status.textContent = `Search failed: ${error.message}`;
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      history.replaceState(null, "", `#/search/${encodeURIComponent(input.value)}`);
      run(input.value);
    }, DEBOUNCE_MS);
  });
  setTimeout(() => input.focus(), 0);
  if (initial) run(initial);
  return h("section", { class: "search" }, h("h1", {}, "Search"), input, status, results);
}

function groups(app, found) {
  const sections = [];
  const section = (title, id, body) => sections.push(h("section", { class: "group", "aria-labelledby": id }, h("h2", { id }, title), body));
  if (found.tracks && found.tracks.items.length) {
    section("Songs", "group-tracks", trackList(app, found.tracks.items, { context: { type: "search", id: null } }));
  }
  if (found.artists && found.artists.items.length) {
    section("Artists", "group-artists", cards(found.artists.items, { label: "Artists", href: (a) => `#/artist/${a.id}` }));
  }
  if (found.albums && found.albums.items.length) {
    section(
      "Albums",
      "group-albums",
      cards(found.albums.items, {
        label: "Albums",
        href: (a) => `#/album/${a.id}`,
        art: (a) => cover(a.id, a.name, "md"),
        subtitle: (a) => `${a.release_year || ""} ${(a.artists || []).map((x) => x.name).join(", ")}`.trim(),
      }),
    );
  }
  if (found.playlists && found.playlists.items.length) {
    section(
      "Playlists",
      "group-playlists",
      cards(found.playlists.items, {
        label: "Playlists",
        href: (p) => `#/playlist/${p.id}`,
        subtitle: (p) => (p.owner ? `by ${p.owner.display_name}` : ""),
      }),
    );
  }
  return sections;
}
