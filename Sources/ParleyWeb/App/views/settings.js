// Settings: profile, language, theme, desktop notifications, offline push, privacy,
// password, log out.
import { h } from '../dom.js';
import { t, langSetting, setLang } from '../i18n.js';
import { openDialog, toast } from './dialog.js';
import { errText } from './chat.js';
import { notificationsEnabled, notificationsSupported, setNotifications, setNotifyPreview } from '../notifications.js';

/** @typedef {import('../app.js').Ctx} Ctx */

const THEME_KEY = 'parley.theme';

/** Applies the stored theme: `light`/`dark` force it, otherwise prefers-color-scheme decides. */
export function applyTheme() {
  const v = localStorage.getItem(THEME_KEY);
  if (v === 'light' || v === 'dark') document.documentElement.dataset.theme = v;
  else delete document.documentElement.dataset.theme;
}

/** @param {Ctx} ctx */
export function openSettings(ctx) {
  const { api, store } = ctx;
  const d = openDialog({ title: t('settings.title'), testid: 'settings-dialog' });
  const me = store.me || { displayName: '', userId: '' };

  // Profile
  const name = h('input', { type: 'text', class: 'input', testid: 'settings-display-name', value: me.displayName || '', attrs: { maxlength: '64', 'aria-label': t('settings.displayName') } });
  const saveProfile = h('button', { type: 'button', class: 'btn primary', testid: 'settings-save-profile' }, t('common.save'));
  saveProfile.addEventListener('click', async () => {
    const v = name.value.trim();
    if (!v) return;
    try {
      const r = await api.patch('/v1/users/me', { displayName: v });
      store.me = r;
      store.putUser(r);
      store.emit('me');
      toast(t('common.saved'));
    } catch (e) { toast(errText(e), 'error'); }
  });

  // Appearance and language
  const language = h('select', { class: 'input', testid: 'settings-language', attrs: { 'aria-label': t('settings.language') } },
    h('option', { value: 'auto', selected: langSetting() === 'auto' }, t('settings.auto')),
    h('option', { value: 'en', selected: langSetting() === 'en' }, 'English'),
    h('option', { value: 'zh', selected: langSetting() === 'zh' }, '中文'));
  language.addEventListener('change', () => {
    setLang(/** @type {any} */ (language.value));
    d.close();
    ctx.remount();
  });
  const themeNow = localStorage.getItem(THEME_KEY) || 'system';
  const theme = h('select', { class: 'input', testid: 'settings-theme', attrs: { 'aria-label': t('settings.theme') } },
    ['system', 'light', 'dark'].map((v) => h('option', { value: v, selected: themeNow === v }, t('settings.theme.' + v))));
  theme.addEventListener('change', () => {
    if (theme.value === 'system') localStorage.removeItem(THEME_KEY); else localStorage.setItem(THEME_KEY, theme.value);
    applyTheme();
  });

  // Desktop notifications (permission asked here, on the user's click)
  const notif = h('input', { type: 'checkbox', testid: 'settings-notifications', checked: notificationsEnabled(), disabled: !notificationsSupported() });
  const notifNote = h('span', { class: 'muted-text' }, notificationsSupported() && Notification.permission === 'denied' ? t('settings.notificationsDenied') : '');
  notif.addEventListener('change', async () => {
    const on = await setNotifications(notif.checked);
    notif.checked = on;
    if (!on && notificationsSupported() && Notification.permission === 'denied') notifNote.textContent = t('settings.notificationsDenied');
  });

  // Offline push (§9b): user-visible switches
  const pushEnabled = h('input', { type: 'checkbox', testid: 'settings-push-enabled', disabled: true });
  const pushPreview = h('input', { type: 'checkbox', testid: 'settings-push-preview', disabled: true });
  const quiet = h('input', { type: 'checkbox', testid: 'settings-quiet-hours', disabled: true });
  const quietStart = h('input', { type: 'time', class: 'input time-input', testid: 'settings-quiet-start', value: '22:00', attrs: { 'aria-label': t('settings.quietHours') } });
  const quietEnd = h('input', { type: 'time', class: 'input time-input', testid: 'settings-quiet-end', value: '07:00', attrs: { 'aria-label': t('settings.quietHours') } });
  api.get('/v1/push/settings').then((s) => {
    pushEnabled.checked = !!s.enabled; pushPreview.checked = !!s.preview;
    quiet.checked = !!s.quietHours;
    if (s.quietHours) { quietStart.value = s.quietHours.start; quietEnd.value = s.quietHours.end; }
    pushEnabled.disabled = pushPreview.disabled = quiet.disabled = false;
  }).catch(() => {});
  const savePush = async () => {
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    const quietHours = quiet.checked && quietStart.value && quietEnd.value ? { start: quietStart.value, end: quietEnd.value, timeZone } : null;
    try { const r = await api.patch('/v1/push/settings', { enabled: pushEnabled.checked, preview: pushPreview.checked, quietHours }); setNotifyPreview(!!(r && r.preview)); toast(t('common.saved')); } catch (e) { toast(errText(e), 'error'); }
  };
  for (const el of [pushEnabled, pushPreview, quiet, quietStart, quietEnd]) el.addEventListener('change', savePush);

  // Privacy (§1)
  const friendsOnly = h('input', { type: 'checkbox', testid: 'settings-friends-only', checked: !!(/** @type {any} */ (me).friendsOnly) });
  const groupAdds = h('select', { class: 'input', testid: 'settings-group-adds', attrs: { 'aria-label': t('settings.groupAdds') } },
    ['everyone', 'friends', 'nobody'].map((v) => h('option', { value: v, selected: /** @type {any} */ (me).groupAdds === v }, t('settings.who.' + v))));
  const presence = h('select', { class: 'input', testid: 'settings-presence', attrs: { 'aria-label': t('settings.presence') } },
    ['contacts', 'friends', 'nobody'].map((v) => h('option', { value: v, selected: /** @type {any} */ (me).presenceVisibility === v }, t('settings.who.' + v))));
  const savePrivacy = async () => {
    try {
      const r = await api.patch('/v1/users/me', { friendsOnly: friendsOnly.checked, groupAdds: groupAdds.value, presenceVisibility: presence.value });
      store.me = r;
      toast(t('common.saved'));
    } catch (e) { toast(errText(e), 'error'); }
  };
  friendsOnly.addEventListener('change', savePrivacy);
  groupAdds.addEventListener('change', savePrivacy);
  presence.addEventListener('change', savePrivacy);

  // Password
  const current = h('input', { type: 'password', class: 'input', testid: 'settings-current-password', autocomplete: 'current-password', placeholder: t('settings.currentPassword'), attrs: { 'aria-label': t('settings.currentPassword') } });
  const next = h('input', { type: 'password', class: 'input', testid: 'settings-new-password', autocomplete: 'new-password', placeholder: t('settings.newPassword'), attrs: { 'aria-label': t('settings.newPassword') } });
  const change = h('button', { type: 'button', class: 'btn', testid: 'settings-change-password' }, t('settings.changePassword'));
  change.addEventListener('click', async () => {
    if (!current.value || !next.value) return;
    try {
      // The change kicks this login's sessions (`password_changed`): this tab alone may then
      // reconnect by itself, with the new grant.
      api.passwordChangeAt = Date.now();
      const grant = await api.post('/v1/auth/password', { currentPassword: current.value, newPassword: next.value });
      api.adopt(grant);
      current.value = next.value = '';
      toast(t('settings.passwordChanged'));
    } catch (e) { toast(/** @type {any} */ (e).code === 'forbidden' ? t('settings.wrongPassword') : errText(e), 'error'); }
  });

  const logout = h('button', { type: 'button', class: 'btn danger block', testid: 'logout', on: { click: () => { d.close(); ctx.logout(); } } }, t('settings.logout'));

  /** @param {string} label @param {Node} control */
  const row = (label, control) => h('label', { class: 'setting-row' }, h('span', null, label), control);
  d.body.append(
    h('section', { class: 'settings-section' }, h('h3', { class: 'section-title' }, t('settings.profile')),
      h('div', { class: 'inline-form' }, name, saveProfile),
      h('p', { class: 'muted-text' }, store.users.get(me.userId)?.username ? '@' + store.users.get(me.userId)?.username : '')),
    h('section', { class: 'settings-section' }, h('h3', { class: 'section-title' }, t('settings.appearance')),
      row(t('settings.language'), language), row(t('settings.theme'), theme)),
    h('section', { class: 'settings-section' }, h('h3', { class: 'section-title' }, t('settings.notifications')),
      row(t('settings.desktopNotifications'), notif), notifNote,
      row(t('settings.pushEnabled'), pushEnabled), row(t('settings.pushPreview'), pushPreview),
      row(t('settings.quietHours'), quiet), h('div', { class: 'inline-form' }, quietStart, quietEnd)),
    h('section', { class: 'settings-section' }, h('h3', { class: 'section-title' }, t('settings.privacy')),
      row(t('settings.friendsOnly'), friendsOnly), row(t('settings.groupAdds'), groupAdds), row(t('settings.presence'), presence)),
    h('section', { class: 'settings-section' }, h('h3', { class: 'section-title' }, t('settings.password')),
      h('form', { class: 'stack', on: { submit: (/** @type {Event} */ e) => { e.preventDefault(); change.click(); } } },
        h('input', { type: 'text', class: 'visually-hidden', autocomplete: 'username', value: store.users.get(me.userId)?.username || '', tabIndex: -1, attrs: { 'aria-hidden': 'true' } }),
        current, next, change)),
    logout);
  name.focus();
}
