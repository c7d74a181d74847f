// Admin Workspace: login, navigation (hash routes) and the page modules.
import { login, logout, currentUser, onSessionEnd, onIdleWarning, ApiError } from './api.js';
import { toast, clearToast } from './ui.js';
import * as toolkit from './pages/toolkit.js';
import * as access from './pages/access.js';
import * as events from './pages/events.js';
import * as licenses from './pages/licenses.js';
import * as sync from './pages/sync.js';

const routes = {
  toolkit: { title: 'API Tool Kit', page: toolkit },
  access: { title: 'Access Management', page: access },
  events: { title: 'Event Log', page: events },
  licenses: { title: 'Licenses', page: licenses },
  sync: { title: 'Sync', page: sync },
};
const DEFAULT_ROUTE = 'toolkit';

const $ = (id) => document.getElementById(id);
let renderSeq = 0;

function routeName() {
  const m = /^#\/([a-z]+)/.exec(location.hash);
  return m && routes[m[1]] ? m[1] : DEFAULT_ROUTE;
}

async function render({ focus } = { focus: false }) {
  if (!currentUser()) return;
  const name = routeName();
  const route = routes[name];
  document.title = `${route.title} · licsat Admin Workspace`;
  for (const a of document.querySelectorAll('.sidenav a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const main = $('main');
  const seq = ++renderSeq;
  // Each page renders into a detached container; a newer navigation wins.
  const box = document.createElement('div');
  box.className = 'page';
  box.dataset.page = name;
  main.replaceChildren(box);
  try {
    const rendering = route.page.render(box, { user: currentUser(), isCurrent: () => seq === renderSeq });
    // Focus moves to the page at once (its heading is there), not when its data arrives, so it
    // never takes the focus away from a control the user has reached meanwhile.
    if (focus) main.focus();
    await rendering;
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e instanceof ApiError && e.status === 401) return; // the session ended; the login view is shown
    const p = document.createElement('p');
    p.className = 'notice error';
    p.setAttribute('role', 'alert');
    p.textContent = `This page could not be shown: ${e.message}`;
    box.append(p);
  }
}

function showApp() {
  const u = currentUser();
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('session-bar').hidden = false;
  $('session-user').textContent = `${u.name} (${u.role})`;
  if (!/^#\//.test(location.hash)) history.replaceState(null, '', `#/${DEFAULT_ROUTE}`);
  render({ focus: true });
}

function showLogin(message, info) {
  $('app-view').hidden = true;
  $('session-bar').hidden = true;
  $('main').replaceChildren();
  $('login-view').hidden = false;
  const m = $('login-message');
  m.textContent = message || '';
  m.className = info ? 'message info' : 'message';
  $('login-password').value = '';
  $('login-submit').disabled = false;
  const user = $('login-username');
  (user.value ? $('login-password') : user).focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  const user = $('login-username');
  const pw = $('login-password');
  const msg = $('login-message');
  user.removeAttribute('aria-invalid');
  pw.removeAttribute('aria-invalid');
  if (!user.value.trim() || !pw.value) {
    msg.className = 'message';
    msg.textContent = 'Enter your user name and password.';
    (user.value.trim() ? pw : user).setAttribute('aria-invalid', 'true');
    (user.value.trim() ? pw : user).focus();
    return;
  }
  $('login-submit').disabled = true;
  msg.className = 'message info';
  msg.textContent = 'Signing in…';
  try {
    await login(user.value.trim(), pw.value);
    pw.value = '';
    msg.textContent = '';
    showApp();
  } catch (e) {
    msg.className = 'message';
    msg.textContent = e.message || 'Sign-in failed.';
    pw.value = '';
    pw.setAttribute('aria-invalid', 'true');
    pw.focus();
  } finally {
    $('login-submit').disabled = false;
  }
}

function init() {
  $('login-form').addEventListener('submit', onLogin);
  $('logout-button').addEventListener('click', () => { logout('You are signed out.'); });
  $('skip-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    const target = $('app-view').hidden ? $('login-username') : $('main');
    target.focus();
  });
  window.addEventListener('hashchange', () => { clearToast(); render({ focus: true }); });
  onSessionEnd((reason) => showLogin(reason, true));
  onIdleWarning((s) => toast(`No activity: you will be signed out in ${s} seconds. Press any key to stay signed in.`));
  showLogin('');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
