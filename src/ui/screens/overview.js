// The Overview screen (spec §8): balances per currency (available,
// blocked, paid out), the payouts waiting for authorization and the open
// payouts whose window ends within 24 hours. Read-only for every role.
import { useMemo } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { Link } from '../router.js';
import { Moment, momentFromNow } from '../dates.js';
import { Alert, Loading, Money, Status, TableFrame, useApi, withQuery } from '../ui.js';

const DAY_MS = 24 * 3600 * 1000;

export function BalancesTable({ label, balances }) {
  if (balances.length === 0) return html`<p class="empty-state">No currency has been funded yet.</p>`;
  return html`
    <${TableFrame} label=${label}>
      <table>
        <caption class="visually-hidden">${label}</caption>
        <thead><tr><th scope="col">Currency</th><th scope="col" class="money">Available</th>
          <th scope="col" class="money">Blocked</th><th scope="col" class="money">Paid out</th></tr></thead>
        <tbody>
          ${balances.map((b) => html`
            <tr>
              <th scope="row">${b.currency}</th>
              <td class="money"><${Money} amount=${b.available} currency=${b.currency} /></td>
              <td class="money"><${Money} amount=${b.blocked} currency=${b.currency} /></td>
              <td class="money"><${Money} amount=${b.paidOut ?? '0'} currency=${b.currency} /></td>
            </tr>`)}
        </tbody>
      </table>
    </${TableFrame}>`;
}

/** A short table of payouts (id, amount, status, window end). */
function PayoutShortList({ label, answer, emptyText, moreHref }) {
  if (answer.payments.length === 0) return html`<p class="empty-state">${emptyText}</p>`;
  return html`
    <${TableFrame} label=${label}>
      <table>
        <caption class="visually-hidden">${label}</caption>
        <thead><tr><th scope="col">Payout</th><th scope="col" class="money">Amount</th>
          <th scope="col">Status</th><th scope="col">Window ends</th><th scope="col">Description</th></tr></thead>
        <tbody>
          ${answer.payments.map((p) => html`
            <tr>
              <td><${Link} href=${`/payouts/${p.id}`}>Payout ${p.id}</${Link}></td>
              <td class="money"><${Money} amount=${p.amount} currency=${p.currency} /></td>
              <td><${Status} status=${p.status} /></td>
              <td><${Moment} at=${p.endDate} /></td>
              <td>${p.description}</td>
            </tr>`)}
        </tbody>
      </table>
    </${TableFrame}>
    ${Number(answer.total) > answer.payments.length && html`
      <p><${Link} href=${moreHref}>All ${answer.total} in Payouts</${Link}></p>`}`;
}

function Block({ id, title, state, wide, children }) {
  return html`
    <section class=${wide ? 'card wide' : 'card'} aria-labelledby=${id}>
      <h2 id=${id}>${title}</h2>
      ${state.loading && html`<${Loading} />`}
      <${Alert} error=${state.error} />
      ${state.data && children(state.data)}
    </section>`;
}

export function Overview() {
  // The 24-hour window is fixed when the screen opens.
  const window24 = useMemo(() => ({ from: momentFromNow(0), to: momentFromNow(DAY_MS) }), []);
  const balances = useApi('/api/balances');
  const waiting = useApi('/api/payments?status=UNAUTHORIZED&orderBy=endDate&size=10');
  const ending = useApi(withQuery('/api/payments', {
    status: 'UNAUTHORIZED,READY', endFrom: window24.from, endTo: window24.to, orderBy: 'endDate', size: 10,
  }));
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Overview</h1>
      <div class="cards">
        <${Block} id="balances-title" title="Balances" state=${balances} wide=${true}>
          ${(d) => html`<${BalancesTable} label="Balances per currency" balances=${d.balances} />`}
        </${Block}>
        <${Block} id="waiting-title" title="Waiting for authorization" state=${waiting}>
          ${(d) => html`<${PayoutShortList} label="Payouts waiting for authorization" answer=${d}
            emptyText="No payout is waiting for authorization." moreHref="/payouts?status=UNAUTHORIZED" />`}
        </${Block}>
        <${Block} id="ending-title" title="Window ends within 24 hours" state=${ending}>
          ${(d) => html`<${PayoutShortList} label="Open payouts whose window ends within 24 hours" answer=${d}
            emptyText="No open payout's window ends within the next 24 hours." moreHref="/payouts?status=UNAUTHORIZED,READY" />`}
        </${Block}>
      </div>
    </section>`;
}
