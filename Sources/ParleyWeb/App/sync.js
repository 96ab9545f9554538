// Keeps the store in step with the server: `sync` after every (re)connect, `history` to fill
// gaps and page, live frames, receipts, presence and the inbox. Everything lands in the store
// keyed by seq/messageId, so a message seen live and again through sync is shown once.
import { EVENT_TYPES } from './store.js';
import { loadJSON, saveJSON } from './session.js';

/** @typedef {import('./store.js').Message} Message */
/** @typedef {import('./store.js').Conversation} Conversation */
/** @typedef {import('./store.js').InboxItem} InboxItem */

const PAGE = 50;

export class Syncer {
  /**
   * @param {import('./api.js').Api} api
   * @param {import('./store.js').Store} store
   * @param {import('./connection.js').Connection} conn
   */
  constructor(api, store, conn) {
    this.api = api;
    this.store = store;
    this.conn = conn;
    this.version = 0;
    this.running = false;
    this.again = false;
    /** @type {Promise<void> | null} the sync run in progress */
    this.current = null;
    /** @type {Set<string>} user ids whose profile was asked for */
    this.asked = new Set();
    /** @type {Set<string>} conversations with a gap fill in flight */
    this.filling = new Set();
    /** @type {Map<string, {again: boolean}>} edit look-ups in flight (conversation, message) */
    this.editing = new Map();
    /** Set on logout: nothing more is written for this user. */
    this.closed = false;
    /** Notifies the app of a new message from someone else (desktop notification, sound). */
    this.onIncoming = /** @type {(m: Message) => void} */ (() => {});
    /** Notifies the app of a kicked / group-left etc. event worth a toast. */
    this.onToast = /** @type {(text: string) => void} */ (() => {});
    const me = api.userId || '';
    this.inboxKey = 'parley.inbox.' + me;
    const saved = loadJSON(this.inboxKey, { items: /** @type {InboxItem[]} */ ([]), seq: 0, seen: 0 });
    store.inbox = saved.items || [];
    store.inboxSeen = saved.seen || 0;
    this.notificationSeq = saved.seq || 0;
  }

  saveInbox() {
    if (this.closed) return;
    saveJSON(this.inboxKey, { items: this.store.inbox.slice(-300), seq: this.notificationSeq, seen: this.store.inboxSeen });
  }

  // --- sync ------------------------------------------------------------------------------

  /**
   * Runs `sync` until `hasMore` is false; coalesces concurrent calls (a call during a run makes
   * it go round once more, and resolves when that run is over).
   * @returns {Promise<void>}
   */
  syncNow() {
    if (this.current) { this.again = true; return this.current; }
    this.current = this.runSync().finally(() => { this.current = null; });
    return this.current;
  }

  async runSync() {
    this.running = true;
    let rounds = 0;
    try {
      do {
        this.again = false;
        for (let page = 0; page < 50; page++) {
          const d = await this.api.get(`/v1/sync?since=${encodeURIComponent(String(this.version))}&notificationsAfter=${encodeURIComponent(String(this.notificationSeq))}&limit=200`);
          for (const s of d.conversations || []) this.applySummary(s);
          for (const n of d.notifications || []) this.applyNotification(n, false);
          this.version = d.version ?? this.version;
          if (!d.hasMore) break;
        }
        if (this.store.staleSummary) {
          this.store.staleSummary = false;
          this.again = true;
        }
      } while (this.again && ++rounds < 5);
      this.refreshPresence();
    } finally {
      this.running = false;
    }
  }

  /** @param {any} s */
  applySummary(s) {
    // A summary from the server: the conversation's state (muted…) is known from now on.
    const c = this.store.upsertConversation({ ...s, synced: true });
    if (c.conversationType === 'private' && c.peerId) this.ensureUsers([c.peerId]);
    const w = this.store.windows.get(c.conversationId);
    // A loaded window that follows the end is behind the summary: fetch what is missing.
    if (w && w.loaded && w.atEnd && c.lastSeq > w.hi) this.fillGap(c.conversationId);
    if (c.lastSeq > c.deliveredSeq && c.unread > 0) this.receipt(c, 'delivered', c.lastSeq);
    if (c.conversationId === this.store.activeId) this.markRead(c.conversationId);
  }

