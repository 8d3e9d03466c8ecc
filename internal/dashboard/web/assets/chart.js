// chart.js: a line chart drawn as inline SVG, for the requests and 5xx
// answers of each target group over a deployment.

import {fmtTime, h} from './dom.js';

const W = 760;
const H = 240;
const PAD = {left: 52, right: 16, top: 14, bottom: 30};

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten.
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) {
    if (v <= m * p) return m * p;
  }
  return 10 * p;
}

// clock renders a time of day for an axis tick.
function clock(ms) {
  const s = fmtTime(new Date(ms));
  return s.slice(11);
}

// lineChart draws series over [start, end] (Dates):
//
//   series:  [{label, colour, dashed, points: [[epochSeconds, value], …]}]
//   markers: [{at: Date, label}] drawn as vertical rules (stage starts)
//   title:   the chart's accessible name
//
// Points are joined in time order; a period without a point is drawn
// at zero, so that a gap in traffic shows as one.
export function lineChart({series, markers = [], start, end, period, title}) {
  const t0 = start.getTime();
  const t1 = Math.max(end.getTime(), t0 + 1000);
  const maxV = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1]))));
  const x = (ms) => PAD.left + ((ms - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / maxV) * (H - PAD.top - PAD.bottom);

  const grid = [];
  for (let i = 0; i <= 4; i++) {
    const v = (maxV * i) / 4;
    grid.push(h('svg:line', {x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid'}));
    grid.push(h('svg:text', {x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis'}, formatCount(v)));
  }
  for (let i = 0; i <= 4; i++) {
    const ms = t0 + ((t1 - t0) * i) / 4;
    grid.push(h('svg:text', {x: x(ms), y: H - 8, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle', class: 'axis'}, clock(ms)));
  }
  const rules = markers.filter((m) => m.at.getTime() >= t0 && m.at.getTime() <= t1).map((m) =>
    h('svg:line', {x1: x(m.at.getTime()), x2: x(m.at.getTime()), y1: PAD.top, y2: H - PAD.bottom, class: 'marker'},
      h('svg:title', {}, `${m.label} at ${fmtTime(m.at)}`)));

  const lines = series.map((s) => {
    const pts = withZeros(s.points, period, t0 / 1000);
    if (!pts.length) return null;
    const d = pts.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t * 1000).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return h('svg:path', {d, fill: 'none', stroke: s.colour, 'stroke-width': s.dashed ? 2 : 2.5,
      'stroke-dasharray': s.dashed ? '6 4' : null, class: 'series'}, h('svg:title', {}, s.label));
  });

  return h('svg:svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title, preserveAspectRatio: 'xMidYMid meet'},
    h('svg:title', {}, title), grid, rules, lines);
}

// withZeros fills the periods without a point, from the start of the
// span to the last point, with zero. Periods after the last point are
// left out: their samples may not be collected yet.
function withZeros(points, period, from) {
  if (!period || !points.length) return points;
  const byT = new Map(points.map(([t, v]) => [t, v]));
  const first = points[0][0];
  const last = points[points.length - 1][0];
  const out = [];
  for (let t = first - Math.floor((first - from) / period) * period; t <= last; t += period) out.push([t, byT.get(t) ?? 0]);
  return out;
}

// formatCount renders an axis value.
function formatCount(v) {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

// legend lists the series with their line style.
export function legend(series) {
  return h('ul', {class: 'legend'}, series.map((s) => h('li', {},
    h('svg:svg', {width: 28, height: 10, 'aria-hidden': 'true'},
      h('svg:line', {x1: 0, x2: 28, y1: 5, y2: 5, stroke: s.colour, 'stroke-width': 3, 'stroke-dasharray': s.dashed ? '6 4' : null})),
    ' ', s.label)));
}
