// dom.js: building the page. Everything shown is made with h(), which
// sets text as text (never as HTML), so that nothing the API returns can
// inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

// h makes an element: h('a', {href: '#/'}, 'Clusters'). A tag starting
// with "svg:" makes an SVG element. Attributes named on* add listeners;
// null, undefined and false attributes and children are left out.
export function h(tag, attrs, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS(SVG_NS, tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// replace puts nodes in container in place of what it holds, keeping the
// keyboard focus on the element with the same data-key, if any: a live
// refresh must not throw a keyboard user back to the top of the page.
export function replace(container, ...nodes) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.getAttribute('data-key') : null;
  container.replaceChildren(...nodes.flat(Infinity).filter((n) => n != null && n !== false));
  if (key) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again && !again.disabled) again.focus();
  }
  tick();
}

// toDate reads an API timestamp: epoch seconds (ECS) or RFC 3339
// (cutover's own operations and events).
export function toDate(v) {
  if (v == null || v === '') return null;
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

const pad = (n) => String(n).padStart(2, '0');

// fmtTime renders a time, local, to the second.
export function fmtTime(v) {
  const d = toDate(v);
  if (!d) return '—';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// time renders a <time> element.
export function time(v) {
  const d = toDate(v);
  return d ? h('time', {datetime: d.toISOString()}, fmtTime(d)) : '—';
}

// fmtDuration renders milliseconds for people: "2h 05m", "4m 12s", "9s".
export function fmtDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${pad(hr)}h`;
  if (hr > 0) return `${hr}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(sec)}s`;
  return `${sec}s`;
}

// since is a live-ticking span of the time elapsed since v.
export function since(v) {
  const d = toDate(v);
  if (!d) return '—';
  return h('span', {'data-since': d.toISOString(), class: 'ticking'}, fmtDuration(Date.now() - d));
}

// until is a live-ticking countdown to v.
export function until(v) {
  const d = toDate(v);
  if (!d) return '—';
  return h('span', {'data-until': d.toISOString(), class: 'ticking'}, fmtDuration(d - Date.now()));
}

// tick updates every live-ticking span of the page.
export function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll('[data-since]')) {
    el.textContent = fmtDuration(now - new Date(el.getAttribute('data-since')));
  }
  for (const el of document.querySelectorAll('[data-until]')) {
    el.textContent = fmtDuration(new Date(el.getAttribute('data-until')) - now);
  }
}

// table makes a table with a caption, column headers and one row per
// item; row returns the cells of an item (the first becomes a row
// header).
export function table(caption, headers, items, row, empty = 'None.') {
  if (!items.length) return h('p', {class: 'empty'}, empty);
  return h('div', {class: 'table-wrap'},
    h('table', {},
      h('caption', {class: caption.hidden ? 'visually-hidden' : null}, caption.text ?? caption),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, items.map((it) => {
        const cells = row(it);
        return h('tr', {}, cells.map((c, i) => i === 0 ? h('th', {scope: 'row'}, c) : h('td', {}, c)));
      }))));
}

// badge shows a status with a class for its colour.
export function badge(status, attrs = {}) {
  const s = status || 'UNKNOWN';
  return h('span', {...attrs, class: `badge badge-${s.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`}, s);
}

// dl makes a description list from [term, description] pairs, leaving
// out those without a description.
export function dl(pairs) {
  return h('dl', {class: 'facts'}, pairs.filter(([, v]) => v != null && v !== '' && v !== false)
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// section makes a titled region.
export function section(id, title, ...children) {
  return h('section', {'aria-labelledby': id}, h('h2', {id}, title), ...children);
}

// showError puts an API error in the alert region, with a way to dismiss
// it.
export function showError(err, doing) {
  const alerts = document.getElementById('alerts');
  const type = err && err.type ? err.type : 'Error';
  const msg = err && err.message ? err.message : String(err);
  const box = h('div', {class: 'alert'},
    h('p', {}, doing ? `${doing} failed: ` : '', h('strong', {class: 'error-type'}, type), ': ', h('span', {class: 'error-message'}, msg)),
    h('button', {type: 'button', class: 'link', onclick: () => box.remove()}, 'Dismiss'));
  alerts.append(box);
}

// clearErrors empties the alert region.
export function clearErrors() {
  document.getElementById('alerts').replaceChildren();
}

// announce says something to screen readers through the polite live
// region.
export function announce(text) {
  const live = document.getElementById('live');
  if (live.textContent !== text) live.textContent = text;
}

// debounce returns fn delayed until calls stop for ms.
export function debounce(fn, ms) {
  let timer = null;
  const d = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(); }, ms);
  };
  d.cancel = () => clearTimeout(timer);
  return d;
}

// lastPart returns what follows the last slash of an ARN.
export function lastPart(arn) {
  return arn ? String(arn).slice(String(arn).lastIndexOf('/') + 1) : '';
}

// targetGroupName returns NAME of a target group ARN
// (...:targetgroup/NAME/ID).
export function targetGroupName(arn) {
  const m = /targetgroup\/([^/]+)\//.exec(arn || '');
  return m ? m[1] : (arn || '—');
}

// actorText names an audit record's actor as the server does:
// "alice (dashboard AKID…)".
export function actorText(a) {
  if (!a) return 'unknown';
  const id = a.id ? `${a.kind} ${a.id}` : a.kind;
  return a.name && a.name !== a.id ? `${a.name} (${id})` : id;
}

// Links of the dashboard's routes.
export const links = {
  clusters: () => '#/',
  cluster: (c) => `#/clusters/${encodeURIComponent(c)}`,
  service: (c, s) => `#/clusters/${encodeURIComponent(c)}/services/${encodeURIComponent(s)}`,
  deployment: (arn) => `#/deployments/${encodeURIComponent(arn)}`,
};
