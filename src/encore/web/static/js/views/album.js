// An album: cover, artists, tracks.
import { api } from "../api.js";
import { artistLinks, cover, h, loading, trackList } from "../ui.js";

export function albumView(app, albumId) {
  return loading(
    () => api(`/api/v1/albums/${albumId}`),
    (album) =>
      h(
        "section",
        { class: "album" },
        h(
          "header",
          { class: "hero" },
          cover(album.id, album.name, "lg"),
          h(
            "div",
            {},
            h("p", { class: "muted" }, album.album_type),
            h("h1", {}, album.name),
            h("p", {}, ...artistLinks(album.artists), album.release_date ? ` · ${album.release_date.slice(0, 4)}` : "", ` · ${album.total_tracks} tracks`),
            h("button", { type: "button", class: "primary", onclick: () => app.player.playList(album.tracks.items, 0, { type: "album", id: album.id }) }, "Play album"),
          ),
        ),
        trackList(app, album.tracks.items, { context: { type: "album", id: album.id } }),
      ),
  );
}
