// Every screen of the panel for every role, in chromium against the real
// server (spec §8): the navigation shows exactly the role's links, each
// screen opens from it with no console error and zero axe-core
// violations, a screen outside the role says so in an alert, buttons that
// change something are absent for the auditor, and every screen is
// photographed at 1280x800 and 390x844 with nothing wider than the screen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import { call, navNames, newPage, openScreen, runAxe, shotDir, signIn, startScene } from './support.mjs';

const SCREENS = [
  ['Overview', 'overview'], ['Payouts', 'payouts'], ['Lists', 'lists'], ['Funds', 'funds'],
  ['Reports', 'reports'], ['Audit log', 'audit-log'], ['Settings', 'settings'], ['Users', 'users'],
  ['Webhooks', 'webhooks'],
];

/** Payouts in every state, funds in two currencies. */
async function seed(base, users) {
  const admin = users.admin.token;
  for (const [currency, amount] of [['GBP', 1000], ['EUR', 250.5]]) {
    const r = await call(base, 'POST', '/api/admin/funds/deposit', { token: admin, body: { currency, amount, reference: 'seed' } });
    assert.equal(r.status, 200);
  }
  const create = async (token, body) => {
    const r = await call(base, 'POST', '/api/payment/create', { token, body: {
      startDate: '2020-01-01', endDate: '2099-01-01', name: 'Seed project', description: 'Seed payout',
      userName: 'ann', notification: false, ...body } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.payments[0].id;
  };
  await call(base, 'PUT', '/api/admin/settings/authorization', { token: admin, body: { mode: 'always' } });
  const waiting = await create(users.operator.token, { amount: 12.5, currency: 'GBP' });
  await create(users.admin.token, { amount: 7, currency: 'EUR', description: 'Ends soon', endDate: new Date(Date.now() + 3600e3).toISOString() });
  await call(base, 'PUT', '/api/admin/settings/authorization', { token: admin, body: { mode: 'off' } });
  const ready = await create(admin, { amount: 100, currency: 'GBP', userName: 'bob' });
  const received = await create(admin, { amount: 20.25, currency: 'GBP' });
  const cancelled = await create(admin, { amount: 3, currency: 'EUR' });
  assert.equal((await call(base, 'POST', '/api/payment/receive', { token: admin, body: { id: received, reference: 'bank 1' } })).status, 200);
  assert.equal((await call(base, 'POST', '/api/payment/cancel', { token: admin, body: { ids: [cancelled] } })).body.success, 1);
  return { waiting, ready, received, cancelled };
}

describe('every screen for every role', () => {
  let scene;
  let browser;
  let ids;

  before(async () => {
    scene = await startScene();
    ids = await seed(scene.base, scene.users);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await scene?.server.stop();
  });

  for (const role of ['admin', 'approver', 'operator', 'auditor']) {
    test(`${role}: the navigation, each screen axe-clean, the screens outside the role refused`, async () => {
      const { context, page, problems } = await newPage(browser);
      await signIn(page, scene.base, scene.users[role]);
      const nav = page.getByRole('navigation', { name: 'Main' });
      const names = (await nav.getByRole('link').allTextContents()).map((t) => t.trim());
      assert.deepEqual(names, navNames(role, scene.webhooks));
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.getByRole('banner').getByRole('link', { name: 'Account' }).waitFor();

      for (const [name] of SCREENS.filter(([n]) => names.includes(n))) {
        await openScreen(page, name);
        assert.deepEqual(await runAxe(page), [], `${role} on ${name}`);
      }
      await page.getByRole('banner').getByRole('link', { name: 'Account' }).click();
      await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
      assert.deepEqual(await runAxe(page), [], `${role} on Account`);

      // A bookmarked screen outside the role: an alert, no form.
      for (const [name, path] of SCREENS.filter(([n]) => !names.includes(n) && (n !== 'Webhooks' || scene.webhooks))) {
        await page.goto(`${scene.base}/${path}`);
        await page.getByRole('heading', { name, level: 1 }).waitFor();
        assert.match(await page.getByRole('alert').textContent(), /Your role does not open this screen\./, `${role} at /${path}`);
        assert.equal(await page.getByRole('main').getByRole('button').count(), 0, `${role} at /${path}: no buttons`);
      }
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('the auditor sees no button that changes anything', async () => {
    const { context, page, problems } = await newPage(browser);
    await signIn(page, scene.base, scene.users.auditor);
    await openScreen(page, 'Payouts');
    await page.getByRole('link', { name: String(ids.waiting), exact: true }).waitFor();
    assert.equal(await page.getByRole('checkbox').count(), 0, 'no row checkboxes');
    for (const name of ['Authorize selected', 'Cancel selected']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    }
    await page.getByRole('link', { name: String(ids.waiting), exact: true }).click();
    await page.getByRole('heading', { name: `Payout ${ids.waiting}` }).waitFor();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    assert.equal(await page.getByRole('main').getByRole('button').count(), 0, 'no Authorize or Cancel on the detail');
    assert.deepEqual(await runAxe(page), []);
    await openScreen(page, 'Funds');
    for (const name of ['Deposit', 'Withdraw']) assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    await page.getByRole('table', { name: 'Balances per currency' }).waitFor();
    // The server refuses anyway: the auditor's session may not cancel.
    const refused = await page.evaluate(async (id) => {
      const s = await (await fetch('/api/session')).json();
      const r = await fetch('/api/payment/cancel', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken }, body: JSON.stringify({ ids: [id] }) });
      return r.status;
    }, Number(ids.ready));
    assert.equal(refused, 403);
    assert.deepEqual(problems.filter((p) => !p.includes('status of 403')), []);
    await context.close();
  });

  for (const [width, height] of [[1280, 800], [390, 844]]) {
    test(`screenshots of every screen at ${width}x${height}, nothing wider than the screen`, async () => {
      const { context, page, problems } = await newPage(browser, { viewport: { width, height } });
      await signIn(page, scene.base, scene.users.admin);
      const shots = [...SCREENS.filter(([n]) => n !== 'Webhooks' || scene.webhooks),
        ['Account', 'account'], [`Payout ${ids.received}`, `payouts/${ids.received}`]];
      for (const [name, path] of shots) {
        await page.goto(`${scene.base}/${path}`);
        await page.getByRole('heading', { name, level: 1 }).waitFor();
        await page.waitForLoadState('networkidle');
        await page.waitForFunction(() => !document.querySelector('main [role="status"].muted'));
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scrollWidth <= width, `${path}: no sideways scrolling (${scrollWidth} > ${width})`);
        await page.screenshot({ path: join(shotDir, `${path.replace('/', '-')}-${width}x${height}.png`), fullPage: true });
      }
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('dark colour scheme: the busiest screens stay axe-clean', async () => {
    const { context, page, problems } = await newPage(browser, { colorScheme: 'dark' });
    await signIn(page, scene.base, scene.users.admin);
    for (const name of ['Overview', 'Payouts', 'Funds', 'Reports', 'Settings', 'Users']) {
      await openScreen(page, name);
      assert.deepEqual(await runAxe(page), [], `dark ${name}`);
      if (name === 'Payouts' || name === 'Settings') {
        await page.screenshot({ path: join(shotDir, `${name.toLowerCase()}-dark-1280x800.png`), fullPage: true });
      }
    }
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('keyboard only: sign in, reach Payouts by the navigation, select a payout and authorize it', async () => {
    const { context, page, problems } = await newPage(browser);
    const approver = scene.users.approver;
    await page.goto(`${scene.base}/`);
    await page.getByLabel('Email').waitFor();
    await page.keyboard.press('Tab'); // the skip link
    const focusedLabel = async () => page.evaluate(() => {
      const el = document.activeElement;
      return el.labels?.[0]?.textContent ?? el.getAttribute('aria-label') ?? el.textContent;
    });
    while ((await focusedLabel()) !== 'Email') await page.keyboard.press('Tab');
    await page.keyboard.type(approver.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(approver.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    for (let i = 0; i < 40 && (await focusedLabel()) !== 'Payouts'; i++) await page.keyboard.press('Tab');
    assert.equal(await focusedLabel(), 'Payouts');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Payouts', level: 1 }).waitFor();
    await page.getByRole('checkbox', { name: `Select payout ${ids.waiting}` }).waitFor();
    for (let i = 0; i < 80 && (await focusedLabel()) !== `Select payout ${ids.waiting}`; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    assert.ok(await page.getByRole('checkbox', { name: `Select payout ${ids.waiting}` }).isChecked());
    for (let i = 0; i < 80 && (await focusedLabel()) !== 'Authorize selected'; i++) await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Authorized 1 of 1 selected payout.' }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });
});
