// The channel panel: GET /api/channels/{workflowId} for the selected workflow,
// with its status, the four request and actual times, the cause of a failure,
// its open alerts, ingest and playback URLs to copy, and the archives to
// download; its health graphs go in the health section (health.js).

import { request, path } from './api.js';
import { $, el, badge, time, bytes, duration, safeURL } from './dom.js';
import { createHealth } from './health.js';

const TIMES = [
  ['startRequestedDateTime', 'Start requested'],
  ['startedDateTime', 'Started'],
  ['stopRequestedDateTime', 'Stop requested'],
  ['stoppedDateTime', 'Stopped'],
];

const FAILED = { START_FAILED: 'Start failed', STOP_FAILED: 'Stop failed' };

/** The title of each type of alert, before "since" and its time. */
const ALERTS = {
  pipeline_failing: (a) => `Pipeline ${a.pipeline} keeps failing`,
  input_loss: (a) => `Pipeline ${a.pipeline}: input lost`,
  low_frame_rate: (a) => `Pipeline ${a.pipeline}: low input frame rate`,
  slow_encoder: (a) => `Pipeline ${a.pipeline}: encoder too slow`,
  destination_retrying: (a) => `Pipeline ${a.pipeline}: destination ${a.destination} keeps retrying`,
};

/** alert shows one open alert: what, since when, and why. Alerts stored without a type keep failing. */
function alert(a) {
  const type = a.type || 'pipeline_failing';
  const title = ALERTS[type]?.(a) ?? `Pipeline ${a.pipeline}: ${type.replaceAll('_', ' ')}`;
  return el('div', { class: 'cause failed', role: 'alert', dataset: { alertPipeline: String(a.pipeline), alertType: type } },
    el('strong', {}, title, ' since ', time(a.since)), el('p', {}, a.cause));
}

