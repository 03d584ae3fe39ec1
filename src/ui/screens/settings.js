// The Settings screen (spec §8, admins): the API integration switch; the
// authentication password, masked until Show, with Copy (to the
// clipboard) and Rotate password (after a confirmation); the
// authorization policy; the two-factor requirement.
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { api, num } from '../api.js';
import { parseAmountInput } from '../money.js';
import { Alert, ConfirmButton, Loading, Notice, useApi, messageOf } from '../ui.js';

function Integration({ value, onChange }) {
  const [shown, setShown] = useState(false);
  const [error, setError] = useState(null);
  const [said, setSaid] = useState('');
  const [busy, setBusy] = useState(false);
  const password = value.authenticationPassword;
  async function call(method, path, body, text) {
    setBusy(true); setError(null); setSaid('');
    try {
      const answer = await api(method, path, body);
      onChange(answer);
      setSaid(text(answer));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  async function copy() {
    setError(null); setSaid('');
    try {
      await navigator.clipboard.writeText(password);
      setSaid('The authentication password is copied to the clipboard.');
    } catch {
      setError('The browser did not allow copying. Press Show and copy the password by hand.');
    }
  }
  return html`
    <section class="card" aria-labelledby="integration-title">
      <h2 id="integration-title">API integration</h2>
      <p class="muted">Integrators exchange the authentication password for a 24-hour API key with POST /api/authenticate.</p>
      <div class="switch-row">
        <input id="integration" type="checkbox" role="switch" checked=${value.enabled} disabled=${busy}
          onChange=${(e) => call('PUT', '/api/admin/settings/api-integration', { enabled: e.currentTarget.checked },
            (a) => (a.enabled ? 'The API integration is on.' : 'The API integration is off; every API key issued before stops working.'))} />
        <label for="integration">API integration</label>
        <span class="muted">${value.enabled ? 'On' : 'Off'}</span>
      </div>
      <label for="auth-password">Authentication password</label>
      <div class="secret-row">
        <input id="auth-password" type=${shown ? 'text' : 'password'} readonly value=${password ?? ''}
          placeholder=${password ? '' : 'Made when the integration is first switched on'} autocomplete="off" spellcheck=${false} />
        <button type="button" disabled=${!password} aria-pressed=${shown} onClick=${() => setShown(!shown)}>${shown ? 'Hide' : 'Show'}</button>
        <button type="button" disabled=${!password} onClick=${copy}>Copy</button>
        <${ConfirmButton} label="Rotate password" danger=${true} disabled=${busy}
          question="Rotate the password? Every API key issued with the old one stops working at once."
          confirmLabel="Rotate now"
          onConfirm=${() => call('POST', '/api/admin/settings/api-integration/rotate', undefined,
            () => 'The password is rotated. Every API key issued before stops working.')} />
      </div>
      <${Notice} text=${said} />
      <${Alert} error=${error} />
    </section>`;
}

function Policy({ value, onChange }) {
  const [mode, setMode] = useState(value.mode);
  const [rows, setRows] = useState(Object.entries(value.thresholds ?? {}).map(([currency, amount]) => ({ currency, amount })));
  const [error, setError] = useState(null);
  const [said, setSaid] = useState('');
  useEffect(() => {
    setMode(value.mode);
    setRows(Object.entries(value.thresholds ?? {}).map(([currency, amount]) => ({ currency, amount })));
  }, [value]);
  const setRow = (i, k) => (e) => setRows(rows.map((r, j) => (j === i ? { ...r, [k]: e.currentTarget.value } : r)));
  async function save(e) {
    e.preventDefault();
    setError(null); setSaid('');
    const thresholds = {};
    try {
      for (const r of rows) {
        const code = r.currency.trim().toUpperCase();
        if (code === '' && r.amount.trim() === '') continue;
        if (!/^[A-Z]{3}$/.test(code)) throw new Error('A threshold\'s currency is its three-letter code, for example GBP.');
        // A threshold of 0 is allowed (every payout of that currency).
        thresholds[code] = num(/^0*(\.0*)?$/.test(r.amount.trim()) ? '0' : parseAmountInput(r.amount, code));
      }
    } catch (err) {
      setError(messageOf(err));
      return;
    }
    try {
      const answer = await api('PUT', '/api/admin/settings/authorization', { mode, thresholds });
      onChange(answer);
      setSaid('The authorization policy is saved. Payouts created from now on follow it.');
    } catch (err) {
      setError(err);
    }
  }
  return html`
    <form class="card" aria-labelledby="policy-title" onSubmit=${save} novalidate>
      <h2 id="policy-title">Authorization policy</h2>
      <fieldset>
        <legend>Which new payouts wait for an admin or approver to authorize them</legend>
        ${[['off', 'None'], ['always', 'Every payout'], ['above', 'Payouts above the threshold of their currency']].map(([m, t]) => html`
          <div class="radio"><input type="radio" id=${`mode-${m}`} name="mode" value=${m} checked=${mode === m}
            onChange=${() => setMode(m)} /><label for=${`mode-${m}`}>${t}</label></div>`)}
      </fieldset>
      <fieldset>
        <legend>Thresholds (kept whatever the mode; a currency without one never waits)</legend>
        ${rows.map((r, i) => html`
          <div class="threshold">
            <div><label for=${`th-cur-${i}`}>Currency of threshold ${i + 1}</label>
              <input id=${`th-cur-${i}`} class="short" maxlength="3" value=${r.currency} onInput=${setRow(i, 'currency')} /></div>
            <div><label for=${`th-amt-${i}`}>Threshold ${i + 1}</label>
              <input id=${`th-amt-${i}`} inputmode="decimal" value=${r.amount} onInput=${setRow(i, 'amount')} /></div>
            <button type="button" onClick=${() => setRows(rows.filter((_, j) => j !== i))}>Remove threshold ${i + 1}</button>
          </div>`)}
        <button type="button" onClick=${() => setRows([...rows, { currency: '', amount: '' }])}>Add a threshold</button>
      </fieldset>
      <button type="submit" class="primary">Save policy</button>
      <${Notice} text=${said} />
      <${Alert} error=${error} />
    </form>`;
}

function Security({ value, onChange }) {
  const [on, setOn] = useState(value.requireTwoFactor === true);
  const [error, setError] = useState(null);
  const [said, setSaid] = useState('');
  useEffect(() => setOn(value.requireTwoFactor === true), [value]);
  async function save(e) {
    e.preventDefault();
    setError(null); setSaid('');
    try {
      const answer = await api('PUT', '/api/admin/settings/security', { requireTwoFactor: on });
      onChange(answer);
      setSaid(answer.requireTwoFactor === true
        ? 'Two-factor sign-in is required: users without it may only set it up.'
        : 'Two-factor sign-in is optional.');
    } catch (err) {
      setError(err);
    }
  }
  return html`
    <form class="card" aria-labelledby="security-title" onSubmit=${save}>
      <h2 id="security-title">Two-factor sign-in</h2>
      <div class="radio"><input type="checkbox" id="require-2fa" checked=${on} onChange=${(e) => setOn(e.currentTarget.checked)} />
        <label for="require-2fa">Require two-factor sign-in for every user</label></div>
      <button type="submit" class="primary">Save two-factor requirement</button>
      <${Notice} text=${said} />
      <${Alert} error=${error} />
    </form>`;
}

export function Settings() {
  const loaded = useApi('/api/admin/settings');
  const [settings, setSettings] = useState(null);
  useEffect(() => { if (loaded.data) setSettings(loaded.data); }, [loaded.data]);
  const s = settings;
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Settings</h1>
      ${loaded.loading && html`<${Loading} what="Loading the settings" />`}
      <${Alert} error=${loaded.error} />
      ${s && html`
        <${Integration} value=${s.apiIntegration} onChange=${(a) => setSettings({ ...s, apiIntegration: a })} />
        <${Policy} value=${s.authorization} onChange=${(a) => setSettings({ ...s, authorization: a })} />
        <${Security} value=${s.security ?? { requireTwoFactor: false }} onChange=${(a) => setSettings({ ...s, security: a })} />`}
    </section>`;
}
