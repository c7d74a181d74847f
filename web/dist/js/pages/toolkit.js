// API Tool Kit: the grants managers and satellites authenticate with, and the console switch.
import { api } from '../api.js';
import { h, field, table, fmtDate, timeEl, toast, dialog, confirm, copyText, errorNotice, uid } from '../ui.js';
import { accountsInput, accountsValue, accountsEditor } from '../accounts.js';

const TYPE_LABEL = { resource_owner: 'Resource Owner Grant', client_credentials: 'Client Credentials Grant' };
let search = '';

// The API answers the day the grant stops working; it stops at 00:00 UTC that day.
function expiresText(d) {
  return d ? `${fmtDate(d)}, 00:00 UTC` : 'Never';
}

export async function render(root, ctx) {
  root.append(h('h1', {}, 'API Tool Kit'),
    h('p', { class: 'muted' },
      'Grants let managers and satellites obtain tokens from this server. A manager that signs in with a ',
      'user name and password (on-prem mode) needs a Resource Owner Grant; a satellite or a service needs a ',
      'Client Credentials Grant.'));

  const consoleBox = h('div', { class: 'panel', id: 'console-panel' });
  const listBox = h('div', { id: 'grant-list' });
  const searchInput = h('input', { type: 'search', id: 'grant-search', name: 'search', value: search, autocomplete: 'off' });
  const searchForm = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Grants',
    onsubmit: (ev) => { ev.preventDefault(); search = searchInput.value.trim(); loadGrants(listBox, ctx); } },
  h('div', { class: 'field grow' }, h('label', { for: 'grant-search' }, 'Search grants by name'), searchInput),
  h('button', { type: 'submit', class: 'secondary' }, 'Search'),
  h('button', { type: 'button', class: 'secondary', onclick: () => { searchInput.value = ''; search = ''; loadGrants(listBox, ctx); } }, 'Clear'));
  let debounce = 0;
  searchInput.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { search = searchInput.value.trim(); loadGrants(listBox, ctx); }, 250);
  });

  root.append(consoleBox,
    h('h2', {}, 'Grants'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'create-resource-owner', onclick: () => createGrant('resource_owner', listBox, ctx) },
        'Create Resource Owner Grant'),
      h('button', { type: 'button', id: 'create-client-credentials', class: 'secondary', onclick: () => createGrant('client_credentials', listBox, ctx) },
        'Create Client Credentials Grant')),
    searchForm, listBox);

  await Promise.all([loadConsole(consoleBox), loadGrants(listBox, ctx)]);
}

async function loadConsole(box) {
  let enabled;
  try {
    enabled = (await api('GET', '/api/v1/admin/console')).enabled;
  } catch (e) {
    box.replaceChildren(errorNotice(e, 'The API console setting could not be read'));
    return;
  }
  const state = h('span', { class: 'switch-state', id: 'console-state', 'aria-live': 'polite' }, enabled ? 'On' : 'Off');
  const input = h('input', { type: 'checkbox', id: 'console-enabled', role: 'switch', checked: enabled,
    'aria-describedby': 'console-help' });
  input.addEventListener('change', async () => {
    const want = input.checked;
    input.disabled = true;
    try {
      const r = await api('PUT', '/api/v1/admin/console', { enabled: want });
      input.checked = r.enabled;
      state.textContent = r.enabled ? 'On' : 'Off';
      toast(r.enabled ? 'API console enabled: grants can obtain tokens.' : 'API console disabled: grants are refused tokens until it is enabled again.');
    } catch (e) {
      input.checked = !want;
      toast(`The API console could not be changed: ${e.message}`, 'error');
    } finally {
      input.disabled = false;
      input.focus();
    }
  });
  box.replaceChildren(
    h('label', { class: 'switch', for: 'console-enabled' }, input, 'API Console Enabled', state),
    h('p', { class: 'hint', id: 'console-help' },
      'When off, every grant on this page is refused tokens (403 access_denied); signing in to this workspace still works.'));
}

let loadSeq = 0;

async function loadGrants(box, ctx) {
  const mine = ++loadSeq;
  let data;
  try {
    data = await api('GET', `/api/v1/admin/grants${search ? `?search=${encodeURIComponent(search)}` : ''}`);
  } catch (e) {
    if (mine === loadSeq) box.replaceChildren(errorNotice(e, 'The grants could not be listed'));
    return;
  }
  if (!ctx.isCurrent() || mine !== loadSeq) return; // a newer search is on its way
  const grants = data.grants || [];
  const caption = search ? `${grants.length} grant${grants.length === 1 ? '' : 's'} matching “${search}”` : `${grants.length} grant${grants.length === 1 ? '' : 's'}`;
  box.replaceChildren(table([
    { label: 'Name', cell: (g) => h('strong', {}, g.name) },
    { label: 'Creation Date', cell: (g) => timeEl(g.created_at, fmtDate(g.created_at)) },
    { label: 'Type', cell: (g) => g.type_label || TYPE_LABEL[g.type] || g.type },
    { label: 'Description', cell: (g) => g.description || '—', class: 'wrap' },
    { label: 'Client ID', cell: (g) => h('code', { class: 'client-id' }, g.client_id) },
    { label: 'Expires', cell: (g) => expiresText(g.expires) },
    { label: 'Accounts', cell: (g) => accountsEditor(g, `/api/v1/admin/grants/${encodeURIComponent(g.name)}`, `Smart accounts of grant ${g.name}`) },
    { label: 'Actions', cell: (g) => h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary small', 'data-action': 'regenerate', 'aria-label': `Regenerate secret of ${g.name}`,
        onclick: () => regenerate(g, box, ctx) }, 'Regenerate secret'),
      h('button', { type: 'button', class: 'danger small', 'data-action': 'delete', 'aria-label': `Delete grant ${g.name}`,
        onclick: () => remove(g, box, ctx) }, 'Delete')) },
  ], grants, {
    caption,
    label: 'Grants',
    empty: search ? `No grant name contains “${search}”.` : 'No grants yet. Create one for each manager or satellite.',
  }));
  box.querySelectorAll('tbody tr').forEach((tr, i) => tr.setAttribute('data-grant', grants[i].name));
}

