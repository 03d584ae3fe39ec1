// The Audit log screen (spec §8): every admin and money action, newest
// first (GET /api/admin/audit), with filters (action, who, period) and
// paging kept in the address.
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { Link, navigate } from '../router.js';
import { can } from '../roles.js';
import { Moment, dayEndIso, dayStartIso, isDay } from '../dates.js';
import { Alert, Loading, Pager, TableFrame, useApi, userName, withQuery } from '../ui.js';

const KINDS = { '': 'Anyone', admin: 'Panel users', integrator: 'The API integration', system: 'The server' };

function readView(query) {
  const v = {
    action: query.get('action') ?? '',
    actorKind: query.get('actorKind') ?? '',
    user: query.get('user') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
    page: query.get('page') ?? '1',
  };
  const problems = [];
  if (v.action && !/^[a-z_.]{1,64}$/.test(v.action)) problems.push('An action is a name such as payment.create.');
  if (!Object.hasOwn(KINDS, v.actorKind)) problems.push('Choose who acted from the list.');
  if (v.user && !/^[1-9]\d{0,17}$/.test(v.user)) problems.push('A user is given by their number.');
  if (v.from && !isDay(v.from)) problems.push('"From" must be a day (YYYY-MM-DD).');
  if (v.to && !isDay(v.to)) problems.push('"To" must be a day (YYYY-MM-DD).');
  if (!/^[1-9]\d{0,5}$/.test(v.page)) problems.push('The page must be a positive number.');
  return { v, problems };
}

function href(v, page) {
  return withQuery('/audit-log', { ...v, page: page > 1 ? page : '' });
}

function Filters({ v }) {
  const [d, setD] = useState(v);
  useEffect(() => setD(v), [v.action, v.actorKind, v.user, v.from, v.to]);
  const set = (k) => (e) => setD({ ...d, [k]: e.currentTarget.value });
  return html`
    <form class="filters" aria-label="Filters" onSubmit=${(e) => { e.preventDefault(); navigate(href({ ...d, action: d.action.trim() }, 1)); }}>
      <div><label for="a-action">Action</label><input id="a-action" value=${d.action} placeholder="e.g. funds.deposit"
        list="a-actions" onInput=${set('action')} autocomplete="off" />
        <datalist id="a-actions">
          ${['payment.create', 'payment.create_list', 'payment.cancel', 'payment.authorize', 'payment.receive',
            'payment.expire', 'funds.deposit', 'funds.withdraw', 'settings.api_integration',
            'settings.api_integration.rotate', 'settings.authorization'].map((a) => html`<option value=${a} />`)}
        </datalist></div>
      <div><label for="a-kind">Who</label>
        <select id="a-kind" value=${d.actorKind} onChange=${set('actorKind')}>
          ${Object.entries(KINDS).map(([k, t]) => html`<option value=${k}>${t}</option>`)}
        </select></div>
      <div><label for="a-user">User number</label><input id="a-user" class="short" inputmode="numeric" value=${d.user} onInput=${set('user')} /></div>
      <div><label for="a-from">From</label><input id="a-from" type="date" value=${d.from} onInput=${set('from')} /></div>
      <div><label for="a-to">To</label><input id="a-to" type="date" value=${d.to} onInput=${set('to')} /></div>
      <div class="filter-actions"><button type="submit" class="primary">Apply filters</button>
        <${Link} href="/audit-log">Clear filters</${Link}></div>
    </form>`;
}

function who(actor, users) {
  if (!actor) return '';
  if (actor.kind === 'system') return 'The server';
  if (actor.kind === 'integrator') return 'The API integration';
  const id = actor.userId ?? actor.adminId;
  return id === null || id === undefined ? 'The command line' : userName(users, id);
}

export function AuditLog({ user, query }) {
  const { v, problems } = readView(query);
  const users = useApi(can(user, 'admin') ? '/api/admin/users' : null);
  const path = problems.length ? null : withQuery('/api/admin/audit', {
    action: v.action, actorKind: v.actorKind, adminId: v.user,
    from: v.from ? dayStartIso(v.from) : '', to: v.to ? dayEndIso(v.to) : '', page: v.page, size: 25,
  });
  const audit = useApi(path);
  const userList = users.data ? users.data.users : null;
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Audit log</h1>
      <${Filters} v=${v} />
      ${problems.length > 0 && html`<${Alert} error=${problems.join(' ')} />`}
      ${audit.loading && html`<${Loading} what="Loading the audit log" />`}
      <${Alert} error=${audit.error} />
      ${audit.data && audit.data.audit.length === 0 && html`<p class="empty-state">No entry matches these filters.</p>`}
      ${audit.data && audit.data.audit.length > 0 && html`
        <${TableFrame} label="Audit log table">
          <table>
            <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">From</th>
              <th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Detail</th></tr></thead>
            <tbody>${audit.data.audit.map((a) => html`
              <tr><td><${Moment} at=${a.at} /></td><td>${who(a.actor, userList)}</td><td>${a.address ?? ''}</td>
                <td><code>${a.action}</code></td><td>${a.subject ?? ''}</td><td>${a.detail ?? ''}</td></tr>`)}</tbody>
          </table>
        </${TableFrame}>
        <${Pager} label="Audit log pages" page=${audit.data.page} size=${audit.data.size} total=${audit.data.total}
          hrefFor=${(p) => href(v, p)} />`}
    </section>`;
}
