// Messages not yet acknowledged. Persisted in localStorage so a reload or a crash loses
// nothing; every (re)send uses the entry's original localId, so the server stores it once.
import { loadJSON, saveJSON, randomId } from './session.js';

/**
 * @typedef {Object} OutboxEntry
 * @property {string} localId
 * @property {string} conversationId
 * @property {'private' | 'group'} conversationType
 * @property {string | null} receiverId private: the peer
 * @property {string | null} groupId group: the group
 * @property {string} contentType
 * @property {any} content what is sent (for media: `{mediaId}`, filled once uploaded)
 * @property {any} display what is shown meanwhile (media: the upload's info and a local preview)
 * @property {string[]} atUsers
 * @property {string | null} replyTo
 * @property {any} quote the replied-to message, for the bubble
 * @property {number} createdAt
 * @property {'uploading' | 'pending' | 'failed'} state
 * @property {string} [error]
 * @property {number} [progress] 0..1 while uploading
 */

/** Errors worth trying again by themselves (the rest need the user: a failed bubble with retry). */
const TRANSIENT = new Set(['rate_limited', 'internal', 'unavailable', 'timeout', 'disconnected']);

export class Outbox {
  /**
   * @param {string} userId
   * @param {(type: string, data: any) => Promise<any>} request sends a socket request
   * @param {() => boolean} isOpen
   * @param {() => string | null} currentUser who is logged in now: nothing is sent as anyone else
   */
  constructor(userId, request, isOpen, currentUser) {
    this.userId = userId;
    this.key = 'parley.outbox.' + userId;
    this.currentUser = currentUser;
    /** Set on logout: nothing is sent or written any more. */
    this.closed = false;
    this.request = request;
    this.isOpen = isOpen;
    /** @type {OutboxEntry[]} */
    this.entries = loadJSON(this.key, /** @type {OutboxEntry[]} */ ([]));
    // An upload cannot survive a reload (the File is gone): those become failed entries.
    for (const e of this.entries) if (e.state === 'uploading') { e.state = 'failed'; e.error = 'upload interrupted'; }
    /** @type {Set<string>} localIds with a send in flight */
    this.inFlight = new Set();
    /** @type {Map<string, File>} the files of uploads in this page's life (for retry) */
    this.files = new Map();
    /** Called with the entry and the server's ack data once a message is stored. */
    this.onAck = /** @type {(e: OutboxEntry, ack: any) => void} */ (() => {});
    /** Called whenever entries change (views redraw the pending bubbles). */
    this.onChange = /** @type {(convId: string) => void} */ (() => {});
    /** @type {number | undefined} */
    this.retryTimer = undefined;
    this.persist();
  }

  static newLocalId() { return 'web-' + Date.now().toString(36) + '-' + randomId(6); }

  /**
   * Logout: stops sending and, with `discard`, forgets the entries (in memory and on disk).
   * @param {boolean} discard
   */
  close(discard) {
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (discard) {
      for (const e of this.entries) {
        if (e.display && typeof e.display.preview === 'string' && e.display.preview.startsWith('blob:')) {
          try { URL.revokeObjectURL(e.display.preview); } catch { /* already gone */ }
        }
      }
      this.entries = [];
      this.files.clear();
      try { localStorage.removeItem(this.key); } catch { /* nothing stored */ }
    }
  }

  /** Messages not sent yet (pending, uploading or failed). */
  unsentCount() { return this.entries.length; }

  /** Whether this outbox may send now: open socket, and still its own user's login. */
  maySend() { return !this.closed && this.currentUser() === this.userId && this.isOpen(); }

  persist() {
    if (this.closed) return;
    // Local previews (blob: URLs) die with the page; do not store them.
    saveJSON(this.key, this.entries.map((e) => ({ ...e, display: e.display && e.display.preview ? { ...e.display, preview: undefined } : e.display })));
  }

  /** @param {string} convId */
  forConversation(convId) {
    return this.entries.filter((e) => e.conversationId === convId);
  }

  /** @param {string} localId */
  get(localId) { return this.entries.find((e) => e.localId === localId); }

  /** @param {OutboxEntry} entry */
  add(entry) {
    this.entries.push(entry);
    this.persist();
    this.onChange(entry.conversationId);
    if (entry.state === 'pending') this.sendOne(entry);
  }

  /** @param {string} localId @param {Partial<OutboxEntry>} patch */
  update(localId, patch) {
    const e = this.get(localId);
    if (!e) return;
    Object.assign(e, patch);
    // Progress ticks need no disk write.
    if (!(Object.keys(patch).length === 1 && 'progress' in patch)) this.persist();
    this.onChange(e.conversationId);
    if (patch.state === 'pending') this.sendOne(e);
  }

  /** @param {string} localId */
  remove(localId) {
    const e = this.get(localId);
    if (!e) return;
    this.entries = this.entries.filter((x) => x.localId !== localId);
    this.files.delete(localId);
    this.persist();
    this.onChange(e.conversationId);
  }

  /** Sends everything pending (after `connected`, and from the retry timer). */
  flush() {
    for (const e of this.entries) if (e.state === 'pending') this.sendOne(e);
  }

  /** @param {string} localId */
  retry(localId) {
    const e = this.get(localId);
    if (e && e.state === 'failed' && e.content && (e.contentType === 'text' || e.content.mediaId)) this.update(localId, { state: 'pending', error: undefined });
  }

  /** @param {OutboxEntry} e */
  async sendOne(e) {
    if (this.inFlight.has(e.localId) || !this.maySend()) return;
    this.inFlight.add(e.localId);
    /** @type {any} */
    const data = { localId: e.localId, contentType: e.contentType, content: e.content, conversationType: e.conversationType };
    if (e.conversationType === 'group') data.groupId = e.groupId; else data.receiverId = e.receiverId;
    if (e.atUsers.length) data.atUsers = e.atUsers;
    if (e.replyTo) data.replyTo = e.replyTo;
    try {
      const ack = await this.request('message', data);
      this.inFlight.delete(e.localId);
      if (this.closed || !this.get(e.localId)) return;
      this.entries = this.entries.filter((x) => x.localId !== e.localId);
      this.persist();
      this.onAck(e, ack);
      this.onChange(e.conversationId);
    } catch (err) {
      this.inFlight.delete(e.localId);
      if (this.closed) return;
      const code = err && typeof err === 'object' && 'code' in err ? String(/** @type {any} */ (err).code) : 'internal';
      if (TRANSIENT.has(code)) {
        // Stays pending: resent with the same localId after a pause, or on reconnect.
        const wait = Number(/** @type {any} */ (err).retryAfterMs) || 3_000;
        clearTimeout(this.retryTimer);
        this.retryTimer = window.setTimeout(() => this.flush(), wait);
      } else {
        const msg = err && typeof err === 'object' && 'message' in err ? String(/** @type {any} */ (err).message) : code;
        this.update(e.localId, { state: 'failed', error: code === 'blocked' || code === 'forbidden' ? code : msg });
      }
    }
  }
}
