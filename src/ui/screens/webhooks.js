// The Webhooks screen (spec §8 and §9, admins): the endpoints, adding one
// (its signing secret is shown once), enabling and disabling, Test, Rotate
// secret, Delete; one endpoint's page (/webhooks/N) lists its delivery
// attempts and replays events. Shown only when the server offers
// webhooks (its OpenAPI document lists /api/webhooks).
import { useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { api } from '../api.js';
import { Link } from '../router.js';
import { Moment, dayStartIso, isDay, nextDayStartIso } from '../dates.js';
import { Alert, ConfirmButton, Loading, Notice, TableFrame, useApi } from '../ui.js';

const TYPES = ['payout.created', 'payout.authorized', 'payout.received', 'payout.cancelled', 'payout.expired',
  'funds.deposited', 'funds.withdrawn'];

function OnceSecret({ secret }) {
  const [said, setSaid] = useState('');
  return html`
    <div class="once" role="group" aria-label="Signing secret">
      <p>The signing secret is shown only now. Store it where the receiving system checks signatures.</p>
      <label for="once-secret">Signing secret</label>
      <div class="secret-row">
        <input id="once-secret" readonly value=${secret} spellcheck="false" autocomplete="off" />
        <button type="button" onClick=${async () => {
          try { await navigator.clipboard.writeText(secret); setSaid('Copied to the clipboard.'); } catch { setSaid('Copy it by hand.'); }
        }}>Copy secret</button>
      </div>
      <${Notice} text=${said} />
    </div>`;
}

function AddEndpoint({ onAdded }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState(new Set());
  const [error, setError] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    try {
      const body = { url: url.trim() };
      if (types.size > 0) body.events = TYPES.filter((t) => types.has(t));
      if (description.trim()) body.description = description.trim();
      const ep = await api('POST', '/api/webhooks', body);
      setUrl(''); setDescription(''); setTypes(new Set());
      onAdded(ep);
    } catch (err) {
      setError(err);
    }
  }
  function flip(t) {
    const next = new Set(types);
    if (next.has(t)) next.delete(t); else next.add(t);
    setTypes(next);
  }
  return html`
    <form class="card" aria-labelledby="add-hook-title" onSubmit=${submit} novalidate>
      <h2 id="add-hook-title">Add an endpoint</h2>
      <${Alert} error=${error} />
      <label for="hook-url">URL</label>
      <input id="hook-url" type="url" value=${url} placeholder="https://example.com/payout-events" onInput=${(e) => setUrl(e.currentTarget.value)} />
      <label for="hook-description">Description</label>
      <input id="hook-description" value=${description} onInput=${(e) => setDescription(e.currentTarget.value)} />
      <fieldset>
        <legend>Events (none chosen: every type)</legend>
        <div class="checks">${TYPES.map((t) => html`
          <div class="radio"><input type="checkbox" id=${`type-${t}`} checked=${types.has(t)} onChange=${() => flip(t)} />
            <label for=${`type-${t}`}>${t}</label></div>`)}</div>
      </fieldset>
      <button type="submit" class="primary">Add endpoint</button>
    </form>`;
}

function EndpointActions({ ep, onResult }) {
  async function act(method, path, body, text) {
    try {
      const a = await api(method, path, body);
      onResult({ text: text(a), secret: a && a.secret });
    } catch (err) {
      onResult({ error: err });
    }
  }
  const base = `/api/webhooks/${ep.id}`;
  return html`
    <div class="row-actions">
      <button type="button" aria-label=${`${ep.enabled ? 'Disable' : 'Enable'} ${ep.url}`}
        onClick=${() => act('PATCH', base, { enabled: !ep.enabled }, (a) => (a.enabled ? `${ep.url} is enabled.` : `${ep.url} is disabled.`))}>${ep.enabled ? 'Disable' : 'Enable'}</button>
      <button type="button" aria-label=${`Test ${ep.url}`} onClick=${() => act('POST', `${base}/test`, undefined, () => `A webhook.test event is on its way to ${ep.url}.`)}>Test</button>
      <${ConfirmButton} label=${`Rotate secret of ${ep.url}`} question="Make a new signing secret? The old one keeps signing beside it for 24 hours."
        confirmLabel="Rotate secret" onConfirm=${() => act('POST', `${base}/rotate-secret`, undefined, () => `${ep.url} has a new signing secret.`)} />
      <${ConfirmButton} label=${`Delete ${ep.url}`} danger=${true} question="Delete this endpoint? Its events are no longer sent."
        confirmLabel="Delete endpoint" onConfirm=${() => act('DELETE', base, undefined, () => `${ep.url} is deleted.`)} />
    </div>`;
}

