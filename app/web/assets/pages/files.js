// The files page: quota, uploads (picker or drop, a progress bar and a cancel per file),
// the list (sort, name search, pages), download, inline rename, delete, locked files.

import {h, append, clear, format_bytes, time_el} from '../dom.js';
import {get, request, upload_file, wait_for_upload} from '../api.js';
import {notify, confirm_dialog, quota_bar, pager, busy, table_box} from '../ui.js';

const page_size = 25;
const locked_reason = 'Your plan holds less than you store, so the newest files beyond its ' +
  'quota are locked. Upgrade your plan or delete files to unlock them.';

export function render(main) {
  const paging = new pager();
  let sort = 'created_at';
  let prefix = '';
  let search_timer = null;

  const quota = h('div', {class: 'quota-slot'});
  const listing = h('section', {'aria-labelledby': 'files-heading'});
  const uploads = h('ul', {class: 'uploads', 'aria-label': 'Uploads'});

  const picker = h('input', {type: 'file', multiple: true, id: 'file-picker',
    class: 'visually-hidden'});
  picker.addEventListener('change', () => {
    start_uploads([...picker.files]);
    picker.value = '';
  });
  const drop_zone = h('div', {class: 'drop-zone', id: 'drop-zone'},
    h('p', {}, 'Drop files here, or '),
    h('label', {for: 'file-picker', class: 'button primary'}, 'Choose files'), picker);
  for (const type of ['dragenter', 'dragover']) {
    drop_zone.addEventListener(type, (e) => {
      e.preventDefault();
      drop_zone.classList.add('over');
    });
  }
  drop_zone.addEventListener('dragleave', () => drop_zone.classList.remove('over'));
  drop_zone.addEventListener('drop', (e) => {
    e.preventDefault();
    drop_zone.classList.remove('over');
    start_uploads([...(e.dataTransfer?.files ?? [])]);
  });

  const search = h('input', {type: 'search', id: 'file-search', placeholder: 'Name starts with…',
    autocomplete: 'off'});
  search.addEventListener('input', () => {
    clearTimeout(search_timer);
    search_timer = setTimeout(() => {
      prefix = search.value;
      paging.reset();
      load();
    }, 250);
  });
  const sort_select = h('select', {id: 'file-sort'},
    h('option', {value: 'created_at'}, 'Newest first'),
    h('option', {value: 'name'}, 'Name (A–Z)'));
  sort_select.addEventListener('change', () => {
    sort = sort_select.value;
    paging.reset();
    load();
  });

  main.append(
    h('h1', {id: 'files-heading'}, 'Files'), quota, drop_zone, uploads,
    h('div', {class: 'toolbar'},
      h('div', {class: 'field inline'}, h('label', {for: 'file-search'}, 'Search'), search),
      h('div', {class: 'field inline'}, h('label', {for: 'file-sort'}, 'Sort'), sort_select)),
    listing);

  let loading = 0;
  async function load() {
    const ticket = ++loading;
    try {
      const page = await get('/api/v1/auth/files/list',
        {limit: page_size, sort, prefix, cursor: paging.current});
      if (ticket !== loading) return;
      clear(quota).append(quota_bar(page.used_bytes, page.quota_bytes));
      show(page);
    } catch (err) {
      if (ticket !== loading) return;
      if (err.code === 'bad_request' && paging.current) {  // a cursor of another sort
        paging.reset();
        load();
        return;
      }
      clear(listing).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  function show(page) {
    clear(listing);
    const count = `${page.total} file${page.total === 1 ? '' : 's'}` +
      (prefix ? `; showing names starting with “${prefix}”` : '');
    listing.append(h('p', {class: 'summary', role: 'status'}, count));
    if (!page.files.length) {
      listing.append(h('p', {class: 'empty'}, prefix ? 'No file name starts with that.'
        : 'No files yet. Drop some above.'));
    } else {
      listing.append(table_box('Your files', h('table', {class: 'files'},
        h('caption', {class: 'visually-hidden'}, 'Your files'),
        h('thead', {}, h('tr', {}, ['Name', 'Size', 'Uploaded', 'Actions'].map((c) =>
          h('th', {scope: 'col'}, c)))),
        h('tbody', {}, page.files.map(file_row)))));
    }
    if (page.next_cursor || paging.page_number > 1) {
      listing.append(paging.controls(page.next_cursor, load));
    }
  }

  function file_row(file) {
    const locked = file.state === 'locked';
    const name_cell = h('th', {scope: 'row', class: 'name'});
    const show_name = () => append(clear(name_cell), [
      h('span', {class: 'file-name'}, file.name),
      locked ? h('span', {class: 'badge locked'}, 'Locked') : null,
      locked ? h('span', {class: 'sub'}, locked_reason) : null]);
    show_name();

    const download = locked
      ? h('button', {type: 'button', disabled: true, title: locked_reason}, 'Download')
      : h('a', {class: 'button', download: file.name,
        href: `/api/v1/auth/files/download/${encodeURIComponent(file.id)}`,
        'aria-label': `Download ${file.name}`}, 'Download');
    const share = locked ? null : h('a', {class: 'button',
      href: `/shares?file=${encodeURIComponent(file.id)}`, 'aria-label': `Share ${file.name}`},
    'Share');
    const rename = h('button', {type: 'button', 'aria-label': `Rename ${file.name}`}, 'Rename');
    const remove = h('button', {type: 'button', class: 'danger',
      'aria-label': `Delete ${file.name}`}, 'Delete');

    rename.addEventListener('click', () => {
      const input = h('input', {value: file.name, 'aria-label': `New name for ${file.name}`,
        maxlength: 255, class: 'rename-input'});
      const form = h('form', {class: 'rename'}, input,
        h('button', {type: 'submit', class: 'primary'}, 'Save'),
        h('button', {type: 'button', class: 'cancel'}, 'Cancel'));
      const stop = () => { show_name(); rename.focus(); };
      form.querySelector('.cancel').addEventListener('click', stop);
      input.addEventListener('keydown', (e) => { if (e.key === 'Escape') stop(); });
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const name = input.value.trim();
        if (!name || name === file.name) return stop();
        await busy(form.querySelector('button[type=submit]'), async () => {
          const renamed = await request('PATCH',
            `/api/v1/auth/files/${encodeURIComponent(file.id)}`, {body: {name}});
          Object.assign(file, renamed);
          notify(`Renamed to “${renamed.name}”.`);
          load();
        });
      });
      clear(name_cell).append(form);
      input.focus();
      input.select();
    });

    remove.addEventListener('click', async () => {
      const sure = await confirm_dialog({title: 'Delete this file?', danger: true,
        message: `“${file.name}” (${format_bytes(file.size)}) will be deleted for good.`,
        confirm_label: 'Delete'});
      if (!sure) return;
      await busy(remove, async () => {
        await request('DELETE', `/api/v1/auth/files/${encodeURIComponent(file.id)}`);
        notify(`Deleted “${file.name}”.`);
        load();
      });
    });

    return h('tr', {class: locked ? 'locked' : '', dataset: {fileId: file.id}},
      name_cell, h('td', {}, format_bytes(file.size)), h('td', {}, time_el(file.created_at)),
      h('td', {class: 'actions'}, download, share, rename, remove));
  }

  const controllers = new Set();
  function start_uploads(files) {
    for (const file of files) upload_one(file);
  }

  async function upload_one(file) {
    const controller = new AbortController();
    controllers.add(controller);
    const bar = h('progress', {max: 100, value: 0, 'aria-label': `Uploading ${file.name}`});
    const status = h('span', {class: 'upload-status', role: 'status'}, '0%');
    const cancel = h('button', {type: 'button', 'aria-label': `Cancel ${file.name}`}, 'Cancel');
    cancel.addEventListener('click', () => controller.abort());
    const item = h('li', {class: 'upload'}, h('span', {class: 'file-name'}, file.name),
      h('span', {class: 'size'}, format_bytes(file.size)), bar, status, cancel);
    uploads.append(item);
    const finish = (text, kind) => {
      status.textContent = text;
      item.classList.add(kind);
      cancel.remove();
      controllers.delete(controller);
      setTimeout(() => item.remove(), kind === 'failed' ? 15000 : 4000);
    };
    try {
      const answer = await upload_file(file, {signal: controller.signal,
        on_progress: (sent, total) => {
          const percent = Math.floor((sent / total) * 100);
          bar.value = percent;
          status.textContent = `${percent}%`;
        }});
      bar.value = 100;
      if (answer.upload) {
        status.textContent = 'Storing…';
        await wait_for_upload(answer.upload.id, {signal: controller.signal});
      }
      finish('Done', 'done');
      load();
    } catch (err) {
      if (err.code === 'cancelled') finish('Cancelled', 'cancelled');
      else finish(err.friendly, 'failed');
    }
  }

  load();
  return () => {
    clearTimeout(search_timer);
    for (const c of controllers) c.abort();
  };
}