async function createGrant(type, listBox, ctx) {
  const name = h('input', { type: 'text', id: 'grant-name', name: 'name', required: true, maxlength: 128, autocomplete: 'off' });
  const desc = h('input', { type: 'text', id: 'grant-description', name: 'description', maxlength: 512, autocomplete: 'off' });
  const expires = h('input', { type: 'date', id: 'grant-expires', name: 'expires' });
  const accounts = accountsInput('grant-accounts');
  const err = h('p', { class: 'message', role: 'alert', id: 'grant-error' });
  const titleId = uid('dlg');
  const d = h('dialog', { 'aria-labelledby': titleId, id: 'grant-dialog' });
  const form = h('form', { class: 'dialog-body', novalidate: true },
    h('h2', { id: titleId }, `Create ${TYPE_LABEL[type]}`),
    err,
    field('Name', name, 'Unique; managers are configured with the client ID, not the name.'),
    field('Description', desc),
    field('Expiration date', expires, 'Optional. The grant works through the end of this day (UTC).'),
    field('Smart accounts', accounts, 'Empty for every account, or names separated by commas. Its tokens reach these accounts and no more than their user does.'),
    h('div', { class: 'form-buttons' },
      h('button', { type: 'submit', id: 'grant-save' }, 'Save'),
      h('button', { type: 'button', class: 'secondary', onclick: () => d.close() }, 'Cancel')));
  d.append(form);
  const opener = document.activeElement;
  d.addEventListener('close', () => { d.remove(); if (opener && opener.isConnected) opener.focus(); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    name.removeAttribute('aria-invalid');
    if (!name.value.trim()) {
      err.textContent = 'Enter a name for the grant.';
      name.setAttribute('aria-invalid', 'true');
      name.focus();
      return;
    }
    const body = { name: name.value.trim(), type, description: desc.value.trim() };
    if (expires.value) body.expires = expires.value;
    if (accountsValue(accounts)) body.accounts = accountsValue(accounts);
    try {
      const g = await api('POST', '/api/v1/admin/grants', body);
      d.close();
      await loadGrants(listBox, ctx);
      await showSecret(g, `${TYPE_LABEL[type]} “${g.name}” created`);
    } catch (e) {
      err.textContent = e.message;
      if (/name/i.test(e.message)) { name.setAttribute('aria-invalid', 'true'); name.focus(); }
    }
  });
  document.body.append(d);
  d.showModal();
  name.focus();
}

function secretRow(label, value, id) {
  const input = h('input', { type: 'text', id, readonly: true, value, spellcheck: 'false' });
  const btn = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Copy ${label}`, 'data-copy': id,
    onclick: async () => {
      const ok = await copyText(value, input);
      btn.textContent = ok ? 'Copied' : 'Select and copy';
      toast(ok ? `${label} copied to the clipboard.` : `Copying failed: select the ${label} and copy it.`, ok ? 'info' : 'error');
      setTimeout(() => { btn.textContent = 'Copy'; }, 2500);
    } }, 'Copy');
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('div', { class: 'secret-row' }, input, btn));
}

async function showSecret(g, title) {
  await dialog({
    title,
    body: h('div', { id: 'secret-panel', 'data-grant': g.name },
      h('p', { class: 'notice' }, 'Copy the client secret now: it is shown only this once and cannot be retrieved later. ',
        'If it is lost, regenerate it (the old secret stops working).'),
      secretRow('Client ID', g.client_id, 'new-client-id'),
      secretRow('Client Secret', g.client_secret, 'new-client-secret'),
      h('p', { class: 'hint' }, g.expires ? `Expires ${expiresText(g.expires)}.` : 'Does not expire.')),
    buttons: [{ label: 'Done', value: 'done', autofocus: false, class: undefined }],
  });
}

async function regenerate(g, box, ctx) {
  const ok = await confirm(`Regenerate the secret of “${g.name}”?`,
    'A new client secret is issued; the current secret and the tokens issued with it stop working at once. Every manager or satellite using this grant must be given the new secret.',
    'Regenerate secret');
  if (!ok) return;
  try {
    const r = await api('POST', `/api/v1/admin/grants/${encodeURIComponent(g.name)}/regenerate-secret`);
    await showSecret(r, `New secret for “${g.name}”`);
  } catch (e) {
    toast(`The secret could not be regenerated: ${e.message}`, 'error');
  }
  if (ctx.isCurrent()) await loadGrants(box, ctx);
}

async function remove(g, box, ctx) {
  const ok = await confirm(`Delete grant “${g.name}”?`,
    `Client ID ${g.client_id} will no longer obtain tokens, and tokens it holds are revoked. This cannot be undone.`,
    'Delete grant');
  if (!ok) return;
  try {
    await api('DELETE', `/api/v1/admin/grants/${encodeURIComponent(g.name)}`);
    toast(`Grant “${g.name}” deleted.`);
  } catch (e) {
    toast(`The grant could not be deleted: ${e.message}`, 'error');
  }
  if (ctx.isCurrent()) {
    await loadGrants(box, ctx);
    const first = box.querySelector('button, [tabindex]');
    if (first) first.focus(); else document.getElementById('create-resource-owner')?.focus();
  }
}
