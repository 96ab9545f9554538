// HTTP client for /v1: Bearer tokens, refresh before expiry and once on a 401, uploads with
// progress (XMLHttpRequest: fetch has no upload progress) and authorised media downloads.
import { loadSession, saveSession, clearSession, sessionFromGrant } from './session.js';
import { mediaPath } from './media.js';

/** @typedef {import('./session.js').Session} Session */

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: network failure)
   * @param {string} code protocol error code (§10), or `network`
   * @param {string} message
   * @param {number} [retryAfterMs]
   */
  constructor(status, code, message, retryAfterMs) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Refresh this long before the access token runs out. */
const REFRESH_MARGIN_MS = 60_000;

/**
 * How long before expiry to refresh: `ms`, but at most a fifth of the token's lifetime, so a
 * node issuing short tokens (say 60 s) is not asked for a new one every few seconds.
 * @param {Session} session @param {number} ms
 */
function refreshMargin(session, ms) {
  return session.lifetimeMs > 0 ? Math.min(ms, session.lifetimeMs / 5) : ms;
}

export class Api {
  constructor() {
    /** @type {Session | null} */
    this.session = loadSession();
    /** @type {Promise<Session> | null} */
    this.refreshing = null;
    /** Called when the login is gone for good (refresh refused, logout, kicked). */
    this.onLoggedOut = /** @type {(reason: string) => void} */ (() => {});
    /** Called whenever the token changes (so the socket can use the new one next time). */
    this.onSession = /** @type {(s: Session | null) => void} */ (() => {});
    /** @type {number | undefined} */
    this.timer = undefined;
    /** When this tab last asked to change the password (its own kick may then reconnect). */
    this.passwordChangeAt = 0;
    this.schedule();
    // Another tab may refresh the shared login; pick its tokens up instead of refreshing again
    // (presenting a rotated-away refresh token would revoke the whole login).
    window.addEventListener('storage', (e) => {
      if (e.key !== 'parley.session') return;
      const s = loadSession();
      if (!this.session) return;
      if (!s) { this.dropSession(); this.onLoggedOut('logout'); return; }
      if (s.userId === this.session.userId) { this.session = s; this.schedule(); this.onSession(s); return; }
      // Someone else signed in in another tab: never take their login over.
      this.switched();
    });
  }

  get userId() { return this.session ? this.session.userId : null; }

  /** Forgets this tab's login in memory only (the stored one may be another user's). */
  dropSession() {
    this.session = null;
    clearTimeout(this.timer);
  }

