// The Payouts screen (spec §8): a table of payouts with the list filters
// (Status, a created-at date range, currency) and paging kept in the
// address, so a filtered view can be bookmarked and reloaded; a checkbox
// per row ("Select payout N"); Authorize selected and Cancel selected for
// the roles that may, each saying how many were done; CSV export of the
// filtered view (GET /api/payments/export with the same filters).
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { api, num } from '../api.js';
import { Link, navigate } from '../router.js';
import { can } from '../roles.js';
import { Moment, dayEndIso, dayStartIso, isDay } from '../dates.js';
import {
  Alert, ConfirmButton, Loading, Money, Notice, Pager, STATUSES, Status, TableFrame,
  statusWord, useApi, withQuery,
} from '../ui.js';

const PAGE_SIZE = 25;
const CURRENCY = /^[A-Z]{3}$/;

/** The view the address asks for: {status, currency, from, to, page}
 *  (strings) and the problems with it, in words. */
export function readView(query) {
  const view = {
    status: (query.get('status') ?? '').toUpperCase(),
    currency: (query.get('currency') ?? '').toUpperCase(),
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
    page: query.get('page') ?? '1',
  };
  const problems = [];
  for (const s of view.status ? view.status.split(',') : []) {
    if (!STATUSES.includes(s)) problems.push(`The status "${s}" is not one the panel knows.`);
  }
  if (view.currency && !CURRENCY.test(view.currency)) problems.push('The currency must be a three-letter code such as GBP.');
  if (view.from && !isDay(view.from)) problems.push('"Created from" must be a day (YYYY-MM-DD).');
  if (view.to && !isDay(view.to)) problems.push('"Created to" must be a day (YYYY-MM-DD).');
  if (!/^[1-9]\d{0,5}$/.test(view.page)) problems.push('The page must be a positive number.');
  return { view, problems };
}

/** The API's filters for a view (no paging): what the list and the
 *  export both send. */
function apiFilters(view) {
  return {
    status: view.status,
    currency: view.currency,
    createdFrom: view.from ? dayStartIso(view.from) : '',
    createdTo: view.to ? dayEndIso(view.to) : '',
    orderBy: 'id',
    dir: 'desc',
  };
}

function screenHref(view, page) {
  return withQuery('/payouts', {
    status: view.status, currency: view.currency, from: view.from, to: view.to, page: page > 1 ? page : '',
  });
}

function Filters({ view }) {
  const [draft, setDraft] = useState(view);
  useEffect(() => setDraft(view), [view.status, view.currency, view.from, view.to]);
  const set = (k) => (e) => setDraft({ ...draft, [k]: e.currentTarget.value });
  function apply(e) {
    e.preventDefault();
    navigate(screenHref({ ...draft, currency: draft.currency.trim().toUpperCase() }, 1));
  }
  const single = STATUSES.includes(draft.status) || draft.status === '';
  return html`
    <form class="filters" onSubmit=${apply} aria-label="Filters">
      <div>
        <label for="f-status">Status</label>
        <select id="f-status" value=${draft.status} onChange=${set('status')}>
          <option value="">Every status</option>
          <option value="UNAUTHORIZED,READY">Open (waiting or ready)</option>
          ${STATUSES.map((s) => html`<option value=${s}>${statusWord(s)}</option>`)}
          ${!single && draft.status !== 'UNAUTHORIZED,READY' && html`<option value=${draft.status}>${draft.status}</option>`}
        </select>
      </div>
      <div>
        <label for="f-from">Created from</label>
        <input id="f-from" type="date" value=${draft.from} onInput=${set('from')} />
      </div>
      <div>
        <label for="f-to">Created to</label>
        <input id="f-to" type="date" value=${draft.to} onInput=${set('to')} />
      </div>
      <div>
        <label for="f-currency">Currency</label>
        <input id="f-currency" value=${draft.currency} onInput=${set('currency')} maxlength="3"
          autocomplete="off" placeholder="Any" class="short" />
      </div>
      <div class="filter-actions">
        <button type="submit" class="primary">Apply filters</button>
        <${Link} href="/payouts">Clear filters</${Link}>
      </div>
    </form>`;
}

