// The sidebar list: pinned first, then by last activity; preview, time, unread and @me badges,
// muted/pinned state, presence dots, and a per-item menu (pin, mute, hide).
import { h, icon, morph } from '../dom.js';
import { t, formatShort } from '../i18n.js';
import { avatar, openMenu, toast } from './dialog.js';
import { previewOf } from './chat.js';

/** @typedef {import('../app.js').Ctx} Ctx */
/** @typedef {import('../store.js').Conversation} Conversation */

/**
 * @param {HTMLElement} root
 * @param {Ctx} ctx
 */
export function mountConversationList(root, ctx) {
  const { store } = ctx;
  const list = h('ul', { class: 'conv-list', testid: 'conversation-list', attrs: { role: 'list' } });
  const empty = h('div', { class: 'conv-empty', testid: 'conversation-empty' }, t('list.empty'));
  root.replaceChildren(list, empty);
  // Right-click anywhere on an item opens its menu (delegated: items are re-rendered in place).
  list.addEventListener('contextmenu', (e) => {
    const li = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest('[data-testid="conversation"]'));
    const c = li && li.dataset.conversationId ? store.convs.get(li.dataset.conversationId) : null;
    const more = li ? /** @type {HTMLElement | null} */ (li.querySelector('.conv-more')) : null;
    if (c && more) { e.preventDefault(); conversationMenu(ctx, c, more); }
  });

  let scheduled = false;
  const render = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => { scheduled = false; draw(); });
  };

  /** @type {Map<string, HTMLLIElement>} one stable <li> per conversation */
  const items = new Map();

  function draw() {
    const convs = store.sortedConversations();
    empty.hidden = convs.length > 0;
    const keep = new Set(convs.map((c) => c.conversationId));
    for (const [id, el] of items) if (!keep.has(id)) { el.remove(); items.delete(id); }
    let cursor = /** @type {ChildNode | null} */ (list.firstChild);
    for (const c of convs) {
      const fresh = item(c);
      let el = items.get(c.conversationId);
      if (!el) { el = fresh; items.set(c.conversationId, el); }
      else morphItem(el, fresh);
      if (el === cursor) cursor = cursor.nextSibling;
      else list.insertBefore(el, cursor);
    }
  }

  /**
   * Re-renders an item in place (skipped when nothing changed).
   * @param {HTMLLIElement} el
   * @param {HTMLLIElement} fresh
   */
  function morphItem(el, fresh) {
    if (el.outerHTML === fresh.outerHTML) return;
    morph(el, fresh);
  }

  /** @param {Conversation} c */
  function item(c) {
    const title = store.titleOf(c) || (c.conversationType === 'group' ? t('group.untitled') : t('common.loading'));
    const typists = store.typists(c.conversationId);
    const last = c.lastMessage;
    // The sender's name and the text are separate, direction-isolated elements: a name or a
    // text with bidi controls cannot reorder the other.
    /** @type {Node[]} */
    let preview = [];
    if (typists.length) preview = [document.createTextNode(t('typing.short'))];
    else if (last) {
      const who = last.senderId === store.me?.userId ? t('list.you') : (c.conversationType === 'group' ? (store.nameOf(last.senderId) || last.senderName || '') : '');
      preview = [
        ...(who ? [h('span', { class: 'preview-name', attrs: { dir: 'auto' } }, who), document.createTextNode(': ')] : []),
        h('span', { class: 'preview-text', attrs: { dir: 'auto' } }, previewOf(last, store)),
      ];
    }
    const presence = c.peerId ? store.presence.get(c.peerId) : null;
    const dot = c.conversationType === 'private'
      ? h('span', { class: 'presence-dot ' + (presence ? presence.status : 'offline'), testid: 'presence', dataset: { status: presence ? presence.status : 'offline' } })
      : null;
    const av = h('span', { class: 'avatar-wrap' },
      c.conversationType === 'group' ? h('span', { class: 'avatar group-avatar' }, icon('group')) : avatar(title, c.peerId || c.conversationId), dot);
    const badges = h('span', { class: 'conv-badges' },
      c.mentionUnread > 0 ? h('span', { class: 'mention-badge', testid: 'mention', attrs: { title: t('list.mentioned') } }, '@') : null,
      c.unread > 0 ? h('span', { class: 'unread' + (c.muted ? ' muted' : ''), testid: 'unread' }, c.unread > 999 ? '999+' : String(c.unread)) : null,
      c.pinned && c.unread === 0 ? h('span', { class: 'pin-mark', attrs: { title: t('list.pinned') } }, icon('pin')) : null);
    const open = h('button', {
      type: 'button', class: 'conv-main',
      on: { click: () => ctx.openConversation(c.conversationId) },
      attrs: { 'aria-current': c.conversationId === store.activeId ? 'true' : null },
    },
    av,
    h('span', { class: 'conv-body' },
      h('span', { class: 'conv-top' },
        h('span', { class: 'conv-title', attrs: { dir: 'auto' } }, title),
        c.muted ? h('span', { class: 'muted-mark', testid: 'muted', attrs: { title: t('list.muted') } }, icon('mute')) : null,
        h('span', { class: 'conv-time' }, formatShort(last ? last.timestamp : c.updatedAt))),
      h('span', { class: 'conv-bottom' },
        h('span', { class: 'conv-preview' + (typists.length ? ' typing-text' : '') }, ...preview),
        badges)));
    const more = h('button', {
      type: 'button', class: 'icon-btn conv-more', testid: 'conversation-menu', attrs: { 'aria-label': t('list.actions') },
      on: { click: (/** @type {Event} */ e) => { e.stopPropagation(); conversationMenu(ctx, c, /** @type {HTMLElement} */ (e.currentTarget)); } },
    }, icon('more'));
    const li = h('li', {
      class: 'conv' + (c.conversationId === store.activeId ? ' active' : '') + (c.pinned ? ' pinned' : '') + (c.muted ? ' is-muted' : ''),
      testid: 'conversation',
      dataset: { conversationId: c.conversationId, pinned: String(c.pinned), muted: String(c.muted) },
    }, open, more);
    return li;
  }

  const offs = [store.on('convs', render), store.on('users', render), store.on('presence', render), store.on('typing', render)];
  // Relative times ("Mon", "12:30") age; a redraw a minute keeps them right.
  const tick = setInterval(render, 60_000);
  draw();
  return () => { offs.forEach((f) => f()); clearInterval(tick); };
}

