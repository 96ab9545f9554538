// One conversation: header, the message list (paged history, live messages, day separators,
// statuses, reactions, replies), typing indicator and the composer (text, @mentions, files).
import { h, icon, morph } from '../dom.js';
import { t, formatTime, formatDay, formatLastSeen } from '../i18n.js';
import { EVENT_TYPES } from '../store.js';
import { peerOf } from '../sync.js';
import { Outbox } from '../outbox.js';
import { loadInto, loadLazy, primeMedia, download, formatBytes, mediaPath, externalUrl, cachedMediaUrl } from '../media.js';
import { avatar, openMenu, openDialog, toast, confirmDialog } from './dialog.js';
import { conversationMenu } from './conversation-list.js';

/** @typedef {import('../app.js').Ctx} Ctx */
/** @typedef {import('../store.js').Message} Message */
/** @typedef {import('../store.js').Conversation} Conversation */
/** @typedef {import('../outbox.js').OutboxEntry} OutboxEntry */

const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];
const TYPING_RESEND_MS = 3_000;
const TYPING_IDLE_MS = 4_000;

/** Unsent text per conversation, kept while switching chats (this page, this login). @type {Map<string, string>} */
const drafts = new Map();

/** Logout: no draft stays for the next user. */
export function clearDrafts() { drafts.clear(); }

/**
 * A one-line preview of a message (list, quotes, notifications).
 * @param {Message} m
 * @param {import('../store.js').Store} store
 * @returns {string}
 */
export function previewOf(m, store) {
  if (m.recalled) return t('msg.recalled');
  if (m.deleted) return t('msg.deleted');
  const c = m.content || {};
  switch (m.contentType) {
    case 'text': return String(c.text || '');
    case 'image': return t('preview.image');
    case 'video': return t('preview.video');
    case 'audio': return t('preview.audio');
    case 'file': return t('preview.file') + (c.name ? ' ' + c.name : '');
    case 'sticker': return t('preview.sticker');
    case 'card': return t('preview.card') + (c.displayName ? ' ' + c.displayName : '');
    case 'location': return t('preview.location') + (c.name ? ' ' + c.name : '');
    case 'forward': return t('preview.forward');
    case 'recall': return t('msg.recalled');
    case 'edit': {
      const target = c.messageId ? store.findMessage(c.messageId) : undefined;
      return target ? previewOf(target, store) : t('msg.edited');
    }
    default: return t('preview.message');
  }
}

/**
 * @param {HTMLElement} root the chat pane
 * @param {Ctx} ctx
 * @param {string} convId
 * @param {{jumpSeq?: number}} [opts]
 * @returns {() => void} cleanup
 */
