// Admin Workspace in a real browser: headless Debian Chromium driven by playwright-core.
// Started by run.sh, which provides a fresh `licsat serve` (LICSAT_URL) whose admin password is
// LICSAT_ADMIN_PASSWORD. Every case works through the UI; the test only speaks to the API
// directly to do what a manager would (request tokens with the credentials the UI showed).
// Works on Node 18 (Debian 12) and later.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, request } from 'playwright-core';

const BASE = process.env.LICSAT_URL;
const ADMIN_PW = process.env.LICSAT_ADMIN_PASSWORD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.ARTIFACTS || new URL('./artifacts', import.meta.url).pathname;
const PROFILES = process.env.BROWSER_PROFILE_DIR || mkdtempSync(join(tmpdir(), 'licsat-chromium-'));
if (!BASE || !ADMIN_PW) throw new Error('run through tests/browser/run.sh (LICSAT_URL and LICSAT_ADMIN_PASSWORD are needed)');
mkdirSync(ARTIFACTS, { recursive: true });
mkdirSync(PROFILES, { recursive: true });

const GRANT_NOT_FOUND = 'Grant not found. Ensure that the given grant details are correct.';
const PAGES = ['toolkit', 'access', 'events', 'licenses', 'sync'];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];

let profileSeq = 0;
// A browser with a fresh profile (--user-data-dir), as playwright requires it for a user data dir.
async function launch(options = {}) {
  profileSeq += 1;
  const dir = join(PROFILES, `profile-${profileSeq}`);
  rmSync(dir, { recursive: true, force: true });
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    chromiumSandbox: false,
    ignoreHTTPSErrors: true, // the server's self-signed certificate
    viewport: { width: 1280, height: 800 },
    baseURL: BASE,
    ...options,
  });
}

let ctx; // the main browser (one context)
let page;
let http; // a plain HTTP client, as a manager would be
const problems = []; // CSP violations, page errors, failed assets
const tokens = []; // token responses the page received (to check logout revokes them)
const shared = {};

function watch(p) {
  p.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('response', async (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/oauth/token' && r.status() === 200) {
      try { tokens.push(await r.json()); } catch { /* the body may be gone */ }
    }
    if (r.request().resourceType() !== 'fetch' && r.status() >= 400) problems.push(`asset ${u.pathname}: HTTP ${r.status()}`);
  });
}

async function tokenRequest(form) {
  const r = await http.post('/oauth/token', { form });
  let body = {};
  try { body = await r.json(); } catch { /* not JSON */ }
  return { status: r.status(), body };
}

async function shot(name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// WCAG 2.1 contrast (1.4.3) of every visible text on the page: the text colour against the
// effective background (the element's and its ancestors' background colours composited over
// white), 4.5:1 at least, 3:1 for large text (24 px, or 18.66 px bold). SVG text uses its fill.
// Disabled controls are exempt (WCAG), visually hidden text (clipped to 1 px) is skipped.
// Returns the failures.
async function contrastFailures(p = page) {
  return p.evaluate(() => {
    const parse = (c) => {
      const m = /^rgba?\(([^)]+)\)$/.exec(c || '');
      if (!m) return null;
      const v = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1 };
    };
    const over = (top, below) => ({
      r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a), b: top.b * top.a + below.b * (1 - top.a), a: 1,
    });
    const lum = (c) => {
      const f = (x) => { const s = x / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
    };
    const hidden = (el) => {
      for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.visibility === 'hidden' || cs.display === 'none' || Number(cs.opacity) === 0) return true;
        const r = e.getBoundingClientRect();
        if ((cs.clip !== 'auto' || cs.clipPath !== 'none' || cs.overflow === 'hidden') && r.width <= 1 && r.height <= 1) return true;
      }
      return false;
    };
    const background = (el) => {
      const layers = [];
      let unknown = false;
      for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.backgroundImage && cs.backgroundImage !== 'none') unknown = true;
        const c = parse(cs.backgroundColor);
        if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
      }
      let bg = { r: 255, g: 255, b: 255, a: 1 };
      for (let i = layers.length - 1; i >= 0; i -= 1) bg = over(layers[i], bg);
      return { bg, unknown };
    };
    const seen = new Set();
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const els = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.textContent.trim() && n.parentElement && !seen.has(n.parentElement)) { seen.add(n.parentElement); els.push(n.parentElement); }
    }
    for (const el of document.querySelectorAll('input:not([type="hidden"]):not([type="checkbox"]):not([type="radio"]):not([type="file"]), select, textarea')) els.push(el);
    for (const el of els) {
      if (['SCRIPT', 'STYLE', 'TITLE', 'OPTION', 'NOSCRIPT'].includes(el.tagName.toUpperCase())) continue;
      if (el.closest('svg title, svg desc')) continue;
      if (!el.getClientRects().length || hidden(el)) continue;
      if (el.closest(':disabled, [aria-disabled="true"]')) continue;
      const cs = getComputedStyle(el);
      const inSvg = el instanceof SVGElement;
      const fg0 = parse(inSvg ? cs.fill : cs.color);
      if (!fg0) continue;
      const { bg, unknown } = background(inSvg ? el.ownerSVGElement.parentElement : el);
      if (unknown) continue;
      const fg = fg0.a < 1 ? over(fg0, bg) : fg0;
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      const need = large ? 3 : 4.5;
      if (ratio < need) {
        const text = (el.value || el.textContent || '').trim().slice(0, 40);
        out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} "${text}": ${ratio.toFixed(2)}:1 < ${need}:1 (${inSvg ? cs.fill : cs.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
      }
    }
    return out;
  });
}

