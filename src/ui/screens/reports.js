// The Reports screen (spec §8): GET /api/reports/payouts over a period,
// grouped by project, currency, status, recipient or day, as a table and
// as a bar chart drawn in plain SVG (one chart per currency: sums of
// different currencies are never compared). The form is kept in the
// address. Bar lengths come from the sums' digits through BigInt, never
// from amounts turned into doubles.
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { navigate } from '../router.js';
import { dayStartIso, isDay, localDay, nextDayStartIso } from '../dates.js';
import { formatMoney, parseDecimal } from '../money.js';
import { Alert, Loading, Money, STATUSES, TableFrame, statusWord, useApi, withQuery } from '../ui.js';

const GROUPS = { project: 'Project', currency: 'Currency', status: 'Status', recipient: 'Recipient', day: 'Day' };

function readForm(query) {
  return {
    groupBy: query.get('groupBy') ?? 'project',
    from: query.get('from') ?? localDay(-29),
    to: query.get('to') ?? localDay(0),
    currency: (query.get('currency') ?? '').toUpperCase(),
    status: (query.get('status') ?? '').toUpperCase(),
  };
}

function problemsOf(f) {
  const out = [];
  if (!Object.hasOwn(GROUPS, f.groupBy)) out.push('Choose how to group the report.');
  if (!isDay(f.from)) out.push('"From" must be a day (YYYY-MM-DD).');
  if (!isDay(f.to)) out.push('"To" must be a day (YYYY-MM-DD).');
  if (isDay(f.from) && isDay(f.to) && f.from > f.to) out.push('"From" must not be after "To".');
  if (f.currency && !/^[A-Z]{3}$/.test(f.currency)) out.push('The currency must be a three-letter code.');
  if (f.status && !STATUSES.includes(f.status)) out.push('Choose a status from the list.');
  return out;
}

/** The group's name for a person. */
function groupName(g, groupBy) {
  if (groupBy === 'project') return g.name ? `${g.name} (${g.key})` : `Project ${g.key}`;
  if (groupBy === 'recipient') return `Recipient ${g.key}`;
  if (groupBy === 'status') return statusWord(g.key);
  return g.key;
}

/** Scales decimal strings to BigInts with the same number of decimals. */
function scaled(sums) {
  const parts = sums.map(parseDecimal);
  const decimals = Math.max(0, ...parts.map((p) => (p ? p.fraction.length : 0)));
  return parts.map((p) => (p ? BigInt(p.integer + p.fraction.padEnd(decimals, '0')) : 0n));
}

const BAR_H = 22;
const LABEL_W = 190;
const CHART_W = 640;

function BarChart({ currency, groups, groupBy }) {
  const values = scaled(groups.map((g) => g.sum));
  const max = values.reduce((a, b) => (b > a ? b : a), 0n);
  const room = CHART_W - LABEL_W - 110;
  const height = groups.length * (BAR_H + 8) + 8;
  const titleId = `chart-${currency}`;
  return html`
    <figure class="chart">
      <svg viewBox=${`0 0 ${CHART_W} ${height}`} role="img" aria-labelledby=${titleId} preserveAspectRatio="xMinYMin meet">
        <title id=${titleId}>${`Sum of payouts in ${currency} by ${GROUPS[groupBy].toLowerCase()}`}</title>
        ${groups.map((g, i) => {
          // Thousandths of the largest sum: an integer ratio, exact.
          const w = max === 0n ? 0 : Number((values[i] * 1000n) / max) * room / 1000;
          const y = 8 + i * (BAR_H + 8);
          return html`
            <g>
              <text class="chart-label" x=${LABEL_W - 8} y=${y + BAR_H / 2 + 5} text-anchor="end">${groupName(g, groupBy).slice(0, 28)}</text>
              <rect class="chart-bar" x=${LABEL_W} y=${y} width=${Math.max(w, 1)} height=${BAR_H} rx="3" />
              <text class="chart-value" x=${LABEL_W + Math.max(w, 1) + 6} y=${y + BAR_H / 2 + 5}>${formatMoney(g.sum, currency)}</text>
            </g>`;
        })}
      </svg>
      <figcaption>Sum in ${currency} per ${GROUPS[groupBy].toLowerCase()}</figcaption>
    </figure>`;
}

