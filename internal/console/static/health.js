// The health section: GET /api/channels/{workflowId}/health for the selected
// channel's run, six graphs drawn by the server at the size of their cards, in
// the browser's time zone. While the run is up they are fetched again every
// 10 s, one request at a time; the new images replace the old ones only once
// they are decoded, so nothing flickers.

import { request, path } from './api.js';
import { $, el } from './dom.js';

const PERIODS = ['15m', '1h', '6h', '24h'];
const ACTIVE = new Set(['PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING']);
const EVERY_MS = 10000;
const PERIOD_STORAGE = 'onair.healthPeriod';
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** num shows a statistic with the digits that matter: 2012, 29.9, 0.98. */
function num(v) {
  const a = Math.abs(v);
  return v.toLocaleString(undefined, { maximumFractionDigits: a >= 100 ? 0 : a >= 10 ? 1 : 2, useGrouping: false });
}

/** savedPeriod is the period chosen earlier in this tab, or 15m. */
function savedPeriod() {
  try {
    const p = sessionStorage.getItem(PERIOD_STORAGE);
    return PERIODS.includes(p) ? p : '15m';
  } catch {
    return '15m';
  }
}

/** card is one graph with its alt text and statistics. */
function card(item, size) {
  const st = item.stats;
  const img = el('img', {
    src: item.image, width: size.width, height: size.height,
    alt: `${item.metric}, ${item.unit}, ${st ? `latest ${num(st.last)}` : 'no data'}`,
  });
  const unit = el('span', { class: 'health-unit' }, ` ${item.unit}`);
  const stats = st
    ? el('dl', { class: 'health-stats' }, [['Latest', st.last], ['Min', st.min], ['Avg', st.avg], ['Max', st.max]]
      .map(([k, v], i) => el('div', { dataset: { stat: k.toLowerCase() } }, el('dt', {}, k), el('dd', {}, num(v), i === 0 ? unit : null))))
    : el('span', { class: 'muted' }, `No data in this period (${item.unit})`);
  return el('figure', { class: 'health-card', dataset: { metric: item.metric } }, img, el('figcaption', {}, stats));
}

/** alertCount says how many alerts are open: "2 active alerts". */
function alertCount(n) {
  return n === 0 ? 'No active alerts' : `${n} active alert${n === 1 ? '' : 's'}`;
}

/** createHealth wires the section; update(info) shows a channel's, hide() none. */
export function createHealth() {
  const section = $('health');
  const graphs = $('health-graphs');
  const note = $('health-note');
  const error = $('health-error');
  const alerts = $('health-alerts');
  const name = $('health-name');
  const periods = $('health-period');
  let period = savedPeriod();
  let want = null; // {id, runId, active} of the channel shown
  let tried = ''; // the key of the last request
  let shown = ''; // the scope (channel, run, period) of the graphs shown
  let busy = false;
  let last = 0; // when the last request started
  let timer = 0;
  let resized = 0;

  periods.querySelector(`input[value="${period}"]`).checked = true;
  periods.addEventListener('change', (e) => {
    period = e.target.value;
    try {
      sessionStorage.setItem(PERIOD_STORAGE, period);
    } catch {
      // Storage is off: the choice lasts until the page reloads.
    }
    tick();
  });
  // A new card width asks for new images, once the resizing settles.
  new ResizeObserver(() => {
    clearTimeout(resized);
    resized = setTimeout(tick, 300);
  }).observe(graphs);

  /** size is the cards' width as laid out, clamped, and a height to match. */
  function size() {
    const column = parseFloat(getComputedStyle(graphs).gridTemplateColumns) || graphs.clientWidth;
    const width = Math.min(1000, Math.max(300, Math.floor(column) - 2)); // less the card's border
    return { width, height: Math.round(width * 0.6) };
  }

  /** scope names what the graphs show: the channel's run over the period. */
  function scope() {
    return want ? `${want.id}|${want.runId}|${period}` : '';
  }

  /** keyOf names a request: the scope, the width, and whether the run is up. */
  function keyOf(s) {
    return want ? `${scope()}|${s.width}|${want.active}` : '';
  }

  /** tick requests the graphs when they are due: new ones at once, a refresh 10 s after the last. */
  function tick() {
    clearTimeout(timer);
    if (!want || busy || document.hidden) return;
    const s = size();
    const key = keyOf(s);
    if (key === tried && !want.active) return;
    const wait = key === tried ? last + EVERY_MS - performance.now() : 0;
    if (wait > 0) timer = setTimeout(tick, wait);
    else load(key, s);
  }

  /** load fetches the graphs and swaps them in, or shows why it could not. */
  async function load(key, s) {
    busy = true;
    tried = key;
    last = performance.now();
    const sc = scope();
    graphs.setAttribute('aria-busy', 'true');
    // The server's six default graphs.
    const q = new URLSearchParams({ period, width: s.width, height: s.height, tz: ZONE });
    try {
      const answer = await request('GET', `${path`/api/channels/${want.id}/health`}?${q}`);
      const cards = answer.items.map((item) => card(item, s));
      // Decoded before they go in, so that the swap is instant; one that does
      // not decode says so instead of showing a broken image.
      await Promise.all(cards.map(async (c) => {
        const img = c.querySelector('img');
        await img.decode().catch(() => img.replaceWith(el('p', { class: 'muted health-missing' }, `${img.alt}: the graph could not be shown.`)));
      }));
      if (scope() !== sc) return;
      graphs.replaceChildren(...cards);
      shown = sc;
      error.hidden = true;
      note.textContent = `Times in ${answer.timeZone}, a point every ${answer.resolutionSeconds} s. Updated ${clock.format(new Date())}.`;
    } catch (err) {
      if (scope() !== sc) return;
      // A failed refresh leaves the graphs of the same period; others go.
      if (shown !== sc) graphs.replaceChildren();
      error.replaceChildren(el('strong', {}, 'The health graphs could not be loaded'), el('p', {}, err.message));
      error.hidden = false;
    } finally {
      busy = false;
      graphs.removeAttribute('aria-busy');
      tick();
    }
  }

  /** hide empties and hides the section. */
  function hide() {
    clearTimeout(timer);
    want = null;
    tried = '';
    shown = '';
    section.hidden = true;
    graphs.replaceChildren();
  }

  return {
    hide,
    /** update shows the health of info's run, if it has one. */
    update(info) {
      if (!info.runId) {
        hide();
        return;
      }
      if (want?.id !== info.id || want?.runId !== info.runId) {
        graphs.replaceChildren(el('p', { class: 'muted' }, 'Loading the graphs…'));
        note.textContent = `Times in ${ZONE}.`;
        error.hidden = true;
        shown = '';
      }
      want = { id: info.id, runId: info.runId, active: ACTIVE.has(info.status) };
      name.textContent = info.name || info.id;
      const n = (info.alerts || []).length;
      alerts.textContent = alertCount(n);
      alerts.dataset.count = String(n);
      section.hidden = false;
      tick();
    },
  };
}
