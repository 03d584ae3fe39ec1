// A payout's detail view (spec §8): its fields, its whole history
// (created, authorized, received, cancelled, expired: when and by whom),
// its recipient notifications and its events. Who created and who
// authorized it are on the payout itself (createdByUserId,
// authorizedByUserId); who received or cancelled it comes from the audit
// log entry of that moment. Authorize and Cancel for the roles that may.
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { api, num } from '../api.js';
import { Link } from '../router.js';
import { can } from '../roles.js';
import { Moment, momentShift } from '../dates.js';
import { subjectNames } from '../audit.js';
import {
  Alert, ConfirmButton, Field, Loading, Money, Notice, Status, TableFrame, useApi, userName, withQuery,
} from '../ui.js';

// The audit entry of a change is written in the change's transaction, so
// its time is within moments of the payout's own time stamp.
const AUDIT_WINDOW_MS = 60 * 1000;

/** Who an audit entry's actor is, in words. */
function actorWords(actor, users, me) {
  if (!actor) return 'unknown';
  if (actor.kind === 'system') return 'the server';
  if (actor.kind === 'integrator') return 'the API integration';
  const id = actor.userId ?? actor.adminId;
  if (id === null || id === undefined) return 'the command line';
  return byUser(id, users, me);
}

function byUser(id, users, me) {
  if (me && String(me.id) === String(id)) return `you (${me.email})`;
  return userName(users, id);
}

/** Finds who did one of actions to payout p at moment at, from the
 *  audit log. */
async function auditActor(actions, p, at, users, me) {
  for (const action of actions) {
    const path = withQuery('/api/admin/audit', {
      action, from: momentShift(at, -AUDIT_WINDOW_MS), to: momentShift(at, AUDIT_WINDOW_MS), size: 100,
    });
    const answer = await api('GET', path);
    const entry = answer.audit.find((a) => subjectNames(a.subject, p.id));
    if (entry) return actorWords(entry.actor, users, me);
  }
  return 'not recorded';
}

/** The history rows of p: [{what, at, who}] in time order. */
async function history(p, users, me) {
  // Without the user id on the payout (the API key, or a payout older
  // than those fields) the audit entry says who.
  const rows = [p.createdByUserId !== undefined
    ? { what: 'Created', at: p.createdAt, who: byUser(p.createdByUserId, users, me) }
    : { what: 'Created', at: p.createdAt, audit: ['payment.create', 'payment.create_list'] }];
  if (p.authorizedAt) {
    rows.push(p.authorizedByUserId !== undefined
      ? { what: 'Authorized', at: p.authorizedAt, who: byUser(p.authorizedByUserId, users, me) }
      : { what: 'Authorized', at: p.authorizedAt, audit: ['payment.authorize'] });
  }
  if (p.receivedAt) rows.push({ what: 'Received', at: p.receivedAt, audit: ['payment.receive'], detail: p.reference });
  if (p.cancelledAt) rows.push({ what: 'Cancelled', at: p.cancelledAt, audit: ['payment.cancel'] });
  if (p.expiredAt) rows.push({ what: 'Expired', at: p.expiredAt, who: 'the server (the window ended)' });
  for (const r of rows) {
    if (r.audit) {
      try {
        r.who = await auditActor(r.audit, p, r.at, users, me);
      } catch (err) {
        r.who = err.status === 403 ? 'not visible to your role' : 'could not be read';
      }
    }
  }
  return rows;
}

/** Metadata for a person: "orderId: A-1, rate: 0.1" (numbers are text
 *  here, as api.js reads them). */
