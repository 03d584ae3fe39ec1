// The Funds screen (spec §8): balances per currency; for admins a
// Deposit form (Currency, Amount, Reference) and a Withdraw form; the
// ledger of every movement, newest first, with paging and a currency
// filter kept in the address.
import { useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { api, num } from '../api.js';
import { Link, navigate } from '../router.js';
import { can } from '../roles.js';
import { Moment } from '../dates.js';
import { formatMoney, parseAmountInput } from '../money.js';
import { Alert, Loading, Money, Notice, Pager, TableFrame, useApi, withQuery } from '../ui.js';
import { BalancesTable } from './overview.js';

const KIND_WORDS = {
  deposit: 'Deposit', withdraw: 'Withdrawal', block: 'Blocked for a payout',
  release: 'Released (cancelled or expired)', payout: 'Paid out',
};

function MoveForm({ kind, onDone }) {
  const title = kind === 'deposit' ? 'Deposit' : 'Withdraw';
  const id = (f) => `${kind}-${f}`;
  const [currency, setCurrency] = useState('');
  const [amount, setAmount] = useState('');
  const [reference, setReference] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    const code = currency.trim().toUpperCase();
    if (!/^[A-Z]{3}$/.test(code)) { setError('Enter the currency as its three-letter code, for example GBP.'); return; }
    let exact;
    try {
      exact = parseAmountInput(amount, code);
    } catch (err) {
      setError(err.message);
      return;
    }
    setBusy(true);
    try {
      const body = { currency: code, amount: num(exact) };
      if (reference.trim() !== '') body.reference = reference.trim();
      const b = await api('POST', `/api/admin/funds/${kind}`, body);
      setAmount(''); setReference('');
      onDone(b, exact, kind);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <form class="card" aria-labelledby=${id('title')} onSubmit=${submit} novalidate>
      <h2 id=${id('title')}>${title}</h2>
      <${Alert} error=${error} />
      <label for=${id('currency')}>Currency</label>
      <input id=${id('currency')} value=${currency} maxlength="3" autocomplete="off" class="short"
        onInput=${(e) => setCurrency(e.currentTarget.value)} />
      <label for=${id('amount')}>Amount</label>
      <input id=${id('amount')} value=${amount} inputmode="decimal" autocomplete="off"
        onInput=${(e) => setAmount(e.currentTarget.value)} />
      <label for=${id('reference')}>Reference</label>
      <input id=${id('reference')} value=${reference} maxlength="200" autocomplete="off"
        onInput=${(e) => setReference(e.currentTarget.value)} />
      <button type="submit" class=${kind === 'deposit' ? 'primary' : ''} disabled=${busy}>${title}</button>
    </form>`;
}

function Ledger({ query }) {
  const currency = (query.get('currency') ?? '').toUpperCase();
  const page = query.get('page') ?? '1';
  const bad = (currency && !/^[A-Z]{3}$/.test(currency)) || !/^[1-9]\d{0,5}$/.test(page);
  const ledger = useApi(bad ? null : withQuery('/api/ledger', { currency, page, size: 25, dir: 'desc' }));
  const [draft, setDraft] = useState(currency);
  const href = (p) => withQuery('/funds', { currency, page: p > 1 ? p : '' });
  return html`
    <section aria-labelledby="ledger-title">
      <h2 id="ledger-title">Ledger</h2>
      <form class="filters" aria-label="Ledger filter" onSubmit=${(e) => { e.preventDefault(); navigate(withQuery('/funds', { currency: draft.trim().toUpperCase() })); }}>
        <div>
          <label for="ledger-currency">Ledger currency</label>
          <input id="ledger-currency" class="short" maxlength="3" value=${draft} placeholder="Any"
            onInput=${(e) => setDraft(e.currentTarget.value)} />
        </div>
        <div class="filter-actions"><button type="submit">Show</button></div>
      </form>
      ${bad && html`<${Alert} error="The ledger's currency must be a three-letter code and the page a positive number." />`}
      ${ledger.loading && html`<${Loading} what="Loading the ledger" />`}
      <${Alert} error=${ledger.error} />
      ${ledger.data && ledger.data.ledger.length === 0 && html`<p class="empty-state">No movement yet.</p>`}
      ${ledger.data && ledger.data.ledger.length > 0 && html`
        <${TableFrame} label="Ledger table">
          <table>
            <thead><tr><th scope="col">When</th><th scope="col">Movement</th><th scope="col">Currency</th>
              <th scope="col" class="money">Available</th><th scope="col" class="money">Blocked</th>
              <th scope="col" class="money">Paid out</th><th scope="col">Payout</th><th scope="col">Reference</th></tr></thead>
            <tbody>${ledger.data.ledger.map((m) => html`
              <tr>
                <td><${Moment} at=${m.at} /></td><td>${KIND_WORDS[m.kind] ?? m.kind}</td><td>${m.currency}</td>
                <td class="money"><${Money} amount=${m.available} currency=${m.currency} /></td>
                <td class="money"><${Money} amount=${m.blocked} currency=${m.currency} /></td>
                <td class="money"><${Money} amount=${m.paidOut} currency=${m.currency} /></td>
                <td>${m.payoutId !== null && m.payoutId !== undefined ? html`<${Link} href=${`/payouts/${m.payoutId}`}>${m.payoutId}</${Link}>` : ''}</td>
                <td>${m.reference ?? ''}</td>
              </tr>`)}</tbody>
          </table>
        </${TableFrame}>
        <${Pager} label="Ledger pages" page=${ledger.data.page} size=${ledger.data.size} total=${ledger.data.total} hrefFor=${href} />`}
    </section>`;
}

export function Funds({ user, query }) {
  const balances = useApi('/api/balances');
  const [done, setDone] = useState('');
  const [tick, setTick] = useState(0);
  function onDone(b, amount, kind) {
    setDone(`${kind === 'deposit' ? 'Deposited' : 'Withdrew'} ${formatMoney(amount, b.currency)}. Available now: ${formatMoney(b.available, b.currency)}.`);
    balances.reload();
    setTick(tick + 1);
  }
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Funds</h1>
      <${Notice} text=${done} />
      <section aria-labelledby="balances-title">
        <h2 id="balances-title">Balances</h2>
        ${balances.loading && html`<${Loading} what="Loading balances" />`}
        <${Alert} error=${balances.error} />
        ${balances.data && html`<${BalancesTable} label="Balances per currency" balances=${balances.data.balances} />`}
      </section>
      ${can(user, 'admin') && html`
        <div class="cards two">
          <${MoveForm} kind="deposit" onDone=${onDone} />
          <${MoveForm} kind="withdraw" onDone=${onDone} />
        </div>`}
      <${Ledger} key=${tick} query=${query} />
    </section>`;
}
