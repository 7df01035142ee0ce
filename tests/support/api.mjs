// Small helpers for the API tests: where the worker is, one way to call it, and the demo data.
import assert from 'node:assert/strict';

export const BASE_URL = (() => {
  const url = process.env.BASE_URL;
  if (!url) {
    throw new Error('BASE_URL is not set: run the tests through scripts/test (or set BASE_URL=http://127.0.0.1:PORT)');
  }
  return url.replace(/\/+$/, '');
})();

/// Calls the worker. `json` is sent as application/json; `body` is sent as is (with whatever
/// `headers` say). Returns the status, the headers, the raw text and the parsed JSON (or
/// `undefined` when the body is not JSON).
export async function api(path, { method, json, body, headers = {} } = {}) {
  const init = { method: method ?? (json === undefined && body === undefined ? 'GET' : 'POST'), headers: { ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] ??= 'application/json';
  } else if (body !== undefined) {
    init.body = body;
    if (typeof body?.getReader === 'function') init.duplex = 'half';
  }
  const response = await fetch(`${BASE_URL}${path}`, init);
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: parsed };
}

/// Loads the demo orders into the database if it has none yet; harmless when it already has.
export async function ensureDemoData() {
  const response = await api('/api/dev/demo-data', { method: 'POST' });
  assert.equal(
    response.status,
    200,
    `POST /api/dev/demo-data failed (is the worker started with --var DEMO_DATA:enabled?): ${response.text}`,
  );
  assert.equal(typeof response.json?.inserted, 'number');
  assert.equal(typeof response.json?.already_had_orders, 'boolean');
  return response.json;
}

/// Asserts that a response is one of the worker's JSON error answers with this status and code.
export function assertApiError(response, status, code) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  assert.ok(response.json?.error, `error answers carry an "error" object: ${response.text}`);
  assert.equal(response.json.error.code, code);
  return response.json.error;
}

/// True when a text contains Chinese characters.
export const HAN = /\p{Script=Han}/u;
