// Ask for a password-reset e-mail. The answer is the same whether or not the account
// exists, so this page cannot be used to find out who has one.

import {h, field} from '../dom.js';
import {request} from '../api.js';
import {error_box} from '../ui.js';

export function render(main) {
  const email = h('input', {name: 'email', type: 'email', autocomplete: 'email', required: true});
  const problem = error_box();
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Send the link');
  const done = h('p', {class: 'banner', role: 'status', hidden: true});
  const form = h('form', {class: 'card narrow'}, field('E-mail', email), problem,
    h('div', {class: 'actions'}, submit), done,
    h('p', {}, h('a', {href: '/login'}, 'Back to log in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.show(null);
    submit.disabled = true;
    try {
      await request('POST', '/api/v1/user/password-reset', {anonymous: true,
        body: {email: email.value.trim()}});
      done.textContent = `If an account uses ${email.value.trim()}, a link to choose a new ` +
        'password is on its way. It works once, for 30 minutes.';
      done.hidden = false;
    } catch (err) {
      problem.show(err);
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('h1', {}, 'Forgot your password?'),
    h('p', {}, 'We will e-mail you a link to choose a new one.'), form);
  email.focus();
}
