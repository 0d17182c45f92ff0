// The workflows table: the list filters of GET /api/workflows (tags, status,
// search), paging with its next cursor, and one row per workflow. Rows are kept
// by id and updated in place, so an auto-refresh never moves the keyboard focus.

import { request, APIError } from './api.js';
import { $, el, badge, time, STATUSES, splitTags, markFields, clearFields } from './dom.js';

const PAGE_SIZE = 25;
const TYPING_MS = 350;

/** Statuses whose channel is up or on its way: the row offers Stop, not Start. */
const ACTIVE = new Set(['PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING', 'DELETING']);

/**
 * createWorkflows wires the table. onSelect(id) is called when a workflow is
 * chosen, onAction(action, workflow) for a row button, and onChange() when the
 * filters or the page change and the list should load again.
 */
export function createWorkflows({ onSelect, onAction, onChange }) {
  const table = $('workflows-table');
  const rows = $('workflow-rows');
  const empty = $('workflows-empty');
  const filters = $('filters');
  const search = $('f-search');
  const tags = $('f-tags');
  const statusBox = $('f-status');
  const statusSummary = statusBox.querySelector('summary');
  const statusOptions = $('f-status-options');
  const prev = $('page-prev');
  const next = $('page-next');
  const pageLabel = $('page-label');

  const byID = new Map(); // id → {tr, cells, item, key}
  let cursors = ['']; // the cursor of each page visited; the last is the page shown
  let nextCursor = '';
  let selected = '';
  let typing = 0;

  for (const s of STATUSES) {
    const id = `f-status-${s.toLowerCase()}`;
    statusOptions.append(el('div', { class: 'check' },
      el('input', { type: 'checkbox', id, name: 'status', value: s }),
      el('label', { for: id }, badge(s))));
  }

  function statuses() {
    return [...statusOptions.querySelectorAll('input:checked')].map((c) => c.value);
  }

  function query() {
    const q = new URLSearchParams();
    if (search.value.trim()) q.set('search', search.value.trim());
    const t = splitTags(tags.value);
    if (t.length) q.set('tags', t.join(','));
    const s = statuses();
    if (s.length) q.set('status', s.join(','));
    q.set('limit', String(PAGE_SIZE));
    const cursor = cursors[cursors.length - 1];
    if (cursor) q.set('next', cursor);
    return q.toString();
  }

  function filtersChanged() {
    clearTimeout(typing);
    cursors = [''];
    const s = statuses();
    statusSummary.textContent = s.length === 0 ? 'Any status' : s.length <= 2 ? s.join(', ') : `${s.length} statuses`;
    onChange();
  }

  function typed() {
    clearTimeout(typing);
    typing = setTimeout(filtersChanged, TYPING_MS);
  }

  search.addEventListener('input', typed);
  tags.addEventListener('input', typed);
  statusOptions.addEventListener('change', filtersChanged);
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    filtersChanged();
  });
  $('f-clear').addEventListener('click', () => {
    filters.reset();
    clearFields(filters);
    filtersChanged();
  });
  // The status list is a disclosure: close it on Escape and on a click outside.
  statusBox.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && statusBox.open) {
      statusBox.open = false;
      statusSummary.focus();
    }
  });
  document.addEventListener('click', (e) => {
    if (statusBox.open && !statusBox.contains(e.target)) statusBox.open = false;
  });

  prev.addEventListener('click', () => {
    if (cursors.length > 1) cursors.pop();
    onChange();
  });
  next.addEventListener('click', () => {
    if (nextCursor) cursors.push(nextCursor);
    onChange();
  });

  rows.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-action]');
    const tr = e.target.closest('tr[data-id]');
    if (!button || !tr) return;
    const entry = byID.get(tr.dataset.id);
    if (!entry) return;
    if (button.dataset.action === 'select') onSelect(entry.item.id);
    else onAction(button.dataset.action, entry.item, button);
  });

  function newRow(id) {
    const cell = (label, cls) => el('td', { class: cls, dataset: { label } });
    const cells = {
      name: cell('Name', 'c-name'),
      status: cell('Status', 'c-status'),
      blueprint: cell('Blueprint', 'c-blueprint'),
      region: cell('Region', 'c-region'),
      tags: cell('Tags', 'c-tags'),
      created: cell('Created', 'c-created'),
      actions: cell('Actions', 'c-actions'),
    };
    cells.nameButton = el('button', { type: 'button', class: 'link wf-name', dataset: { action: 'select' } });
    cells.desc = el('span', { class: 'wf-desc' });
    cells.name.append(cells.nameButton, cells.desc);
    // The first button is Start or Stop, whichever the status calls for; the
    // channel panel offers both.
    cells.run = el('button', { type: 'button', class: 'small run', dataset: { action: 'start' } }, 'Start');
    cells.duplicate = el('button', { type: 'button', class: 'small', dataset: { action: 'duplicate' } }, 'Duplicate');
    cells.delete = el('button', { type: 'button', class: 'small danger-quiet', dataset: { action: 'delete' } }, 'Delete');
    cells.actions.append(el('div', { class: 'actions' }, cells.run, cells.duplicate, cells.delete));
    const tr = el('tr', { dataset: { id } }, cells.name, cells.status, cells.blueprint, cells.region, cells.tags, cells.created, cells.actions);
    return { tr, cells, key: '' };
  }

  function fill({ cells }, wf) {
    cells.nameButton.textContent = wf.name;
    cells.desc.textContent = wf.description || '';
    cells.desc.hidden = !wf.description;
    cells.status.replaceChildren(badge(wf.status));
    // Long ids break after their hyphens rather than widen the table.
    cells.blueprint.replaceChildren(...(wf.blueprintId || '—').split(/(?<=-)/).flatMap((part) => [part, el('wbr')]));
    cells.region.textContent = wf.region || '—';
    cells.tags.replaceChildren(el('span', { class: 'tags' }, (wf.tags || []).map((t) => el('span', { class: 'tag' }, t))));
    cells.created.replaceChildren(time(wf.created, 'stacked'));
    const run = ACTIVE.has(wf.status) ? 'stop' : 'start';
    cells.run.dataset.action = run;
    cells.run.textContent = run === 'stop' ? 'Stop' : 'Start';
    // A workflow runs once: after DONE or a failure, Duplicate is the way to run it again.
    cells.run.disabled = run === 'start' && wf.status !== 'READY';
    cells.run.title = cells.run.disabled ? 'A workflow runs once: duplicate it to run again.' : '';
    for (const b of [cells.run, cells.duplicate, cells.delete]) b.setAttribute('aria-label', `${b.textContent} ${wf.name}`);
  }

  function render(items) {
    const seen = new Set();
    items.forEach((wf, i) => {
      let entry = byID.get(wf.id);
      if (!entry) {
        entry = newRow(wf.id);
        byID.set(wf.id, entry);
      }
      const key = JSON.stringify(wf);
      if (entry.key !== key) {
        fill(entry, wf);
        entry.key = key;
      }
      entry.item = wf;
      seen.add(wf.id);
      const at = rows.children[i];
      if (at !== entry.tr) rows.insertBefore(entry.tr, at || null);
    });
    for (const [id, entry] of byID) {
      if (!seen.has(id)) {
        entry.tr.remove();
        byID.delete(id);
      }
    }
    markSelected();
    empty.hidden = items.length > 0;
    empty.textContent = items.length > 0 ? '' : emptyText();
  }

  function emptyText() {
    if (cursors.length > 1) return 'No more workflows on this page.';
    if (query().match(/(^|&)(search|tags|status)=/)) return 'No workflows match these filters.';
    return 'No workflows yet. Create one with New workflow.';
  }

  function markSelected() {
    for (const [id, { tr, cells }] of byID) {
      tr.classList.toggle('selected', id === selected);
      if (id === selected) cells.nameButton.setAttribute('aria-current', 'true');
      else cells.nameButton.removeAttribute('aria-current');
    }
  }

  return {
    /** load fetches the page shown and renders it; it throws an APIError. */
    async load() {
      const q = query();
      table.setAttribute('aria-busy', 'true');
      try {
        const page = await request('GET', `/api/workflows?${q}`);
        if (q !== query()) return; // the filters changed meanwhile; the next load shows them
        clearFields(filters);
        render(Array.isArray(page.items) ? page.items : []);
        nextCursor = page.next || '';
        prev.disabled = cursors.length <= 1;
        next.disabled = !nextCursor;
        pageLabel.textContent = `Page ${cursors.length}`;
      } catch (err) {
        if (err instanceof APIError && err.status === 400) markFields(filters, err.fields());
        throw err;
      } finally {
        table.removeAttribute('aria-busy');
      }
    },
    /** select marks the workflow shown in the channel panel. */
    select(id) {
      selected = id;
      markSelected();
    },
    /** get returns the workflow with this id from the page shown, if it is there. */
    get(id) {
      return byID.get(id)?.item;
    },
  };
}
