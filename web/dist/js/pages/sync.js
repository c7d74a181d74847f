// Sync: a satellite's link to its authority (status, last and next run, sync now, the pinned
// authority key) and the offline exchange by signed files. Uses /api/v1/admin/sync/** (see
// src/api/sync_routes.cpp); a server without that API (404) gets a plain "not available" state.
import { api, ApiError } from '../api.js';
import { h, field, timeEl, toast, errorNotice, downloadBlob } from '../ui.js';

export const SYNC = {
  status: '/api/v1/admin/sync',            // GET  → status object
  now: '/api/v1/admin/sync/now',           // POST → the outcome (502 with it on failure)
  exportFile: '/api/v1/admin/sync/export', // POST → the signed usage-request file (satellite)
  importFile: '/api/v1/admin/sync/import', // POST body = the authority's answer file (satellite)
  trust: '/api/v1/admin/sync/trust',       // POST {} → pins the authority's signing key
  answer: '/api/v1/admin/offline/answer',  // POST body = a request file → signed answer (authority)
};

// The status members shown, in this order; any other member is shown after them as is.
const STATUS_FIELDS = [
  ['upstream', 'Upstream (authority)'],
  ['accounts', 'Smart accounts mirrored'],
  ['interval', 'Interval'],
  ['running', 'Running now'],
  ['lastOk', 'Last success'],
  ['lastAttempt', 'Last run'],
  ['lastError', 'Last error'],
  ['nextRun', 'Next run'],
  ['pendingReports', 'Usage reports waiting to be sent'],
  ['authorityKeyFingerprint', 'Authority key (pinned)'],
];
const HIDDEN = new Set(['configured']);
const EMPTY = { lastError: 'none', authorityKeyFingerprint: 'not pinned yet', nextRun: '—', upstream: 'none' };

