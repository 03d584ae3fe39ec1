// The panel's flows of issue 12, each walked through the screens as a
// person would, in chromium against the real server: sign in (also with
// two-factor) and sign out; switch the API integration on, Show and Copy
// the authentication password (read back from the clipboard) and use it
// with POST /api/authenticate, Rotate it and see the old key refused;
// deposit and withdraw and see the balance; upload a CSV with bad rows,
// see each reason, fix it and create the payouts; authorize as an
// approver while four eyes refuses one's own payout; cancel; filter,
// bookmark and reload a filtered view; export it; see the history of a
// payout and the actions in the audit log; manage users; every refusal in
// an alert in words.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import {
  alertText, assertWords, call, dropExpectedRefusals, login, newPage, openScreen, runAxe, shotDir, signIn,
  startScene, totp,
} from './support.mjs';

describe('flows through the panel', () => {
  let scene;
  let browser;

  before(async () => {
    scene = await startScene();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await scene?.server.stop();
  });

  test('sign in, a refusal in words, sign out ends the session', async () => {
    const { context, page, problems } = await newPage(browser);
    await page.goto(`${scene.base}/payouts?status=READY`);
    await page.getByLabel('Email').fill(scene.users.admin.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assertWords(await alertText(page));
    await page.getByLabel('Password').fill(scene.users.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The bookmarked view opens once signed in.
    await page.getByRole('heading', { name: 'Payouts', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).search, '?status=READY');
    assert.equal(await page.getByLabel('Status').inputValue(), 'READY');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const after = await page.evaluate(async () => { const r = await fetch('/api/session'); await r.text(); return r.status; });
    assert.equal(after, 401, 'the session is over');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.deepEqual(dropExpectedRefusals(problems, 401), []);
    await context.close();
  });

  test('Settings: API integration on, Show, Copy, authenticate with it, Rotate and the old key is refused', async () => {
    const { context, page, problems } = await newPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: scene.base });
    await signIn(page, scene.base, scene.users.admin);
    await openScreen(page, 'Settings');
    const integration = page.getByRole('switch', { name: 'API integration' });
    assert.equal(await integration.isChecked(), false);
    await integration.click(); // the switch follows the server's answer
    await page.getByRole('status').filter({ hasText: 'The API integration is on.' }).waitFor();
    const field = page.getByLabel('Authentication password');
    assert.equal(await field.getAttribute('type'), 'password', 'masked until Show');
    await page.getByRole('button', { name: 'Show' }).click();
    assert.equal(await field.getAttribute('type'), 'text');
    const shown = await field.inputValue();
    assert.match(shown, /^[A-Za-z0-9]{32}$/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('status').filter({ hasText: 'copied to the clipboard' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, shown);

    const auth = await call(scene.base, 'POST', '/api/authenticate', { body: { apiKey: copied } });
    assert.equal(auth.status, 200);
    const oldKey = auth.body.token;
    assert.equal((await call(scene.base, 'GET', '/api/balances', { token: oldKey })).status, 200);

    await page.getByRole('button', { name: 'Rotate password' }).click();
    // A confirmation first: nothing changed yet.
    assert.equal(await field.inputValue(), shown);
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.getByRole('status').filter({ hasText: 'The password is rotated.' }).waitFor();
    const rotated = await field.inputValue();
    assert.notEqual(rotated, shown);
    assert.equal((await call(scene.base, 'GET', '/api/balances', { token: oldKey })).status, 401, 'the old key is refused');
    assert.equal((await call(scene.base, 'POST', '/api/authenticate', { body: { apiKey: shown } })).status, 401);
    assert.equal((await call(scene.base, 'POST', '/api/authenticate', { body: { apiKey: rotated } })).status, 200);

    // The authorization policy and the two-factor requirement are saved.
    await page.getByLabel('Payouts above the threshold of their currency').check();
    await page.getByRole('button', { name: 'Add a threshold' }).click();
    await page.getByLabel('Currency of threshold 1').fill('GBP');
    await page.getByLabel('Threshold 1', { exact: true }).fill('50');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'The authorization policy is saved.' }).waitFor();
    const settings = await call(scene.base, 'GET', '/api/admin/settings', { token: scene.users.admin.token });
    assert.deepEqual(settings.body.authorization, { mode: 'above', thresholds: { GBP: 50 } });
    await page.getByLabel('Payouts above the threshold of their currency').waitFor();
    await page.getByLabel('None').check();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'The authorization policy is saved.' }).waitFor();
    assert.deepEqual(await runAxe(page), []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('Funds: deposit and withdraw show the balance; too much is refused in words', async () => {
    const { context, page, problems } = await newPage(browser);
    await signIn(page, scene.base, scene.users.admin);
    await openScreen(page, 'Funds');
    const deposit = page.getByRole('form', { name: 'Deposit' });
    await deposit.getByLabel('Currency').fill('GBP');
    await deposit.getByLabel('Amount').fill('1000.10');
    await deposit.getByLabel('Reference').fill('wire 42');
    await deposit.getByRole('button', { name: 'Deposit' }).click();
    await page.getByRole('status').filter({ hasText: 'Deposited £1,000.10.' }).waitFor();
    const balances = page.getByRole('table', { name: 'Balances per currency' });
    await balances.getByRole('row', { name: /GBP £1,000\.10 £0\.00 £0\.00/ }).waitFor();
    await page.getByRole('region', { name: 'Ledger table' }).getByRole('table').getByRole('cell', { name: 'wire 42' }).waitFor();

    const withdraw = page.getByRole('form', { name: 'Withdraw' });
    await withdraw.getByLabel('Currency').fill('GBP');
    await withdraw.getByLabel('Amount').fill('0.10');
    await withdraw.getByRole('button', { name: 'Withdraw' }).click();
    await balances.getByRole('row', { name: /GBP £1,000\.00 / }).waitFor();
    await withdraw.getByLabel('Amount').fill('5000');
    await withdraw.getByRole('button', { name: 'Withdraw' }).click();
    assertWords(await alertText(page));
    assert.match(await withdraw.getByRole('alert').textContent(), /insufficient|available/i);
    await withdraw.getByLabel('Amount').fill('1.234');
    await withdraw.getByRole('button', { name: 'Withdraw' }).click();
    assert.match(await withdraw.getByRole('alert').textContent(), /GBP allows 2 decimals\./);
    assert.deepEqual(dropExpectedRefusals(problems, 422), []);
    await context.close();
  });

  test('Lists: bad rows with line and reason before anything is created, then fixed and created', async () => {
    const { context, page, problems } = await newPage(browser);
    await signIn(page, scene.base, scene.users.operator);
    await openScreen(page, 'Lists');
    const template = page.getByRole('link', { name: 'Download the template' });
    const [download] = await Promise.all([page.waitForEvent('download'), template.click()]);
    const templateText = readFileSync(await download.path(), 'utf8');
    assert.match(templateText, /^amount,currency,startDate,endDate,name,description,userName/);

    const before = await call(scene.base, 'GET', '/api/payments?size=1', { token: scene.users.admin.token });
    const bad = [
      'amount,currency,startDate,endDate,name,description,userName,notification',
      '10,GBP,2030-01-01,2030-02-01,List,"Bonus, March",ann,true',
      '1.234,GBP,2030-01-01,2030-02-01,List,Too precise,bob,false',
      '5,GBP,2030-03-01,2030-02-01,List,Backwards,cat,false',
      '"7,50",GBP,2030-01-01,2030-02-01,List,Comma,dan,false',
      '2,GBP,2030-01-01,2030-02-01,List,No flag,eve,maybe',
      '3,GBX,2030-01-01,2030-02-01,List,Bad currency,fay,false',
    ].join('\n');
    await page.getByLabel('CSV file').setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.getByRole('button', { name: 'Upload' }).click();
    const table = page.getByRole('region', { name: 'Bad rows' }).getByRole('table');
    await table.waitFor();
    const rows = (await table.getByRole('row').allTextContents()).slice(1);
    // Line, row and reason of every bad row (line 2 is fine).
    assert.deepEqual(rows, [
      '32amount has more decimals than GBP allows (2)',
      '43endDate must be after startDate',
      '54amount "7,50" is not a number',
      '65notification must be true or false',
      '76currency "GBX" is not an ISO 4217 code',
    ]);
    await page.getByRole('status').filter({ hasText: '6 rows read: 1 good, 5 bad.' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Create payouts' }).isDisabled());
    const still = await call(scene.base, 'GET', '/api/payments?size=1', { token: scene.users.admin.token });
    assert.equal(still.body.total, before.body.total, 'nothing was created');
    assert.deepEqual(await runAxe(page), []);
    await page.screenshot({ path: join(shotDir, 'lists-bad-rows-1280x800.png'), fullPage: true });

    const good = [
      'amount,currency,startDate,endDate,name,description,userName,notification',
      '10,GBP,2030-01-01,2030-02-01,List,"Bonus, March",ann,true',
      '1.23,GBP,2030-01-01,2030-02-01,List,Fixed,bob,false',
      '5,GBP,2030-01-01,2030-02-01,List,Fixed too,cat,false',
    ].join('\n');
    await page.getByLabel('CSV file').setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('status').filter({ hasText: '3 rows read: 3 good, 0 bad.' }).waitFor();
    await page.getByRole('region', { name: 'Payouts in the file, table' }).getByRole('table').getByRole('cell', { name: '£1.23' }).waitFor();
    await page.getByRole('button', { name: 'Create payouts' }).click();
    await page.getByRole('status').filter({ hasText: /^Created 3 payouts/ }).waitFor();
    const now = await call(scene.base, 'GET', '/api/payments?size=1', { token: scene.users.admin.token });
    assert.equal(Number(now.body.total), Number(before.body.total) + 3);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('Lists: rows only the server can refuse (funds) come back with their lines; nothing is created', async () => {
    const { context, page, problems } = await newPage(browser);
    await signIn(page, scene.base, scene.users.operator);
    await openScreen(page, 'Lists');
    const csv = 'amount,currency,startDate,endDate,name,description,userName,notification\n' +
      '1,EUR,2030-01-01,2030-02-01,List,No euros yet,ann,false\n';
    await page.getByLabel('CSV file').setInputFiles({ name: 'eur.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('button', { name: 'Create payouts' }).click();
    const table = page.getByRole('region', { name: 'Bad rows' }).getByRole('table');
    await table.waitFor();
    const rows = (await table.getByRole('row').allTextContents()).slice(1);
    assert.equal(rows.length, 1);
    assert.match(rows[0], /^21.*insufficient funds/i);
    assertWords(await alertText(page));
    assert.deepEqual(dropExpectedRefusals(problems, 422), []);
    await context.close();
  });

  test('Payouts: four eyes, authorize as an approver, cancel, filter, bookmark, reload, export; history; audit log', async () => {
    const { admin, approver, operator } = scene.users;
    const base = scene.base;
    await call(base, 'POST', '/api/admin/funds/deposit', { token: admin.token, body: { currency: 'EUR', amount: 500 } });
    await call(base, 'PUT', '/api/admin/settings/authorization', { token: admin.token, body: { mode: 'always' } });
    const make = async (token, amount) => {
      const r = await call(base, 'POST', '/api/payment/create', { token, body: {
        amount, currency: 'EUR', startDate: '2020-01-01', endDate: '2099-01-01', name: 'Four eyes',
        description: 'Needs a second person', userName: 'zed', notification: false } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.payments[0].id;
    };
    const byAdmin = await make(admin.token, 11);
    const byOperator = await make(operator.token, 12);
    const toCancel = await make(operator.token, 13);
    await call(base, 'PUT', '/api/admin/settings/authorization', { token: admin.token, body: { mode: 'off' } });

    // The admin may not authorize the admin's own payout.
    const a = await newPage(browser);
    await signIn(a.page, base, admin);
    await a.page.goto(`${base}/payouts?status=UNAUTHORIZED&currency=EUR`);
    await a.page.getByRole('checkbox', { name: `Select payout ${byAdmin}` }).check();
    await a.page.getByRole('button', { name: 'Authorize selected' }).click();
    await a.page.getByRole('status').filter({ hasText: /^Authorized 0 of 1 selected payout\..*four eyes/ }).waitFor();
    assert.equal((await call(base, 'GET', `/api/payments/${byAdmin}`, { token: admin.token })).body.status, 'UNAUTHORIZED');

    // The approver authorizes both others' payouts.
    const p = await newPage(browser);
    await signIn(p.page, base, approver);
    await openScreen(p.page, 'Payouts');
    await p.page.getByLabel('Status').selectOption('UNAUTHORIZED');
    await p.page.getByLabel('Currency').fill('EUR');
    await p.page.getByRole('button', { name: 'Apply filters' }).click();
    await p.page.waitForURL(/status=UNAUTHORIZED/);
    await p.page.getByRole('checkbox', { name: `Select payout ${byAdmin}` }).check();
    await p.page.getByRole('checkbox', { name: `Select payout ${byOperator}` }).check();
    await p.page.getByRole('button', { name: 'Authorize selected' }).click();
    await p.page.getByRole('status').filter({ hasText: 'Authorized 2 of 2 selected payouts.' }).waitFor();

    // Cancel, with a confirmation.
    await p.page.getByRole('checkbox', { name: `Select payout ${toCancel}` }).check();
    await p.page.getByRole('button', { name: 'Cancel selected' }).click();
    await p.page.getByRole('button', { name: 'Cancel 1 payout' }).click();
    await p.page.getByRole('status').filter({ hasText: 'Cancelled 1 of 1 selected payout.' }).waitFor();
    assert.equal((await call(base, 'GET', `/api/payments/${toCancel}`, { token: admin.token })).body.status, 'CANCELLED');

    // A filtered view in the address: bookmark (copy the address), reload, the same rows.
    await p.page.getByLabel('Status').selectOption('READY');
    await p.page.getByRole('button', { name: 'Apply filters' }).click();
    await p.page.waitForURL(/status=READY/);
    const bookmark = p.page.url();
    assert.match(bookmark, /\/payouts\?status=READY&currency=EUR$/);
    const shown = async (page) => {
      await page.getByRole('region', { name: 'Payouts table' }).getByRole('table').waitFor();
      return (await page.getByRole('checkbox', { name: /^Select payout \d+$/ }).evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).sort();
    };
    const rowsBefore = await shown(p.page);
    assert.deepEqual(rowsBefore, [`Select payout ${byAdmin}`, `Select payout ${byOperator}`].sort());
    await p.page.reload();
    assert.deepEqual(await shown(p.page), rowsBefore);
    const fresh = await newPage(browser);
    await fresh.page.goto(bookmark);
    await fresh.page.getByLabel('Email').fill(approver.email);
    await fresh.page.getByLabel('Password').fill(approver.password);
    await fresh.page.getByRole('button', { name: 'Sign in' }).click();
    assert.deepEqual(await shown(fresh.page), rowsBefore);
    await fresh.context.close();

    // Export: the CSV of exactly the filtered view.
    const [download] = await Promise.all([p.page.waitForEvent('download'), p.page.getByRole('link', { name: 'Export CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
    assert.match(csv[0], /^id,uniqueId,status,amount,currency,/);
    assert.deepEqual(csv.slice(1).map((l) => l.split(',')[0]).sort(), [String(byAdmin), String(byOperator)].sort());
    for (const line of csv.slice(1)) assert.match(line, /,READY,\d+,EUR,/);

    // The detail view: who created and who authorized, who cancelled.
    await a.page.goto(`${base}/payouts/${byOperator}`);
    const history = a.page.getByRole('region', { name: 'History table' }).getByRole('table');
    await history.getByRole('row', { name: /^Created .* operator@example\.com/ }).waitFor();
    await history.getByRole('row', { name: /^Authorized .* approver@example\.com/ }).waitFor();
    await a.page.waitForLoadState('networkidle');
    await a.page.goto(`${base}/payouts/${toCancel}`);
    await a.page.getByRole('region', { name: 'History table' }).getByRole('table').getByRole('row', { name: /^Cancelled .* approver@example\.com/ }).waitFor();
    assert.deepEqual(await runAxe(a.page), []);

    // The audit log shows the actions, filtered by action.
    await openScreen(a.page, 'Audit log');
    await a.page.getByLabel('Action').fill('payment.authorize');
    await a.page.getByRole('button', { name: 'Apply filters' }).click();
    await a.page.waitForURL(/action=payment\.authorize/);
    const audit = a.page.getByRole('region', { name: 'Audit log table' }).getByRole('table');
    await audit.getByRole('row', { name: new RegExp(`approver@example\\.com.*payment\\.authorize.*payout:`) }).first().waitFor();
    await a.page.getByLabel('Action').fill('payment.cancel');
    await a.page.getByRole('button', { name: 'Apply filters' }).click();
    await audit.getByRole('row', { name: new RegExp(`payment\\.cancel.*payout:${toCancel}`) }).waitFor();
    assert.deepEqual(await runAxe(a.page), []);
    assert.deepEqual(a.problems, []);
    assert.deepEqual(p.problems, []);
    await a.context.close();
    await p.context.close();
  });

  test('Reports: a table and a bar chart in SVG', async () => {
    const { context, page, problems } = await newPage(browser);
    await signIn(page, scene.base, scene.users.auditor);
    await openScreen(page, 'Reports');
    await page.getByLabel('Group by').selectOption('currency');
    await page.getByRole('button', { name: 'Show report' }).click();
    await page.waitForURL(/groupBy=currency/);
    const table = page.getByRole('region', { name: 'Report table' }).getByRole('table');
    await table.getByRole('rowheader', { name: 'EUR' }).waitFor();
    await page.getByRole('img', { name: 'Sum of payouts in EUR by currency' }).waitFor();
    assert.ok(await page.locator('svg rect.chart-bar').count() >= 2);
    assert.deepEqual(await runAxe(page), []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('Users: add (password shown once), change role, disable, reset password', async () => {
    const { context, page, problems } = await newPage(browser);
    await signIn(page, scene.base, scene.users.admin);
    await openScreen(page, 'Users');
    await page.getByLabel('Email', { exact: true }).fill('new.person@example.com');
    await page.getByLabel('Role', { exact: true }).selectOption('auditor');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('status').filter({ hasText: 'new.person@example.com is added as auditor.' }).waitFor();
    const password = await page.getByLabel('Password of new.person@example.com').inputValue();
    assert.ok(password.length >= 12);
    await login(scene.base, 'new.person@example.com', password);

    await page.getByLabel('Role of new.person@example.com', { exact: true }).selectOption('operator');
    await page.getByRole('button', { name: 'Save role of new.person@example.com' }).click();
    await page.getByRole('status').filter({ hasText: 'new.person@example.com is now operator.' }).waitFor();
    assert.equal(await page.getByLabel('Password of new.person@example.com').count(), 0, 'the password is shown once');

    await page.getByRole('button', { name: 'Reset password of new.person@example.com' }).click();
    await page.getByRole('button', { name: 'Reset password', exact: true }).click();
    const second = await page.getByLabel('Password of new.person@example.com').inputValue();
    assert.notEqual(second, password);
    assert.equal((await call(scene.base, 'POST', '/api/admin/login', { body: { email: 'new.person@example.com', password } })).status, 401);

    await page.getByRole('button', { name: 'Disable new.person@example.com' }).click();
    await page.getByRole('status').filter({ hasText: 'new.person@example.com is disabled' }).waitFor();
    assert.equal((await call(scene.base, 'POST', '/api/admin/login', { body: { email: 'new.person@example.com', password: second } })).status, 401);

    // The last admin stays: the server's refusal appears in words.
    await page.getByLabel(`Role of ${scene.users.admin.email}`, { exact: true }).selectOption('auditor');
    await page.getByRole('button', { name: `Save role of ${scene.users.admin.email}` }).click();
    assertWords(await alertText(page));
    assert.deepEqual(await runAxe(page), []);
    assert.deepEqual(dropExpectedRefusals(problems, 409), []);
    await context.close();
  });

  test('Account: two-factor set up with a QR code and the secret, then sign-in asks for a code; password change', async () => {
    const { operator } = scene.users;
    const { context, page, problems } = await newPage(browser);
    await signIn(page, scene.base, operator);
    await page.getByRole('banner').getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Set up two-factor' }).click();
    await page.getByRole('img', { name: 'QR code of the two-factor secret' }).waitFor();
    const secret = (await page.locator('code.secret').textContent()).trim();
    assert.match(secret, /^[A-Z2-7]{16,}=*$/);
    assert.deepEqual(await runAxe(page), []);
    await page.screenshot({ path: join(shotDir, 'account-two-factor-1280x800.png'), fullPage: true });
    await page.getByLabel('Two-factor code').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on two-factor' }).click();
    await page.getByRole('status').filter({ hasText: 'Two-factor sign-in is on.' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // Sign-in now asks for the code (the next step's: a code is accepted once).
    await signIn(page, scene.base, operator, { otp: () => totp(secret, 1) });

    // Change the password, sign out and in with the new one.
    await page.getByRole('banner').getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('Current password').fill(operator.password);
    await page.getByLabel('New password', { exact: true }).fill('a much longer new password 42');
    await page.getByLabel('Repeat the new password').fill('a much longer new password 42');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
    operator.password = 'a much longer new password 42';
    assert.deepEqual(dropExpectedRefusals(problems, 401), []);
    await context.close();
  });
});
