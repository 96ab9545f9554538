// Parley web client: entry point and wiring. No framework, no build step: ES modules, JSDoc
// types (checked by tsc, see ../tsconfig.json).
//
// data-testid reference (black-box tests rely on these):
//   Login:     username, password, display-name, login, register (each switches mode or submits,
//              see views/login.js), login-error
//   Shell:     connection (data-state online|connecting|offline), me-name, new-chat, new-group,
//              open-contacts, open-inbox, inbox-badge, open-search, open-settings
//   List:      conversation-list, conversation (data-conversation-id, data-pinned, data-muted),
//              unread (badge; absent at 0), mention (@me marker), muted, presence (data-status),
//              conversation-menu → conversation-actions menu with action-pin, action-mute, action-hide,
//              conversation-empty
//   New chat:  new-chat-dialog, user-search, user-result (data-user-id; click opens the chat),
//              add-friend (data-user-id)
//   New group: new-group-dialog, group-name, group-member-search, group-member-option (data-user-id,
//              aria-pressed), group-member-chip, create-group
//   Chat:      chat (data-conversation-id), back, chat-title, chat-subtitle, chat-info, chat-search,
//              chat-menu, message-list, message (data-seq, data-message-id, data-local-id,
//              data-sender-id; own: data-status sending|sent|delivered|read|failed), message-text,
//              image, file, video, audio, card, forward, recalled, edited, quote, sender-name, day-separator,
//              message-status, read-count (group, own), reactions, reaction (data-emoji),
//              action-reply, action-react → reaction-picker with react-option, message-menu →
//              message-actions with action-reply-menu, action-copy, action-edit, action-recall,
//              action-receipts, action-delete; retry, discard (failed own messages),
//              upload-progress (data-progress 0..100), typing, scroll-bottom, composer, send,
//              attach (the <input type=file>), reply-bar, reply-cancel, mention-list,
//              mention-option (data-user-id), composer-note, receipts-dialog, read-by,
//              media-viewer, viewer-image, viewer-video, viewer-download, unread-separator,
//              announcement-bar (group announcement; opens group info)
//   Group info: group-info-dialog, group-info-title, group-info-manage (details, open for admins),
//              group-info-announcement-text (members' view), group-info-name, group-info-save, group-info-announcement,
//              group-info-policy, group-info-mute-all, group-member (data-user-id, data-role),
//              member-menu → member-actions with member-make-admin, member-remove-admin,
//              member-remove, member-transfer, member-mute, member-unmute; group-invite-search, group-invite-option
//              (data-user-id), group-leave, group-dismiss, join-request (data-request-id),
//              join-accept, join-reject
//   User info: user-info-dialog, user-message, user-add-friend, user-remove-friend, user-block,
//              user-unblock
//   Contacts:  contacts-dialog, contact-search, contact-result (data-user-id) with add-friend,
//              friend (data-user-id) with friend-message and friend-info, friend-request (data-request-id),
//              friend-accept, friend-reject, outgoing-request, blocked-user (data-user-id), unblock
//   Search:    search-dialog, message-search, search-scope (checkbox: this chat only),
//              search-result (data-conversation-id, data-seq, data-message-id), search-more,
//              search-empty, group-search-result (data-group-id), group-join
//   Inbox:     inbox-dialog, inbox-item (data-type, data-seq), inbox-accept, inbox-reject,
//              inbox-empty
//   Settings:  settings-dialog, settings-display-name, settings-save-profile, settings-language
//              (auto|en|zh), settings-theme (system|light|dark), settings-notifications,
//              settings-push-enabled, settings-push-preview, settings-quiet-hours,
//              settings-quiet-start, settings-quiet-end, settings-friends-only,
//              settings-group-adds, settings-presence, settings-current-password,
//              settings-new-password, settings-change-password, logout
//   Common:    dialog-close, confirm-dialog, confirm-ok, confirm-cancel, toast, menu items above
//   Kicked:    kicked-notice (data-reason replaced|forced_offline|…; offline until the user
//              clicks) with reconnect; audio-play (a voice message's play button, before its
//              download)
import { h, icon } from './dom.js';
import { Api } from './api.js';
import { deviceId } from './session.js';
import { Connection } from './connection.js';
import { Store } from './store.js';
import { Syncer } from './sync.js';
import { Outbox } from './outbox.js';
import { t, setLang, langSetting } from './i18n.js';
import { initMedia, clearMedia } from './media.js';
import { notify, updateTitle, setNotifyUser, setNotifyPreview, notifyKey } from './notifications.js';
import { renderLogin } from './views/login.js';
import { mountConversationList } from './views/conversation-list.js';
import { mountChat, previewOf, clearDrafts } from './views/chat.js';
import { toast, confirmDialog } from './views/dialog.js';
import { openNewChat, openNewGroup } from './views/new-chat.js';
import { openGroupInfo, openUserInfo } from './views/group-info.js';
import { openSearch } from './views/search.js';
import { openInbox } from './views/inbox.js';
import { openSettings, applyTheme } from './views/settings.js';
import { openContacts } from './views/contacts.js';

