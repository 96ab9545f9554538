// Tiny DOM helpers. Everything user-provided goes through textContent, never innerHTML:
// message text, names and file names are untrusted.

/**
 * @typedef {{[key: string]: any}} Props
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * Creates an element. Props: `class`, `testid` (data-testid), `dataset`, `on` (event map),
 * `attrs` (plain attributes), anything else is assigned as a property (e.g. `type`, `value`).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = String(value);
      else if (key === 'testid') el.setAttribute('data-testid', String(value));
      else if (key === 'dataset') for (const [k, v] of Object.entries(value)) { if (v !== undefined && v !== null) el.dataset[k] = String(v); }
      else if (key === 'on') for (const [k, v] of Object.entries(value)) el.addEventListener(k, /** @type {EventListener} */ (v));
      else if (key === 'attrs') for (const [k, v] of Object.entries(value)) { if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v)); }
      else /** @type {any} */ (el)[key] = value;
    }
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** @param {Node} el */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/**
 * Replaces the children of `el`.
 * @param {Node} el
 * @param {...(Child | Child[])} children
 */
export function replace(el, ...children) {
  clear(el);
  append(el, children);
}

/**
 * An inline SVG icon from the sprite-free path set below (no external requests, CSP-safe).
 * @param {keyof typeof ICONS} name
 * @returns {SVGSVGElement}
 */
export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  for (const d of ICONS[name].split('|')) {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
  }
  return svg;
}

const ICONS = {
  send: 'M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z',
  attach: 'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z',
  plus: 'M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z',
  search: 'M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z',
  bell: 'M12 3a6 6 0 0 1 6 6v4l2 3v1H4v-1l2-3V9a6 6 0 0 1 6-6zm-2 16h4a2 2 0 0 1-4 0z',
  settings: 'M12 8.5a3.5 3.5 0 1 1 0 7 3.5 3.5 0 0 1 0-7zm8.4 4.6-.1-2.2 2-1.6-2-3.5-2.4.9a8 8 0 0 0-1.9-1.1L15.6 3h-4l-.4 2.6a8 8 0 0 0-1.9 1.1l-2.4-.9-2 3.5 2 1.6a8 8 0 0 0 0 2.2l-2 1.6 2 3.5 2.4-.9a8 8 0 0 0 1.9 1.1l.4 2.6h4l.4-2.6a8 8 0 0 0 1.9-1.1l2.4.9 2-3.5z',
  back: 'M15.4 5.4 14 4l-8 8 8 8 1.4-1.4L8.8 12z',
  info: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm-1 8v7h2v-7zm0-3v2h2V7z',
  group: 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zm7 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2 19c0-3 3-5 7-5s7 2 7 5v1H2zm15.5-4.8c2.6.4 4.5 2 4.5 4.3V20h-4v-1c0-1.9-.2-3.4-.5-4.8z',
  people: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-8 8c0-3.3 3.6-6 8-6s8 2.7 8 6v1H4z',
  close: 'M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z',
  reply: 'M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z',
  more: 'M12 8a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm0 6a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm0 6a2 2 0 1 1 0-4 2 2 0 0 1 0 4z',
  smile: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm0 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16zM8.5 9a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm7 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zM7 14h10a5 5 0 0 1-10 0z',
  pin: 'M16 3v2l-1 1v5l3 3v2h-5v5l-1 1-1-1v-5H6v-2l3-3V6L8 5V3z',
  mute: 'M3.3 2 2 3.3l5 5V9l-2 3v1h10.7l5 5 1.3-1.3zM18 9a6 6 0 0 0-9.8-4.6L18 14.2zM10 18h4a2 2 0 0 1-4 0z',
  file: 'M6 2h8l6 6v14H6zm7 1.5V9h5.5zM8 13h8v1.5H8zm0 3h8v1.5H8z',
  check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
  checks: 'M1.5 12.6 3 11.2l4.3 4.3-1.4 1.4zM7.3 15.5 17.6 5.2 19 6.6 7.3 18.3 5.9 16.9zm4.1 0L21.7 5.2 23 6.6 11.4 18.3 10 16.9z',
  clock: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm0 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16zm-1 3h2v5.4l3.6 2.1-1 1.7L11 13.5z',
  alert: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm-1 5v7h2V7zm0 9v2h2v-2z',
  contacts: 'M4 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H4zm7 5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5zm-4.5 9h9c0-2-2-3.5-4.5-3.5S6.5 15 6.5 17zM21 6h2v3h-2zm0 5h2v3h-2z',
};

/**
 * Makes `target` look like `source` (attributes and children) while keeping the `target` node
 * itself, so references to it (focus, tests, observers) stay valid across re-renders.
 * @param {Element} target
 * @param {Element} source
 */
export function morph(target, source) {
  for (const { name } of [...target.attributes]) if (!source.hasAttribute(name)) target.removeAttribute(name);
  for (const { name, value } of [...source.attributes]) if (target.getAttribute(name) !== value) target.setAttribute(name, value);
  target.replaceChildren(...source.childNodes);
}
