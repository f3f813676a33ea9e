// Share links: a public link to one file, with an end, an optional download limit, password
// and note (the link is shown once), and the list of links with their state and revoke.

import {h, clear, field, time_el, format_bytes} from '../dom.js';
import {get, request} from '../api.js';
import {notify, confirm_dialog, busy, table, error_box, secret_card} from '../ui.js';

const lifetimes = [
  [3600, '1 hour'], [86400, '1 day'], [7 * 86400, '7 days'], [30 * 86400, '30 days'],
];
const state_labels = {active: 'Active', expired: 'Expired', revoked: 'Revoked',
  used_up: 'Used up'};

export function render(main, context) {
  const file = h('select', {name: 'share-file', required: true});
  const lifetime = h('select', {name: 'share-lifetime'}, lifetimes.map(([seconds, label]) =>
    h('option', {value: String(seconds), selected: seconds === 7 * 86400}, label)));
  const max = h('input', {name: 'share-max', type: 'number', min: 1, max: 1000000,
    placeholder: 'no limit'});
  const password = h('input', {name: 'share-password', type: 'password', maxlength: 256,
    autocomplete: 'new-password'});
  const note = h('input', {name: 'share-note', maxlength: 500, autocomplete: 'off'});
  const problem = error_box();
  const create = h('button', {type: 'submit', class: 'primary'}, 'Create link');
  const link_slot = h('div', {class: 'secret-slot'});
  const form = h('form', {class: 'card'}, h('h2', {}, 'New link'),
    field('File', file), field('Works for', lifetime),
    field('Most downloads', max, 'Leave empty for no limit.'),
    field('Password (optional)', password, 'Whoever opens the link is asked for it.'),
    field('Note (optional)', note, 'For you: who the link is for.'),
    problem, h('div', {class: 'actions'}, create));
  const list = h('section', {'aria-labelledby': 'shares-heading'});
  main.append(h('h1', {}, 'Share links'), h('p', {}, 'Anyone with a link can download its ' +
    'file until it ends. Deleting the file, or revoking the link, stops it at once.'),
  form, link_slot, list);

  async function load_files() {
    try {
      const {files} = await get('/api/v1/auth/files/list', {limit: 1000, sort: 'name'});
      const wanted = context?.params?.get('file');
      const usable = files.filter((f) => f.state === 'active');
      clear(file).append(...(usable.length
        ? usable.map((f) => h('option', {value: f.id, selected: f.id === wanted},
          `${f.name} (${format_bytes(f.size)})`))
        : [h('option', {value: ''}, 'No files to share yet')]));
      create.disabled = !usable.length;
    } catch (err) {
      problem.show(err);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.show(null);
    const body = {file_id: file.value, expires_in: Number(lifetime.value)};
    if (max.value) body.max_downloads = Number(max.value);
    if (password.value) body.password = password.value;
    if (note.value.trim()) body.note = note.value.trim();
    create.disabled = true;
    try {
      const answer = await request('POST', '/api/v1/auth/shares', {body});
      show_link(answer.share);
      password.value = '';
      note.value = '';
      load();
    } catch (err) {
      problem.show(err);
    } finally {
      create.disabled = false;
    }
  });

  function show_link(share) {
    // The server's public address may differ from the one this page came from: the link
    // goes on this origin, where the page proved the api answers.
    const url = `${location.origin}/s/${share.url.split('/s/').pop()}`;
    secret_card(link_slot, {id: 'new-share-link', value: url,
      title: `A link to “${share.file_name}”`, label: 'The new link', what: 'link',
      dismiss_label: 'Done'});
  }


  async function load() {
    try {
      const {shares} = await get('/api/v1/auth/shares');
      clear(list).append(h('h2', {id: 'shares-heading'}, 'Your links'),
        table('Your share links', ['File', 'State', 'Downloads', 'Ends', 'Note', ''],
          shares.map((s) => [s.file_name,
            h('span', {class: `badge ${s.state}`}, state_labels[s.state] ?? s.state,
              s.password ? ' · password' : ''),
            s.max_downloads ? `${s.downloads} of ${s.max_downloads}` : String(s.downloads),
            time_el(s.expires_at), s.note, revoke_cell(s)]),
          {empty: 'No links yet.'}));
    } catch (err) {
      clear(list).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  function revoke_cell(share) {
    if (share.state !== 'active') return '';
    const revoke = h('button', {type: 'button', class: 'danger',
      'aria-label': `Revoke the link to ${share.file_name}`}, 'Revoke');
    revoke.addEventListener('click', async () => {
      const sure = await confirm_dialog({title: 'Revoke this link?', danger: true,
        message: `The link to “${share.file_name}” will stop working at once.`,
        confirm_label: 'Revoke'});
      if (!sure) return;
      await busy(revoke, async () => {
        await request('DELETE', `/api/v1/auth/shares/${encodeURIComponent(share.id)}`);
        notify(`Revoked the link to “${share.file_name}”.`);
        load();
      });
    });
    return revoke;
  }

  load_files();
  load();
}