/**
 * Everything a view needs.
 * @typedef {Object} Ctx
 * @property {Api} api
 * @property {Store} store
 * @property {Connection} conn
 * @property {Syncer} syncer
 * @property {Outbox} outbox
 * @property {(id: string, opts?: {jumpSeq?: number}) => void} openConversation
 * @property {(userId: string) => void} openPrivate
 * @property {() => void} closeConversation
 * @property {(groupId: string) => void} openGroupInfo
 * @property {(userId: string) => void} openUserInfo
 * @property {(convId?: string) => void} openSearch
 * @property {() => void} logout
 * @property {() => void} remount re-renders the shell (language change)
 */

const root = /** @type {HTMLElement} */ (document.getElementById('app'));
const api = new Api();
initMedia(api);
applyTheme();
setLang(langSetting());

/** @type {(() => void) | null} */
let teardown = null;

/**
 * Leaves nothing of a login behind for the next user of this page: drafts, downloaded media
 * (blob URLs revoked), the conversation in the address bar and, unless `keepStored` (the same
 * user is expected back: the login merely expired), the per-user caches in localStorage.
 * @param {string | null} userId
 * @param {boolean} keepStored
 */
function wipeUserData(userId, keepStored) {
  clearDrafts();
  clearMedia();
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  if (!userId || keepStored) return;
  for (const key of ['parley.outbox.' + userId, 'parley.inbox.' + userId, notifyKey(userId)]) {
    try { localStorage.removeItem(key); } catch { /* no storage */ }
  }
}

/** The user whose main screen is shown (null: the login screen). */
let shownUser = /** @type {string | null} */ (null);

function boot() {
  if (teardown) { teardown(); teardown = null; }
  if (api.session) startMain();
  else showLogin();
}

function showLogin() {
  shownUser = null;
  setNotifyUser(null);
  document.title = t('app.name');
  renderLogin(root, api, () => boot());
}

api.onLoggedOut = (/** @type {string} */ reason) => {
  const was = shownUser;
  // Close this login's socket and outbox first: nothing more is sent or stored for it.
  if (teardown) { teardown(); teardown = null; }
  // Expired: the same user will likely sign in again, their unsent messages wait for them.
  wipeUserData(was, reason === 'expired');
  toast(t(reason === 'switched' ? 'session.switched' : reason === 'logout' ? 'session.ended' : 'session.expired'), 'error');
  boot();
};

