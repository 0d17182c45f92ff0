// What the row and panel buttons do: start and stop channels, duplicate and
// delete workflows. Every outcome lands in the notice area: the API's message
// for a refusal (a 409 while a workflow is locked), and each entry of the
// "failed" array of POST and DELETE /api/channels.

import { request, path } from './api.js';
import { $ } from './dom.js';

/**
 * createActions returns run(action, workflow, button). after(action, workflow,
 * result) is told of each success, so the page can refresh and reselect.
 */
export function createActions({ notices, after }) {
  const dialog = $('confirm-dialog');
  const text = $('confirm-text');
  let answer = null;

  $('confirm-ok').addEventListener('click', () => dialog.close('ok'));
  $('confirm-cancel').addEventListener('click', () => dialog.close('cancel'));
  dialog.addEventListener('close', () => {
    if (answer) answer(dialog.returnValue === 'ok');
    answer = null;
  });

  /** confirm asks a yes/no question in a modal dialog, Cancel focused. */
  function confirm(question) {
    text.textContent = question;
    dialog.returnValue = '';
    return new Promise((resolve) => {
      answer = resolve;
      dialog.showModal();
      $('confirm-cancel').focus();
    });
  }

  async function channels(method, wf, verb) {
    const res = await request(method, '/api/channels', { workflows: [wf.id] });
    const failed = Array.isArray(res?.failed) ? res.failed : [];
    for (const f of failed) notices.error(`Could not ${verb} “${wf.name}”: ${f.message}`);
    if (failed.length === 0) notices.success(`${verb === 'start' ? 'Start' : 'Stop'} requested for “${wf.name}”.`);
    return res;
  }

  const run = {
    start: (wf) => channels('POST', wf, 'start'),
    stop: (wf) => channels('DELETE', wf, 'stop'),
    async duplicate(wf) {
      const res = await request('POST', path`/api/workflows/${wf.id}/duplicate`);
      notices.success(`Duplicated “${wf.name}”: the copy is READY.`);
      return res;
    },
    async delete(wf) {
      if (!(await confirm(`Delete workflow “${wf.name}”? This cannot be undone.`))) return null;
      await request('DELETE', path`/api/workflows/${wf.id}`);
      notices.success(`Deleted “${wf.name}”.`);
      return {};
    },
  };

  return async function act(action, wf, button) {
    // aria-disabled rather than disabled: a disabled button would drop the
    // keyboard focus, and the user would have to find their place again.
    if (!run[action] || button?.getAttribute('aria-disabled') === 'true') return;
    button?.setAttribute('aria-disabled', 'true');
    try {
      const result = await run[action](wf);
      if (result) after(action, wf, result);
    } catch (err) {
      notices.error(`Could not ${action} “${wf.name}”: ${err.message}`);
    } finally {
      button?.removeAttribute('aria-disabled');
    }
  };
}
