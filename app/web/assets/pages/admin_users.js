// Admin: find accounts (search, role, plan, disabled), change role and plan, disable and
// enable. Each change is one PATCH; the api emits its audit event with the admin as actor.

import {h, clear, field, format_bytes, time_el} from '../dom.js';
import {get, request} from '../api.js';
import {notify, notify_error, confirm_dialog, busy, pager, table_box} from '../ui.js';

const roles = ['user', 'developer', 'admin'];

export function render(main, ctx) {
  const paging = new pager();
  const q = h('input', {type: 'search', name: 'q', placeholder: 'e-mail or username',
    maxlength: 254});
  const role = h('select', {name: 'role'}, h('option', {value: ''}, 'any'),
    roles.map((r) => h('option', {value: r}, r)));
  const plan = h('select', {name: 'plan'}, h('option', {value: ''}, 'any'));
  const disabled = h('select', {name: 'disabled'}, h('option', {value: ''}, 'any'),
    h('option', {value: 'false'}, 'active'), h('option', {value: 'true'}, 'disabled'));
  const filters = h('form', {class: 'filters', role: 'search'}, field('Search', q),
    field('Role', role), field('Plan', plan), field('Status', disabled),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Search')));
  const results = h('div', {});
  main.append(h('h1', {}, 'Users'), filters, results);
  let plans = [];

  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    paging.reset();
    load();
  });

  async function load_plans() {
    try {
      plans = (await get('/api/v1/admin/plans')).plans;
      plan.append(...plans.map((p) => h('option', {value: p.name}, p.display_name)));
    } catch (err) {
      notify_error(err);
    }
  }

  async function load() {
    try {
      const page = await get('/api/v1/admin/users', {q: q.value.trim(), role: role.value,
        plan: plan.value, disabled: disabled.value, limit: 25, cursor: paging.current});
      clear(results);
      if (!page.users.length) {
        results.append(h('p', {class: 'empty'}, 'No account matches.'));
      } else {
        results.append(table_box('Accounts', h('table', {},
          h('caption', {class: 'visually-hidden'}, 'Accounts'),
          h('thead', {}, h('tr', {}, ['Account', 'Role', 'Plan', 'Stored', 'Joined', 'Status']
            .map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, page.users.map(user_row)))));
      }
      if (page.next_cursor || paging.page_number > 1)
        results.append(paging.controls(page.next_cursor, load));
    } catch (err) {
      clear(results).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  async function patch(user, body, what) {
    const answer = await request('PATCH', `/api/v1/admin/users/${encodeURIComponent(user.id)}`,
      {body});
    notify(answer.accepted ? `${what}: queued, it applies in a moment.` : `${what}: done.`);
    return answer.user;
  }

  function user_row(user) {
    const self = user.id === ctx.user.id;
    const name = `${user.username} <${user.email}>`;
    const role_select = h('select', {'aria-label': `Role of ${user.username}`, disabled: self},
      roles.map((r) => h('option', {value: r, selected: r === user.role}, r)));
    role_select.addEventListener('change', async () => {
      const sure = await confirm_dialog({title: `Make ${user.username} ${role_select.value}?`,
        message: 'A role change ends their sessions; they log in again with the new role.',
        confirm_label: 'Change role'});
      if (!sure) {
        role_select.value = user.role;
        return;
      }
      await busy(role_select, async () => {
        Object.assign(user, await patch(user, {role: role_select.value}, 'Role changed'));
      }).finally(() => { role_select.value = user.role; });
    });
    const plan_select = h('select', {'aria-label': `Plan of ${user.username}`},
      plans.map((p) => h('option', {value: p.name, selected: p.name === user.plan},
        p.display_name)));
    plan_select.addEventListener('change', async () => {
      const chosen = plans.find((p) => p.name === plan_select.value);
      const ends = chosen.duration_seconds
        ? new Date(Date.now() + chosen.duration_seconds * 1000).toISOString() : null;
      const sure = await confirm_dialog({title: `Put ${user.username} on ${chosen.display_name}?`,
        message: ends ? `It ends ${new Date(ends).toLocaleString()}, like a bought plan.`
          : 'It does not end.', confirm_label: 'Change plan'});
      if (!sure) {
        plan_select.value = user.plan;
        return;
      }
      await busy(plan_select, async () => {
        Object.assign(user, await patch(user, {plan: chosen.name, plan_expires_at: ends},
          'Plan changed'));
      });
    });
    const toggle = h('button', {type: 'button', class: user.disabled ? '' : 'danger',
      disabled: self, 'aria-label': `${user.disabled ? 'Enable' : 'Disable'} ${user.username}`},
    user.disabled ? 'Enable' : 'Disable');
    const status = h('span', {class: `badge ${user.disabled ? 'disabled' : 'active'}`},
      user.disabled ? 'Disabled' : 'Active');
    toggle.addEventListener('click', async () => {
      const disabling = !user.disabled;
      if (disabling) {
        const sure = await confirm_dialog({title: `Disable ${user.username}?`, danger: true,
          message: 'Their sessions end at once and their API keys stop working.',
          confirm_label: 'Disable'});
        if (!sure) return;
      }
      await busy(toggle, async () => {
        Object.assign(user, await patch(user, {disabled: disabling},
          disabling ? 'Disabled' : 'Enabled'));
        toggle.textContent = user.disabled ? 'Enable' : 'Disable';
        toggle.className = user.disabled ? '' : 'danger';
        toggle.setAttribute('aria-label', `${user.disabled ? 'Enable' : 'Disable'} ${user.username}`);
        status.textContent = user.disabled ? 'Disabled' : 'Active';
        status.className = `badge ${user.disabled ? 'disabled' : 'active'}`;
      });
    });
    const reset = h('button', {type: 'button'}, 'Send reset',
      h('span', {class: 'visually-hidden'}, ` link to ${user.username}`));
    reset.addEventListener('click', async () => {
      const sure = await confirm_dialog({title: `Send ${user.username} a password reset?`,
        message: `A link to choose a new password goes to ${user.email}. Their password ` +
          'stays as it is until they use it.', confirm_label: 'Send'});
      if (!sure) return;
      await busy(reset, async () => {
        await request('POST',
          `/api/v1/admin/users/${encodeURIComponent(user.id)}/password-reset`);
        notify(`A reset link is on its way to ${user.email}.`);
      });
    });
    return h('tr', {dataset: {userId: user.id}},
      h('th', {scope: 'row'}, h('span', {class: 'file-name'}, user.username),
        h('span', {class: 'sub'}, user.email)),
      h('td', {}, role_select), h('td', {}, plan_select),
      h('td', {}, `${format_bytes(user.used_bytes)} · ${user.file_count} files`),
      h('td', {}, time_el(user.created_at)), h('td', {class: 'actions'}, status, toggle, reset));
  }

  load_plans().then(load);
}
