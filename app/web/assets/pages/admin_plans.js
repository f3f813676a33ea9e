// Admin: the plan catalog — create, edit, hide, delete plans.

import {h, clear, field, format_bytes, format_duration, format_money} from '../dom.js';
import {get, request} from '../api.js';
import {notify, confirm_dialog, busy, table, error_box} from '../ui.js';

const mib = 1024 * 1024;

export function render(main) {
  const list = h('section', {'aria-label': 'Plans'});
  const add = h('button', {type: 'button', class: 'primary'}, 'New plan');
  add.addEventListener('click', () => edit(null));
  main.append(h('h1', {}, 'Plans'), h('div', {class: 'actions'}, add), list);

  async function load() {
    try {
      const {plans} = await get('/api/v1/admin/plans');
      clear(list).append(table('Every plan', ['Plan', 'Quota', 'Max file', 'Price', 'Lasts',
        'Sold', ''], plans.map((p) => [
        h('span', {}, p.display_name, h('span', {class: 'sub'}, p.name)),
        format_bytes(p.quota_bytes), format_bytes(p.max_file_bytes),
        format_money(p.price_cents, p.currency), format_duration(p.duration_seconds),
        p.public ? 'yes' : 'hidden', actions(p)])));
    } catch (err) {
      clear(list).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  function actions(plan) {
    const change = h('button', {type: 'button', 'aria-label': `Edit ${plan.display_name}`}, 'Edit');
    change.addEventListener('click', () => edit(plan));
    const remove = h('button', {type: 'button', class: 'danger',
      'aria-label': `Delete ${plan.display_name}`}, 'Delete');
    remove.addEventListener('click', async () => {
      const sure = await confirm_dialog({title: `Delete ${plan.display_name}?`, danger: true,
        message: 'Only a plan nobody is on can be deleted.', confirm_label: 'Delete'});
      if (!sure) return;
      await busy(remove, async () => {
        await request('DELETE', `/api/v1/admin/plans/${plan.id}`);
        notify(`Deleted ${plan.display_name}.`);
        load();
      });
    });
    return h('span', {class: 'actions'}, change, remove);
  }

  // One dialog for both: a new plan (plan null) or changes to one.
  function edit(plan) {
    const name = h('input', {name: 'name', required: true, pattern: '[a-z][a-z0-9_\\-]{0,31}',
      value: plan?.name ?? '', disabled: !!plan});
    const display = h('input', {name: 'display_name', required: true, maxlength: 100,
      value: plan?.display_name ?? ''});
    const quota = h('input', {name: 'quota', type: 'number', min: 0, required: true,
      value: plan ? String(plan.quota_bytes / mib) : '1024'});
    const max_file = h('input', {name: 'max_file', type: 'number', min: 1, required: true,
      value: plan ? String(plan.max_file_bytes / mib) : '100'});
    const price = h('input', {name: 'price', type: 'number', min: 0, step: '0.01', required: true,
      value: plan ? (plan.price_cents / 100).toFixed(2) : '0.00'});
    const currency = h('input', {name: 'currency', required: true, pattern: '[A-Z]{3}',
      maxlength: 3, value: plan?.currency ?? 'USD'});
    const duration = h('input', {name: 'duration', type: 'number', min: 1,
      value: plan?.duration_seconds ? String(plan.duration_seconds / 86400) : ''});
    const share_links = h('input', {name: 'share_links', type: 'number', min: 0, max: 1000000,
      required: true, value: String(plan?.max_share_links ?? 20)});
    const visible = h('input', {type: 'checkbox', name: 'public', id: 'plan-public',
      checked: plan ? plan.public : true});
    const problem = error_box();
    const save = h('button', {type: 'submit', value: 'save', class: 'primary'}, 'Save');
    const cancel = h('button', {type: 'button'}, 'Cancel');
    const form = h('form', {}, h('h2', {id: 'plan-dialog-title'},
      plan ? `Edit ${plan.display_name}` : 'New plan'),
    field('Name (the key to buy it by; cannot change)', name), field('Display name', display),
    field('Quota (MiB)', quota), field('Largest file (MiB)', max_file), field('Price', price),
    field('Currency (ISO 4217)', currency),
    field('Lasts (days)', duration, 'Empty: never ends (like Free).'),
    field('Share links at a time', share_links),
    h('div', {class: 'check'}, visible, h('label', {for: 'plan-public'}, 'For sale in the catalog')),
    problem, h('div', {class: 'actions'}, cancel, save));
    const dialog = h('dialog', {class: 'dialog', 'aria-labelledby': 'plan-dialog-title'}, form);
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      problem.show(null);
      const body = {display_name: display.value.trim(),
        quota_bytes: Math.round(Number(quota.value) * mib),
        max_file_bytes: Math.round(Number(max_file.value) * mib),
        price_cents: Math.round(Number(price.value) * 100), currency: currency.value,
        duration_seconds: duration.value ? Math.round(Number(duration.value) * 86400) : null,
        max_share_links: Number(share_links.value), public: visible.checked};
      save.disabled = true;
      try {
        if (plan) await request('PATCH', `/api/v1/admin/plans/${plan.id}`, {body});
        else await request('POST', '/api/v1/admin/plans', {body: {name: name.value, ...body}});
        dialog.close();
        notify(`Saved ${body.display_name}.`);
        load();
      } catch (err) {
        problem.show(err);
      } finally {
        save.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    (plan ? display : name).focus();
  }

  load();
}
