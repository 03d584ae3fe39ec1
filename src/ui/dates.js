// Dates in the panel: the one module that reads and writes them. The API
// sends moments as UTC ISO 8601 with milliseconds; the panel shows them
// in the browser's time zone, with the UTC moment on hover (the title of
// a <time> element). Filters hold plain days (2026-01-31) in the address,
// meant in the browser's time zone, and become UTC moments only when a
// request is made.
import { html } from './html.js';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

const full = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** "21 Nov 2026, 13:00:00" in the browser's zone for an API moment; the
 *  text itself when it is not a date. */
export function formatMoment(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : full.format(d);
}

/** The UTC form shown on hover: "2026-11-21 12:00:00.000 UTC". */
export function utcTitle(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

/** A <time> element: the local moment, UTC on hover; "—" for none. */
export function Moment({ at }) {
  if (at === null || at === undefined || at === '') return html`<span>—</span>`;
  return html`<time datetime=${at} title=${utcTitle(at)}>${formatMoment(at)}</time>`;
}

/** True for a plain day "YYYY-MM-DD" that exists in the calendar. */
export function isDay(text) {
  const m = DAY.exec(String(text));
  if (m === null) return false;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getFullYear() === Number(m[1]) && d.getMonth() === Number(m[2]) - 1 && d.getDate() === Number(m[3]);
}

function localMidnight(day, addDays) {
  const m = DAY.exec(day);
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + addDays);
}

/** The UTC moment at which day (YYYY-MM-DD) begins in the browser's zone. */
export function dayStartIso(day) {
  return localMidnight(day, 0).toISOString();
}

/** The last millisecond of day in the browser's zone (for inclusive ends). */
export function dayEndIso(day) {
  return new Date(localMidnight(day, 1).getTime() - 1).toISOString();
}

/** The moment the day after day begins (for exclusive ends). */
export function nextDayStartIso(day) {
  return localMidnight(day, 1).toISOString();
}

/** Today, or today plus addDays, as YYYY-MM-DD in the browser's zone. */
export function localDay(addDays = 0, from = new Date()) {
  const d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + addDays);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Now plus ms, as an API moment. */
export function momentFromNow(ms) {
  return new Date(Date.now() + ms).toISOString();
}

/** A moment plus ms (for a small search window around it). */
export function momentShift(iso, ms) {
  return new Date(new Date(iso).getTime() + ms).toISOString();
}
