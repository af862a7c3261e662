// A playlist: play, rename, reorder by dragging, remove, collaborate, save for offline.
// Discover Weekly lives at #/playlist/discover-weekly.
import { api, ApiError, coverUrl } from "../api.js";
import { offlinePlaylist, onOfflineChange, removeOffline, saveForOffline, savedPlaylists } from "../offline.js";
import { tracksOf } from "../player.js";
import { cover, h, loading, ownPlaylists, toast, trackList } from "../ui.js";

const PAID = new Set(["premium", "family", "duo"]);

export function playlistView(app, playlistId) {
  if (playlistId === "discover-weekly") return discoverWeekly(app);
  const box = h("div", {});
  const load = async () => {
    try {
      return { playlist: await api(`/api/v1/playlists/${playlistId}?limit=100`), offline: false };
    } catch (error) {
      const saved = error instanceof ApiError && error.status === 0 ? await offlinePlaylist(playlistId) : null;
      if (saved) return { playlist: saved, offline: true };
      throw error;
    }
  };
  const show = () => box.replaceChildren(loading(load, ({ playlist, offline }) => page(app, playlist, offline, show)));
  show();
  return box;
}

function discoverWeekly(app) {
  return loading(
    () =>
      api("/api/v1/playlists/discover-weekly").catch((error) => {
        // A server without recommendations has no such route: 404, or 422 when the path is
        // taken for a playlist id that is not one.
        if (error instanceof ApiError && [404, 422].includes(error.status)) return null;
        throw error;
      }),
    (mix) => {
      if (!mix) {
        return h(
          "section",
          { class: "discover" },
          h("h1", {}, "Discover Weekly"),
          h("p", { class: "unavailable", dataset: { unavailable: "Discover Weekly" } }, "Discover Weekly is not available yet on this server. It appears once recommendations have been generated."),
        );
      }
      const tracks = tracksOf(mix);
      return h(
        "section",
        { class: "discover" },
        h("h1", {}, mix.name || "Discover Weekly"),
        mix.description ? h("p", { class: "muted" }, mix.description) : null,
        // Say what the mix is made from: a listener with little history gets what is popular.
        h(
          "p",
          { class: "muted mix-source", dataset: { source: mix.source || "model" } },
          mix.source === "popularity"
            ? "Popular where you are, while Encore learns your taste."
            : "Made for you from what you play.",
        ),
        mix.expires_at ? h("p", { class: "muted" }, `Until ${new Date(mix.expires_at).toLocaleDateString()}`) : null,
        h("button", { type: "button", class: "primary", disabled: !tracks.length, onclick: () => app.player.playList(tracks, 0, { type: "playlist", id: mix.id }) }, "Play"),
        trackList(app, tracks, { context: { type: "playlist", id: mix.id } }),
      );
    },
  );
}

// The cover: the art of the first four different albums (one when there are fewer).
function mosaic(playlist) {
  const albums = [...new Set(playlist.tracks.items.map((item) => item.track.album.id))];
  if (!albums.length) return h("span", { class: "cover cover-lg cover-missing", role: "img", "aria-label": "No cover yet" });
  if (albums.length < 4) return cover(albums[0], playlist.name, "lg");
  return h("div", { class: "cover cover-lg mosaic", role: "img", "aria-label": `Cover of ${playlist.name}` }, albums.slice(0, 4).map((id) => h("img", { src: coverUrl(id), alt: "" })));
}

