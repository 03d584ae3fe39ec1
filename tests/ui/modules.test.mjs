// Unit tests of the panel's browser modules that need no page: the CSV
// reader and row checks of the Lists preview (csv.js), exact numbers in
// request bodies (api.js num/stringifyBody), audit subjects naming a
// payout (audit.js) and plain days (dates.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amountProblem, checkHeader, previewCsv, readCsv, readDate, rowProblem } from '../../src/ui/csv.js';
import { num, stringifyBody } from '../../src/ui/api.js';
import { subjectNames } from '../../src/ui/audit.js';
import { dayEndIso, dayStartIso, isDay, nextDayStartIso } from '../../src/ui/dates.js';

test('readCsv: RFC 4180 with the line each record starts on', () => {
  const text = '\ufeffa,b\r\n"x, y","say ""hi"""\n\n"multi\nline",2\n';
  assert.deepEqual(readCsv(text).records, [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['x, y', 'say "hi"'] },
    { line: 4, fields: ['multi\nline', '2'] },
  ]);
  assert.deepEqual(readCsv('a,b').records, [{ line: 1, fields: ['a', 'b'] }]);
  assert.deepEqual(readCsv('a,\n').records, [{ line: 1, fields: ['a', ''] }]);
  assert.throws(() => readCsv('a,b"c\n'), /Line 1: a quote inside a field/);
  assert.throws(() => readCsv('a\n"b"c\n'), /Line 2: text after a closing quote/);
  assert.throws(() => readCsv('a\n"never closed\n'), /Line 2: a quoted field is never closed/);
  assert.throws(() => readCsv('a\rb\n'), /Line 1: a carriage return without a line feed/);
});

test('checkHeader: known columns, no repeats, the required ones', () => {
  const ok = ['amount', 'currency', 'startDate', 'endDate', 'name', 'description', 'notification', 'phoneNumber'];
  assert.deepEqual(checkHeader(ok), ok);
  assert.throws(() => checkHeader([...ok, 'metadata']), /unknown column "metadata"/);
  assert.throws(() => checkHeader([...ok, 'amount']), /"amount" twice/);
  assert.throws(() => checkHeader(ok.filter((c) => c !== 'currency')), /lacks the required column currency/);
  assert.throws(() => checkHeader(ok.filter((c) => c !== 'phoneNumber')), /one of the columns userName/);
});

test('amountProblem: decimal text as the import reads it, never a double', () => {
  assert.equal(amountProblem('10', 'GBP'), '');
  assert.equal(amountProblem('12.50', 'GBP'), '');
  assert.equal(amountProblem('1e2', 'JPY'), '');
  assert.equal(amountProblem('1.5e1', 'JPY'), '');
  assert.equal(amountProblem('1.230', 'GBP'), '');
  assert.equal(amountProblem('9007199254740993', 'JPY'), '');
  assert.match(amountProblem('1.234', 'GBP'), /more decimals than GBP allows \(2\)/);
  assert.match(amountProblem('1.5', 'JPY'), /JPY allows \(0\)/);
  assert.match(amountProblem('15e-1', 'JPY'), /JPY allows \(0\)/);
  // The server's words for a list row (api/lists.c).
  assert.equal(amountProblem('0.00', 'GBP'), 'amount must be greater than zero');
  assert.equal(amountProblem('-3', 'GBP'), 'amount must be greater than zero');
  for (const bad of [' 10', '-x', '+1', '1,5', '0x10', '', '.5', 'ten']) {
    assert.match(amountProblem(bad, 'GBP'), /is not a number/, bad);
  }
});

