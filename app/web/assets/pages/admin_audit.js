// Admin: the audit trail with filters, paged, and the same selection as a download.

import {h, clear, field, time_el} from '../dom.js';
import {get} from '../api.js';
import {pager, table_box} from '../ui.js';

const filter_names = ['action', 'actor', 'target_type', 'target_id', 'request_id'];

export function render(main) {
  const paging = new pager();
  const inputs = {
    action: h('input', {name: 'action', placeholder: 'e.g. user.disabled'}),
    actor: h('input', {name: 'actor', placeholder: 'user id', spellcheck: 'false'}),
    target_type: h('input', {name: 'target_type', placeholder: 'e.g. user, file'}),
    target_id: h('input', {name: 'target_id', spellcheck: 'false'}),
    request_id: h('input', {name: 'request_id', spellcheck: 'false'}),
  };
  const from = h('input', {name: 'from', type: 'datetime-local'});
  const to = h('input', {name: 'to', type: 'datetime-local'});
  const labels = {action: 'Action', actor: 'Actor', target_type: 'Target type',
    target_id: 'Target id', request_id: 'Request id'};
  const filters = h('form', {class: 'filters', role: 'search'},
    filter_names.map((n) => field(labels[n], inputs[n])), field('From', from), field('To', to),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Filter')));
  const exports = h('p', {class: 'exports'});
  const results = h('div', {});
  main.append(h('h1', {}, 'Audit trail'), filters, exports, results);

  function query() {
    const q = {};
    for (const n of filter_names) if (inputs[n].value.trim()) q[n] = inputs[n].value.trim();
    if (from.value) q.from = new Date(from.value).toISOString();
    if (to.value) q.to = new Date(to.value).toISOString();
    return q;
  }

  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    paging.reset();
    load();
  });

  function show_exports(q) {
    const link = (format, label) => h('a', {class: 'button', download: `kemas-audit.${format}`,
      href: `/api/v1/admin/audit/export?${new URLSearchParams({...q, format})}`}, label);
    clear(exports).append('Download this selection: ', link('csv', 'CSV'), ' ',
      link('ndjson', 'NDJSON'));
  }

  async function load() {
    const q = query();
    show_exports(q);
    try {
      const page = await get('/api/v1/admin/audit', {...q, limit: 50, cursor: paging.current});
      clear(results);
      if (!page.entries.length) {
        results.append(h('p', {class: 'empty'}, 'No entry matches.'));
      } else {
        results.append(table_box('Audit entries', h('table', {class: 'audit'},
          h('caption', {class: 'visually-hidden'}, 'Audit entries, newest first'),
          h('thead', {}, h('tr', {}, ['When', 'Action', 'Actor', 'Target', 'Details']
            .map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, page.entries.map((e) => h('tr', {},
            h('th', {scope: 'row'}, time_el(e.occurred_at)), h('td', {}, h('code', {}, e.action)),
            h('td', {}, e.actor_id ? h('code', {class: 'id'}, e.actor_id) : 'kemas',
              e.actor_ip ? h('span', {class: 'sub'}, e.actor_ip) : null),
            h('td', {}, e.target_type ? `${e.target_type} ` : '',
              e.target_id ? h('code', {class: 'id'}, e.target_id) : ''),
            h('td', {}, details(e))))))));
      }
      if (page.next_cursor || paging.page_number > 1)
        results.append(paging.controls(page.next_cursor, load));
    } catch (err) {
      clear(results).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  function details(entry) {
    const parts = [];
    if (entry.before !== undefined && entry.before !== null)
      parts.push(h('dt', {}, 'Before'), h('dd', {}, h('pre', {}, JSON.stringify(entry.before, null, 1))));
    if (entry.after !== undefined && entry.after !== null)
      parts.push(h('dt', {}, 'After'), h('dd', {}, h('pre', {}, JSON.stringify(entry.after, null, 1))));
    if (entry.request_id) parts.push(h('dt', {}, 'Request'), h('dd', {}, h('code', {}, entry.request_id)));
    parts.push(h('dt', {}, 'Chain position'), h('dd', {}, String(entry.seq)));
    return h('details', {}, h('summary', {}, 'Show'), h('dl', {}, parts));
  }

  load();
}
