// An artist: top tracks, albums, follow.
import { api } from "../api.js";
import { cards, cover, h, loading, toast, trackList } from "../ui.js";

export function artistView(app, artistId) {
  return loading(
    async () => {
      const [artist, following] = await Promise.all([
        api(`/api/v1/artists/${artistId}`),
        api(`/api/v1/me/following?type=artist&limit=50`).catch(() => null),
      ]);
      const follows = !!following && following.artists.items.some((a) => a.id === artistId);
      return { artist, follows };
    },
    ({ artist, follows }) => {
      let following = follows;
      const follow = h("button", { type: "button", "aria-pressed": String(following) }, following ? "Following" : "Follow");
      follow.addEventListener("click", async () => {
        try {
          await api(`/api/v1/me/following?type=artist&ids=${artist.id}`, { method: following ? "DELETE" : "PUT" });
          following = !following;
          follow.textContent = following ? "Following" : "Follow";
          follow.setAttribute("aria-pressed", String(following));
        } catch (error) {
          toast(`Could not change that: ${error.message}`, "error");
        }
      });
      const first = artist.albums[0];
      return h(
        "section",
        { class: "artist" },
        h(
          "header",
          { class: "hero" },
          first ? cover(first.id, artist.name, "lg") : h("span", { class: "cover cover-lg cover-missing" }),
          h(
            "div",
            {},
            h("p", { class: "muted" }, "Artist"),
            h("h1", {}, artist.name),
            h("p", { class: "muted" }, artist.genres.join(", ")),
            h("div", { class: "row" },
              h("button", { type: "button", class: "primary", disabled: !artist.top_tracks.length, onclick: () => app.player.playList(artist.top_tracks, 0, { type: "artist", id: artist.id }) }, "Play"),
              follow),
          ),
        ),
        h("h2", {}, "Popular"),
        trackList(app, artist.top_tracks, { context: { type: "artist", id: artist.id } }),
        h("h2", {}, "Albums"),
        cards(artist.albums, {
          label: "Albums",
          href: (a) => `#/album/${a.id}`,
          art: (a) => cover(a.id, a.name, "md"),
          subtitle: (a) => (a.release_date || "").slice(0, 4),
        }),
      );
    },
  );
}
