// In-memory client state: conversations, loaded message windows (deduplicated by seq and
// messageId), users, presence, typing, the inbox. Views subscribe to topics and re-render.

/**
 * @typedef {Object} Message a conversation item as the server sends it, plus local fields
 * @property {string} messageId
 * @property {number} timestamp
 * @property {'private' | 'group'} conversationType
 * @property {string} conversationId
 * @property {number} seq
 * @property {string} senderId
 * @property {string | null} [senderName]
 * @property {string | null} [senderAvatar]
 * @property {string} contentType
 * @property {any} content
 * @property {string[]} [atUsers]
 * @property {string | null} [replyTo]
 * @property {string | null} [localId]
 * @property {boolean} [recalled]
 * @property {any} [quote]
 * @property {boolean} [edited]
 * @property {number | null} [editedAt]
 * @property {{emoji: string, count: number, me?: boolean}[] | null} [reactions]
 * @property {boolean | null} [deleted]
 * @property {number | null} [readCount]
 * @property {Set<string>} [liveReaders] group members seen reading it since it was loaded
 *
 * @typedef {Object} Conversation
 * @property {string} conversationId
 * @property {'private' | 'group'} conversationType
 * @property {string | null} peerId
 * @property {string | null} groupId
 * @property {string | null} name
 * @property {number} lastSeq
 * @property {number} deliveredSeq
 * @property {number} readSeq
 * @property {number} unread
 * @property {number} mentionUnread
 * @property {Message | null} lastMessage
 * @property {boolean} pinned
 * @property {boolean} muted
 * @property {boolean} hidden
 * @property {number} updatedAt
 * @property {number | null} peerDeliveredSeq
 * @property {number | null} peerReadSeq
 * @property {number} [groupDeliveredSeq] highest seq a group delivery receipt told us about
 * @property {boolean} [synced] whether its state (muted…) came from the server; false for a
 *   local placeholder (a live message before sync, a new chat)
 *
 * @typedef {Object} User
 * @property {string} userId
 * @property {string} [username]
 * @property {string} displayName
 * @property {string | null} [avatar]
 *
 * @typedef {Object} InboxItem a persisted notification (`data` of a notification frame)
 * @property {number} seq
 * @property {string} notificationType
 * @property {string} [title]
 * @property {string} [content]
 * @property {any} actionData
 * @property {string} [actionType]
 * @property {number} [timestamp]
 * @property {'accepted' | 'rejected' | null} [handled]
 */

export class MessageWindow {
  constructor() {
    /** @type {Map<number, Message>} */
    this.bySeq = new Map();
    /** @type {Map<string, Message>} */
    this.byId = new Map();
    this.lo = Infinity;
    this.hi = 0;
    /** The window follows the live end of the conversation (new messages are appended). */
    this.atEnd = true;
    this.hasMoreBefore = false;
    this.loaded = false;
  }

  /** @param {Message} m @returns {boolean} whether it was new */
  put(m) {
    const existing = this.bySeq.get(m.seq);
    if (existing) {
      // Keep locally learned read counts across a reload of the same item.
      if (existing.liveReaders) m.liveReaders = existing.liveReaders;
      if (existing.messageId !== m.messageId) this.byId.delete(existing.messageId);
    }
    this.bySeq.set(m.seq, m);
    this.byId.set(m.messageId, m);
    if (m.seq < this.lo) this.lo = m.seq;
    this.advance();
    return !existing;
  }

  /** Moves `hi` over every contiguous seq present. */
  advance() {
    if (this.hi < this.lo - 1 || this.hi === 0) this.hi = this.lo === Infinity ? 0 : this.lo - 1;
    while (this.bySeq.has(this.hi + 1)) this.hi++;
  }

  clear() {
    this.bySeq.clear();
    this.byId.clear();
    this.lo = Infinity;
    this.hi = 0;
    this.hasMoreBefore = false;
    this.loaded = false;
    this.atEnd = true;
  }

