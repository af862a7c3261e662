// The player's service worker: the app shell is kept in Cache Storage, so the player opens
// without a connection (saved playlists then play from their own cache). Files are fetched
// from the network first, so an upgraded Encore is seen at once; the cache is the fallback.
const SHELL = "encore-shell-v1";
const FILES = [
  "/",
  "/static/app.css",
  "/static/js/main.js",
  "/static/js/api.js",
  "/static/js/session.js",
  "/static/js/outbox.js",
  "/static/js/offline.js",
  "/static/js/player.js",
  "/static/js/playerbar.js",
  "/static/js/quality.js",
  "/static/js/ui.js",
  "/static/js/charts.js",
  "/static/js/views/admin.js",
  "/static/js/views/album.js",
  "/static/js/views/artist.js",
  "/static/js/views/home.js",
  "/static/js/views/library.js",
  "/static/js/views/playlist.js",
  "/static/js/views/search.js",
  "/static/js/views/settings.js",
  "/static/js/views/signin.js",
  "/static/js/views/wrapped.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname !== "/" && !url.pathname.startsWith("/static/")) return; // API and audio: untouched
  event.respondWith(
    fetch(event.request)
      .then((answer) => {
        if (answer.ok) {
          const copy = answer.clone();
          caches.open(SHELL).then((cache) => cache.put(event.request, copy));
        }
        return answer;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true })
        .then((hit) => hit || new Response("Offline", { status: 503 }))),
  );
});
