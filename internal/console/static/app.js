// The console's entry point: it wires the panels together and runs the
// auto-refresh, one request chain at a time, paused while the tab is hidden.

import { apiKey, setAPIKey } from './api.js';
import { $ } from './dom.js';
import { createNotices } from './notices.js';
import { createWorkflows } from './workflows.js';
import { createChannel } from './channel.js';
import { createCreateForm } from './create.js';
import { createActions } from './actions.js';

const REFRESH_MS = 4000;
const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

// A blocked resource or an unhandled failure is a bug in the console: say so
// where developers and the browser tests look.
window.addEventListener('securitypolicyviolation', (e) => {
  console.error(`Content-Security-Policy blocked ${e.blockedURI || 'inline code'} (${e.violatedDirective})`);
});
window.addEventListener('unhandledrejection', (e) => {
  console.error('console: unhandled failure', e.reason);
});

function selectedFromHash() {
  const m = /^#workflow=(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : '';
}

function main() {
  const notices = createNotices($('notices'));
  const refreshState = $('refresh-state');
  let selected = '';

  // The refresh loop: refresh() during a refresh asks for one more pass, so that
  // at most one chain of requests is in flight however often it is called.
  let timer = 0;
  let running = false;
  let again = false;

  function schedule() {
    clearTimeout(timer);
    if (!document.hidden) timer = setTimeout(refresh, REFRESH_MS);
  }

  async function refresh() {
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = true;
    try {
      do {
        again = false;
        try {
          await workflows.load();
          await channel.load();
          notices.clear('refresh');
          keyInput.removeAttribute('aria-invalid');
          refreshState.textContent = `Updated ${timeOfDay.format(new Date())}`;
        } catch (err) {
          if (err.status === 401) {
            // No or bad credentials: ask for a key where it is entered.
            notices.error('This server needs credentials: enter an API key above and save it.', 'refresh');
            refreshState.textContent = 'Signed out';
            keyInput.setAttribute('aria-invalid', 'true');
          } else {
            notices.error(`Refreshing failed: ${err.message}`, 'refresh');
            refreshState.textContent = 'Refresh failed';
          }
        }
      } while (again);
    } finally {
      running = false;
      schedule();
    }
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) clearTimeout(timer);
    else refresh();
  });

  function select(id, focus = false) {
    if (id !== selected) {
      selected = id;
      const url = id ? `#workflow=${encodeURIComponent(id)}` : `${location.pathname}${location.search}`;
      history.replaceState(null, '', url);
    }
    workflows.select(id);
    channel.show(id, focus);
    refresh();
  }

  const act = createActions({
    notices,
    after(action, wf) {
      if (action === 'delete' && wf.id === selected) select('');
      else refresh();
    },
  });
  const workflows = createWorkflows({
    onSelect: (id) => select(id, true),
    onAction: act,
    onChange: refresh,
  });
  const channel = createChannel({ notices, onAction: act });
  const create = createCreateForm({ notices, onCreated: (id) => select(id) });
  $('new-workflow').addEventListener('click', () => create.open());

  const keyInput = $('apikey');
  keyInput.value = apiKey();
  $('apikey-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = keyInput.value.trim();
    if (!setAPIKey(key)) notices.error('This browser does not allow saving the API key (storage is off).', 'apikey');
    else notices.success(key ? 'API key saved in this browser.' : 'API key removed.', 'apikey');
    refresh();
  });

  window.addEventListener('hashchange', () => select(selectedFromHash()));
  select(selectedFromHash());
}

main();
