// Client-side pages on real paths. app/web/bundle.py reads `page_paths` below and kemas-api
// answers each of them with index.html, so a reload or a link from an e-mail opens its page.

import * as login from './pages/login.js';
import * as signup from './pages/signup.js';
import * as forgot from './pages/forgot_password.js';
import * as reset from './pages/reset_password.js';
import * as files from './pages/files.js';
import * as plan from './pages/plan.js';
import * as keys from './pages/keys.js';
import * as shares from './pages/shares.js';
import * as security from './pages/security.js';
import * as admin_users from './pages/admin_users.js';
import * as admin_plans from './pages/admin_plans.js';
import * as admin_audit from './pages/admin_audit.js';
import * as admin_stats from './pages/admin_stats.js';

const page_paths = [
  '/', '/login', '/signup', '/forgot-password', '/reset-password', '/files', '/shares', '/plan',
  '/keys', '/security', '/admin', '/admin/users', '/admin/plans', '/admin/audit', '/admin/stats',
];

// who: 'guest' pages send a signed-in person to their files; 'user' and 'admin' pages send
// a guest to log in (and come back after).
const pages = {
  '/login': {module: login, title: 'Log in', who: 'guest'},
  '/signup': {module: signup, title: 'Sign up', who: 'guest'},
  '/forgot-password': {module: forgot, title: 'Forgot password', who: 'any'},
  '/reset-password': {module: reset, title: 'Reset password', who: 'any'},
  '/files': {module: files, title: 'Files', who: 'user', nav: 'Files'},
  '/shares': {module: shares, title: 'Share links', who: 'user', nav: 'Links'},
  '/plan': {module: plan, title: 'Plan', who: 'user', nav: 'Plan'},
  '/keys': {module: keys, title: 'API keys', who: 'user', nav: 'API keys'},
  '/security': {module: security, title: 'Security', who: 'user', nav: 'Security'},
  '/admin/users': {module: admin_users, title: 'Users', who: 'admin', nav: 'Users'},
  '/admin/plans': {module: admin_plans, title: 'Plans', who: 'admin', nav: 'Plans'},
  '/admin/audit': {module: admin_audit, title: 'Audit trail', who: 'admin', nav: 'Audit'},
  '/admin/stats': {module: admin_stats, title: 'Usage statistics', who: 'admin', nav: 'Stats'},
};
const aliases = {'/': '/files', '/admin': '/admin/users'};

export function known_path(path) {
  return page_paths.includes(path);
}

// The page to show for a path and a signed-in user (or null): [path, page], following
// aliases and the who rules.
export function resolve(path, user) {
  let target = aliases[path] ?? path;
  if (!pages[target]) target = '/files';
  const page = pages[target];
  if (page.who === 'guest' && user) return resolve('/files', user);
  if ((page.who === 'user' || page.who === 'admin') && !user) return ['/login', pages['/login']];
  if (page.who === 'admin' && user.role !== 'admin') return resolve('/files', user);
  return [target, page];
}

export function nav_entries(user) {
  if (!user) return [];
  return Object.entries(pages)
    .filter(([, p]) => p.nav && (p.who === 'user' || user.role === 'admin'))
    .map(([path, p]) => ({path, label: p.nav, admin: p.who === 'admin'}));
}
