// The security page: live sessions (end one, or all), the password, recent activity.

import {h, clear, field, time_el} from '../dom.js';
import {get, request} from '../api.js';
import {notify, confirm_dialog, busy, table, error_box, pager} from '../ui.js';

// What each audit action means to the person whose account it is.
const activity_words = {
  'auth.login': 'Logged in',
  'auth.login_failed': 'Failed login',
  'auth.lockout': 'Locked out after failed logins',
  'auth.logout': 'Logged out',
  'auth.password_changed': 'Password changed',
  'auth.password_reset_requested': 'Password reset asked for',
  'auth.password_reset': 'Password reset by e-mail',
  'user.registered': 'Account created',
  'user.role_changed': 'Role changed by an administrator',
  'user.disabled': 'Account disabled',
  'user.enabled': 'Account enabled',
  'apikey.created': 'API key created',
  'apikey.revoked': 'API key revoked',
};

export function render(main, ctx) {
  const sessions = h('section', {'aria-labelledby': 'sessions-heading'});
  const password = h('section', {class: 'card', 'aria-labelledby': 'password-heading'});
  const activity = h('section', {'aria-labelledby': 'activity-heading'});
  main.append(h('h1', {}, 'Security'), sessions, password, activity);
  const activity_pager = new pager();

  async function load_sessions() {
    try {
      const list = (await get('/api/v1/auth/sessions')).sessions;
      const all = h('button', {type: 'button', class: 'danger'}, 'Log out everywhere');
      all.addEventListener('click', async () => {
        const sure = await confirm_dialog({title: 'Log out everywhere?', danger: true,
          message: 'Every session ends, this one too.', confirm_label: 'Log out everywhere'});
        if (!sure) return;
        await busy(all, async () => {
          await request('POST', '/api/v1/auth/logout-all');
          await ctx.refresh_user();
          ctx.navigate('/login');
        });
      });
      clear(sessions).append(h('h2', {id: 'sessions-heading'}, 'Where you are logged in'),
        table('Your sessions', ['Device', 'Address', 'Since', 'Last seen', ''],
          list.map((s) => [h('span', {}, s.device || 'Unknown device',
            s.current ? h('span', {class: 'badge current'}, 'This device') : null),
          s.ip ?? '—', time_el(s.created_at), time_el(s.last_seen_at), end_button(s)])),
        h('div', {class: 'actions'}, all));
    } catch (err) {
      clear(sessions).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  function end_button(session) {
    const end = h('button', {type: 'button'}, 'End this one', h('span',
      {class: 'visually-hidden'}, session.current ? ' (this device: logs you out here)'
        : ` (${session.device || 'unknown device'})`));
    end.addEventListener('click', async () => {
      await busy(end, async () => {
        await request('DELETE', `/api/v1/auth/sessions/${encodeURIComponent(session.id)}`);
        if (session.current) {
          await ctx.refresh_user();
          ctx.navigate('/login');
          return;
        }
        notify('Session ended.');
        load_sessions();
      });
    });
    return end;
  }

  function show_password_form() {
    const current = h('input', {type: 'password', autocomplete: 'current-password',
      required: true, name: 'current-password'});
    const next = h('input', {type: 'password', autocomplete: 'new-password', required: true,
      minlength: 8, maxlength: 1024, name: 'new-password'});
    const problem = error_box();
    const submit = h('button', {type: 'submit', class: 'primary'}, 'Change password');
    const form = h('form', {}, field('Current password', current),
      field('New password', next, 'At least 8 characters. Your other sessions end.'), problem,
      h('div', {class: 'actions'}, submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      problem.show(null);
      submit.disabled = true;
      try {
        await request('POST', '/api/v1/auth/password',
          {body: {current_password: current.value, new_password: next.value}});
        form.reset();
        notify('Password changed. Your other sessions have ended.');
        load_sessions();
      } catch (err) {
        problem.show(err.field === 'current_password' ? 'The current password is wrong.' : err);
      } finally {
        submit.disabled = false;
      }
    });
    clear(password).append(h('h2', {id: 'password-heading'}, 'Password'), form);
  }

  async function load_activity() {
    try {
      const page = await get('/api/v1/auth/activity', {limit: 20,
        cursor: activity_pager.current});
      clear(activity).append(h('h2', {id: 'activity-heading'}, 'Recent activity'),
        table('Recent security activity', ['What', 'When', 'From'],
          page.entries.map((e) => [activity_words[e.action] ?? e.action,
            time_el(e.occurred_at), e.actor_ip ?? '—']), {empty: 'No activity yet.'}));
      if (page.next_cursor || activity_pager.page_number > 1)
        activity.append(activity_pager.controls(page.next_cursor, load_activity));
    } catch (err) {
      clear(activity).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  load_sessions();
  show_password_form();
  load_activity();
}