  // --- history ---------------------------------------------------------------------------

  /**
   * @param {string} convId
   * @param {{afterSeq?: number, beforeSeq?: number, limit?: number}} q
   * @returns {Promise<{messages: Message[], hasMore: boolean}>}
   */
  async history(convId, q) {
    const p = new URLSearchParams();
    if (q.afterSeq !== undefined) p.set('afterSeq', String(q.afterSeq));
    if (q.beforeSeq !== undefined) p.set('beforeSeq', String(q.beforeSeq));
    p.set('limit', String(q.limit || PAGE));
    const d = await this.api.get(`/v1/conversations/${encodeURIComponent(convId)}/messages?${p}`);
    const messages = /** @type {Message[]} */ (d.messages || []);
    for (const m of messages) this.collectUser(m);
    return { messages, hasMore: !!d.hasMore };
  }

  /**
   * Loads the newest page of a conversation (first open).
   * @param {string} convId
   */
  async openWindow(convId) {
    const w = this.store.window(convId);
    if (w.loaded && w.atEnd) { this.fillGap(convId); return; }
    const c = this.store.convs.get(convId);
    if (c && c.lastSeq === 0) { w.clear(); w.loaded = true; this.store.emit('conv:' + convId); return; }
    const page = await this.history(convId, { limit: PAGE });
    w.clear();
    w.atEnd = true;
    w.loaded = true;
    w.hasMoreBefore = page.hasMore;
    this.store.putMessages(convId, page.messages);
    this.updateLast(convId, page.messages);
  }

  /**
   * Scrolling up.
   * @param {string} convId
   * @returns {Promise<boolean>} whether anything came
   */
  async loadOlder(convId) {
    const w = this.store.window(convId);
    if (!w.hasMoreBefore || w.lo === Infinity) return false;
    const page = await this.history(convId, { beforeSeq: w.lo, limit: PAGE });
    w.hasMoreBefore = page.hasMore;
    this.store.putMessages(convId, page.messages);
    return page.messages.length > 0;
  }

  /**
   * Scrolling down in a window opened around a search hit.
   * @param {string} convId
   */
  async loadNewer(convId) {
    const w = this.store.window(convId);
    if (w.atEnd) return false;
    const page = await this.history(convId, { afterSeq: w.hi, limit: PAGE });
    if (!page.hasMore) w.atEnd = true;
    this.store.putMessages(convId, page.messages);
    this.applyEvents(convId, page.messages);
    return page.messages.length > 0;
  }

  /**
   * Opens the window around one seq (a search hit): a page before it and a page from it.
   * @param {string} convId
   * @param {number} seq
   */
  async jumpTo(convId, seq) {
    const w = this.store.window(convId);
    if (w.loaded && w.bySeq.has(seq) && seq >= w.lo) return;
    const [before, after] = await Promise.all([
      this.history(convId, { beforeSeq: seq, limit: 25 }),
      this.history(convId, { afterSeq: seq - 1, limit: 25 }),
    ]);
    w.clear();
    w.loaded = true;
    w.hasMoreBefore = before.hasMore;
    w.atEnd = !after.hasMore;
    this.store.putMessages(convId, [...before.messages, ...after.messages]);
  }

  /**
   * Fetches everything after the window's contiguous end (gaps, reconnects).
   * @param {string} convId
   */
  async fillGap(convId) {
    if (this.filling.has(convId)) return;
    this.filling.add(convId);
    try {
      const w = this.store.window(convId);
      for (let i = 0; i < 40 && w.atEnd; i++) {
        const c = this.store.convs.get(convId);
        if (c && w.hi >= c.lastSeq) break;
        const page = await this.history(convId, { afterSeq: w.hi, limit: 200 });
        if (!page.messages.length) break;
        this.store.putMessages(convId, page.messages);
        this.updateLast(convId, page.messages);
        this.applyEvents(convId, page.messages);
        if (!page.hasMore) break;
      }
    } catch { /* retried on the next sync */ } finally {
      this.filling.delete(convId);
    }
    if (convId === this.store.activeId) this.markRead(convId);
  }

