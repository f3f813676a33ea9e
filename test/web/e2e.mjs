// End-to-end test of the kemas web app in Debian's chromium, driven by playwright-core,
// against the stack test/web/run_e2e.py started. Exit 0 when every check passed.
//
// Flow: sign up -> log out -> log in -> upload one file by the picker (progress seen moving,
// upload throttled) and one by a synthetic drop -> list -> download both and compare bytes ->
// rename -> delete; share a file (one download, then 410); upgrade and see the countdown
// tick; create an API key (it works), revoke it (it stops); an admin disables the user and the user's open page goes back to log in;
// forgot password -> the mail's link -> new password -> log in. Every page is checked with
// axe-core (no serious or critical violation) and photographed at desktop and phone width.
//
// env: KEMAS_E2E_URL, KEMAS_E2E_ADMIN_USER, KEMAS_E2E_ADMIN_PASSWORD, KEMAS_E2E_MAILDIR,
//      KEMAS_E2E_ARTIFACTS (screenshots go there), KEMAS_E2E_CHROMIUM (default
//      /usr/bin/chromium)

import {chromium} from 'playwright-core';
import {createHash, randomBytes} from 'node:crypto';
import {createRequire} from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const base = process.env.KEMAS_E2E_URL;
const artifacts = process.env.KEMAS_E2E_ARTIFACTS;
const maildir = process.env.KEMAS_E2E_MAILDIR;
const admin = {login: process.env.KEMAS_E2E_ADMIN_USER,
  password: process.env.KEMAS_E2E_ADMIN_PASSWORD};
const desktop = {width: 1280, height: 860};
const phone = {width: 390, height: 844};
const step_timeout = 20_000;

let checks = 0;
function check(condition, what) {
  checks += 1;
  if (!condition) throw new Error(`check failed: ${what}`);
  console.log(`ok   ${what}`);
}
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// axe-core on the page as it is; fails on serious or critical violations.
const axe_source = fs.readFileSync(require.resolve('axe-core'), 'utf8');
const audited = [];
async function audit(page, name) {
  await page.evaluate(axe_source);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {resultTypes: ['violations']});
    return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of result) {
    console.log(`     axe ${name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(', ')}`);
  }
  audited.push(name);
  check(bad.length === 0, `axe: no serious or critical violation on ${name}`);
}

// Screenshots at desktop and phone width (and the page checked by axe at both).
async function photograph(page, name) {
  await page.setViewportSize(desktop);
  await settle(page);
  await audit(page, `${name} (desktop)`);
  await page.screenshot({path: path.join(artifacts, `${name}-desktop.png`), fullPage: true});
  await page.setViewportSize(phone);
  await settle(page);
  await audit(page, `${name} (phone)`);
  await page.screenshot({path: path.join(artifacts, `${name}-phone.png`), fullPage: true});
  await page.setViewportSize(desktop);
}

async function settle(page) {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => !document.querySelector('.loading'));
}

async function open(page, route) {
  await page.goto(base + route);
  await settle(page);
}

async function login(page, who, password) {
  await open(page, '/login');
  await page.getByLabel('E-mail or username').fill(who);
  await page.getByLabel('Password', {exact: true}).fill(password);
  await page.getByRole('button', {name: 'Log in'}).click();
  await page.waitForURL(`${base}/files`);
}