// Every form control (inputs, selects, text areas, also those in closed <details>, which are
// opened for the check) has an accessible name: a <label>, aria-label or aria-labelledby; every
// button has text or aria-label. Returns the ones without.
async function unlabelledControls(p = page) {
  return p.evaluate(() => {
    const closed = [...document.querySelectorAll('#main details:not([open])')];
    for (const d of closed) d.open = true;
    const named = (el) => (el.labels && [...el.labels].some((l) => l.textContent.trim()))
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => id && document.getElementById(id)?.textContent.trim());
    const out = [];
    for (const el of document.querySelectorAll('input:not([type="hidden"]), select, textarea')) {
      if (el.getClientRects().length && !named(el)) out.push(el.id || el.name || el.outerHTML.slice(0, 60));
    }
    for (const el of document.querySelectorAll('button')) {
      if (el.getClientRects().length && !el.textContent.trim() && !named(el)) out.push(el.id || el.outerHTML.slice(0, 60));
    }
    for (const d of closed) d.open = false;
    return out;
  });
}

async function go(route) {
  await page.evaluate((r) => { location.hash = `#/${r}`; }, route);
  await page.locator(`.page[data-page="${route}"]`).waitFor();
  await page.locator(`.page[data-page="${route}"] h1`).waitFor();
  // Each page shows a table, a notice or a panel once its data arrived.
  await page.waitForFunction(() => !document.querySelector('#main [role="status"].muted'), null, { timeout: 10000 });
}

async function createGrant(kind, name, description, expires) {
  await go('toolkit');
  await page.click(kind === 'resource_owner' ? '#create-resource-owner' : '#create-client-credentials');
  const d = page.locator('#grant-dialog');
  await d.waitFor();
  await page.fill('#grant-name', name);
  await page.fill('#grant-description', description);
  if (expires) await page.fill('#grant-expires', expires);
  await page.click('#grant-save');
  const panel = page.locator(`#secret-panel[data-grant="${name}"]`);
  await panel.waitFor();
  const clientId = await page.inputValue('#new-client-id');
  const secret = await page.inputValue('#new-client-secret');
  return { clientId, secret };
}

async function closeDialog(label = 'Done') {
  await page.locator('dialog[open]').getByRole('button', { name: label, exact: true }).click();
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
}

before(async () => {
  http = await request.newContext({ baseURL: BASE, ignoreHTTPSErrors: true });
  ctx = await launch();
  page = ctx.pages()[0] || (await ctx.newPage());
  watch(page);
});

after(async () => {
  await ctx?.close();
  await http?.dispose();
});

test('the workspace is served with its CSP and holds no inline script or style', async () => {
  const r = await http.get('/');
  assert.equal(r.status(), 200);
  const csp = r.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /style-src 'self'/);
  const html = await r.text();
  assert.doesNotMatch(html, /style\s*=/i, 'no style attributes');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
  for (const asset of ['/app.css', '/js/app.js', '/js/api.js', '/js/ui.js', '/js/chart.js', ...PAGES.map((p) => `/js/pages/${p}.js`)]) {
    const a = await http.get(asset);
    assert.equal(a.status(), 200, `${asset} is served`);
  }
});

test('log in: a wrong password is refused with the server’s message', async () => {
  await page.goto('/');
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', 'not-the-password');
  await page.click('#login-submit');
  const msg = page.locator('#login-message');
  await assert.doesNotReject(msg.filter({ hasText: /incorrect|invalid/i }).waitFor());
  assert.equal(await page.locator('#app-view').isHidden(), true);
  assert.equal(await page.getAttribute('#login-password', 'aria-invalid'), 'true');
  await shot('login-1280x800');
});

test('keyboard-only login, visible focus, keyboard navigation', async () => {
  await page.goto('/');
  // Tab from the top of the page to the user name field (the skip link comes first).
  let id = '';
  for (let i = 0; i < 6 && id !== 'login-username'; i += 1) {
    await page.keyboard.press('Tab');
    id = await page.evaluate(() => document.activeElement?.id || '');
  }
  assert.equal(id, 'login-username', 'Tab reaches the user name field');
  const outline = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  assert.equal(outline.style, 'solid', 'the focused field shows an outline');
  assert.ok(outline.width >= 2, `focus outline is at least 2px (${outline.width})`);
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-password');
  await page.keyboard.type(ADMIN_PW);
  await page.keyboard.press('Enter');
  await page.locator('#session-user').filter({ hasText: 'admin (admin)' }).waitFor();
  await page.locator('.page[data-page="toolkit"] h1').waitFor();
  // Focus moves to the page once it has loaded.
  await page.waitForFunction(() => document.activeElement?.id === 'main', null, { timeout: 10000 });
  // Shift+Tab from the page reaches the navigation; Enter follows a link.
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-route')), 'sync');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-route')), 'licenses');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await page.locator('.page[data-page="events"] h1').waitFor();
  assert.equal(await page.getAttribute('a[data-route="events"]', 'aria-current'), 'page');
  assert.ok(tokens.length >= 1 && tokens[0].refresh_token, 'the password grant answered access and refresh tokens');
  shared.session = tokens[tokens.length - 1];
});

