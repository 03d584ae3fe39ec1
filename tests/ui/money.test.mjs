// Unit tests of the panel's money and API-answer modules, in Node: amounts
// stay decimal strings, formatting never loses a digit (past 2^53 too),
// and numbers in API answers arrive as their exact text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currencyDecimals, formatMoney, parseAmountInput, parseDecimal } from '../../src/ui/money.js';
import { errorMessage, parseJson } from '../../src/ui/api.js';

test('currency decimals follow ISO 4217', () => {
  assert.equal(currencyDecimals('GBP'), 2);
  assert.equal(currencyDecimals('jpy'), 0);
  assert.equal(currencyDecimals('BHD'), 3);
  assert.equal(currencyDecimals('CLF'), 4);
});

test('formatMoney pads to the currency and keeps every digit', () => {
  assert.equal(formatMoney('1234.5', 'GBP', 'en-GB'), '£1,234.50');
  assert.equal(formatMoney('0.1', 'EUR', 'en-US'), '€0.10');
  assert.equal(formatMoney('-0.5', 'USD', 'en-US'), '-$0.50');
  assert.equal(formatMoney('1000', 'JPY', 'en-US'), '¥1,000');
  assert.equal(formatMoney('1.234', 'BHD', 'en-US'), 'BHD\u00a01.234');
  assert.equal(formatMoney('1234567.89', 'EUR', 'de-DE'), '1.234.567,89\u00a0€');
  // 2^53 + 1 and beyond: a double would print 9007199254740992.
  assert.equal(formatMoney('9007199254740993', 'JPY', 'en-US'), '¥9,007,199,254,740,993');
  assert.equal(formatMoney('999999999999999999.99', 'USD', 'en-US'), '$999,999,999,999,999,999.99');
  // More decimals than the currency has are shown, never dropped.
  assert.equal(formatMoney('1.005', 'USD', 'en-US'), '$1.005');
  assert.equal(formatMoney('n/a', 'USD', 'en-US'), 'n/a');
});

test('parseDecimal and parseAmountInput', () => {
  assert.deepEqual(parseDecimal('007.50'), { negative: false, integer: '7', fraction: '50' });
  assert.deepEqual(parseDecimal('-0.00'), { negative: false, integer: '0', fraction: '00' });
  assert.equal(parseDecimal('1e3'), null);
  assert.equal(parseDecimal('0x10'), null);
  assert.equal(parseAmountInput(' 1250.50 ', 'GBP'), '1250.5');
  assert.equal(parseAmountInput('9007199254740993', 'JPY'), '9007199254740993');
  assert.throws(() => parseAmountInput('1.5', 'JPY'), /JPY allows 0 decimals/);
  assert.throws(() => parseAmountInput('0.00', 'GBP'), /more than zero/);
  assert.throws(() => parseAmountInput('-3', 'GBP'), /digits/);
  assert.throws(() => parseAmountInput('1,5', 'GBP'), /digits/);
});

test('parseJson keeps every number as its exact text', () => {
  const v = parseJson('{"amount":9007199254740993,"fee":0.1,"n":-2,"e":1e400,"s":"1\\"2","ok":true,"a":[1,null]}');
  assert.deepEqual(v, { amount: '9007199254740993', fee: '0.1', n: '-2', e: '1e400', s: '1"2', ok: true, a: ['1', null] });
  assert.throws(() => parseJson('{"a":'), SyntaxError);
});

test('errorMessage turns the envelope into a sentence', () => {
  assert.equal(errorMessage(404, { error: { message: 'no such endpoint', type: 'NOT_FOUND' }, errors: [] }), 'No such endpoint.');
  assert.equal(errorMessage(502, null), 'The server answered with an error (HTTP 502).');
  assert.equal(errorMessage(429, { error: { message: 'too many requests', type: 'RATE_LIMITED' } }, '3'),
    'Too many requests. Try again in 3 seconds.');
});
