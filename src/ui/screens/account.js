// The Account screen (spec §8): the signed-in user's own account. Change
// the password; set up two-factor sign-in (a QR code of the otpauth://
// address drawn as SVG from the vendored uqr, and the secret as text),
// turn it on with a code, or turn it off with the password and a code.
import { useState } from '../vendor/preact-hooks.js';
import { encode } from '../vendor/uqr.js';
import { html } from '../html.js';
import { api } from '../api.js';
import { Moment } from '../dates.js';
import { Alert, Field, Notice } from '../ui.js';

/** The QR code of text as an SVG path, one square per dark module. */
export function QrCode({ text, label }) {
  const qr = encode(text, { ecc: 'M', border: 2 });
  let d = '';
  qr.data.forEach((row, y) => row.forEach((dark, x) => { if (dark) d += `M${x} ${y}h1v1h-1z`; }));
  return html`
    <svg class="qr" viewBox=${`0 0 ${qr.size} ${qr.size}`} role="img" aria-label=${label} shape-rendering="crispEdges">
      <rect class="qr-light" width=${qr.size} height=${qr.size} />
      <path class="qr-dark" d=${d} />
    </svg>`;
}

function ChangePassword({ onUser }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState(null);
  const [said, setSaid] = useState('');
  async function submit(e) {
    e.preventDefault();
    setError(null); setSaid('');
    if (next !== again) { setError('The new password and its repetition differ.'); return; }
    try {
      const u = await api('POST', '/api/account/password', { currentPassword: current, newPassword: next });
      setCurrent(''); setNext(''); setAgain('');
      onUser(u);
      setSaid('Your password is changed.');
    } catch (err) {
      setError(err);
    }
  }
  return html`
    <form class="card" aria-labelledby="password-title" onSubmit=${submit} novalidate>
      <h2 id="password-title">Password</h2>
      <${Alert} error=${error} />
      <label for="current-password">Current password</label>
      <input id="current-password" type="password" autocomplete="current-password" value=${current} onInput=${(e) => setCurrent(e.currentTarget.value)} />
      <label for="new-password">New password</label>
      <input id="new-password" type="password" autocomplete="new-password" value=${next} onInput=${(e) => setNext(e.currentTarget.value)} />
      <label for="repeat-password">Repeat the new password</label>
      <input id="repeat-password" type="password" autocomplete="new-password" value=${again} onInput=${(e) => setAgain(e.currentTarget.value)} />
      <button type="submit" class="primary">Change password</button>
      <${Notice} text=${said} />
    </form>`;
}

function TwoFactor({ user, onUser }) {
  const [setup, setSetup] = useState(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [said, setSaid] = useState('');
  async function call(path, body, after) {
    setError(null); setSaid('');
    try {
      const a = await api('POST', path, body);
      after(a);
    } catch (err) {
      setError(err);
    }
  }
  const on = user.twoFactor === true;
  return html`
    <section class="card" aria-labelledby="tf-title">
      <h2 id="tf-title">Two-factor sign-in</h2>
      <p>Two-factor sign-in is <strong>${on ? 'on' : 'off'}</strong>.</p>
      <${Alert} error=${error} />
      <${Notice} text=${said} />
      ${!on && setup === null && html`
        <button type="button" class="primary" onClick=${() => call('/api/account/two-factor/setup', undefined, setSetup)}>Set up two-factor</button>`}
      ${!on && setup !== null && html`
        <p>Scan the code with an authenticator app, or type the secret into it. Then enter the six-digit code it shows.</p>
        <${QrCode} text=${setup.otpauthUri} label="QR code of the two-factor secret" />
        <dl class="fields"><${Field} name="Secret"><code class="secret">${setup.secret}</code></${Field}></dl>
        <form onSubmit=${(e) => { e.preventDefault(); call('/api/account/two-factor/enable', { code: code.trim() }, (u) => { setSetup(null); setCode(''); onUser(u); setSaid('Two-factor sign-in is on. Sign-in now asks for a code.'); }); }} novalidate>
          <label for="tf-code">Two-factor code</label>
          <input id="tf-code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" class="short"
            value=${code} onInput=${(e) => setCode(e.currentTarget.value)} />
          <button type="submit" class="primary">Turn on two-factor</button>
        </form>`}
      ${on && html`
        <form onSubmit=${(e) => { e.preventDefault(); call('/api/account/two-factor/disable', { password, code: code.trim() }, (u) => { setPassword(''); setCode(''); onUser(u); setSaid('Two-factor sign-in is off.'); }); }} novalidate>
          <label for="tf-password">Password</label>
          <input id="tf-password" type="password" autocomplete="current-password" value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
          <label for="tf-code">Two-factor code</label>
          <input id="tf-code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" class="short"
            value=${code} onInput=${(e) => setCode(e.currentTarget.value)} />
          <button type="submit">Turn off two-factor</button>
        </form>`}
    </section>`;
}

export function Account({ user, onUserChanged }) {
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Account</h1>
      <dl class="fields">
        <${Field} name="Email">${user.email}</${Field}>
        <${Field} name="Role">${user.role}</${Field}>
        <${Field} name="Last sign-in"><${Moment} at=${user.lastSignInAt} /></${Field}>
      </dl>
      <div class="cards two">
        <${ChangePassword} onUser=${onUserChanged} />
        <${TwoFactor} user=${user} onUser=${onUserChanged} />
      </div>
    </section>`;
}
