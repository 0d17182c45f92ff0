// The notice area under the header: what an action did, and what went wrong.
// Errors stay until dismissed; successes fade after a few seconds. A notice with
// a key replaces the previous one with that key, so a failing auto-refresh shows
// one notice, not one per attempt.

import { el } from './dom.js';

const MAX = 4;
const SUCCESS_MS = 6000;

export function createNotices(root) {
  const byKey = new Map();

  function remove(node) {
    if (!node.isConnected) return;
    if (node.dataset.key) byKey.delete(node.dataset.key);
    // Keep focus in the page when the dismissed notice held it.
    const hadFocus = node.contains(document.activeElement);
    node.remove();
    if (hadFocus) document.getElementById('workflows-heading')?.focus();
  }

  /** show adds a notice; kind is "error", "success" or "info". */
  function show(kind, text, key = '') {
    if (key && byKey.has(key)) remove(byKey.get(key));
    const close = el('button', { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss' }, '×');
    const node = el('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status', dataset: { kind, key } },
      el('p', {}, text), close);
    close.addEventListener('click', () => remove(node));
    root.prepend(node);
    if (key) byKey.set(key, node);
    while (root.children.length > MAX) remove(root.lastElementChild);
    if (kind === 'success') setTimeout(() => remove(node), SUCCESS_MS);
    return node;
  }

  return {
    show,
    error: (text, key) => show('error', text, key),
    success: (text, key) => show('success', text, key),
    /** clear removes the notice with this key, if any. */
    clear(key) {
      if (byKey.has(key)) remove(byKey.get(key));
    },
  };
}
