// The panel's entry point: mounts the Preact app, keeps the session (the
// signed-in user and the CSRF token, in memory) and picks the screen for
// the address. The screens behind sign-in come with the users feature;
// until then every address shows Sign-in, keeping the address so that a
// bookmarked view opens after signing in.
import { render } from './vendor/preact.js';
import { useState, useEffect } from './vendor/preact-hooks.js';
import { html } from './html.js';
import { setCsrfToken } from './api.js';
import { matchRoute, navigate, useRoute } from './router.js';
import { SignIn } from './screens/sign-in.js';

// The route table: one entry per screen, each at its own address. The
// server answers the shell only at the screens' addresses (panel_routes in
// src/http/panel.c: /sign-in, /overview, /payouts, /lists, /funds,
// /reports, /audit-log, /settings, /users, /webhooks, /account and what
// lies below them); a new screen's address goes into both tables.
const routes = [
  { path: '/sign-in', title: 'Sign in' },
];

function Home({ user }) {
  return html`
    <section aria-labelledby="home-title">
      <h1 id="home-title">Payout panel</h1>
      <p>Signed in as ${user.email} (${user.role}).</p>
    </section>`;
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState(null);
  const signedIn = session !== null;
  const match = matchRoute(routes, route.path);
  const title = signedIn ? 'Payout panel' : 'Sign in';

  useEffect(() => {
    document.title = `${title} · Payout panel`;
  }, [title]);

  function onSignedIn(answer) {
    setCsrfToken(answer.csrfToken);
    setSession(answer.user);
    if (match && match.route.path === '/sign-in') navigate('/', { replace: true });
  }

  return html`
    <header class="top">
      <span class="brand">Payout panel</span>
    </header>
    <main id="main">
      ${signedIn ? html`<${Home} user=${session} />` : html`<${SignIn} onSignedIn=${onSignedIn} />`}
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
