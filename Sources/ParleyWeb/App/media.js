// Protected media shown through blob: URLs: fetched with the Authorization header, so no
// token ever sits in a visible URL. Cached per path for the page's life (bytes never change).

/** @type {Map<string, Promise<string>>} */
const cache = new Map();
/** @type {import('./api.js').Api | null} */
let api = null;

/** @param {import('./api.js').Api} a */
export function initMedia(a) { api = a; }

/**
 * A blob: URL for a media path like `/v1/media/m_…/thumbnail`.
 * @param {string} path
 * @returns {Promise<string>}
 */
export function mediaUrl(path) {
  let p = cache.get(path);
  if (!p) {
    if (!api) return Promise.reject(new Error('media not initialised'));
    p = api.fetchBlob(path).then((b) => URL.createObjectURL(b));
    p.catch(() => cache.delete(path));
    cache.set(path, p);
  }
  return p;
}

/**
 * Seeds the cache with a local object URL (the file just uploaded), so one's own image shows
 * at once and is never downloaded back.
 * @param {string} path
 * @param {string} objectUrl
 */
export function primeMedia(path, objectUrl) {
  if (!cache.has(path)) cache.set(path, Promise.resolve(objectUrl));
}

/**
 * Loads a media path into an <img>/<video>/<audio> element.
 * @param {HTMLImageElement | HTMLMediaElement} el
 * @param {string} path
 */
export function loadInto(el, path) {
  el.classList.add('loading');
  mediaUrl(path).then((url) => { el.src = url; el.classList.remove('loading'); })
    .catch(() => { el.classList.remove('loading'); el.classList.add('broken'); });
}

/**
 * Saves a (file-kind) media: download with the header, then a temporary link.
 * @param {string} path
 * @param {string} name
 */
export async function download(path, name) {
  const url = await mediaUrl(path);
  const a = document.createElement('a');
  a.href = url;
  a.download = name || 'file';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** @param {number} n bytes */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
  if (n < 1024 ** 3) return (n / 1024 / 1024).toFixed(1) + ' MB';
  return (n / 1024 ** 3).toFixed(2) + ' GB';
}
