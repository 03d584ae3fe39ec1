// The panel's entry point: mounts the Preact app, keeps the session (the
// signed-in user and the CSRF token, in memory) and picks the screen for
// the address. Signed out, every address shows Sign-in and keeps the
// address, so a bookmarked view opens once signed in.
import { render } from './vendor/preact.js';
import { useEffect, useState } from './vendor/preact-hooks.js';
import { html } from './html.js';
import { api, setCsrfToken, setSessionEndedHandler } from './api.js';
import { Link, matchRoute, navigate, useRoute } from './router.js';
import { can, navFor } from './roles.js';
import { Alert, Loading } from './ui.js';
import { SignIn } from './screens/sign-in.js';
import { Overview } from './screens/overview.js';
import { Payouts } from './screens/payouts.js';
import { PayoutDetail } from './screens/payout-detail.js';
import { Lists } from './screens/lists.js';
import { Funds } from './screens/funds.js';
import { Reports } from './screens/reports.js';
import { AuditLog } from './screens/audit-log.js';
import { Settings } from './screens/settings.js';
import { Users } from './screens/users.js';
import { Webhooks } from './screens/webhooks.js';
import { Account } from './screens/account.js';

// The route table: one entry per screen, each at its own address, with
// the action a role needs (roles.js). The server answers the shell only
// at the screens' addresses (panel_routes in src/http/panel.c: /sign-in,
// /overview, /payouts, /lists, /funds, /reports, /audit-log, /settings,
// /users, /webhooks, /account and what lies below them); a new screen's
// address goes into both tables.
const routes = [
  { path: '/overview', title: 'Overview', screen: Overview, need: null },
  { path: '/payouts', title: 'Payouts', screen: Payouts, need: null },
  { path: '/payouts/:id', title: 'Payout', screen: PayoutDetail, need: null },
  { path: '/lists', title: 'Lists', screen: Lists, need: 'create' },
  { path: '/funds', title: 'Funds', screen: Funds, need: null },
  { path: '/reports', title: 'Reports', screen: Reports, need: null },
  { path: '/audit-log', title: 'Audit log', screen: AuditLog, need: null },
  { path: '/settings', title: 'Settings', screen: Settings, need: 'admin' },
  { path: '/users', title: 'Users', screen: Users, need: 'admin' },
  { path: '/webhooks', title: 'Webhooks', screen: Webhooks, need: 'admin', feature: 'webhooks' },
  { path: '/webhooks/:id', title: 'Webhook', screen: Webhooks, need: 'admin', feature: 'webhooks' },
  { path: '/account', title: 'Account', screen: Account, need: null },
  { path: '/sign-in', title: 'Sign in', screen: null, need: null },
];

/** What the server offers beyond the core API, read from its OpenAPI
 *  document: the Webhooks screen and payout events need the events
 *  feature (spec §9). */
async function readFeatures() {
  try {
    const doc = await api('GET', '/api/openapi.json');
    const paths = doc && doc.paths ? Object.keys(doc.paths) : [];
    return { webhooks: paths.includes('/api/webhooks'), events: paths.includes('/api/events') };
  } catch {
    return { webhooks: false, events: false };
  }
}

function Nav({ user, features }) {
  const here = window.location.pathname;
  return html`
    <nav class="main-nav" aria-label="Main">
      <ul>
        ${navFor(user, features).map((l) => html`
          <li><${Link} href=${l.path} class=${here === l.path || here.startsWith(`${l.path}/`) ? 'here' : ''}>${l.name}</${Link}></li>`)}
      </ul>
    </nav>`;
}

function NotHere({ title }) {
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">${title}</h1>
      <${Alert} error="Your role does not open this screen. Ask an administrator if you need it." />
      <p><${Link} href="/overview">Go to the Overview</${Link}></p>
    </section>`;
}

function NotFound() {
  return html`
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabindex="-1">Not found</h1>
      <p>The panel has no screen at this address.</p>
      <p><${Link} href="/overview">Go to the Overview</${Link}></p>
    </section>`;
}

function App() {
  const route = useRoute();
  // undefined: asking the server; null: signed out; else the user.
  const [user, setUser] = useState(undefined);
  const [features, setFeatures] = useState({ webhooks: false, events: false });
  const [ended, setEnded] = useState('');
  const [signOutError, setSignOutError] = useState(null);
  const match = matchRoute(routes, route.path);

  useEffect(() => {
    setSessionEndedHandler(() => {
      setCsrfToken(null);
      setUser(null);
      setEnded('Your session has ended. Sign in again to go on.');
    });
    api('GET', '/api/session').then(
      (answer) => { setCsrfToken(answer.csrfToken); setUser(answer.user); },
      () => setUser(null),
    );
  }, []);

  useEffect(() => {
    if (user) readFeatures().then(setFeatures);
  }, [user]);

  const signedIn = user !== undefined && user !== null;
  const showSignIn = user === null;
  let title = 'Payout panel';
  if (showSignIn) title = 'Sign in';
  else if (signedIn && match) title = match.route.title;
  else if (signedIn && route.path !== '/') title = 'Not found';

  useEffect(() => {
    document.title = `${title} · Payout panel`;
  }, [title]);

  useEffect(() => {
    if (!signedIn) return;
    if (route.path === '/' || route.path === '/sign-in') navigate('/overview', { replace: true });
  }, [signedIn, route.path]);

  // A new screen: move the focus to its heading, as a page load would.
  useEffect(() => {
    if (!signedIn) return undefined;
    const t = setTimeout(() => document.getElementById('screen-title')?.focus({ preventScroll: true }), 0);
    return () => clearTimeout(t);
  }, [signedIn, route.path]);

  function onSignedIn(answer) {
    setCsrfToken(answer.csrfToken);
    setEnded('');
    setUser(answer.user);
  }

  async function signOut() {
    setSignOutError(null);
    try {
      await api('DELETE', '/api/session');
    } catch (err) {
      if (err.status !== 401) { setSignOutError(err); return; }
    }
    setCsrfToken(null);
    setUser(null);
    navigate('/sign-in', { replace: true });
  }

  let body;
  if (user === undefined) body = html`<${Loading} what="Opening the panel" />`;
  else if (showSignIn) body = html`${ended && html`<p class="notice" role="status">${ended}</p>`}<${SignIn} onSignedIn=${onSignedIn} />`;
  else if (!match || match.route.screen === null) body = route.path === '/' || route.path === '/sign-in' ? html`<${Loading} />` : html`<${NotFound} />`;
  else if ((match.route.need && !can(user, match.route.need)) || (match.route.feature && !features[match.route.feature])) {
    body = html`<${NotHere} title=${match.route.title} />`;
  } else {
    const Screen = match.route.screen;
    body = html`<${Screen} user=${user} params=${match.params} query=${route.query} features=${features} onUserChanged=${setUser} />`;
  }

  return html`
    <header class="top">
      <a class="skip" href="#main">Skip to the screen</a>
      <span class="brand">Payout panel</span>
      ${signedIn && html`<${Nav} user=${user} features=${features} />`}
      ${signedIn && html`
        <div class="who">
          <${Link} href="/account" title=${`Signed in as ${user.email} (${user.role})`}>Account</${Link}>
          <span class="muted who-name">${user.email} · ${user.role}</span>
          <button type="button" onClick=${signOut}>Sign out</button>
        </div>`}
    </header>
    <main id="main">
      <${Alert} error=${signOutError} />
      ${body}
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
