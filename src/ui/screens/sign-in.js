// The Sign-in screen (spec §8): Email, Password, and Two-factor code when
// the server asks for one; POST /api/session. Any refusal is shown in
// words in an alert.
import { useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { api, ApiError } from '../api.js';

export function SignIn({ onSignedIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [needOtp, setNeedOtp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    const body = { email, password };
    if (needOtp) body.otp = otp;
    try {
      const answer = await api('POST', '/api/session', body);
      onSignedIn(answer);
    } catch (err) {
      if (err instanceof ApiError && err.type === 'OTP_REQUIRED') setNeedOtp(true);
      setError(err instanceof ApiError ? err.message : 'Signing in failed. Try again.');
    } finally {
      setBusy(false);
    }
  }

  return html`
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      ${error && html`<p role="alert" class="alert">${error}</p>`}
      <form onSubmit=${submit} novalidate>
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required
          value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required
          value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
        ${needOtp && html`
          <label for="otp">Two-factor code</label>
          <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"
            maxlength="6" required value=${otp} onInput=${(e) => setOtp(e.currentTarget.value)} />`}
        <button type="submit" class="primary" disabled=${busy}>Sign in</button>
      </form>
    </section>`;
}