/** createChannel wires the panel; onAction(action, workflow) runs Start and Stop. */
export function createChannel({ notices, onAction }) {
  const body = $('channel-body');
  const heading = $('channel-heading');
  const health = createHealth();
  let id = '';
  let shownKey = '';
  let current = null;

  body.addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-action]');
    if (!button || !current) return;
    if (button.dataset.action === 'copy') copy(button);
    else onAction(button.dataset.action, { id: current.id, name: current.name }, button);
  });

  async function copy(button) {
    const input = button.parentElement.querySelector('input');
    let done = false;
    try {
      await navigator.clipboard.writeText(input.value);
      done = true;
    } catch {
      // Plain-HTTP pages have no clipboard API: select the text and ask the browser.
      input.focus();
      input.select();
      done = document.execCommand?.('copy') === true;
    }
    if (!done) {
      notices.show('info', 'Copying is blocked here: the URL is selected, press Ctrl+C (⌘C) to copy it.', 'copy');
      return;
    }
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  }

  function copyable(label, value, key) {
    const inputID = `copy-${key}`;
    return el('div', { class: 'copyable' },
      el('label', { for: inputID }, label),
      el('div', { class: 'copy-row' },
        el('input', { id: inputID, type: 'text', readonly: true, value, spellcheck: 'false', dataset: { focusKey: `${key}-input` } }),
        el('button', { type: 'button', class: 'small', dataset: { action: 'copy', focusKey: `${key}-copy` }, 'aria-label': `Copy ${label}` }, 'Copy')));
  }

  function render(info) {
    const failed = FAILED[info.status];
    const out = [];
    out.push(el('div', { class: 'channel-title' },
      el('h3', {}, info.name || info.id),
      el('span', { id: 'channel-status' }, badge(info.status))));
    out.push(el('p', { class: 'channel-meta' },
      el('span', {}, 'Region ', el('strong', {}, info.region || '—')),
      info.runId ? el('span', {}, 'Run ', el('code', {}, info.runId)) : el('span', { class: 'muted' }, 'Never started')));
    out.push(el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'small', dataset: { action: 'start', focusKey: 'start' } }, 'Start'),
      el('button', { type: 'button', class: 'small', dataset: { action: 'stop', focusKey: 'stop' } }, 'Stop')));

    if (failed) {
      out.push(el('div', { class: 'cause failed', id: 'channel-cause', role: 'alert' },
        el('strong', {}, failed), el('p', {}, info.cause || 'No cause was recorded.')));
    } else if (info.cause) {
      out.push(el('div', { class: 'cause', id: 'channel-cause' }, el('strong', {}, 'Cause'), el('p', {}, info.cause)));
    }
    // What is wrong with the run's media now: since when, and why.
    (info.alerts || []).forEach((a) => out.push(alert(a)));

    out.push(el('dl', { class: 'times' }, TIMES.map(([field, label]) =>
      el('div', { dataset: { time: field } }, el('dt', {}, label), el('dd', {}, info[field] ? time(info[field]) : '—')))));

    out.push(el('h4', {}, 'Ingest'));
    const inputs = (info.endpoints?.input || []).flatMap((inp) => inp.endpoints || []);
    if (inputs.length === 0) {
      out.push(el('p', { class: 'muted' }, info.status === 'READY'
        ? 'Start the channel to get its RTMP ingest URLs.'
        : 'No ingest URLs while the channel is not up.'));
    }
    inputs.forEach((url, i) => {
      const label = inputs.length > 1 ? (i === 0 ? 'Main RTMP URL' : `Backup RTMP URL ${i > 1 ? i : ''}`.trim()) : 'RTMP URL';
      out.push(copyable(label, url, `ingest-${i}`));
    });

    out.push(el('h4', {}, 'Playback'));
    const outputs = info.endpoints?.output || [];
    if (outputs.length === 0) out.push(el('p', { class: 'muted' }, 'The HLS URL appears while the channel is up.'));
    outputs.forEach((o, i) => {
      out.push(copyable(`${o.type || 'HLS'} URL`, o.url, `output-${i}`));
      const href = safeURL(o.url);
      if (href) out.push(el('p', { class: 'open-link' }, el('a', { href, target: '_blank', rel: 'noopener' }, 'Open the playlist')));
    });

    out.push(el('h4', {}, 'Archives'));
    const archives = info.archives || [];
    if (archives.length === 0) {
      out.push(el('p', { class: 'muted' }, 'No archives yet.'));
    } else {
      out.push(el('table', { class: 'archives' },
        el('caption', { class: 'visually-hidden' }, 'Archives of this run'),
        el('thead', {}, el('tr', {}, ['Size', 'Duration', 'Files'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, archives.map((a) => {
          const mp4 = safeURL(a.downloadUrl || '');
          const m3u8 = safeURL(a.playlistUrl || '');
          return el('tr', {},
            el('td', {}, bytes(a.fileSize)),
            el('td', {}, duration(a.duration)),
            el('td', { class: 'files' },
              mp4 ? el('a', { href: mp4, download: '' }, 'Download MP4') : el('span', { class: 'muted' }, 'no MP4'),
              m3u8 ? el('a', { href: m3u8 }, 'HLS playlist') : null));
        }))));
    }

    // Keep the focus on the same control across a refresh.
    const focusKey = body.contains(document.activeElement) ? document.activeElement.dataset.focusKey : '';
    body.replaceChildren(...out);
    if (focusKey) body.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  function message(text) {
    current = null;
    shownKey = '';
    health.hide();
    body.replaceChildren(el('p', { class: 'empty' }, text));
  }

  return {
    /** show switches the panel to a workflow ('' for none); focus moves to it when asked. */
    show(workflowID, focus = false) {
      if (workflowID === id) return;
      id = workflowID;
      if (!id) message('Select a workflow to see its channel: status, times, ingest and playback URLs, archives.');
      else message('Loading…');
      if (focus) heading.focus();
    },
    /** load fetches the selected workflow's channel; it throws an APIError. */
    async load() {
      if (!id) return;
      const want = id;
      let info;
      try {
        info = await request('GET', path`/api/channels/${want}`);
      } catch (err) {
        if (want === id && err.status === 404) {
          message(`Workflow ${want} no longer exists.`);
          return;
        }
        throw err;
      }
      if (want !== id) return;
      current = info;
      health.update(info);
      const key = JSON.stringify(info);
      if (key === shownKey) return;
      shownKey = key;
      render(info);
    },
  };
}
