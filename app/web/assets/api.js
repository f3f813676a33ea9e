// The HTTP API as the pages use it: cookie sessions (HttpOnly, so no token ever reaches
// script), the CSRF headers the api asks of cookie requests, one token refresh on a 401
// shared by every request waiting on it, and errors turned into words with a request id.

const csrf_headers = {'X-Requested-With': 'kemas-web'};
const session_ended_event = 'kemas:session-ended';

export class api_error extends Error {
  constructor(status, code, message, request_id, field, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.request_id = request_id;
    this.field = field;
    this.body = body;
  }

  // What a person reads: what happened and what to do, then the reference for support.
  get friendly() {
    const words = plain_words[this.code];
    const text = typeof words === 'function' ? words(this) : words ?? this.message;
    return this.request_id ? `${text} (Reference for support: ${this.request_id})` : text;
  }
}

const plain_words = {
  network: 'kemas cannot be reached. Check your connection and try again.',
  unauthenticated: 'Your session has ended. Please log in again.',
  forbidden: (e) => e.message && e.message !== 'forbidden' ? `Not allowed: ${e.message}.`
    : 'You are not allowed to do this.',
  not_found: 'It is not there any more; it may have been deleted.',
  quota_exceeded: 'This would go over your storage quota. Delete some files or upgrade your plan.',
  payload_too_large: 'This file is larger than your plan allows for a single file.',
  too_large: 'This file is larger than your plan allows for a single file.',
  abandoned: 'The upload took too long to be stored. Try again.',
  name_taken: 'You already have a file with this name. Rename one of them first.',
  file_locked: 'This file is locked: you store more than your plan allows. ' +
    'Upgrade, or delete files until it is unlocked.',
  rate_limited: (e) => `Too many requests just now. Try again in ${e.retry_after ?? 'a'} ` +
    `second${e.retry_after === 1 ? '' : 's'}.`,
  backend_unavailable: 'Part of kemas is unavailable right now; nothing you sent was lost. ' +
    'Try again in a minute.',
  request_timeout: 'That took too long and was stopped. Try again.',
  internal: 'Something went wrong on our side. Try again, and tell support if it persists.',
  order_failed: (e) => `The payment did not go through${e.body?.order?.reason ? ` (${e.body.order.reason})` : ''}.`,
  unknown_plan: 'That plan is not for sale any more.',
  share_limit_reached: (e) => `${e.message}.`,
  gone: 'This link no longer works.',
  conflict: (e) => e.message,
  validation_failed: (e) => e.message,
  bad_request: (e) => e.message,
  cancelled: 'Cancelled.',
};

async function parse_error(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: a proxy's page, or nothing
  }
  const detail = body?.error ?? {};
  const err = new api_error(res.status, detail.code ?? `http_${res.status}`,
    detail.message ?? res.statusText, detail.request_id ?? res.headers.get('X-Request-Id'),
    detail.field, body);
  const retry = Number(res.headers.get('Retry-After'));
  if (retry > 0) err.retry_after = retry;
  return err;
}

let refreshing = null;  // one refresh at a time, shared by every request that got a 401

async function refresh_session() {
  refreshing ??= fetch('/api/v1/auth/refresh', {
    method: 'POST', credentials: 'same-origin', headers: csrf_headers,
  }).then((res) => res.ok).catch(() => false).finally(() => { refreshing = null; });
  return refreshing;
}

export function on_session_ended(listener) {
  window.addEventListener(session_ended_event, listener);
}

function query_string(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

// request('GET', '/api/v1/auth/files/list', {query: {limit: 20}}) -> the parsed JSON body
// (null for an empty one). Throws api_error. `anonymous` routes (login, register) never
// try a refresh.
export async function request(method, path, {body, query, headers, anonymous = false} = {}) {
  const url = path + query_string(query);
  const init = {method, credentials: 'same-origin', headers: {...csrf_headers, ...headers}};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
    if (res.status === 401 && !anonymous) {
      if (await refresh_session()) {
        res = await fetch(url, init);
      }
      if (res.status === 401) {
        window.dispatchEvent(new CustomEvent(session_ended_event));
      }
    }
  } catch {
    throw new api_error(0, 'network', 'network error', null);
  }
  if (!res.ok) throw await parse_error(res);
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  return res.status === 202 && parsed ? {...parsed, accepted: true} : parsed;
}

export const get = (path, query) => request('GET', path, {query});

// Uploads one file as multipart/form-data with progress. XMLHttpRequest, not fetch: fetch
// reports no upload progress. on_progress(sent, total); `signal` cancels. Resolves with the
// committed file ({file}) or the pending upload ({upload}, to poll).
export function upload_file(file, {on_progress, signal} = {}) {
  const attempt = () => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/auth/files/upload');
    xhr.withCredentials = true;
    for (const [key, value] of Object.entries(csrf_headers)) xhr.setRequestHeader(key, value);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) on_progress?.(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => resolve(xhr));
    xhr.addEventListener('error', () => reject(new api_error(0, 'network', 'network error', null)));
    xhr.addEventListener('abort', () => reject(new api_error(0, 'cancelled', 'cancelled', null)));
    signal?.addEventListener('abort', () => xhr.abort(), {once: true});
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return (async () => {
    let xhr = await attempt();
    if (xhr.status === 401 && await refresh_session()) xhr = await attempt();
    const response = new Response(xhr.responseText || null, {
      status: xhr.status, headers: {'Content-Type': 'application/json',
        'X-Request-Id': xhr.getResponseHeader('X-Request-Id') ?? '',
        'Retry-After': xhr.getResponseHeader('Retry-After') ?? ''},
    });
    if (xhr.status === 401) window.dispatchEvent(new CustomEvent(session_ended_event));
    if (xhr.status >= 400) throw await parse_error(response);
    const body = await response.json();
    return xhr.status === 201 ? {file: body} : {upload: body};
  })();
}

// Polls an accepted upload until the worker committed or rejected it.
export async function wait_for_upload(id, {signal, max_seconds = 300} = {}) {
  const deadline = Date.now() + max_seconds * 1000;
  let delay = 250;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new api_error(0, 'cancelled', 'cancelled', null);
    const upload = await get(`/api/v1/auth/uploads/${encodeURIComponent(id)}`);
    if (upload.state === 'committed') return upload.file;
    if (upload.state === 'rejected') {
      throw new api_error(409, upload.reason, `rejected: ${upload.reason}`, null);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 3000);
  }
  throw new api_error(0, 'request_timeout', 'still processing', null);
}
