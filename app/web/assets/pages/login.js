// Log in with e-mail or username; the tokens come back as HttpOnly cookies.

import {h, field} from '../dom.js';
import {request} from '../api.js';
import {error_box} from '../ui.js';

export function render(main, ctx) {
  const who = h('input', {name: 'login', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false'});
  const password = h('input', {name: 'password', type: 'password',
    autocomplete: 'current-password', required: true});
  const problem = error_box();
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Log in');
  const form = h('form', {class: 'card narrow', novalidate: false},
    field('E-mail or username', who), field('Password', password), problem,
    h('div', {class: 'actions'}, submit),
    h('p', {}, h('a', {href: '/forgot-password'}, 'Forgot your password?')),
    h('p', {}, 'New here? ', h('a', {href: '/signup'}, 'Create an account')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.show(null);
    submit.disabled = true;
    const login = who.value.trim();
    try {
      const body = {password: password.value, cookies: true};
      body[login.includes('@') ? 'email' : 'username'] = login;
      const answer = await request('POST', '/api/v1/user/login', {body, anonymous: true});
      await ctx.signed_in(answer.user);
    } catch (err) {
      if (err.status === 401) problem.show('Wrong e-mail, username or password.');
      else if (err.status === 403) problem.show('This account is disabled. Contact support.');
      else problem.show(err);
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  const notes = [];
  if (ctx.params.get('ended') === '1') {
    notes.push(h('p', {class: 'banner', role: 'status'}, 'Your session has ended: you were ' +
      'logged out on another device or by an administrator. Please log in again.'));
  }
  if (ctx.params.get('reset') === '1') {
    notes.push(h('p', {class: 'banner', role: 'status'},
      'Your password was changed. Log in with the new one.'));
  }
  main.append(h('h1', {}, 'Log in to kemas'), ...notes, form);
  who.focus();
}
