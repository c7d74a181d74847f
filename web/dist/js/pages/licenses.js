// Licenses: smart accounts, virtual accounts and their license pools (quantity, in use,
// available, status), alerts, and a chart of usage over time. Reads the same licensing API the
// managers use (GET /api/v1/accounts, POST …/licenses, …/alerts, GET …/devices).
import { api, currentUser } from '../api.js';
import { h, field, table, fmtDate, timeEl, toast, errorNotice } from '../ui.js';
import { stepChart } from '../chart.js';

const sel = { account: '', va: '', tag: '' };
const narrow = window.matchMedia('(max-width: 760px)');

function statusBadge(s) {
  if (s === 'In Compliance') return h('span', { class: 'badge ok' }, s);
  if (s === 'Expired' || s === 'Insufficient Licenses') return h('span', { class: 'badge bad' }, s);
  return h('span', { class: 'badge neutral' }, s || '—');
}

export async function render(root, ctx) {
  root.append(h('h1', {}, 'Licenses'));
  let accounts;
  try {
    accounts = (await api('GET', '/api/v1/accounts')).accounts || [];
  } catch (e) {
    if (e.status === 404) {
      root.append(h('div', { class: 'notice info', role: 'status', id: 'licenses-unavailable' },
        'The licensing API is not available on this server (GET /api/v1/accounts answered 404). ',
        'Upgrade the server to a version with the license database.'));
      return;
    }
    root.append(errorNotice(e, 'The smart accounts could not be read'));
    return;
  }
  if (!ctx.isCurrent()) return;
  const isAdmin = currentUser()?.role === 'admin';
  const body = h('div', { id: 'licenses-body' });
  if (!accounts.length) {
    root.append(h('p', { class: 'panel', id: 'no-accounts' }, 'No smart accounts yet. ',
      isAdmin ? 'Add one below, or with licsat admin account add.' : 'An administrator can add one.'));
  } else {
    if (!accounts.some((a) => a.accountName === sel.account)) { sel.account = accounts[0].accountName; sel.va = ''; sel.tag = ''; }
    const acctSel = h('select', { id: 'lic-account' }, accounts.map((a) => h('option', { value: a.accountName }, a.accountName)));
    acctSel.value = sel.account;
    const vaSel = h('select', { id: 'lic-va' });
    const fillVas = () => {
      const a = accounts.find((x) => x.accountName === sel.account);
      vaSel.replaceChildren(h('option', { value: '' }, 'All virtual accounts'),
        ...(a?.virtualAccounts || []).map((v) => h('option', { value: v.name }, v.name + (v.isDefault ? ' (default)' : ''))));
      vaSel.value = sel.va;
    };
    fillVas();
    acctSel.addEventListener('change', () => { sel.account = acctSel.value; sel.va = ''; sel.tag = ''; fillVas(); loadAccount(body, accounts, ctx); });
    vaSel.addEventListener('change', () => { sel.va = vaSel.value; sel.tag = ''; loadAccount(body, accounts, ctx); });
    root.append(h('div', { class: 'toolbar' }, field('Smart account', acctSel), field('Virtual account', vaSel),
      h('button', { type: 'button', class: 'secondary', onclick: () => loadAccount(body, accounts, ctx) }, 'Refresh')), body);
  }
  if (isAdmin) root.append(adminForms(accounts));
  if (accounts.length) await loadAccount(body, accounts, ctx);
}

let loadSeq = 0;

