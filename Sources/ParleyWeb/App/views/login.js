// Login and registration. The `register` button is always present: in login mode it switches
// to registration (showing the display-name field), in registration mode it submits; `login`
// does the reverse. So "fill, click register, fill display name, click register" works, and so
// does "click register, fill everything, click register".
import { h, icon } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @param {HTMLElement} root
 * @param {import('../api.js').Api} api
 * @param {() => void} onDone logged in
 */
export function renderLogin(root, api, onDone) {
  /** @type {'login' | 'register'} */
  let mode = 'login';
  let busy = false;
  const username = h('input', { type: 'text', id: 'login-username', testid: 'username', autocomplete: 'username', required: true, attrs: { autocapitalize: 'none', spellcheck: 'false', maxlength: '64' } });
  const password = h('input', { type: 'password', id: 'login-password', testid: 'password', autocomplete: 'current-password', required: true });
  const displayName = h('input', { type: 'text', id: 'login-display-name', testid: 'display-name', autocomplete: 'nickname', attrs: { maxlength: '64' } });
  const nameRow = h('div', { class: 'field', hidden: true }, h('label', { attrs: { for: 'login-display-name' } }, t('login.displayName')), displayName);
  const error = h('p', { class: 'form-error', testid: 'login-error', attrs: { role: 'alert' }, hidden: true });
  const loginBtn = h('button', { type: 'submit', class: 'btn primary block', testid: 'login' });
  const registerBtn = h('button', { type: 'button', class: 'btn link block', testid: 'register' });
  const title = h('h1', null);
  const hint = h('p', { class: 'login-hint' });

  const form = h('form', { class: 'login-form', attrs: { novalidate: true } },
    h('div', { class: 'field' }, h('label', { attrs: { for: 'login-username' } }, t('login.username')), username),
    h('div', { class: 'field' }, h('label', { attrs: { for: 'login-password' } }, t('login.password')), password),
    nameRow, error, loginBtn, registerBtn);

  function layout() {
    const reg = mode === 'register';
    title.textContent = reg ? t('login.createTitle') : t('login.title');
    hint.textContent = reg ? t('login.createHint') : t('login.hint');
    nameRow.hidden = !reg;
    password.autocomplete = reg ? 'new-password' : 'current-password';
    // The primary (submit) button is the mode's own; the other switches modes.
    form.replaceChildren(form.children[0], form.children[1], nameRow, error, ...(reg ? [registerBtn, loginBtn] : [loginBtn, registerBtn]));
    loginBtn.type = reg ? 'button' : 'submit';
    registerBtn.type = reg ? 'submit' : 'button';
    loginBtn.className = 'btn block ' + (reg ? 'link' : 'primary');
    registerBtn.className = 'btn block ' + (reg ? 'primary' : 'link');
    loginBtn.textContent = reg ? t('login.haveAccount') : t('login.login');
    registerBtn.textContent = reg ? t('login.register') : t('login.noAccount');
    error.hidden = true;
  }

  /** @param {'login' | 'register'} kind */
  async function submit(kind) {
    if (busy) return;
    const u = username.value.trim();
    const p = password.value;
    if (!u || !p) { show(t('login.missing')); (u ? password : username).focus(); return; }
    // The server's rules (§1), checked first so obvious mistakes get a friendly message.
    if (kind === 'register' && !/^[A-Za-z0-9_.@+-]{2,64}$/.test(u)) { show(t('login.badUsername')); username.focus(); return; }
    if (kind === 'register' && [...p].length < 8) { show(t('login.shortPassword')); password.focus(); return; }
    busy = true;
    loginBtn.disabled = registerBtn.disabled = true;
    error.hidden = true;
    try {
      /** @type {{username: string, password: string, displayName?: string}} */
      const body = { username: u, password: p };
      if (kind === 'register' && displayName.value.trim()) body.displayName = displayName.value.trim();
      await api.authenticate(kind, body);
      onDone();
    } catch (e) {
      const err = /** @type {any} */ (e);
      if (err.code === 'unauthorized') show(t('login.wrong'));
      else if (err.code === 'conflict') show(t('login.taken'));
      else if (err.code === 'rate_limited') show(t('login.rateLimited'));
      else if (err.code === 'network') show(t('error.network'));
      else show(err.message || t('error.generic'));
    } finally {
      busy = false;
      loginBtn.disabled = registerBtn.disabled = false;
    }
  }

  /** @param {string} text */
  function show(text) { error.textContent = text; error.hidden = false; }

  form.addEventListener('submit', (e) => { e.preventDefault(); submit(mode); });
  loginBtn.addEventListener('click', (e) => {
    if (mode === 'register') { e.preventDefault(); mode = 'login'; layout(); username.focus(); }
  });
  registerBtn.addEventListener('click', (e) => {
    if (mode === 'login') { e.preventDefault(); mode = 'register'; layout(); displayName.focus(); }
  });

  layout();
  root.replaceChildren(h('div', { class: 'login-screen' },
    h('div', { class: 'login-card' },
      h('div', { class: 'login-logo' }, icon('send')),
      title, hint, form)));
  username.focus();
}