  /** @returns {Message[]} ascending by seq */
  sorted() {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
}

/** Items that are events (they keep seq contiguous but are not shown as bubbles). */
export const EVENT_TYPES = new Set(['recall', 'edit']);

export class Store {
  constructor() {
    /** @type {User | null} */
    this.me = null;
    /** @type {Map<string, Conversation>} */
    this.convs = new Map();
    /** @type {Map<string, MessageWindow>} */
    this.windows = new Map();
    /** @type {Map<string, User>} */
    this.users = new Map();
    /** @type {Map<string, {status: string, lastSeen: number | null}>} */
    this.presence = new Map();
    /** @type {Map<string, Map<string, number>>} convId → userId → expiry (ms) */
    this.typing = new Map();
    /** @type {Map<string, any>} groupId → GET /v1/groups/{id} */
    this.groups = new Map();
    /** @type {InboxItem[]} newest last */
    this.inbox = [];
    this.inboxSeen = 0;
    /** @type {string | null} */
    this.activeId = null;
    /** @type {Map<string, Set<(arg?: any) => void>>} */
    this.listeners = new Map();
    /** @type {Set<string>} */
    this.friends = new Set();
    /** @type {Set<string>} */
    this.blocked = new Set();
    /** Set when a sync summary was older than what live frames had shown. */
    this.staleSummary = false;
  }

  // --- events -------------------------------------------------------------------------------

  /**
   * @param {string} topic `convs`, `conv:<id>` (messages of one), `typing`, `users`, `presence`, `inbox`, `me`, `group:<id>`, `social`
   * @param {(arg?: any) => void} fn
   * @returns {() => void} unsubscribe
   */
  on(topic, fn) {
    let set = this.listeners.get(topic);
    if (!set) { set = new Set(); this.listeners.set(topic, set); }
    set.add(fn);
    return () => { set && set.delete(fn); };
  }

  /** @param {string} topic @param {any} [arg] */
  emit(topic, arg) {
    const set = this.listeners.get(topic);
    if (set) for (const fn of [...set]) fn(arg);
  }

  // --- conversations -----------------------------------------------------------------------

  /** @param {any} s a conversation summary from sync / GET /v1/conversations */
  upsertConversation(s) {
    const old = this.convs.get(s.conversationId);
    /** @type {Conversation} */
    const c = {
      conversationId: s.conversationId,
      conversationType: s.conversationType,
      peerId: s.peerId ?? null,
      groupId: s.groupId ?? null,
      name: s.name ?? null,
      lastSeq: Math.max(s.lastSeq ?? 0, old ? old.lastSeq : 0),
      deliveredSeq: s.deliveredSeq ?? 0,
      readSeq: Math.max(s.readSeq ?? 0, old ? old.readSeq : 0),
      unread: s.unread ?? 0,
      mentionUnread: s.mentionUnread ?? 0,
      lastMessage: s.lastMessage ?? (old ? old.lastMessage : null),
      pinned: !!s.pinned,
      muted: !!s.muted,
      hidden: !!s.hidden,
      updatedAt: s.updatedAt ?? Date.now(),
      // Take the larger of the summary and the last receipt seen (§3).
      peerDeliveredSeq: maxOrNull(s.peerDeliveredSeq, old ? old.peerDeliveredSeq : null),
      peerReadSeq: maxOrNull(s.peerReadSeq, old ? old.peerReadSeq : null),
      groupDeliveredSeq: old ? old.groupDeliveredSeq : 0,
      synced: !!s.synced || !!(old && old.synced),
    };
    // Live messages overtook this summary (it was computed before they arrived): keep the
    // counts they produced, and let the syncer ask again for a consistent picture.
    if (old && old.lastSeq > (s.lastSeq ?? 0)) {
      c.unread = Math.max(c.unread, old.unread);
      c.mentionUnread = Math.max(c.mentionUnread, old.mentionUnread);
      this.staleSummary = true;
    }
    // Our locally sent read cursor is ahead of a summary that was cut before it.
    if (old && old.readSeq > (s.readSeq ?? 0) && c.readSeq >= c.lastSeq) { c.unread = 0; c.mentionUnread = 0; }
    if (old && old.lastMessage && c.lastMessage && old.lastMessage.seq > c.lastMessage.seq) c.lastMessage = old.lastMessage;
    this.convs.set(c.conversationId, c);
    this.emit('convs');
    this.emit('conv:' + c.conversationId);
    return c;
  }

  /**
   * A local placeholder for a private chat that has no message yet (its id is derivable).
   * @param {string} peerId
   */
  ensurePrivate(peerId) {
    const me = this.me ? this.me.userId : '';
    const [a, b] = [me, peerId].sort();
    const id = `p_${a}_${b}`;
    let c = this.convs.get(id);
    if (!c) {
      c = this.upsertConversation({ conversationId: id, conversationType: 'private', peerId, lastSeq: 0, updatedAt: Date.now() });
    } else if (c.hidden) {
      c.hidden = false;
      this.emit('convs');
    }
    return c;
  }

  /** @param {string} id */
  removeConversation(id) {
    this.convs.delete(id);
    this.windows.delete(id);
    this.emit('convs');
    this.emit('conv:' + id);
  }

