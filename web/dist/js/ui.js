// Small DOM helpers. Everything is built with DOM calls (textContent, setAttribute): no
// innerHTML with data, no inline styles or handlers (the server's CSP forbids them anyway).

let idSeq = 0;
export function uid(prefix = 'id') { idSeq += 1; return `${prefix}-${idSeq}`; }

// h('button', { class: 'x', type: 'button', onclick: fn }, 'text', child, …)
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'value' && !svg) el.value = v;
    else if (k === 'checked' && !svg) el.checked = !!v;
    else if (k === 'style') throw new Error('inline styles are not allowed (CSP)');
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// A labelled field: <div class=field><label for=…>…</label><input id=…>[hint]</div>
export function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hid = uid('hint');
    control.setAttribute('aria-describedby', hid);
    parts.push(h('span', { class: 'hint', id: hid }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

// A table whose cells carry data-label (the narrow layout stacks rows as cards).
// columns: [{ label, cell: row => Node|string, class }]
export function table(columns, rows, { caption, empty = 'Nothing to show.', rowClass, label } = {}) {
  if (!rows.length) return h('p', { class: 'empty panel' }, empty);
  const head = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label))));
  const body = h('tbody', {}, rows.map((r) => h('tr', { class: rowClass ? rowClass(r) : undefined },
    columns.map((c) => h('td', { 'data-label': c.label, class: c.class }, c.cell(r))))));
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'stack', 'aria-label': label }, caption ? h('caption', {}, caption) : null, head, body));
}

export function fmtTime(iso, seconds = false) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined });
}

export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: '2-digit', timeZone: iso.length === 10 ? 'UTC' : undefined });
}

export function timeEl(iso, text) {
  return h('time', { datetime: iso || undefined, title: iso || undefined }, text || fmtTime(iso));
}

let toastTimer = 0;
export function clearToast() {
  clearTimeout(toastTimer);
  const t = document.getElementById('toast');
  if (t) t.textContent = '';
}

export function toast(message, kind = 'info') {
  const t = document.getElementById('toast');
  t.className = `toast ${kind === 'error' ? 'error' : ''}`;
  t.textContent = '';
  // A fresh text node so screen readers announce repeated messages.
  setTimeout(() => { t.textContent = message; }, 30);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.textContent = ''; }, kind === 'error' ? 12000 : 6000);
}

// A modal dialog; resolves with the value of the button pressed ('' on Escape).
// Focus moves into the dialog and returns to the opener when it closes.
export function dialog({ title, body, buttons, labelledBy }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = labelledBy || uid('dlg');
    const d = h('dialog', { 'aria-labelledby': titleId },
      h('div', { class: 'dialog-body' },
        h('h2', { id: titleId }, title),
        body,
        h('div', { class: 'form-buttons' }, buttons.map((b) => h('button', {
          type: 'button', class: b.class, value: b.value, 'data-autofocus': b.autofocus ? 'true' : undefined,
          onclick: () => { d.close(b.value); },
        }, b.label)))));
    d.addEventListener('close', () => {
      const v = d.returnValue;
      d.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(v || '');
    });
    d.addEventListener('cancel', () => { d.returnValue = ''; });
    document.body.append(d);
    d.showModal();
    const af = d.querySelector('[data-autofocus="true"]');
    if (af) af.focus();
  });
}

export async function confirm(title, message, confirmLabel, danger = true) {
  const v = await dialog({
    title,
    body: h('p', {}, message),
    buttons: [
      { label: 'Cancel', value: 'cancel', class: 'secondary', autofocus: true },
      { label: confirmLabel, value: 'ok', class: danger ? 'danger' : undefined },
    ],
  });
  return v === 'ok';
}

export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.focus();
      input.select();
      try { return document.execCommand('copy'); } catch { return false; }
    }
    return false;
  }
}

// A notice for an error from the API, with what the user can do about it.
export function errorNotice(e, what) {
  let text = `${what}: ${e.message}`;
  if (e.status === 403) text = `${what}: ${e.message} Sign in with a user that has the admin role.`;
  if (e.status === 404) text = `${what}: this server does not offer it (${e.message}).`;
  return h('div', { class: 'notice error', role: 'alert' }, text);
}

export function loading(main, title) {
  main.replaceChildren(h('h1', {}, title), h('p', { class: 'muted', role: 'status' }, 'Loading…'));
}

// Turns a value from <input type=datetime-local> (local time) into ISO 8601 UTC.
export function localToIso(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, class: 'visually-hidden' }, filename);
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
}