  /**
   * Recalls and edits that happened while we were away arrive as event items after the
   * messages they change; bring those (already loaded) messages up to date.
   * @param {string} convId
   * @param {Message[]} items
   */
  applyEvents(convId, items) {
    for (const ev of items) {
      const target = ev.content && ev.content.messageId;
      if (target && ev.contentType === 'recall') this.patchMessage(convId, target, { recalled: true, content: null });
    }
    // Edit events carry no content (§3a): fetch each edited message's current content once per
    // batch, however many times it was edited, and only for messages shown that did not come
    // fresh in this very batch.
    const w = this.store.windows.get(convId);
    for (const target of editTargets(items)) if (w && w.byId.has(target)) this.fetchEdit(convId, target);
  }

  /**
   * One `GET …/edits` per message at a time; asked again while in flight, it runs once more after.
   * @param {string} convId @param {string} target
   */
  fetchEdit(convId, target) {
    const key = convId + '\n' + target;
    const running = this.editing.get(key);
    if (running) { running.again = true; return; }
    const state = { again: false };
    this.editing.set(key, state);
    this.api.get(`/v1/conversations/${encodeURIComponent(convId)}/messages/${encodeURIComponent(target)}/edits`)
      .then((r) => { if (!this.closed) this.patchMessage(convId, target, { content: r.current, edited: true, editedAt: r.editedAt ?? null }); })
      .catch(() => {})
      .finally(() => {
        this.editing.delete(key);
        if (state.again && !this.closed) this.fetchEdit(convId, target);
      });
  }

  /**
   * @param {string} _convId
   * @param {Message[]} items
   */
  updateLast(_convId, items) {
    const last = items.filter((m) => !EVENT_TYPES.has(m.contentType) && !m.deleted).pop();
    if (last) this.store.touchLast(last);
  }

  // --- receipts --------------------------------------------------------------------------

  /**
   * @param {Conversation} c
   * @param {'delivered' | 'read'} status
   * @param {number} seq
   */
  receipt(c, status, seq) {
    if (seq <= 0) return;
    const data = { conversationId: c.conversationId, seq, status };
    if (!this.conn.send({ type: 'ack', data })) {
      this.api.post(`/v1/conversations/${encodeURIComponent(c.conversationId)}/receipts`, { seq, status }).catch(() => {});
    }
  }

  /**
   * Marks the open conversation read, if the user can see it (tab visible).
   * @param {string} convId
   */
  markRead(convId) {
    if (document.visibilityState !== 'visible') return;
    const c = this.store.convs.get(convId);
    if (!c) return;
    const w = this.store.windows.get(convId);
    const seen = Math.max(c.lastSeq, w && w.atEnd ? w.hi : 0);
    if (seen > c.readSeq || c.unread > 0) {
      this.receipt(c, 'read', seen);
      c.readSeq = Math.max(c.readSeq, seen);
      c.deliveredSeq = Math.max(c.deliveredSeq, seen);
      c.unread = 0;
      c.mentionUnread = 0;
      this.store.emit('convs');
    }
  }

  // --- live frames -----------------------------------------------------------------------

  /** @param {any} frame */
  handleFrame(frame) {
    if (frame.type === 'message') this.onMessage(frame.data);
    else if (frame.type === 'notification') this.applyNotification(frame.data, true);
  }

