// Choose a new password with the token from the reset e-mail. The token travels in the
// link's fragment (#token=...), which browsers never send to a server or put in a Referer;
// it is dropped from the address bar at once.

import {h, field} from '../dom.js';
import {request} from '../api.js';
import {error_box} from '../ui.js';

export function render(main, ctx) {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  if (location.hash) history.replaceState(null, '', location.pathname);
  main.append(h('h1', {}, 'Choose a new password'));
  if (!token) {
    main.append(h('p', {class: 'card narrow'}, 'This page needs the link from your e-mail. ',
      h('a', {href: '/forgot-password'}, 'Ask for a new link'), '.'));
    return;
  }
  const password = h('input', {name: 'password', type: 'password', autocomplete: 'new-password',
    required: true, minlength: 8, maxlength: 1024});
  const again = h('input', {name: 'password-again', type: 'password',
    autocomplete: 'new-password', required: true});
  const problem = error_box();
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Set the password');
  const form = h('form', {class: 'card narrow'},
    field('New password', password, 'At least 8 characters. Every session ends.'),
    field('New password again', again), problem, h('div', {class: 'actions'}, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.show(null);
    if (password.value !== again.value) {
      problem.show('The two passwords differ.');
      return;
    }
    submit.disabled = true;
    try {
      await request('POST', '/api/v1/user/password-reset/confirm', {anonymous: true,
        body: {token, password: password.value}});
      await ctx.navigate('/login?reset=1');
    } catch (err) {
      problem.show(err.field === 'token'
        ? 'This link has expired or was already used. Ask for a new one on the ' +
          '"Forgot password" page.' : err);
    } finally {
      submit.disabled = false;
    }
  });
  main.append(form);
  password.focus();
}
