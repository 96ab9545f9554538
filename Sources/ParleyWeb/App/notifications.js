// Browser (system) notifications for new messages while the tab is hidden, and the unread
// total in the document title. Permission is asked from the settings toggle, never on load.
import { loadJSON, saveJSON } from './session.js';
import { t } from './i18n.js';

// The switch is per account (`parley.notify.<userId>`): the next user of this browser does not
// inherit it. The key shared by every account in older versions is dropped.
const PREFIX = 'parley.notify.';
try { localStorage.removeItem('parley.notify'); } catch { /* no storage */ }

/** @type {string | null} */
let user = null;
/** Whether notifications may show the sender and text (the push `preview` setting); off until known. */
let preview = false;

/**
 * Whose switch is read and written (null: logged out, nothing is shown).
 * @param {string | null} userId
 */
export function setNotifyUser(userId) { user = userId; preview = false; }

/** @param {boolean} on the user's push `preview` setting (GET /v1/push/settings) */
export function setNotifyPreview(on) { preview = on; }

/** @param {string} userId */
export function notifyKey(userId) { return PREFIX + userId; }

export function notificationsSupported() { return 'Notification' in window; }

export function notificationsEnabled() {
  return !!user && notificationsSupported() && Notification.permission === 'granted' && loadJSON(notifyKey(user), /** @type {boolean} */ (false)) === true;
}

/**
 * Turns desktop notifications on (asking permission) or off.
 * @param {boolean} on
 * @returns {Promise<boolean>} the resulting state
 */
export async function setNotifications(on) {
  const u = user;
  if (!u) return false;
  if (!on) { saveJSON(notifyKey(u), false); return false; }
  if (!notificationsSupported()) return false;
  let perm = Notification.permission;
  if (perm === 'default') perm = await Notification.requestPermission();
  if (user !== u) return false;
  saveJSON(notifyKey(u), perm === 'granted');
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
  // Without preview: no sender, no text (as the user chose for push).
  if (!preview) { title = t('app.name'); body = t('notify.newMessage'); }
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