function page(app, playlist, offline, reload) {
  const me = app.me || {};
  const owner = playlist.owner && playlist.owner.id === me.id;
  const collaborator = (playlist.collaborators || []).some((c) => c.id === me.id);
  const editable = !offline && (owner || (playlist.collaborative && collaborator));
  const tracks = playlist.tracks.items.map((item) => item.track);
  let snapshot = playlist.snapshot_id;

  const write = async (method, path, json, done) => {
    try {
      const answer = await api(path, { method, json, headers: { "If-Match": `"${snapshot}"` } });
      if (answer && answer.snapshot_id) snapshot = answer.snapshot_id;
      if (done) toast(done);
      ownPlaylists(true);
      reload();
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        toast("Someone else changed this playlist meanwhile: here it is as it is now.", "error");
        reload();
      } else {
        toast(`That did not work: ${error.message}`, "error");
      }
    }
  };
  const move = (from, to) => {
    if (from === to) return;
    write("PUT", `/api/v1/playlists/${playlist.id}/tracks`, {
      range_start: from,
      insert_before: to > from ? to + 1 : to,
      range_length: 1,
    });
  };
  const extraMenu = editable
    ? (track, index) => [
        ["Remove from this playlist", () => write("DELETE", `/api/v1/playlists/${playlist.id}/tracks`, { track_ids: [track.id] }, `Removed "${track.name}"`)],
        ...(index > 0 ? [["Move up", () => move(index, index - 1)]] : []),
        ...(index < tracks.length - 1 ? [["Move down", () => move(index, index + 1)]] : []),
      ]
    : null;
  const list = trackList(app, tracks, { context: { type: "playlist", id: playlist.id }, extraMenu });
  if (editable) {
    let dragged = null;
    for (const row of list.querySelectorAll(".track")) {
      row.draggable = true;
      row.addEventListener("dragstart", (event) => {
        dragged = Number(row.dataset.index);
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.dataset.index);
        row.classList.add("dragging");
      });
      row.addEventListener("dragend", () => row.classList.remove("dragging"));
      row.addEventListener("dragover", (event) => event.preventDefault());
      row.addEventListener("drop", (event) => {
        event.preventDefault();
        const from = dragged ?? Number(event.dataTransfer.getData("text/plain"));
        move(from, Number(row.dataset.index));
      });
    }
  }

  const actions = h("div", { class: "row actions" });
  actions.append(h("button", { type: "button", class: "primary", disabled: !tracks.length, onclick: () => app.player.playList(tracks, 0, { type: "playlist", id: playlist.id }) }, "Play"));
  if (owner && !offline) {
    actions.append(
      h("button", { type: "button", onclick: () => { const name = prompt("New name", playlist.name); if (name && name.trim()) write("PATCH", `/api/v1/playlists/${playlist.id}`, { name: name.trim() }, "Renamed"); } }, "Rename"),
      h("button", { type: "button", "aria-pressed": String(playlist.collaborative), onclick: () => write("PATCH", `/api/v1/playlists/${playlist.id}`, playlist.collaborative ? { collaborative: false } : { collaborative: true, public: false }, playlist.collaborative ? "No longer collaborative" : "Now collaborative") }, playlist.collaborative ? "Collaborative: on" : "Make collaborative"),
      h("button", { type: "button", class: "danger", onclick: async () => { if (!confirm(`Delete "${playlist.name}"?`)) return; try { await api(`/api/v1/playlists/${playlist.id}`, { method: "DELETE" }); ownPlaylists(true); location.hash = "#/library"; } catch (error) { toast(error.message, "error"); } } }, "Delete"),
    );
  } else if (!owner && !offline) {
    actions.append(h("button", { type: "button", onclick: async () => { try { await api(`/api/v1/playlists/${playlist.id}/followers`, { method: "PUT" }); toast("Following this playlist"); } catch (error) { toast(error.message, "error"); } } }, "Follow"));
  }
  actions.append(offlineControl(app, playlist));

  let invite = null;
  if (owner && playlist.collaborative && !offline) {
    const input = h("input", { id: "invite-user", name: "user", required: true, maxlength: "320", placeholder: "Their e-mail address or name", autocomplete: "off" });
    invite = h(
      "form",
      { class: "invite row" },
      h("label", { for: "invite-user" }, "Invite a collaborator"),
      input,
      h("button", { type: "submit" }, "Invite"),
    );
    invite.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const invited = await api(`/api/v1/playlists/${playlist.id}/collaborators`, { method: "POST", json: { user: input.value.trim() } });
        toast(`Invited ${invited.display_name}: they can now add and reorder tracks`);
        reload();
      } catch (error) {
        toast(`Could not invite: ${error.message}`, "error");
      }
    });
  }
  return h(
    "section",
    { class: "playlist" },
    h(
      "header",
      { class: "hero" },
      mosaic(playlist),
      h(
        "div",
        {},
        h("p", { class: "muted" }, playlist.collaborative ? "Collaborative playlist" : "Playlist"),
        h("h1", {}, playlist.name),
        playlist.description ? h("p", {}, playlist.description) : null,
        h("p", { class: "muted" }, `${playlist.tracks.total} tracks`, playlist.followers ? ` · ${playlist.followers.total} followers` : "", offline ? " · offline copy" : ""),
        actions,
      ),
    ),
    invite,
    editable && tracks.length > 1 ? h("p", { class: "muted hint" }, "Drag tracks to reorder them, or use Move up / Move down in a track's menu.") : null,
    list,
  );
}

function offlineControl(app, playlist) {
  const paid = app.me && PAID.has(app.me.product);
  const status = h("span", { class: "offline-status muted", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "offline-button" });
  const show = () => {
    const state = savedPlaylists()[playlist.id];
    if (!paid) {
      button.textContent = "Save for offline (Premium)";
      button.disabled = true;
      status.textContent = "";
      return;
    }
    button.disabled = !!state && state.state === "saving";
    button.textContent = state ? (state.state === "saved" ? "Remove offline copy" : state.state === "saving" ? "Saving…" : "Resume saving") : "Save for offline";
    status.textContent = !state
      ? ""
      : state.state === "saved"
        ? `Saved for offline (${state.saved} tracks)`
        : state.state === "saving"
          ? `Saving ${state.saved} of ${state.total}…`
          : state.message || "Interrupted";
    status.dataset.state = state ? state.state : "";
  };
  button.addEventListener("click", async () => {
    const state = savedPlaylists()[playlist.id];
    if (state && state.state === "saved") {
      await removeOffline(playlist.id);
      toast("Offline copy removed");
    } else {
      const done = await saveForOffline(playlist);
      if (done && done.state === "interrupted") toast(done.message, "error");
      else toast(`"${playlist.name}" is saved for offline listening`);
    }
    show();
  });
  onOfflineChange((id) => id === playlist.id && button.isConnected && show());
  show();
  return h("span", { class: "offline" }, button, status);
}
