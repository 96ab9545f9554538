// Modal dialogs on the native <dialog> element (focus trap and Escape come with it), a small
// popup menu, and toasts.
import { h, icon } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @typedef {Object} DialogHandle
 * @property {HTMLDialogElement} el
 * @property {HTMLElement} body
 * @property {() => void} close
 */

/**
 * @param {{title: string, testid: string, wide?: boolean, onClose?: () => void}} opts
 * @returns {DialogHandle}
 */
export function openDialog(opts) {
  const body = h('div', { class: 'dialog-body' });
  const closeBtn = h('button', { class: 'icon-btn', type: 'button', testid: 'dialog-close', attrs: { 'aria-label': t('common.close') } }, icon('close'));
  const dlg = h('dialog', { class: 'dialog' + (opts.wide ? ' wide' : ''), testid: opts.testid, attrs: { 'aria-label': opts.title } },
    h('header', { class: 'dialog-header' }, h('h2', null, opts.title), closeBtn),
    body);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (dlg.open) dlg.close();
    dlg.remove();
    if (opts.onClose) opts.onClose();
  };
  closeBtn.addEventListener('click', close);
  dlg.addEventListener('close', close);
  // A click on the backdrop (outside the dialog's box) closes it.
  dlg.addEventListener('mousedown', (e) => {
    if (e.target !== dlg) return;
    const r = dlg.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) close();
  });
  document.body.appendChild(dlg);
  dlg.showModal();
  return { el: dlg, body, close };
}

/**
 * @typedef {{label: string, testid?: string, danger?: boolean, onSelect: () => void}} MenuItem
 */

/** @type {(() => void) | null} */
let closeOpenMenu = null;

/**
 * A popup menu next to `anchor`. Arrow keys move, Escape or a click elsewhere closes.
 * @param {HTMLElement} anchor
 * @param {MenuItem[]} items
 * @param {string} [testid]
 */
export function openMenu(anchor, items, testid = 'menu') {
  if (closeOpenMenu) closeOpenMenu();
  const menu = h('div', { class: 'menu', testid, attrs: { role: 'menu' } },
    items.map((it) => h('button', {
      type: 'button', class: 'menu-item' + (it.danger ? ' danger' : ''), testid: it.testid, attrs: { role: 'menuitem' },
      on: { click: (/** @type {Event} */ e) => { e.stopPropagation(); close(); it.onSelect(); } },
    }, it.label)));
  const onDoc = (/** @type {Event} */ e) => { if (!menu.contains(/** @type {Node} */ (e.target))) close(); };
  const onKey = (/** @type {KeyboardEvent} */ e) => {
    const buttons = /** @type {HTMLButtonElement[]} */ ([...menu.querySelectorAll('button')]);
    const i = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); anchor.focus(); }
    else if (e.key === 'ArrowDown') { e.preventDefault(); buttons[(i + 1) % buttons.length]?.focus(); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); buttons[(i - 1 + buttons.length) % buttons.length]?.focus(); }
  };
  function close() {
    menu.remove();
    document.removeEventListener('mousedown', onDoc, true);
    document.removeEventListener('keydown', onKey, true);
    if (closeOpenMenu === close) closeOpenMenu = null;
  }
  closeOpenMenu = close;
  // Inside an open modal dialog, the menu must live in the dialog (top layer) to be clickable.
  const host = anchor.closest('dialog') || document.body;
  host.appendChild(menu);
  const r = anchor.getBoundingClientRect();
  const mw = menu.offsetWidth, mh = menu.offsetHeight;
  let left = Math.min(r.right - mw, window.innerWidth - mw - 8);
  if (left < 8) left = Math.min(r.left, window.innerWidth - mw - 8);
  let top = r.bottom + 4;
  if (top + mh > window.innerHeight - 8) top = Math.max(8, r.top - mh - 4);
  const hr = host === document.body ? { left: 0, top: 0 } : host.getBoundingClientRect();
  menu.style.left = Math.max(8, left) - hr.left + 'px';
  menu.style.top = top - hr.top + 'px';
  document.addEventListener('mousedown', onDoc, true);
  document.addEventListener('keydown', onKey, true);
  /** @type {HTMLButtonElement | null} */ (menu.querySelector('button'))?.focus();
  return close;
}

/** @param {string} text @param {'info' | 'error'} [kind] */
export function toast(text, kind = 'info') {
  let root = document.querySelector('.toasts');
  if (!root) { root = h('div', { class: 'toasts', attrs: { 'aria-live': 'polite' } }); document.body.appendChild(root); }
  const el = h('div', { class: 'toast ' + kind, testid: 'toast' }, text);
  root.appendChild(el);
  setTimeout(() => { el.classList.add('out'); setTimeout(() => el.remove(), 300); }, 3500);
}

/**
 * A confirm dialog.
 * @param {string} text
 * @param {string} okLabel
 * @returns {Promise<boolean>}
 */
export function confirmDialog(text, okLabel) {
  return new Promise((resolve) => {
    let result = false;
    const d = openDialog({ title: t('common.confirm'), testid: 'confirm-dialog', onClose: () => resolve(result) });
    d.body.append(
      h('p', { class: 'confirm-text' }, text),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', testid: 'confirm-cancel', on: { click: () => d.close() } }, t('common.cancel')),
        h('button', { type: 'button', class: 'btn primary danger', testid: 'confirm-ok', on: { click: () => { result = true; d.close(); } } }, okLabel)));
  });
}

/**
 * An avatar: the user's initials on a colour derived from their id.
 * @param {string} name
 * @param {string} seed
 * @param {string} [extraClass]
 */
export function avatar(name, seed, extraClass = '') {
  const initials = [...(name || '?').trim()].slice(0, 1).join('').toUpperCase() || '?';
  let hash = 0;
  for (const ch of seed) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return h('span', { class: `avatar hue-${hash % 8} ${extraClass}`, attrs: { 'aria-hidden': 'true' } }, initials);
}
