// Building the page from data without HTML strings: every value goes in through
// textContent or an attribute, so nothing the API returns can become markup.

/**
 * el creates an element. props sets attributes ("class", "text" and "dataset"
 * are special); children are nodes or strings, which become text.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') || k === 'style') throw new Error(`el: ${k} is not allowed; use addEventListener and classes`);
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

/** $ finds the one element with this id, and fails loudly if the page lacks it. */
export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`console: no #${id} in the page`);
  return node;
}

/** safeURL returns url if it is http(s), so that a link never runs script. */
export function safeURL(url) {
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
  } catch {
    return '';
  }
}

/** The statuses of a workflow, in the order a healthy run passes through them. */
export const STATUSES = [
  'READY', 'PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING', 'DELETING', 'DONE', 'START_FAILED', 'STOP_FAILED',
];

/** badge shows a status as a coloured label; the word itself carries the meaning. */
export function badge(status) {
  return el('span', { class: 'badge', dataset: { status } }, status.replace('_', ' '));
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const monthDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const yearDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/**
 * time renders an ISO date as a <time> with the exact value in its title:
 * "long" (date and time to the second), or "stacked" (the day over the time of
 * day, for a narrow column).
 */
export function time(iso, form = 'long') {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return el('span', { class: 'muted' }, '—');
  const attrs = { datetime: iso, title: d.toISOString() };
  if (form === 'stacked') {
    const day = d.getFullYear() === new Date().getFullYear() ? monthDay.format(d) : yearDate.format(d);
    return el('time', { ...attrs, class: 'stacked' }, el('span', {}, day), el('span', {}, clock.format(d)));
  }
  return el('time', attrs, dateTime.format(d));
}

/** bytes formats a size for people: 1.5 GB. */
export function bytes(n) {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  const i = Math.min(units.length - 1, Math.floor(Math.log10(n) / 3));
  const v = n / 1000 ** i;
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** duration formats seconds as h:mm:ss. */
export function duration(s) {
  if (!Number.isFinite(s) || s <= 0) return '0:00';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** splitTags turns "news, sport" into ["news", "sport"]. */
export function splitTags(v) {
  return v.split(/[,\s]+/).map((t) => t.trim()).filter(Boolean);
}

/**
 * markFields highlights the form fields an APIError names, each with its
 * message under it, and returns the first one's control to focus. A field path
 * such as "tags[1]" or "blueprint.settings.channel" marks its top-level field.
 */
export function markFields(form, fields) {
  clearFields(form);
  let first = null;
  for (const { field, message } of fields) {
    const top = field.split(/[.[]/)[0];
    const box = form.querySelector(`[data-field="${CSS.escape(top)}"]`);
    if (!box) continue;
    box.classList.add('invalid');
    const control = box.matches('input, select, textarea') ? box : box.querySelector('input, select, textarea');
    const id = `${box.id || (control && control.id) || top}-error`;
    let note = document.getElementById(id);
    if (!note) {
      note = el('p', { class: 'field-error', id });
      box.append(note);
    }
    // Under the field its own name says nothing; a deeper path does.
    const said = field === top || message.startsWith(`${field}: `) ? message : `${field}: ${message}`;
    note.textContent = note.textContent ? `${note.textContent}; ${said}` : said;
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', id);
    }
    if (box.tagName === 'FIELDSET') box.setAttribute('aria-describedby', id);
    first = first || control;
  }
  return first;
}

/** clearFields removes what markFields added. */
export function clearFields(form) {
  for (const box of form.querySelectorAll('.invalid')) box.classList.remove('invalid');
  for (const note of form.querySelectorAll('.field-error')) note.remove();
  for (const c of form.querySelectorAll('[aria-invalid]')) {
    c.removeAttribute('aria-invalid');
    c.removeAttribute('aria-describedby');
  }
  for (const f of form.querySelectorAll('fieldset[aria-describedby]')) f.removeAttribute('aria-describedby');
}
