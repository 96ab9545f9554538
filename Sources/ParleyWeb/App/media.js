// Protected media shown through blob: URLs: fetched with the Authorization header, so no
// token ever sits in a visible URL. Only this node's media downloads are ever fetched (see
// mediaPath); anything else a sender put in a message is shown as a plain link. The blob cache
// is bounded (least recently used first out, by count and bytes) and emptied on logout.

/** A media id (ParleyCore MediaLibrary.isMediaId): `m_` and 26 base32 characters (a–z, 2–7). */
const MEDIA_PATH = /^\/v1\/media\/m_[a-z2-7]{26}(?:\/thumbnail|\/display)?$/;

/**
 * The same-origin path of a media download (`/v1/media/<mediaId>`, optionally `/thumbnail` or
 * `/display`), or null when `url` is anything else (another origin, another path, a query…).
 * Pure: `origin` is the page's (location.origin).
 * @param {unknown} url
 * @param {string} origin
 * @returns {string | null}
 */
export function mediaPath(url, origin) {
  if (typeof url !== 'string' || !url || url.length > 2048) return null;
  let u;
  try { u = new URL(url, origin + '/'); } catch { return null; }
  if (u.origin !== origin || u.username || u.password || u.search || u.hash) return null;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  // The URL parser resolves dot segments and percent-encoding stays encoded: test the result.
  return MEDIA_PATH.test(u.pathname) ? u.pathname : null;
}

/**
 * An http(s) URL to show as a plain external link, or null.
 * @param {unknown} url
 * @param {string} base
 * @returns {string | null}
 */
