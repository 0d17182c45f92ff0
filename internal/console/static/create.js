// The "New workflow" dialog: pick a blueprint, name the workflow, and POST the
// guide's body with the whole blueprint as GET /api/blueprints/{id} returns it.
// A refusal shows the API's message and marks each field it names.

import { request, path } from './api.js';
import { $, el, splitTags, markFields, clearFields } from './dom.js';

/** createCreateForm wires the dialog; onCreated(id, name) follows a success. */
export function createCreateForm({ notices, onCreated }) {
  const dialog = $('create-dialog');
  const form = $('create-form');
  const error = $('create-error');
  const choices = $('c-blueprints');
  const name = $('c-name');
  const description = $('c-description');
  const tags = $('c-tags');
  const region = $('c-region');
  const archives = $('c-archives');
  const submit = $('create-submit');
  let busy = false;

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  async function loadChoices() {
    const picked = form.querySelector('input[name="blueprint"]:checked')?.value;
    const [list, regions] = await Promise.all([request('GET', '/api/blueprints'), request('GET', '/api/regions')]);
    const items = Array.isArray(list.items) ? list.items : [];
    choices.replaceChildren(...items.map((bp, i) => {
      const id = `c-bp-${i}`;
      return el('label', { class: 'choice', for: id },
        el('input', { type: 'radio', name: 'blueprint', id, value: bp.id, 'aria-describedby': `${id}-desc` }),
        el('span', { class: 'choice-text' },
          el('span', { class: 'choice-name' }, bp.name || bp.id, el('code', { class: 'choice-id' }, bp.id)),
          el('span', { class: 'choice-desc', id: `${id}-desc` }, bp.description || '')));
    }));
    if (items.length === 0) choices.append(el('p', { class: 'muted' }, 'No blueprints: POST one to /api/blueprints first.'));
    const radios = [...choices.querySelectorAll('input')];
    const keep = radios.find((r) => r.value === picked);
    const featured = radios.find((r, i) => items[i].featured);
    const first = keep || featured || radios[0];
    if (first) first.checked = true;

    const chosen = region.value;
    region.replaceChildren(...(regions.items || []).map((r) =>
      el('option', { value: r.id, selected: r.default && !chosen }, r.default ? `${r.name} (default)` : r.name)));
    if (chosen) region.value = chosen;
  }

  async function open() {
    showError('');
    clearFields(form);
    submit.disabled = true;
    dialog.showModal();
    try {
      await loadChoices();
      submit.disabled = false;
    } catch (err) {
      showError(`Cannot load the blueprints: ${err.message}`);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    showError('');
    clearFields(form);
    const picked = form.querySelector('input[name="blueprint"]:checked');
    if (!picked) {
      showError('Pick a blueprint.');
      return;
    }
    busy = true;
    submit.disabled = true;
    submit.textContent = 'Creating…';
    const body = {
      name: name.value.trim(),
      description: description.value.trim(),
      tags: splitTags(tags.value),
      createArchives: archives.checked,
    };
    if (region.value) body.region = region.value;
    try {
      body.blueprint = await request('GET', path`/api/blueprints/${picked.value}`);
      const res = await request('POST', '/api/workflows', body);
      dialog.close();
      form.reset();
      notices.success(`Created workflow “${body.name}”.`);
      onCreated(res.id, body.name);
    } catch (err) {
      showError(err.message);
      const first = markFields(form, typeof err.fields === 'function' ? err.fields() : []);
      if (first) first.focus();
    } finally {
      busy = false;
      submit.disabled = false;
      submit.textContent = 'Create workflow';
    }
  });

  $('create-cancel').addEventListener('click', () => dialog.close());

  return { open };
}
