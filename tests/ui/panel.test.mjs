// Browser tests of the panel's foundation (docs/panel.md): the shell in a
// real chromium with no console errors, the security headers on every
// panel answer, the CSP refusing an injected inline script, ETag/304 and
// gzip, client-side routes reloading to the shell, PAYOUT_UI_DIR, axe-core
// with zero violations on the sign-in screen (light and dark), and
// screenshots at 1280x800 and 390x844 saved under the build directory.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { launch } from './browser.mjs';
import { rawGet, startServer } from './server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shotDir = join(process.env.PP_UI_OUT || join(root, 'build', 'ui'), 'screenshots');
const axeSource = readFileSync(join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function assertSecurityHeaders(url, headers) {
  assert.equal(headers['content-security-policy'], CSP, `${url}: Content-Security-Policy`);
  assert.equal(headers['x-frame-options'], 'DENY', `${url}: X-Frame-Options`);
  assert.equal(headers['x-content-type-options'], 'nosniff', `${url}: X-Content-Type-Options`);
  assert.equal(headers['referrer-policy'], 'no-referrer', `${url}: Referrer-Policy`);
}

async function runAxe(page) {
  await page.evaluate(axeSource); // evaluated by the test driver, not an inline script
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('panel in chromium', () => {
  let server;
  let browser;
  let launchError;

  before(async () => {
    mkdirSync(shotDir, { recursive: true });
    server = await startServer();
    // A missing chromium fails every test below by name, never skips one.
    try {
      browser = await launch();
    } catch (e) {
      launchError = e;
    }
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function newPage(options = {}) {
    if (browser === undefined) throw launchError;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
    const page = await context.newPage();
    const problems = [];
    const state = { navigating: false };
    page.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      // The browser notes GET /api/session answering 401 while nobody is
      // signed in: that is how the panel learns to show Sign-in.
      if (/\/api\/session$/.test(m.location()?.url ?? '') && /status of 401/.test(m.text())) return;
      problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      // A request the test's own reload cut off (the icon, fetched after
      // the page shows) is not the panel's failure, as in support.mjs.
      if (r.failure()?.errorText === 'net::ERR_ABORTED' && state.navigating) return;
      problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    return { context, page, problems, state };
  }

  test('the shell loads and shows Sign-in with no console errors', async () => {
    const { context, page, problems } = await newPage();
    const statuses = [];
    page.on('response', (r) => statuses.push(`${r.status()} ${new URL(r.url()).pathname}`));
    await page.goto(`${server.base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').waitFor();
    await page.getByLabel('Password').waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByRole('main').waitFor();
    assert.deepEqual(problems, []);
    assert.ok(statuses.length >= 8, `every module is fetched: ${statuses.join(', ')}`);
    // Every file is 200; the session probe says nobody is signed in.
    assert.deepEqual(statuses.filter((s) => s.endsWith(' /api/session')), ['401 /api/session']);
    for (const s of statuses.filter((x) => !x.endsWith(' /api/session'))) assert.match(s, /^200 /);
    await context.close();
  });

  test('every panel answer carries the security headers and its cache policy', async () => {
    const { context, page } = await newPage();
    const seen = [];
    // The panel's own files; the screens' API calls (/api/…) are the API's answers.
    page.on('response', async (r) => {
      if (!new URL(r.url()).pathname.startsWith('/api/')) seen.push({ url: r.url(), headers: await r.allHeaders() });
    });
    await page.goto(`${server.base}/payouts`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.waitForLoadState('networkidle');
    const paths = seen.map((s) => new URL(s.url).pathname);
    for (const want of ['/payouts', 'app.js', 'style.css', 'vendor/preact.js', 'vendor/htm.js', 'screens/sign-in.js', 'icon.svg']) {
      assert.ok(paths.some((p) => p.endsWith(want)), `${want} was fetched: ${paths.join(', ')}`);
    }
    for (const { url, headers } of seen) {
      assertSecurityHeaders(url, headers);
      const path = new URL(url).pathname;
      if (path.startsWith('/ui/')) {
        assert.match(path, /^\/ui\/[0-9a-f]{16}\//, `${path}: under the build's hash`);
        assert.equal(headers['cache-control'], 'public, max-age=31536000, immutable', path);
      } else {
        assert.equal(headers['cache-control'], 'no-cache', path);
      }
    }
    await context.close();
  });

  test('an injected inline script, inline handler and inline style do not run', async () => {
    const { context, page } = await newPage();
    await page.goto(`${server.base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const outcome = await page.evaluate(async () => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
      window.injected = 0;
      const s = document.createElement('script');
      s.textContent = 'window.injected = 1;';
      document.body.append(s);
      const div = document.createElement('div');
      div.innerHTML = '<img src="data:," onload="window.injected = 2"><p id="styled" style="color: rgb(1, 2, 3)">x</p>';
      document.body.append(div);
      const st = document.createElement('style');
      st.textContent = 'body { background: rgb(4, 5, 6) !important; }';
      document.head.append(st);
      await new Promise((r) => setTimeout(r, 300));
      return {
        injected: window.injected,
        violations,
        color: getComputedStyle(document.getElementById('styled')).color,
        background: getComputedStyle(document.body).backgroundColor,
      };
    });
    assert.equal(outcome.injected, 0, 'no injected code ran');
    assert.ok(outcome.violations.some((d) => d.startsWith('script-src')), `script-src refused it: ${outcome.violations}`);
    assert.ok(outcome.violations.some((d) => d.startsWith('style-src')), `style-src refused it: ${outcome.violations}`);
    assert.notEqual(outcome.color, 'rgb(1, 2, 3)');
    assert.notEqual(outcome.background, 'rgb(4, 5, 6)');
    await context.close();
  });

  test('a client-side route reloads to the shell and keeps its address', async () => {
    const { context, page, problems, state } = await newPage();
    await page.goto(`${server.base}/payouts?status=new&page=2`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    state.navigating = true;
    await page.reload();
    state.navigating = false;
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/payouts');
    assert.equal(new URL(page.url()).search, '?status=new&page=2');
    assert.deepEqual(problems, []);
    // API paths are not swallowed by the shell: the JSON envelope stays.
    const api = await rawGet(`${server.base}/api/no-such-thing`);
    assert.equal(api.status, 404);
    assert.match(api.headers['content-type'], /^application\/json/);
    assert.deepEqual(JSON.parse(api.body), { error: { message: 'no such endpoint', type: 'NOT_FOUND' }, errors: [] });
    await context.close();
  });

  test('the API\'s refusal is shown in words in an alert', async () => {
    const { context, page } = await newPage();
    await page.goto(`${server.base}/sign-in`);
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()).trim();
    assert.ok(text.length > 3, 'the alert says something');
    assert.doesNotMatch(text, /[{}"]/, `words, not raw JSON: ${text}`);
    assert.match(text, /^[A-Z].*\.$/, `a sentence: ${text}`);
    await context.close();
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`axe-core finds no violations on the sign-in screen (${colorScheme})`, async () => {
      const { context, page } = await newPage({ colorScheme });
      await page.goto(`${server.base}/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.deepEqual(await runAxe(page), []);
      // And with an error in the alert.
      await page.getByLabel('Email').fill('nobody@example.com');
      await page.getByLabel('Password').fill('x');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      assert.deepEqual(await runAxe(page), []);
      await page.screenshot({ path: join(shotDir, `sign-in-error-${colorScheme}-1280x800.png`) });
      await context.close();
    });
  }

  for (const [width, height] of [[1280, 800], [390, 844]]) {
    test(`screenshot of the sign-in screen at ${width}x${height}, nothing wider than the screen`, async () => {
      const { context, page, problems } = await newPage({ viewport: { width, height } });
      await page.goto(`${server.base}/`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scrollWidth <= width, `no sideways scrolling: ${scrollWidth} > ${width}`);
      const file = join(shotDir, `sign-in-${width}x${height}.png`);
      await page.screenshot({ path: file, fullPage: true });
      assert.ok(statSync(file).size > 1000, `${file} was written`);
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});

describe('panel files over HTTP', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  async function assetPath() {
    const shell = await rawGet(`${server.base}/`);
    const m = /"(\/ui\/[0-9a-f]{16})\/app\.js"/.exec(shell.body.toString());
    assert.ok(m, 'the shell names app.js under the build hash');
    return m[1];
  }

  for (const which of ['shell', 'app.js']) {
    test(`ETag, 304 and gzip (${which})`, async () => {
      const path = which === 'shell' ? '/payouts' : `${await assetPath()}/app.js`;
      const plain = await rawGet(server.base + path);
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers.vary, 'Accept-Encoding');
      assert.match(plain.headers.etag, /^"[0-9a-f]{32}"$/);
      assertSecurityHeaders(path, plain.headers);

      const gz = await rawGet(server.base + path, { 'Accept-Encoding': 'gzip, deflate, br' });
      assert.equal(gz.status, 200);
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gz.headers.vary, 'Accept-Encoding');
      assert.equal(gz.headers.etag, plain.headers.etag.replace(/"$/, '-gz"'));
      assert.ok(gz.body.length < plain.body.length, 'compressed is smaller');
      assert.deepEqual(gunzipSync(gz.body), plain.body);

      for (const etag of [plain.headers.etag, gz.headers.etag, `W/${plain.headers.etag}`]) {
        const again = await rawGet(server.base + path, { 'If-None-Match': etag, 'Accept-Encoding': 'gzip' });
        assert.equal(again.status, 304, `If-None-Match ${etag}`);
        assert.equal(again.body.length, 0);
        assert.equal(again.headers.etag, gz.headers.etag);
        assert.equal(again.headers['cache-control'], plain.headers['cache-control']);
        assertSecurityHeaders(path, again.headers);
      }
      const stale = await rawGet(server.base + path, { 'If-None-Match': '"0123456789abcdef0123456789abcdef"' });
      assert.equal(stale.status, 200);
      assert.deepEqual(stale.body, plain.body);
    });
  }

  test('files of another build and unknown files are the API\'s 404', async () => {
    for (const path of ['/ui/0000000000000000/app.js', `${await assetPath()}/nothing.js`, '/favicon.ico']) {
      const r = await rawGet(server.base + path);
      assert.equal(r.status, 404, path);
      assert.equal(JSON.parse(r.body).error.type, 'NOT_FOUND', path);
    }
  });
});

describe('PAYOUT_UI_DIR serves the files from disk', () => {
  let server;
  const uiDir = join(root, 'src', 'ui');
  before(async () => { server = await startServer({ PAYOUT_UI_DIR: uiDir }); });
  after(async () => { await server?.stop(); });

  test('the shell names /ui/dev/ and every file is read afresh, uncached', async () => {
    const shell = await rawGet(`${server.base}/settings`);
    assert.equal(shell.status, 200);
    assert.match(shell.body.toString(), /src="\/ui\/dev\/app\.js"/);
    assert.equal(shell.headers['cache-control'], 'no-cache');
    assertSecurityHeaders('/settings', shell.headers);
    const app = await rawGet(`${server.base}/ui/dev/app.js`, { 'Accept-Encoding': 'gzip' });
    assert.equal(app.status, 200);
    assert.equal(app.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(app.headers['cache-control'], 'no-cache');
    assert.deepEqual(app.body, readFileSync(join(uiDir, 'app.js')));
    assertSecurityHeaders('/ui/dev/app.js', app.headers);
    for (const path of ['/ui/dev/../CMakeLists.txt', '/ui/dev/nothing.js', '/ui/dev/vendor']) {
      assert.equal((await rawGet(server.base + path)).status, 404, path);
    }
  });
});
