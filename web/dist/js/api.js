// The session and the REST client. The Admin Workspace is an ordinary OAuth client of the same
// API that `licsat admin` and the managers use: it logs in with the password grant of the
// built-in public client "licsat-admin" and sends the access token as a Bearer header.
//
// Session design: the tokens live in this module's memory only (never in localStorage,
// sessionStorage or a cookie), so a reload or a closed tab ends the session. The access token is
// renewed with the refresh token shortly before it expires (one renewal at a time: the server
// rotates refresh tokens and treats a reused one as theft). After IDLE_LIMIT_MS without a key
// press, click, touch or wheel the session ends; logging out revokes both tokens. The server
// enforces its own idle limit too (auth.session_idle_timeout, 30 minutes by default: a refresh
// token of this client not used within it is dead), which must stay above IDLE_LIMIT_MS.

export const CLIENT_ID = 'licsat-admin';
export const IDLE_LIMIT_MS = 15 * 60 * 1000;
const IDLE_WARNING_MS = 60 * 1000;

let session = null; // { access, refresh, expiresAt, name, role }
let refreshTimer = 0;
let refreshing = null;
let idleTimer = 0;
let lastActivity = Date.now();
let warned = false;
const endListeners = new Set();
const warnListeners = new Set();

export class ApiError extends Error {
  constructor(status, body, fallback) {
    const msg = (body && (body.error_description || body.error_message || body.message)) || fallback || `HTTP ${status}`;
    super(msg);
    this.status = status;
    this.code = body && body.error;
    this.body = body;
  }
}

export function currentUser() {
  return session ? { name: session.name, role: session.role } : null;
}

export function onSessionEnd(fn) { endListeners.add(fn); }
export function onIdleWarning(fn) { warnListeners.add(fn); }

async function readJson(r) {
  const text = await r.text();
  if (!text) return {};
  try { return JSON.parse(text); } catch { return { message: text.slice(0, 300) }; }
}

async function tokenRequest(params) {
  let r;
  try {
    r = await fetch('/oauth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(params),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, null, 'The server cannot be reached. Check the network and try again.');
  }
  const body = await readJson(r);
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

function keepTokens(t) {
  const ttlMs = Math.max(1, Number(t.expires_in) || 3600) * 1000;
  session = {
    ...(session || {}),
    access: t.access_token,
    refresh: t.refresh_token || (session && session.refresh),
    expiresAt: Date.now() + ttlMs,
  };
  clearTimeout(refreshTimer);
  // Renew well before expiry: five minutes before (or at 75 % of a short lifetime). The server
  // gives this client's access token and refresh token the same lifetime, its session idle limit
  // (auth.session_idle_timeout, 30 minutes by default), so a renewal that comes late finds the
  // refresh token expired too; browsers may delay timers of background tabs by up to a minute.
  const lead = Math.min(5 * 60 * 1000, ttlMs * 0.25);
  refreshTimer = setTimeout(() => {
    renew().catch(() => end('Your session could not be renewed. Sign in again.'));
  }, Math.max(1000, ttlMs - lead));
}

function renew() {
  if (!session || !session.refresh) return Promise.reject(new Error('no refresh token'));
  if (!refreshing) {
    refreshing = tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: session.refresh })
      .then(keepTokens)
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

function noteActivity() {
  lastActivity = Date.now();
  warned = false;
}

function checkIdle() {
  if (!session) return;
  const idle = Date.now() - lastActivity;
  if (idle >= IDLE_LIMIT_MS) {
    logout(`You were signed out after ${IDLE_LIMIT_MS / 60000} minutes without activity.`);
  } else if (idle >= IDLE_LIMIT_MS - IDLE_WARNING_MS && !warned) {
    warned = true;
    for (const fn of warnListeners) fn(Math.ceil((IDLE_LIMIT_MS - idle) / 1000));
  }
}

function startIdleWatch() {
  noteActivity();
  for (const ev of ['keydown', 'pointerdown', 'wheel', 'touchstart']) {
    document.addEventListener(ev, noteActivity, { capture: true, passive: true });
  }
  clearInterval(idleTimer);
  idleTimer = setInterval(checkIdle, 5000);
}

function end(reason) {
  clearTimeout(refreshTimer);
  clearInterval(idleTimer);
  for (const ev of ['keydown', 'pointerdown', 'wheel', 'touchstart']) {
    document.removeEventListener(ev, noteActivity, { capture: true });
  }
  const had = session !== null;
  session = null;
  if (had) for (const fn of endListeners) fn(reason || '');
}

export async function login(username, password) {
  const t = await tokenRequest({ grant_type: 'password', client_id: CLIENT_ID, username, password });
  session = null;
  keepTokens(t);
  try {
    const me = await api('GET', '/api/v1/me');
    session.name = me.name;
    session.role = me.role;
  } catch (e) {
    end('');
    throw e;
  }
  startIdleWatch();
  return currentUser();
}

// Revokes the refresh token (which ends the session server-side) and the access token.
export async function logout(reason) {
  const s = session;
  end(reason || 'You are signed out.');
  if (!s) return;
  const revoke = (token) => fetch('/oauth/revoke', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, token }),
    cache: 'no-store',
    credentials: 'omit',
  }).catch(() => {});
  await Promise.all([s.refresh && revoke(s.refresh), s.access && revoke(s.access)]);
}

// Calls the REST API. `body` is sent as JSON unless it is a string or Blob (sent as is).
// Answers the parsed JSON (or, with { raw: true }, the Response). Throws ApiError otherwise.
export async function api(method, path, body, opts = {}) {
  if (!session) throw new ApiError(401, null, 'You are not signed in.');
  const send = async () => {
    const headers = { Authorization: `Bearer ${session.access}`, Accept: 'application/json' };
    let payload;
    if (body !== undefined && body !== null) {
      if (typeof body === 'string' || body instanceof Blob) {
        payload = body;
        headers['Content-Type'] = opts.contentType || 'application/json';
      } else {
        payload = JSON.stringify(body);
        headers['Content-Type'] = 'application/json';
      }
    }
    try {
      return await fetch(path, { method, headers, body: payload, cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new ApiError(0, null, 'The server cannot be reached. Check the network and try again.');
    }
  };
  let r = await send();
  if (r.status === 401 && session && session.refresh) {
    try {
      await renew();
      r = await send();
    } catch {
      end('Your session has expired. Sign in again.');
      throw new ApiError(401, null, 'Your session has expired. Sign in again.');
    }
  }
  if (r.status === 401) {
    end('Your session has expired. Sign in again.');
    throw new ApiError(401, await readJson(r));
  }
  if (opts.raw && r.ok) return r;
  const data = await readJson(r);
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}
