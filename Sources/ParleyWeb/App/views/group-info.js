// Group info (name, announcement, policy, members and roles, invite, leave, dismiss, join
// requests) and user info (a private chat's peer: friend, block).
import { h, icon, replace } from '../dom.js';
import { t, formatLastSeen } from '../i18n.js';
import { openDialog, avatar, toast, openMenu, confirmDialog } from './dialog.js';
import { errText } from './chat.js';
import { userSearchInput, addFriend } from './new-chat.js';

/** @typedef {import('../app.js').Ctx} Ctx */

/** @param {Ctx} ctx @param {string} groupId */
export function openGroupInfo(ctx, groupId) {
  const d = openDialog({ title: t('group.info'), testid: 'group-info-dialog', onClose: () => off() });
  const { store, api, syncer } = ctx;
  const me = api.userId;
  const content = h('div', { class: 'group-info' }, h('p', null, t('common.loading')));
  d.body.append(content);
  const off = store.on('group:' + groupId, () => draw());

  function draw() {
    const g = store.groups.get(groupId);
    if (!g) return;
    const mine = (g.members || []).find((/** @type {any} */ m) => m.userId === me);
    const role = mine ? mine.role : 'member';
    const admin = role === 'owner' || role === 'admin';
    const name = h('input', { type: 'text', class: 'input', testid: 'group-info-name', value: g.name, disabled: !admin, attrs: { maxlength: '100', 'aria-label': t('group.name') } });
    const announcement = h('textarea', { class: 'input', testid: 'group-info-announcement', value: g.announcement || '', disabled: !admin, rows: 3, attrs: { maxlength: '4000', 'aria-label': t('group.announcement') } });
    const policy = h('select', { class: 'input', testid: 'group-info-policy', disabled: !admin, attrs: { 'aria-label': t('group.policy') } },
      ['approval', 'open', 'invite_only'].map((p) => h('option', { value: p, selected: g.joinPolicy === p }, t('group.policy.' + p))));
    const muteAll = h('input', { type: 'checkbox', testid: 'group-info-mute-all', checked: !!g.muteAll, disabled: !admin });
    const save = h('button', { type: 'button', class: 'btn primary', testid: 'group-info-save', hidden: !admin, on: { click: async () => {
      /** @type {any} */
      const patch = {};
      if (name.value.trim() && name.value.trim() !== g.name) patch.name = name.value.trim();
      if (announcement.value !== (g.announcement || '')) patch.announcement = announcement.value;
      if (policy.value !== g.joinPolicy) patch.joinPolicy = policy.value;
      if (muteAll.checked !== !!g.muteAll) patch.muteAll = muteAll.checked;
      if (!Object.keys(patch).length) return;
      try {
        const r = await api.patch('/v1/groups/' + encodeURIComponent(groupId), patch);
        store.groups.set(groupId, r);
        const c = store.convs.get('g_' + groupId);
        if (c) { c.name = r.name; store.emit('convs'); store.emit('conv:' + c.conversationId); }
        store.emit('group:' + groupId, r);
        toast(t('common.saved'));
      } catch (e) { toast(errText(e), 'error'); }
    } } }, t('common.save'));

    const members = [...(g.members || [])].sort((a, b) => rank(a.role) - rank(b.role));
    const memberList = h('ul', { class: 'plain-list members' }, members.map((m) => {
      const canManage = m.userId !== me && (role === 'owner' || (role === 'admin' && m.role === 'member'));
      const menuBtn = canManage ? h('button', { type: 'button', class: 'icon-btn small', testid: 'member-menu', attrs: { 'aria-label': t('list.actions') } }, icon('more')) : null;
      if (menuBtn) menuBtn.addEventListener('click', () => memberMenu(m, menuBtn));
      const muted = m.mutedUntil && m.mutedUntil > Date.now();
      return h('li', { class: 'user-row member', testid: 'group-member', dataset: { userId: m.userId, role: m.role } },
        avatar(store.nameOf(m.userId) || m.displayName, m.userId, 'small'),
        h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, (store.nameOf(m.userId) || m.displayName) + (m.userId === me ? ' (' + t('list.you') + ')' : '')), muted ? h('span', { class: 'user-handle' }, t('group.mutedMember')) : null),
        m.role !== 'member' ? h('span', { class: 'tag role-' + m.role }, t('group.role.' + m.role)) : null,
        menuBtn);
    }));

    /** @param {any} m @param {HTMLElement} anchor */
    function memberMenu(m, anchor) {
      /** @type {import('./dialog.js').MenuItem[]} */
      const items = [];
      const base = '/v1/groups/' + encodeURIComponent(groupId);
      const uid = encodeURIComponent(String(m.userId));
      const run = (/** @type {() => Promise<any>} */ f) => f().then(() => syncer.refreshGroup(groupId)).catch((e) => toast(errText(e), 'error'));
      if (role === 'owner') {
        if (m.role === 'member') items.push({ label: t('group.makeAdmin'), testid: 'member-make-admin', onSelect: () => run(() => api.put(`${base}/roles/${uid}`, { role: 'admin' })) });
        else items.push({ label: t('group.removeAdmin'), testid: 'member-remove-admin', onSelect: () => run(() => api.put(`${base}/roles/${uid}`, { role: 'member' })) });
        items.push({ label: t('group.transfer'), testid: 'member-transfer', onSelect: async () => { if (await confirmDialog(t('group.transferConfirm', { name: store.nameOf(m.userId) || m.displayName }), t('group.transfer'))) run(() => api.post(`${base}/transfer`, { userId: m.userId })); } });
      }
      const muted = m.mutedUntil && m.mutedUntil > Date.now();
      items.push(muted
        ? { label: t('group.unmuteMember'), testid: 'member-unmute', onSelect: () => run(() => api.del(`${base}/mutes/${uid}`)) }
        : { label: t('group.muteMember'), testid: 'member-mute', onSelect: () => run(() => api.put(`${base}/mutes/${uid}`, { until: Date.now() + 3_600_000 })) });
      items.push({ label: t('group.removeMember'), testid: 'member-remove', danger: true, onSelect: () => run(() => api.del(`${base}/members/${uid}`)) });
      openMenu(anchor, items, 'member-actions');
    }

    const inviteResults = h('ul', { class: 'plain-list results' });
    const canInvite = admin || g.joinPolicy === 'open';
    const invite = canInvite ? userSearchInput(ctx, 'group-invite-search', (users) => {
      const inGroup = new Set(members.map((m) => m.userId));
      inviteResults.replaceChildren(...users.filter((u) => !inGroup.has(u.userId)).map((u) => h('li', null, h('button', {
        type: 'button', class: 'user-row', testid: 'group-invite-option', dataset: { userId: u.userId },
        on: { click: async () => {
          try {
            const r = await api.post(`/v1/groups/${encodeURIComponent(groupId)}/members`, { userIds: [u.userId] });
            toast((r.invited || []).length ? t('group.invitationSent') : t('group.added'));
            inviteResults.replaceChildren();
            syncer.refreshGroup(groupId);
          } catch (e) { toast(errText(e), 'error'); }
        } },
      }, avatar(u.displayName, u.userId, 'small'), h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, u.displayName), h('span', { class: 'user-handle' }, '@' + u.username))))));
    }, t('group.invitePlaceholder')) : null;

    const requests = h('div', { class: 'join-requests' });
    if (admin) loadJoinRequests(requests);

    const leave = role !== 'owner' ? h('button', { type: 'button', class: 'btn danger', testid: 'group-leave', on: { click: async () => {
      if (!(await confirmDialog(t('group.leaveConfirm', { name: g.name }), t('group.leave')))) return;
      try {
        await api.del(`/v1/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(/** @type {string} */ (me))}`);
        d.close();
        store.removeConversation('g_' + groupId);
        if (store.activeId === 'g_' + groupId) ctx.closeConversation();
      } catch (e) { toast(errText(e), 'error'); }
    } } }, t('group.leave')) : null;
    const dismiss = role === 'owner' ? h('button', { type: 'button', class: 'btn danger', testid: 'group-dismiss', on: { click: async () => {
      if (!(await confirmDialog(t('group.dismissConfirm', { name: g.name }), t('group.dismiss')))) return;
      try {
        await api.del(`/v1/groups/${encodeURIComponent(groupId)}`);
        d.close();
        store.removeConversation('g_' + groupId);
        if (store.activeId === 'g_' + groupId) ctx.closeConversation();
      } catch (e) { toast(errText(e), 'error'); }
    } } }, t('group.dismiss')) : null;

    replace(content,
      h('div', { class: 'group-head' }, h('span', { class: 'avatar large group-avatar' }, icon('group')), h('div', null, h('div', { class: 'group-title', testid: 'group-info-title' }, g.name), h('div', { class: 'muted-text' }, t('group.members', { n: g.memberCount })))),
      !admin && g.announcement ? h('div', { class: 'announcement', testid: 'group-info-announcement-text' }, h('b', null, t('group.announcement')), h('p', null, g.announcement)) : null,
      requests,
      h('h3', { class: 'section-title' }, t('group.membersTitle', { n: g.memberCount })),
      invite ? h('div', { class: 'field' }, invite, inviteResults) : null,
      memberList,
      admin ? h('details', { class: 'manage', open: true },
        h('summary', { testid: 'group-info-manage' }, t('group.manage')),
        h('label', { class: 'field' }, h('span', null, t('group.name')), name),
        h('label', { class: 'field' }, h('span', null, t('group.announcement')), announcement),
        h('label', { class: 'field' }, h('span', null, t('group.policy')), policy),
        h('label', { class: 'check-row' }, muteAll, h('span', null, t('group.muteAll'))),
        h('div', { class: 'dialog-actions' }, save)) : null,
      h('div', { class: 'dialog-actions spread' }, leave, dismiss));
  }

  /** @param {HTMLElement} box */
  async function loadJoinRequests(box) {
    try {
      const r = await api.get(`/v1/groups/${encodeURIComponent(groupId)}/join-requests`);
      const reqs = r.requests || [];
      if (!reqs.length) { box.replaceChildren(); return; }
      syncer.ensureUsers(reqs.map((/** @type {any} */ q) => q.userId));
      box.replaceChildren(h('h3', { class: 'section-title' }, t('group.joinRequests')),
        h('ul', { class: 'plain-list' }, reqs.map((/** @type {any} */ q) => h('li', { class: 'user-row', testid: 'join-request', dataset: { requestId: q.requestId } },
          avatar(q.displayName || store.nameOf(q.userId) || '?', q.userId, 'small'),
          h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, q.displayName || store.nameOf(q.userId) || q.userId), q.message ? h('span', { class: 'user-handle' }, q.message) : null),
          h('button', { type: 'button', class: 'btn small primary', testid: 'join-accept', on: { click: () => answer(q.requestId, 'accept') } }, t('common.accept')),
          h('button', { type: 'button', class: 'btn small', testid: 'join-reject', on: { click: () => answer(q.requestId, 'reject') } }, t('common.reject'))))));
    } catch { box.replaceChildren(); }
  }

  /** @param {string} requestId @param {'accept' | 'reject'} verb */
  async function answer(requestId, verb) {
    try {
      await api.post(`/v1/groups/${encodeURIComponent(groupId)}/join-requests/${encodeURIComponent(requestId)}/${verb}`);
      await syncer.refreshGroup(groupId);
    } catch (e) { toast(errText(e), 'error'); }
  }

  if (store.groups.has(groupId)) draw();
  syncer.refreshGroup(groupId).then((g) => { if (!g) content.replaceChildren(h('p', { class: 'form-error' }, t('group.unavailable'))); });
}