function EndpointList() {
  const list = useApi('/api/webhooks');
  const [result, setResult] = useState(null);
  function onResult(r) {
    setResult(r);
    if (!r.error) list.reload();
  }
  return html`
    <${AddEndpoint} onAdded=${(ep) => onResult({ text: `${ep.url} is added.`, secret: ep.secret })} />
    <${Notice} text=${result && !result.error ? result.text : ''} />
    ${result && result.error && html`<${Alert} error=${result.error} />`}
    ${result && result.secret && html`<${OnceSecret} secret=${result.secret} />`}
    ${list.loading && !list.data && html`<${Loading} what="Loading endpoints" />`}
    <${Alert} error=${list.error} />
    ${list.data && list.data.webhooks.length === 0 && html`<p class="empty-state">No endpoint yet.</p>`}
    ${list.data && list.data.webhooks.length > 0 && html`
      <${TableFrame} label="Endpoints table">
        <table>
          <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Status</th>
            <th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
          <tbody>${list.data.webhooks.map((ep) => html`
            <tr>
              <th scope="row"><${Link} href=${`/webhooks/${ep.id}`}>${ep.url}</${Link}>${ep.description ? html`<br /><span class="muted">${ep.description}</span>` : ''}</th>
              <td>${ep.events && ep.events.length ? ep.events.join(', ') : 'Every type'}</td>
              <td>${ep.enabled ? 'Enabled' : `Disabled${ep.disabledReason ? `: ${ep.disabledReason}` : ''}`}</td>
              <td><${Moment} at=${ep.createdAt} /></td>
              <td><${EndpointActions} ep=${ep} onResult=${onResult} /></td>
            </tr>`)}</tbody>
        </table>
      </${TableFrame}>`}`;
}

function Replay({ id }) {
  const [after, setAfter] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [error, setError] = useState(null);
  const [said, setSaid] = useState('');
  async function submit(e) {
    e.preventDefault();
    setError(null); setSaid('');
    let body;
    if (after.trim()) body = { after: after.trim() };
    else if (isDay(from) && isDay(to)) body = { from: dayStartIso(from), to: nextDayStartIso(to) };
    else { setError('Give the event id to replay after, or a period (From and To).'); return; }
    try {
      const a = await api('POST', `/api/webhooks/${id}/replay`, body);
      setSaid(`${a.queued} event${String(a.queued) === '1' ? '' : 's'} queued again.`);
    } catch (err) {
      setError(err);
    }
  }
  return html`
    <form class="card" aria-labelledby="replay-title" onSubmit=${submit} novalidate>
      <h2 id="replay-title">Replay events</h2>
      <${Alert} error=${error} />
      <label for="replay-after">After event id</label>
      <input id="replay-after" value=${after} placeholder="evt_…" onInput=${(e) => setAfter(e.currentTarget.value)} />
      <div class="inline-fields">
        <div><label for="replay-from">From</label><input id="replay-from" type="date" value=${from} onInput=${(e) => setFrom(e.currentTarget.value)} /></div>
        <div><label for="replay-to">To</label><input id="replay-to" type="date" value=${to} onInput=${(e) => setTo(e.currentTarget.value)} /></div>
      </div>
      <button type="submit">Replay</button>
      <${Notice} text=${said} />
    </form>`;
}

function EndpointPage({ id }) {
  const ep = useApi(`/api/webhooks/${id}`);
  const deliveries = useApi(`/api/webhooks/${id}/deliveries`);
  const rows = deliveries.data ? (deliveries.data.deliveries ?? []) : [];
  return html`
    <p class="crumbs"><${Link} href="/webhooks">Webhooks</${Link}></p>
    ${ep.loading && html`<${Loading} />`}
    <${Alert} error=${ep.error} />
    ${ep.data && html`<p><strong>${ep.data.url}</strong> · ${ep.data.enabled ? 'Enabled' : 'Disabled'}</p>`}
    <${Replay} id=${id} />
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      ${deliveries.loading && html`<${Loading} what="Loading deliveries" />`}
      <${Alert} error=${deliveries.error} />
      ${deliveries.data && rows.length === 0 && html`<p class="empty-state">Nothing delivered yet.</p>`}
      ${rows.length > 0 && html`
        <${TableFrame} label="Deliveries table">
          <table>
            <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Answer</th><th scope="col" class="num">Duration</th></tr></thead>
            <tbody>${rows.map((d) => html`
              <tr><td><${Moment} at=${d.at ?? d.attemptedAt} /></td><td><code>${d.eventId}</code></td>
                <td>${d.status ?? d.httpStatus ?? d.error ?? ''}${d.error && (d.status ?? d.httpStatus) ? ` (${d.error})` : ''}</td>
                <td class="num">${d.durationMs !== undefined ? `${d.durationMs} ms` : ''}</td></tr>`)}</tbody>
          </table>
        </${TableFrame}>`}
    </section>`;
}

export function Webhooks({ params }) {
  const id = params.id;
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">${id ? `Webhook ${id}` : 'Webhooks'}</h1>
      ${id ? html`<${EndpointPage} id=${id} />` : html`<${EndpointList} />`}
    </section>`;
}

