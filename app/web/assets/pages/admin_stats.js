// Admin: usage statistics — totals, uploads and downloads per day as charts, accounts by plan
// and role, the largest accounts.

import {h, clear, format_bytes} from '../dom.js';
import {get} from '../api.js';
import {table} from '../ui.js';
import {bar_chart, legend} from '../chart.js';

export function render(main) {
  const days = h('select', {id: 'stats-days'}, [7, 30, 90, 366].map((d) =>
    h('option', {value: String(d), selected: d === 30}, `${d} days`)));
  const body = h('div', {});
  days.addEventListener('change', load);
  main.append(h('h1', {}, 'Usage statistics'), h('div', {class: 'field inline'},
    h('label', {for: 'stats-days'}, 'Period'), days), body);

  async function load() {
    try {
      const stats = await get('/api/v1/admin/stats', {days: days.value});
      show(stats);
    } catch (err) {
      clear(body).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  function show(stats) {
    const d = stats.days.map((x) => x.day);
    const counts = [
      {label: 'Uploads', values: stats.days.map((x) => x.uploads), class: 'series-a'},
      {label: 'Downloads', values: stats.days.map((x) => x.downloads), class: 'series-b'}];
    const bytes = [
      {label: 'Uploaded', values: stats.days.map((x) => x.upload_bytes), class: 'series-a'},
      {label: 'Downloaded', values: stats.days.map((x) => x.download_bytes), class: 'series-b'}];
    const active = [
      {label: 'Active users', values: stats.days.map((x) => x.active_users), class: 'series-c'}];
    clear(body).append(
      h('ul', {class: 'tiles'},
        h('li', {}, h('span', {class: 'tile-value'}, String(stats.accounts)), 'accounts'),
        h('li', {}, h('span', {class: 'tile-value'}, String(stats.files)), 'files'),
        h('li', {}, h('span', {class: 'tile-value'}, format_bytes(stats.bytes_stored)), 'stored')),
      h('section', {class: 'card'}, h('h2', {}, 'Uploads and downloads per day'),
        legend(counts), bar_chart({title: 'Uploads and downloads per day', days: d,
          series: counts})),
      h('section', {class: 'card'}, h('h2', {}, 'Bytes per day'), legend(bytes),
        bar_chart({title: 'Bytes uploaded and downloaded per day', days: d, series: bytes,
          format: format_bytes})),
      h('section', {class: 'card'}, h('h2', {}, 'Active users per day'),
        bar_chart({title: 'Active users per day', days: d, series: active})),
      h('section', {}, h('h2', {}, 'Accounts by plan and role'),
        table('Accounts by plan and role', ['Plan', 'Role', 'Accounts', 'Disabled'],
          stats.by_plan_and_role.map((r) => [r.plan, r.role, String(r.accounts),
            String(r.disabled)]))),
      h('section', {}, h('h2', {}, 'Largest accounts'),
        table('Largest accounts', ['Account', 'Stored', 'Files'], stats.top_users.map((u) => [
          `${u.username} <${u.email}>`, format_bytes(u.used_bytes), String(u.file_count)]))),
      h('details', {}, h('summary', {}, 'The numbers per day'),
        table('Per day', ['Day', 'Uploads', 'Uploaded', 'Downloads', 'Downloaded', 'Active users'],
          stats.days.map((x) => [x.day, String(x.uploads), format_bytes(x.upload_bytes),
            String(x.downloads), format_bytes(x.download_bytes), String(x.active_users)]))));
  }

  load();
}