function valueNode(k, v) {
  if (v === null || v === undefined || v === '') return h('span', { class: 'muted' }, EMPTY[k] || 'never');
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return timeEl(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (k === 'interval' && typeof v === 'number') return v % 3600 === 0 ? `${v / 3600} h` : v % 60 === 0 ? `${v / 60} min` : `${v} s`;
  if (Array.isArray(v)) return v.length ? v.join(', ') : h('span', { class: 'muted' }, 'none');
  if (typeof v === 'object') return h('code', {}, JSON.stringify(v));
  if (k === 'lastError') return h('span', { class: 'reason' }, String(v));
  if (k === 'authorityKeyFingerprint') return h('code', {}, String(v));
  return String(v);
}

export function statusList(st) {
  const rows = [];
  for (const [k, label] of STATUS_FIELDS) {
    if (!(k in st)) continue;
    rows.push(h('dt', {}, label), h('dd', { 'data-field': k }, valueNode(k, st[k])));
  }
  const known = new Set(STATUS_FIELDS.map(([k]) => k));
  for (const [k, v] of Object.entries(st)) {
    if (known.has(k) || HIDDEN.has(k)) continue;
    rows.push(h('dt', {}, k), h('dd', { 'data-field': k }, valueNode(k, v)));
  }
  return h('dl', { class: 'kv', id: 'sync-status-list' }, rows);
}

// One line for a sync or import outcome.
function outcomeText(o) {
  const parts = [];
  if ('forwardedReports' in o) parts.push(`${o.forwardedReports} usage report${o.forwardedReports === 1 ? '' : 's'} forwarded`);
  if ('poolsAdded' in o) parts.push(`pools: ${o.poolsAdded} added, ${o.poolsChanged} changed, ${o.poolsRemoved} removed`);
  if (o.pendingReports) parts.push(`${o.pendingReports} still waiting`);
  if (o.warnings && o.warnings.length) parts.push(`warnings: ${o.warnings.join('; ')}`);
  return parts.join('; ') || 'done';
}

export async function render(root, ctx) {
  root.append(h('h1', {}, 'Sync'),
    h('p', { class: 'muted' }, 'A satellite server mirrors the license pools of its authority and forwards the usage its managers report, ',
      'every 24 hours and on demand. Without a network path, the same exchange travels as signed files.'));
  const statusBox = h('section', { class: 'panel', id: 'sync-status', 'aria-labelledby': 'sync-status-title' });
  root.append(statusBox);
  const available = await loadStatus(statusBox, ctx);
  if (!ctx.isCurrent()) return;
  root.append(offlineSection(available));
}

let lastResult = { text: '', error: false }; // the last sync now / pin, kept across refreshes

async function loadStatus(box, ctx) {
  const title = h('h2', { id: 'sync-status-title' }, 'Upstream status');
  let st;
  try {
    st = await api('GET', SYNC.status);
  } catch (e) {
    if (!ctx.isCurrent()) return false;
    if (e instanceof ApiError && e.status === 404) {
      box.replaceChildren(title, h('p', { class: 'notice info', id: 'sync-unavailable', role: 'status' },
        'Sync is not available on this server: its version has no upstream sync service (GET ', h('code', {}, SYNC.status),
        ' answered 404).'));
      return false;
    }
    box.replaceChildren(title, errorNotice(e, 'The sync status could not be read'));
    return false;
  }
  if (!ctx.isCurrent()) return false;
  const configured = st.configured !== false && !!(st.upstream || st.configured);
  const nowBtn = h('button', { type: 'button', id: 'sync-now', disabled: !configured || st.running }, st.running ? 'Sync running…' : 'Sync now');
  const note = h('p', { class: lastResult.error ? 'reason' : 'hint', role: 'status', id: 'sync-now-result' }, lastResult.text);
  nowBtn.addEventListener('click', async () => {
    nowBtn.disabled = true;
    note.className = 'hint';
    note.textContent = 'Syncing with the authority…';
    try {
      const o = await api('POST', SYNC.now);
      lastResult = { text: `Sync finished: ${outcomeText(o)}.`, error: false };
      toast('Sync finished.');
    } catch (e) {
      lastResult = { text: `Sync failed: ${e.message}`, error: true };
      toast(`Sync failed: ${e.message}`, 'error');
    }
    await loadStatus(box, ctx);
    document.getElementById('sync-now')?.focus();
  });
  let trustBtn = null;
  if (configured && !st.authorityKeyFingerprint) {
    trustBtn = h('button', { type: 'button', class: 'secondary', id: 'sync-trust' }, 'Pin the authority’s signing key');
    trustBtn.addEventListener('click', async () => {
      try {
        const r = await api('POST', SYNC.trust, {});
        lastResult = { text: `Authority key pinned: ${r.fingerprintDisplay || r.fingerprint}.`, error: false };
      } catch (e) {
        lastResult = { text: `The authority key could not be pinned: ${e.message}`, error: true };
      }
      await loadStatus(box, ctx);
    });
  }
  box.replaceChildren(...[title,
    configured ? null : h('p', { class: 'notice info', id: 'sync-not-configured', role: 'status' },
      'Not configured: this server has no upstream, so it is an authority (or standalone) and has nothing to sync with. ',
      'Set [upstream] in its configuration (or --upstream) to make it a satellite.'),
    statusList(st),
    h('div', { class: 'form-buttons' }, nowBtn, trustBtn,
      h('button', { type: 'button', class: 'secondary', onclick: () => loadStatus(box, ctx) }, 'Refresh')),
    note].filter(Boolean));
  return configured;
}

function fileForm({ id, title, help, button, path, outName, contentType }) {
  const input = h('input', { type: 'file', id: `${id}-file`, accept: '.json,application/json' });
  const err = h('p', { class: 'message', role: 'alert' });
  const done = h('p', { class: 'hint', role: 'status' });
  const form = h('form', { id, novalidate: true }, h('h3', {}, title), h('p', { class: 'hint' }, help), err,
    field('File', input), h('div', { class: 'form-buttons' }, h('button', { type: 'submit' }, button)), done);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    done.textContent = '';
    const f = input.files && input.files[0];
    if (!f) { err.textContent = 'Choose a file first.'; input.focus(); return; }
    try {
      const text = await f.text();
      const r = await api('POST', path, text, { raw: !!outName, contentType });
      if (outName) {
        downloadBlob(await r.blob(), outName);
        done.textContent = `Saved ${outName}. Carry it back to where the request came from.`;
      } else {
        done.textContent = `Imported: ${outcomeText(r)}.`;
      }
      toast(`${title}: done.`);
    } catch (e) {
      err.textContent = e.status === 404 ? `Not available on this server (${e.message}).` : e.message;
    }
  });
  return form;
}

function offlineSection(satelliteReady) {
  const exportBtn = h('button', { type: 'button', id: 'sync-export', disabled: !satelliteReady }, 'Export request file');
  const exportNote = h('p', { class: 'hint', role: 'status' });
  exportBtn.addEventListener('click', async () => {
    try {
      const r = await api('POST', SYNC.exportFile, undefined, { raw: true });
      downloadBlob(await r.blob(), 'usage-request.json');
      exportNote.textContent = 'Saved usage-request.json: carry it to the authority and answer it there (step 2).';
    } catch (e) {
      exportNote.textContent = `Export failed: ${e.message}`;
    }
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'offline-title', id: 'sync-offline' },
    h('h2', { id: 'offline-title' }, 'Offline exchange'),
    h('p', { class: 'muted' }, 'Three steps: export a request on the satellite, answer it on the authority, import the answer on the satellite. ',
      'Files are signed; tampered, replayed or foreign files are refused.'),
    h('h3', {}, '1. On the satellite: export'),
    satelliteReady ? null : h('p', { class: 'hint' }, 'Only on a satellite (see the status above).'),
    exportBtn, exportNote,
    fileForm({ id: 'offline-answer', title: '2. On the authority: answer a request', help: 'Answers a request file from a manager (licsat manager offline export) or a satellite with a signed license file.',
      button: 'Answer and download', path: SYNC.answer, outName: 'license-answer.json' }),
    fileForm({ id: 'offline-import', title: '3. On the satellite: import the answer', help: 'Applies the authority’s signed answer to this satellite’s mirror.',
      button: 'Import answer', path: SYNC.importFile }));
}
