// The one way the console talks to the API: JSON in and out, the API key from
// localStorage in x-api-key, and error bodies ({message, field, errors}) turned
// into an APIError that the caller can show.

const KEY_STORAGE = 'onair.apiKey';

/** APIError is a refused or failed API call, with the API's own message. */
export class APIError extends Error {
  constructor(status, body) {
    super(body.message);
    this.name = 'APIError';
    this.status = status; // 0 when the server could not be reached
    this.field = typeof body.field === 'string' ? body.field : '';
    this.errors = Array.isArray(body.errors) ? body.errors : [];
  }

  /** fields lists every {field, message} the error names, the first field first. */
  fields() {
    const out = this.errors.filter((e) => e && typeof e.field === 'string' && typeof e.message === 'string');
    if (this.field && !out.some((e) => e.field === this.field)) {
      out.unshift({ field: this.field, message: this.message });
    }
    return out;
  }
}

/** apiKey returns the key the user saved, or '' (also when storage is off). */
export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || '';
  } catch {
    return '';
  }
}

/** setAPIKey saves the key for later requests; '' forgets it. */
export function setAPIKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
    return true;
  } catch {
    return false;
  }
}

/**
 * request calls the API and returns the decoded JSON body (null for 204). It
 * throws an APIError for every failure, never a bare network error.
 */
export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = apiKey();
  if (key) headers['x-api-key'] = key;
  const init = { method, headers, cache: 'no-store', credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new APIError(0, { message: `cannot reach the server (${err.message})` });
  }
  const text = await res.text().catch(() => '');
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const valid = data && typeof data === 'object' && typeof data.message === 'string' && data.message;
    throw new APIError(res.status, valid ? data : { message: `${res.status} ${res.statusText || 'error'}` });
  }
  return data;
}

/** path builds an API path from literal segments and escaped values. */
export function path(strings, ...values) {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]) : ''), '');
}
