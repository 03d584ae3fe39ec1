// The API client: the one place in the panel that talks HTTP. It sends
// the session cookie (same origin only) and, once signed in, the CSRF
// token on every method that changes something; it reads answers so that
// no number loses a digit, and turns an error envelope into a message for
// a person. Screens call api() and catch ApiError.

let csrfToken = null;
let onSessionEnded = null;

/** Remembers the session's CSRF token (null when signed out). Kept in
 *  memory only, never in localStorage. */
export function setCsrfToken(token) {
  csrfToken = token ?? null;
}

/** fn() is called when a signed-in request is answered 401: the session
 *  has ended (idle, too old, or ended elsewhere). */
export function setSessionEndedHandler(fn) {
  onSessionEnded = fn;
}

/** An API refusal: message is for a person; status, type and errors are
 *  the HTTP status and the envelope's type and errors. */
export class ApiError extends Error {
  constructor(message, { status = 0, type = 'NETWORK', errors = [] } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.errors = errors;
  }
}

/** Parses JSON text with every number kept as its exact text (a string):
 *  amounts and ids above 2^53 keep their digits, 0.1 stays "0.1". */
export function parseJson(text) {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (m === null) throw new SyntaxError(`bad number at ${i}`);
      out += `"${m[0]}"`;
      i += m[0].length;
    } else {
      out += c;
      i += 1;
    }
  }
  return JSON.parse(out);
}

function sentence(text) {
  const t = String(text).trim();
  if (t === '') return '';
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

const FALLBACK = {
  400: 'The server could not accept this request.',
  401: 'You are not signed in, or your session has ended. Sign in again.',
  403: 'Your role does not allow this.',
  404: 'The server has no such thing.',
  409: 'This conflicts with the current state. Reload and try again.',
  413: 'This is larger than the server accepts.',
  429: 'Too many requests. Wait a moment and try again.',
  500: 'The server failed to do this. Try again; if it keeps failing, tell the administrator.',
};

/** The message a person reads for an answer of status with body data
 *  (the parsed envelope, or null) and the Retry-After header. */
export function errorMessage(status, data, retryAfter) {
  const env = data && typeof data === 'object' ? data.error : null;
  let message = env && typeof env.message === 'string' ? sentence(env.message) : '';
  if (message === '') {
    message = FALLBACK[status] ?? `The server answered with an error (HTTP ${status}).`;
  }
  if (status === 429 && retryAfter && /^\d+$/.test(retryAfter)) {
    message += ` Try again in ${retryAfter} second${retryAfter === '1' ? '' : 's'}.`;
  }
  return message;
}

const NUMBER_TEXT = /^-?\d+(?:\.\d+)?$/;
// The mark carries a random tag, so no text a person types can pose as one.
const MARK_TAG = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
const NUMBER_MARK = new RegExp(`"\\\\u0000num${MARK_TAG}:(-?\\d+(?:\\.\\d+)?)\\\\u0000"`, 'g');

/** A JSON number written exactly as text says ("100.50", an id past
 *  2^53), for a request body: api() writes it without quotes and without
 *  ever making it a double. Throws on text that is not a decimal. */
export function num(text) {
  const t = String(text);
  if (!NUMBER_TEXT.test(t)) throw new Error(`${t} is not a number`);
  return { toJSON: () => `\u0000num${MARK_TAG}:${t}\u0000` };
}

/** JSON text for body, with num() values written as bare numbers. */
export function stringifyBody(body) {
  return JSON.stringify(body).replace(NUMBER_MARK, '$1');
}

/** Calls the API: method, path ("/api/…", with its query) and an optional
 *  body (sent as JSON; or as it is, text, when contentType is given).
 *  Resolves with the parsed answer (numbers as text, see parseJson), or
 *  null for an empty one; rejects with ApiError. */
export async function api(method, path, body, { contentType } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined && contentType !== undefined) {
    headers['Content-Type'] = contentType;
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = stringifyBody(body);
  }
  if (csrfToken !== null && method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = csrfToken;
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError('The server could not be reached. Check the connection and try again.');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text === '' ? null : parseJson(text);
  } catch {
    data = null;
  }
  if (!res.ok) {
    if (res.status === 401 && csrfToken !== null && onSessionEnded !== null) onSessionEnded();
    const env = data && typeof data === 'object' && data.error ? data : null;
    throw new ApiError(errorMessage(res.status, env, res.headers.get('Retry-After')), {
      status: res.status,
      type: env && typeof env.error.type === 'string' ? env.error.type : 'HTTP',
      errors: env && Array.isArray(env.errors) ? env.errors : [],
    });
  }
  if (text !== '' && data === null) {
    throw new ApiError('The server sent an answer the panel cannot read.', { status: res.status, type: 'BAD_ANSWER' });
  }
  return data;
}
