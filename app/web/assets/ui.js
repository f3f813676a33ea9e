// Shared pieces of the pages: notices, confirmation dialogs, the quota bar, error boxes, the
// card that shows a secret once.

import {h, clear, format_bytes} from './dom.js';

// A notice at the bottom of the screen. Errors are alerts (read out at once) and stay until
// dismissed; other notices go after a few seconds.
export function notify(text, {kind = 'info'} = {}) {
  const box = document.getElementById('notices');
  const close = h('button', {class: 'icon', 'aria-label': 'Dismiss', type: 'button'}, '×');
  const notice = h('div', {class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status'},
    h('p', {}, text), close);
  close.addEventListener('click', () => notice.remove());
  box.append(notice);
  if (kind !== 'error') setTimeout(() => notice.remove(), 6000);
  return notice;
}

export function notify_error(err) {
  return notify(err?.friendly ?? String(err?.message ?? err), {kind: 'error'});
}

// An inline error for a form; `err` an api_error or text. Empty clears it.
export function error_box() {
  const box = h('div', {class: 'form-error', role: 'alert', hidden: true});
  box.show = (err) => {
    const text = err ? (err.friendly ?? String(err)) : '';
    box.textContent = text;
    box.hidden = !text;
  };
  return box;
}

// Resolves true when the person confirms. A native <dialog>: focus is trapped and Escape
// cancels, as assistive technology expects.
export function confirm_dialog({title, message, confirm_label = 'OK', danger = false}) {
  return new Promise((resolve) => {
    const ok = h('button', {type: 'submit', value: 'ok', class: danger ? 'danger' : 'primary'},
      confirm_label);
    const cancel = h('button', {type: 'submit', value: 'cancel', formnovalidate: true}, 'Cancel');
    const heading = h('h2', {id: 'dialog-title'}, title);
    const dialog = h('dialog', {'aria-labelledby': 'dialog-title', class: 'dialog'},
      h('form', {method: 'dialog'}, heading, h('p', {}, message),
        h('div', {class: 'actions'}, cancel, ok)));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

// A bar that says how full the account is, for eyes and for screen readers.
export function quota_bar(used, quota) {
  const fraction = quota > 0 ? Math.min(1, used / quota) : (used > 0 ? 1 : 0);
  const percent = Math.round(fraction * 100);
  const fill = h('div', {class: `quota-fill ${fraction >= 0.9 ? 'high' : ''}`});
  fill.style.width = `${percent}%`;
  const label = `${format_bytes(used)} of ${format_bytes(quota)} used`;
  return h('div', {class: 'quota'},
    h('div', {class: 'quota-text'}, h('span', {}, label), h('span', {}, `${percent}%`)),
    h('div', {class: 'quota-track', role: 'progressbar', 'aria-label': 'Storage used',
      'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': percent,
      'aria-valuetext': label}, fill));
}

// A table with a caption and column headers; rows are arrays of cells (nodes or text).
export function table(caption, columns, rows, {empty = 'Nothing here yet.'} = {}) {
  if (!rows.length) return h('p', {class: 'empty'}, empty);
  return table_box(caption.text ?? caption,
    h('table', {},
      h('caption', {class: caption.visible ? '' : 'visually-hidden'}, caption.text ?? caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col'},
        c || h('span', {class: 'visually-hidden'}, 'Actions'))))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) =>
        i === 0 ? h('th', {scope: 'row'}, c) : h('td', {}, c)))))));
}

// A table's frame: it scrolls sideways on narrow screens, so it takes keyboard focus (and
// says what it holds) for people who scroll with the arrow keys.
// Each body cell also carries its column's name (data-label), which the phone layout shows
// when rows become cards.
export function table_box(label, table_el) {
  const names = [...table_el.querySelectorAll('thead th')].map((th) => th.textContent);
  for (const row of table_el.querySelectorAll('tbody tr')) {
    [...row.children].forEach((cell, i) => {
      if (names[i] && names[i] !== 'Actions') cell.dataset.label = names[i];
    });
  }
  return h('div', {class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': label},
    table_el);
}

// A secret shown once (a new API key, a new share link) in `slot`: selected, with a Copy
// button and one that dismisses it. `what` names it in the notices ("key", "link").
export function secret_card(slot, {id, value, title, label, what, dismiss_label}) {
  const input = h('input', {readonly: true, value, id, class: 'secret', spellcheck: 'false'});
  const copy = h('button', {type: 'button', class: 'primary'}, 'Copy');
  copy.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(value);
      notify(`${what[0].toUpperCase()}${what.slice(1)} copied.`);
    } catch {
      notify(`Press Ctrl+C (or ⌘C) to copy the selected ${what}.`);
    }
  });
  const dismiss = h('button', {type: 'button'}, dismiss_label);
  dismiss.addEventListener('click', () => clear(slot));
  clear(slot).append(h('div', {class: 'card banner', role: 'status'},
    h('h2', {}, title),
    h('p', {}, 'Copy it now: kemas keeps only a hash and cannot show it again.'),
    h('div', {class: 'copy-row'}, h('label', {for: id, class: 'visually-hidden'}, label),
      input, copy), dismiss));
  input.focus();
  input.select();
}

// Runs an action from a button: disabled while it runs, errors as notices.
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } catch (err) {
    notify_error(err);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// Pages of a keyset-paged list: remembers the cursors seen so "Previous" can go back.
export class pager {
  constructor() {
    this.cursors = [null];
  }
  get current() { return this.cursors[this.cursors.length - 1]; }
  get page_number() { return this.cursors.length; }
  forward(next_cursor) { this.cursors.push(next_cursor); }
  back() { if (this.cursors.length > 1) this.cursors.pop(); }
  reset() { this.cursors = [null]; }

  controls(next_cursor, reload) {
    const previous = h('button', {type: 'button', disabled: this.cursors.length === 1},
      '← Previous');
    const next = h('button', {type: 'button', disabled: !next_cursor}, 'Next →');
    previous.addEventListener('click', () => { this.back(); reload(); });
    next.addEventListener('click', () => { this.forward(next_cursor); reload(); });
    return h('nav', {class: 'pager', 'aria-label': 'Pages'}, previous,
      h('span', {}, `Page ${this.page_number}`), next);
  }
}
