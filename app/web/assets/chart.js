// Small SVG charts for the statistics page, drawn here (no library, nothing fetched). Each
// chart is an image with a text alternative, and its numbers are also in a table below it.

import {s} from './dom.js';

// Bars per day. series: [{label, values, class}] stacked side by side; format(v) for the
// axis. Returns an <svg>.
export function bar_chart({title, days, series, format = String}) {
  const width = 640;
  const height = 220;
  const left = 56;
  const bottom = 28;
  const top = 12;
  const plot_w = width - left - 8;
  const plot_h = height - top - bottom;
  const max = Math.max(1, ...series.flatMap((x) => x.values));
  const step = plot_w / Math.max(1, days.length);
  const bar_w = Math.max(1, (step * 0.8) / series.length);
  const y = (v) => top + plot_h - (v / max) * plot_h;
  const total = series.map((x) => `${x.label} ${format(x.values.reduce((a, b) => a + b, 0))}`);
  const label = `${title}, ${days[0]} to ${days[days.length - 1]}: ${total.join('; ')}.`;
  const ticks = [0, 0.5, 1].map((f) => max * f);
  const label_every = Math.ceil(days.length / 8);
  return s('svg', {viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label,
    class: 'chart'},
  s('title', {}, label),
  ticks.map((t) => s('g', {class: 'grid'},
    s('line', {x1: left, x2: width - 8, y1: y(t), y2: y(t)}),
    s('text', {x: left - 6, y: y(t) + 4, 'text-anchor': 'end'}, format(Math.round(t))))),
  series.map((x, si) => x.values.map((v, i) => s('rect', {
    class: x.class, x: left + i * step + step * 0.1 + si * bar_w, y: y(v), width: bar_w,
    height: Math.max(0, top + plot_h - y(v))}, s('title', {}, `${days[i]}: ${x.label} ${format(v)}`)))),
  days.map((d, i) => (i % label_every === 0 ? s('text', {class: 'axis', x: left + i * step +
    step / 2, y: height - 8, 'text-anchor': 'middle'}, d.slice(5)) : null)));
}

// A legend for a chart's series.
export function legend(series) {
  return s('svg', {class: 'legend', viewBox: `0 0 ${series.length * 150} 20`, 'aria-hidden': 'true'},
    series.map((x, i) => s('g', {}, s('rect', {class: x.class, x: i * 150, y: 4, width: 12,
      height: 12}), s('text', {x: i * 150 + 18, y: 15}, x.label))));
}