// The reset link of the newest message to `email` in the mail sink's maildir. kemas sends
// multipart/alternative with base64 parts; each part is decoded before the link is looked for.
function read_reset_link(email) {
  const names = fs.readdirSync(maildir).sort().reverse();
  for (const name of names) {
    const text = fs.readFileSync(path.join(maildir, name), 'utf8');
    if (!text.includes(`To: ${email}`)) continue;
    const parts = text.split(/\r?\n--[^\r\n]+/).map((part) => {
      const [head, ...body] = part.split(/\r?\n\r?\n/);
      const joined = body.join('\n\n');
      return /Content-Transfer-Encoding: base64/i.test(head)
        ? Buffer.from(joined.replace(/\s+/g, ''), 'base64').toString('utf8') : joined;
    });
    for (const part of parts) {
      const m = part.match(/https?:\/\/[^\s"<>]+\/reset-password#token=[A-Za-z0-9_\-.~%]+/);
      if (m) return m[0];
    }
  }
  return null;
}

async function main() {
  fs.mkdirSync(artifacts, {recursive: true});
  const browser = await chromium.launch({
    executablePath: process.env.KEMAS_E2E_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const tag = randomBytes(4).toString('hex');
  const user = {email: `web${tag}@example.com`, username: `web${tag}`, password: 'first-pass-1'};
  try {
    // ---------------------------------------------------------------- the user
    const user_context = await browser.newContext({viewport: desktop, acceptDownloads: true});
    user_context.setDefaultTimeout(step_timeout);
    const page = await user_context.newPage();
    const page_errors = [];
    page.on('pageerror', (e) => page_errors.push(String(e)));
    // A refused request is logged by chromium as a console error; those are expected here.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        page_errors.push(m.text());
    });

    await open(page, '/signup');
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password', {exact: true}).fill(user.password);
    await page.getByLabel('Password again').fill(user.password);
    await page.getByRole('button', {name: 'Create account'}).click();
    await page.waitForURL(`${base}/files`);
    check(await page.getByRole('heading', {name: 'Files'}).isVisible(),
      'sign up lands on the files page, signed in');

    await page.getByRole('button', {name: 'Log out'}).click();
    await page.waitForURL(`${base}/login`);
    await open(page, '/files');
    check(page.url().startsWith(`${base}/login`), 'logged out: /files sends to log in');
    await login(page, user.username, user.password);
    check(true, 'log in by username lands on the files page');

    // Upload 1: the picker, throttled so the progress bar has time to move.
    const first = {name: 'first.bin', mimeType: 'application/octet-stream',
      buffer: randomBytes(6 * 1024 * 1024)};
    const cdp = await user_context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {offline: false, latency: 5,
      downloadThroughput: -1, uploadThroughput: 2 * 1024 * 1024});
    await page.evaluate(() => {
      window.kemas_seen_progress = new Set();
      window.kemas_progress_probe = setInterval(() => {
        for (const p of document.querySelectorAll('.upload progress'))
          window.kemas_seen_progress.add(p.value);
      }, 25);
    });
    await page.setInputFiles('#file-picker', first);
    await page.locator('.upload.done').first().waitFor({timeout: 60_000});
    const seen = await page.evaluate(() => {
      clearInterval(window.kemas_progress_probe);
      return [...window.kemas_seen_progress];
    });
    await cdp.send('Network.emulateNetworkConditions', {offline: false, latency: 0,
      downloadThroughput: -1, uploadThroughput: -1});
    const between = seen.filter((v) => v > 0 && v < 100);
    check(between.length >= 2, `the progress bar moved (${seen.length} values seen, ` +
      `${between.length} between 0 and 100)`);

    // Cancel: a slow upload stopped halfway leaves nothing behind.
    await cdp.send('Network.emulateNetworkConditions', {offline: false, latency: 5,
      downloadThroughput: -1, uploadThroughput: 256 * 1024});
    await page.setInputFiles('#file-picker', {name: 'cancelled.bin',
      mimeType: 'application/octet-stream', buffer: randomBytes(8 * 1024 * 1024)});
    const cancelling = page.locator('.upload', {hasText: 'cancelled.bin'});
    await page.waitForFunction(() => {
      const bar = [...document.querySelectorAll('.upload')].find((u) =>
        u.textContent.includes('cancelled.bin'))?.querySelector('progress');
      return bar && bar.value > 0;
    });
    await cancelling.getByRole('button', {name: 'Cancel cancelled.bin'}).click();
    await cancelling.getByText('Cancelled', {exact: true}).waitFor();
    await cdp.send('Network.emulateNetworkConditions', {offline: false, latency: 0,
      downloadThroughput: -1, uploadThroughput: -1});
    check(true, 'an upload is cancelled from its row');

    // An error in words, with the reference for support: the same name again.
    await page.setInputFiles('#file-picker', {name: 'first.bin', mimeType: 'text/plain',
      buffer: Buffer.from('again')});
    const refused = page.locator('.upload.failed', {hasText: 'first.bin'});
    await refused.waitFor();
    const words = await refused.textContent();
    check(words.includes('You already have a file with this name') &&
      /Reference for support: [0-9a-f-]{36}/.test(words),
    'a refused upload says why in words, with the request id');

    // Upload 2: a synthetic drop on the drop zone.
    const second = Buffer.from(`dropped file ${tag}\n`.repeat(200));
    await page.evaluate(({name, b64}) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name, {type: 'text/plain'}));
      const zone = document.getElementById('drop-zone');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true,
          dataTransfer: transfer}));
      }
    }, {name: 'second.txt', b64: second.toString('base64')});
    await page.locator('tr', {hasText: 'second.txt'}).waitFor();
    await page.locator('tr', {hasText: 'first.bin'}).waitFor();
    await page.getByText('2 files', {exact: true}).waitFor();
    check(await page.locator('tr', {hasText: 'cancelled.bin'}).count() === 0,
      'both uploads are listed (2 files), the cancelled one is not');

    for (const [name, bytes] of [['first.bin', first.buffer], ['second.txt', second]]) {
      const [download] = await Promise.all([page.waitForEvent('download'),
        page.getByRole('link', {name: `Download ${name}`}).click()]);
      const got = fs.readFileSync(await download.path());
      check(got.length === bytes.length && sha256(got) === sha256(bytes),
        `download of ${name} is byte-exact (${got.length} bytes)`);
    }

    await page.getByRole('button', {name: 'Rename second.txt'}).click();
    await page.getByLabel('New name for second.txt').fill('renamed.txt');
    await page.getByLabel('New name for second.txt').press('Enter');
    await page.locator('tr', {hasText: 'renamed.txt'}).waitFor();
    check(await page.locator('tr', {hasText: 'second.txt'}).count() === 0,
      'inline rename: the row shows the new name');

    await page.getByRole('button', {name: 'Delete renamed.txt'}).click();
    const dialog = page.getByRole('dialog', {name: 'Delete this file?'});
    await dialog.waitFor();
    await dialog.getByRole('button', {name: 'Delete'}).click();
    await page.locator('tr', {hasText: 'renamed.txt'}).waitFor({state: 'detached'});
    await page.getByText('1 file', {exact: true}).waitFor();
    check(true, 'delete after confirmation: the row is gone (1 file)');

    // The keyboard: Tab reaches the file picker; Enter opens a confirmation, Escape cancels it.
    await open(page, '/files');
    await page.locator('h1').focus();
    let reached = false;
    for (let i = 0; i < 15 && !reached; i += 1) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.id === 'file-picker');
    }
    check(reached, 'the file picker is reachable with Tab');
    await page.getByRole('button', {name: 'Delete first.bin'}).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({state: 'detached'});
    check(await page.locator('tr', {hasText: 'first.bin'}).count() === 1,
      'Escape cancels a confirmation and deletes nothing');

    // A share link from the file's row: one download, then the link is used up.
    await page.getByRole('link', {name: 'Share first.bin'}).click();
    await page.getByRole('heading', {name: 'Share links'}).waitFor();
    await settle(page);
    await page.getByLabel('Most downloads').fill('1');
    await page.getByLabel('Note (optional)').fill('e2e');
    await page.getByRole('button', {name: 'Create link'}).click();
    const share_url = await page.locator('#new-share-link').inputValue();
    const first_get = await fetch(share_url);
    const shared = Buffer.from(await first_get.arrayBuffer());
    const second_get = await fetch(share_url);
    check(/\/s\/[A-Za-z0-9_-]{43}$/.test(share_url) && first_get.status === 200 &&
      shared.length > 0 && second_get.status === 410,
      `a share link made in the page downloads once, then is used up (${first_get.status}, ` +
      `${second_get.status})`);
    await page.getByRole('button', {name: 'Done'}).click();
    await page.reload();
    await page.locator('tr', {hasText: 'first.bin'}).getByText('Used up').waitFor();
    check(true, 'the links page shows the link used up');
    await photograph(page, 'shares');
    await open(page, '/files');

    await photograph(page, 'files');
    await page.emulateMedia({colorScheme: 'dark', reducedMotion: 'reduce'});
    await audit(page, 'files (dark, reduced motion)');
    await page.screenshot({path: path.join(artifacts, 'files-dark-desktop.png'), fullPage: true});
    await page.emulateMedia({colorScheme: 'light', reducedMotion: 'no-preference'});

    // Upgrade and the countdown.
    await open(page, '/plan');
    await page.getByRole('button', {name: /^Upgrade to /}).first().click();
    await page.getByRole('dialog').getByRole('button', {name: 'Pay and upgrade'}).click();
    const countdown = page.locator('.countdown');
    await countdown.waitFor();
    const before = await countdown.textContent();
    await sleep(2100);
    const after = await countdown.textContent();
    check(before !== after && /\d+:\d\d:\d\d$/.test(after),
      `upgraded: the countdown ticks (${before} -> ${after})`);
    await page.locator('table', {hasText: 'paid'}).waitFor();
    check(true, 'the order shows in the billing history');
    await photograph(page, 'plan');

    // API keys: create (works), revoke (stops).
    await open(page, '/keys');
    await page.getByLabel('Name', {exact: true}).fill('e2e script');
    await page.getByLabel(/Write files/).check();
    await page.getByRole('button', {name: 'Create key'}).click();
    const secret = await page.locator('#new-key-secret').inputValue();
    check(/^kms_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/.test(secret), 'the new key is shown once');
    const with_key = () => fetch(`${base}/api/v1/auth/files/list`,
      {headers: {Authorization: `ApiKey ${secret}`}}).then((r) => r.status);
    check(await with_key() === 200, 'the new key lists files');
    await photograph(page, 'keys');
    await page.getByRole('button', {name: 'Revoke e2e script'}).click();
    await page.getByRole('dialog').getByRole('button', {name: 'Revoke'}).click();
    await page.locator('tr', {hasText: 'e2e script'}).getByText('Revoked').waitFor();
    check(await with_key() === 401, 'the revoked key is refused');

    await open(page, '/security');
    await page.getByText('This device', {exact: true}).waitFor();
    check(true, 'the security page lists this session');
    await photograph(page, 'security');

    // ---------------------------------------------------------------- the admin
    await open(page, '/files');  // the user's page stays open from here on
    const admin_context = await browser.newContext({viewport: desktop});
    admin_context.setDefaultTimeout(step_timeout);
    const admin_page = await admin_context.newPage();
    await login(admin_page, admin.login, admin.password);
    // A plan of 1 MiB, made in the plans page's dialog.
    await open(admin_page, '/admin/plans');
    await admin_page.getByRole('button', {name: 'New plan'}).click();
    const plan_dialog = admin_page.getByRole('dialog', {name: 'New plan'});
    await plan_dialog.getByLabel(/^Name/).fill(`tiny${tag}`);
    await plan_dialog.getByLabel('Display name').fill('Tiny');
    await plan_dialog.getByLabel('Quota (MiB)').fill('1');
    await plan_dialog.getByLabel('Largest file (MiB)').fill('1');
    await plan_dialog.getByRole('button', {name: 'Save'}).click();
    await admin_page.locator('tr', {hasText: `tiny${tag}`}).waitFor();
    check(true, 'an admin creates a plan in the plans page');
    await photograph(admin_page, 'admin-plans');
    for (const [route, name] of [['/admin/audit', 'admin-audit'], ['/admin/stats', 'admin-stats']]) {
      await open(admin_page, route);
      await photograph(admin_page, name);
    }
    check(await admin_page.locator('svg.chart').count() >= 3, 'the statistics draw their charts');
    await open(admin_page, '/admin/users');
    await admin_page.getByLabel('Search').fill(user.username);
    await admin_page.getByRole('button', {name: 'Search'}).click();
    await admin_page.locator('tr', {hasText: user.email}).waitFor();
    // The user goes onto it: their 6 MiB file is beyond the quota and gets locked.
    await admin_page.getByLabel(`Plan of ${user.username}`).selectOption(`tiny${tag}`);
    await admin_page.getByRole('dialog').getByRole('button', {name: 'Change plan'}).click();
    await admin_page.getByText('Plan changed').first().waitFor();
    await page.reload();
    await page.locator('tr.locked', {hasText: 'first.bin'}).locator('.badge.locked').waitFor();
    check(await page.locator('tr.locked button:disabled', {hasText: 'Download'}).count() === 1 &&
      (await page.locator('tr.locked').textContent()).includes('beyond its quota'),
    'the user sees the file locked, why, and no download');
    await photograph(page, 'files-locked');
    await photograph(admin_page, 'admin-users');
    await admin_page.getByRole('button', {name: `Send reset link to ${user.username}`}).click();
    await admin_page.getByRole('dialog').getByRole('button', {name: 'Send'}).click();
    await admin_page.getByText(`A reset link is on its way to ${user.email}`).waitFor();
    check(true, 'an admin sends a user a password reset');
    await admin_page.getByRole('button', {name: `Disable ${user.username}`}).click();
    await admin_page.getByRole('dialog').getByRole('button', {name: 'Disable'}).click();
    await admin_page.getByRole('button', {name: `Enable ${user.username}`}).waitFor();
    const disabled_at = Date.now();
    await page.waitForURL(/\/login\?ended=1$/, {timeout: 30_000});
    check(true, `the disabled user's open page went back to log in after ` +
      `${((Date.now() - disabled_at) / 1000).toFixed(1)} s`);
    await page.getByText('Your session has ended').waitFor();
    check(page_errors.length === 0, `no script errors on the user's page (${page_errors.join('; ')})`);

    // ---------------------------------------------------------------- a guest
    const guest_context = await browser.newContext({viewport: desktop});
    guest_context.setDefaultTimeout(step_timeout);
    const guest = await guest_context.newPage();
    for (const [route, name] of [['/login', 'login'], ['/signup', 'signup'],
      ['/forgot-password', 'forgot-password']]) {
      await open(guest, route);
      await photograph(guest, name);
    }
    // Forgot password, for the admin: the mailer sends the link to the mail sink.
    const admin_email = process.env.KEMAS_E2E_ADMIN_EMAIL;
    await guest.getByLabel('E-mail').fill(admin_email);
    await guest.getByRole('button', {name: 'Send the link'}).click();
    await guest.getByText('is on its way').waitFor();
    let link = null;
    for (let i = 0; i < 100 && !link; i += 1) {
      link = read_reset_link(admin_email);
      if (!link) await sleep(200);
    }
    check(link !== null, 'the reset mail arrived with a link to /reset-password');
    const local = base + link.slice(link.indexOf('/reset-password'));
    await guest.goto(local);
    await settle(guest);
    check(!guest.url().includes('token='), 'the token is dropped from the address bar');
    await photograph(guest, 'reset-password');
    await guest.getByLabel('New password', {exact: true}).fill('second-pass-2');
    await guest.getByLabel('New password again').fill('second-pass-2');
    await guest.getByRole('button', {name: 'Set the password'}).click();
    await guest.waitForURL(/\/login\?reset=1$/);
    await login(guest, admin.login, 'second-pass-2');
    check(true, 'reset by mail: the new password logs in');

    const status = await fetch(`${base}/assets/no-such.js`).then((r) => r.status);
    check(status === 404, 'an unknown asset is 404');
    console.log(`${checks} checks passed; axe ran on ${audited.length} page views; ` +
      `screenshots in ${artifacts}`);
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(`FAIL ${err.stack || err}`);
  process.exit(1);
});
