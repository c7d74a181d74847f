// Per-account access in the workspace: a user's or a grant's smart accounts, shown as "All
// accounts" or a comma-separated list, and edited as text ("all" or "acme, globex").
import { api } from './api.js';
import { h, toast } from './ui.js';

// The text of an `accounts` member: null means every account.
export function accountsText(rec) {
  return rec.accounts == null ? 'All accounts' : (rec.accounts.join(', ') || '(none)');
}

// The text input of a create form; empty means every account.
export function accountsInput(id) {
  return h('input', { type: 'text', id, name: 'accounts', autocomplete: 'off', placeholder: 'All accounts' });
}

// The request member for what was typed: nothing (every account, the default) when empty.
export function accountsValue(input) {
  const v = input.value.trim();
  return v ? v : undefined;
}

// An inline editor of one record's accounts; saves with PATCH `path` on change.
export function accountsEditor(rec, path, label) {
  const input = h('input', { type: 'text', class: 'accounts-edit', 'aria-label': label, 'data-accounts': rec.name,
    value: rec.accounts == null ? 'all' : rec.accounts.join(', ') });
  input.addEventListener('change', async () => {
    const want = input.value.trim() || 'all';
    try {
      const r = await api('PATCH', path, { accounts: want });
      rec.accounts = r.accounts;
      input.value = r.accounts == null ? 'all' : r.accounts.join(', ');
      toast(`Smart accounts of ${rec.name}: ${accountsText(r)}.`);
    } catch (e) {
      input.value = rec.accounts == null ? 'all' : rec.accounts.join(', ');
      toast(`The accounts could not be changed: ${e.message}`, 'error');
    }
  });
  return input;
}