export function mountChat(root, ctx, convId, opts = {}) {
  const { store, syncer, outbox, conn } = ctx;
  const me = () => (store.me ? store.me.userId : '');
  const conv = () => /** @type {Conversation | undefined} */ (store.convs.get(convId));
  const isGroup = () => { const c = conv(); return c ? c.conversationType === 'group' : convId.startsWith('g_'); };
  const groupId = () => { const c = conv(); return (c && c.groupId) || (convId.startsWith('g_') ? convId.slice(2) : null); };

  // ---- header -------------------------------------------------------------------------------
  const back = h('button', { type: 'button', class: 'icon-btn back-btn', testid: 'back', attrs: { 'aria-label': t('common.back') }, on: { click: () => ctx.closeConversation() } }, icon('back'));
  const titleEl = h('h2', { class: 'chat-title', testid: 'chat-title', attrs: { dir: 'auto' } });
  const subtitle = h('div', { class: 'chat-subtitle', testid: 'chat-subtitle' });
  const avatarSlot = h('span', { class: 'avatar-wrap' });
  const infoBtn = h('button', { type: 'button', class: 'icon-btn', testid: 'chat-info', attrs: { 'aria-label': t('chat.info') }, on: { click: () => openInfo() } }, icon('info'));
  const searchBtn = h('button', { type: 'button', class: 'icon-btn', testid: 'chat-search', attrs: { 'aria-label': t('search.inChat') }, on: { click: () => ctx.openSearch(convId) } }, icon('search'));
  const moreBtn = h('button', { type: 'button', class: 'icon-btn', testid: 'chat-menu', attrs: { 'aria-label': t('list.actions') }, on: { click: () => headerMenu() } }, icon('more'));
  const announcementBar = h('button', { type: 'button', class: 'announcement-bar', testid: 'announcement-bar', hidden: true, on: { click: () => openInfo() } });
  const header = h('header', { class: 'chat-header' }, back,
    h('button', { type: 'button', class: 'chat-heading', on: { click: () => openInfo() } }, avatarSlot, h('span', { class: 'chat-heading-text' }, titleEl, subtitle)),
    h('span', { class: 'chat-header-actions' }, searchBtn, infoBtn, moreBtn));

  // ---- messages -----------------------------------------------------------------------------
  const list = h('div', { class: 'messages-inner' });
  const loader = h('div', { class: 'history-loader', hidden: true }, t('common.loading'));
  const chatStart = h('div', { class: 'chat-start', hidden: true }, t('chat.start'));
  const scroller = h('div', { class: 'messages', testid: 'message-list', attrs: { role: 'log', 'aria-live': 'polite', tabindex: '0' } }, loader, chatStart, list);
  const toBottom = h('button', { type: 'button', class: 'to-bottom', testid: 'scroll-bottom', hidden: true, attrs: { 'aria-label': t('chat.toBottom') }, on: { click: () => jumpToEnd() } }, icon('back'));
  const typingEl = h('div', { class: 'typing', testid: 'typing', hidden: true, attrs: { 'aria-live': 'polite' } });

  // ---- composer -----------------------------------------------------------------------------
  const composer = h('textarea', { class: 'composer-input', testid: 'composer', rows: 1, placeholder: t('composer.placeholder'), attrs: { 'aria-label': t('composer.placeholder'), maxlength: '10000' } });
  const sendBtn = h('button', { type: 'button', class: 'icon-btn send-btn', testid: 'send', attrs: { 'aria-label': t('composer.send') } }, icon('send'));
  const fileInput = h('input', { type: 'file', class: 'file-input', testid: 'attach', multiple: true, attrs: { 'aria-label': t('composer.attach'), tabindex: '-1' } });
  const attachBtn = h('label', { class: 'icon-btn attach-btn', attrs: { title: t('composer.attach'), tabindex: '0', role: 'button', 'aria-label': t('composer.attach') } }, icon('attach'), fileInput);
  const contextBar = h('div', { class: 'composer-context', testid: 'reply-bar', hidden: true });
  const mentionBox = h('div', { class: 'mention-list', testid: 'mention-list', hidden: true, attrs: { role: 'listbox' } });
  const mutedNote = h('div', { class: 'composer-note', testid: 'composer-note', hidden: true });
  const composerBox = h('div', { class: 'composer' }, attachBtn, composer, sendBtn);
  const footer = h('footer', { class: 'chat-footer' }, mentionBox, contextBar, mutedNote, composerBox);
  const dropZone = h('div', { class: 'drop-zone', hidden: true }, t('composer.drop'));

  root.replaceChildren(h('div', { class: 'chat', testid: 'chat', dataset: { conversationId: convId } }, header, announcementBar, h('div', { class: 'messages-wrap' }, scroller, toBottom, typingEl), footer, dropZone));

  /** @type {{mode: 'reply' | 'edit', message: Message} | null} */
  let context = null;
  /** Members picked from the @ completion: name → userId. @type {Map<string, string>} */
  const mentions = new Map();
  let mentionQuery = /** @type {{start: number, query: string} | null} */ (null);
  let mentionIndex = 0;
  let lastTypingSent = 0;
  let typingTimer = 0;
  let loadingOlder = false;
  let loadingNewer = false;
  let stuckToBottom = true;
  // Where "New messages" goes: after what was read when the chat was opened.
  const opened = conv();
  const firstUnread = opened && opened.unread > 0 ? opened.readSeq + 1 : 0;
  let scrolledToUnread = false;
  /** @type {Map<string, {sig: string, el: HTMLElement}>} rendered items by key */
  const rendered = new Map();

  composer.value = drafts.get(convId) || '';
  autosize();

  /** Grows the composer with its text, up to a limit (then it scrolls). */
  function autosize() {
    composer.style.height = 'auto';
    composer.style.height = Math.min(composer.scrollHeight, 180) + 'px';
  }

  // ---- rendering ----------------------------------------------------------------------------

  function drawHeader() {
    const c = conv();
    const title = c ? store.titleOf(c) : '';
    titleEl.textContent = title || (isGroup() ? t('group.untitled') : t('common.loading'));
    if (isGroup()) {
      avatarSlot.replaceChildren(h('span', { class: 'avatar group-avatar' }, icon('group')));
      const g = store.groups.get(groupId() || '');
      subtitle.textContent = g ? t('group.members', { n: g.memberCount }) : '';
    } else {
      const peer = c ? c.peerId : null;
      const p = peer ? store.presence.get(peer) : null;
      avatarSlot.replaceChildren(avatar(title, peer || convId), h('span', { class: 'presence-dot ' + (p ? p.status : 'offline') }));
      subtitle.textContent = p && p.status === 'online' ? t('presence.online') : p && p.status === 'away' ? t('presence.away') : formatLastSeen(p ? p.lastSeen : null);
    }
    header.classList.toggle('is-muted', !!(c && c.muted));
    // Group speaking rules: muted members and muteAll (owner/admins still speak).
    const g = isGroup() ? store.groups.get(groupId() || '') : null;
    let note = '';
    if (g) {
      const mine = (g.members || []).find((/** @type {any} */ m) => m.userId === me());
      const role = mine ? mine.role : 'member';
      if (mine && mine.mutedUntil && mine.mutedUntil > Date.now()) note = t('group.youAreMuted');
      else if (g.muteAll && role === 'member') note = t('group.allMuted');
    }
    announcementBar.hidden = !(g && g.announcement);
    if (g && g.announcement) announcementBar.replaceChildren(h('b', null, t('group.announcement') + ': '), h('span', { attrs: { dir: 'auto' } }, String(g.announcement)));
    mutedNote.textContent = note;
    mutedNote.hidden = !note;
  }

  function drawTyping() {
    const ids = store.typists(convId).filter((u) => u !== me());
    if (!ids.length) { typingEl.hidden = true; typingEl.textContent = ''; return; }
    const names = ids.map((u) => store.nameOf(u) || t('common.someone'));
    typingEl.replaceChildren(h('span', { class: 'typing-dots' }, h('i'), h('i'), h('i')),
      isGroup() ? (names.length > 2 ? t('typing.many', { n: names.length }) : t('typing.named', { names: names.join(', ') })) : t('typing.one'));
    typingEl.hidden = false;
  }

  /** Items to show, in order: server messages then local (outbox) ones. */
  function items() {
    const w = store.window(convId);
    /** @type {{key: string, sig: string, make: () => HTMLElement}[]} */
    const out = [];
    let lastDay = '';
    /** @param {number} ts */
    const day = (ts) => {
      const d = new Date(ts);
      const key = `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
      if (key !== lastDay) {
        lastDay = key;
        out.push({ key: 'day-' + key, sig: formatDay(ts), make: () => h('div', { class: 'day-sep', testid: 'day-separator' }, h('span', null, formatDay(ts))) });
      }
    };
    const msgs = w.sorted().filter((m) => !EVENT_TYPES.has(m.contentType) && !m.deleted);
    let prev = /** @type {Message | null} */ (null);
    let sepDone = false;
    for (const m of msgs) {
      day(m.timestamp);
      if (firstUnread && !sepDone && m.seq >= firstUnread && m.senderId !== me()) {
        sepDone = true;
        out.push({ key: 'unread-sep', sig: 'u', make: () => h('div', { class: 'unread-sep', testid: 'unread-separator' }, h('span', null, t('chat.newMessages'))) });
      }
      const own = m.senderId === me();
      const status = own ? store.statusOf(m) : '';
      const grouped = !!prev && prev.senderId === m.senderId && m.timestamp - prev.timestamp < 5 * 60_000 && sameDay(prev.timestamp, m.timestamp);
      const readCount = own && isGroup() ? store.readCountOf(m) : 0;
      const sig = JSON.stringify([m.messageId, status, m.recalled, m.edited, m.content, m.reactions, readCount, grouped, store.nameOf(m.senderId), m.quote]);
      const mm = m;
      out.push({ key: 'm-' + m.seq, sig, make: () => messageEl(mm, { own, status, grouped, readCount }) });
      prev = m;
    }
    const w2 = store.window(convId);
    if (w2.atEnd) {
      // An entry whose message already came back (its ack was lost, sync brought the copy) is
      // shown once, as the stored message; the resend will get the same ack and drop it.
      const stored = new Set(msgs.filter((m) => m.senderId === me() && m.localId).map((m) => m.localId));
      for (const e of outbox.forConversation(convId)) {
        if (stored.has(e.localId)) continue;
        day(e.createdAt);
        const sig = JSON.stringify([e.state, e.error, Math.round((e.progress || 0) * 50), e.display, e.quote]);
        const entry = e;
        out.push({ key: 'l-' + e.localId, sig, make: () => pendingEl(entry) });
      }
    }
    return out;
  }

  let drawScheduled = false;
  function scheduleDraw() {
    if (drawScheduled) return;
    drawScheduled = true;
    requestAnimationFrame(() => { drawScheduled = false; draw(); });
  }

  function draw() {
    const before = scroller.scrollHeight - scroller.scrollTop;
    const wasAtBottom = stuckToBottom;
    const next = items();
    const keep = new Set(next.map((i) => i.key));
    for (const [k, v] of rendered) if (!keep.has(k)) { v.el.remove(); rendered.delete(k); }
    // Keyed reconciliation: an item is rebuilt only when its signature changed, and moved only
    // when out of place, so images and scroll position survive live updates.
    let cursor = /** @type {ChildNode | null} */ (list.firstChild);
    for (const it of next) {
      let r = rendered.get(it.key);
      if (!r) {
        r = { sig: it.sig, el: it.make() };
        rendered.set(it.key, r);
      } else if (r.sig !== it.sig) {
        // Same node, new content: element references held elsewhere stay valid.
        morph(r.el, it.make());
        r.sig = it.sig;
      }
      if (r.el === cursor) cursor = cursor.nextSibling;
      else list.insertBefore(r.el, cursor);
    }
    const w = store.window(convId);
    chatStart.hidden = !(w.loaded && !w.hasMoreBefore);
    const sep = !scrolledToUnread && firstUnread ? /** @type {HTMLElement | null} */ (list.querySelector('.unread-sep')) : null;
    if (sep && w.loaded) {
      // First draw with unread messages: start at "New messages" rather than the bottom.
      scrolledToUnread = true;
      scroller.scrollTop = Math.max(0, sep.offsetTop - scroller.offsetTop - 40);
      stuckToBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
    } else if (wasAtBottom) scroller.scrollTop = scroller.scrollHeight;
    else if (loadingOlder) scroller.scrollTop = scroller.scrollHeight - before;
    updateToBottom();
  }

  function updateToBottom() {
    const w = store.window(convId);
    toBottom.hidden = stuckToBottom && w.atEnd;
  }

  /**
   * @param {Message} m
   * @param {{own: boolean, status: string, grouped: boolean, readCount: number}} o
   */
  function messageEl(m, o) {
    const group = isGroup();
    const bubble = h('div', { class: 'bubble' });
    if (group && !o.own && !o.grouped) bubble.append(h('div', { class: 'sender-name', testid: 'sender-name', attrs: { dir: 'auto' } }, store.nameOf(m.senderId) || m.senderName || ''));
    if (m.quote && !m.recalled) bubble.append(quoteEl(m.quote));
    bubble.append(contentEl(m));
    const meta = h('span', { class: 'meta' },
      m.edited && !m.recalled ? h('span', { class: 'edited', testid: 'edited' }, t('msg.editedLabel')) : null,
      o.own && group && o.readCount > 0 ? h('button', { type: 'button', class: 'read-count', testid: 'read-count', on: { click: () => showReceipts(m) } }, t('msg.readBy', { n: o.readCount })) : null,
      h('time', { attrs: { datetime: new Date(m.timestamp).toISOString(), title: new Date(m.timestamp).toLocaleString() } }, formatTime(m.timestamp)),
      o.own ? statusIcon(o.status) : null);
    appendMeta(bubble, meta, m.contentType === 'text' && !m.recalled);
    const row = h('div', {
      class: 'msg' + (o.own ? ' own' : '') + (o.grouped ? ' grouped' : '') + (m.recalled ? ' recalled' : '') + (mentionsMe(m) ? ' mention-me' : ''),
      testid: 'message',
      dataset: { seq: m.seq, messageId: m.messageId, status: o.own ? o.status : undefined, localId: m.localId || undefined, senderId: m.senderId },
    },
    group && !o.own ? (o.grouped ? h('span', { class: 'avatar-spacer' }) : avatar(store.nameOf(m.senderId) || m.senderName || '', m.senderId, 'small')) : null,
    h('div', { class: 'msg-stack' }, bubble, reactionsEl(m)),
    m.recalled ? null : actionsEl(m, o.own));
    return row;
  }

  /** @param {OutboxEntry} e */
  function pendingEl(e) {
    const fake = /** @type {Message} */ ({ messageId: '', seq: 0, timestamp: e.createdAt, conversationId: convId, conversationType: e.conversationType, senderId: me(), contentType: e.contentType, content: e.display || e.content });
    const bubble = h('div', { class: 'bubble' });
    if (e.quote) bubble.append(quoteEl(e.quote));
    bubble.append(contentEl(fake, e));
    if (e.state === 'uploading') {
      const bar = h('span', { class: 'progress-bar' });
      bar.style.width = Math.round((e.progress || 0) * 100) + '%';
      bubble.append(h('div', { class: 'upload-progress', testid: 'upload-progress', dataset: { progress: Math.round((e.progress || 0) * 100) } }, bar));
    }
    const failed = e.state === 'failed';
    appendMeta(bubble, h('span', { class: 'meta' }, h('time', null, formatTime(e.createdAt)), statusIcon(failed ? 'failed' : 'sending')), e.contentType === 'text');
    return h('div', { class: 'msg own pending' + (failed ? ' failed' : ''), testid: 'message', dataset: { status: failed ? 'failed' : 'sending', localId: e.localId, senderId: me() } },
      h('div', { class: 'msg-stack' }, bubble,
        failed ? h('div', { class: 'failed-bar' },
          h('span', { class: 'failed-text' }, t('msg.failed') + (e.error ? ' (' + e.error + ')' : '')),
          h('button', { type: 'button', class: 'btn small', testid: 'retry', on: { click: () => retry(e) } }, t('msg.retry')),
          h('button', { type: 'button', class: 'btn small link', testid: 'discard', on: { click: () => outbox.remove(e.localId) } }, t('common.delete'))) : null));
  }

  /** @param {string} status */
  function statusIcon(status) {
    const name = status === 'sending' ? 'clock' : status === 'failed' ? 'alert' : status === 'sent' ? 'check' : 'checks';
    return h('span', { class: 'status ' + status, testid: 'message-status', attrs: { title: t('status.' + status), 'aria-label': t('status.' + status) } }, icon(name));
  }

  /** @param {any} q */
  function quoteEl(q) {
    return h('button', { type: 'button', class: 'quote', testid: 'quote', on: { click: () => { const m = store.findMessage(q.messageId); if (m) revealSeq(m.seq); else if (q.seq) revealSeq(q.seq); } } },
      h('span', { class: 'quote-name', attrs: { dir: 'auto' } }, store.nameOf(q.senderId) || q.senderName || ''),
      h('span', { class: 'quote-text', attrs: { dir: 'auto' } }, q.recalled ? t('msg.recalled') : (q.preview || t('preview.' + (q.contentType || 'message')))));
  }

  /**
   * @param {Message} m
   * @param {OutboxEntry} [pending]
   */
  function contentEl(m, pending) {
    if (m.recalled) return h('div', { class: 'text recalled-text', testid: 'recalled' }, m.senderId === me() ? t('msg.youRecalled') : t('msg.recalled'));
    const c = m.content || {};
    switch (m.contentType) {
      case 'text': return textEl(String(c.text || ''), m);
      case 'image': {
        const full = mediaPath(c.url, location.origin);
        const thumb = mediaPath(c.thumbnailUrl, location.origin) || full;
        if (!(pending && c.preview) && !thumb) return externalLink(c.url, c.name || t('preview.image'), 'image');
        const img = h('img', { class: 'media-thumb', testid: 'image', alt: c.name || t('preview.image'), attrs: { loading: 'lazy' } });
        const [w, hh] = fit(c.width || (c.thumbnail && c.thumbnail.width) || 240, c.height || (c.thumbnail && c.thumbnail.height) || 180);
        img.width = w; img.height = hh;
        if (pending && c.preview) img.src = c.preview;
        else if (thumb) loadLazy(img, thumb);
        const btn = h('button', { type: 'button', class: 'media-btn', attrs: { 'aria-label': t('media.open') }, on: { click: () => { if (full && !pending) openViewer(c); } } }, img);
        return btn;
      }
      case 'video': {
        const full = mediaPath(c.url, location.origin);
        if (!full && !pending) return externalLink(c.url, c.name || t('preview.video'), 'video');
        const poster = h('img', { class: 'media-thumb', alt: t('preview.video') });
        const [w, hh] = fit(c.width || 320, c.height || 180);
        poster.width = w; poster.height = hh;
        const thumb = mediaPath(c.thumbnailUrl, location.origin);
        if (thumb) loadLazy(poster, thumb);
        // The video itself is downloaded only when the user opens it.
        return h('button', { type: 'button', class: 'media-btn video', testid: 'video', on: { click: () => { if (full && !pending) openViewer(c, 'video'); } } }, poster, h('span', { class: 'play' }, '▶'), c.duration ? h('span', { class: 'duration' }, duration(c.duration)) : null);
      }
      case 'audio': {
        const full = mediaPath(c.url, location.origin);
        if (!full && !pending) return externalLink(c.url, c.name || t('preview.audio'), 'audio');
        const audio = h('audio', { controls: true, preload: 'none', testid: 'audio' });
        const wrap = h('div', { class: 'audio' }, audio);
        // Nothing is downloaded until the user asks to play (a page of voice messages costs
        // nothing); once played, a re-render shows the same downloaded copy.
        const ready = full ? cachedMediaUrl(full) : null;
        if (ready) { audio.src = ready; return wrap; }
        audio.hidden = true;
        const play = h('button', { type: 'button', class: 'btn small audio-play', testid: 'audio-play', attrs: { 'aria-label': t('media.play') } },
          h('span', { class: 'play-icon', attrs: { 'aria-hidden': 'true' } }, '▶'), ' ', c.duration ? duration(c.duration) : t('preview.audio'));
        play.disabled = !full || !!pending;
        play.addEventListener('click', () => {
          if (!full) return;
          play.disabled = true;
          loadInto(audio, full).then(() => {
            if (audio.classList.contains('broken')) { play.disabled = false; toast(t('media.failed'), 'error'); return; }
            audio.hidden = false;
            play.remove();
            audio.play().catch(() => {});
          });
        });
        wrap.prepend(play);
        return wrap;
      }
      case 'file': {
        const full = mediaPath(c.url, location.origin);
        if (!full && !pending) return externalLink(c.url, c.name || t('preview.file'), 'file');
        return h('button', { type: 'button', class: 'file-card', testid: 'file', on: { click: () => { if (full && !pending) download(full, c.name).catch(() => toast(t('media.failed'), 'error')); } } },
          h('span', { class: 'file-icon' }, icon('file')),
          h('span', { class: 'file-info' }, h('span', { class: 'file-name', attrs: { dir: 'auto' } }, c.name || t('preview.file')), h('span', { class: 'file-size' }, formatBytes(c.size))));
      }
      case 'sticker': {
        const path = mediaPath(c.url, location.origin);
        if (path) { const img = h('img', { class: 'sticker', alt: t('preview.sticker') }); loadLazy(img, path); return img; }
        if (c.url) return externalLink(c.url, t('preview.sticker'), null);
        return h('div', { class: 'text' }, t('preview.sticker'));
      }
      case 'card':
        return h('button', { type: 'button', class: 'file-card', testid: 'card', on: { click: () => { if (c.userId) ctx.openPrivate(c.userId); } } },
          avatar(c.displayName || '?', c.userId || ''), h('span', { class: 'file-info' }, h('span', { class: 'file-name' }, c.displayName || c.userId || ''), h('span', { class: 'file-size' }, t('preview.card'))));
      case 'location': {
        const href = `https://www.openstreetmap.org/?mlat=${Number(c.latitude)}&mlon=${Number(c.longitude)}#map=16/${Number(c.latitude)}/${Number(c.longitude)}`;
        return h('a', { class: 'file-card', href, target: '_blank', rel: 'noopener noreferrer' },
          h('span', { class: 'file-icon' }, '📍'), h('span', { class: 'file-info' }, h('span', { class: 'file-name' }, c.name || t('preview.location')), h('span', { class: 'file-size' }, c.address || `${c.latitude}, ${c.longitude}`)));
      }
      case 'forward':
        return h('div', { class: 'forward', testid: 'forward' },
          h('div', { class: 'forward-title' }, c.title || t('preview.forward')),
          (c.messages || []).slice(0, 5).map((/** @type {any} */ x) => h('div', { class: 'forward-line' }, h('b', { attrs: { dir: 'auto' } }, x.senderName || ''), ': ', h('span', { attrs: { dir: 'auto' } }, x.contentType === 'text' ? String((x.content && x.content.text) || '') : t('preview.' + x.contentType)))));
      default:
        return h('div', { class: 'text muted-text' }, t('preview.message'));
    }
  }

  /**
   * Media content whose URL is not one of this node's media downloads: shown as a plain link
   * (http/https only, opened without referrer), never fetched and never put in an <img>.
   * @param {unknown} url
   * @param {string} label
   * @param {string | null} testid
   */
  function externalLink(url, label, testid) {
    const href = externalUrl(url, location.href);
    const body = [h('span', { class: 'file-icon' }, icon('file')),
      h('span', { class: 'file-info' }, h('span', { class: 'file-name', attrs: { dir: 'auto' } }, label), h('span', { class: 'file-size external-url', attrs: { dir: 'ltr' } }, href || ''))];
    if (!href) return h('div', { class: 'file-card external', testid: testid || undefined }, ...body);
    return h('a', { class: 'file-card external', testid: testid || undefined, href, target: '_blank', rel: 'noopener noreferrer', attrs: { referrerpolicy: 'no-referrer' } }, ...body);
  }

  /**
   * Text with @mentions highlighted and http(s) links clickable; all as text nodes.
   * @param {string} text
   * @param {Message} m
   */
  function textEl(text, m) {
    // The text alone carries message-text (its textContent is exactly the message); the
    // time's invisible spacer goes next to it, in the wrapper (see appendMeta).
    const el = h('span', { class: 'text-body', testid: 'message-text', attrs: { dir: 'auto' } });
    const wrap = h('div', { class: 'text' }, el);
    const names = new Set();
    for (const u of m.atUsers || []) {
      if (u === 'all') { names.add('all'); names.add('所有人'); continue; }
      const n = store.nameOf(u);
      if (n) names.add(n);
    }
    // Mentioned names may contain spaces: match "@" + a known name (longest first), not a word.
    const alts = [...names].sort((a, b) => b.length - a.length).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const re = new RegExp('(https?:\\/\\/[^\\s<>"\']+)' + (alts.length ? '|@(' + alts.join('|') + ')' : ''), 'g');
    let last = 0;
    for (const match of text.matchAll(re)) {
      const i = match.index || 0;
      if (i > last) el.append(text.slice(last, i));
      if (match[1]) {
        const url = safeUrl(match[1]);
        el.append(url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, match[1]) : match[1]);
      } else {
        el.append(h('span', { class: 'mention' + (isMyName(match[2]) ? ' mention-self' : '') }, '@' + match[2]));
      }
      last = i + match[0].length;
    }
    if (last < text.length) el.append(text.slice(last));
    return wrap;
  }

  /** @param {string} n */
  function isMyName(n) { return n === 'all' || n === '所有人' || (!!store.me && n === store.me.displayName); }

  /** @param {Message} m */
  function mentionsMe(m) { return m.senderId !== me() && (m.atUsers || []).some((u) => u === me() || u === 'all'); }

  /** @param {Message} m */
  function reactionsEl(m) {
    const rs = (m.reactions || []).filter((r) => r.count > 0);
    if (!rs.length || m.recalled) return null;
    return h('div', { class: 'reactions', testid: 'reactions' }, rs.map((r) =>
      h('button', { type: 'button', class: 'reaction' + (r.me ? ' mine' : ''), testid: 'reaction', dataset: { emoji: r.emoji }, attrs: { 'aria-pressed': r.me ? 'true' : 'false' }, on: { click: () => react(m, r.emoji, r.me ? 'remove' : 'add') } },
        h('span', null, r.emoji), h('span', { class: 'count' }, String(r.count)))));
  }

  /** @param {Message} m @param {boolean} own */
  function actionsEl(m, own) {
    const reactBtn = h('button', { type: 'button', class: 'icon-btn small', testid: 'action-react', attrs: { 'aria-label': t('msg.react') } }, icon('smile'));
    reactBtn.addEventListener('click', () => openReactionPicker(m, reactBtn));
    const moreBtn = h('button', { type: 'button', class: 'icon-btn small', testid: 'message-menu', attrs: { 'aria-label': t('list.actions') } }, icon('more'));
    moreBtn.addEventListener('click', () => messageMenu(m, own, moreBtn));
    return h('div', { class: 'msg-actions' },
      h('button', { type: 'button', class: 'icon-btn small', testid: 'action-reply', attrs: { 'aria-label': t('msg.reply') }, on: { click: () => startContext('reply', m) } }, icon('reply')),
      reactBtn, moreBtn);
  }

  /** @param {Message} m @param {HTMLElement} anchor */
  function openReactionPicker(m, anchor) {
    openMenu(anchor, QUICK_REACTIONS.map((e) => ({ label: e, testid: 'react-option', onSelect: () => react(m, e, (m.reactions || []).some((r) => r.emoji === e && r.me) ? 'remove' : 'add') })), 'reaction-picker');
  }

  /** @param {Message} m @param {boolean} own @param {HTMLElement} anchor */
  function messageMenu(m, own, anchor) {
    /** @type {import('./dialog.js').MenuItem[]} */
    const items = [{ label: t('msg.reply'), testid: 'action-reply-menu', onSelect: () => startContext('reply', m) }];
    if (m.contentType === 'text') items.push({ label: t('msg.copy'), testid: 'action-copy', onSelect: () => { navigator.clipboard?.writeText(String(m.content?.text || '')).catch(() => {}); } });
    if (own && m.contentType === 'text') items.push({ label: t('msg.edit'), testid: 'action-edit', onSelect: () => startContext('edit', m) });
    if (own || isGroup()) items.push({ label: t('msg.recall'), testid: 'action-recall', onSelect: () => recall(m) });
    if (own && isGroup()) items.push({ label: t('msg.receipts'), testid: 'action-receipts', onSelect: () => showReceipts(m) });
    items.push({ label: t('msg.deleteForMe'), testid: 'action-delete', danger: true, onSelect: () => deleteForMe(m) });
    openMenu(anchor, items, 'message-actions');
  }

  // ---- actions ------------------------------------------------------------------------------

  /**
   * @param {Message} m @param {string} emoji @param {'add' | 'remove'} action
   */
  async function react(m, emoji, action) {
    try {
      const ack = await conn.request('react', { conversationId: convId, messageId: m.messageId, emoji, action });
      const cur = store.findMessage(m.messageId);
      if (cur && ack && ack.reactions) { cur.reactions = ack.reactions; store.emit('conv:' + convId); }
    } catch (e) { failToast(e); }
  }

  /** @param {Message} m */
  async function recall(m) {
    try {
      await conn.request('recall', { conversationId: convId, messageId: m.messageId });
      syncer.patchMessage(convId, m.messageId, { recalled: true, content: null });
    } catch (e) { failToast(e); }
  }

  /** @param {Message} m */
  async function deleteForMe(m) {
    if (!(await confirmDialog(t('msg.deleteConfirm'), t('common.delete')))) return;
    try {
      await conn.request('delete', { conversationId: convId, messageIds: [m.messageId] });
      syncer.patchMessage(convId, m.messageId, { deleted: true, content: null });
    } catch (e) { failToast(e); }
  }

  /** @param {Message} m */
  async function showReceipts(m) {
    const d = openDialog({ title: t('msg.receipts'), testid: 'receipts-dialog' });
    d.body.append(h('p', null, t('common.loading')));
    try {
      const r = await ctx.api.get(`/v1/conversations/${encodeURIComponent(convId)}/messages/${encodeURIComponent(m.messageId)}/receipts`);
      syncer.ensureUsers(r.readBy || []);
      d.body.replaceChildren(
        h('p', { class: 'receipt-summary' }, t('msg.receiptSummary', { read: r.readCount, delivered: r.deliveredCount, total: r.memberCount })),
        h('ul', { class: 'plain-list' }, (r.readBy || []).map((/** @type {string} */ u) => h('li', { class: 'user-row', testid: 'read-by' }, avatar(store.nameOf(u) || '?', u, 'small'), h('span', null, store.nameOf(u) || u)))));
    } catch (e) { d.body.replaceChildren(h('p', { class: 'form-error' }, errText(e))); }
  }

  /** @param {OutboxEntry} e */
  function retry(e) {
    const file = outbox.files.get(e.localId);
    if (e.content && (e.contentType === 'text' || e.content.mediaId)) outbox.retry(e.localId);
    else if (file) startUpload(e.localId, file);
    else toast(t('msg.cannotRetry'), 'error');
  }

  /** @param {unknown} e */
  function failToast(e) { toast(errText(e), 'error'); }

  // ---- reply / edit context -----------------------------------------------------------------

  /** @param {'reply' | 'edit'} mode @param {Message} m */
  function startContext(mode, m) {
    context = { mode, message: m };
    if (mode === 'edit') { composer.value = String(m.content?.text || ''); autosize(); }
    drawContext();
    composer.focus();
  }

  function drawContext() {
    if (!context) { contextBar.hidden = true; contextBar.replaceChildren(); return; }
    const m = context.message;
    contextBar.replaceChildren(
      h('span', { class: 'context-icon' }, icon(context.mode === 'reply' ? 'reply' : 'info')),
      h('span', { class: 'context-text' },
        h('b', null, context.mode === 'reply' ? t('composer.replyingTo', { name: store.nameOf(m.senderId) || m.senderName || '' }) : t('composer.editing')),
        h('span', { class: 'context-preview', attrs: { dir: 'auto' } }, previewOf(m, store))),
      h('button', { type: 'button', class: 'icon-btn small', testid: 'reply-cancel', attrs: { 'aria-label': t('common.cancel') }, on: { click: () => cancelContext() } }, icon('close')));
    contextBar.dataset.mode = context.mode;
    contextBar.hidden = false;
  }

  function cancelContext() {
    if (context && context.mode === 'edit') composer.value = '';
    context = null;
    drawContext();
    autosize();
  }

  // ---- sending ------------------------------------------------------------------------------

  function target() {
    const c = conv();
    const grp = isGroup();
    return {
      conversationType: /** @type {'private' | 'group'} */ (grp ? 'group' : 'private'),
      receiverId: grp ? null : ((c && c.peerId) || peerOf(convId, me())),
      groupId: grp ? groupId() : null,
    };
  }

  async function send() {
    const text = composer.value;
    if (!text.trim()) return;
    if (context && context.mode === 'edit') {
      const m = context.message;
      try {
        await conn.request('edit', { conversationId: convId, messageId: m.messageId, content: { text } });
        syncer.patchMessage(convId, m.messageId, { content: { text }, edited: true, editedAt: Date.now() });
        composer.value = '';
        context = null;
        drawContext();
        autosize();
      } catch (e) { failToast(e); }
      return;
    }
    const atUsers = [...new Set([...mentions].filter(([name]) => text.includes('@' + name)).map(([, id]) => id))];
    const reply = context && context.mode === 'reply' ? context.message : null;
    /** @type {OutboxEntry} */
    const entry = {
      localId: Outbox.newLocalId(), conversationId: convId, ...target(),
      contentType: 'text', content: { text }, display: { text }, atUsers,
      replyTo: reply ? reply.messageId : null,
      quote: reply ? { messageId: reply.messageId, senderId: reply.senderId, senderName: reply.senderName, contentType: reply.contentType, preview: previewOf(reply, store), recalled: false } : null,
      createdAt: Date.now(), state: 'pending',
    };
    composer.value = '';
    drafts.delete(convId);
    mentions.clear();
    context = null;
    drawContext();
    autosize();
    stopTyping();
    stuckToBottom = true;
    await ensureAtEnd();
    outbox.add(entry);
  }

  /** Sending from a window opened around an old message: go back to the live end first. */
  async function ensureAtEnd() {
    const w = store.window(convId);
    if (!w.atEnd) { w.clear(); await syncer.openWindow(convId).catch(() => {}); }
  }

  /** @param {File[]} files */
  async function sendFiles(files) {
    await ensureAtEnd();
    for (const file of files) {
      const localId = Outbox.newLocalId();
      const isImage = /^image\/(jpeg|png|gif|webp|heic|heif)$/.test(file.type);
      /** @type {OutboxEntry} */
      const entry = {
        localId, conversationId: convId, ...target(),
        contentType: isImage ? 'image' : 'file', content: null,
        display: { name: file.name, size: file.size, mimeType: file.type, preview: isImage ? URL.createObjectURL(file) : undefined },
        atUsers: [], replyTo: null, quote: null, createdAt: Date.now(), state: 'uploading', progress: 0,
      };
      outbox.files.set(localId, file);
      outbox.add(entry);
      startUpload(localId, file);
    }
    stuckToBottom = true;
  }

  /** @param {string} localId @param {File} file */
  async function startUpload(localId, file) {
    outbox.update(localId, { state: 'uploading', progress: 0, error: undefined });
    const up = ctx.api.upload(file, file.name || 'file', (loaded, total) => outbox.update(localId, { progress: total ? loaded / total : 0 }));
    try {
      const info = await up.promise;
      const e = outbox.get(localId);
      if (!e) return;
      const kind = info.kind;
      const contentType = kind === 'image' ? 'image' : kind === 'video' && info.durationMs ? 'video' : kind === 'audio' && info.durationMs ? 'audio' : 'file';
      const display = {
        mediaId: info.mediaId, url: info.url, size: info.size, mimeType: info.mimeType, name: info.name || file.name,
        width: info.width, height: info.height, thumbnailUrl: info.thumbnail ? info.thumbnail.url : undefined,
        duration: info.durationMs ? info.durationMs / 1000 : undefined, preview: e.display ? e.display.preview : undefined,
      };
      // Our own upload need not be downloaded back to be shown.
      if (display.preview) { primeMedia(info.url, display.preview); if (display.thumbnailUrl) primeMedia(display.thumbnailUrl, display.preview); }
      outbox.update(localId, { contentType, content: { mediaId: info.mediaId }, display, state: 'pending', progress: 1 });
    } catch (err) {
      outbox.update(localId, { state: 'failed', error: errText(err) });
    }
  }

  // ---- typing -------------------------------------------------------------------------------

  function typed() {
    const now = Date.now();
    if (composer.value.trim() && now - lastTypingSent > TYPING_RESEND_MS) {
      lastTypingSent = now;
      conn.send({ type: 'typing', data: { conversationId: convId, state: 'start' } });
    }
    clearTimeout(typingTimer);
    typingTimer = window.setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingTimer);
    if (lastTypingSent) {
      lastTypingSent = 0;
      conn.send({ type: 'typing', data: { conversationId: convId, state: 'stop' } });
    }
  }

  // ---- @mentions ----------------------------------------------------------------------------

  function updateMention() {
    if (!isGroup()) { mentionQuery = null; drawMentions(); return; }
    const pos = composer.selectionStart || 0;
    const before = composer.value.slice(0, pos);
    const m = /(^|\s)@([^\s@]*)$/.exec(before);
    mentionQuery = m ? { start: pos - m[2].length - 1, query: m[2].toLowerCase() } : null;
    mentionIndex = 0;
    drawMentions();
  }

  function mentionCandidates() {
    const g = store.groups.get(groupId() || '');
    if (!g || !mentionQuery) return [];
    const q = mentionQuery.query;
    /** @type {{userId: string, name: string}[]} */
    const out = (g.members || [])
      .filter((/** @type {any} */ m) => m.userId !== me())
      .map((/** @type {any} */ m) => ({ userId: m.userId, name: store.nameOf(m.userId) || m.displayName || m.userId }))
      .filter((/** @type {{name: string}} */ m) => !q || m.name.toLowerCase().includes(q));
    const mine = (g.members || []).find((/** @type {any} */ m) => m.userId === me());
    if (mine && (mine.role === 'owner' || mine.role === 'admin') && ('all'.startsWith(q) || !q)) out.unshift({ userId: 'all', name: 'all' });
    return out.slice(0, 8);
  }

  function drawMentions() {
    const cands = mentionCandidates();
    if (!cands.length) { mentionBox.hidden = true; mentionBox.replaceChildren(); return; }
    mentionIndex = Math.min(mentionIndex, cands.length - 1);
    mentionBox.replaceChildren(...cands.map((c, i) => h('button', {
      type: 'button', class: 'mention-option' + (i === mentionIndex ? ' active' : ''), testid: 'mention-option', dataset: { userId: c.userId },
      attrs: { role: 'option', 'aria-selected': i === mentionIndex ? 'true' : 'false' },
      on: { mousedown: (/** @type {Event} */ e) => { e.preventDefault(); pickMention(c); } },
    }, c.userId === 'all' ? h('span', { class: 'avatar small group-avatar' }, '@') : avatar(c.name, c.userId, 'small'), h('span', null, c.userId === 'all' ? t('mention.all') : c.name))));
    mentionBox.hidden = false;
  }

  /** @param {{userId: string, name: string}} c */
  function pickMention(c) {
    if (!mentionQuery) return;
    const v = composer.value;
    const end = composer.selectionStart || v.length;
    const insert = '@' + c.name + ' ';
    composer.value = v.slice(0, mentionQuery.start) + insert + v.slice(end);
    const caret = mentionQuery.start + insert.length;
    composer.setSelectionRange(caret, caret);
    mentions.set(c.name, c.userId);
    mentionQuery = null;
    drawMentions();
    composer.focus();
  }

  // ---- history paging and jumping -----------------------------------------------------------

  async function loadOlder() {
    if (loadingOlder) return;
    const w = store.window(convId);
    if (!w.hasMoreBefore) return;
    loadingOlder = true;
    loader.hidden = false;
    try {
      await syncer.loadOlder(convId);
      draw();
    } catch (e) { failToast(e); } finally {
      loadingOlder = false;
      loader.hidden = true;
    }
  }

  async function loadNewer() {
    if (loadingNewer) return;
    loadingNewer = true;
    try { await syncer.loadNewer(convId); } catch (e) { failToast(e); } finally { loadingNewer = false; }
  }

  async function jumpToEnd() {
    const w = store.window(convId);
    if (!w.atEnd) { w.clear(); await syncer.openWindow(convId).catch(failToast); }
    stuckToBottom = true;
    draw();
    scroller.scrollTop = scroller.scrollHeight;
  }

  /**
   * Shows one seq (search hit, quote): load around it if needed, scroll, flash.
   * @param {number} seq
   */
  async function revealSeq(seq) {
    const w = store.window(convId);
    if (!w.bySeq.has(seq)) {
      try { await syncer.jumpTo(convId, seq); } catch (e) { failToast(e); return; }
    }
    stuckToBottom = false;
    draw();
    const el = /** @type {HTMLElement | null} */ (list.querySelector(`[data-testid="message"][data-seq="${seq}"]`));
    if (el) {
      el.scrollIntoView({ block: 'center' });
      el.classList.add('flash');
      setTimeout(() => el.classList.remove('flash'), 2000);
    }
    updateToBottom();
  }

  /** @param {any} c content */
  function openViewer(c, kind = 'image') {
    const full = mediaPath(c.url, location.origin);
    if (!full) return;
    c = { ...c, url: full };
    const d = openDialog({ title: c.name || t(kind === 'video' ? 'media.video' : 'media.photo'), testid: 'media-viewer', wide: true });
    d.el.classList.add('viewer');
    if (kind === 'video') {
      const v = h('video', { controls: true, autoplay: true, class: 'viewer-media', testid: 'viewer-video' });
      loadInto(v, c.url);
      d.body.append(v);
    } else {
      const img = h('img', { class: 'viewer-media', testid: 'viewer-image', alt: c.name || '' });
      loadInto(img, c.url);
      d.body.append(img);
    }
    d.body.append(h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', testid: 'viewer-download', on: { click: () => download(c.url, c.name || 'image').catch(failToast) } }, t('media.download'))));
  }

  function openInfo() {
    if (isGroup()) { const g = groupId(); if (g) ctx.openGroupInfo(g); }
    else { const c = conv(); if (c && c.peerId) ctx.openUserInfo(c.peerId); }
  }

  function headerMenu() {
    const c = conv();
    if (!c) return;
    conversationMenu(ctx, c, moreBtn);
  }

  // ---- events -------------------------------------------------------------------------------

  composer.addEventListener('keydown', (e) => {
    if (!mentionBox.hidden) {
      const cands = mentionCandidates();
      if (e.key === 'ArrowDown') { e.preventDefault(); mentionIndex = (mentionIndex + 1) % cands.length; drawMentions(); return; }
      if (e.key === 'ArrowUp') { e.preventDefault(); mentionIndex = (mentionIndex - 1 + cands.length) % cands.length; drawMentions(); return; }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); const c = cands[mentionIndex]; if (c) pickMention(c); return; }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); mentionQuery = null; drawMentions(); return; }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); send(); return; }
    if (e.key === 'Escape' && context) { e.preventDefault(); e.stopPropagation(); cancelContext(); return; }
    if (e.key === 'ArrowUp' && !composer.value) {
      // Up in an empty composer edits one's last text message, as in most chat apps.
      const mine = store.window(convId).sorted().filter((m) => m.senderId === me() && m.contentType === 'text' && !m.recalled && !m.deleted).pop();
      if (mine) { e.preventDefault(); startContext('edit', mine); }
    }
  });
  composer.addEventListener('input', () => { drafts.set(convId, composer.value); autosize(); typed(); updateMention(); });
  composer.addEventListener('click', updateMention);
  composer.addEventListener('blur', () => { setTimeout(() => { mentionQuery = null; drawMentions(); }, 150); });
  composer.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData ? e.clipboardData.files : [])];
    if (files.length) { e.preventDefault(); sendFiles(files); }
  });
  sendBtn.addEventListener('click', () => { send(); composer.focus(); });
  fileInput.addEventListener('change', () => {
    const files = [...(fileInput.files || [])];
    fileInput.value = '';
    if (files.length) sendFiles(files);
  });
  attachBtn.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); fileInput.click(); } });

  let dragDepth = 0;
  const chatEl = /** @type {HTMLElement} */ (root.firstElementChild);
  chatEl.addEventListener('dragenter', (e) => { if (hasFiles(e)) { e.preventDefault(); dragDepth++; dropZone.hidden = false; } });
  chatEl.addEventListener('dragover', (e) => { if (hasFiles(e)) e.preventDefault(); });
  chatEl.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; dropZone.hidden = true; } });
  chatEl.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    dropZone.hidden = true;
    const files = [...(e.dataTransfer ? e.dataTransfer.files : [])];
    if (files.length) sendFiles(files);
  });

  // Touch screens have no hover: a tap on a bubble shows its actions (delegated, since rows are
  // re-rendered in place).
  list.addEventListener('click', (e) => {
    if (!matchMedia('(max-width: 600px)').matches) return;
    const target = /** @type {HTMLElement} */ (e.target);
    if (target.closest('button, a, audio, video, .msg-actions')) return;
    const row = target.closest('.msg');
    for (const other of list.querySelectorAll('.msg.show-actions')) if (other !== row) other.classList.remove('show-actions');
    if (row) row.classList.toggle('show-actions');
  });

  scroller.addEventListener('scroll', () => {
    stuckToBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
    if (scroller.scrollTop < 200) loadOlder();
    const w = store.window(convId);
    if (!w.atEnd && scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 300) loadNewer();
    if (stuckToBottom && w.atEnd) syncer.markRead(convId);
    updateToBottom();
  }, { passive: true });

  const offs = [
    store.on('conv:' + convId, () => { drawHeader(); scheduleDraw(); }),
    store.on('users', () => { drawHeader(); scheduleDraw(); }),
    store.on('presence', drawHeader),
    store.on('typing', (/** @type {string} */ id) => { if (id === convId) drawTyping(); }),
    store.on('outbox:' + convId, scheduleDraw),
  ];
  const gid = groupId();
  if (gid) offs.push(store.on('group:' + gid, () => { drawHeader(); }));
  // Typing notices expire by themselves when not renewed.
  const typingTick = setInterval(drawTyping, 1_000);

  drawHeader();
  drawTyping();
  draw();
  if (gid && !store.groups.has(gid)) syncer.refreshGroup(gid);
  const start = opts.jumpSeq ? syncer.jumpTo(convId, opts.jumpSeq).then(() => revealSeq(/** @type {number} */ (opts.jumpSeq))) : syncer.openWindow(convId);
  start.then(() => { draw(); syncer.markRead(convId); }).catch(failToast);
  if (matchMedia('(min-width: 601px)').matches) composer.focus();

  return () => {
    stopTyping();
    offs.forEach((f) => f());
    clearInterval(typingTick);
  };

}

