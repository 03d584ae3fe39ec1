// CSV in the browser, for the Lists screen's preview: an RFC 4180 reader
// that keeps the line each record starts on, and the checks of a payout
// row that the browser can make before anything is sent (the server makes
// them again, with those only it can make: funds and recipients). The
// rules follow POST /api/payment/import (docs/api.md).
import { currencyDecimals } from './money.js';

/** Reads text as CSV: {records: [{line, fields}]} (blank lines skipped,
 *  a leading BOM dropped), or throws an Error naming the line. */
export function readCsv(text) {
  const records = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields = [];
    let field = '';
    let quoted = false;
    let endOfRecord = false;
    while (!endOfRecord) {
      if (i >= n) { fields.push(field); break; }
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
        if (c === '"') {
          quoted = false; i += 1;
          const next = text[i];
          if (i < n && next !== ',' && next !== '\n' && next !== '\r') throw new Error(`Line ${line}: text after a closing quote.`);
          continue;
        }
        if (c === '\n') line += 1;
        field += c; i += 1;
        if (i >= n) throw new Error(`Line ${start}: a quoted field is never closed.`);
        continue;
      }
      if (c === '"') {
        if (field !== '') throw new Error(`Line ${line}: a quote inside a field that does not start with one.`);
        quoted = true; i += 1;
        if (i >= n) throw new Error(`Line ${start}: a quoted field is never closed.`);
        continue;
      }
      if (c === ',') { fields.push(field); field = ''; i += 1; continue; }
      if (c === '\r' && text[i + 1] !== '\n') throw new Error(`Line ${line}: a carriage return without a line feed.`);
      if (c === '\r' || c === '\n') {
        fields.push(field);
        i += c === '\r' ? 2 : 1;
        line += 1;
        endOfRecord = true;
        continue;
      }
      field += c; i += 1;
    }
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
  }
  return { records };
}

export const COLUMNS = ['amount', 'currency', 'startDate', 'endDate', 'name', 'description', 'userName',
  'phoneNumber', 'referenceId', 'firstName', 'lastName', 'email', 'notification'];
const REQUIRED = ['amount', 'currency', 'startDate', 'endDate', 'name', 'description', 'notification'];
const IDENTIFIERS = ['userName', 'phoneNumber', 'referenceId'];

/** Checks the header row; returns the column names or throws. */
export function checkHeader(fields) {
  const seen = new Set();
  for (const f of fields) {
    if (!COLUMNS.includes(f)) throw new Error(`The header has an unknown column "${f}". Columns: ${COLUMNS.join(', ')}.`);
    if (seen.has(f)) throw new Error(`The header names the column "${f}" twice.`);
    seen.add(f);
  }
  const missing = REQUIRED.filter((c) => !seen.has(c));
  if (missing.length) throw new Error(`The header lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
  if (!IDENTIFIERS.some((c) => seen.has(c))) throw new Error('The header needs one of the columns userName, phoneNumber or referenceId.');
  return fields;
}

const AMOUNT = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,4}))?$/;

/** The amount's problem for currency, in words, or '' when it is fine
 *  (decimal text, exponent allowed, above zero, at most the currency's
 *  decimals). Works on the digits as text, never as a double. */
export function amountProblem(text, currency) {
  if (text.startsWith('-') && AMOUNT.test(text.slice(1))) return 'amount must be greater than zero';
  const m = AMOUNT.exec(text);
  if (m === null) return `amount "${text}" is not a number`;
  let digits = m[1] + (m[2] ?? '');
  let point = m[1].length + Number(m[3] ?? '0');
  if (point < 0) { digits = '0'.repeat(-point) + digits; point = 0; }
  if (point > digits.length) digits = digits.padEnd(point, '0');
  const fraction = digits.slice(point).replace(/0+$/, '');
  if (/^0*$/.test(digits)) return 'amount must be greater than zero';
  const max = currencyDecimals(currency);
  if (fraction.length > max) return `amount has more decimals than ${currency} allows (${max})`;
  return '';
}

const DAY = '(\\d{4})-(\\d{2})-(\\d{2})';
const ISO = new RegExp(`^${DAY}(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?(Z|[+-]\\d{2}:?\\d{2})?)?$`);
const RFC2822 = /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UT|Z)$/;

/** The moment (ms) of a date as the API reads it, or null. A date
 *  without a zone is UTC. */
export function readDate(text) {
  const m = ISO.exec(text);
  if (m) {
    const zone = m[8] ?? 'Z';
    const ms = (m[7] ?? '').slice(0, 3).padEnd(3, '0');
    const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}.${ms}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`;
    const at = Date.parse(iso);
    return Number.isNaN(at) ? null : at;
  }
  if (RFC2822.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

let knownCurrencies = null;
function currencyKnown(code) {
  if (knownCurrencies === null) {
    knownCurrencies = typeof Intl.supportedValuesOf === 'function' ? new Set(Intl.supportedValuesOf('currency')) : new Set();
  }
  return knownCurrencies.size === 0 || knownCurrencies.has(code);
}

/** The first problem of a data row (an object column -> text), in words,
 *  or '' when the browser finds none. */
export function rowProblem(row) {
  for (const c of REQUIRED) {
    if (row[c] === undefined || row[c] === '') return `${c} is empty`;
  }
  if (!/^[A-Z]{3}$/.test(row.currency) || !currencyKnown(row.currency)) {
    return `currency "${row.currency}" is not an ISO 4217 code`;
  }
  const amount = amountProblem(row.amount, row.currency);
  if (amount) return amount;
  const start = readDate(row.startDate);
  if (start === null) return `startDate "${row.startDate}" is not a date`;
  const end = readDate(row.endDate);
  if (end === null) return `endDate "${row.endDate}" is not a date`;
  if (!(end > start)) return 'endDate must be after startDate';
  if (!/^(true|false|1|0)$/i.test(row.notification)) return 'notification must be true or false';
  if (!IDENTIFIERS.some((c) => row[c])) return 'one of userName, phoneNumber or referenceId is needed';
  return '';
}

/** Reads a whole file for the preview: {rows: [{index, line, data}],
 *  bad: [{index, line, reason}]} with index the 1-based data row; throws
 *  an Error for a problem of the whole file. */
export function previewCsv(text) {
  const { records } = readCsv(text);
  if (records.length === 0) throw new Error('The file is empty: it needs a header row and at least one payout.');
  const header = checkHeader(records[0].fields);
  if (records.length === 1) throw new Error('The file has a header but no payout rows.');
  const rows = [];
  const bad = [];
  records.slice(1).forEach((rec, k) => {
    const index = k + 1;
    if (rec.fields.length !== header.length) {
      bad.push({ index, line: rec.line, reason: `the row has ${rec.fields.length} fields; the header has ${header.length}` });
      return;
    }
    const data = Object.fromEntries(header.map((h, j) => [h, rec.fields[j]]));
    const problem = rowProblem(data);
    if (problem) bad.push({ index, line: rec.line, reason: problem });
    else rows.push({ index, line: rec.line, data });
  });
  return { rows, bad, count: records.length - 1 };
}