  /** @returns {Conversation[]} pinned first, then by last activity */
  sortedConversations() {
    return [...this.convs.values()]
      .filter((c) => !c.hidden || c.conversationId === this.activeId)
      .sort((a, b) => (Number(b.pinned) - Number(a.pinned)) || (activity(b) - activity(a)));
  }

  /** Unread over conversations that are not muted: the document title and the app badge. */
  totalUnread() {
    let n = 0;
    for (const c of this.convs.values()) if (!c.muted && !c.hidden) n += c.unread;
    return n;
  }

  /** @param {string} id */
  window(id) {
    let w = this.windows.get(id);
    if (!w) { w = new MessageWindow(); this.windows.set(id, w); }
    return w;
  }

  /**
   * Inserts items (history page, live message, ack) into their conversation's window.
   * @param {string} convId
   * @param {Message[]} items
   */
  putMessages(convId, items) {
    const w = this.window(convId);
    for (const m of items) w.put(m);
    this.emit('conv:' + convId);
  }

  /** @param {Message} m */
  touchLast(m) {
    const c = this.convs.get(m.conversationId);
    if (!c) return;
    if (m.seq > c.lastSeq) c.lastSeq = m.seq;
    if (!c.lastMessage || m.seq >= c.lastMessage.seq) {
      c.lastMessage = m;
      c.updatedAt = Math.max(c.updatedAt, m.timestamp);
    }
    c.hidden = false;
    this.emit('convs');
  }

  /** @param {string} messageId @returns {Message | undefined} */
  findMessage(messageId) {
    for (const w of this.windows.values()) {
      const m = w.byId.get(messageId);
      if (m) return m;
    }
    return undefined;
  }

  /**
   * Delivery state of one of my messages (§3 table).
   * @param {Message} m
   * @returns {'sent' | 'delivered' | 'read'}
   */
  statusOf(m) {
    const c = this.convs.get(m.conversationId);
    if (!c) return 'sent';
    if (c.conversationType === 'private') {
      if ((c.peerReadSeq ?? 0) >= m.seq) return 'read';
      if ((c.peerDeliveredSeq ?? 0) >= m.seq) return 'delivered';
      return 'sent';
    }
    if (this.readCountOf(m) > 0) return 'read';
    if ((c.groupDeliveredSeq ?? 0) >= m.seq) return 'delivered';
    return 'sent';
  }

  /** @param {Message} m */
  readCountOf(m) {
    return Math.max(m.readCount ?? 0, m.liveReaders ? m.liveReaders.size : 0);
  }

  // --- users -------------------------------------------------------------------------------

  /** @param {User} u */
  putUser(u) {
    const old = this.users.get(u.userId);
    this.users.set(u.userId, { ...old, ...u });
    this.emit('users');
  }

  /** @param {string | null | undefined} id */
  nameOf(id) {
    if (!id) return '';
    const u = this.users.get(id);
    return u ? u.displayName : '';
  }

  /** @param {Conversation} c */
  titleOf(c) {
    if (c.conversationType === 'group') {
      const g = c.groupId ? this.groups.get(c.groupId) : null;
      return c.name || (g && g.name) || '';
    }
    return this.nameOf(c.peerId);
  }

  // --- typing ------------------------------------------------------------------------------

  /** @param {string} convId @param {string} userId @param {boolean} on */
  setTyping(convId, userId, on) {
    let m = this.typing.get(convId);
    if (!m) { m = new Map(); this.typing.set(convId, m); }
    const had = m.has(userId);
    // A typing "start" that is not renewed means the typist stopped (tab closed, network gone).
    if (on) m.set(userId, Date.now() + 6_000); else m.delete(userId);
    if (had !== on || on) this.emit('typing', convId);
  }

  /** @param {string} convId @returns {string[]} user ids typing now */
  typists(convId) {
    const m = this.typing.get(convId);
    if (!m) return [];
    const now = Date.now();
    for (const [u, until] of m) if (until < now) m.delete(u);
    return [...m.keys()];
  }

  // --- inbox -------------------------------------------------------------------------------

  inboxUnseen() {
    return this.inbox.filter((n) => n.seq > this.inboxSeen).length;
  }
}

/** @param {Conversation} c */
function activity(c) {
  return Math.max(c.updatedAt || 0, c.lastMessage ? c.lastMessage.timestamp : 0);
}

/** @param {number | null | undefined} a @param {number | null | undefined} b */
function maxOrNull(a, b) {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return Math.max(a, b);
}
