// The plan page: the plan in force with a live countdown to its end, the plans for sale,
// and the billing history.

import {h, clear, format_bytes, format_countdown, format_duration, format_money, time_el}
  from '../dom.js';
import {get, request} from '../api.js';
import {notify, confirm_dialog, quota_bar, busy, table, pager} from '../ui.js';

export function render(main, ctx) {
  const current = h('section', {class: 'card', 'aria-labelledby': 'current-plan'});
  const offers = h('section', {'aria-labelledby': 'plans-for-sale'});
  const history_section = h('section', {'aria-labelledby': 'billing-history'});
  main.append(h('h1', {}, 'Your plan'), current, offers, history_section);
  let ticker = null;
  const orders_pager = new pager();

  async function load() {
    try {
      const [subscription, catalog] = await Promise.all([
        get('/api/v1/auth/billing/subscription'), get('/api/v1/plans')]);
      show_current(subscription);
      show_offers(subscription, catalog.plans);
    } catch (err) {
      clear(current).append(h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
    load_orders();
  }

  function show_current(sub) {
    clearInterval(ticker);
    clear(current).append(h('h2', {id: 'current-plan'}, sub.plan_display_name),
      quota_bar(sub.used_bytes, sub.quota_bytes),
      h('p', {}, `Files up to ${format_bytes(sub.max_file_bytes)} each.`));
    if (sub.expired) {
      current.append(h('p', {class: 'banner warn'}, 'Your paid plan has ended; the account ' +
        'is on Free now. Files beyond the Free quota are locked until you upgrade.'));
    }
    if (sub.expires_at && !sub.expired) {
      const ends = new Date(sub.expires_at).getTime();
      const clock = h('span', {class: 'countdown', role: 'timer', 'aria-live': 'off'});
      const tick = () => {
        const left = ends - Date.now();
        clock.textContent = format_countdown(left);
        if (left <= 0) {
          clearInterval(ticker);
          setTimeout(load, 1500);  // the account falls back to Free: show it
        }
      };
      tick();
      ticker = setInterval(tick, 1000);
      current.append(h('p', {class: 'time-left'}, 'Time left: ', clock, ' (ends ',
        time_el(sub.expires_at), ')'));
    } else if (!sub.expires_at) {
      current.append(h('p', {}, 'This plan does not expire.'));
    }
  }

  function show_offers(sub, plans) {
    const for_sale = plans.filter((p) => p.duration_seconds !== null);
    clear(offers).append(h('h2', {id: 'plans-for-sale'}, 'Upgrade'));
    if (!for_sale.length) {
      offers.append(h('p', {class: 'empty'}, 'No paid plan is for sale right now.'));
      return;
    }
    offers.append(h('ul', {class: 'offers'}, for_sale.map((plan) => {
      const renewing = plan.name === sub.plan && !sub.expired;
      const buy = h('button', {type: 'button', class: 'primary',
        dataset: {plan: plan.name}}, renewing ? `Renew ${plan.display_name}`
        : `Upgrade to ${plan.display_name}`);
      buy.addEventListener('click', () => upgrade(plan, buy, renewing));
      return h('li', {class: 'card offer'}, h('h3', {}, plan.display_name),
        h('p', {class: 'price'}, format_money(plan.price_cents, plan.currency),
          h('span', {}, ` for ${format_duration(plan.duration_seconds)}`)),
        h('ul', {}, h('li', {}, `${format_bytes(plan.quota_bytes)} of storage`),
          h('li', {}, `Files up to ${format_bytes(plan.max_file_bytes)}`),
          h('li', {}, `${plan.max_share_links} share links at a time`)), buy);
    })));
  }

  async function upgrade(plan, button, renewing) {
    const sure = await confirm_dialog({
      title: renewing ? `Renew ${plan.display_name}?` : `Upgrade to ${plan.display_name}?`,
      message: `You will be charged ${format_money(plan.price_cents, plan.currency)} for ` +
        `${format_duration(plan.duration_seconds)}` +
        (renewing ? ', added to the time you have left.' : '.'),
      confirm_label: 'Pay and upgrade'});
    if (!sure) return;
    await busy(button, async () => {
      const answer = await request('POST', '/api/v1/auth/billing/upgrade',
        {body: {package: plan.name}});
      notify(answer.accepted ? 'Payment received; your plan changes in a moment.'
        : `You are on ${plan.display_name} now.`);
      await ctx.refresh_user();
      if (answer.accepted) setTimeout(load, 1500);
      else load();
    });
  }

  async function load_orders() {
    try {
      const page = await get('/api/v1/auth/billing/orders',
        {limit: 10, cursor: orders_pager.current});
      clear(history_section).append(h('h2', {id: 'billing-history'}, 'Billing history'),
        table('Your orders', ['Date', 'Plan', 'Amount', 'State', 'Paid until'],
          page.orders.map((o) => [time_el(o.created_at), o.plan,
            format_money(o.amount_cents, o.currency),
            h('span', {class: `badge ${o.state}`}, o.state + (o.reason ? ` (${o.reason})` : '')),
            time_el(o.expires_at)]), {empty: 'No orders yet.'}));
      if (page.next_cursor || orders_pager.page_number > 1)
        history_section.append(orders_pager.controls(page.next_cursor, load_orders));
    } catch (err) {
      clear(history_section).append(h('h2', {id: 'billing-history'}, 'Billing history'),
        h('p', {class: 'form-error', role: 'alert'}, err.friendly));
    }
  }

  load();
  return () => clearInterval(ticker);
}
