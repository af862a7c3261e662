// Admin: users and their plans, the event consumers (batch jobs), imports and health.
import { api } from "../api.js";
import { h, loading } from "../ui.js";

export function adminView(app) {
  if (!app.me || !app.me.is_admin) return h("p", { role: "alert" }, "This page is for operators.");
  return h("section", { class: "admin" },
    h("h1", {}, "Admin"),
    loading(() => api("/api/v1/admin/status"), (status) => h("div", {},
      h("h2", {}, "Status"),
      h("dl", {},
        h("dt", {}, "Accounts"), h("dd", {}, String(status.users)),
        h("dt", {}, "Tracks with audio (imported)"), h("dd", {}, String(status.playable_tracks)),
        h("dt", {}, "Health"), h("dd", {}, status.failing_checks.length ? `Failing: ${status.failing_checks.join(", ")}` : "All checks pass")),
      h("h2", {}, "Import"),
      h("dl", { class: "imports" },
        h("dt", {}, "Audio files imported"), h("dd", {}, String(status.imports.imported_files)),
        h("dt", {}, "Last import"), h("dd", {}, when(status.imports.last_import_at)),
        h("dt", {}, "Tracks in the catalog"), h("dd", {}, String(status.imports.catalog_tracks))),
      h("h2", {}, "Batch jobs"),
      h("h3", {}, "Event consumers"),
      table(["Consumer", "Events behind"], status.consumers.map((c) => [c.name, String(c.lag)]), "consumers"),
      h("h3", {}, "Recommendations (latest runs)"),
      table(["Started", "Runner", "Playlists", "Status", "Listeners", "Made"], status.batch_runs.map((r) => [when(r.started_at), r.runner, r.kinds.join(", "), r.error ? `${r.status}: ${r.error}` : r.status, String(r.users), String(r.playlists)]), "batch-runs"),
      h("h3", {}, "Wrapped"),
      table(["Year", "Listeners", "Computed"], status.wrapped.map((w) => [String(w.year), String(w.listeners), when(w.computed_at)]), "wrapped-years"),
    )),
    h("h2", {}, "Users and plans"),
    loading(() => api("/api/v1/admin/users?limit=100"), (page) => h("div", {},
      h("p", { class: "muted" }, `${page.total} accounts${page.total > page.items.length ? `, the first ${page.items.length} shown` : ""}`),
      table(["Name", "Email", "Country", "Plan", "Enjoys", "Admin"], page.items.map((u) => [u.display_name, u.email, u.country, u.plan, u.product, u.is_admin ? "yes" : ""]), "users"))),
  );
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

function table(head, rows, name) {
  return h("table", { class: name },
    h("thead", {}, h("tr", {}, head.map((cell) => h("th", { scope: "col" }, cell)))),
    h("tbody", {}, rows.length ? rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell)))) : h("tr", {}, h("td", { colspan: String(head.length) }, "None"))));
}
