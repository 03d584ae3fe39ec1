// The Webhooks screen (spec §8 and §9, admins): the endpoints, adding one
// (its signing secret is shown once), enabling and disabling, Test, Rotate
// secret (after a confirmation; the new secret shown once), Delete (after
// a confirmation); one endpoint's page (/webhooks/N) has the same actions,
// lists its delivery attempts and replays events. Shown only when the
// server offers webhooks (its OpenAPI document lists /api/webhooks).
import { useEffect, useRef, useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { api } from '../api.js';
import { Link, navigate } from '../router.js';
import { Moment, dayEndIso, dayStartIso, isDay } from '../dates.js';
import { Alert, ConfirmButton, Field, Loading, Notice, TableFrame, useApi } from '../ui.js';

const TYPES = ['payout.created', 'payout.authorized', 'payout.received', 'payout.cancelled', 'payout.expired',
  'funds.deposited', 'funds.withdrawn'];

/** The signing secret of a create or rotate-secret answer: the only time
 *  the server gives it. The field takes the focus, so a keyboard user
 *  lands on it after the action. */
function OnceSecret({ secret }) {
  const [said, setSaid] = useState('');
  const field = useRef(null);
  useEffect(() => {
    setSaid('');
    field.current?.focus();
  }, [secret]);
  return html`
    <div class="once" role="group" aria-label="New signing secret">
      <p>The signing secret is shown only now. Store it where the receiving system checks signatures.</p>
      <label for="once-secret">Signing secret</label>
      <div class="secret-row">
        <input id="once-secret" ref=${field} readonly value=${secret} spellcheck=${false} autocomplete="off" />
        <button type="button" onClick=${async () => {
          try { await navigator.clipboard.writeText(secret); setSaid('Copied to the clipboard.'); } catch { setSaid('Copy it by hand.'); }
        }}>Copy secret</button>
      </div>
      <${Notice} text=${said} />
    </div>`;
}

/** What the last action did: a status line, an alert, or a new secret. */
function Outcome({ result }) {
  return html`
    <${Notice} text=${result && !result.error ? result.text : ''} />
    ${result && result.error && html`<${Alert} error=${result.error} />`}
    ${result && result.secret && html`<${OnceSecret} secret=${result.secret} />`}`;
}

function AddEndpoint({ onAdded }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState(new Set());
  const [error, setError] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    if (!url.trim()) { setError('Give the URL the events are sent to.'); return; }
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

/** Enable/Disable, Test, Rotate secret and Delete for endpoint ep; each
 *  answer goes to onResult({text, secret} or {error}); deleted marks the
 *  Delete answer. Button names carry the URL (one row per endpoint). */
function EndpointActions({ ep, onResult }) {
  async function act(method, path, body, text, deleted = false) {
    try {
      const a = await api(method, path, body);
      onResult({ text: text(a), secret: a && a.secret, deleted });
    } catch (err) {
      onResult({ error: err });
    }
  }
  const base = `/api/webhooks/${ep.id}`;
  return html`
    <div class="row-actions">
      <button type="button" aria-label=${`${ep.enabled ? 'Disable' : 'Enable'} ${ep.url}`}
        onClick=${() => act('PATCH', base, { enabled: !ep.enabled }, (a) => (a.enabled ? `${ep.url} is enabled.` : `${ep.url} is disabled.`))}>${ep.enabled ? 'Disable' : 'Enable'}</button>
      <button type="button" aria-label=${`Test ${ep.url}`} onClick=${() => act('POST', `${base}/test`, undefined,
        () => (ep.enabled ? `A webhook.test event is on its way to ${ep.url}.` : `A webhook.test event waits until ${ep.url} is enabled.`))}>Test</button>
      <${ConfirmButton} label="Rotate secret" name=${`Rotate secret of ${ep.url}`}
        question="Make a new signing secret? The old one keeps signing beside it for 24 hours."
        confirmLabel="Rotate now" onConfirm=${() => act('POST', `${base}/rotate-secret`, undefined, () => `${ep.url} has a new signing secret.`)} />
      <${ConfirmButton} label="Delete" name=${`Delete ${ep.url}`} danger=${true}
        question="Delete this endpoint? Its events are no longer sent to it."
        confirmLabel="Delete endpoint" onConfirm=${() => act('DELETE', base, undefined, () => `${ep.url} is deleted.`, true)} />
    </div>`;
}

function statusWords(ep) {
  return ep.enabled ? 'Enabled' : `Disabled${ep.disabledReason ? `: ${ep.disabledReason}` : ''}`;
}

function typesWords(ep) {
  return ep.events && ep.events.length ? ep.events.join(', ') : 'Every type';
}

function EndpointList() {
  const list = useApi('/api/webhooks');
  const [result, setResult] = useState(null);
  function onResult(r) {
    setResult(r);
    if (!r.error) list.reload();
  }
  const rows = list.data ? list.data.webhooks : [];
  return html`
    <${AddEndpoint} onAdded=${(ep) => onResult({ text: `${ep.url} is added.`, secret: ep.secret })} />
    <${Outcome} result=${result} />
    <h2 id="endpoints-title">Endpoints</h2>
    ${list.loading && !list.data && html`<${Loading} what="Loading endpoints" />`}
    <${Alert} error=${list.error} />
    ${list.data && rows.length === 0 && html`<p class="empty-state">No endpoint yet.</p>`}
    ${rows.length > 0 && html`
      <${TableFrame} label="Endpoints table">
        <table>
          <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Status</th>
            <th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
          <tbody>${rows.map((ep) => html`
            <tr key=${ep.id}>
              <th scope="row"><${Link} href=${`/webhooks/${ep.id}`}>${ep.url}</${Link}>${ep.description ? html`<br /><span class="muted">${ep.description}</span>` : ''}</th>
              <td>${typesWords(ep)}</td>
              <td>${statusWords(ep)}</td>
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
    // The API's period is inclusive: "to" is the last moment of that day.
    if (after.trim()) body = { after: after.trim() };
    else if (isDay(from) && isDay(to)) body = { from: dayStartIso(from), to: dayEndIso(to) };
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
      <p class="muted">Sends events again: every event after an event id, or the events of a period.</p>
      <${Alert} error=${error} />
      <label for="replay-after">After event id</label>
      <input id="replay-after" value=${after} placeholder="evt_12" onInput=${(e) => setAfter(e.currentTarget.value)} />
      <div class="inline-fields">
        <div><label for="replay-from">From</label><input id="replay-from" type="date" value=${from} onInput=${(e) => setFrom(e.currentTarget.value)} /></div>
        <div><label for="replay-to">To</label><input id="replay-to" type="date" value=${to} onInput=${(e) => setTo(e.currentTarget.value)} /></div>
      </div>
      <button type="submit">Replay</button>
      <${Notice} text=${said} />
    </form>`;
}

/** A delivery attempt's outcome in words: "Delivered (HTTP 200)",
 *  "Failed: HTTP 500", "Failed: 127.0.0.1 is a loopback address, …". */
function answerWords(d) {
  const code = d.httpStatus !== null && d.httpStatus !== undefined ? `HTTP ${d.httpStatus}` : '';
  if (!d.error && /^2\d\d$/.test(String(d.httpStatus))) return `Delivered (${code})`;
  return `Failed: ${[code, d.error].filter(Boolean).join(', ') || 'no answer'}`;
}

function Deliveries({ deliveries }) {
  const rows = deliveries.data ? deliveries.data.deliveries : [];
  return html`
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <div class="toolbar"><button type="button" onClick=${deliveries.reload}>Refresh deliveries</button></div>
      ${deliveries.loading && !deliveries.data && html`<${Loading} what="Loading deliveries" />`}
      <${Alert} error=${deliveries.error} />
      ${deliveries.data && rows.length === 0 && html`<p class="empty-state">No delivery attempt yet.</p>`}
      ${rows.length > 0 && html`
        <${TableFrame} label="Deliveries table">
          <table>
            <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Answer</th><th scope="col" class="num">Duration</th></tr></thead>
            <tbody>${rows.map((d) => html`
              <tr><td><${Moment} at=${d.at} /></td><td><code>${d.eventId}</code></td>
                <td>${answerWords(d)}</td><td class="num">${d.durationMs} ms</td></tr>`)}</tbody>
          </table>
        </${TableFrame}>`}
    </section>`;
}

function EndpointPage({ id }) {
  const valid = /^[1-9]\d*$/.test(id);
  const ep = useApi(valid ? `/api/webhooks/${id}` : null);
  const deliveries = useApi(valid ? `/api/webhooks/${id}/deliveries` : null);
  const [result, setResult] = useState(null);
  function onResult(r) {
    if (r.deleted) { navigate('/webhooks'); return; }
    setResult(r);
    if (!r.error) { ep.reload(); deliveries.reload(); }
  }
  const e = ep.data;
  return html`
    ${!valid && html`<${Alert} error="An endpoint's number is a positive whole number." />`}
    ${ep.loading && !e && html`<${Loading} what="Loading the endpoint" />`}
    <${Alert} error=${ep.error} />
    <${Outcome} result=${result} />
    ${e && html`
      <dl class="fields">
        <${Field} name="URL"><code>${e.url}</code></${Field}>
        <${Field} name="Description">${e.description || '—'}</${Field}>
        <${Field} name="Events">${typesWords(e)}</${Field}>
        <${Field} name="Status">${statusWords(e)}</${Field}>
        <${Field} name="Created"><${Moment} at=${e.createdAt} /></${Field}>
      </dl>
      <${EndpointActions} ep=${e} onResult=${onResult} />
      <${Replay} id=${id} />
      <${Deliveries} deliveries=${deliveries} />`}`;
}

export function Webhooks({ params }) {
  const id = params.id;
  return html`
    <section aria-labelledby="screen-title">
      ${id && html`<p class="crumbs"><${Link} href="/webhooks">Webhooks</${Link}></p>`}
      <h1 id="screen-title" tabindex="-1">${id ? `Webhook ${id}` : 'Webhooks'}</h1>
      ${id ? html`<${EndpointPage} id=${id} />` : html`<${EndpointList} />`}
    </section>`;
}
