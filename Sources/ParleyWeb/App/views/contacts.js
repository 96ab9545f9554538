// Contacts: friends, pending requests (both ways), blocked users, and adding a friend.
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { openDialog, avatar, toast } from './dialog.js';
import { errText } from './chat.js';
import { userSearchInput, addFriend } from './new-chat.js';

/** @typedef {import('../app.js').Ctx} Ctx */

/** @param {Ctx} ctx */
export function openContacts(ctx) {
  const { api, store, syncer } = ctx;
  const d = openDialog({ title: t('contacts.title'), testid: 'contacts-dialog', onClose: () => off() });
  const results = h('ul', { class: 'plain-list results' });
  const search = userSearchInput(ctx, 'contact-search', (users) => {
    results.replaceChildren(...users.map((u) => h('li', { class: 'user-row', testid: 'contact-result', dataset: { userId: u.userId } },
      avatar(u.displayName, u.userId, 'small'),
      h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, u.displayName), h('span', { class: 'user-handle' }, '@' + u.username)),
      store.friends.has(u.userId) ? h('span', { class: 'tag' }, t('contacts.friend'))
        : h('button', { type: 'button', class: 'btn small primary', testid: 'add-friend', dataset: { userId: u.userId }, on: { click: (/** @type {Event} */ e) => addFriend(ctx, u.userId, /** @type {HTMLButtonElement} */ (e.currentTarget)) } }, t('contacts.add')))));
  });
  const body = h('div', { class: 'contacts' }, h('p', null, t('common.loading')));
  d.body.append(h('div', { class: 'field' }, search, results), body);
  const off = store.on('social', () => { load(); });

  let loading = false;
  async function load() {
    if (loading) return;
    loading = true;
    try {
      const [f, b, r] = await Promise.all([api.get('/v1/friends'), api.get('/v1/blocks'), api.get('/v1/friends/requests')]);
      store.friends = new Set((f.friends || []).map((/** @type {any} */ x) => x.userId));
      store.blocked = new Set((b.blocks || []).map((/** @type {any} */ x) => x.userId));
      for (const q of [...(r.incoming || []), ...(r.outgoing || [])]) syncer.ensureUsers([q.userId, q.targetId]);
      replace(body,
        (r.incoming || []).length ? h('h3', { class: 'section-title' }, t('contacts.incoming')) : null,
        h('ul', { class: 'plain-list' }, (r.incoming || []).map((/** @type {any} */ q) => h('li', { class: 'user-row', testid: 'friend-request', dataset: { requestId: q.requestId, userId: q.userId } },
          avatar(q.displayName || '?', q.userId, 'small'),
          h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, q.displayName || store.nameOf(q.userId)), q.message ? h('span', { class: 'user-handle' }, q.message) : null),
          h('button', { type: 'button', class: 'btn small primary', testid: 'friend-accept', on: { click: () => answer(q.requestId, 'accept') } }, t('common.accept')),
          h('button', { type: 'button', class: 'btn small', testid: 'friend-reject', on: { click: () => answer(q.requestId, 'reject') } }, t('common.reject'))))),
        (r.outgoing || []).length ? h('h3', { class: 'section-title' }, t('contacts.outgoing')) : null,
        h('ul', { class: 'plain-list' }, (r.outgoing || []).map((/** @type {any} */ q) => h('li', { class: 'user-row', testid: 'outgoing-request', dataset: { requestId: q.requestId, userId: q.targetId } },
          avatar(store.nameOf(q.targetId) || '?', q.targetId, 'small'),
          h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, store.nameOf(q.targetId) || q.targetId), h('span', { class: 'user-handle' }, t('contacts.requested')))))),
        h('h3', { class: 'section-title' }, t('contacts.friends', { n: (f.friends || []).length })),
        (f.friends || []).length ? null : h('p', { class: 'muted-text' }, t('contacts.noFriends')),
        h('ul', { class: 'plain-list' }, (f.friends || []).map((/** @type {any} */ u) => h('li', { class: 'user-row', testid: 'friend', dataset: { userId: u.userId } },
          avatar(u.displayName, u.userId, 'small'),
          h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, u.displayName), h('span', { class: 'user-handle' }, '@' + u.username)),
          h('button', { type: 'button', class: 'btn small', testid: 'friend-message', on: { click: () => { d.close(); ctx.openPrivate(u.userId); } } }, t('user.message')),
          h('button', { type: 'button', class: 'btn small link', testid: 'friend-info', on: { click: () => { d.close(); ctx.openUserInfo(u.userId); } } }, t('user.info'))))),
        (b.blocks || []).length ? h('h3', { class: 'section-title' }, t('contacts.blockedTitle')) : null,
        h('ul', { class: 'plain-list' }, (b.blocks || []).map((/** @type {any} */ u) => h('li', { class: 'user-row', testid: 'blocked-user', dataset: { userId: u.userId } },
          avatar(u.displayName, u.userId, 'small'),
          h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, u.displayName), h('span', { class: 'user-handle' }, '@' + u.username)),
          h('button', { type: 'button', class: 'btn small', testid: 'unblock', on: { click: async () => {
            try { await api.del('/v1/blocks/' + encodeURIComponent(u.userId)); load(); } catch (e) { toast(errText(e), 'error'); }
          } } }, t('contacts.unblock'))))));
    } catch (e) {
      body.replaceChildren(h('p', { class: 'form-error' }, errText(e)));
    } finally { loading = false; }
  }

  /** @param {string} requestId @param {'accept' | 'reject'} verb */
  async function answer(requestId, verb) {
    try {
      await api.post(`/v1/friends/requests/${encodeURIComponent(requestId)}/${verb}`);
      for (const n of store.inbox) if (n.actionData && n.actionData.requestId === requestId) n.handled = verb === 'accept' ? 'accepted' : 'rejected';
      syncer.saveInbox();
      load();
    } catch (e) { toast(errText(e), 'error'); }
  }

  load();
  search.focus();
}