function BulkActions({ user, selected, onDone }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ids = [...selected];
  const n = ids.length;
  async function run(kind) {
    setBusy(true);
    setError(null);
    try {
      const path = kind === 'authorize' ? '/api/payment/authorize' : '/api/payment/cancel';
      const answer = await api('POST', path, { ids: ids.map(num) });
      const done = Number(answer.success);
      const verb = kind === 'authorize' ? 'Authorized' : 'Cancelled';
      let text = `${verb} ${done} of ${n} selected payout${n === 1 ? '' : 's'}.`;
      if (done < n) {
        text += kind === 'authorize'
          ? ' The others were not waiting for authorization, their window has passed, or you created them (four eyes: another person authorizes those).'
          : ' The others were no longer open.';
      }
      onDone(text);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  if (!can(user, 'authorize') && !can(user, 'cancel')) return null;
  return html`
    <div class="bulk" role="group" aria-label="Selected payouts">
      <span>${n} selected</span>
      ${can(user, 'authorize') && html`
        <button type="button" class="primary" disabled=${busy || n === 0} onClick=${() => run('authorize')}>Authorize selected</button>`}
      ${can(user, 'cancel') && html`
        <${ConfirmButton} label="Cancel selected" disabled=${busy || n === 0} danger=${true}
          question=${`Cancel ${n} payout${n === 1 ? '' : 's'}? Their funds are released; this cannot be undone.`}
          confirmLabel=${`Cancel ${n} payout${n === 1 ? '' : 's'}`} onConfirm=${() => run('cancel')} />`}
      <${Alert} error=${error} />
    </div>`;
}

function PayoutTable({ payments, selectable, selected, toggle, toggleAll }) {
  const allOn = payments.length > 0 && payments.every((p) => selected.has(p.id));
  return html`
    <${TableFrame} label="Payouts table">
      <table class="payouts">
        <caption class="visually-hidden">Payouts</caption>
        <thead>
          <tr>
            ${selectable && html`<th scope="col"><input type="checkbox" aria-label="Select every payout on this page"
              checked=${allOn} onChange=${() => toggleAll(!allOn)} /></th>`}
            <th scope="col">Payout</th><th scope="col" class="money">Amount</th><th scope="col">Status</th>
            <th scope="col">Created</th><th scope="col">Window</th><th scope="col">Description</th>
            <th scope="col">Recipient</th><th scope="col">Project</th>
          </tr>
        </thead>
        <tbody>
          ${payments.map((p) => html`
            <tr key=${p.id}>
              ${selectable && html`<td><input type="checkbox" aria-label=${`Select payout ${p.id}`}
                checked=${selected.has(p.id)} onChange=${() => toggle(p.id)} /></td>`}
              <td><${Link} href=${`/payouts/${p.id}`}>${p.id}</${Link}></td>
              <td class="money"><${Money} amount=${p.amount} currency=${p.currency} /></td>
              <td><${Status} status=${p.status} /></td>
              <td><${Moment} at=${p.createdAt} /></td>
              <td class="window"><${Moment} at=${p.startDate} /> – <${Moment} at=${p.endDate} /></td>
              <td>${p.description}</td>
              <td class="num">${p.recipientId}</td>
              <td class="num">${p.projectId}</td>
            </tr>`)}
        </tbody>
      </table>
    </${TableFrame}>`;
}

export function Payouts({ user, query }) {
  const { view, problems } = readView(query);
  const filters = apiFilters(view);
  const listPath = problems.length ? null : withQuery('/api/payments', { ...filters, page: view.page, size: PAGE_SIZE });
  const list = useApi(listPath);
  const [selected, setSelected] = useState(new Set());
  const [done, setDone] = useState('');
  useEffect(() => setSelected(new Set()), [listPath]);
  const selectable = can(user, 'authorize') || can(user, 'cancel');

  function toggle(id) {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id); else next.add(id);
    setSelected(next);
  }
  function toggleAll(on) {
    setSelected(on ? new Set(list.data.payments.map((p) => p.id)) : new Set());
  }
  function onDone(text) {
    setDone(text);
    setSelected(new Set());
    list.reload();
  }
  const exportHref = withQuery('/api/payments/export', filters);
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Payouts</h1>
      <${Filters} view=${view} />
      ${problems.length > 0 && html`<${Alert} error=${problems.join(' ')} />`}
      <div class="toolbar">
        ${selectable && html`<${BulkActions} user=${user} selected=${selected} onDone=${onDone} />`}
        ${!problems.length && html`<a class="button-link" href=${exportHref} download="payments.csv">Export CSV</a>`}
      </div>
      <${Notice} text=${done} />
      ${list.loading && html`<${Loading} what="Loading payouts" />`}
      <${Alert} error=${list.error} />
      ${list.data && list.data.payments.length === 0 && html`
        <p class="empty-state">No payout matches these filters.</p>`}
      ${list.data && list.data.payments.length > 0 && html`
        <${PayoutTable} payments=${list.data.payments} selectable=${selectable} selected=${selected}
          toggle=${toggle} toggleAll=${toggleAll} />
        <${Pager} label="Payout pages" page=${list.data.page} size=${list.data.size} total=${list.data.total}
          hrefFor=${(p) => screenHref(view, p)} />`}
    </section>`;
}
