// Browser (system) notifications for new messages while the tab is hidden, and the unread
// total in the document title. Permission is asked from the settings toggle, never on load.
import { loadJSON, saveJSON } from './session.js';
import { t } from './i18n.js';

const KEY = 'parley.notify';

export function notificationsSupported() { return 'Notification' in window; }

export function notificationsEnabled() {
  return notificationsSupported() && Notification.permission === 'granted' && loadJSON(KEY, /** @type {boolean} */ (false)) === true;
}

/**
 * Turns desktop notifications on (asking permission) or off.
 * @param {boolean} on
 * @returns {Promise<boolean>} the resulting state
 */
export async function setNotifications(on) {
  if (!on) { saveJSON(KEY, false); return false; }
  if (!notificationsSupported()) return false;
  let perm = Notification.permission;
  if (perm === 'default') perm = await Notification.requestPermission();
  saveJSON(KEY, perm === 'granted');
  return perm === 'granted';
}

/**
 * @param {string} title
 * @param {string} body
 * @param {string} tag one per conversation, so a burst collapses into one
 * @param {() => void} onClick
 */
export function notify(title, body, tag, onClick) {
  if (!notificationsEnabled() || !document.hidden) return;
  try {
    const n = new Notification(title, { body, tag });
    n.onclick = () => { window.focus(); onClick(); n.close(); };
  } catch { /* some platforms only allow notifications from a service worker */ }
}

/** @param {number} unread */
export function updateTitle(unread) {
  const base = t('app.name');
  document.title = unread > 0 ? `(${unread > 999 ? '999+' : unread}) ${base}` : base;
}