/** @param {string} role */
function rank(role) { return role === 'owner' ? 0 : role === 'admin' ? 1 : 2; }

/** @param {Ctx} ctx @param {string} userId */
export function openUserInfo(ctx, userId) {
  const { store, api, syncer } = ctx;
  const d = openDialog({ title: t('user.info'), testid: 'user-info-dialog', onClose: () => off() });
  const off = store.on('social', () => draw());
  function draw() {
    const u = store.users.get(userId);
    const p = store.presence.get(userId);
    const friend = store.friends.has(userId);
    const blocked = store.blocked.has(userId);
    d.body.replaceChildren(
      h('div', { class: 'group-head' }, avatar(u ? u.displayName : '?', userId, 'large'),
        h('div', null, h('div', { class: 'group-title' }, u ? u.displayName : userId), h('div', { class: 'muted-text' }, u && u.username ? '@' + u.username : ''),
          h('div', { class: 'muted-text' }, p && p.status === 'online' ? t('presence.online') : p && p.status === 'away' ? t('presence.away') : formatLastSeen(p ? p.lastSeen : null)))),
      h('div', { class: 'dialog-actions wrap' },
        h('button', { type: 'button', class: 'btn primary', testid: 'user-message', on: { click: () => { d.close(); ctx.openPrivate(userId); } } }, t('user.message')),
        friend
          ? h('button', { type: 'button', class: 'btn', testid: 'user-remove-friend', on: { click: async () => {
            if (!(await confirmDialog(t('contacts.removeConfirm'), t('contacts.remove')))) return;
            try { await api.del('/v1/friends/' + encodeURIComponent(userId)); await syncer.refreshSocial(); } catch (e) { toast(errText(e), 'error'); }
          } } }, t('contacts.remove'))
          : h('button', { type: 'button', class: 'btn', testid: 'user-add-friend', on: { click: (/** @type {Event} */ e) => addFriend(ctx, userId, /** @type {HTMLButtonElement} */ (e.currentTarget)) } }, t('contacts.add')),
        blocked
          ? h('button', { type: 'button', class: 'btn', testid: 'user-unblock', on: { click: async () => {
            try { await api.del('/v1/blocks/' + encodeURIComponent(userId)); await syncer.refreshSocial(); } catch (e) { toast(errText(e), 'error'); }
          } } }, t('contacts.unblock'))
          : h('button', { type: 'button', class: 'btn danger', testid: 'user-block', on: { click: async () => {
            if (!(await confirmDialog(t('contacts.blockConfirm'), t('contacts.block')))) return;
            try { await api.post('/v1/blocks', { userId }); await syncer.refreshSocial(); toast(t('contacts.blocked')); } catch (e) { toast(errText(e), 'error'); }
          } } }, t('contacts.block'))));
  }
  draw();
  syncer.ensureUsers([userId]);
  syncer.refreshSocial();
}
