// What each role may do in the panel (spec §7's table), as data. The
// panel hides the links and buttons a role may not use; the server
// refuses them anyway, so this table is for the person, not for safety.

const ACTIONS = {
  create: ['admin', 'operator'],              // payouts, lists, import, receive
  cancel: ['admin', 'approver', 'operator'],
  authorize: ['admin', 'approver'],
  admin: ['admin'],                            // funds, settings, integration, users, webhooks
};

/** True when user (the session's user object) may take action. */
export function can(user, action) {
  return user !== null && user !== undefined && (ACTIONS[action] ?? []).includes(user.role);
}

/** The navigation: exact link names of spec §8, each with the action a
 *  role needs to see it (null: every role) and, for Webhooks, the server
 *  feature it needs. */
export const NAV = [
  { name: 'Overview', path: '/overview', need: null },
  { name: 'Payouts', path: '/payouts', need: null },
  { name: 'Lists', path: '/lists', need: 'create' },
  { name: 'Funds', path: '/funds', need: null },
  { name: 'Reports', path: '/reports', need: null },
  { name: 'Audit log', path: '/audit-log', need: null },
  { name: 'Settings', path: '/settings', need: 'admin' },
  { name: 'Users', path: '/users', need: 'admin' },
  { name: 'Webhooks', path: '/webhooks', need: 'admin', feature: 'webhooks' },
];

/** The navigation links user sees, given the server's features. */
export function navFor(user, features) {
  return NAV.filter((l) => (l.need === null || can(user, l.need)) && (!l.feature || features[l.feature]));
}
