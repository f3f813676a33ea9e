// Create an account (Free plan), then log straight in.

import {h, field} from '../dom.js';
import {request} from '../api.js';
import {error_box} from '../ui.js';

export function render(main, ctx) {
  const email = h('input', {name: 'email', type: 'email', autocomplete: 'email', required: true,
    maxlength: 254});
  const username = h('input', {name: 'username', autocomplete: 'username', required: true,
    pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{2,31}', autocapitalize: 'none', spellcheck: 'false'});
  const password = h('input', {name: 'password', type: 'password', autocomplete: 'new-password',
    required: true, minlength: 8, maxlength: 1024});
  const again = h('input', {name: 'password-again', type: 'password',
    autocomplete: 'new-password', required: true});
  const problem = error_box();
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Create account');
  const form = h('form', {class: 'card narrow'},
    field('E-mail', email),
    field('Username', username, '3–32 letters, digits, dots, dashes or underscores.'),
    field('Password', password, 'At least 8 characters.'),
    field('Password again', again), problem, h('div', {class: 'actions'}, submit),
    h('p', {}, 'Have an account? ', h('a', {href: '/login'}, 'Log in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.show(null);
    if (password.value !== again.value) {
      problem.show('The two passwords differ.');
      again.focus();
      return;
    }
    submit.disabled = true;
    try {
      await request('POST', '/api/v1/user/register', {anonymous: true,
        body: {email: email.value.trim(), username: username.value.trim(),
          password: password.value}});
      const answer = await request('POST', '/api/v1/user/login', {anonymous: true,
        body: {username: username.value.trim(), password: password.value, cookies: true}});
      await ctx.signed_in(answer.user);
    } catch (err) {
      if (err.code === 'conflict' && err.field) {
        problem.show(`That ${err.field === 'email' ? 'e-mail' : 'username'} is taken.`);
      } else {
        problem.show(err);
      }
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('h1', {}, 'Create your kemas account'), form);
  email.focus();
}
