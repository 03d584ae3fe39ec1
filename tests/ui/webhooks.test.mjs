// The Webhooks screen and a payout's Events in chromium against the real
// server (spec §8, §9), with a receiver started here on a loopback port
// (allowed through PAYOUT_WEBHOOK_ALLOW_CIDRS) that checks every
// signature: add an endpoint (the secret shown once, and it verifies the
// deliveries), disable and enable, Test (the webhook.test delivery in the
// deliveries), Rotate secret after the confirmation (the new secret shown
// once and verifying), replay by event id and by period, Delete after the
// confirmation, API refusals in words in an alert, axe-clean, keyboard
// only; and a payout's Events section for every role.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import {
  alertText, assertWords, call, dropExpectedRefusals, newPage, openScreen, runAxe, settled, shotDir, signIn,
  startScene,
} from './support.mjs';

/** Standard Webhooks 1.0: v1, base64 HMAC-SHA256 of id.timestamp.body. */
function sign(secret, id, ts, body) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
}

/** A receiver on 127.0.0.1: records every delivery with its parsed body
 *  and the signatures it carries; answers 200. */
async function startReceiver() {
  const got = [];
  const waiters = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const d = {
        id: req.headers['webhook-id'], ts: req.headers['webhook-timestamp'],
        signatures: (req.headers['webhook-signature'] ?? '').split(' '), body, event: JSON.parse(body),
      };
      got.push(d);
      for (const w of [...waiters]) if (w.test(d)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(d); }
      res.writeHead(200, { 'Content-Length': '0' });
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    got,
    /** The first delivery (past or future) for which test is true. */
    next(test) {
      const seen = got.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
    verifies(d, secret) {
      return d.signatures.includes(sign(secret, d.id, d.ts, d.body));
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/** Presses Refresh deliveries until a row names eventId; the row's text. */
async function deliveryRow(page, eventId) {
  const row = page.getByRole('region', { name: 'Deliveries table' }).getByRole('row').filter({ hasText: eventId });
  for (let i = 0; i < 50 && (await row.count()) === 0; i++) {
    await page.getByRole('button', { name: 'Refresh deliveries' }).click();
    await settled(page);
    if ((await row.count()) === 0) await page.waitForTimeout(200);
  }
  return (await row.first().textContent()).trim();
}

describe('the Webhooks screen', () => {
  let scene;
  let browser;
  let receiver;

  before(async () => {
    receiver = await startReceiver();
    scene = await startScene({ PAYOUT_WEBHOOK_ALLOW_CIDRS: '127.0.0.0/8', PAYOUT_WEBHOOK_RETRY_MS: '200,200' });
    assert.ok(scene.webhooks, 'the server offers webhooks');
    const r = await call(scene.base, 'POST', '/api/admin/funds/deposit', { token: scene.users.admin.token, body: { currency: 'GBP', amount: 500, reference: 'seed' } });
    assert.equal(r.status, 200);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await scene?.server.stop();
    await receiver?.close();
  });

  test('admin: add, secret once, test, disable/enable, rotate, replay, deliveries, delete', async () => {
    const { context, page, problems } = await newPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: scene.base });
    const admin = scene.users.admin;
    await signIn(page, scene.base, admin);
    await openScreen(page, 'Webhooks');
    await page.getByText('No endpoint yet.').waitFor();
    assert.deepEqual(await runAxe(page), [], 'empty Webhooks screen');

    // The API's refusal, in words.
    await page.getByLabel('URL').fill('ftp://example.com/hook');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    assertWords(await alertText(page));
    assert.equal((await call(scene.base, 'GET', '/api/webhooks', { token: admin.token })).body.webhooks.length, 0);

    // Add: the secret once.
    await page.getByLabel('URL').fill(receiver.url);
    await page.getByLabel('Description').fill('ERP');
    await page.getByLabel('payout.created').check();
    await page.getByLabel('payout.cancelled').check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('status').filter({ hasText: `${receiver.url} is added.` }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'the earlier alert is gone');
    const secretField = page.getByRole('textbox', { name: 'Signing secret', exact: true });
    const secret = await secretField.inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.ok(await secretField.evaluate((el) => el === document.activeElement), 'the secret field has the focus');
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    assert.deepEqual(await runAxe(page), [], 'Webhooks with the secret shown');
    const row = page.getByRole('region', { name: 'Endpoints table' }).getByRole('row').filter({ hasText: receiver.url });
    assert.match(await row.textContent(), /payout\.created, payout\.cancelled.*Enabled/);
    const list = await call(scene.base, 'GET', '/api/webhooks', { token: admin.token });
    assert.equal(list.body.webhooks.length, 1);
    assert.equal(list.body.webhooks[0].secret, undefined, 'the list never has the secret');
    const id = list.body.webhooks[0].id;
    await page.reload();
    await page.getByRole('region', { name: 'Endpoints table' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Signing secret', exact: true }).count(), 0, 'the secret is shown once');
    assert.doesNotMatch(await page.content(), /whsec_/);
    await page.screenshot({ path: join(shotDir, 'webhooks-endpoints-1280x800.png'), fullPage: true });

    // Test: a webhook.test delivery signed with that secret, in the deliveries.
    await page.getByRole('button', { name: `Test ${receiver.url}` }).click();
    await page.getByRole('status').filter({ hasText: `A webhook.test event is on its way to ${receiver.url}.` }).waitFor();
    const first = await receiver.next((d) => d.event.type === 'webhook.test');
    assert.ok(receiver.verifies(first, secret), 'the delivery verifies with the secret shown');
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: `Webhook ${id}`, level: 1 }).waitFor();
    await settled(page);
    assert.match(await deliveryRow(page, first.id), /Delivered \(HTTP 200\)/);
    assert.deepEqual(await runAxe(page), [], 'an endpoint with deliveries');

    // Disable: a test waits; Enable: it arrives.
    await page.getByRole('button', { name: `Disable ${receiver.url}` }).click();
    await page.getByRole('status').filter({ hasText: `${receiver.url} is disabled.` }).waitFor();
    await page.getByText('Disabled', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Test ${receiver.url}` }).click();
    await page.getByRole('status').filter({ hasText: `A webhook.test event waits until ${receiver.url} is enabled.` }).waitFor();
    const testsBefore = receiver.got.filter((d) => d.event.type === 'webhook.test').length;
    await page.getByRole('button', { name: `Enable ${receiver.url}` }).click();
    await page.getByRole('status').filter({ hasText: `${receiver.url} is enabled.` }).waitFor();
    const held = await receiver.next((d) => d.event.type === 'webhook.test' && d.id !== first.id);
    assert.equal(testsBefore, 1, 'nothing went out while disabled');
    assert.match(await deliveryRow(page, held.id), /Delivered/);

    // Rotate secret: asks first; the new secret once; both verify for 24 h.
    await page.getByRole('button', { name: `Rotate secret of ${receiver.url}` }).click();
    const confirm = page.getByRole('group', { name: `Confirm: Rotate secret of ${receiver.url}` });
    await confirm.waitFor();
    assert.ok(await confirm.getByRole('button', { name: 'Rotate now' }).evaluate((el) => el === document.activeElement));
    await confirm.getByRole('button', { name: 'Keep as it is' }).click();
    assert.equal(await page.getByRole('textbox', { name: 'Signing secret', exact: true }).count(), 0, 'kept as it is: no new secret');
    await page.getByRole('button', { name: `Rotate secret of ${receiver.url}` }).click();
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.getByRole('status').filter({ hasText: `${receiver.url} has a new signing secret.` }).waitFor();
    const secret2 = await page.getByRole('textbox', { name: 'Signing secret', exact: true }).inputValue();
    assert.match(secret2, /^whsec_/);
    assert.notEqual(secret2, secret);
    await page.getByRole('button', { name: `Test ${receiver.url}` }).click();
    await page.getByRole('status').filter({ hasText: 'webhook.test' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Signing secret', exact: true }).count(), 0, 'the next action hides the secret');
    const third = await receiver.next((d) => d.event.type === 'webhook.test' && d.id !== first.id && d.id !== held.id);
    assert.ok(receiver.verifies(third, secret2), 'signed with the new secret');
    assert.ok(receiver.verifies(third, secret), 'and with the old one during the overlap');

    // Replay: a payout's events, by event id and by period.
    const created = await call(scene.base, 'POST', '/api/payment/create', { token: admin.token, body: {
      startDate: '2020-01-01', endDate: '2099-01-01', name: 'P', description: 'Hooked', userName: 'ann',
      amount: 10, currency: 'GBP', notification: false } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const payoutId = created.body.payments[0].id;
    assert.equal((await call(scene.base, 'POST', '/api/payment/cancel', { token: admin.token, body: { ids: [payoutId] } })).body.success, 1);
    const createdEvt = await receiver.next((d) => d.event.type === 'payout.created' && d.event.data.id === payoutId);
    await receiver.next((d) => d.event.type === 'payout.cancelled' && d.event.data.id === payoutId);
    const count = (type) => receiver.got.filter((d) => d.event.type === type).length;
    await page.getByLabel('After event id').fill('nope');
    await page.getByRole('button', { name: 'Replay' }).click();
    assertWords(await alertText(page));
    await page.getByLabel('After event id').fill(createdEvt.id);
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('status').filter({ hasText: '1 event queued again.' }).waitFor();
    await receiver.next(() => count('payout.cancelled') === 2);
    await page.getByLabel('After event id').fill('');
    const today = await page.evaluate(() => {
      const d = new Date();
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    });
    await page.getByLabel('From').fill(today);
    await page.getByLabel('To').fill(today);
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('status').filter({ hasText: '2 events queued again.' }).waitFor();
    await receiver.next(() => count('payout.created') === 2 && count('payout.cancelled') === 3);
    assert.match(await deliveryRow(page, createdEvt.id), /Delivered/);

    // Delete: asks first, then the endpoint is gone.
    await openScreen(page, 'Webhooks');
    await page.getByRole('button', { name: `Delete ${receiver.url}` }).click();
    await page.getByRole('group', { name: `Confirm: Delete ${receiver.url}` }).getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByRole('status').filter({ hasText: `${receiver.url} is deleted.` }).waitFor();
    await page.getByText('No endpoint yet.').waitFor();
    assert.equal((await call(scene.base, 'GET', '/api/webhooks', { token: admin.token })).body.webhooks.length, 0);

    // An endpoint that is gone: the API's 404 in words.
    await page.goto(`${scene.base}/webhooks/${id}`);
    await page.getByRole('heading', { name: `Webhook ${id}`, level: 1 }).waitFor();
    assertWords(await alertText(page));
    assert.deepEqual(await runAxe(page), [], 'a missing endpoint');
    assert.deepEqual(dropExpectedRefusals(dropExpectedRefusals(problems, 400), 404), []);
    await context.close();
  });

  test('keyboard only: add an endpoint, test it, rotate its secret', async () => {
    const { context, page, problems } = await newPage(browser);
    await signIn(page, scene.base, scene.users.admin);
    await openScreen(page, 'Webhooks');
    const focused = () => page.evaluate(() => {
      const el = document.activeElement;
      return el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent.trim();
    });
    const tabTo = async (name, back = false) => {
      for (let i = 0; i < 80 && (await focused()) !== name; i++) await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
      assert.equal(await focused(), name);
    };
    await tabTo('URL');
    await page.keyboard.type(`${receiver.url}?k=1`);
    await tabTo('payout.received');
    await page.keyboard.press('Space');
    await tabTo('Add endpoint');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'is added.' }).waitFor();
    const url = `${receiver.url}?k=1`;
    assert.equal(await focused(), 'Signing secret', 'the focus is on the new secret');
    const secret = await page.getByRole('textbox', { name: 'Signing secret', exact: true }).inputValue();
    await tabTo(`Test ${url}`);
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: `A webhook.test event is on its way to ${url}.` }).waitFor();
    const d = await receiver.next((x) => x.event.type === 'webhook.test' && receiver.verifies(x, secret));
    assert.ok(d);
    await tabTo(`Rotate secret of ${url}`);
    await page.keyboard.press('Enter');
    assert.equal(await focused(), 'Rotate now', 'the confirmation takes the focus');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: `${url} has a new signing secret.` }).waitFor();
    assert.equal(await focused(), 'Signing secret');
    assert.notEqual(await page.getByRole('textbox', { name: 'Signing secret', exact: true }).inputValue(), secret);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a payout\'s Events for every role; the Webhooks screen for admins only', async () => {
    const admin = scene.users.admin;
    const created = await call(scene.base, 'POST', '/api/payment/create', { token: admin.token, body: {
      startDate: '2020-01-01', endDate: '2099-01-01', name: 'P', description: 'Evented', userName: 'bob',
      amount: 5, currency: 'GBP', notification: false } });
    const payoutId = created.body.payments[0].id;
    assert.equal((await call(scene.base, 'POST', '/api/payment/cancel', { token: admin.token, body: { ids: [payoutId] } })).body.success, 1);
    const feed = await call(scene.base, 'GET', `/api/events?payoutId=${payoutId}`, { token: admin.token });
    assert.deepEqual(feed.body.events.map((e) => e.type), ['payout.created', 'payout.cancelled']);
    const hooks = (await call(scene.base, 'GET', '/api/webhooks', { token: admin.token })).body.webhooks;
    assert.ok(hooks.length > 0, 'an endpoint exists for the bookmark checks');
    for (const role of ['admin', 'approver', 'operator', 'auditor']) {
      const { context, page, problems } = await newPage(browser);
      await signIn(page, scene.base, scene.users[role]);
      await page.goto(`${scene.base}/payouts/${payoutId}`);
      const table = page.getByRole('region', { name: 'Events table' });
      await table.waitFor();
      const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
      assert.deepEqual(rows.map(([seq, type, , evt]) => [seq, type, evt]), [
        ['1', 'payout.created', feed.body.events[0].id], ['2', 'payout.cancelled', feed.body.events[1].id]], role);
      await settled(page);
      assert.deepEqual(await runAxe(page), [], `${role} on the payout's events`);
      if (role === 'admin') {
        await page.screenshot({ path: join(shotDir, `payouts-${payoutId}-events-1280x800.png`), fullPage: true });
      } else {
        for (const path of ['webhooks', `webhooks/${hooks[0].id}`]) {
          await page.goto(`${scene.base}/${path}`);
          await page.getByRole('heading', { level: 1 }).waitFor();
          assert.match(await alertText(page), /Your role does not open this screen\./, `${role} at /${path}`);
          assert.equal(await page.getByRole('main').getByRole('button').count(), 0, `${role} at /${path}: no buttons`);
        }
        const refused = await page.evaluate(async () => (await fetch('/api/webhooks')).status);
        assert.equal(refused, 403, `${role}: the server refuses the webhook list`);
      }
      assert.deepEqual(dropExpectedRefusals(problems, 403), []);
      await context.close();
    }
  });
});