test('readDate: the API date forms; no zone is UTC', () => {
  assert.equal(readDate('2018-01-01'), Date.UTC(2018, 0, 1));
  assert.equal(readDate('2018-01-01 12:00:00'), Date.UTC(2018, 0, 1, 12));
  assert.equal(readDate('2018-01-01T12:00:00+02:00'), Date.UTC(2018, 0, 1, 10));
  assert.equal(readDate('2018-01-01T12:00:00.250Z'), Date.UTC(2018, 0, 1, 12, 0, 0, 250));
  assert.equal(readDate('Mon, 01 Jan 2018 12:00:00 +0100'), Date.UTC(2018, 0, 1, 11));
  for (const bad of ['2018-13-01', 'yesterday', '01/02/2018', '2018-01-01T25:00:00Z']) assert.equal(readDate(bad), null, bad);
});

test('rowProblem and previewCsv: every bad row with its line and first reason', () => {
  const row = { amount: '1', currency: 'GBP', startDate: '2030-01-01', endDate: '2030-02-01', name: 'p', description: 'd', notification: 'TRUE', userName: 'u' };
  assert.equal(rowProblem(row), '');
  assert.equal(rowProblem({ ...row, description: '' }), 'description is empty');
  assert.match(rowProblem({ ...row, currency: 'gbp' }), /not an ISO 4217 code/);
  assert.equal(rowProblem({ ...row, endDate: '2030-01-01' }), 'endDate must be after startDate');
  assert.equal(rowProblem({ ...row, notification: 'yes' }), 'notification must be true or false');
  assert.match(rowProblem({ ...row, userName: '' }), /one of userName/);
  const p = previewCsv('amount,currency,startDate,endDate,name,description,userName,notification\n' +
    '1,GBP,2030-01-01,2030-02-01,p,"two\nlines",u,true\n' +
    '1,GBP,2030-01-01,2030-02-01,p,d,u\n' +
    '2,GBP,2030-01-01,2030-02-01,p,d,u,0\n');
  assert.equal(p.count, 3);
  assert.deepEqual(p.rows.map((r) => [r.index, r.line]), [[1, 2], [3, 5]]);
  assert.deepEqual(p.bad, [{ index: 2, line: 4, reason: 'the row has 7 fields; the header has 8' }]);
  assert.throws(() => previewCsv(''), /empty/);
  assert.throws(() => previewCsv('amount,currency,startDate,endDate,name,description,userName,notification\n'), /no payout rows/);
});

test('num: exact numbers in a request body, never through a double', () => {
  assert.equal(stringifyBody({ amount: num('0.10'), ids: [num('9007199254740993')], s: 'x' }),
    '{"amount":0.10,"ids":[9007199254740993],"s":"x"}');
  // Text that looks like the mark stays text.
  assert.equal(stringifyBody({ s: '\u0000num:1\u0000' }), '{"s":"\\u0000num:1\\u0000"}');
  assert.throws(() => num('1e5'), /not a number/);
  assert.throws(() => num('12abc'), /not a number/);
});

test('subjectNames: the payout ids an audit subject names', () => {
  assert.ok(subjectNames('payout:7', '7'));
  assert.ok(!subjectNames('payout:17', '7'));
  assert.ok(subjectNames('payout:1,2,3', '2'));
  assert.ok(subjectNames('payout:101..600', '600'));
  assert.ok(!subjectNames('payout:101..600', '100'));
  assert.ok(subjectNames('payout:9007199254740992..9007199254740994', '9007199254740993'));
  assert.ok(!subjectNames('admin@example.com', '1'));
  assert.ok(!subjectNames(null, '1'));
});

test('plain days in the browser zone', () => {
  assert.ok(isDay('2024-02-29'));
  assert.ok(!isDay('2023-02-29'));
  assert.ok(!isDay('2024-2-1'));
  const start = new Date(dayStartIso('2024-03-10'));
  assert.deepEqual([start.getFullYear(), start.getMonth(), start.getDate(), start.getHours()], [2024, 2, 10, 0]);
  assert.equal(new Date(dayEndIso('2024-03-10')).getTime() + 1, new Date(nextDayStartIso('2024-03-10')).getTime());
});
