// A small, dependency-free SVG step chart (time on x, a count on y) with an optional limit line.
// Accessible: role="img" with a <title> and <desc>; the caller also offers the data as a table.
import { h } from './ui.js';

const M = { top: 16, right: 20, bottom: 40, left: 44 };

function niceMax(v) {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmtTick(t, span) {
  const d = new Date(t);
  if (span < 2 * 3600e3) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (span < 2 * 86400e3) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

// series: [{ label, points: [{ t: ms, v: number, title?, synthetic? }], dashed?, dots? }] (points
// sorted by t; a synthetic point draws the line on without a dot; `title` is a dot's tooltip;
// dots: false draws none for the series)
// opts: { title, desc, limit: { value, label }, compact } — compact: a narrower drawing whose
// labels stay legible in a narrow window.
export function stepChart(series, opts = {}) {
  const W = opts.compact ? 380 : 720;
  const H = opts.compact ? 240 : 280;
  const xTicks = opts.compact ? 2 : 4;
  const all = series.flatMap((s) => s.points);
  const tMin = all.length ? Math.min(...all.map((p) => p.t)) : Date.now() - 86400e3;
  let tMax = all.length ? Math.max(...all.map((p) => p.t)) : Date.now();
  if (tMax - tMin < 60e3) tMax = tMin + 60e3;
  const vMax = niceMax(Math.max(1, ...all.map((p) => p.v), opts.limit ? opts.limit.value : 0));
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const x = (t) => M.left + ((t - tMin) / (tMax - tMin)) * iw;
  const y = (v) => M.top + ih - (v / vMax) * ih;

  const titleId = `chart-title-${Math.random().toString(36).slice(2, 8)}`;
  const descId = `${titleId}-d`;
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${titleId} ${descId}`, focusable: 'false' },
    h('svg:title', { id: titleId }, opts.title || 'Chart'),
    h('svg:desc', { id: descId }, opts.desc || ''));

  // Grid and y ticks
  for (let i = 0; i <= 5; i += 1) {
    const v = (vMax / 5) * i;
    const yy = y(v);
    svg.append(h('svg:line', { class: 'chart-grid', x1: M.left, x2: W - M.right, y1: yy, y2: yy }));
    svg.append(h('svg:text', { class: 'chart-label', x: M.left - 8, y: yy + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? String(v) : v.toFixed(1)));
  }
  // x ticks
  const span = tMax - tMin;
  for (let i = 0; i <= xTicks; i += 1) {
    const t = tMin + (span / xTicks) * i;
    const xx = x(t);
    svg.append(h('svg:line', { class: 'chart-axis', x1: xx, x2: xx, y1: M.top + ih, y2: M.top + ih + 5 }));
    svg.append(h('svg:text', { class: 'chart-label', x: xx, y: H - M.bottom + 20, 'text-anchor': i === 0 ? 'start' : i === xTicks ? 'end' : 'middle' }, fmtTick(t, span)));
  }
  svg.append(h('svg:line', { class: 'chart-axis', x1: M.left, x2: M.left, y1: M.top, y2: M.top + ih }));
  svg.append(h('svg:line', { class: 'chart-axis', x1: M.left, x2: W - M.right, y1: M.top + ih, y2: M.top + ih }));

  if (opts.limit) {
    const ly = y(opts.limit.value);
    svg.append(h('svg:line', { class: 'chart-limit', x1: M.left, x2: W - M.right, y1: ly, y2: ly }));
  }

  series.forEach((s, i) => {
    if (!s.points.length) return;
    const cls = `s${i % 5}`;
    // A synthetic last point ("now") runs the line to the right edge (the span is at least a minute).
    const last = s.points.length - 1;
    const at = (k) => (k === last && s.points[k].synthetic ? tMax : s.points[k].t);
    let d = `M${x(at(0)).toFixed(1)},${y(s.points[0].v).toFixed(1)}`;
    for (let k = 1; k < s.points.length; k += 1) {
      d += ` H${x(at(k)).toFixed(1)} V${y(s.points[k].v).toFixed(1)}`;
    }
    svg.append(h('svg:path', { class: `chart-line ${cls}${s.dashed ? ' dashed' : ''}`, d }));
    if (s.dots === false) return;
    for (const p of s.points.filter((q) => !q.synthetic)) {
      svg.append(h('svg:circle', { class: `chart-dot ${cls}`, cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3 },
        p.title ? h('svg:title', {}, p.title) : null));
    }
  });

  const legend = h('ul', { class: 'legend', 'aria-label': 'Legend' },
    series.map((s, i) => h('li', {}, h('span', { class: `swatch s${i % 5}${s.dashed ? ' dashed' : ''}`, 'aria-hidden': 'true' }), s.label)),
    opts.limit ? h('li', {}, h('span', { class: 'swatch limit', 'aria-hidden': 'true' }), opts.limit.label) : null);
  return h('div', { class: 'chart-box' }, svg, legend);
}
