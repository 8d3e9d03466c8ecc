// api.js: talking to the dashboard's server side (/ui/api/...). Every
// POST carries the CSRF token of the session in X-CSRF-Token; the page
// gets it from GET api/session.

const ECS_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const CUTOVER_PREFIX = 'CutoverV1.';

// The detail types of the event stream (events are sent with the detail
// type as the SSE event name).
export const DETAIL_TYPES = [
  'ECS Deployment State Change',
  'ECS Hook State Change',
  'ECS Task State Change',
  'ECS Service Action',
  'Cutover Audit Record',
];

// ApiError is an AWS-shaped error answer: {"__type", "message"}.
export class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

let session = null;
let onSignedOut = () => {};

// currentSession is what GET api/session said last.
export function currentSession() {
  return session;
}

// setSignedOutHandler sets what happens when the server says the user
// must sign in (a 401).
export function setSignedOutHandler(fn) {
  onSignedOut = fn;
}

// decode reads a response as JSON, or as an error with its text.
async function decode(r) {
  const text = await r.text();
  let data = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = {__type: r.ok ? 'SerializationException' : 'ServerException', message: text.slice(0, 500)};
    }
  }
  if (!r.ok) {
    // A session that is missing or over shows the sign-in form; a
    // refused sign-in (UnrecognizedClientException) is the form's error.
    if (r.status === 401 && data.__type === 'MissingAuthenticationTokenException') onSignedOut();
    throw new ApiError(r.status, data.__type || `HTTP ${r.status}`, data.message || r.statusText);
  }
  return data;
}

// loadSession asks who the user is and refreshes the CSRF token.
export async function loadSession() {
  const r = await fetch('api/session', {credentials: 'same-origin', headers: {Accept: 'application/json'}});
  session = await decode(r);
  return session;
}

// post sends a state-changing request. A refused CSRF token (the server
// restarted, or the session changed in another tab) is fetched again
// once.
async function post(path, body, headers = {}, retry = true) {
  const r = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': session?.csrfToken || '', ...headers},
    body: JSON.stringify(body ?? {}),
  });
  if (r.status === 403 && retry) {
    const data = await r.clone().json().catch(() => ({}));
    if (data.__type === 'InvalidCsrfTokenException') {
      await loadSession();
      return post(path, body, headers, false);
    }
  }
  return decode(r);
}

// getJSON fetches one of the dashboard's GET endpoints.
export async function getJSON(path) {
  const r = await fetch(path, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
  return decode(r);
}

// call runs an ECS operation ("ListClusters") or one of cutover's
// ("CutoverV1.ListAuditRecords").
export function call(op, body) {
  const target = op.startsWith(CUTOVER_PREFIX) ? op : ECS_PREFIX + op;
  return post('api/call', body, {'X-Amz-Target': target, 'Content-Type': 'application/x-amz-json-1.1'});
}

// cutover runs one of cutover's own operations.
export function cutover(op, body) {
  return call(CUTOVER_PREFIX + op, body);
}

// listAll follows an ECS list operation's nextToken, up to limit items.
export async function listAll(op, body, field, limit = 1000) {
  const out = [];
  let nextToken;
  do {
    const resp = await call(op, {...body, maxResults: 100, ...(nextToken ? {nextToken} : {})});
    out.push(...(resp[field] || []));
    nextToken = resp.nextToken;
  } while (nextToken && out.length < limit);
  return out.slice(0, limit);
}

// chunks splits a list into lists of at most n.
export function chunks(list, n) {
  const out = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

// signIn signs in with an access key.
export async function signIn(accessKeyId, secretAccessKey) {
  session = await post('api/signin', {accessKeyId, secretAccessKey});
  return session;
}

// signOut ends the session.
export async function signOut() {
  session = await post('api/signout', {});
  return session;
}

// metrics returns a target group's request and 5xx counts between two
// Dates.
export function metrics(targetGroupArn, start, end) {
  const q = new URLSearchParams({
    targetGroupArn,
    start: String(Math.floor(start.getTime() / 1000)),
    end: String(Math.ceil(end.getTime() / 1000)),
  });
  return getJSON(`api/metrics?${q}`);
}

// subscribe opens the event stream with the given query parameters
// (resource, detailType, after) and calls onEvent with each envelope.
// The browser reconnects by itself, resuming after the last event seen;
// a stream the server refused is opened again after a pause, once the
// session has been checked. It returns the function that closes it.
export function subscribe(params, onEvent) {
  let es = null;
  let closed = false;
  let retry = null;
  let last = null;
  const open = () => {
    const q = new URLSearchParams();
    for (const [k, v] of params) {
      if (!(k === 'after' && last)) q.append(k, v);
    }
    if (last) q.append('after', last);
    es = new EventSource(`api/events?${q}`);
    const handler = (e) => {
      last = e.lastEventId || last;
      let env;
      try {
        env = JSON.parse(e.data);
      } catch {
        return;
      }
      onEvent(env, Number(e.lastEventId));
    };
    for (const t of DETAIL_TYPES) es.addEventListener(t, handler);
    es.onerror = () => {
      if (closed || es.readyState !== EventSource.CLOSED) return;
      retry = setTimeout(async () => {
        try {
          const s = await loadSession();
          if (!s.signedIn) {
            onSignedOut();
            return;
          }
        } catch {
          // The server is away: try again.
        }
        if (!closed) open();
      }, 5000);
    };
  };
  open();
  return () => {
    closed = true;
    clearTimeout(retry);
    if (es) es.close();
  };
}
