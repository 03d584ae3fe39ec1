// Shared pieces of the screens: loading an API answer (useApi), the alert
// for errors in words, status messages, money and status cells, paging,
// a scrolling table frame and an inline confirmation. Screens compose
// these; none of them talks HTTP except through api.js.
import { useCallback, useEffect, useRef, useState } from './vendor/preact-hooks.js';
import { html } from './html.js';
import { api, ApiError } from './api.js';
import { formatMoney } from './money.js';
import { Link } from './router.js';

/** The message a person reads for anything thrown by api() or a check. */
export function messageOf(err) {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong. Try again.';
}

/** Loads GET path (re-run when path changes; null skips). Returns
 *  {data, error, loading, reload}; error is an ApiError or null. */
export function useApi(path) {
  const [state, setState] = useState({ data: null, error: null, loading: path !== null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) {
      setState({ data: null, error: null, loading: false });
      return undefined;
    }
    let live = true;
    setState((s) => ({ data: s.data, error: null, loading: true }));
    api('GET', path).then(
      (data) => { if (live) setState({ data, error: null, loading: false }); },
      (error) => { if (live) setState({ data: null, error, loading: false }); },
    );
    return () => { live = false; };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** An error for the person, in words (role=alert). err is an ApiError,
 *  an Error or a string; nothing is rendered when it is empty. A refusal
 *  for want of two-factor sign-in links to the Account screen. */
export function Alert({ error }) {
  if (!error) return null;
  const text = typeof error === 'string' ? error : messageOf(error);
  const twoFactor = error instanceof ApiError && error.status === 403 && /two-factor/i.test(text);
  return html`<div role="alert" class="alert"><p>${text}</p>${twoFactor && html`
    <p><${Link} href="/account">Set up two-factor sign-in on the Account screen</${Link}></p>`}</div>`;
}

/** A polite status message (what an action did). */
export function Notice({ text }) {
  return html`<p role="status" class=${text ? 'notice' : 'notice empty'}>${text || ''}</p>`;
}

export function Loading({ what = 'Loading' }) {
  return html`<p class="muted" role="status">${what}…</p>`;
}

export function Money({ amount, currency }) {
  return html`<span class="num">${formatMoney(amount, currency)}</span>`;
}

const STATUS_WORDS = {
  UNAUTHORIZED: 'Waiting for authorization', READY: 'Ready', RECEIVED: 'Received',
  CANCELLED: 'Cancelled', EXPIRED: 'Expired',
};

/** The statuses of a payout, in lifecycle order, with their words. */
export const STATUSES = Object.keys(STATUS_WORDS);

export function statusWord(status) {
  return STATUS_WORDS[status] ?? status;
}

/** A payout's status as a word with a colour (never colour alone). */
export function Status({ status }) {
  return html`<span class=${`status status-${String(status).toLowerCase()}`}>${statusWord(status)}</span>`;
}

/** A table that scrolls sideways inside its frame on a narrow screen
 *  (the page itself never does); label names the region. */
export function TableFrame({ label, children }) {
  return html`<div class="table-frame" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}

/** Paging for a list answer {page, size, total}: Previous / Next links
 *  built by hrefFor(page). */
export function Pager({ label, page, size, total, hrefFor }) {
  const p = Number(page);
  const pages = total === null || total === undefined ? null : Math.max(1, Math.ceil(Number(total) / Number(size)));
  return html`
    <nav class="pager" aria-label=${label}>
      ${p > 1 ? html`<${Link} href=${hrefFor(p - 1)}>Previous page</${Link}>` : html`<span class="muted">Previous page</span>`}
      <span>Page ${p}${pages !== null ? ` of ${pages}` : ''}${total !== null && total !== undefined ? ` · ${total} in all` : ''}</span>
      ${pages === null || p < pages ? html`<${Link} href=${hrefFor(p + 1)}>Next page</${Link}>` : html`<span class="muted">Next page</span>`}
    </nav>`;
}

/** A button that asks first: pressing it shows question with a confirm
 *  button (confirmLabel) and Keep as it is; onConfirm runs on the second.
 *  name, when given, is the button's accessible name (label plus what it
 *  acts on, for a button repeated per table row). */
export function ConfirmButton({ label, name, question, confirmLabel, onConfirm, disabled, danger }) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef(null);
  useEffect(() => {
    if (asking && confirmRef.current) confirmRef.current.focus();
  }, [asking]);
  if (!asking) {
    return html`<button type="button" disabled=${disabled} aria-label=${name} onClick=${() => setAsking(true)}>${label}</button>`;
  }
  return html`
    <span class="confirm" role="group" aria-label=${`Confirm: ${name ?? label}`}>
      <span>${question}</span>
      <button type="button" ref=${confirmRef} class=${danger ? 'danger' : 'primary'}
        onClick=${async () => { setAsking(false); await onConfirm(); }}>${confirmLabel}</button>
      <button type="button" onClick=${() => setAsking(false)}>Keep as it is</button>
    </span>`;
}

/** Builds "/path?a=1&b=2" from a params object, leaving out empty values. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** A definition list row helper for detail views. */
export function Field({ name, children }) {
  return html`<div class="field"><dt>${name}</dt><dd>${children}</dd></div>`;
}

/** Who an audit actor or a user id is, for a person: an e-mail when the
 *  users are known (admins), else "user N". */
export function userName(users, id) {
  if (id === null || id === undefined) return null;
  const u = users?.find((x) => String(x.id) === String(id));
  return u ? u.email : `user ${id}`;
}
