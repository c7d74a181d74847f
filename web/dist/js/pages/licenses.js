// Licenses: smart accounts, virtual accounts and their license pools (quantity, in use,
// available, status), alerts, and a chart of a pool's usage over time. Reads the same licensing
// API the managers use (GET /api/v1/accounts, POST …/licenses, …/alerts) and the usage history
// the server records with each usage report (GET …/licenses/usage-history).
import { api, currentUser } from '../api.js';
import { h, field, table, fmtDate, fmtTime, toast, errorNotice } from '../ui.js';
import { stepChart } from '../chart.js';

const sel = { account: '', va: '', pool: '' }; // pool: virtual account, U+001F, tag (poolKey)
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
    if (!accounts.some((a) => a.accountName === sel.account)) { sel.account = accounts[0].accountName; sel.va = ''; sel.pool = ''; }
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
    acctSel.addEventListener('change', () => { sel.account = acctSel.value; sel.va = ''; sel.pool = ''; fillVas(); loadAccount(body, accounts, ctx); });
    vaSel.addEventListener('change', () => { sel.va = vaSel.value; sel.pool = ''; loadAccount(body, accounts, ctx); });
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
  const [lic, alerts] = await Promise.allSettled([
    api('POST', `/api/v1/accounts/${enc}/licenses`, { virtualAccounts: vaFilter, limit: -1, offset: 0 }),
    api('POST', `/api/v1/accounts/${enc}/alerts`, {}),
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
      { label: 'Source', cell: (l) => (l.source === 'upstream' ? 'Mirrored from the authority' : l.source === 'local' ? 'Local' : '—') },
      { label: 'Type / ends', cell: (l) => { const d = (l.licenseDetails || [])[0]; return d ? `${d.licenseType}${d.endDate ? `, ends ${fmtDate(d.endDate)}` : ''}` : '—'; } },
    ], pools, { caption: `${pools.length} license pool${pools.length === 1 ? '' : 's'}`, label: 'License pools', empty: 'No license pools in this selection.' }));
  }

  parts.push(h('h2', { id: 'usage-chart-title' }, 'Usage over time'));
  if (lic.status === 'fulfilled') parts.push(usageChart(enc, pools, ctx));
  body.replaceChildren(...parts);
}

const poolKey = (l) => `${l.virtualAccount}\u001f${l.tag}`;

// The chart of one pool's "in use" against its quantity over time, from the samples the server
// records with each usage report (one per pool and hour by default: the hour's last report),
// drawn on to now with today's figures. The same data is in a visually hidden table.
function usageChart(enc, pools, ctx) {
  if (!pools.length) return h('p', { class: 'panel' }, 'No license pools or usage in this selection yet.');
  if (!pools.some((l) => poolKey(l) === sel.pool)) sel.pool = poolKey(pools[0]);
  const poolSel = h('select', { id: 'lic-chart-pool' }, pools.map((l) => h('option', { value: poolKey(l) },
    `${l.license && l.license !== l.tag ? `${l.license} (${l.tag})` : l.tag} — ${l.virtualAccount}`)));
  poolSel.value = sel.pool;
  const box = h('div', { id: 'usage-chart' });
  let history = null; // the last answer, redrawn when the window crosses the narrow layout's width
  let seq = 0;
  const draw = () => {
    const line = pools.find((l) => poolKey(l) === sel.pool);
    if (!history || !line) return;
    const label = line.license && line.license !== line.tag ? line.license : line.tag;
    const samples = (history.points || []).map((p) => ({ t: Date.parse(p.at), at: p.at, inUse: p.inUse, quantity: p.quantity }))
      .filter((p) => !Number.isNaN(p.t)).sort((a, b) => a.t - b.t);
    if (!samples.length) {
      box.replaceChildren(h('p', { class: 'panel', id: 'usage-chart-empty' },
        `No usage of ${label} in ${line.virtualAccount} recorded yet. Each usage report adds a point.`));
      return;
    }
    const now = Math.max(Date.now(), samples[samples.length - 1].t);
    const title = (p) => `${fmtTime(p.at)}: ${p.inUse} in use of ${p.quantity}`;
    const inUse = samples.map((p) => ({ t: p.t, v: p.inUse, title: title(p) }));
    inUse.push({ t: now, v: Number(line.inUse) || 0, synthetic: true });
    const quantity = samples.map((p) => ({ t: p.t, v: p.quantity }));
    quantity.push({ t: now, v: Number(line.quantity) || 0, synthetic: true });
    const peak = samples.reduce((m, p) => (p.inUse > m.inUse ? p : m), samples[0]);
    const first = samples[0];
    const summary = `${samples.length} point${samples.length === 1 ? '' : 's'} from ${fmtTime(first.at)} to ${fmtTime(samples[samples.length - 1].at)}. `
      + `Now ${line.inUse} in use of ${line.quantity}; highest ${peak.inUse} in use (${fmtTime(peak.at)}).`;
    box.replaceChildren(
      stepChart([
        { label: 'In use', points: inUse },
        { label: 'Quantity', points: quantity, dashed: true, dots: false },
      ], {
        title: `Usage of ${label} in ${line.virtualAccount} over time: in use and quantity`,
        desc: summary,
        compact: narrow.matches,
      }),
      h('p', { class: 'hint' }, `Each dot is the pool’s usage at the last report of its ${bucketWords(history.bucketSeconds)}; the lines run on to now. `,
        'The data is also in a table for screen readers.'),
      h('div', { class: 'visually-hidden' }, h('table', { id: 'usage-chart-data' },
        h('caption', {}, `Usage of ${label} in ${line.virtualAccount} over time`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Reported'), h('th', { scope: 'col' }, 'In use'), h('th', { scope: 'col' }, 'Quantity'))),
        h('tbody', {}, samples.map((p) => h('tr', {}, h('td', {}, h('time', { datetime: p.at }, fmtTime(p.at))),
          h('td', {}, String(p.inUse)), h('td', {}, String(p.quantity))))))));
  };
  const load = async () => {
    const mine = ++seq;
    const line = pools.find((l) => poolKey(l) === sel.pool);
    history = null;
    box.replaceChildren(h('p', { class: 'muted', role: 'status' }, 'Loading the usage history…'));
    try {
      const q = new URLSearchParams({ virtualAccount: line.virtualAccount, tag: line.tag });
      const r = await api('GET', `/api/v1/accounts/${enc}/licenses/usage-history?${q}`);
      if (mine !== seq || !ctx.isCurrent()) return;
      history = r;
      draw();
    } catch (e) {
      if (mine !== seq) return;
      box.replaceChildren(errorNotice(e, 'The usage history could not be read'));
    }
  };
  poolSel.addEventListener('change', () => { sel.pool = poolSel.value; load(); });
  const onWidth = () => { if (box.isConnected) draw(); else narrow.removeEventListener('change', onWidth); };
  narrow.addEventListener('change', onWidth);
  load();
  return h('div', {}, h('div', { class: 'toolbar' }, field('License pool', poolSel)), box);
}

function bucketWords(seconds) {
  const s = Number(seconds) || 3600;
  if (s === 3600) return 'hour';
  if (s === 86400) return 'day';
  if (s % 3600 === 0) return `${s / 3600} hours`;
  if (s % 60 === 0) return s === 60 ? 'minute' : `${s / 60} minutes`;
  return s === 1 ? 'second' : `${s} seconds`;
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