  /** @param {Message} m */
  onMessage(m) {
    const me = this.api.userId;
    this.collectUser(m);
    let c = this.store.convs.get(m.conversationId);
    if (!c) {
      // A conversation we have not seen yet: the summary (name, cursors) comes with sync.
      c = this.store.upsertConversation({
        conversationId: m.conversationId, conversationType: m.conversationType,
        peerId: m.conversationType === 'private' ? peerOf(m.conversationId, me) : null,
        groupId: m.conversationType === 'group' ? m.conversationId.slice(2) : null,
        lastSeq: 0, updatedAt: m.timestamp,
      });
      this.syncNow().catch(() => {});
    }
    const w = this.store.windows.get(m.conversationId);
    const known = w && w.bySeq.has(m.seq);
    if (w && w.loaded && w.atEnd) {
      this.store.putMessages(m.conversationId, [m]);
      if (w.hi < m.seq) this.fillGap(m.conversationId);
    }
    if (known) return;
    const fresh = m.seq > c.lastSeq;
    this.store.touchLast(m);
    this.store.setTyping(m.conversationId, m.senderId, false);
    if (m.senderId === me || !fresh) return;
    if (m.conversationId === this.store.activeId && document.visibilityState === 'visible') {
      this.markRead(m.conversationId);
    } else {
      c.unread += 1;
      if (me && (m.atUsers || []).some((u) => u === me || u === 'all')) c.mentionUnread += 1;
      this.receipt(c, 'delivered', m.seq);
      this.store.emit('convs');
    }
    this.onIncoming(m);
  }