/**
 * Pin, mute, hide: PATCH /v1/conversations/{id} (§9).
 * @param {Ctx} ctx
 * @param {Conversation} c
 * @param {HTMLElement} anchor
 */
export function conversationMenu(ctx, c, anchor) {
  c = ctx.store.convs.get(c.conversationId) || c;
  openMenu(anchor, [
    { label: c.pinned ? t('list.unpin') : t('list.pin'), testid: 'action-pin', onSelect: () => setFlag(ctx, c, { pinned: !c.pinned }) },
    { label: c.muted ? t('list.unmute') : t('list.mute'), testid: 'action-mute', onSelect: () => setFlag(ctx, c, { muted: !c.muted }) },
    { label: t('list.hide'), testid: 'action-hide', onSelect: () => setFlag(ctx, c, { hidden: true }) },
  ], 'conversation-actions');
}

/**
 * @param {Ctx} ctx
 * @param {Conversation} c
 * @param {{pinned?: boolean, muted?: boolean, hidden?: boolean}} patch
 */
export async function setFlag(ctx, c, patch) {
  c = ctx.store.convs.get(c.conversationId) || c;
  if (c.lastSeq === 0) {
    // Not on the server yet (no message): only local.
    if (patch.hidden) { ctx.store.removeConversation(c.conversationId); if (ctx.store.activeId === c.conversationId) ctx.closeConversation(); }
    return;
  }
  try {
    const r = await ctx.api.patch('/v1/conversations/' + encodeURIComponent(c.conversationId), patch);
    const cur = ctx.store.convs.get(c.conversationId);
    if (cur) {
      cur.pinned = !!r.pinned; cur.muted = !!r.muted; cur.hidden = !!r.hidden; cur.synced = true;
      if (cur.hidden && ctx.store.activeId === cur.conversationId) ctx.closeConversation();
      ctx.store.emit('convs');
      ctx.store.emit('conv:' + cur.conversationId);
    }
  } catch (e) {
    toast(/** @type {any} */ (e).message || t('error.generic'), 'error');
  }
}
