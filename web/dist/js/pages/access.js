// Access Management: the users who sign in here and with `licsat admin`, their roles and locks.
import { api, currentUser } from '../api.js';
import { h, field, table, timeEl, toast, confirm, errorNotice } from '../ui.js';
import { accountsInput, accountsValue, accountsEditor } from '../accounts.js';

const ROLES = [
  ['admin', 'Admin: everything, including grants and users'],
  ['operator', 'Operator: reads licenses, reports usage'],
  ['viewer', 'Viewer: reads licenses'],
];

export async function render(root, ctx) {
  const listBox = h('div', { id: 'user-list' });
  root.append(h('h1', {}, 'Access Management'),
    h('p', { class: 'muted' }, 'Users sign in to this workspace, to licsat admin and, through a Resource Owner Grant, from managers. ',
      'A user is locked for a while after repeated failed logins; unlock ends the lock at once.'),
    addUserForm(listBox, ctx),
    h('h2', {}, 'Users'),
    listBox);
  await loadUsers(listBox, ctx);
}

function addUserForm(listBox, ctx) {
  const name = h('input', { type: 'text', id: 'user-name', name: 'name', autocomplete: 'off', required: true, maxlength: 64 });
  const role = h('select', { id: 'user-role', name: 'role' }, ROLES.map(([v, l]) => h('option', { value: v }, l)));
  role.value = 'viewer';
  const pw = h('input', { type: 'password', id: 'user-password', name: 'password', autocomplete: 'new-password', required: true });
  const pw2 = h('input', { type: 'password', id: 'user-password2', name: 'password2', autocomplete: 'new-password', required: true });
  const accounts = accountsInput('user-accounts');
  const err = h('p', { class: 'message', role: 'alert' });
  const form = h('form', { class: 'panel', id: 'add-user-form', novalidate: true, 'aria-labelledby': 'add-user-title' },
    h('h2', { id: 'add-user-title' }, 'Add a user'),
    err,
    h('div', { class: 'form-grid' },
      field('User name', name),
      field('Role', role),
      field('Password', pw, 'The server enforces its password rules.'),
      field('Repeat password', pw2),
      field('Smart accounts', accounts, 'Empty for every account, or names separated by commas.')),
    h('div', { class: 'form-buttons' }, h('button', { type: 'submit' }, 'Add user')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    for (const i of [name, pw, pw2]) i.removeAttribute('aria-invalid');
    const bad = (input, text) => { err.textContent = text; input.setAttribute('aria-invalid', 'true'); input.focus(); };
    if (!name.value.trim()) return bad(name, 'Enter a user name.');
    if (!pw.value) return bad(pw, 'Enter a password.');
    if (pw.value !== pw2.value) return bad(pw2, 'The two passwords differ.');
    try {
      const u = await api('POST', '/api/v1/admin/users', { name: name.value.trim(), role: role.value, password: pw.value,
        accounts: accountsValue(accounts) });
      toast(`User “${u.name}” added with the ${u.role} role.`);
      form.reset();
      role.value = 'viewer';
      await loadUsers(listBox, ctx);
      name.focus();
    } catch (e) {
      err.textContent = e.message;
      pw.value = '';
      pw2.value = '';
    }
  });
  return form;
}

async function loadUsers(box, ctx) {
  let data;
  try {
    data = await api('GET', '/api/v1/admin/users');
  } catch (e) {
    box.replaceChildren(errorNotice(e, 'The users could not be listed'));
    return;
  }
  if (!ctx.isCurrent()) return;
  const me = currentUser();
  const users = data.users || [];
  box.replaceChildren(table([
    { label: 'User', cell: (u) => h('strong', {}, u.name, u.name === me.name ? ' (you)' : '') },
    { label: 'Role', cell: (u) => roleSelect(u, box, ctx) },
    { label: 'Accounts', cell: (u) => accountsEditor(u, `/api/v1/admin/users/${encodeURIComponent(u.name)}`, `Smart accounts of ${u.name}`) },
    { label: 'Status', cell: (u) => (u.locked
      ? h('span', {}, h('span', { class: 'badge bad' }, 'Locked'), u.locked_until ? h('span', {}, ' until ', timeEl(u.locked_until)) : null)
      : h('span', { class: 'badge ok' }, 'Active')) },
    { label: 'Failed logins', cell: (u) => String(u.failed_logins ?? 0), class: 'num' },
    { label: 'Created', cell: (u) => h('span', {}, timeEl(u.created_at), u.created_by ? ` by ${u.created_by}` : '') },
    { label: 'Actions', cell: (u) => h('div', { class: 'actions' },
      u.locked
        ? h('button', { type: 'button', class: 'secondary small', 'data-action': 'unlock', 'aria-label': `Unlock ${u.name}`, onclick: () => setLock(u, false, box, ctx) }, 'Unlock')
        : h('button', { type: 'button', class: 'secondary small', 'data-action': 'lock', 'aria-label': `Lock ${u.name}`, disabled: u.name === me.name, onclick: () => setLock(u, true, box, ctx) }, 'Lock'),
      h('button', { type: 'button', class: 'danger small', 'data-action': 'delete', 'aria-label': `Delete user ${u.name}`, disabled: u.name === me.name, onclick: () => remove(u, box, ctx) }, 'Delete')) },
  ], users, { caption: `${users.length} user${users.length === 1 ? '' : 's'}`, label: 'Users' }));
  box.querySelectorAll('tbody tr').forEach((tr, i) => tr.setAttribute('data-user', users[i].name));
}

function roleSelect(u, box, ctx) {
  const sel = h('select', { 'aria-label': `Role of ${u.name}`, 'data-user-role': u.name },
    ROLES.map(([v]) => h('option', { value: v }, v)));
  sel.value = u.role;
  sel.addEventListener('change', async () => {
    const want = sel.value;
    try {
      await api('PATCH', `/api/v1/admin/users/${encodeURIComponent(u.name)}`, { role: want });
      toast(`${u.name} now has the ${want} role.`);
      u.role = want;
    } catch (e) {
      sel.value = u.role;
      toast(`The role could not be changed: ${e.message}`, 'error');
    }
  });
  return sel;
}

async function setLock(u, lock, box, ctx) {
  if (lock && !(await confirm(`Lock ${u.name}?`, `${u.name} will not be able to sign in, and managers using this user's credentials will fail, until unlocked.`, 'Lock user'))) return;
  try {
    await api('POST', `/api/v1/admin/users/${encodeURIComponent(u.name)}/${lock ? 'lock' : 'unlock'}`);
    toast(lock ? `${u.name} is locked.` : `${u.name} is unlocked.`);
  } catch (e) {
    toast(`${u.name} could not be ${lock ? 'locked' : 'unlocked'}: ${e.message}`, 'error');
  }
  if (!ctx.isCurrent()) return;
  await loadUsers(box, ctx);
  box.querySelector(`tr[data-user="${CSS.escape(u.name)}"] button[data-action="${lock ? 'unlock' : 'lock'}"]`)?.focus();
}

async function remove(u, box, ctx) {
  if (!(await confirm(`Delete user ${u.name}?`, 'The user can no longer sign in. This cannot be undone.', 'Delete user'))) return;
  try {
    await api('DELETE', `/api/v1/admin/users/${encodeURIComponent(u.name)}`);
    toast(`User ${u.name} deleted.`);
  } catch (e) {
    toast(`${u.name} could not be deleted: ${e.message}`, 'error');
  }
  if (ctx.isCurrent()) await loadUsers(box, ctx);
}
