// Building the DOM without innerHTML: every text a server or a user gave us goes in as text,
// so a file called "<img onerror=...>" stays a name (and the CSP forbids inline script anyway).

// h('button', {class: 'primary', onclick: fn, 'aria-label': 'Close'}, 'text', child, ...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' || key === 'checked' || key === 'selected') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

const svg_ns = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(svg_ns, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// An input with its visible label; returns the wrapper (label + input + hint).
export function field(label, input, hint) {
  const id = input.id || (input.id = unique_id(input.name || 'field'));
  const hint_el = hint ? h('p', {class: 'hint', id: `${id}-hint`}, hint) : null;
  if (hint_el) input.setAttribute('aria-describedby', hint_el.id);
  return h('div', {class: 'field'}, h('label', {for: id}, label), input, hint_el);
}

let next_id = 0;
export function unique_id(prefix) {
  next_id += 1;
  return `${prefix}-${next_id}`;
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
export function format_bytes(n) {
  if (n === null || n === undefined) return '—';
  let value = Number(n);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export function format_time(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, {dateStyle: 'medium', timeStyle: 'short'});
}

// A <time> element: the local rendering, the exact instant as its datetime and tooltip.
export function time_el(iso) {
  if (!iso) return '—';
  return h('time', {datetime: iso, title: new Date(iso).toISOString()}, format_time(iso));
}

// "2 d 03:04:05" for a countdown; "0:00:00" once it is over.
export function format_countdown(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86400);
  const hms = [Math.floor(total / 3600) % 24, Math.floor(total / 60) % 60, total % 60]
    .map((v, i) => (i === 0 ? String(v) : String(v).padStart(2, '0')))
    .join(':');
  return days > 0 ? `${days} d ${hms.padStart(8, '0')}` : hms;
}

export function format_duration(seconds) {
  if (seconds === null || seconds === undefined) return 'never ends';
  const parts = [[86400 * 365, 'year'], [86400 * 30, 'month'], [86400, 'day'], [3600, 'hour'],
                 [60, 'minute'], [1, 'second']];
  for (const [size, name] of parts) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

export function format_money(cents, currency) {
  try {
    return new Intl.NumberFormat(undefined, {style: 'currency', currency}).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}
