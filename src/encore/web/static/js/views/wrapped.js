// Wrapped: a listener's year in numbers and charts.
import { api, ApiError } from "../api.js";
import { columnChart, rankingChart } from "../charts.js";
import { h, loading } from "../ui.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function wrappedView(app, yearText) {
  const year = Number(yearText) || new Date().getFullYear();
  const years = h("nav", { class: "row", "aria-label": "Years" }, [year - 1, year].map((y) => h("a", { href: `#/wrapped/${y}`, "aria-current": y === year ? "page" : null }, String(y))));
  return h(
    "section",
    { class: "wrapped" },
    h("h1", {}, `Your ${year} Wrapped`),
    years,
    loading(
      () => api(`/api/v1/me/wrapped?year=${year}`).catch((error) => {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
      (wrapped) => {
        if (!wrapped) return h("p", { class: "unavailable" }, `Your ${year} Wrapped is not ready yet: it is made once the year's listening has been counted.`);
        return h(
          "div",
          {},
          h("div", { class: "stats" },
            h("div", { class: "stat" }, h("strong", {}, wrapped.minutes_listened.toLocaleString()), " minutes"),
            h("div", { class: "stat" }, h("strong", {}, wrapped.plays.toLocaleString()), " plays"),
            h("div", { class: "stat" }, h("strong", {}, wrapped.distinct_artists.toLocaleString()), " artists")),
          h("h2", {}, `You are: ${wrapped.personality.name}`),
          h("p", {}, wrapped.personality.description),
          h("h2", {}, "Top artists"),
          rankingChart(wrapped.top_artists.slice(0, 5), { title: "Top artists by minutes", value: (r) => r.minutes, unit: " min" }),
          h("h2", {}, "Top songs"),
          rankingChart(wrapped.top_tracks.slice(0, 5), { title: "Top songs by plays", value: (r) => r.plays, unit: " plays" }),
          h("h2", {}, "Top genres"),
          rankingChart(wrapped.top_genres.slice(0, 5), { title: "Top genres by minutes", value: (r) => r.minutes, unit: " min" }),
          h("h2", {}, "Minutes by month"),
          columnChart(wrapped.minutes_by_month, MONTHS, { title: "Minutes listened by month", unit: " min" }),
          h("h2", {}, "Minutes by hour (UTC)"),
          columnChart(wrapped.minutes_by_hour, wrapped.minutes_by_hour.map((_, i) => (i % 3 === 0 ? String(i) : "")), { title: "Minutes listened by hour of day", unit: " min" }),
        );
      },
    ),
  );
}