function metadataText(m) {
  return Object.entries(m).map(([k, v]) => `${k}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
}

function History({ p, user }) {
  const users = useApi(can(user, 'admin') ? '/api/admin/users' : null);
  const [rows, setRows] = useState(null);
  useEffect(() => {
    if (users.loading) return;
    let live = true;
    history(p, users.data?.users ?? null, user).then((r) => { if (live) setRows(r); });
    return () => { live = false; };
  }, [p, users.loading]);
  return html`
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      ${rows === null ? html`<${Loading} what="Reading the history" />` : html`
        <${TableFrame} label="History table">
          <table>
            <thead><tr><th scope="col">What</th><th scope="col">When</th><th scope="col">By whom</th><th scope="col">Detail</th></tr></thead>
            <tbody>
              ${rows.map((r) => html`<tr><th scope="row">${r.what}</th><td><${Moment} at=${r.at} /></td><td>${r.who}</td><td>${r.detail ?? ''}</td></tr>`)}
            </tbody>
          </table>
        </${TableFrame}>`}
    </section>`;
}

function Notifications({ p }) {
  const list = Array.isArray(p.notifications) ? p.notifications : null;
  return html`
    <section aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      ${list === null && html`<p class="empty-state">${p.notification === true ? 'The server does not report notifications.' : 'The recipient is not notified about this payout.'}</p>`}
      ${list !== null && list.length === 0 && html`<p class="empty-state">No notification yet.</p>`}
      ${list !== null && list.length > 0 && html`
        <${TableFrame} label="Notifications table">
          <table>
            <thead><tr><th scope="col">Kind</th><th scope="col">Channel</th><th scope="col">Status</th><th scope="col">When</th></tr></thead>
            <tbody>${list.map((n) => html`<tr><td>${n.kind}</td><td>${n.channel}</td><td>${n.status}</td><td><${Moment} at=${n.at} /></td></tr>`)}</tbody>
          </table>
        </${TableFrame}>`}
    </section>`;
}

function Events({ p }) {
  const events = useApi(withQuery('/api/events', { payoutId: p.id, size: 100 }));
  return html`
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      ${events.loading && html`<${Loading} what="Loading events" />`}
      <${Alert} error=${events.error} />
      ${events.data && events.data.events.length === 0 && html`<p class="empty-state">No event yet.</p>`}
      ${events.data && events.data.events.length > 0 && html`
        <${TableFrame} label="Events table">
          <table>
            <thead><tr><th scope="col">Sequence</th><th scope="col">Type</th><th scope="col">When</th><th scope="col">Event id</th></tr></thead>
            <tbody>${events.data.events.map((e) => html`<tr><td class="num">${e.sequence}</td><td>${e.type}</td><td><${Moment} at=${e.createdAt} /></td><td><code>${e.id}</code></td></tr>`)}</tbody>
          </table>
        </${TableFrame}>`}
    </section>`;
}

function Actions({ p, user, onChanged }) {
  const [error, setError] = useState(null);
  const open = p.status === 'UNAUTHORIZED' || p.status === 'READY';
  async function run(kind) {
    setError(null);
    try {
      const answer = await api('POST', `/api/payment/${kind}`, { ids: [num(p.id)] });
      const done = Number(answer.success) === 1;
      onChanged(kind === 'authorize'
        ? (done ? 'The payout is authorized.' : 'The payout was not authorized: it is not waiting, its window has passed, or you created it (four eyes).')
        : (done ? 'The payout is cancelled.' : 'The payout was not cancelled: it is no longer open.'));
    } catch (err) {
      setError(err);
    }
  }
  if (!open) return null;
  const mayAuthorize = p.status === 'UNAUTHORIZED' && can(user, 'authorize');
  const mayCancel = can(user, 'cancel');
  if (!mayAuthorize && !mayCancel) return null;
  return html`
    <div class="toolbar" role="group" aria-label="Payout actions">
      ${mayAuthorize && html`<button type="button" class="primary" onClick=${() => run('authorize')}>Authorize</button>`}
      ${mayCancel && html`<${ConfirmButton} label="Cancel payout" danger=${true}
        question="Cancel this payout? Its funds are released; this cannot be undone."
        confirmLabel="Cancel the payout" onConfirm=${() => run('cancel')} />`}
      <${Alert} error=${error} />
    </div>`;
}

export function PayoutDetail({ user, params, features }) {
  const one = useApi(/^[1-9]\d*$/.test(params.id) ? `/api/payments/${params.id}` : null);
  const [done, setDone] = useState('');
  const p = one.data;
  function onChanged(text) {
    setDone(text);
    one.reload();
  }
  return html`
    <section aria-labelledby="screen-title">
      <p class="crumbs"><${Link} href="/payouts">Payouts</${Link}></p>
      <h1 id="screen-title" tabindex="-1">Payout ${params.id}</h1>
      ${!/^[1-9]\d*$/.test(params.id) && html`<${Alert} error="A payout's number is a positive whole number." />`}
      ${one.loading && html`<${Loading} what="Loading the payout" />`}
      <${Alert} error=${one.error} />
      <${Notice} text=${done} />
      ${p && html`
        <${Actions} p=${p} user=${user} onChanged=${onChanged} />
        <dl class="fields">
          <${Field} name="Amount"><${Money} amount=${p.amount} currency=${p.currency} /></${Field}>
          <${Field} name="Status"><${Status} status=${p.status} /></${Field}>
          <${Field} name="Description">${p.description}</${Field}>
          <${Field} name="Window"><${Moment} at=${p.startDate} /> – <${Moment} at=${p.endDate} /></${Field}>
          <${Field} name="Recipient">${p.recipientId}</${Field}>
          <${Field} name="Project">${p.projectId}</${Field}>
          <${Field} name="Notify the recipient">${p.notification === true ? 'Yes' : 'No'}</${Field}>
          <${Field} name="Unique id"><code>${p.uniqueId}</code></${Field}>
          ${p.reference && html`<${Field} name="Payout reference">${p.reference}</${Field}>`}
          ${p.metadata && html`<${Field} name="Metadata">${metadataText(p.metadata)}</${Field}>`}
        </dl>
        <${History} p=${p} user=${user} />
        <${Notifications} p=${p} />
        ${features.events && html`<${Events} p=${p} />`}`}
    </section>`;
}
