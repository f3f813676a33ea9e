// Renders a Grafana dashboard (its JSON model) from a Prometheus into one static HTML page:
// every panel at its gridPos, time series as SVG lines with legends, stats as their last
// value, in the panel's unit. Used by scripts/dashboard.sh snapshot, which photographs the
// page with chromium. Node's standard library only.
//
// usage: node render.mjs DASHBOARD.json PROMETHEUS_URL MINUTES OUT.html
// Prints the page height in pixels (for the screenshot window).

import fs from 'node:fs';

const [dashboard_path, prometheus, minutes_text, out] = process.argv.slice(2);
const dashboard = JSON.parse(fs.readFileSync(dashboard_path, 'utf8'));
const minutes = Number(minutes_text);
const end = Math.floor(Date.now() / 1000);
const start = end - minutes * 60;
const step = Math.max(5, Math.round((minutes * 60) / 240));
const width = 1600;
const margin = 16;
const row_px = 30;  // Grafana's grid row
const column_px = (width - 2 * margin) / 24;
const palette = ['#73bf69', '#f2cc0c', '#5794f2', '#ff9830', '#f2495c', '#b877d9', '#8ab8ff',
  '#96d98d', '#ffb357', '#ca95e5'];

// Dashboard variables at their "All" values; Grafana's own interval macro.
function expand(expr) {
  return expr.replaceAll('$__rate_interval', `${Math.max(4 * 5, step * 2)}s`)
    .replaceAll('$route', '.*');
}

async function query_range(expr) {
  const url = `${prometheus}/api/v1/query_range?` + new URLSearchParams({query: expand(expr),
    start, end, step});
  const res = await fetch(url);
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

function legend(format, metric) {
  if (!format) {
    const labels = Object.entries(metric).map(([k, v]) => `${k}="${v}"`).join(', ');
    return labels ? `{${labels}}` : 'value';
  }
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => metric[k] ?? '');
}

