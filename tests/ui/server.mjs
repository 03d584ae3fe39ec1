// Starts the payout-panel binary for a browser test: a fresh database in a
// temporary directory, any free loopback port (read from the server's
// "listening on" line), and a low PBKDF2 cost so that start-up is quick.
// The binary comes from PP_SERVER_BIN (ctest passes it).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'correct-horse-battery-staple';

/** Starts a server; env adds to its environment. Resolves with
 *  {base, stop()}; rejects when it exits or says nothing within 20 s. */
export async function startServer(env = {}) {
  const bin = process.env.PP_SERVER_BIN;
  if (!bin) throw new Error('PP_SERVER_BIN is not set (ctest sets it to the payout-panel binary)');
  const tmpRoot = process.env.PP_TEST_TMPDIR || '/tmp';
  mkdirSync(tmpRoot, { recursive: true });
  const dir = mkdtempSync(join(tmpRoot, 'ui-'));
  const childEnv = { ...process.env };
  for (const k of Object.keys(childEnv)) if (k.startsWith('PAYOUT_')) delete childEnv[k];
  Object.assign(childEnv, {
    PAYOUT_ADMIN_EMAIL: ADMIN_EMAIL,
    PAYOUT_ADMIN_PASSWORD: ADMIN_PASSWORD,
    PAYOUT_PASSWORD_ITERATIONS: '1000',
    ...env,
  });
  const child = spawn(bin, ['serve', '--bind', '127.0.0.1', '--port', '0', '--db', join(dir, 'panel.db')], {
    env: childEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}): ${err}`)); });
  });
  child.removeAllListeners('exit');
  return {
    base,
    /** Stops the server; throws when it does not exit cleanly (a
     *  sanitizer build reports its findings that way). */
    async stop() {
      const done = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
      child.kill('SIGTERM');
      const { code, signal } = await done;
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`server exited with ${code ?? signal}: ${err.slice(-4000)}`);
    },
  };
}

/** A raw GET (no decompression, no cache): {status, headers, body: Buffer}. */
export function rawGet(url, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
