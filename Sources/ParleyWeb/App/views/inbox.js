// The notification inbox: persisted friend and group events, with accept/reject where the
// event asks for an answer.
import { h } from '../dom.js';
import { t, formatShort } from '../i18n.js';
import { openDialog, toast } from './dialog.js';
import { errText } from './chat.js';

/** @typedef {import('../app.js').Ctx} Ctx */
/** @typedef {import('../store.js').InboxItem} InboxItem */

/** @param {Ctx} ctx */
export function openInbox(ctx) {
  const { store, api, syncer } = ctx;
  const d = openDialog({ title: t('inbox.title'), testid: 'inbox-dialog', onClose: () => off() });
  const list = h('ul', { class: 'plain-list inbox' });
  const empty = h('p', { class: 'muted-text', testid: 'inbox-empty' }, t('inbox.empty'));
  d.body.append(empty, list);
  const offs = [store.on('inbox', draw), store.on('users', draw)];
  const off = () => offs.forEach((f) => f());

  function draw() {
    const items = [...store.inbox].reverse();
    empty.hidden = items.length > 0;
    list.replaceChildren(...items.map(itemEl));
  }

  /** @param {InboxItem} n */
  function itemEl(n) {
    const a = n.actionData || {};
    const who = a.userId ? store.nameOf(a.userId) : '';
    syncer.ensureUsers([a.userId, a.inviterId].filter(Boolean));
    const text = describe(n, who, store);
    /** @type {{accept: string, reject: string} | null} */
    let urls = null;
    // Ids come from notification data: each is encoded as one path segment.
    const seg = (/** @type {unknown} */ v) => encodeURIComponent(String(v));
    if (n.notificationType === 'friend_request' && a.requestId) urls = { accept: `/v1/friends/requests/${seg(a.requestId)}/accept`, reject: `/v1/friends/requests/${seg(a.requestId)}/reject` };
    if (n.notificationType === 'group_invitation' && a.invitationId) urls = { accept: `/v1/group-invitations/${seg(a.invitationId)}/accept`, reject: `/v1/group-invitations/${seg(a.invitationId)}/reject` };
    if (n.notificationType === 'group_join_request' && a.requestId && a.groupId) urls = { accept: `/v1/groups/${seg(a.groupId)}/join-requests/${seg(a.requestId)}/accept`, reject: `/v1/groups/${seg(a.groupId)}/join-requests/${seg(a.requestId)}/reject` };
    const actions = urls && !n.handled ? h('span', { class: 'inbox-actions' },
      h('button', { type: 'button', class: 'btn small primary', testid: 'inbox-accept', on: { click: () => answer(n, /** @type {any} */ (urls).accept, 'accepted') } }, t('common.accept')),
      h('button', { type: 'button', class: 'btn small', testid: 'inbox-reject', on: { click: () => answer(n, /** @type {any} */ (urls).reject, 'rejected') } }, t('common.reject')))
      : n.handled ? h('span', { class: 'tag' }, t('inbox.' + n.handled)) : null;
    return h('li', { class: 'inbox-item' + (n.seq > store.inboxSeen ? ' unseen' : ''), testid: 'inbox-item', dataset: { type: n.notificationType, seq: n.seq } },
      h('span', { class: 'inbox-text' }, h('span', { class: 'inbox-title' }, text), n.notificationType === 'system' && n.content ? h('span', { class: 'inbox-content' }, n.content) : (a.message ? h('span', { class: 'inbox-content' }, '“' + a.message + '”') : null), h('span', { class: 'conv-time' }, formatShort(n.timestamp || 0))),
      actions);
  }

  /** @param {InboxItem} n @param {string} url @param {'accepted' | 'rejected'} result */
  async function answer(n, url, result) {
    try {
      await api.post(url);
      n.handled = result;
    } catch (e) {
      const code = /** @type {any} */ (e).code;
      // Already answered elsewhere (or gone): nothing left to do here.
      if (code === 'conflict' || code === 'not_found') n.handled = result; else { toast(errText(e), 'error'); return; }
    }
    syncer.saveInbox();
    draw();
    syncer.refreshSocial();
    syncer.syncNow().catch(() => {});
  }

  draw();
  // Opening the inbox marks everything in it seen (the bell's badge).
  const top = store.inbox.length ? store.inbox[store.inbox.length - 1].seq : 0;
  if (top > store.inboxSeen) { store.inboxSeen = top; syncer.saveInbox(); setTimeout(() => store.emit('inbox'), 1500); }
  // Pending friend requests are also listed by the server (in case the inbox was cleared).
  api.get('/v1/friends/requests').then((r) => {
    for (const q of r.incoming || []) {
      if (!store.inbox.some((n) => n.notificationType === 'friend_request' && n.actionData && n.actionData.requestId === q.requestId)) {
        store.putUser({ userId: q.userId, displayName: q.displayName });
        store.inbox.push({ seq: 0, notificationType: 'friend_request', actionData: { requestId: q.requestId, userId: q.userId, message: q.message }, timestamp: q.createdAt, handled: null });
      }
    }
    store.inbox.sort((x, y) => x.seq - y.seq || (x.timestamp || 0) - (y.timestamp || 0));
    draw();
  }).catch(() => {});
}

/**
 * A sentence for a notification, from its type and data (the server's title is a fallback).
 * @param {InboxItem} n @param {string} who @param {import('../store.js').Store} store
 */
export function describe(n, who, store) {
  const a = n.actionData || {};
  const someone = who || t('common.someone');
  const group = a.name || (a.groupId ? (store.convs.get('g_' + a.groupId)?.name || store.groups.get(a.groupId)?.name || '') : '');
  switch (n.notificationType) {
    case 'friend_request': return t('inbox.friendRequest', { name: someone });
    case 'friend_accepted': return t('inbox.friendAccepted', { name: someone });
    case 'friend_rejected': return t('inbox.friendRejected', { name: someone });
    case 'friend_deleted': return t('inbox.friendDeleted', { name: someone });
    case 'friend_updated': return t('inbox.friendUpdated', { name: a.displayName || someone });
    case 'group_invite': return t('inbox.groupInvite', { name: someone, group });
    case 'group_invitation': return t('inbox.groupInvitation', { name: store.nameOf(a.inviterId) || someone, group });
    case 'group_join_request': return t('inbox.groupJoinRequest', { name: someone, group });
    case 'group_join_rejected': return t('inbox.groupJoinRejected', { group });
    case 'group_member_joined': return t('inbox.groupJoined', { name: someone, group });
    case 'group_member_left': return t('inbox.groupLeft', { name: someone, group });
    case 'group_member_removed': return t('inbox.groupRemoved', { name: someone, group });
    case 'group_info_updated': return t('inbox.groupUpdated', { name: someone, group });
    case 'group_announcement': return t('inbox.groupAnnouncement', { group }) + (a.announcement ? ': ' + a.announcement : '');
    case 'group_muted': return t('inbox.groupMuted', { group });
    case 'group_role_changed': return t('inbox.groupRole', { name: someone, group, role: t('group.role.' + (a.role || 'member')) });
    case 'group_owner_changed': return t('inbox.groupOwner', { name: someone, group });
    case 'group_dismissed': return t('inbox.groupDismissed', { group });
    case 'message_deleted': return t('inbox.messageDeleted');
    case 'system': return n.title || t('inbox.system');
    default: return n.title || n.notificationType;
  }
}