function startMain() {
  const store = new Store();
  const userId = /** @type {string} */ (api.userId);
  shownUser = userId;
  setNotifyUser(userId);
  store.me = { userId, displayName: '' };
  /** @type {Syncer} */
  let syncer;
  const conn = new Connection({
    token: () => api.token(),
    deviceId: deviceId(),
    onFrame: (f) => syncer.handleFrame(f),
    onState: (s) => {
      connEl.dataset.state = s; connText.textContent = t('conn.' + s); document.body.dataset.connection = s;
      if (s === 'online') kickedNotice.hidden = true;
    },
    onConnected: () => {
      // Presence follows the tab: hidden tabs are "away".
      if (document.hidden) conn.send({ type: 'presence', data: { status: 'away' } });
      syncer.syncNow().then(() => { outbox.flush(); }).catch(() => { outbox.flush(); });
    },
    onDisconnected: () => {},
    onKicked: (reason) => {
      // Close code 4001 (§12): never reconnect by ourselves, except right after this tab's own
      // password change (it holds the new grant; give it a moment to land).
      if (reason === 'password_changed' && api.passwordChangeAt && Date.now() - api.passwordChangeAt < 60_000) {
        api.passwordChangeAt = 0;
        setTimeout(() => {
          if (!api.session || api.userId !== userId) return;
          api.get('/v1/users/me').then(() => conn.start()).catch((e) => {
            if (/** @type {any} */ (e).status === 0) showKicked(reason);
          });
        }, 1_000);
        return;
      }
      if (reason === 'banned') { endLogin('session.banned'); return; }
      if (reason === 'replaced' || reason === 'forced_offline') { showKicked(reason); return; }
      // The login ended (logout, refresh reuse, a password change elsewhere…): a refused token
      // lands in api.onLoggedOut (the login screen); otherwise stay offline until asked.
      api.get('/v1/users/me').then(() => showKicked(reason)).catch(() => { if (api.session) showKicked(reason); });
    },
    onAuthSuspect: () => { api.get('/v1/users/me').catch(() => {}); },
  });
  syncer = new Syncer(api, store, conn);
  const outbox = new Outbox(userId, (type, data) => conn.request(type, data), () => conn.isOpen, () => api.userId);
  outbox.onChange = (convId) => { store.emit('outbox:' + convId); };
  outbox.onAck = (e, ack) => {
    const display = e.display ? { ...e.display, preview: undefined } : e.content;
    /** @type {import('./store.js').Message} */
    const m = {
      messageId: ack.messageId, seq: ack.seq, timestamp: ack.timestamp, conversationId: ack.conversationId,
      conversationType: e.conversationType, senderId: userId, senderName: store.me ? store.me.displayName : '',
      contentType: e.contentType, content: e.contentType === 'text' ? e.content : display, atUsers: e.atUsers,
      replyTo: e.replyTo, localId: e.localId, recalled: false, quote: e.quote, edited: false, reactions: [],
    };
    let c = store.convs.get(ack.conversationId);
    if (!c) c = store.upsertConversation({ conversationId: ack.conversationId, conversationType: e.conversationType, peerId: e.receiverId, groupId: e.groupId, lastSeq: 0, updatedAt: ack.timestamp });
    const w = store.window(ack.conversationId);
    if (w.loaded && w.atEnd) {
      store.putMessages(ack.conversationId, [m]);
      if (w.hi < m.seq) syncer.fillGap(ack.conversationId);
    }
    // Sending moves my own cursors (replying is reading).
    c.readSeq = Math.max(c.readSeq, ack.seq);
    c.unread = 0;
    c.mentionUnread = 0;
    store.touchLast(m);
  };

  /** @param {import('./store.js').Message} m */
  const showNotification = (m) => {
    const c = store.convs.get(m.conversationId);
    // Muted, or its state not known yet (a placeholder before sync): no notification.
    if (!c || c.muted || !c.synced || api.userId !== userId) return;
    const who = store.nameOf(m.senderId) || m.senderName || '';
    const title = c.conversationType === 'group' ? `${who} @ ${store.titleOf(c)}` : who;
    notify(title, previewOf(m, store), m.conversationId, () => ctx.openConversation(m.conversationId));
  };
  syncer.onIncoming = (m) => {
    const c = store.convs.get(m.conversationId);
    if (c && c.synced) { showNotification(m); return; }
    // Wait for the conversation's state (is it muted?) before deciding.
    syncer.syncNow().then(() => showNotification(m)).catch(() => {});
  };
  // Desktop notifications follow the push preview setting (no sender or text when off).
  api.get('/v1/push/settings').then((p) => { if (shownUser === userId) setNotifyPreview(!!(p && p.preview)); }).catch(() => {});

  // ---- shell ----------------------------------------------------------------------------
  const connText = h('span', { class: 'conn-text' }, t('conn.offline'));
  const connEl = h('div', { class: 'connection', testid: 'connection', dataset: { state: 'offline' }, attrs: { role: 'status', title: t('conn.retry') } }, h('span', { class: 'conn-dot' }), connText);
  // Clicking the indicator while offline retries at once (also after being replaced by another tab).
  connEl.addEventListener('click', () => { if (conn.state === 'offline') { kickedNotice.hidden = true; conn.start(); } });
  // Kicked (replaced, forced offline…): offline, with a notice, until the user reconnects.
  const kickedText = h('span', { class: 'kicked-text' });
  const kickedNotice = h('div', { class: 'kicked-notice', testid: 'kicked-notice', hidden: true, attrs: { role: 'alert' } }, kickedText,
    h('button', { type: 'button', class: 'btn small', testid: 'reconnect', on: { click: () => { kickedNotice.hidden = true; if (conn.state === 'offline') conn.start(); } } }, t('session.reconnect')));
  /** @param {string} reason */
  const showKicked = (reason) => {
    if (!api.session) return;
    kickedText.textContent = t(reason === 'replaced' ? 'session.replaced' : reason === 'forced_offline' ? 'session.forcedOffline' : 'session.ended');
    kickedNotice.dataset.reason = reason;
    kickedNotice.hidden = false;
  };
  /** The login is over for good (a ban): back to the login screen, nothing kept. */
  const endLogin = (/** @type {string} */ notice) => {
    if (teardown) { teardown(); teardown = null; }
    api.forget();
    wipeUserData(userId, false);
    toast(t(notice), 'error');
    boot();
  };
  const meName = h('span', { class: 'me-name', testid: 'me-name' });
  const inboxBadge = h('span', { class: 'badge', testid: 'inbox-badge', hidden: true });
  /** @param {string} testid @param {any} iconName @param {string} label @param {() => void} onClick @param {...Node} extra */
  const toolBtn = (testid, iconName, label, onClick, ...extra) =>
    h('button', { type: 'button', class: 'icon-btn', testid, attrs: { 'aria-label': label, title: label }, on: { click: onClick } }, icon(iconName), ...extra);
  const listRoot = h('div', { class: 'conv-scroll' });
  const sidebar = h('aside', { class: 'sidebar', attrs: { 'aria-label': t('list.title') } },
    h('header', { class: 'sidebar-header' },
      h('button', { type: 'button', class: 'me', testid: 'open-settings', attrs: { 'aria-label': t('settings.title') }, on: { click: () => openSettings(ctx) } }, h('span', { class: 'me-avatar' }), meName),
      h('span', { class: 'toolbar' },
        toolBtn('open-inbox', 'bell', t('inbox.title'), () => openInbox(ctx), inboxBadge),
        toolBtn('open-contacts', 'contacts', t('contacts.title'), () => openContacts(ctx)),
        toolBtn('new-group', 'group', t('group.new'), () => openNewGroup(ctx)),
        toolBtn('new-chat', 'plus', t('chat.new'), () => openNewChat(ctx)))),
    h('div', { class: 'sidebar-sub' },
      h('button', { type: 'button', class: 'search-launch', testid: 'open-search', on: { click: () => openSearch(ctx) } }, icon('search'), h('span', null, t('search.placeholder'))),
      connEl),
    kickedNotice,
    listRoot);
  const chatRoot = h('main', { class: 'chat-pane' });
  const layout = h('div', { class: 'layout', dataset: { view: 'list' } }, sidebar, chatRoot);
  root.replaceChildren(layout);

  /** @type {(() => void) | null} */
  let chatCleanup = null;
  function showEmpty() {
    chatRoot.replaceChildren(h('div', { class: 'empty-state', testid: 'no-chat' },
      h('div', { class: 'empty-icon' }, icon('send')), h('h2', null, t('chat.emptyTitle')), h('p', null, t('chat.emptyHint'))));
  }

  /** @type {Ctx} */
  const ctx = {
    api, store, conn, syncer, outbox,
    openConversation(id, opts) {
      if (chatCleanup) chatCleanup();
      store.activeId = id;
      const c = store.convs.get(id);
      if (c && c.hidden) { c.hidden = false; }
      layout.dataset.view = 'chat';
      store.emit('convs');
      chatCleanup = mountChat(chatRoot, ctx, id, opts);
      history.replaceState(null, '', '#' + encodeURIComponent(id));
    },
    openPrivate(userId) {
      if (userId === api.userId) return;
      const c = store.ensurePrivate(userId);
      syncer.ensureUsers([userId]);
      ctx.openConversation(c.conversationId);
    },
    closeConversation() {
      if (chatCleanup) chatCleanup();
      chatCleanup = null;
      store.activeId = null;
      layout.dataset.view = 'list';
      store.emit('convs');
      showEmpty();
      history.replaceState(null, '', location.pathname);
    },
    openGroupInfo: (g) => openGroupInfo(ctx, g),
    openUserInfo: (u) => openUserInfo(ctx, u),
    openSearch: (convId) => openSearch(ctx, convId),
    logout: async () => {
      const unsent = outbox.unsentCount();
      if (unsent > 0 && !(await confirmDialog(t('logout.discard', { n: unsent }), t('settings.logout')))) return;
      if (teardown) { teardown(); teardown = null; }
      outbox.close(true);
      await api.logout();
      wipeUserData(userId, false);
      boot();
    },
    remount: () => boot(),
  };

  const listCleanup = mountConversationList(listRoot, ctx);
  showEmpty();

  const drawMe = () => {
    const name = store.me ? store.me.displayName : '';
    meName.textContent = name;
    const av = /** @type {HTMLElement} */ (sidebar.querySelector('.me-avatar'));
    av.textContent = [...(name || '?')][0].toUpperCase();
  };
  const drawInbox = () => {
    const n = store.inboxUnseen();
    inboxBadge.hidden = n === 0;
    inboxBadge.textContent = String(n);
  };
  const drawTitle = () => updateTitle(store.totalUnread());
  const offs = [store.on('me', drawMe), store.on('inbox', drawInbox), store.on('convs', drawTitle)];
  drawInbox();

  api.get('/v1/users/me').then((me) => { store.me = me; store.putUser(me); store.emit('me'); }).catch(() => {});
  conn.start();
  // The list shows at once, even before the socket is up.
  syncer.syncNow().then(() => {
    const wanted = decodeURIComponent(location.hash.slice(1));
    if (wanted && store.convs.has(wanted) && !store.activeId) ctx.openConversation(wanted);
  }).catch(() => {});
  syncer.refreshSocial();

  const onVisibility = () => {
    conn.send({ type: 'presence', data: { status: document.hidden ? 'away' : 'online' } });
    if (!document.hidden && store.activeId) syncer.markRead(store.activeId);
  };
  document.addEventListener('visibilitychange', onVisibility);
  const onKey = (/** @type {KeyboardEvent} */ e) => {
    // Ctrl/Cmd+K: search, as in most chat apps.
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k' && !document.querySelector('dialog[open]')) { e.preventDefault(); openSearch(ctx); return; }
    // Escape leaves a chat on phones (dialogs and menus handle their own Escape first).
    if (e.key === 'Escape' && !e.defaultPrevented && store.activeId && !document.querySelector('dialog[open]') && matchMedia('(max-width: 600px)').matches) ctx.closeConversation();
  };
  document.addEventListener('keydown', onKey);

  teardown = () => {
    conn.stop();
    outbox.close(false);
    syncer.closed = true;
    setNotifyUser(null);
    if (chatCleanup) chatCleanup();
    listCleanup();
    offs.forEach((f) => f());
    document.removeEventListener('visibilitychange', onVisibility);
    document.removeEventListener('keydown', onKey);
    document.querySelectorAll('dialog').forEach((d) => d.remove());
  };
}

boot();
