// Settings: plan, country, Subsonic credentials, streaming quality.
import { api, ApiError, signOut } from "../api.js";
import { LADDER, labelOf, planCeiling } from "../quality.js";
import { h, loading, toast } from "../ui.js";

const PLANS = ["free", "premium", "family", "duo"];

export function settingsView(app) {
  return loading(() => api("/api/v1/me"), (me) => {
    app.me = me;
    const plan = h("select", { id: "plan" }, PLANS.map((p) => h("option", { value: p, selected: p === me.plan }, p)));
    plan.addEventListener("change", async () => {
      try {
        const change = await api("/api/v1/me/plan", { method: "PUT", json: { plan: plan.value }, headers: { "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) } });
        app.me = change.account || (await api("/api/v1/me"));
        app.player.adaptive.setPlan(app.me.product);
        toast(`Your plan is now ${plan.value}`);
      } catch (error) {
        toast(`Could not change the plan: ${error.message}`, "error");
        plan.value = me.plan;
      }
    });
    const ceiling = planCeiling(me.product);
    const quality = h("select", { id: "quality-choice" },
      h("option", { value: "auto" }, "Auto (adapts to your network)"),
      LADDER.map((rung, i) => h("option", { value: rung.quality, disabled: i > ceiling }, `${rung.label}${i > ceiling ? " (Premium)" : ""}`)));
    quality.value = localStorage.getItem("encore.quality") || "auto";
    quality.addEventListener("change", () => {
      localStorage.setItem("encore.quality", quality.value);
      app.player.adaptive.choice = quality.value;
      toast(`Streaming quality: ${quality.value === "auto" ? "Auto" : labelOf(quality.value)} (from the next track)`);
    });
    const subsonic = h("div", { class: "subsonic", role: "status", "aria-live": "polite" });
    const subsonicCall = async (method) => {
      try {
        const answer = await api("/api/v1/me/subsonic-credentials", { method });
        subsonic.replaceChildren(method === "POST"
          ? h("p", {}, "Use these in your Subsonic app (shown once): ", h("code", { class: "username" }, `username ${answer.username}`), " ", h("code", { class: "secret" }, `password ${answer.password}`),
              answer.api_key ? [" or, for OpenSubsonic apps, ", h("code", { class: "api-key" }, `API key ${answer.api_key}`)] : null)
          : h("p", {}, "Subsonic access revoked."));
      } catch (error) {
        subsonic.replaceChildren(h("p", { class: "unavailable" }, error instanceof ApiError && error.status === 404 && method === "POST" ? "Subsonic access is not available on this server yet." : error.message));
      }
    };
    const field = (label, control, id) => h("div", { class: "field" }, h("label", { for: id }, label), control);
    const profile = profileForm(app, me);
    return h("section", { class: "settings" },
      h("h1", {}, "Settings"),
      h("h2", {}, "Account"),
      h("dl", {},
        h("dt", {}, "Email"), h("dd", {}, me.email),
        h("dt", {}, "You enjoy"), h("dd", {}, me.product)),
      profile,
      field("Plan", plan, "plan"),
      h("h2", {}, "Streaming quality"),
      field("Quality", quality, "quality-choice"),
      h("h2", {}, "Subsonic apps"),
      h("div", { class: "row" },
        h("button", { type: "button", onclick: () => subsonicCall("POST") }, "Create or rotate Subsonic password"),
        h("button", { type: "button", onclick: () => subsonicCall("DELETE") }, "Revoke")),
      subsonic,
      h("h2", {}, "Session"),
      h("button", { type: "button", onclick: async () => { await signOut(); location.hash = "#/"; location.reload(); } }, "Sign out"),
    );
  });
}

// Name and country: the country decides which tracks are licensed to the listener and what is
// popular around them, so the page says so when it changes.
function profileForm(app, me) {
  const names = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "region" }) : null;
  const nameOf = (code) => { try { return names ? names.of(code) : code; } catch { return code; } };
  const country = h("select", { id: "country", name: "country" }, h("option", { value: me.country }, `${nameOf(me.country)} (${me.country})`));
  country.value = me.country;
  api("/api/v1/markets").then(({ markets }) => {
    const options = markets.map((code) => h("option", { value: code }, `${nameOf(code)} (${code})`));
    options.sort((a, b) => a.textContent.localeCompare(b.textContent));
    country.replaceChildren(...options);
    country.value = me.country;
  }).catch(() => {}); // the current country stays the one choice: the form still saves a name
  const name = h("input", { id: "display-name", name: "display_name", value: me.display_name, required: true, maxlength: "100", autocomplete: "nickname" });
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "profile" },
    h("div", { class: "field" }, h("label", { for: "display-name" }, "Name others see"), name),
    h("div", { class: "field" }, h("label", { for: "country" }, "Country"), country),
    h("button", { type: "submit" }, "Save"),
    status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = {};
    if (name.value.trim() !== me.display_name) changes.display_name = name.value.trim();
    if (country.value !== me.country) changes.country = country.value;
    if (!Object.keys(changes).length) { status.textContent = "Nothing to save."; return; }
    try {
      const saved = await api("/api/v1/me", { method: "PATCH", json: changes });
      Object.assign(me, saved);
      app.me = saved;
      status.textContent = changes.country
        ? `Saved. You now listen from ${nameOf(saved.country)}: what is licensed and popular follows.`
        : "Saved.";
      toast("Settings saved");
    } catch (error) {
      status.textContent = `Could not save: ${error.message}`;
      toast(`Could not save: ${error.message}`, "error");
    }
  });
  return form;
}
