// Message search (substring, CJK included) across one's conversations or the open one, with
// jump-to-result; and group search (to ask to join).
import { h, append } from '../dom.js';
import { t, formatShort } from '../i18n.js';
import { openDialog, avatar, toast } from './dialog.js';
import { errText } from './chat.js';

/** @typedef {import('../app.js').Ctx} Ctx */

/** @param {Ctx} ctx @param {string} [convId] search within this conversation by default */
export function openSearch(ctx, convId) {
  const { store, api } = ctx;
  const d = openDialog({ title: t('search.title'), testid: 'search-dialog', wide: true });
  const input = h('input', { type: 'search', class: 'input', testid: 'message-search', placeholder: t('search.placeholder'), attrs: { maxlength: '100', 'aria-label': t('search.placeholder'), autocomplete: 'off' } });
  const scope = h('input', { type: 'checkbox', testid: 'search-scope', checked: !!convId });
  const results = h('ul', { class: 'plain-list search-results' });
  const groups = h('ul', { class: 'plain-list' });
  const status = h('p', { class: 'muted-text', testid: 'search-empty', hidden: true });
  const more = h('button', { type: 'button', class: 'btn block', testid: 'search-more', hidden: true }, t('search.more'));
  /** @type {string | null} */
  let cursor = null;
  let seq = 0;
  let timer = 0;

  async function run(append = false) {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { results.replaceChildren(); groups.replaceChildren(); status.hidden = true; more.hidden = true; return; }
    const p = new URLSearchParams({ q, limit: '20' });
    if (scope.checked && convId) p.set('conversationId', convId);
    if (append && cursor) p.set('cursor', cursor);
    try {
      const [r, g] = await Promise.all([
        api.get('/v1/search/messages?' + p),
        append || (scope.checked && convId) ? Promise.resolve(null) : api.get('/v1/search/groups?q=' + encodeURIComponent(q)).catch(() => null),
      ]);
      if (mine !== seq) return;
      cursor = r.nextCursor || null;
      const items = (r.results || []).map(resultEl);
      if (append) results.append(...items); else results.replaceChildren(...items);
      more.hidden = !cursor;
      status.textContent = t('search.none');
      status.hidden = results.children.length > 0;
      if (g) drawGroups(g.groups || []);
    } catch (e) { if (mine === seq) toast(errText(e), 'error'); }
  }

  /** @param {any} r */
  function resultEl(r) {
    const m = r.message;
    const c = store.convs.get(m.conversationId);
    const where = c ? store.titleOf(c) : '';
    return h('li', null, h('button', {
      type: 'button', class: 'search-result', testid: 'search-result', dataset: { conversationId: m.conversationId, seq: m.seq, messageId: m.messageId },
      on: { click: () => { d.close(); ctx.openConversation(m.conversationId, { jumpSeq: m.seq }); } },
    },
    avatar(m.senderName || '?', m.senderId, 'small'),
    h('span', { class: 'result-body' },
      h('span', { class: 'result-top' }, h('b', null, m.senderName || store.nameOf(m.senderId)), where && m.conversationType === 'group' ? h('span', { class: 'muted-text' }, ' · ' + where) : null, h('span', { class: 'conv-time' }, formatShort(m.timestamp))),
      snippetEl(r.snippet || (m.content && m.content.text) || ''))));
  }

  /** @param {any[]} list */
  function drawGroups(list) {
    const mineIds = new Set([...store.convs.values()].map((c) => c.groupId));
    groups.replaceChildren(...(list.length ? [h('li', { class: 'section-title' }, t('search.groups'))] : []), ...list.map((g) => h('li', { class: 'user-row', testid: 'group-search-result', dataset: { groupId: g.groupId } },
      h('span', { class: 'avatar small group-avatar' }, '#'),
      h('span', { class: 'user-names' }, h('span', { class: 'user-display' }, g.name), h('span', { class: 'user-handle' }, t('group.members', { n: g.memberCount }))),
      mineIds.has(g.groupId)
        ? h('button', { type: 'button', class: 'btn small', on: { click: () => { d.close(); ctx.openConversation('g_' + g.groupId); } } }, t('user.message'))
        : g.joinPolicy === 'invite_only' ? h('span', { class: 'tag' }, t('group.policy.invite_only'))
          : h('button', { type: 'button', class: 'btn small primary', testid: 'group-join', on: { click: async (/** @type {Event} */ e) => {
            const btn = /** @type {HTMLButtonElement} */ (e.currentTarget);
            try {
              const r = await api.post(`/v1/groups/${encodeURIComponent(g.groupId)}/join-requests`, {});
              btn.disabled = true;
              btn.textContent = r.status === 'accepted' ? t('group.joined') : t('contacts.requested');
              if (r.status === 'accepted') ctx.syncer.syncNow().catch(() => {});
            } catch (err) { toast(errText(err), 'error'); }
          } } }, t('group.join')))));
  }

  input.addEventListener('input', () => { clearTimeout(timer); timer = window.setTimeout(() => run(false), 250); });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); run(false); } });
  scope.addEventListener('change', () => run(false));
  more.addEventListener('click', () => run(true));
  append(d.body, [input,
    convId ? h('label', { class: 'check-row' }, scope, h('span', null, t('search.thisChat'))) : null,
    status, results, more, groups]);
  input.focus();
}

/**
 * The server's snippet is HTML-escaped with the match in <mark>…</mark>. It is rebuilt as text
 * nodes and <mark> elements, never parsed as HTML.
 * @param {string} snippet
 */
export function snippetEl(snippet) {
  const el = h('span', { class: 'snippet' });
  const parts = snippet.split(/(<mark>|<\/mark>)/);
  let inMark = false;
  for (const part of parts) {
    if (part === '<mark>') { inMark = true; continue; }
    if (part === '</mark>') { inMark = false; continue; }
    const text = unescapeHtml(part);
    el.append(inMark ? h('mark', null, text) : text);
  }
  return el;
}

/** @param {string} s */
function unescapeHtml(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, e) => {
    const k = e.toLowerCase();
    if (k === 'amp') return '&';
    if (k === 'lt') return '<';
    if (k === 'gt') return '>';
    if (k === 'quot') return '"';
    if (k === 'apos' || k === '#39') return "'";
    const n = k.startsWith('#x') ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10);
    return Number.isFinite(n) && n > 0 && n < 0x110000 ? String.fromCodePoint(n) : '';
  });
}
