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
import { h, icon } from './dom.js';
import { Api } from './api.js';
import { deviceId } from './session.js';
import { Connection } from './connection.js';
import { Store } from './store.js';
import { Syncer } from './sync.js';
import { Outbox } from './outbox.js';
import { t, setLang, langSetting } from './i18n.js';
import { initMedia } from './media.js';
import { notify, updateTitle } from './notifications.js';
import { renderLogin } from './views/login.js';
import { mountConversationList } from './views/conversation-list.js';
import { mountChat, previewOf } from './views/chat.js';
import { toast } from './views/dialog.js';
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

function boot() {
  if (teardown) { teardown(); teardown = null; }
  if (api.session) startMain();
  else showLogin();
}

function showLogin() {
  document.title = t('app.name');
  renderLogin(root, api, () => boot());
}

api.onLoggedOut = () => {
  toast(t('session.expired'), 'error');
  boot();
};

function startMain() {
  const store = new Store();
  const userId = /** @type {string} */ (api.userId);
  store.me = { userId, displayName: '' };
  /** @type {Syncer} */
  let syncer;
  const conn = new Connection({
    token: () => api.token(),
    deviceId: deviceId(),
    onFrame: (f) => syncer.handleFrame(f),
    onState: (s) => { connEl.dataset.state = s; connText.textContent = t('conn.' + s); document.body.dataset.connection = s; },
    onConnected: () => {
      // Presence follows the tab: hidden tabs are "away".
      if (document.hidden) conn.send({ type: 'presence', data: { status: 'away' } });
      syncer.syncNow().then(() => { outbox.flush(); }).catch(() => { outbox.flush(); });
    },
    onDisconnected: () => {},
    onKicked: (reason) => {
      if (reason === 'replaced') { toast(t('session.replaced'), 'error'); return; }
      // The login ended (logout, password change, ban…). If our tokens still work (this tab
      // changed the password and holds the new grant), reconnect; otherwise the 401 and the
      // failed refresh land in api.onLoggedOut, back to the login screen.
      // A password change made here answers its HTTP request about when the kick arrives:
      // give the new grant a moment to land first.
      setTimeout(() => {
        if (!api.session) return;
        api.get('/v1/users/me').then(() => conn.start()).catch((e) => {
          // Unreachable server: keep trying. A refused login was handled by onLoggedOut.
          if (/** @type {any} */ (e).status === 0) conn.start();
        });
      }, reason === 'password_changed' ? 1_000 : 0);
    },
    onAuthSuspect: () => { api.get('/v1/users/me').catch(() => {}); },
  });
  syncer = new Syncer(api, store, conn);
  const outbox = new Outbox(userId, (type, data) => conn.request(type, data), () => conn.isOpen);
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

  syncer.onIncoming = (m) => {
    const c = store.convs.get(m.conversationId);
    if (!c || c.muted) return;
    const who = store.nameOf(m.senderId) || m.senderName || '';
    const title = c.conversationType === 'group' ? `${who} @ ${store.titleOf(c)}` : who;
    notify(title, previewOf(m, store), m.conversationId, () => ctx.openConversation(m.conversationId));
  };

  // ---- shell ----------------------------------------------------------------------------
  const connText = h('span', { class: 'conn-text' }, t('conn.offline'));
  const connEl = h('div', { class: 'connection', testid: 'connection', dataset: { state: 'offline' }, attrs: { role: 'status', title: t('conn.retry') } }, h('span', { class: 'conn-dot' }), connText);
  // Clicking the indicator while offline retries at once (also after being replaced by another tab).
  connEl.addEventListener('click', () => { if (conn.state === 'offline') conn.start(); });
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
      conn.stop();
      await api.logout();
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
    if (chatCleanup) chatCleanup();
    listCleanup();
    offs.forEach((f) => f());
    document.removeEventListener('visibilitychange', onVisibility);
    document.removeEventListener('keydown', onKey);
    document.querySelectorAll('dialog').forEach((d) => d.remove());
  };
}

boot();
