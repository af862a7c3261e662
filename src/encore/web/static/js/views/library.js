// Your playlists (create) and Liked Songs.
import { api } from "../api.js";
import { cards, h, loading, ownPlaylists, toast, trackList } from "../ui.js";

export function libraryView(app) {
  const input = h("input", { id: "new-playlist", name: "name", required: true, maxlength: "200", placeholder: "My new playlist" });
  const form = h("form", { class: "row create" }, h("label", { for: "new-playlist" }, "New playlist"), input, h("button", { type: "submit", class: "primary" }, "Create"));
  const list = h("div", {});
  const show = () => list.replaceChildren(loading(() => ownPlaylists(true), (page) =>
    cards(page.items, {
      label: "Your playlists",
      href: (p) => `#/playlist/${p.id}`,
      subtitle: (p) => [p.collaborative ? "Collaborative" : "", app.me && p.owner.id !== app.me.id ? "shared with you" : ""].filter(Boolean).join(" · "),
    })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api("/api/v1/playlists", { method: "POST", json: { name: input.value.trim() } });
      toast(`Created "${created.name}"`);
      input.value = "";
      show();
    } catch (error) {
      toast(`Could not create it: ${error.message}`, "error");
    }
  });
  show();
  return h("section", { class: "library" }, h("h1", {}, "Your playlists"), form, list);
}

export function likedView(app) {
  return loading(
    () => api("/api/v1/me/tracks?limit=50"),
    (page) => {
      const tracks = page.items.map((item) => item.track);
      return h(
        "section",
        { class: "liked" },
        h("h1", {}, "Liked Songs"),
        h("p", { class: "muted" }, `${page.total} songs`),
        h("button", { type: "button", class: "primary", disabled: !tracks.length, onclick: () => app.player.playList(tracks, 0, { type: "collection", id: null }) }, "Play"),
        trackList(app, tracks, {
          context: { type: "collection", id: null },
          extraMenu: (track) => [["Remove from Liked Songs", async () => {
            try {
              await api(`/api/v1/me/tracks?ids=${track.id}`, { method: "DELETE" });
              toast(`Removed "${track.name}" from Liked Songs`);
              location.hash = "#/liked";
              window.dispatchEvent(new HashChangeEvent("hashchange"));
            } catch (error) {
              toast(error.message, "error");
            }
          }]],
        }),
      );
    },
  );
}