export function externalUrl(url, base) {
  if (typeof url !== 'string' || !url) return null;
  try {
    const u = new URL(url, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch { return null; }
}

/** Bounds of the blob cache. */
export const CACHE_MAX_ENTRIES = 120;
export const CACHE_MAX_BYTES = 96 * 1024 * 1024;

/**
 * A least-recently-used cache of object URLs. `revoke` and `inUse` are injected so the policy
 * can be tested without a DOM.
 */
export class BlobCache {
  /**
   * @param {{maxEntries: number, maxBytes: number, revoke: (url: string) => void, inUse: (url: string) => boolean}} o
   */
  constructor(o) {
    this.o = o;
    /** @type {Map<string, {promise: Promise<string>, url: string | null, bytes: number, owned: boolean}>} in use order, oldest first */
    this.map = new Map();
    this.bytes = 0;
  }

  /** @param {string} key */
  get(key) {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.promise;
  }

  /** @param {string} key */
  has(key) { return this.map.has(key); }

  /** @param {string} key @returns {string | null} the loaded URL, if any (no reordering) */
  peek(key) { const e = this.map.get(key); return e ? e.url : null; }

  /**
   * @param {string} key
   * @param {Promise<{url: string, bytes: number}>} loading
   * @param {boolean} [owned] whether the cache revokes the URL when it drops it (not for URLs owned elsewhere)
   * @returns {Promise<string>}
   */
  put(key, loading, owned = true) {
    /** @type {{promise: Promise<string>, url: string | null, bytes: number, owned: boolean}} */
    const entry = { promise: Promise.resolve(''), url: null, bytes: 0, owned };
    entry.promise = loading.then((r) => {
      if (this.map.get(key) !== entry) {
        // Dropped (logout, eviction) while loading: nobody holds it.
        if (owned) this.o.revoke(r.url);
        return r.url;
      }
      entry.url = r.url;
      entry.bytes = r.bytes;
      this.bytes += r.bytes;
      this.trim();
      return r.url;
    }, (err) => {
      if (this.map.get(key) === entry) this.map.delete(key);
      throw err;
    });
    this.map.set(key, entry);
    this.trim();
    return entry.promise;
  }

  /** Evicts the least recently used loaded entries not shown anywhere, until within bounds. */
  trim() {
    if (this.map.size <= this.o.maxEntries && this.bytes <= this.o.maxBytes) return;
    for (const [key, e] of [...this.map]) {
      if (this.map.size <= this.o.maxEntries && this.bytes <= this.o.maxBytes) break;
      if (!e.url || this.o.inUse(e.url)) continue;
      this.drop(key);
    }
  }

  /** @param {string} key */
  drop(key) {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    if (e.url) {
      this.bytes -= e.bytes;
      if (e.owned) this.o.revoke(e.url);
    }
  }

  /** Drops everything (logout), revoking the URLs it made. */
  clear() {
    for (const key of [...this.map.keys()]) this.drop(key);
    this.bytes = 0;
  }
}

/** @param {string} url */
function shownInPage(url) {
  if (typeof document === 'undefined') return false;
  for (const el of document.querySelectorAll('img, audio, video, source')) {
    if (/** @type {HTMLImageElement} */ (el).src === url) return true;
  }
  return false;
}

const cache = new BlobCache({
  maxEntries: CACHE_MAX_ENTRIES,
  maxBytes: CACHE_MAX_BYTES,
  revoke: (url) => { try { URL.revokeObjectURL(url); } catch { /* not ours */ } },
  inUse: shownInPage,
});
/** @type {import('./api.js').Api | null} */
let api = null;

/** @param {import('./api.js').Api} a */
export function initMedia(a) { api = a; }

/** Logout: every cached blob URL is revoked and nothing stays for the next user. */
export function clearMedia() {
  cache.clear();
  if (observer) { observer.disconnect(); observer = null; }
  lazy = new WeakMap();
}

/**
 * A blob: URL for a media path like `/v1/media/m_…/thumbnail`. Anything that is not one of
 * this node's media downloads is refused (never fetched).
 * @param {string} path
 * @returns {Promise<string>}
 */
export function mediaUrl(path) {
  const safe = typeof location !== 'undefined' ? mediaPath(path, location.origin) : null;
  if (!safe) return Promise.reject(new Error('not a media download'));
  const hit = cache.get(safe);
  if (hit) return hit;
  if (!api) return Promise.reject(new Error('media not initialised'));
  const a = api;
  return cache.put(safe, a.fetchBlob(safe).then((b) => ({ url: URL.createObjectURL(b), bytes: b.size })));
}

/**
 * The blob: URL of a media path already downloaded (e.g. a voice message played before a
 * re-render), or null.
 * @param {string} path
 */
export function cachedMediaUrl(path) {
  const safe = typeof location !== 'undefined' ? mediaPath(path, location.origin) : null;
  return safe ? cache.peek(safe) : null;
}

/**
 * Seeds the cache with a local object URL (the file just uploaded), so one's own image shows
 * at once and is never downloaded back. The URL stays the uploader's (not revoked by the cache).
 * @param {string} path
 * @param {string} objectUrl
 */
export function primeMedia(path, objectUrl) {
  const safe = typeof location !== 'undefined' ? mediaPath(path, location.origin) : null;
  if (safe && !cache.has(safe)) cache.put(safe, Promise.resolve({ url: objectUrl, bytes: 0 }), false);
}

/**
 * Loads a media path into an <img>/<video>/<audio> element.
 * @param {HTMLImageElement | HTMLMediaElement} el
 * @param {string} path
 * @returns {Promise<void>}
 */
export function loadInto(el, path) {
  el.classList.add('loading');
  return mediaUrl(path).then((url) => { el.src = url; el.classList.remove('loading'); })
    .catch(() => { el.classList.remove('loading'); el.classList.add('broken'); });
}

/** @type {IntersectionObserver | null} */
let observer = null;
/** @type {WeakMap<Element, string>} elements waiting to come into view, with their path */
let lazy = new WeakMap();

/**
 * Loads a media path into an element once it scrolls near the viewport (thumbnails).
 * @param {HTMLImageElement | HTMLMediaElement} el
 * @param {string} path
 */
export function loadLazy(el, path) {
  if (typeof IntersectionObserver === 'undefined') { loadInto(el, path); return; }
  if (!observer) {
    observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        const p = lazy.get(e.target);
        lazy.delete(e.target);
        if (observer) observer.unobserve(e.target);
        if (p) loadInto(/** @type {HTMLImageElement} */ (e.target), p);
      }
    }, { rootMargin: '300px 0px' });
  }
  el.classList.add('loading');
  lazy.set(el, path);
  observer.observe(el);
}

/**
 * Saves a (file-kind) media: download with the header, then a temporary link whose URL is
 * revoked once the download started (files are not kept in the cache).
 * @param {string} path
 * @param {string} name
 */
export async function download(path, name) {
  const safe = mediaPath(path, location.origin);
  if (!safe || !api) throw new Error('not a media download');
  const cached = cache.has(safe) ? await cache.get(safe) : null;
  const url = cached || URL.createObjectURL(await api.fetchBlob(safe));
  const a = document.createElement('a');
  a.href = url;
  a.download = name || 'file';
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  if (!cached) setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** @param {number} n bytes */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
  if (n < 1024 ** 3) return (n / 1024 / 1024).toFixed(1) + ' MB';
  return (n / 1024 ** 3).toFixed(2) + ' GB';
}
