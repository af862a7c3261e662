// Sign in, or sign up and then sign in.
import { api, signIn } from "../api.js";
import { h } from "../ui.js";

export function signInView(app, done) {
  let mode = "in";
  const status = h("p", { class: "form-status", role: "alert", "aria-live": "assertive" });
  const field = (label, attributes) => {
    const id = `signin-${attributes.name}`;
    return h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, ...attributes }));
  };
  const email = field("Email", { name: "email", type: "email", autocomplete: "username", required: true });
  const password = field("Password", { name: "password", type: "password", autocomplete: "current-password", required: true, minlength: "8" });
  const name = field("Display name", { name: "display_name", autocomplete: "nickname" });
  const country = field("Country (two letters, e.g. SE)", { name: "country", autocomplete: "country", maxlength: "2", pattern: "[A-Za-z]{2}" });
  const signUpOnly = h("div", { hidden: true }, name, country);
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const switcher = h("button", { type: "button", class: "link" }, "New here? Create an account");
  const heading = h("h1", {}, "Sign in to Encore");
  switcher.addEventListener("click", () => {
    mode = mode === "in" ? "up" : "in";
    signUpOnly.hidden = mode === "in";
    heading.textContent = mode === "in" ? "Sign in to Encore" : "Create your Encore account";
    submit.textContent = mode === "in" ? "Sign in" : "Sign up";
    switcher.textContent = mode === "in" ? "New here? Create an account" : "Have an account? Sign in";
    country.querySelector("input").required = mode === "up";
  });
  const form = h("form", { class: "signin", novalidate: false }, heading, email, password, signUpOnly, submit, status, switcher);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    submit.disabled = true;
    status.textContent = mode === "in" ? "Signing in…" : "Creating your account…";
    try {
      if (mode === "up") {
        await api("/api/v1/users", {
          method: "POST",
          json: {
            email: values.email,
            password: values.password,
            country: String(values.country || "").toUpperCase(),
            display_name: values.display_name || null,
          },
        });
      }
      await signIn(values.email, values.password);
      status.textContent = "";
      done();
    } catch (error) {
      status.textContent =
        error.status === 401 || error.status === 400
          ? "That email and password do not match an account."
          : error.message;
    } finally {
      submit.disabled = false;
    }
  });
  const kept = app.player.track
    ? h("p", { class: "muted" }, `Your queue is kept: "${app.player.track.name}" is waiting.`)
    : null;
  return h("section", { class: "signin-page" }, form, kept);
}