async function loadAccount(body, accounts, ctx) {
  const mine = ++loadSeq;
  const a = accounts.find((x) => x.accountName === sel.account);
  const enc = encodeURIComponent(sel.account);
  body.replaceChildren(h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  const vaFilter = sel.va ? [sel.va] : [];
  const [lic, alerts, devices] = await Promise.allSettled([
    api('POST', `/api/v1/accounts/${enc}/licenses`, { virtualAccounts: vaFilter, limit: -1, offset: 0 }),
    api('POST', `/api/v1/accounts/${enc}/alerts`, {}),
    api('GET', `/api/v1/accounts/${enc}/devices?limit=-1${sel.va ? `&virtualAccount=${encodeURIComponent(sel.va)}` : ''}`),
  ]);
  if (!ctx.isCurrent() || mine !== loadSeq) return; // a newer selection is on its way
  const parts = [];
  parts.push(h('p', { class: 'muted' }, `Domain: ${a?.accountDomain || '—'} · Virtual accounts: ${(a?.virtualAccounts || []).map((v) => v.name).join(', ') || 'none'}`));

  if (alerts.status === 'fulfilled' && (alerts.value.alerts || []).length) {
    parts.push(h('h2', {}, 'Alerts'), h('ul', { class: 'panel', id: 'lic-alerts' }, alerts.value.alerts.map((x) => h('li', {},
      h('span', { class: `badge ${x.severity === 'Major' ? 'bad' : 'warn'}` }, x.severity), ' ', x.message))));
  }

  parts.push(h('h2', {}, 'License pools'));
  let pools = [];
  if (lic.status === 'rejected') parts.push(errorNotice(lic.reason, 'The licenses could not be read'));
  else {
    pools = lic.value.licenses || [];
    parts.push(table([
      { label: 'License', class: 'wrap', cell: (l) => h('span', {}, l.license && l.license !== l.tag ? [h('strong', {}, l.license), h('br'), h('code', {}, l.tag)] : h('code', { class: 'strong' }, l.tag)) },
      { label: 'Virtual account', cell: (l) => l.virtualAccount },
      { label: 'Quantity', cell: (l) => String(l.quantity), class: 'num' },
      { label: 'In use', cell: (l) => String(l.inUse), class: 'num' },
      { label: 'Available', cell: (l) => String(l.available), class: 'num' },
      { label: 'Status', cell: (l) => statusBadge(l.status) },
      { label: 'Type / ends', cell: (l) => { const d = (l.licenseDetails || [])[0]; return d ? `${d.licenseType}${d.endDate ? `, ends ${fmtDate(d.endDate)}` : ''}` : '—'; } },
    ], pools, { caption: `${pools.length} license pool${pools.length === 1 ? '' : 's'}`, label: 'License pools', empty: 'No license pools in this selection.' }));
  }

  parts.push(h('h2', { id: 'usage-chart-title' }, 'Usage over time'));
  if (devices.status === 'rejected') parts.push(errorNotice(devices.reason, 'The devices could not be read'));
  else parts.push(usageChart(pools, devices.value.devices || []));
  body.replaceChildren(...parts);
}

// The server keeps each device's latest usage; the series steps up at each device's latest
// report, so it shows when today's "in use" was reported.
function usageChart(pools, devices) {
  const tags = [...new Set([...pools.map((p) => p.tag), ...devices.flatMap((d) => (d.licenses || []).map((l) => l.tag))])].sort();
  if (!tags.length) return h('p', { class: 'panel' }, 'No usage reported yet.');
  if (!tags.includes(sel.tag)) sel.tag = tags[0];
  const tagSel = h('select', { id: 'lic-chart-tag' }, tags.map((t) => h('option', { value: t }, t)));
  tagSel.value = sel.tag;
  const box = h('div', { id: 'usage-chart' });
  const draw = () => {
    const tag = sel.tag;
    const rows = devices.flatMap((d) => (d.licenses || []).filter((l) => l.tag === tag && l.count > 0)
      .map((l) => ({ t: Date.parse(d.lastReport), v: l.count, host: d.hostname || d.sn, va: d.virtualAccount })))
      .filter((r) => !Number.isNaN(r.t)).sort((p, q) => p.t - q.t);
    const points = [];
    let sum = 0;
    for (const r of rows) { sum += r.v; points.push({ t: r.t, v: sum, host: r.host }); }
    // The line runs on to now (without a dot: no report there).
    if (points.length) points.push({ t: Math.max(Date.now(), points[points.length - 1].t), v: sum, synthetic: true });
    const pool = pools.filter((p) => p.tag === tag);
    const qty = pool.reduce((n, p) => n + (Number(p.quantity) || 0), 0);
    const limit = pool.length ? { value: qty, label: `Quantity (${qty})` } : null;
    if (!points.length) { box.replaceChildren(h('p', { class: 'panel' }, `No device reports usage of ${tag} yet.`)); return; }
    box.replaceChildren(
      stepChart([{ label: `${tag} in use`, points }], {
        title: `Licenses of ${tag} in use over time`,
        desc: `${sum} in use now${limit ? ` of ${qty}` : ''}, from ${rows.length} device report${rows.length === 1 ? '' : 's'}.`,
        limit,
        compact: narrow.matches,
      }),
      h('p', { class: 'hint' }, 'Each step is a device’s latest usage report; the dashed line is the pool quantity.'),
      h('details', {}, h('summary', {}, 'Chart data as a table'),
        table([
          { label: 'Reported', cell: (r) => timeEl(new Date(r.t).toISOString()) },
          { label: 'Device', cell: (r) => r.host || '—' },
          { label: 'Count', cell: (r) => String(r.v), class: 'num' },
        ], rows, { label: 'Usage reports' })));
  };
  tagSel.addEventListener('change', () => { sel.tag = tagSel.value; draw(); });
  // Redrawn when the window crosses the narrow layout's width (while this chart is on the page).
  const onWidth = () => { if (box.isConnected) draw(); else narrow.removeEventListener('change', onWidth); };
  narrow.addEventListener('change', onWidth);
  draw();
  return h('div', {}, h('div', { class: 'toolbar' }, field('License', tagSel)), box);
}

// Admin: add smart accounts, virtual accounts and license pools (POST /api/v1/admin/accounts…).
function adminForms(accounts) {
  const mk = (title, id, fields, submit) => {
    const err = h('p', { class: 'message', role: 'alert' });
    const form = h('form', { class: 'panel', id, novalidate: true }, h('h3', {}, title), err,
      h('div', { class: 'form-grid' }, fields), h('div', { class: 'form-buttons' }, h('button', { type: 'submit' }, title)));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      try {
        await submit();
        toast(`${title}: done.`);
        location.hash = '#/licenses';
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } catch (e) {
        err.textContent = e.message;
      }
    });
    return form;
  };
  const acctName = h('input', { type: 'text', id: 'new-account-name', autocomplete: 'off' });
  const acctDomain = h('input', { type: 'text', id: 'new-account-domain', autocomplete: 'off' });
  const vaAcct = h('input', { type: 'text', id: 'new-va-account', autocomplete: 'off', value: sel.account });
  const vaName = h('input', { type: 'text', id: 'new-va-name', autocomplete: 'off' });
  const pAcct = h('input', { type: 'text', id: 'new-pool-account', autocomplete: 'off', value: sel.account });
  const pVa = h('input', { type: 'text', id: 'new-pool-va', autocomplete: 'off' });
  const pTag = h('input', { type: 'text', id: 'new-pool-tag', autocomplete: 'off' });
  const pQty = h('input', { type: 'number', id: 'new-pool-qty', min: 0, step: 1, value: '10' });
  const pEnds = h('input', { type: 'date', id: 'new-pool-ends' });
  const enc = encodeURIComponent;
  return h('details', { class: 'admin-forms' }, h('summary', {}, 'Add smart accounts, virtual accounts and license pools'),
    mk('Add smart account', 'form-add-account', [field('Name', acctName), field('Domain', acctDomain)],
      () => api('POST', '/api/v1/admin/accounts', { name: acctName.value.trim(), domain: acctDomain.value.trim() })),
    mk('Add virtual account', 'form-add-va', [field('Smart account', vaAcct), field('Virtual account name', vaName)],
      () => api('POST', `/api/v1/admin/accounts/${enc(vaAcct.value.trim())}/virtual-accounts`, { name: vaName.value.trim() })),
    mk('Add license pool', 'form-add-pool', [field('Smart account', pAcct), field('Virtual account', pVa), field('License tag', pTag),
      field('Quantity', pQty), field('End date', pEnds, 'Optional: a term license')],
    () => {
      const b = { tag: pTag.value.trim(), quantity: Number.parseInt(pQty.value, 10) };
      if (pEnds.value) b.ends = pEnds.value;
      return api('POST', `/api/v1/admin/accounts/${enc(pAcct.value.trim())}/virtual-accounts/${enc(pVa.value.trim())}/licenses`, b);
    }));
}
