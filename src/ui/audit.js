// Reading the audit log's subjects (docs/api.md, GET /api/admin/audit):
// which payouts an entry names, for a payout's history.

/** True when an audit subject ("payout:7", "payout:1,2,3", "payout:4..9")
 *  names payout id. */
export function subjectNames(subject, id) {
  if (typeof subject !== 'string' || !subject.startsWith('payout:')) return false;
  const rest = subject.slice('payout:'.length);
  const want = BigInt(id);
  const range = /^(\d+)\.\.(\d+)$/.exec(rest);
  if (range) return BigInt(range[1]) <= want && want <= BigInt(range[2]);
  return rest.split(',').some((x) => /^\d+$/.test(x) && BigInt(x) === want);
}