/**
 * Puts the time/status line in a bubble. For text it sits in the last line's corner when
 * there is room: an invisible copy at the end of the text reserves the space, and the real
 * one is laid over it.
 * @param {HTMLElement} bubble
 * @param {HTMLElement} meta
 * @param {boolean} inline
 */
function appendMeta(bubble, meta, inline) {
  const text = inline ? bubble.querySelector('.text') : null;
  if (text) {
    const spacer = /** @type {HTMLElement} */ (meta.cloneNode(true));
    spacer.className = 'meta spacer';
    spacer.setAttribute('aria-hidden', 'true');
    for (const el of [spacer, ...spacer.querySelectorAll('[data-testid]')]) el.removeAttribute('data-testid');
    text.append(spacer);
    meta.classList.add('overlay');
  }
  bubble.append(meta);
}

/** @param {number} a @param {number} b */
function sameDay(a, b) { return new Date(a).toDateString() === new Date(b).toDateString(); }

/**
 * Fits media into the bubble's box, keeping the aspect ratio.
 * @param {number} w
 * @param {number} h
 */
function fit(w, h) {
  const maxW = 280, maxH = 320;
  const s = Math.min(1, maxW / w, maxH / h);
  return [Math.max(40, Math.round(w * s)), Math.max(40, Math.round(h * s))];
}

/** @param {number} s seconds */
function duration(s) {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/**
 * Only http(s) links become clickable.
 * @param {string} url
 */
function safeUrl(url) {
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch { return null; }
}

/** @param {DragEvent} e */
function hasFiles(e) { return !!e.dataTransfer && [...e.dataTransfer.types].includes('Files'); }

/** @param {unknown} e */
export function errText(e) {
  const err = /** @type {any} */ (e);
  if (!err) return t('error.generic');
  if (err.code === 'network' || err.code === 'disconnected') return t('error.offline');
  if (err.code === 'blocked') return t('error.blocked');
  if (err.code === 'forbidden') return err.message ? t('error.forbidden') + ': ' + err.message : t('error.forbidden');
  if (err.code === 'rate_limited') return t('error.rateLimited');
  if (err.code === 'too_large') return t('error.tooLarge');
  if (err.code === 'unsupported_media_type') return t('error.unsupported');
  return err.message || t('error.generic');
}