const byte_units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
function format(value, unit) {
  if (value === null || Number.isNaN(value)) return '–';
  const short = (v) => {
    const a = Math.abs(v);
    if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
    if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
    if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
    if (a === 0) return '0';
    return a >= 10 ? v.toFixed(0) : a >= 1 ? v.toFixed(1) : v.toPrecision(2);
  };
  switch (unit) {
    case 'percentunit': return `${(value * 100).toFixed(value < 0.01 && value > 0 ? 2 : 1)}%`;
    case 's': return value >= 1 ? `${value.toFixed(2)} s` : `${(value * 1000).toPrecision(3)} ms`;
    case 'bytes': case 'Bps': {
      let v = value;
      let i = 0;
      while (Math.abs(v) >= 1024 && i < byte_units.length - 1) { v /= 1024; i += 1; }
      return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${byte_units[i]}${unit === 'Bps' ? '/s' : ''}`;
    }
    case 'reqps': return `${short(value)} req/s`;
    case 'ops': return `${short(value)} ops/s`;
    case 'cps': return `${short(value)}/s`;
    default: return short(value);
  }
}

const escape = (text) => String(text).replace(/[&<>"]/g, (c) =>
  ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'})[c]);

function time_label(t) {
  const d = new Date(t * 1000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

function chart_svg(series, unit, w, h) {
  const left = 70;
  const bottom = 20;
  const plot_w = w - left - 10;
  const plot_h = h - bottom - 8;
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  let max = values.length ? Math.max(...values) : 1;
  let min = values.length ? Math.min(0, ...values) : 0;
  if (max === min) max = min + 1;
  const x = (t) => left + ((t - start) / (end - start)) * plot_w;
  const y = (v) => 8 + plot_h - ((v - min) / (max - min)) * plot_h;
  const parts = [];
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const v = min + (max - min) * f;
    parts.push(`<line x1="${left}" x2="${w - 10}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${escape(format(v, unit))}</text>`);
  }
  for (let i = 0; i <= 4; i += 1) {
    const t = start + ((end - start) * i) / 4;
    parts.push(`<text x="${x(t)}" y="${h - 4}" text-anchor="middle">${time_label(t)}</text>`);
  }
  series.forEach((s, i) => {
    const d = s.points.filter((p) => Number.isFinite(p[1]))
      .map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    if (d) parts.push(`<path d="${d}" stroke="${palette[i % palette.length]}" class="line"/>`);
  });
  return `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${parts.join('')}</svg>`;
}

async function panel_html(panel) {
  const box = panel.gridPos;
  const left = margin + box.x * column_px;
  const top = margin + 56 + box.y * row_px;
  const w = box.w * column_px - 8;
  const h = box.h * row_px - 8;
  const style = `left:${left}px;top:${top}px;width:${w}px;height:${h}px`;
  if (panel.type === 'row') {
    return `<h2 class="row" style="${style}">${escape(panel.title)}</h2>`;
  }
  const unit = panel.fieldConfig?.defaults?.unit;
  const targets = (panel.targets ?? []).filter((t) => t.datasource?.type === 'prometheus' ||
    t.datasource?.uid === 'kemas-prometheus');
  if (!targets.length) {
    return `<section class="panel" style="${style}"><h3>${escape(panel.title)}</h3>` +
      '<p class="note">A Loki panel: logs are searched in Grafana (or with logcli), not drawn here.</p></section>';
  }
  const series = [];
  const failures = [];
  for (const t of targets) {
    try {
      for (const r of await query_range(t.expr)) {
        series.push({name: legend(t.legendFormat, r.metric),
          points: r.values.map(([ts, v]) => [Number(ts), Number(v)])});
      }
    } catch (e) {
      failures.push(e.message);
    }
  }
  const title = `<h3>${escape(panel.title)}</h3>`;
  if (panel.type === 'stat') {
    const last = series[0]?.points.filter((p) => Number.isFinite(p[1])).at(-1)?.[1];
    return `<section class="panel stat" style="${style}">${title}<p class="value">` +
      `${escape(last === undefined ? 'No data' : format(last, unit))}</p></section>`;
  }
  const legend_items = series.slice(0, 8).map((s, i) => `<li><span class="swatch" ` +
    `style="background:${palette[i % palette.length]}"></span>${escape(s.name)}</li>`).join('') +
    (series.length > 8 ? `<li>… ${series.length - 8} more</li>` : '');
  const body = series.length ? chart_svg(series, unit, w - 16, h - 36 - 22) :
    `<p class="note">No data${failures.length ? `: ${escape(failures[0])}` : ''}</p>`;
  return `<section class="panel" style="${style}">${title}${body}<ul class="legend">` +
    `${legend_items}</ul></section>`;
}

const panels = [];
let bottom = 0;
for (const panel of dashboard.panels) {
  panels.push(await panel_html(panel));
  bottom = Math.max(bottom, panel.gridPos.y + panel.gridPos.h);
}
const height = margin * 2 + 56 + bottom * row_px;
const range = `${new Date(start * 1000).toISOString().slice(0, 16)} – ` +
  `${new Date(end * 1000).toISOString().slice(11, 16)} UTC`;
fs.writeFileSync(out, `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#111217;color:#ccccdc;font:13px "DejaVu Sans",sans-serif;width:${width}px;height:${height}px;position:relative}
header{position:absolute;left:${margin}px;top:${margin}px;right:${margin}px}
header h1{font-size:20px;margin:0;color:#fff}header p{margin:4px 0 0;color:#8e8ea0}
.row{position:absolute;margin:0;font-size:15px;color:#fff;border-bottom:1px solid #2c2e36;line-height:${row_px - 8}px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c2e36;border-radius:3px;padding:6px 8px;box-sizing:border-box;overflow:hidden}
.panel h3{margin:0 0 4px;font-size:13px;color:#fff;font-weight:500}
.stat .value{font-size:34px;margin:8px 0 0;color:#73bf69;font-weight:500}
.note{color:#8e8ea0}
svg text{fill:#8e8ea0;font-size:10px}svg .grid{stroke:#2c2e36}svg .line{fill:none;stroke-width:1.6}
.legend{list-style:none;margin:2px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:2px 12px;font-size:11px}
.swatch{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
</style></head><body><header><h1>${escape(dashboard.title)}</h1><p>${escape(range)}, every
${step} s, from ${escape(prometheus)} · rendered from conf/grafana/dashboards/kemas.json by
scripts/dashboard.sh (the dashboard's own queries; variables at All)</p></header>
${panels.join('\n')}</body></html>`);
process.stdout.write(String(height));
