// All UI strings, in English and Chinese. The language follows navigator.language unless the
// user picked one in settings (stored). `t(key, {name})` fills `{name}` placeholders.
import { STRINGS } from './strings.js';

/** @typedef {'en' | 'zh'} Lang */

const KEY = 'parley.lang';

/** @returns {'auto' | Lang} */
export function langSetting() {
  const v = localStorage.getItem(KEY);
  return v === 'en' || v === 'zh' ? v : 'auto';
}

/** @returns {Lang} */
function detect() {
  const s = langSetting();
  if (s !== 'auto') return s;
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  return langs.some((l, i) => i === 0 && l.toLowerCase().startsWith('zh')) ? 'zh' : 'en';
}

/** @type {Lang} */
let current = detect();

export function lang() { return current; }

/** @param {'auto' | Lang} value */
export function setLang(value) {
  if (value === 'auto') localStorage.removeItem(KEY); else localStorage.setItem(KEY, value);
  current = detect();
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}

/**
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function t(key, params) {
  const table = /** @type {Record<string, string>} */ (STRINGS[current]);
  const en = /** @type {Record<string, string>} */ (STRINGS.en);
  let s = table[key] ?? en[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (_, k) => (k in params ? String(params[k]) : '{' + k + '}'));
  return s;
}

/** @param {number} ts */
export function formatTime(ts) {
  return new Date(ts).toLocaleTimeString(current === 'zh' ? 'zh-CN' : 'en', { hour: '2-digit', minute: '2-digit' });
}

/** @param {number} ts */
function startOfDay(ts) { const d = new Date(ts); d.setHours(0, 0, 0, 0); return d.getTime(); }

/**
 * A day separator label: Today, Yesterday, or the date.
 * @param {number} ts
 */
export function formatDay(ts) {
  const today = startOfDay(Date.now());
  const day = startOfDay(ts);
  if (day === today) return t('day.today');
  if (day === today - 86_400_000) return t('day.yesterday');
  const sameYear = new Date(ts).getFullYear() === new Date().getFullYear();
  return new Date(ts).toLocaleDateString(current === 'zh' ? 'zh-CN' : 'en', { weekday: sameYear ? 'long' : undefined, month: 'long', day: 'numeric', year: sameYear ? undefined : 'numeric' });
}

/**
 * The list's time column: time today, weekday this week, else the date.
 * @param {number} ts
 */
export function formatShort(ts) {
  if (!ts) return '';
  const now = Date.now();
  if (startOfDay(ts) === startOfDay(now)) return formatTime(ts);
  if (now - ts < 6 * 86_400_000) return new Date(ts).toLocaleDateString(current === 'zh' ? 'zh-CN' : 'en', { weekday: 'short' });
  return new Date(ts).toLocaleDateString(current === 'zh' ? 'zh-CN' : 'en', { month: 'short', day: 'numeric' });
}

/** @param {number | null} ts */
export function formatLastSeen(ts) {
  if (!ts) return t('presence.offline');
  const mins = Math.round((Date.now() - ts) / 60_000);
  if (mins < 1) return t('presence.justNow');
  if (mins < 60) return t('presence.minutesAgo', { n: mins });
  if (mins < 24 * 60) return t('presence.hoursAgo', { n: Math.round(mins / 60) });
  return t('presence.lastSeenOn', { date: formatShort(ts) });
}