  /**
   * @param {any} n notification `data`
   * @param {boolean} live
   */
  applyNotification(n, live) {
    const a = n.actionData || {};
    const me = this.api.userId;
    const store = this.store;
    if (typeof n.seq === 'number') {
      if (n.seq <= this.notificationSeq && !live) return;
      if (n.notificationType !== 'message_deleted' && !store.inbox.some((x) => x.seq === n.seq)) {
        store.inbox.push({ seq: n.seq, notificationType: n.notificationType, title: n.title, content: n.content, actionData: a, actionType: n.actionType, timestamp: n.timestamp || Date.now(), handled: null });
        store.inbox.sort((x, y) => x.seq - y.seq);
      }
      this.notificationSeq = Math.max(this.notificationSeq, n.seq);
      this.saveInbox();
      store.emit('inbox');
    }
    switch (n.notificationType) {
      case 'delivery_receipt':
      case 'read_receipt': {
        const c = store.convs.get(a.conversationId);
        if (!c) return;
        const seq = Number(a.seq) || 0;
        if (a.userId === me) {
          // My other device read: clear the badge here too.
          if (n.notificationType === 'read_receipt') {
            c.readSeq = Math.max(c.readSeq, seq);
            if (seq >= c.lastSeq) { c.unread = 0; c.mentionUnread = 0; }
            store.emit('convs');
          }
          return;
        }
        if (c.conversationType === 'private') {
          c.peerDeliveredSeq = Math.max(c.peerDeliveredSeq ?? 0, seq);
          if (n.notificationType === 'read_receipt') c.peerReadSeq = Math.max(c.peerReadSeq ?? 0, seq);
        } else if (n.notificationType === 'delivery_receipt') {
          c.groupDeliveredSeq = Math.max(c.groupDeliveredSeq ?? 0, seq);
        } else {
          const w = store.windows.get(c.conversationId);
          if (w) for (const m of w.bySeq.values()) {
            if (m.senderId === me && m.seq <= seq) { if (!m.liveReaders) m.liveReaders = new Set(); m.liveReaders.add(a.userId); }
          }
          c.groupDeliveredSeq = Math.max(c.groupDeliveredSeq ?? 0, seq);
        }
        store.emit('conv:' + c.conversationId);
        store.emit('convs');
        return;
      }
      case 'typing':
        if (a.userId !== me) store.setTyping(a.conversationId, a.userId, a.state === 'start');
        return;
      case 'message_recalled': {
        this.patchMessage(a.conversationId, a.messageId, { recalled: true, content: null });
        this.eventItem(a.conversationId, a.eventSeq, 'recall', a.messageId, a.recalledBy);
        const c = store.convs.get(a.conversationId);
        const m = store.findMessage(a.messageId);
        if (c && m && m.senderId !== me && m.seq > c.readSeq && c.unread > 0) { c.unread -= 1; store.emit('convs'); }
        return;
      }
      case 'message_edited':
        this.patchMessage(a.conversationId, a.messageId, { content: a.content, edited: true, editedAt: a.editedAt });
        this.eventItem(a.conversationId, a.eventSeq, 'edit', a.messageId, a.editedBy);
        return;
      case 'message_reaction': {
        const m = store.findMessage(a.messageId);
        if (!m) return;
        const mine = new Set((m.reactions || []).filter((r) => r.me).map((r) => r.emoji));
        if (a.userId === me) { if (a.action === 'add') mine.add(a.emoji); else mine.delete(a.emoji); }
        this.patchMessage(a.conversationId, a.messageId, { reactions: (a.reactions || []).map((/** @type {any} */ r) => ({ emoji: r.emoji, count: r.count, me: mine.has(r.emoji) })) });
        return;
      }
      case 'message_deleted':
        for (const id of a.messageIds || []) this.patchMessage(a.conversationId, id, { deleted: true, content: null });
        return;
      case 'presence':
        store.presence.set(a.userId, { status: a.status, lastSeen: a.lastSeen ?? null });
        store.emit('presence');
        return;
      case 'conversation_updated': {
        const c = store.convs.get(a.conversationId);
        if (c) { c.pinned = !!a.pinned; c.muted = !!a.muted; c.hidden = !!a.hidden; c.synced = true; store.emit('convs'); store.emit('conv:' + c.conversationId); }
        return;
      }
      case 'friend_updated':
        if (a.userId) store.putUser({ userId: a.userId, displayName: a.displayName, avatar: a.avatar });
        return;
      case 'friend_accepted':
        // A new friend's presence is now visible to us.
        store.emit('social');
        this.refreshPresence();
        return;
      case 'friend_deleted':
      case 'friend_request':
      case 'friend_rejected':
        store.emit('social');
        return;
      case 'group_member_left':
      case 'group_member_removed':
        if (a.userId === me) {
          store.removeConversation('g_' + a.groupId);
          store.groups.delete(a.groupId);
        } else this.refreshGroup(a.groupId);
        return;
      case 'group_dismissed':
        store.removeConversation('g_' + a.groupId);
        store.groups.delete(a.groupId);
        return;
      case 'group_info_updated': {
        const c = store.convs.get('g_' + a.groupId);
        if (c && a.name) { c.name = a.name; store.emit('convs'); store.emit('conv:' + c.conversationId); }
        this.refreshGroup(a.groupId);
        return;
      }
      case 'group_invite':
      case 'group_member_joined':
        if (live) this.syncNow().catch(() => {});
        this.refreshGroup(a.groupId);
        return;
      case 'group_announcement':
      case 'group_muted':
      case 'group_role_changed':
      case 'group_owner_changed':
        this.refreshGroup(a.groupId);
        return;
      case 'kicked':
        return;
    }
  }

  /**
   * Keeps the window contiguous after a live recall/edit (their event items have seqs too).
   * @param {string} convId @param {number} seq @param {'recall' | 'edit'} type @param {string} target @param {string} by
   */
  eventItem(convId, seq, type, target, by) {
    const c = this.store.convs.get(convId);
    if (c && seq > c.lastSeq) c.lastSeq = seq;
    const w = this.store.windows.get(convId);
    if (!w || !w.loaded || !w.atEnd || !seq) return;
    this.store.putMessages(convId, [{
      messageId: `evt-${type}-${seq}`, seq, timestamp: Date.now(), conversationId: convId,
      conversationType: c ? c.conversationType : 'private', senderId: by, contentType: type,
      content: { messageId: target }, replyTo: target,
    }]);
    if (w.hi < seq) this.fillGap(convId);
  }

