// Event Log: who did what, from where, and why a failure failed.
import { api } from '../api.js';
import { h, field, table, timeEl, fmtTime, errorNotice, localToIso } from '../ui.js';

// Actions the server records (a datalist: any text can still be typed).
const KNOWN_ACTIONS = [
  'token.issue', 'token.refresh', 'token.revoke', 'api.auth', 'api.authorize',
  'grant.create', 'grant.regenerate_secret', 'grant.delete', 'console.enable', 'console.disable',
  'user.create', 'user.lock', 'user.unlock', 'user.delete', 'user.role', 'user.password',
  'account.create', 'account.update', 'account.delete', 'vaccount.create', 'vaccount.update', 'vaccount.delete',
  'license.create', 'license.update', 'license.delete', 'usage.report', 'token.registration.create', 'offline.answer',
];

// Kept for the session so returning to the page keeps the filters.
const state = { since: '', action: '', outcome: '', actor: '', limit: 25, offset: 0 };

export async function render(root, ctx) {
  const since = h('input', { type: 'datetime-local', id: 'ev-since', name: 'since', value: state.since, step: 1 });
  const action = h('input', { type: 'text', id: 'ev-action', name: 'action', value: state.action, list: 'ev-actions', autocomplete: 'off' });
  const outcome = h('select', { id: 'ev-outcome', name: 'outcome' },
    h('option', { value: '' }, 'Any'), h('option', { value: 'success' }, 'Success'), h('option', { value: 'failure' }, 'Failure'));
  outcome.value = state.outcome;
  const actor = h('input', { type: 'text', id: 'ev-actor', name: 'actor', value: state.actor, autocomplete: 'off' });
  const limit = h('select', { id: 'ev-limit', name: 'limit' }, [10, 25, 50, 100].map((n) => h('option', { value: String(n) }, String(n))));
  limit.value = String(state.limit);
  const list = h('div', { id: 'event-list', 'aria-live': 'polite', 'aria-busy': 'false' });

  const form = h('form', { class: 'panel', id: 'event-filters', 'aria-label': 'Event filters', novalidate: true },
    h('div', { class: 'form-grid' },
      field('Since (local time)', since),
      field('Action', action, 'e.g. token.issue'),
      field('Outcome', outcome),
      field('Actor', actor, 'User name or client ID'),
      field('Events per page', limit)),
    h('datalist', { id: 'ev-actions' }, KNOWN_ACTIONS.map((a) => h('option', { value: a }))),
    h('div', { class: 'form-buttons' },
      h('button', { type: 'submit', id: 'ev-apply' }, 'Apply filters'),
      h('button', { type: 'button', class: 'secondary', id: 'ev-reset', onclick: () => {
        since.value = ''; action.value = ''; outcome.value = ''; actor.value = ''; limit.value = '25';
        Object.assign(state, { since: '', action: '', outcome: '', actor: '', limit: 25, offset: 0 });
        load(list, ctx);
      } }, 'Reset'),
      h('button', { type: 'button', class: 'secondary', id: 'ev-refresh', onclick: () => load(list, ctx) }, 'Refresh')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    Object.assign(state, {
      since: since.value, action: action.value.trim(), outcome: outcome.value, actor: actor.value.trim(),
      limit: Number(limit.value) || 25, offset: 0,
    });
    load(list, ctx);
  });

  root.append(h('h1', {}, 'Event Log'),
    h('p', { class: 'muted' }, 'Every sign-in, token request, change and refusal, newest first. Refused token requests show the precise reason here; ',
      'the client itself only sees “Grant not found”.'),
    form, list);
  await load(list, ctx);
}

let loadSeq = 0;

async function load(list, ctx) {
  const mine = ++loadSeq;
  const q = new URLSearchParams();
  const sinceIso = localToIso(state.since);
  if (sinceIso) q.set('since', sinceIso);
  if (state.action) q.set('action', state.action);
  if (state.outcome) q.set('outcome', state.outcome);
  if (state.actor) q.set('actor', state.actor);
  q.set('limit', String(state.limit));
  q.set('offset', String(state.offset));
  list.setAttribute('aria-busy', 'true');
  let data;
  try {
    data = await api('GET', `/api/v1/admin/events?${q}`);
  } catch (e) {
    if (mine !== loadSeq) return;
    list.replaceChildren(errorNotice(e, 'The Event Log could not be read'));
    list.setAttribute('aria-busy', 'false');
    return;
  }
  if (!ctx.isCurrent() || mine !== loadSeq) return; // a newer query is on its way
  const events = data.events || [];
  const total = Number(data.total) || 0;
  const from = total ? state.offset + 1 : 0;
  const to = state.offset + events.length;
  const summary = total ? `Events ${from}–${to} of ${total}` : 'No events match these filters.';

  const prev = h('button', { type: 'button', class: 'secondary', id: 'ev-prev', disabled: state.offset === 0,
    onclick: () => { state.offset = Math.max(0, state.offset - state.limit); load(list, ctx).then(() => document.getElementById('ev-prev')?.focus()); } }, '← Newer');
  const next = h('button', { type: 'button', class: 'secondary', id: 'ev-next', disabled: to >= total,
    onclick: () => { state.offset += state.limit; load(list, ctx).then(() => document.getElementById('ev-next')?.focus()); } }, 'Older →');
  const pages = Math.max(1, Math.ceil(total / state.limit));
  const page = Math.floor(state.offset / state.limit) + 1;

  list.replaceChildren(
    h('div', { class: 'pager' }, h('span', { id: 'ev-summary' }, summary), total ? h('span', { class: 'muted' }, `page ${page} of ${pages}`) : null),
    table([
      { label: 'Time', cell: (e) => timeEl(e.time, fmtTime(e.time, true)) },
      { label: 'Actor', cell: (e) => h('span', { class: 'mono' }, e.actor || '—') },
      { label: 'Source IP', cell: (e) => h('span', { class: 'mono' }, e.source_ip || '—') },
      { label: 'Action', cell: (e) => h('span', { class: 'mono nowrap' }, e.action) },
      { label: 'Outcome', cell: (e) => (e.outcome === 'failure'
        ? h('span', { class: 'badge bad' }, 'Failure')
        : e.outcome === 'success' ? h('span', { class: 'badge ok' }, 'Success') : h('span', { class: 'badge neutral' }, e.outcome || '—')) },
      { label: 'Detail', class: 'wrap', cell: (e) => (e.outcome === 'failure'
        ? h('span', { class: 'reason' }, h('span', { class: 'visually-hidden' }, 'Reason: '), e.detail || 'no reason recorded')
        : e.detail || '') },
    ], events, {
      label: 'Events',
      empty: 'No events match these filters.',
      rowClass: (e) => (e.outcome === 'failure' ? 'failure' : undefined),
    }),
    h('nav', { class: 'pager', 'aria-label': 'Event Log pages' }, prev, next));
  list.querySelectorAll('tbody tr').forEach((tr, i) => tr.setAttribute('data-event-id', String(events[i].id)));
  list.dataset.query = q.toString(); // what is shown (tests wait on it)
  list.setAttribute('aria-busy', 'false');
}
