// The web app's entry: who is signed in, which page to show, the navigation, and noticing
// when the session ends elsewhere (logged out on another device, disabled by an admin).

import {h, clear} from './dom.js';
import {get, request, on_session_ended} from './api.js';
import {resolve, nav_entries, known_path} from './router.js';

// How often an open page asks whether its session is still alive. The api checks each
// request against the session store, so an ended session shows up at the next ask.
const session_check_ms = 10_000;

const state = {user: null, cleanup: null, rendering: 0};

async function load_user() {
  try {
    state.user = (await request('GET', '/api/v1/auth/me', {anonymous: true})).user;
  } catch {
    state.user = null;
  }
}

function render_nav(current) {
  const nav = clear(document.getElementById('nav'));
  if (!state.user) {
    nav.append(h('ul', {}, h('li', {}, link('/login', 'Log in', current)),
      h('li', {}, link('/signup', 'Sign up', current))));
    return;
  }
  const entries = nav_entries(state.user);
  const logout = h('button', {type: 'button', class: 'link-button'}, 'Log out');
  logout.addEventListener('click', async () => {
    try {
      await request('POST', '/api/v1/auth/logout');
    } catch {
      // already ended: go to the login page all the same
    }
    state.user = null;
    navigate('/login');
  });
  nav.append(h('ul', {},
    entries.filter((e) => !e.admin).map((e) => h('li', {}, link(e.path, e.label, current))),
    entries.some((e) => e.admin) ? h('li', {class: 'nav-admin'}, h('span', {class: 'nav-group'},
      'Admin:'), h('ul', {}, entries.filter((e) => e.admin).map((e) =>
      h('li', {}, link(e.path, e.label, current))))) : null,
    h('li', {class: 'nav-user'}, h('span', {class: 'who'}, state.user.username), logout)));
}

function link(path, label, current) {
  return h('a', {href: path, 'aria-current': path === current ? 'page' : undefined}, label);
}

export async function navigate(path, {replace = false} = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  await render();
}

async function render() {
  const ticket = ++state.rendering;
  state.cleanup?.();
  state.cleanup = null;
  const url = new URL(location.href);
  const [path, page] = resolve(url.pathname, state.user);
  if (path !== url.pathname) {
    // A guest sent to log in comes back to the page they asked for.
    const asked = known_path(url.pathname) && url.pathname !== '/' && url.pathname !== '/login';
    const query = path !== '/login' ? ''
      : asked ? `?next=${encodeURIComponent(url.pathname + url.search)}` : url.search;
    history.replaceState(null, '', path + query);
  }
  document.title = `${page.title} · kemas`;
  render_nav(path);
  const main = clear(document.getElementById('main'));
  const context = {
    user: state.user,
    navigate,
    params: new URLSearchParams(location.search),
    signed_in: async (user) => {
      state.user = user;
      const next = new URLSearchParams(location.search).get('next');
      await navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/files');
    },
    refresh_user: async () => {
      await load_user();
      render_nav(path);
    },
  };
  const cleanup = await page.module.render(main, context);
  if (ticket !== state.rendering) {
    cleanup?.();  // another navigation started meanwhile
    return;
  }
  state.cleanup = cleanup ?? null;
  main.querySelector('h1')?.setAttribute('tabindex', '-1');
  if (document.activeElement === document.body || !main.contains(document.activeElement)) {
    main.querySelector('h1')?.focus({preventScroll: true});
  }
}

function session_ended() {
  if (!state.user) return;
  state.user = null;
  navigate('/login?ended=1', {replace: true});
}

async function check_session() {
  if (!state.user || document.visibilityState !== 'visible') return;
  try {
    await get('/api/v1/auth/me');  // a 401 that no refresh cures fires session_ended
  } catch (err) {
    if (err.status === 401 || err.status === 403) session_ended();
  }
}

async function start() {
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a');
    if (!a || a.target || a.hasAttribute('download') || e.defaultPrevented || e.button !== 0 ||
        e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !known_path(url.pathname)) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', render);
  on_session_ended(session_ended);
  setInterval(check_session, session_check_ms);
  document.addEventListener('visibilitychange', check_session);
  await load_user();
  await render();
}

start();