test('create a Resource Owner Grant and read its client ID and secret', async () => {
  const expires = `${new Date().getUTCFullYear() + 1}-12-31`;
  const g = await createGrant('resource_owner', 'vmanage-onprem', 'SD-WAN Manager, on-prem mode', expires);
  assert.match(g.clientId, /\S{8,}/, 'a client ID is shown');
  assert.ok(g.secret.length >= 32, 'a client secret is shown');
  assert.equal(await page.locator('#secret-panel button[data-copy="new-client-id"]').count(), 1, 'a copy button for the client ID');
  assert.equal(await page.locator('#secret-panel button[data-copy="new-client-secret"]').count(), 1, 'a copy button for the secret');
  await shot('toolkit-secret-once-1280x800');
  // The copy buttons put the values on the clipboard.
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await page.click('#secret-panel button[data-copy="new-client-id"]');
  await page.locator('#secret-panel button[data-copy="new-client-id"]', { hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), g.clientId);
  await page.click('#secret-panel button[data-copy="new-client-secret"]');
  await page.locator('#secret-panel button[data-copy="new-client-secret"]', { hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), g.secret);
  await closeDialog();
  shared.rog = g;
  // What the operator in the field did next: the manager authenticates with these credentials.
  const t = await tokenRequest({ grant_type: 'password', client_id: g.clientId, client_secret: g.secret, username: 'admin', password: ADMIN_PW });
  assert.equal(t.status, 200, `the shown credentials obtain a token: ${JSON.stringify(t.body)}`);
  assert.ok(t.body.access_token);
  // The secret is not shown again: the table has the client ID only.
  const row = page.locator('tr[data-grant="vmanage-onprem"]');
  await row.waitFor();
  assert.equal(await row.locator('.client-id').innerText(), g.clientId);
  assert.equal((await page.locator('#grant-list').innerText()).includes(g.secret), false, 'the secret is not in the table');
  const text = await row.innerText();
  assert.match(text, /Resource Owner Grant/);
  assert.match(text, /SD-WAN Manager, on-prem mode/);
});

test('the grant is listed and searchable by name', async () => {
  await createGrant('client_credentials', 'satellite-seoul', 'Satellite in Seoul');
  await closeDialog();
  await page.locator('tr[data-grant="satellite-seoul"]').waitFor();
  await page.fill('#grant-search', 'onprem');
  await page.locator('tr[data-grant="satellite-seoul"]').waitFor({ state: 'detached' });
  assert.equal(await page.locator('tr[data-grant="vmanage-onprem"]').count(), 1);
  assert.match(await page.locator('#grant-list caption').innerText(), /1 grant matching/);
  await page.fill('#grant-search', 'no-such-grant-xyz');
  await page.locator('#grant-list').filter({ hasText: 'No grant name contains' }).waitFor();
  await page.click('#main button:text-is("Clear")');
  await page.locator('tr[data-grant="satellite-seoul"]').waitFor();
  assert.equal(await page.locator('#grant-list tbody tr').count(), 2);
  await shot('toolkit-1280x800');
});

test('regenerate a secret: the new secret differs, the old one is refused', async () => {
  const old = shared.rog;
  await go('toolkit');
  await page.click('tr[data-grant="vmanage-onprem"] button[data-action="regenerate"]');
  await page.locator('dialog[open]').getByRole('button', { name: 'Regenerate secret' }).click();
  await page.locator('#secret-panel[data-grant="vmanage-onprem"]').waitFor();
  const id = await page.inputValue('#new-client-id');
  const secret = await page.inputValue('#new-client-secret');
  await closeDialog();
  assert.equal(id, old.clientId, 'the client ID stays');
  assert.notEqual(secret, old.secret, 'the secret changes');
  const form = { grant_type: 'password', client_id: id, username: 'admin', password: ADMIN_PW };
  const withOld = await tokenRequest({ ...form, client_secret: old.secret });
  assert.equal(withOld.status, 401);
  assert.equal(withOld.body.error_message, GRANT_NOT_FOUND);
  const withNew = await tokenRequest({ ...form, client_secret: secret });
  assert.equal(withNew.status, 200);
  shared.rog = { clientId: id, secret };
});

