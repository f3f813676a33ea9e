// API keys for developers: create with scopes (the secret is shown once), list, revoke.

import {h, clear, field, time_el} from '../dom.js';
import {get, request} from '../api.js';
import {notify, confirm_dialog, busy, table, error_box, secret_card} from '../ui.js';

const scopes = [
  ['files:read', 'Read files (list, download)'],
  ['files:write', 'Write files (upload, rename, delete)'],
];

export function render(main) {
  const name = h('input', {name: 'key-name', required: true, maxlength: 100,
    autocomplete: 'off'});
  const days = h('input', {name: 'key-days', type: 'number', min: 1, max: 365, value: '90',
    required: true});
  const boxes = scopes.map(([scope, label]) => {
    const box = h('input', {type: 'checkbox', name: 'scope', value: scope, id: `scope-${scope.replace(':', '-')}`,
      checked: scope === 'files:read'});
    return h('div', {class: 'check'}, box, h('label', {for: box.id}, `${label} — ${scope}`));
  });
  const problem = error_box();
  const create = h('button', {type: 'submit', class: 'primary'}, 'Create key');
  const secret_slot = h('div', {class: 'secret-slot'});
  const form = h('form', {class: 'card'}, h('h2', {}, 'New key'), field('Name', name,
    'Where you will use it, e.g. "backup script".'),
  h('fieldset', {}, h('legend', {}, 'Allowed to'), boxes),
  field('Valid for (days)', days), problem, h('div', {class: 'actions'}, create));
  const list = h('section', {'aria-labelledby': 'keys-heading'});
  main.append(h('h1', {}, 'API keys'), h('p', {}, 'Programs use a key as ',
    h('code', {}, 'Authorization: ApiKey <key>'), '. A key can only do what its scopes allow.'),
  form, secret_slot, list);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.show(null);
    const chosen = boxes.map((b) => b.querySelector('input')).filter((b) => b.checked)
      .map((b) => b.value);
    if (!chosen.length) {
      problem.show('Choose at least one thing the key may do.');
      return;
    }
    create.disabled = true;
    try {
      const answer = await request('POST', '/api/v1/auth/keys', {body: {name: name.value.trim(),
        scopes: chosen, expires_in_days: Number(days.value)}});
      show_secret(answer.key, answer.api_key.name);
      name.value = '';
      load();
    } catch (err) {
      problem.show(err);
    } finally {
      create.disabled = false;
    }
  });

  function show_secret(key, key_name) {
    secret_card(secret_slot, {id: 'new-key-secret', value: key, title: `Your new key “${key_name}”`,
      label: 'The new key', what: 'key', dismiss_label: 'I have saved it'});
  }

  async function load() {
    try {
      const {api_keys} = await get('/api/v1/auth/keys');
      clear(list).append(h('h2', {id: 'keys-heading'}, 'Your keys'),
        table('Your API keys', ['Name', 'Key starts', 'Scopes', 'Created', 'Last used', 'Expires',
          ''], api_keys.map((k) => [k.name, h('code', {}, `kms_${k.prefix}_…`), k.scopes.join(', '),
          time_el(k.created_at), k.last_used_at ? time_el(k.last_used_at) : 'never',
          time_el(k.expires_at), revoke_cell(k)]), {empty: 'No keys yet.'}));
    } catch (err) {
      clear(list).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  function revoke_cell(key) {
    if (key.revoked_at) return h('span', {class: 'badge'}, 'Revoked');
    const revoke = h('button', {type: 'button', class: 'danger',
      'aria-label': `Revoke ${key.name}`}, 'Revoke');
    revoke.addEventListener('click', async () => {
      const sure = await confirm_dialog({title: 'Revoke this key?', danger: true,
        message: `Programs using “${key.name}” will be refused from their next request.`,
        confirm_label: 'Revoke'});
      if (!sure) return;
      await busy(revoke, async () => {
        await request('DELETE', `/api/v1/auth/keys/${encodeURIComponent(key.id)}`);
        notify(`Revoked “${key.name}”.`);
        load();
      });
    });
    return revoke;
  }

  load();
}
