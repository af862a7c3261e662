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
      h("h2", {}, "Event consumers (batch jobs)"),
      table(["Consumer", "Events behind"], status.consumers.map((c) => [c.name, String(c.lag)])),
    )),
    h("h2", {}, "Users"),
    loading(() => api("/api/v1/admin/users?limit=100"), (page) => table(["Name", "Email", "Country", "Plan", "Admin"], page.items.map((u) => [u.display_name, u.email, u.country, u.plan, u.is_admin ? "yes" : ""]))),
  );
}

function table(head, rows) {
  return h("table", {},
    h("thead", {}, h("tr", {}, head.map((cell) => h("th", { scope: "col" }, cell)))),
    h("tbody", {}, rows.length ? rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell)))) : h("tr", {}, h("td", { colspan: String(head.length) }, "None"))));
}
