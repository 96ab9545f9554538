// Starting conversations: find a user and open the private chat; create a group.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { openDialog, avatar, toast } from './dialog.js';
import { errText } from './chat.js';

/** @typedef {import('../app.js').Ctx} Ctx */

/**
 * A debounced user search box. Calls `render(users)` with the results (self excluded).
 * @param {Ctx} ctx
 * @param {string} testid
 * @param {(users: any[]) => void} render
 * @param {string} [placeholder]
 */
export function userSearchInput(ctx, testid, render, placeholder = t('users.searchPlaceholder')) {
  const input = h('input', { type: 'search', class: 'input', testid, placeholder, attrs: { 'aria-label': placeholder, autocomplete: 'off' } });
  let timer = 0;
  let seq = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { render([]); return; }
    timer = window.setTimeout(async () => {
      const mine = ++seq;
      try {
        const d = await ctx.api.get('/v1/search/users?q=' + encodeURIComponent(q));
        if (mine !== seq) return;
        const users = (d.users || []).filter((/** @type {any} */ u) => u.userId !== ctx.api.userId);
        for (const u of users) ctx.store.putUser(u);
        render(users);
      } catch (e) { if (mine === seq) toast(errText(e), 'error'); }
    }, 200);
  });
  return input;
}

/** @param {Ctx} ctx */
export function openNewChat(ctx) {
  const d = openDialog({ title: t('chat.new'), testid: 'new-chat-dialog' });
  const results = h('ul', { class: 'plain-list results' });
  const hint = h('p', { class: 'muted-text' }, t('users.searchHint'));
  const input = userSearchInput(ctx, 'user-search', (users) => {
    hint.textContent = input.value.trim() ? t('users.none') : t('users.searchHint');
    hint.hidden = users.length > 0;
    results.replaceChildren(...users.map((u) => h('li', { class: 'user-item' },
      h('button', { type: 'button', class: 'user-row', testid: 'user-result', dataset: { userId: u.userId }, on: { click: () => { d.close(); ctx.openPrivate(u.userId); } } },
        avatar(u.displayName, u.userId), h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, u.displayName), h('span', { class: 'user-handle' }, '@' + u.username))),
      ctx.store.friends.has(u.userId) ? h('span', { class: 'tag' }, t('contacts.friend')) :
        h('button', { type: 'button', class: 'btn small', testid: 'add-friend', dataset: { userId: u.userId }, on: { click: (/** @type {Event} */ e) => addFriend(ctx, u.userId, /** @type {HTMLButtonElement} */ (e.currentTarget)) } }, t('contacts.add')))));
  });
  d.body.append(input, hint, results);
  input.focus();
}

/**
 * @param {Ctx} ctx @param {string} userId @param {HTMLButtonElement} [btn]
 */
export async function addFriend(ctx, userId, btn) {
  try {
    const r = await ctx.api.post('/v1/friends/requests', { userId });
    toast(r.status === 'accepted' ? t('contacts.nowFriends') : t('contacts.requestSent'));
    if (btn) { btn.disabled = true; btn.textContent = r.status === 'accepted' ? t('contacts.friend') : t('contacts.requested'); }
    ctx.syncer.refreshSocial();
  } catch (e) { toast(errText(e), 'error'); }
}

/** @param {Ctx} ctx */
export function openNewGroup(ctx) {
  const d = openDialog({ title: t('group.new'), testid: 'new-group-dialog' });
  /** @type {Map<string, any>} */
  const picked = new Map();
  const name = h('input', { type: 'text', class: 'input', testid: 'group-name', placeholder: t('group.namePlaceholder'), attrs: { maxlength: '100', 'aria-label': t('group.name') } });
  const chips = h('div', { class: 'chips' });
  const results = h('ul', { class: 'plain-list results' });
  /** @type {any[]} */
  let last = [];
  const drawResults = () => {
    results.replaceChildren(...last.map((u) => h('li', null, h('button', {
      type: 'button', class: 'user-row' + (picked.has(u.userId) ? ' picked' : ''), testid: 'group-member-option', dataset: { userId: u.userId },
      attrs: { 'aria-pressed': picked.has(u.userId) ? 'true' : 'false' },
      on: { click: () => { if (picked.has(u.userId)) picked.delete(u.userId); else picked.set(u.userId, u); drawChips(); drawResults(); } },
    }, avatar(u.displayName, u.userId), h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, u.displayName), h('span', { class: 'user-handle' }, '@' + u.username)),
    h('span', { class: 'check' }, picked.has(u.userId) ? '✓' : '')))));
  };
  const drawChips = () => {
    chips.replaceChildren(...[...picked.values()].map((u) => h('button', { type: 'button', class: 'chip', testid: 'group-member-chip', dataset: { userId: u.userId }, on: { click: () => { picked.delete(u.userId); drawChips(); drawResults(); } } }, u.displayName, ' ×')));
  };
  const search = userSearchInput(ctx, 'group-member-search', (users) => { last = users; drawResults(); });
  const error = h('p', { class: 'form-error', hidden: true });
  const create = h('button', { type: 'button', class: 'btn primary', testid: 'create-group' }, t('group.create'));
  create.addEventListener('click', async () => {
    const n = name.value.trim();
    if (!n) { error.textContent = t('group.nameRequired'); error.hidden = false; name.focus(); return; }
    create.disabled = true;
    try {
      const r = await ctx.api.post('/v1/groups', { name: n, memberIds: [...picked.keys()] });
      if (r.invited && r.invited.length) toast(t('group.invitedSome', { n: r.invited.length }));
      ctx.store.upsertConversation({ conversationId: r.conversationId, conversationType: 'group', groupId: r.groupId, name: n, lastSeq: 0, updatedAt: Date.now() });
      await ctx.syncer.refreshGroup(r.groupId);
      ctx.syncer.syncNow().catch(() => {});
      d.close();
      ctx.openConversation(r.conversationId);
    } catch (e) {
      error.textContent = errText(e); error.hidden = false;
    } finally { create.disabled = false; }
  });
  d.body.append(
    h('label', { class: 'field' }, h('span', null, t('group.name')), name),
    h('label', { class: 'field' }, h('span', null, t('group.addMembers')), search),
    chips, results, error,
    h('div', { class: 'dialog-actions' }, create));
  name.focus();
}