test('a Client Credentials Grant used with the password grant is refused; the Event Log shows why', async () => {
  const cc = await createGrant('client_credentials', 'satellite-cc', 'Satellite link');
  await closeDialog();
  shared.cc = cc;
  const r = await tokenRequest({ grant_type: 'password', client_id: cc.clientId, client_secret: cc.secret, username: 'admin', password: ADMIN_PW });
  assert.equal(r.status, 401);
  assert.equal(r.body.error, 'invalid_client');
  assert.equal(r.body.error_message, GRANT_NOT_FOUND, 'the client is told only "Grant not found"');
  // The same grant works with its own grant type.
  const ok = await tokenRequest({ grant_type: 'client_credentials', client_id: cc.clientId, client_secret: cc.secret });
  assert.equal(ok.status, 200);

  await go('events');
  await page.fill('#ev-action', 'token.issue');
  await page.selectOption('#ev-outcome', 'failure');
  await page.click('#ev-apply');
  await page.locator('#event-list[data-query*="outcome=failure"][data-query*="action=token.issue"]').waitFor();
  const row = page.locator('#event-list tr.failure').filter({ hasText: 'wrong grant type' }).filter({ hasText: "'satellite-cc'" });
  await row.first().waitFor();
  const text = await row.first().innerText();
  assert.match(text, /wrong grant type: Client Credentials Grant 'satellite-cc' used with grant_type=password/);
  assert.match(text, /Failure/);
  assert.match(text, new RegExp(cc.clientId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the actor is the client ID');
  // Every row of this filtered view is a failed token.issue.
  const actions = await page.locator('#event-list tbody tr td:nth-child(4)').allInnerTexts();
  assert.ok(actions.length >= 2 && actions.every((a) => a.trim() === 'token.issue'), `filtered actions: ${actions}`);
  await shot('events-failures-1280x800');
});

test('Event Log paging', async () => {
  await go('events');
  await page.click('#ev-reset');
  await page.selectOption('#ev-limit', '10');
  await page.click('#ev-apply');
  // The page of 10, not the summary of the page shown before the new limit applied.
  await page.locator('#ev-summary').filter({ hasText: /Events 1–10 of \d+/ }).waitFor();
  const summary = await page.locator('#ev-summary').innerText();
  const total = Number(/of (\d+)/.exec(summary)[1]);
  assert.ok(total > 10, `more than one page of events (${total})`);
  assert.equal(await page.locator('#event-list tbody tr').count(), 10);
  assert.equal(await page.isDisabled('#ev-prev'), true);
  const firstId = await page.getAttribute('#event-list tbody tr', 'data-event-id');
  await page.click('#ev-next');
  await page.locator('#ev-summary').filter({ hasText: /Events 11–/ }).waitFor();
  const secondId = await page.getAttribute('#event-list tbody tr', 'data-event-id');
  assert.notEqual(firstId, secondId);
  assert.equal(await page.isDisabled('#ev-prev'), false);
  await page.click('#ev-prev');
  await page.locator('#ev-summary').filter({ hasText: /Events 1–10 / }).waitFor();
  await page.selectOption('#ev-limit', '25');
  await page.click('#ev-reset');
  await page.locator('#ev-summary').filter({ hasText: /Events 1–/ }).waitFor();
  await shot('events-1280x800');
});

test('the API console toggle turns grants off and on', async () => {
  await go('toolkit');
  const sw = page.locator('#console-enabled');
  assert.equal(await sw.isChecked(), true, 'enabled on a new server');
  assert.equal(await page.getByLabel('API Console Enabled').count(), 1, 'the switch has a label');
  const form = { grant_type: 'password', client_id: shared.rog.clientId, client_secret: shared.rog.secret, username: 'admin', password: ADMIN_PW };

  await sw.click();
  await page.locator('#console-state').filter({ hasText: 'Off' }).waitFor();
  assert.equal(await sw.isChecked(), false);
  await shot('toolkit-console-off-1280x800');
  const off = await tokenRequest(form);
  assert.equal(off.status, 403, `console off refuses grants: ${JSON.stringify(off.body)}`);
  assert.equal(off.body.error, 'access_denied');
  // Reloading the page shows the stored state, not the browser's.
  await go('events');
  await go('toolkit');
  assert.equal(await page.locator('#console-enabled').isChecked(), false);

  await page.locator('#console-enabled').focus();
  await page.keyboard.press('Space'); // the switch works from the keyboard too
  await page.locator('#console-state').filter({ hasText: 'On' }).waitFor();
  const on = await tokenRequest(form);
  assert.equal(on.status, 200);
});

test('delete a grant, after a confirmation', async () => {
  await go('toolkit');
  await page.click('tr[data-grant="satellite-seoul"] button[data-action="delete"]');
  const d = page.locator('dialog[open]');
  assert.match(await d.innerText(), /Delete grant “satellite-seoul”\?/);
  await d.getByRole('button', { name: 'Cancel' }).click();
  await d.waitFor({ state: 'detached' });
  assert.equal(await page.locator('tr[data-grant="satellite-seoul"]').count(), 1, 'Cancel keeps the grant');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-action')), 'delete', 'focus returns to the button');
  await page.click('tr[data-grant="satellite-seoul"] button[data-action="delete"]');
  await page.locator('dialog[open]').getByRole('button', { name: 'Delete grant' }).click();
  await page.locator('tr[data-grant="satellite-seoul"]').waitFor({ state: 'detached' });
  const r = await http.get('/api/v1/admin/grants/satellite-seoul', { headers: { Authorization: `Bearer ${shared.session.access_token}` } });
  assert.equal(r.status(), 404, 'the grant is gone on the server');
});

test('Access Management: add a user, lock and unlock', async () => {
  await go('access');
  await page.fill('#user-name', 'operator1');
  await page.selectOption('#user-role', 'operator');
  await page.fill('#user-password', 'Operator-Pass-2026!');
  await page.fill('#user-password2', 'Operator-Pass-2026!');
  await page.click('#add-user-form button[type="submit"]');
  const row = page.locator('tr[data-user="operator1"]');
  await row.waitFor();
  assert.match(await row.innerText(), /Active/);
  assert.equal(await page.inputValue('select[data-user-role="operator1"]'), 'operator');
  const login = () => tokenRequest({ grant_type: 'password', client_id: 'licsat-admin', username: 'operator1', password: 'Operator-Pass-2026!' });
  assert.equal((await login()).status, 200, 'the new user can sign in');

  await row.locator('button[data-action="lock"]').click();
  await page.locator('dialog[open]').getByRole('button', { name: 'Lock user' }).click();
  await page.locator('tr[data-user="operator1"]').filter({ hasText: 'Locked' }).waitFor();
  const locked = await login();
  assert.equal(locked.status, 400);
  assert.match(locked.body.error_description, /locked/);
  await shot('access-locked-1280x800');

  await page.click('tr[data-user="operator1"] button[data-action="unlock"]');
  await page.locator('tr[data-user="operator1"]').filter({ hasText: 'Active' }).waitFor();
  assert.equal((await login()).status, 200, 'unlocked, the user can sign in again');
  assert.equal(await page.isDisabled('tr[data-user="admin"] button[data-action="lock"]'), true, 'you cannot lock yourself out');
});

test('Licenses page: accounts, pools and the usage chart (or a clear "not available")', async (t) => {
  await go('licenses');
  const accountsApi = await http.get('/api/v1/accounts', { headers: { Authorization: `Bearer ${shared.session.access_token}` } });
  if (accountsApi.status() === 404) {
    await page.locator('#licenses-unavailable').waitFor();
    t.diagnostic('this server has no licensing API: the page shows the "not available" state');
    await shot('licenses-1280x800');
    return;
  }
  // Create an account, a virtual account and a pool through the page's admin forms.
  await page.click('details.admin-forms summary');
  await page.fill('#new-account-name', 'acme');
  await page.fill('#new-account-domain', 'acme.example');
  await page.click('#form-add-account button[type="submit"]');
  await page.locator('#lic-account').waitFor();
  await page.click('details.admin-forms summary');
  await page.fill('#new-va-account', 'acme');
  await page.fill('#new-va-name', 'Seoul');
  await page.click('#form-add-va button[type="submit"]');
  await page.locator('#lic-va option[value="Seoul"]').waitFor({ state: 'attached' });
  await page.click('details.admin-forms summary');
  await page.fill('#new-pool-account', 'acme');
  await page.fill('#new-pool-va', 'Seoul');
  await page.fill('#new-pool-tag', 'regid.2020-03.com.example.DNA_ADV');
  await page.fill('#new-pool-qty', '5');
  await page.click('#form-add-pool button[type="submit"]');
  await page.locator('#licenses-body td', { hasText: 'regid.2020-03.com.example.DNA_ADV' }).first().waitFor();
  // A manager reports usage of 3 devices (the operator role), as managers do.
  const op = await tokenRequest({ grant_type: 'password', client_id: 'licsat-admin', username: 'operator1', password: 'Operator-Pass-2026!' });
  assert.equal(op.status, 200);
  const now = new Date();
  const report = {
    reportId: 'browser-test-1', manager: 'vmanage-1',
    period: { start: new Date(now - 86400e3).toISOString(), end: now.toISOString() },
    devices: [1, 2, 3].map((i) => ({ pid: 'C8300-1N1S-6T', sn: `FDO2511${i}`, hostname: `edge-${i}`, licenses: [{ tag: 'regid.2020-03.com.example.DNA_ADV', count: i === 3 ? 2 : 1 }] })),
  };
  const opAuth = { Authorization: `Bearer ${op.body.access_token}` };
  // Two reports more than a second apart (run.sh gives the server one-second usage history
  // buckets): 2 devices first, then 3, so the chart has two points, 2 then 4 in use.
  const first = { ...report, reportId: 'browser-test-0', devices: report.devices.slice(0, 2) };
  const u0 = await http.post('/api/v1/accounts/acme/virtual-accounts/Seoul/usage', { data: first, headers: opAuth });
  assert.equal(u0.status(), 200, await u0.text());
  await new Promise((r) => setTimeout(r, 1200));
  const u = await http.post('/api/v1/accounts/acme/virtual-accounts/Seoul/usage', { data: report, headers: opAuth });
  assert.equal(u.status(), 200, await u.text());
  await page.click('#main button:text-is("Refresh")');
  const row = page.locator('#licenses-body tbody tr', { hasText: 'regid.2020-03.com.example.DNA_ADV' }).first();
  await row.filter({ hasText: 'In Compliance' }).waitFor();
  const cells = await row.locator('td').allInnerTexts();
  assert.ok(cells.includes('5') && cells.includes('4') && cells.includes('1'), `quantity 5, in use 4, available 1: ${cells}`);

  // The usage history the chart draws, as the API gives it.
  const hist = await http.get('/api/v1/accounts/acme/licenses/usage-history?virtualAccount=Seoul&tag=regid.2020-03.com.example.DNA_ADV', { headers: opAuth });
  assert.equal(hist.status(), 200, await hist.text());
  const points = (await hist.json()).points;
  assert.deepEqual(points.map((p) => [p.inUse, p.quantity]), [[2, 5], [4, 5]], JSON.stringify(points));

  // The chart: an image with an accessible name and description, a dot per point, the
  // quantity as a second (dashed) line, and the same data in a visually hidden table.
  const svg = page.locator('#usage-chart svg[role="img"]');
  await svg.waitFor();
  assert.equal(await page.locator('#lic-chart-pool').inputValue(), 'Seoul\u001fregid.2020-03.com.example.DNA_ADV');
  assert.equal(await svg.locator('circle.chart-dot.s0').count(), points.length, 'a dot per usage history point');
  assert.equal(await svg.locator('path.chart-line').count(), 2, 'in use and quantity');
  const name = await svg.evaluate((el) => el.getAttribute('aria-labelledby').split(' ').map((id) => document.getElementById(id).textContent).join(' '));
  assert.match(name, /Usage of regid\.2020-03\.com\.example\.DNA_ADV in Seoul over time/);
  assert.match(name, /2 points .* Now 4 in use of 5; highest 4 in use/);
  const table = page.locator('#usage-chart-data');
  assert.equal(await table.locator('tbody tr').count(), points.length, 'the data table has a row per point');
  assert.deepEqual(await table.locator('tbody tr td:nth-child(2)').allTextContents(), ['2', '4']);
  const box = await table.boundingBox();
  assert.ok(!box || (box.width <= 1 && box.height <= 1) || (await table.evaluate((el) => !!el.closest('.visually-hidden'))), 'the table is visually hidden');
  await page.locator('#usage-chart').screenshot({ path: join(ARTIFACTS, 'licenses-chart-1280x800.png') });
  await shot('licenses-1280x800');
  // The chart in a narrow window: the compact drawing, still every point.
  await page.setViewportSize({ width: 400, height: 800 });
  await page.locator('#usage-chart svg[viewBox^="0 0 380"]').waitFor();
  assert.equal(await page.locator('#usage-chart svg circle.chart-dot.s0').count(), points.length);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `licenses with its chart: no horizontal scroll at 400 px (${overflow}px too wide)`);
  await page.locator('#usage-chart').screenshot({ path: join(ARTIFACTS, 'licenses-chart-400px.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('Sync page: upstream status, or a clear "not available" / "not configured"', async (t) => {
  await go('sync');
  const status = await http.get('/api/v1/admin/sync', { headers: { Authorization: `Bearer ${shared.session.access_token}` } });
  if (status.status() === 404) {
    await page.locator('#sync-unavailable').waitFor();
    t.diagnostic('this server has no sync API: the page shows the "not available" state');
  } else {
    assert.equal(status.status(), 200);
    assert.equal((await status.json()).configured, false, 'the test server has no upstream');
    await page.locator('#sync-not-configured').waitFor();
    await page.locator('#sync-status-list').waitFor();
    assert.equal(await page.isDisabled('#sync-now'), true, 'nothing to sync with');
  }
  assert.equal(await page.isDisabled('#sync-export'), true, 'no export on a server without upstream');
  assert.equal(await page.locator('#offline-answer input[type="file"]').count(), 1, 'the offline answer form is there');
  await shot('sync-1280x800');
});

// A second server, a satellite of the first (the authority) through the Client Credentials
// Grant created above: its Sync page shows the link and "Sync now" mirrors the authority's pool.
test('a satellite: its Sync page shows the link; "Sync now" mirrors the authority’s pools', async (t) => {
  const adm = await tokenRequest({ grant_type: 'password', client_id: 'licsat-admin', username: 'admin', password: ADMIN_PW });
  const auth = { Authorization: `Bearer ${adm.body.access_token}` };
  const hasSync = (await http.get('/api/v1/admin/sync', { headers: auth })).status() !== 404;
  const hasLicensing = (await http.get('/api/v1/accounts', { headers: auth })).status() !== 404;
  if (!hasSync || !hasLicensing || !process.env.LICSAT_BINARY) {
    t.skip('this server has no sync or licensing API (or LICSAT_BINARY is not set)');
    return;
  }
  const accounts = (await (await http.get('/api/v1/accounts', { headers: auth })).json()).accounts;
  assert.ok(accounts.some((a) => a.accountName === 'acme'), 'the Licenses case created acme');
  const dir = mkdtempSync(join(tmpdir(), 'licsat-satellite-'));
  writeFileSync(join(dir, 'satellite.toml'), [
    '[upstream]',
    `url = "${BASE}"`,
    `client_id = "${shared.cc.clientId}"`,
    `client_secret = "${shared.cc.secret}"`,
    'accounts = ["acme"]',
    'insecure = true',
    '',
  ].join('\n'));
  const sat = spawn(process.env.LICSAT_BINARY, ['serve', '--data', join(dir, 'data'), '--listen', '127.0.0.1:0',
    '--port-file', join(dir, 'port'), '--config', join(dir, 'satellite.toml')],
  { env: { ...process.env, LICSAT_ADMIN_PASSWORD: ADMIN_PW }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  sat.stderr.on('data', (d) => { stderr += d; });
  const p = await ctx.newPage();
  p.on('pageerror', (e) => problems.push(`satellite page error: ${e.message}`));
  try {
    let satUrl = '';
    for (let i = 0; i < 100 && !satUrl; i += 1) {
      if (existsSync(join(dir, 'port')) && readFileSync(join(dir, 'port'), 'utf8').trim()) {
        const u = `https://127.0.0.1:${readFileSync(join(dir, 'port'), 'utf8').trim()}`;
        try { if ((await http.get(`${u}/healthz`)).ok()) satUrl = u; } catch { /* not yet */ }
      }
      if (!satUrl) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(satUrl, `the satellite started: ${stderr}`);
    await p.goto(`${satUrl}/`);
    await p.fill('#login-username', 'admin');
    await p.fill('#login-password', ADMIN_PW);
    await p.click('#login-submit');
    await p.locator('#session-user').waitFor();
    await p.evaluate(() => { location.hash = '#/sync'; });
    await p.locator('#sync-status-list').waitFor();
    assert.match(await p.locator('dd[data-field="upstream"]').innerText(), new RegExp(BASE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(await p.isDisabled('#sync-now'), false);
    assert.equal(await p.isDisabled('#sync-export'), false, 'a satellite can export');
    await p.click('#sync-now');
    await p.locator('#sync-now-result').filter({ hasText: /Sync (finished|failed)/ }).waitFor({ timeout: 30000 });
    const result = await p.locator('#sync-now-result').innerText();
    // (The satellite may already have synced once at start; then nothing is left to add.)
    assert.match(result, /Sync finished: .*pools: [01] added/, result);
    assert.doesNotMatch(await p.locator('dd[data-field="lastOk"]').innerText(), /never/);
    assert.doesNotMatch(await p.locator('dd[data-field="authorityKeyFingerprint"]').innerText(), /not pinned/);
    await p.screenshot({ path: join(ARTIFACTS, 'sync-satellite-1280x800.png'), fullPage: true });
    await p.evaluate(() => { location.hash = '#/licenses'; });
    const row = p.locator('#licenses-body tbody tr', { hasText: 'regid.2020-03.com.example.DNA_ADV' }).first();
    await row.waitFor();
    assert.ok((await row.locator('td').allInnerTexts()).includes('5'), 'the mirrored pool has quantity 5');
    await p.screenshot({ path: join(ARTIFACTS, 'licenses-satellite-1280x800.png'), fullPage: true });
  } finally {
    await p.close();
    sat.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

// After the Licenses page test, which creates the smart account acme.
test('Access Management: limit a user to a smart account in the Accounts column', async () => {
  const auth = { Authorization: `Bearer ${shared.session.access_token}` };
  await go('access');
  const input = page.locator('input[data-accounts="operator1"]');
  assert.equal(await input.inputValue(), 'all', 'a user reaches every account by default');
  await input.fill('acme');
  await input.evaluate((e) => e.blur());
  await page.locator('#toast').filter({ hasText: 'acme' }).waitFor();
  const users = await (await http.get('/api/v1/admin/users', { headers: auth })).json();
  assert.deepEqual(users.users.find((u) => u.name === 'operator1').accounts, ['acme']);
  const t = await tokenRequest({ grant_type: 'password', client_id: 'licsat-admin', username: 'operator1', password: 'Operator-Pass-2026!' });
  const opAuth = { Authorization: `Bearer ${t.body.access_token}` };
  const other = await http.get('/api/v1/accounts/other/devices', { headers: opAuth });
  assert.equal(other.status(), 403, 'another account is refused');
  assert.match((await other.json()).error_description || (await other.text()), /not permitted for account 'other'/);
  await input.fill('all');
  await input.evaluate((e) => e.blur());
  await page.locator('#toast').filter({ hasText: 'All accounts' }).waitFor();
});

test('a screenshot of every page at 1280x800', async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  for (const p of PAGES) {
    await go(p);
    await shot(`${p}-1280x800`);
    // Every form control has an accessible name (a <label>, aria-label or aria-labelledby).
    assert.deepEqual(await unlabelledControls(), [], `${p}: form controls without a label`);
    // Every visible text meets WCAG AA contrast.
    assert.deepEqual(await contrastFailures(), [], `${p}: text below WCAG AA contrast at 1280 px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${p}: no horizontal scroll at 1280 px (${overflow}px too wide)`);
  }
});

test('narrow window (400 px): every page renders without horizontal scroll', async () => {
  await page.setViewportSize({ width: 400, height: 800 });
  for (const p of PAGES) {
    await go(p);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await shot(`${p}-400px`);
    assert.ok(overflow <= 0, `${p}: no horizontal scroll at 400 px (${overflow}px too wide)`);
    assert.deepEqual(await unlabelledControls(), [], `${p}: form controls without a label at 400 px`);
    assert.deepEqual(await contrastFailures(), [], `${p}: text below WCAG AA contrast at 400 px`);
  }
  // Dialogs fit too.
  await go('toolkit');
  await page.click('#create-resource-owner');
  await page.locator('#grant-dialog').waitFor();
  const box = await page.locator('#grant-dialog').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 400, 'the dialog fits the window');
  await shot('toolkit-dialog-400px');
  await page.keyboard.press('Escape');
  await page.locator('#grant-dialog').waitFor({ state: 'detached' });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('log out revokes the tokens', async () => {
  const last = tokens[tokens.length - 1];
  const auth = { Authorization: `Bearer ${last.access_token}` };
  assert.equal((await http.get('/api/v1/me', { headers: auth })).status(), 200);
  await page.click('#logout-button');
  await page.locator('#login-view').waitFor();
  await page.locator('#login-message').filter({ hasText: 'signed out' }).waitFor();
  // The sign-in view meets the same bars.
  assert.deepEqual(await contrastFailures(), [], 'sign-in view: text below WCAG AA contrast');
  assert.equal(await page.evaluate(() => [...document.querySelectorAll('#login-form input')].every((el) => el.labels.length)), true, 'sign-in fields are labelled');
  // The revocation runs as the page logs out; give it a moment.
  let status = 200;
  for (let i = 0; i < 20 && status === 200; i += 1) {
    status = (await http.get('/api/v1/me', { headers: auth })).status();
    if (status === 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 401, 'the access token no longer works');
  const refreshed = await tokenRequest({ grant_type: 'refresh_token', client_id: 'licsat-admin', refresh_token: last.refresh_token });
  assert.equal(refreshed.status, 400, 'the refresh token no longer works');
  assert.equal(await page.evaluate(() => Object.keys(localStorage).length + Object.keys(sessionStorage).length), 0, 'nothing kept in web storage');
});

test('idle timeout: signed out after 15 minutes without activity', async () => {
  const b = await launch();
  try {
    const p = b.pages()[0] || (await b.newPage());
    await p.clock.install();
    await p.goto('/');
    await p.fill('#login-username', 'admin');
    await p.fill('#login-password', ADMIN_PW);
    await p.click('#login-submit');
    await p.locator('#session-user').waitFor();
    await p.clock.fastForward('14:00');
    assert.equal(await p.locator('#app-view').isVisible(), true, 'still signed in after 14 minutes');
    await p.clock.fastForward('01:30');
    await p.locator('#login-message').filter({ hasText: '15 minutes' }).waitFor();
    assert.equal(await p.locator('#app-view').isHidden(), true);
  } finally {
    await b.close();
  }
});

test('the session is renewed with the refresh token before the access token expires', async () => {
  const b = await launch();
  try {
    const p = b.pages()[0] || (await b.newPage());
    const seen = [];
    p.on('request', (r) => {
      if (new URL(r.url()).pathname === '/oauth/token') seen.push(new URLSearchParams(r.postData() || '').get('grant_type'));
    });
    await p.clock.install();
    await p.goto('/');
    await p.fill('#login-username', 'admin');
    await p.fill('#login-password', ADMIN_PW);
    await p.click('#login-submit');
    await p.locator('#session-user').waitFor();
    // 62 minutes of work (a key press every 10 minutes keeps the session from idling out);
    // the server's access tokens for the built-in client live 30 minutes (its session idle limit).
    for (let i = 0; i < 6; i += 1) {
      await p.clock.fastForward('10:00');
      await p.keyboard.press('Shift');
    }
    await p.clock.fastForward('02:00');
    await p.waitForFunction(() => true);
    for (let i = 0; i < 50 && !seen.includes('refresh_token'); i += 1) await p.waitForTimeout(100);
    assert.deepEqual(seen.slice(0, 2), ['password', 'refresh_token'], `token requests: ${seen}`);
    await p.evaluate(() => { location.hash = '#/events'; });
    await p.locator('#event-list[data-query]').waitFor();
    assert.equal(await p.locator('#app-view').isVisible(), true, 'still signed in');
    assert.ok(await p.locator('#event-list tbody tr', { hasText: 'token.refresh' }).count() >= 1, 'the renewal is in the Event Log');
  } finally {
    await b.close();
  }
});

test('no CSP violation, page error or missing asset during the run', () => {
  assert.deepEqual(problems, []);
});
