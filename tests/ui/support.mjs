// Shared pieces of the panel's browser tests: a server with a few users of
// every role, a page that records console errors, signing in through the
// Sign-in screen, axe-core in the page, screenshots, TOTP codes, and calls
// to the API from Node (to set a scene the way an integrator would).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startServer } from './server.mjs';

export { ADMIN_EMAIL, ADMIN_PASSWORD, startServer };

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const shotDir = join(process.env.PP_UI_OUT || join(root, 'build', 'ui'), 'screenshots');
mkdirSync(shotDir, { recursive: true });
const axeSource = readFileSync(join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** The nav links of each role, exactly as spec §8 names them (Webhooks
 *  only when the server offers webhooks). */
export function navNames(role, webhooks) {
  const all = ['Overview', 'Payouts', 'Lists', 'Funds', 'Reports', 'Audit log', 'Settings', 'Users'];
  if (webhooks) all.push('Webhooks');
  const hide = {
    admin: [],
    approver: ['Lists', 'Settings', 'Users', 'Webhooks'],
    operator: ['Settings', 'Users', 'Webhooks'],
    auditor: ['Lists', 'Settings', 'Users', 'Webhooks'],
  }[role];
  return all.filter((n) => !hide.includes(n));
}

/** Calls the API from Node: {status, body (parsed JSON or text), headers}. */
export async function call(base, method, path, { token, body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h['x-access-token'] = token;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(base + path, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* CSV or empty */ }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Logs in as email with the API (POST /api/admin/login): the token. */
export async function login(base, email, password) {
  const r = await call(base, 'POST', '/api/admin/login', { body: { email, password } });
  assert.equal(r.status, 200, `log-in of ${email}: ${JSON.stringify(r.body)}`);
  return r.body.token;
}

/** Adds a user of role through the API as the first admin; returns
 *  {email, password, id, token}. */
export async function addUser(base, adminToken, email, role) {
  const r = await call(base, 'POST', '/api/admin/users', { token: adminToken, body: { email, role } });
  assert.equal(r.status, 200, `adding ${email}: ${JSON.stringify(r.body)}`);
  const token = await login(base, email, r.body.password);
  return { email, password: r.body.password, id: r.body.id, role, token };
}

/** A server with the first admin and one user of every other role. */
export async function startScene(env = {}) {
  // PP_TEST_UI_DIR runs the tests against the files on disk (working on
  // the UI with a binary built before the change; docs/panel.md).
  const uiDir = process.env.PP_TEST_UI_DIR ? { PAYOUT_UI_DIR: process.env.PP_TEST_UI_DIR } : {};
  const server = await startServer({ ...uiDir, ...env });
  const admin = { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, role: 'admin' };
  admin.token = await login(server.base, admin.email, admin.password);
  const users = { admin };
  for (const role of ['approver', 'operator', 'auditor']) {
    users[role] = await addUser(server.base, admin.token, `${role}@example.com`, role);
  }
  const doc = await call(server.base, 'GET', '/api/openapi.json');
  const webhooks = Object.hasOwn(doc.body.paths, '/api/webhooks');
  return { server, base: server.base, users, webhooks };
}

/** Per page of newPage: whether the test itself is navigating it away. */
const pageStates = new WeakMap();

/** A new page (own context: own cookies) recording problems: console
 *  errors and warnings, page errors, failed requests. The one expected
 *  console line is the browser's note on GET /api/session answering 401
 *  while nobody is signed in (how the panel learns it must show Sign-in). */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const problems = [];
  const state = { navigating: false };
  pageStates.set(page, state);
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const url = m.location()?.url ?? '';
    if (/\/api\/session$/.test(url) && /status of 401/.test(m.text())) return;
    problems.push(`console ${m.type()}: ${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A download is handed to the browser's download manager, not a failure.
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && /\/api\/payments\/export/.test(r.url())) return;
    // A request the test's own goto cut off (signIn) is not the panel's failure.
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && state.navigating) return;
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return { context, page, problems };
}

/** Console lines an API refusal the test caused on purpose leaves
 *  ("Failed to load resource: ... 4xx"): dropped from problems. */
export function dropExpectedRefusals(problems, status) {
  return problems.filter((p) => !p.includes(`status of ${status}`));
}

/** Signs in through the Sign-in screen and waits for the Overview. */
export async function signIn(page, base, user, { otp } = {}) {
  // The page may still be loading what the last screen asked for (after
  // Sign out, its icon): a goto now would abort that request. Waiting for
  // the load state does not always cover the icon, so what the goto
  // itself aborts is not counted as a failed request either.
  await page.waitForLoadState('networkidle');
  const state = pageStates.get(page);
  if (state !== undefined) state.navigating = true;
  try {
    await page.goto(`${base}/sign-in`);
  } finally {
    if (state !== undefined) state.navigating = false;
  }
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (otp !== undefined) {
    await page.getByLabel('Two-factor code').fill(otp());
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  await settled(page);
}

/** Waits until the screen has its answers (no "Loading…" left). */
export async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('main [role="status"].muted'));
}

/** Opens a screen by its nav link (as a person would) and waits for it. */
export async function openScreen(page, name, heading = name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  await page.waitForLoadState('networkidle');
  await settled(page);
}

/** axe-core's violations on the page, as readable lines. */
export async function runAxe(page) {
  await page.evaluate(axeSource); // evaluated by the test driver, not an inline script
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** The text of the page's alert(s), trimmed. */
export async function alertText(page) {
  const alert = page.getByRole('alert').first();
  await alert.waitFor();
  return (await alert.textContent()).trim();
}

/** Asserts text reads as words for a person (no JSON). */
export function assertWords(text) {
  assert.ok(text.length > 3, `the alert says something: ${text}`);
  assert.doesNotMatch(text, /[{}]|"type"|"message"/, `words, not raw JSON: ${text}`);
}

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `base32 character ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The RFC 6238 code of secret (base32) at step offset steps from now. */
export function totp(secret, offset = 0) {
  const step = BigInt(Math.floor(Date.now() / 30000) + offset);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(step);
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = mac[mac.length - 1] & 0xf;
  const n = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(n % 1000000).padStart(6, '0');
}
