// The client-side router: each screen has its own address (history API),
// so a view can be bookmarked and reloaded; the server answers every such
// address with the same HTML shell. The current route is the only global
// state besides the session.
import { useEffect, useState } from './vendor/preact-hooks.js';
import { html } from './html.js';

const listeners = new Set();

function current() {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

/** Goes to href (a same-origin path with its query) without a reload;
 *  replace swaps the history entry instead of adding one. */
export function navigate(href, { replace = false } = {}) {
  if (replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  for (const fn of listeners) fn(current());
}

window.addEventListener('popstate', () => {
  for (const fn of listeners) fn(current());
});

/** The current route, {path, query}; the component re-renders on a change. */
export function useRoute() {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    listeners.add(setRoute);
    return () => listeners.delete(setRoute);
  }, []);
  return route;
}

/** Finds the screen for path in routes ([{path, screen, title}], paths
 *  like "/payouts/:id"); returns {route, params} or null. */
export function matchRoute(routes, path) {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const want = route.path.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    const ok = want.every((w, i) => {
      if (w.startsWith(':')) {
        params[w.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      return w === parts[i];
    });
    if (ok) return { route, params };
  }
  return null;
}

/** A link inside the panel: a plain <a href> (open in a new tab works)
 *  that a plain click follows without reloading. */
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  const here = window.location.pathname === href;
  return html`<a href=${href} onClick=${onClick} aria-current=${here ? 'page' : undefined} ...${rest}>${children}</a>`;
}
