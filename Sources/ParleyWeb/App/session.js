// The stored login (localStorage, so it survives reloads) and this tab's device id.

/**
 * @typedef {Object} Session
 * @property {string} userId
 * @property {string} accessToken
 * @property {string} refreshToken
 * @property {number} expiresAt epoch ms when the access token expires
 * @property {number} lifetimeMs how long the access token was issued for (0: unknown)
 */

const KEY = 'parley.session';

/** @returns {Session | null} */
export function loadSession() {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw);
    if (s && typeof s.userId === 'string' && typeof s.accessToken === 'string' && typeof s.refreshToken === 'string') {
      return { userId: s.userId, accessToken: s.accessToken, refreshToken: s.refreshToken, expiresAt: Number(s.expiresAt) || 0, lifetimeMs: Number(s.lifetimeMs) || 0 };
    }
  } catch { /* corrupt storage: treat as logged out */ }
  return null;
}

/** @param {Session} session */
export function saveSession(session) {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession() {
  localStorage.removeItem(KEY);
}

/**
 * Turns a token grant from register/login/refresh into a session.
 * @param {{userId: string, accessToken: string, refreshToken: string, expiresIn: number}} grant
 * @returns {Session}
 */
export function sessionFromGrant(grant) {
  return {
    userId: grant.userId,
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken,
    expiresAt: Date.now() + grant.expiresIn * 1000,
    lifetimeMs: grant.expiresIn * 1000,
  };
}

/**
 * A device id per tab: a new session on the same device id replaces (kicks) the old one, so two
 * tabs sharing an id would kick each other forever. sessionStorage keeps it across reloads of a tab.
 * @returns {string}
 */
export function deviceId() {
  let id = sessionStorage.getItem('parley.deviceId');
  if (!id) {
    id = 'web-' + randomId(12);
    sessionStorage.setItem('parley.deviceId', id);
  }
  return id;
}

/** @param {number} bytes */
export function randomId(bytes = 16) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Small typed wrapper for per-user preferences and caches in localStorage.
 * @template T
 * @param {string} key
 * @param {T} fallback
 * @returns {T}
 */
export function loadJSON(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw ? /** @type {T} */ (JSON.parse(raw)) : fallback;
  } catch {
    return fallback;
  }
}

/**
 * @param {string} key
 * @param {unknown} value
 */
export function saveJSON(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch { /* quota: the cache is only an optimisation */ }
}