  /** @param {string} convId @param {string} messageId @param {Partial<Message>} patch */
  patchMessage(convId, messageId, patch) {
    const w = this.store.windows.get(convId);
    const m = w && w.byId.get(messageId);
    if (m) Object.assign(m, patch);
    const c = this.store.convs.get(convId);
    if (c && c.lastMessage && c.lastMessage.messageId === messageId) Object.assign(c.lastMessage, patch);
    this.store.emit('conv:' + convId);
    this.store.emit('convs');
  }

  // --- users, groups, presence -------------------------------------------------------------

  /** @param {Message} m */
  collectUser(m) {
    if (m.senderId && m.senderName && !this.store.users.has(m.senderId)) {
      this.store.putUser({ userId: m.senderId, displayName: m.senderName, avatar: m.senderAvatar ?? null });
    }
  }

  /**
   * Fetches profiles we do not know yet.
   * @param {string[]} ids
   */
  ensureUsers(ids) {
    for (const id of ids) {
      if (!id || this.store.users.has(id) || this.asked.has(id)) continue;
      this.asked.add(id);
      this.api.get('/v1/users/' + encodeURIComponent(id))
        .then((u) => this.store.putUser(u))
        .catch(() => { this.asked.delete(id); });
    }
  }

  /** @param {string} groupId */
  async refreshGroup(groupId) {
    if (!groupId) return null;
    try {
      const g = await this.api.get('/v1/groups/' + encodeURIComponent(groupId));
      this.store.groups.set(groupId, g);
      for (const m of g.members || []) if (m.displayName && !this.store.users.has(m.userId)) this.store.putUser({ userId: m.userId, displayName: m.displayName });
      this.store.emit('group:' + groupId, g);
      this.store.emit('convs');
      return g;
    } catch {
      return null;
    }
  }

  async refreshPresence() {
    const ids = [...new Set([...this.store.convs.values()].filter((c) => c.peerId).map((c) => /** @type {string} */ (c.peerId)))].slice(0, 200);
    if (!ids.length) return;
    try {
      const d = await this.api.get('/v1/presence?userIds=' + ids.map(encodeURIComponent).join(','));
      for (const p of d.presence || []) this.store.presence.set(p.userId, { status: p.status, lastSeen: p.lastSeen ?? null });
      this.store.emit('presence');
    } catch { /* presence is decoration */ }
  }

  async refreshSocial() {
    try {
      const [f, b] = await Promise.all([this.api.get('/v1/friends'), this.api.get('/v1/blocks')]);
      this.store.friends = new Set((f.friends || []).map((/** @type {any} */ x) => x.userId));
      this.store.blocked = new Set((b.blocks || []).map((/** @type {any} */ x) => x.userId));
      for (const u of [...(f.friends || []), ...(b.blocks || [])]) this.store.putUser(u);
      this.store.emit('social');
      return { friends: f.friends || [], blocks: b.blocks || [] };
    } catch {
      return { friends: [], blocks: [] };
    }
  }
}

/**
 * The messages whose edits a page of history reports, each once, in order of first mention:
 * not those recalled later in the page (no content to show) nor those the page itself carries
 * (history returns them with their current content).
 * @param {{contentType: string, messageId?: string, content?: any}[]} items
 * @returns {string[]}
 */
export function editTargets(items) {
  /** @type {Set<string>} */
  const edited = new Set();
  /** @type {Set<string>} */
  const skip = new Set();
  for (const ev of items) {
    if (ev.messageId && !EVENT_TYPES.has(ev.contentType)) skip.add(ev.messageId);
    const target = ev.content && typeof ev.content.messageId === 'string' ? ev.content.messageId : null;
    if (!target) continue;
    if (ev.contentType === 'edit') edited.add(target);
    else if (ev.contentType === 'recall') skip.add(target);
  }
  return [...edited].filter((id) => !skip.has(id));
}

/**
 * The other user of a private conversation id `p_<a>_<b>`.
 * @param {string} convId
 * @param {string | null} me
 * @returns {string | null}
 */
export function peerOf(convId, me) {
  const parts = convId.split('_');
  if (parts.length !== 3 || parts[0] !== 'p') return null;
  return parts[1] === me ? parts[2] : parts[1];
}
