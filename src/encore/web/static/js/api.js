// The one way the player talks to Encore: bearer tokens, refresh on 401, timeouts, and
// problem+json turned into errors that say what happened.
import { clearSession, loadSession, saveSession } from "./session.js";

export const TIMEOUT_MS = 10000;

export class ApiError extends Error {
  constructor(status, title, detail, body) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
    this.body = body;
  }
}

// Listeners told when the session is gone for good (refresh refused): back to sign-in.
const expiredListeners = new Set();
export function onSessionExpired(listener) {
  expiredListeners.add(listener);
}

let refreshing = null;

async function refresh() {
  const session = loadSession();
  if (!session || !session.refresh_token) throw new ApiError(401, "Signed out");
  if (!refreshing) {
    refreshing = (async () => {
      const body = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: session.refresh_token,
      });
      const answer = await timed("/api/v1/auth/token", { method: "POST", body });
      if (!answer.ok) throw await problemOf(answer);
      return saveSession(await answer.json());
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function timed(url, init = {}, timeoutMs = TIMEOUT_MS) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  if (init.signal) init.signal.addEventListener("abort", () => controller.abort());
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted && !(init.signal && init.signal.aborted)) {
      throw new ApiError(0, "Timed out", "Encore is not answering (it took too long)");
    }
    if (init.signal && init.signal.aborted) throw error;
    throw new ApiError(
      0,
      "Unreachable",
      navigator.onLine ? "Encore cannot be reached right now" : "You are offline",
    );
  } finally {
    clearTimeout(timer);
  }
}

async function problemOf(answer) {
  let body = null;
  try {
    body = await answer.json();
  } catch {
    body = null;
  }
  const title = (body && body.title) || answer.statusText;
  const detail = (body && body.detail) || title;
  return new ApiError(answer.status, title, detail, body);
}

// A request to the API. `options.json` sends a JSON body; `options.raw` returns the Response.
export async function api(path, options = {}) {
  const { json, headers = {}, raw, timeoutMs, ...rest } = options;
  const send = async () => {
    const session = loadSession();
    const all = { ...headers };
    if (session) all.Authorization = `Bearer ${session.access_token}`;
    const init = { ...rest, headers: all };
    if (json !== undefined) {
      all["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    return timed(path, init, timeoutMs);
  };
  let answer = await send();
  if (answer.status === 401 && loadSession()) {
    try {
      await refresh();
    } catch (error) {
      if (error instanceof ApiError && error.status !== 0) {
        clearSession();
        for (const listener of expiredListeners) listener();
      }
      throw new ApiError(401, "Session expired", "Your session expired: sign in again");
    }
    answer = await send();
  }
  if (raw) return answer;
  if (!answer.ok) throw await problemOf(answer);
  if (answer.status === 204) return null;
  const type = answer.headers.get("content-type") || "";
  return type.includes("json") ? answer.json() : answer.text();
}

export async function signIn(email, password) {
  const body = new URLSearchParams({ grant_type: "password", username: email, password });
  const answer = await timed("/api/v1/auth/token", { method: "POST", body });
  if (!answer.ok) throw await problemOf(answer);
  return saveSession(await answer.json());
}

export async function signOut() {
  const session = loadSession();
  clearSession();
  if (session) {
    const body = new URLSearchParams({ token: session.refresh_token });
    timed("/api/v1/auth/revoke", { method: "POST", body }).catch(() => {});
  }
}

export function coverUrl(albumId) {
  return albumId ? `/api/v1/albums/${encodeURIComponent(albumId)}/cover` : "";
}
