// Boot: session, router, player bar, keyboard shortcuts, connection state.
import { api, onSessionExpired } from "./api.js";
import { flush, onOutboxChange, pendingCount } from "./outbox.js";
import { Player } from "./player.js";
import { playerBar } from "./playerbar.js";
import { loadSession } from "./session.js";
import { h, toast } from "./ui.js";
import { adminView } from "./views/admin.js";
import { albumView } from "./views/album.js";
import { artistView } from "./views/artist.js";
import { homeView } from "./views/home.js";
import { libraryView, likedView } from "./views/library.js";
import { playlistView } from "./views/playlist.js";
import { searchView } from "./views/search.js";
import { settingsView } from "./views/settings.js";
import { signInView } from "./views/signin.js";
import { wrappedView } from "./views/wrapped.js";

const app = { player: new Player(), me: null };
window.encore = app; // for the browser tests and the benchmark

const routes = [
  [/^#?\/?$/, () => homeView(app)],
  [/^#\/search(?:\/(.*))?$/, (m) => searchView(app, decodeURIComponent(m[1] || ""))],
  [/^#\/album\/(\w+)$/, (m) => albumView(app, m[1])],
  [/^#\/artist\/(\w+)$/, (m) => artistView(app, m[1])],
  [/^#\/playlist\/([\w-]+)$/, (m) => playlistView(app, m[1])],
  [/^#\/library$/, () => libraryView(app)],
  [/^#\/liked$/, () => likedView(app)],
  [/^#\/wrapped(?:\/(\d{4}))?$/, (m) => wrappedView(app, m[1])],
  [/^#\/settings$/, () => settingsView(app)],
  [/^#\/admin$/, () => adminView(app)],
];

function render() {
  const main = document.getElementById("main");
  const signedIn = !!loadSession();
  document.body.classList.toggle("signed-out", !signedIn);
  if (!signedIn) {
    main.replaceChildren(signInView(app, () => start()));
    return;
  }
  const hash = location.hash || "#/";
  const found = routes.find(([pattern]) => pattern.test(hash));
  const view = found ? found[1](hash.match(found[0])) : h("p", {}, "No such page.");
  main.replaceChildren(view);
  for (const link of document.querySelectorAll(".sidebar a")) {
    if (link.getAttribute("href") === hash) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!hash.startsWith("#/search")) main.focus({ preventScroll: true });
}

async function loadMe() {
  try {
    app.me = await api("/api/v1/me");
    app.player.adaptive.setPlan(app.me.product);
    app.player.adaptive.choice = localStorage.getItem("encore.quality") || "auto";
    document.querySelector(".admin-only").hidden = !app.me.is_admin;
  } catch (error) {
    if (error.status !== 401) toast(`Could not load your account: ${error.message}`, "error");
  }
}

async function start() {
  if (loadSession()) {
    await loadMe();
    flush().catch(() => {});
  }
  render();
}

function banner() {
  const element = document.getElementById("banner");
  pendingCount()
    .then((pending) => {
      const parts = [];
      if (!navigator.onLine) parts.push("You are offline: saved playlists still play.");
      if (pending) parts.push(`Listening waiting to sync (${pending} event${pending === 1 ? "" : "s"}).`);
      element.textContent = parts.join(" ");
      element.hidden = !parts.length;
      element.dataset.pending = String(pending);
    })
    .catch(() => {});
}

onSessionExpired(() => {
  // The queue stays saved in this browser; signing in again brings it back.
  app.player.audio.pause();
  toast("Your session expired: sign in again. Your queue is kept.", "error");
  render();
});

window.addEventListener("hashchange", render);
// The skip link moves the focus to the page, not the route (the hash is the router's).
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});
window.addEventListener("online", () => {
  banner();
  flush()
    .then((sent) => sent && toast(`Back online: ${sent} play${sent === 1 ? "" : "s"} synced`))
    .catch(() => {})
    .finally(banner);
});
window.addEventListener("offline", banner);
onOutboxChange(banner);

document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing =
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target && target.isContentEditable);
  if (event.key === "/" && !typing) {
    event.preventDefault();
    location.hash = "#/search";
    setTimeout(() => document.getElementById("search-input")?.focus(), 0);
    return;
  }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const player = app.player;
  const onControl = target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement;
  if (event.key === " " && !onControl) {
    event.preventDefault();
    player.toggle();
  } else if (event.key === "ArrowRight" && event.shiftKey) {
    player.next();
  } else if (event.key === "ArrowLeft" && event.shiftKey) {
    player.previous();
  } else if (event.key === "ArrowRight") {
    player.seek(player.audio.currentTime + 5);
  } else if (event.key === "ArrowLeft") {
    player.seek(player.audio.currentTime - 5);
  } else if (event.key === "ArrowUp" && event.shiftKey) {
    // With shift only: plain up and down keep scrolling the page.
    event.preventDefault();
    player.setVolume(player.volume + 0.05);
  } else if (event.key === "ArrowDown" && event.shiftKey) {
    event.preventDefault();
    player.setVolume(player.volume - 0.05);
  }
});

app.player.on("message", (message) => toast(message, "error"));
document.getElementById("player-bar").append(playerBar(app));
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
banner();
start();