  /**
   * The stored login now belongs to another user (signed in in another tab): this tab is logged
   * out, without touching that login. Our own login is revoked on the server, best effort.
   */
  switched() {
    const mine = this.session;
    if (!mine) return;
    this.dropSession();
    if (mine.expiresAt > Date.now()) {
      fetch('/v1/auth/logout', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + mine.accessToken }, body: '{}' }).catch(() => {});
    }
    this.onLoggedOut('switched');
  }

  /** @param {{userId: string, accessToken: string, refreshToken: string, expiresIn: number}} grant */
  adopt(grant) {
    this.session = sessionFromGrant(grant);
    saveSession(this.session);
    this.schedule();
    this.onSession(this.session);
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.session) return;
    const due = Math.max(5_000, this.session.expiresAt - refreshMargin(this.session, REFRESH_MARGIN_MS) - Date.now());
    this.timer = window.setTimeout(() => { this.refresh().catch(() => {}); }, Math.min(due, 2 ** 31 - 1));
  }

  /** @returns {Promise<string>} a currently valid access token */
  async token() {
    if (!this.session) throw new ApiError(401, 'unauthorized', 'not logged in');
    if (this.session.expiresAt - Date.now() < refreshMargin(this.session, 30_000)) await this.refresh();
    if (!this.session) throw new ApiError(401, 'unauthorized', 'not logged in');
    return this.session.accessToken;
  }

  /**
   * Rotates the refresh token. Single-flight in this tab, and serialised across tabs with the
   * Web Locks API where present: two tabs presenting the same refresh token would look like theft.
   * @returns {Promise<Session>}
   */
  refresh() {
    if (this.refreshing) return this.refreshing;
    const own = this.session;
    const run = async () => {
      if (!own || !this.session || this.session.userId !== own.userId) throw new ApiError(401, 'unauthorized', 'not logged in');
      // Another tab may have refreshed while we waited for the lock; only ever adopt a login of
      // the same user (another user's login in storage means this tab is logged out).
      const stored = loadSession();
      if (stored && stored.userId !== own.userId) {
        this.switched();
        throw new ApiError(401, 'unauthorized', 'another user signed in');
      }
      if (stored && stored.refreshToken !== own.refreshToken && stored.expiresAt - Date.now() > 30_000) {
        this.session = stored;
        return stored;
      }
      const current = stored || this.session;
      if (!current || current.userId !== own.userId) throw new ApiError(401, 'unauthorized', 'not logged in');
      let res;
      try {
        res = await fetch('/v1/auth/refresh', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refreshToken: current.refreshToken }),
        });
      } catch {
        throw new ApiError(0, 'network', 'network error');
      }
      if (res.status === 401 || res.status === 403) {
        // Only clear the stored login if it is still ours.
        const now = loadSession();
        if (!now || now.userId === own.userId) clearSession();
        if (this.session) { this.dropSession(); this.onLoggedOut('expired'); }
        throw new ApiError(401, 'unauthorized', 'login expired');
      }
      if (!res.ok) throw await errorFrom(res);
      const grant = await res.json();
      const next = sessionFromGrant(grant);
      if (next.userId !== own.userId) throw new ApiError(401, 'unauthorized', 'not logged in');
      // Logged out (or switched) while the refresh was in flight: do not bring the login back.
      if (!this.session) throw new ApiError(401, 'unauthorized', 'not logged in');
      this.session = next;
      saveSession(next);
      return next;
    };
    const locks = /** @type {any} */ (navigator).locks;
    const p = (locks && typeof locks.request === 'function' ? locks.request('parley-refresh', run) : run())
      .then((/** @type {Session} */ s) => { this.schedule(); this.onSession(s); return s; })
      .finally(() => { this.refreshing = null; });
    this.refreshing = p;
    return p;
  }

  /**
   * A JSON request. Retries once with a refreshed token on 401.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {{auth?: boolean}} [opts]
   * @returns {Promise<any>}
   */
  async request(method, path, body, opts = {}) {
    const auth = opts.auth !== false;
    for (let attempt = 0; ; attempt++) {
      /** @type {Record<string, string>} */
      const headers = {};
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const used = auth ? await this.token() : '';
      if (auth) headers['Authorization'] = 'Bearer ' + used;
      let res;
      try {
        res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch {
        throw new ApiError(0, 'network', 'network error');
      }
      if (res.status === 401 && auth && attempt === 0) {
        // A newer token arrived meanwhile (another tab, a password change): just use it.
        if (!this.session || this.session.accessToken === used) await this.refresh();
        continue;
      }
      if (!res.ok) throw await errorFrom(res);
      const text = await res.text();
      return text ? JSON.parse(text) : {};
    }
  }

  /** @param {string} path */
  get(path) { return this.request('GET', path); }
  /** @param {string} path @param {unknown} [body] */
  post(path, body) { return this.request('POST', path, body === undefined ? {} : body); }
  /** @param {string} path @param {unknown} body */
  patch(path, body) { return this.request('PATCH', path, body); }
  /** @param {string} path @param {unknown} body */
  put(path, body) { return this.request('PUT', path, body); }
  /** @param {string} path */
  del(path) { return this.request('DELETE', path); }

  /**
   * @param {'login' | 'register'} kind
   * @param {{username: string, password: string, displayName?: string}} body
   */
  async authenticate(kind, body) {
    const grant = await this.request('POST', '/v1/auth/' + kind, body, { auth: false });
    this.adopt(grant);
    return grant;
  }

  async logout() {
    const mine = this.session;
    try { if (mine) await this.post('/v1/auth/logout'); } catch { /* the login ends locally anyway */ }
    this.dropSession();
    // Another tab may have signed in as someone else meanwhile: leave that login alone.
    const stored = loadSession();
    if (!stored || !mine || stored.userId === mine.userId) clearSession();
  }

  /** Ends the login locally (a ban: the server already revoked it). */
  forget() {
    const mine = this.session;
    this.dropSession();
    const stored = loadSession();
    if (!stored || !mine || stored.userId === mine.userId) clearSession();
  }

  /**
   * Downloads a protected media path as a Blob (Authorization header: no token in the URL).
   * @param {string} path
   * @returns {Promise<Blob>}
   */
  async fetchBlob(path) {
    // The token goes only to this node's media downloads, never to a URL a sender chose.
    const safe = mediaPath(path, location.origin);
    if (!safe) throw new ApiError(0, 'bad_request', 'not a media download');
    path = safe;
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await fetch(path, { headers: { Authorization: 'Bearer ' + (await this.token()) } });
      } catch {
        throw new ApiError(0, 'network', 'network error');
      }
      if (res.status === 401 && attempt === 0) { await this.refresh(); continue; }
      if (!res.ok) throw await errorFrom(res);
      return res.blob();
    }
  }

  /**
   * One-request upload (`POST /v1/media?name=`) with progress events.
   * @param {Blob} file
   * @param {string} name
   * @param {(loaded: number, total: number) => void} onProgress
   * @returns {{promise: Promise<any>, abort: () => void}}
   */
  upload(file, name, onProgress) {
    const xhr = new XMLHttpRequest();
    const promise = this.token().then((token) => new Promise((resolve, reject) => {
      xhr.open('POST', '/v1/media?name=' + encodeURIComponent(name));
      xhr.setRequestHeader('Authorization', 'Bearer ' + token);
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); });
      xhr.addEventListener('load', () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else {
          const err = body && body.error ? body.error : {};
          reject(new ApiError(xhr.status, err.code || 'http_' + xhr.status, err.message || xhr.statusText, err.retryAfterMs));
        }
      });
      xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'network error')));
      xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'upload cancelled')));
      xhr.send(file);
    }));
    return { promise, abort: () => xhr.abort() };
  }
}

/**
 * @param {Response} res
 * @returns {Promise<ApiError>}
 */
async function errorFrom(res) {
  try {
    const body = await res.json();
    if (body && body.error) return new ApiError(res.status, body.error.code, body.error.message, body.error.retryAfterMs);
  } catch { /* not JSON */ }
  return new ApiError(res.status, 'http_' + res.status, res.statusText || 'request failed');
}
