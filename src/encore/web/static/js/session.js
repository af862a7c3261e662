// The signed-in session: tokens kept in localStorage so a reload stays signed in.
const KEY = "encore.session";

export function loadSession() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || "null");
    return saved && saved.access_token ? saved : null;
  } catch {
    return null;
  }
}

export function saveSession(tokens) {
  const session = {
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_at: Date.now() + (tokens.expires_in || 900) * 1000,
  };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function clearSession() {
  localStorage.removeItem(KEY);
}