function Form({ form }) {
  const [draft, setDraft] = useState(form);
  useEffect(() => setDraft(form), [form.groupBy, form.from, form.to, form.currency, form.status]);
  const set = (k) => (e) => setDraft({ ...draft, [k]: e.currentTarget.value });
  function submit(e) {
    e.preventDefault();
    navigate(withQuery('/reports', { ...draft, currency: draft.currency.trim().toUpperCase() }));
  }
  return html`
    <form class="filters" aria-label="Report" onSubmit=${submit}>
      <div>
        <label for="r-group">Group by</label>
        <select id="r-group" value=${draft.groupBy} onChange=${set('groupBy')}>
          ${Object.entries(GROUPS).map(([k, v]) => html`<option value=${k}>${v}</option>`)}
        </select>
      </div>
      <div><label for="r-from">From</label><input id="r-from" type="date" value=${draft.from} onInput=${set('from')} /></div>
      <div><label for="r-to">To</label><input id="r-to" type="date" value=${draft.to} onInput=${set('to')} /></div>
      <div><label for="r-currency">Currency</label><input id="r-currency" class="short" maxlength="3" placeholder="Any"
        value=${draft.currency} onInput=${set('currency')} /></div>
      <div>
        <label for="r-status">Status</label>
        <select id="r-status" value=${draft.status} onChange=${set('status')}>
          <option value="">Every status</option>
          ${STATUSES.map((s) => html`<option value=${s}>${statusWord(s)}</option>`)}
        </select>
      </div>
      <div class="filter-actions"><button type="submit" class="primary">Show report</button></div>
    </form>`;
}

export function Reports({ query }) {
  const form = readForm(query);
  const problems = problemsOf(form);
  const report = useApi(problems.length ? null : withQuery('/api/reports/payouts', {
    groupBy: form.groupBy, from: dayStartIso(form.from), to: nextDayStartIso(form.to),
    currency: form.currency, status: form.status,
  }));
  const groups = report.data ? report.data.groups : [];
  const currencies = [...new Set(groups.map((g) => g.currency))].sort();
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Reports</h1>
      <p class="muted">Payouts created from ${form.from} to ${form.to} (both days included, in your time zone), every status unless one is chosen.</p>
      <${Form} form=${form} />
      ${problems.length > 0 && html`<${Alert} error=${problems.join(' ')} />`}
      ${report.loading && html`<${Loading} what="Loading the report" />`}
      <${Alert} error=${report.error} />
      ${report.data && groups.length === 0 && html`<p class="empty-state">No payout was created in this period.</p>`}
      ${groups.length > 0 && html`
        <${TableFrame} label="Report table">
          <table>
            <caption class="visually-hidden">Payouts by ${GROUPS[form.groupBy].toLowerCase()}</caption>
            <thead><tr><th scope="col">${GROUPS[form.groupBy]}</th><th scope="col">Currency</th>
              <th scope="col" class="num">Payouts</th><th scope="col" class="money">Sum</th></tr></thead>
            <tbody>${groups.map((g) => html`
              <tr><th scope="row">${groupName(g, form.groupBy)}</th><td>${g.currency}</td>
                <td class="num">${g.count}</td><td class="money"><${Money} amount=${g.sum} currency=${g.currency} /></td></tr>`)}</tbody>
          </table>
        </${TableFrame}>
        <div class="charts">
          ${currencies.map((c) => html`<${BarChart} currency=${c} groupBy=${form.groupBy} groups=${groups.filter((g) => g.currency === c)} />`)}
        </div>`}
    </section>`;
}
