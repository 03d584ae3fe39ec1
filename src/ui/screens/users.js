// The Users screen (spec §8, admins): every panel user with role,
// two-factor and status; add a user (the generated password is shown
// once), change a role, disable or enable, reset the password (shown
// once), reset two-factor. The server keeps the last enabled admin.
import { useState } from '../vendor/preact-hooks.js';
import { html } from '../html.js';
import { api } from '../api.js';
import { Moment } from '../dates.js';
import { Alert, ConfirmButton, Loading, Notice, TableFrame, useApi } from '../ui.js';

const ROLES = ['admin', 'approver', 'operator', 'auditor'];

/** A generated password, shown once with a Copy button. */
function OncePassword({ email, password }) {
  const [said, setSaid] = useState('');
  return html`
    <div class="once" role="group" aria-label="New password">
      <p>The password of ${email} is shown only now. Hand it over safely; they change it under Account.</p>
      <label for="once-password">Password of ${email}</label>
      <div class="secret-row">
        <input id="once-password" readonly value=${password} spellcheck=${false} autocomplete="off" />
        <button type="button" onClick=${async () => {
          try { await navigator.clipboard.writeText(password); setSaid('Copied to the clipboard.'); } catch { setSaid('Copy it by hand.'); }
        }}>Copy password</button>
      </div>
      <${Notice} text=${said} />
    </div>`;
}

function AddUser({ onAdded }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('operator');
  const [error, setError] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    try {
      const u = await api('POST', '/api/admin/users', { email: email.trim(), role });
      setEmail('');
      onAdded(u);
    } catch (err) {
      setError(err);
    }
  }
  return html`
    <form class="card" aria-labelledby="add-title" onSubmit=${submit} novalidate>
      <h2 id="add-title">Add a user</h2>
      <${Alert} error=${error} />
      <div class="inline-fields">
        <div><label for="new-email">Email</label>
          <input id="new-email" type="email" autocomplete="off" value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} /></div>
        <div><label for="new-role">Role</label>
          <select id="new-role" value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
            ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}
          </select></div>
        <div class="filter-actions"><button type="submit" class="primary">Add user</button></div>
      </div>
    </form>`;
}

function UserRow({ u, me, onResult }) {
  const [role, setRole] = useState(u.role);
  async function act(method, path, body, text) {
    try {
      const answer = await api(method, path, body);
      onResult({ text: text(answer), password: answer.password, email: u.email });
    } catch (err) {
      onResult({ error: err });
    }
  }
  const mine = String(u.id) === String(me.id);
  return html`
    <tr>
      <th scope="row">${u.email}${mine ? ' (you)' : ''}</th>
      <td>
        <div class="role-cell">
          <select aria-label=${`Role of ${u.email}`} value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
            ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}
          </select>
          <button type="button" disabled=${role === u.role} aria-label=${`Save role of ${u.email}`}
            onClick=${() => act('PATCH', `/api/admin/users/${u.id}`, { role }, (a) => `${u.email} is now ${a.role}.`)}>Save role</button>
        </div>
      </td>
      <td>${u.twoFactor === true ? 'On' : 'Off'}</td>
      <td>${u.disabled === true ? html`<span class="status status-cancelled">Disabled</span>` : html`<span class="status status-ready">Active</span>`}</td>
      <td><${Moment} at=${u.lastSignInAt} /></td>
      <td class="row-actions">
        <button type="button" aria-label=${`${u.disabled ? 'Enable' : 'Disable'} ${u.email}`}
          onClick=${() => act('PATCH', `/api/admin/users/${u.id}`, { disabled: !u.disabled },
            (a) => (a.disabled ? `${u.email} is disabled and signed out everywhere.` : `${u.email} is enabled.`))}>${u.disabled ? 'Enable' : 'Disable'}</button>
        <${ConfirmButton} label=${`Reset password of ${u.email}`}
          question=${`Give ${u.email} a new password? Their sessions end.`} confirmLabel="Reset password"
          onConfirm=${() => act('POST', `/api/admin/users/${u.id}/reset-password`, undefined, () => `${u.email} has a new password.`)} />
        ${u.twoFactor === true && html`<${ConfirmButton} label=${`Reset two-factor of ${u.email}`}
          question=${`Turn two-factor off for ${u.email}? Their sessions end.`} confirmLabel="Reset two-factor"
          onConfirm=${() => act('POST', `/api/admin/users/${u.id}/reset-two-factor`, undefined, () => `Two-factor is off for ${u.email}.`)} />`}
      </td>
    </tr>`;
}

export function Users({ user }) {
  const list = useApi('/api/admin/users');
  const [result, setResult] = useState(null);
  function onResult(r) {
    setResult(r);
    if (!r.error) list.reload();
  }
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Users</h1>
      <${AddUser} onAdded=${(u) => onResult({ text: `${u.email} is added as ${u.role}.`, password: u.password, email: u.email })} />
      <${Notice} text=${result && !result.error ? result.text : ''} />
      ${result && result.error && html`<${Alert} error=${result.error} />`}
      ${result && result.password && html`<${OncePassword} email=${result.email} password=${result.password} />`}
      ${list.loading && !list.data && html`<${Loading} what="Loading users" />`}
      <${Alert} error=${list.error} />
      ${list.data && html`
        <${TableFrame} label="Users table">
          <table>
            <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Two-factor</th>
              <th scope="col">Status</th><th scope="col">Last sign-in</th><th scope="col">Actions</th></tr></thead>
            <tbody>${list.data.users.map((u) => html`<${UserRow} key=${`${u.id}-${u.role}-${u.disabled}-${u.twoFactor}`} u=${u} me=${user} onResult=${onResult} />`)}</tbody>
          </table>
        </${TableFrame}>`}
    </section>`;
}
