// Hostile and careless input: every bad request gets a clear JSON answer, nothing gets through
// to the database as code, and the worker keeps running afterwards.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HAN, api, assertApiError, boardSummary, ensureDemoData } from '../support/api.mjs';

const MiB = 1024 * 1024;
const UNKNOWN_NUMBER = 'GD-NO-SUCH-ORDER-0000';

const lookup = (json) => api('/api/track/lookup', { json });
const lookupRaw = (body, contentType = 'application/json') =>
  api('/api/track/lookup', { method: 'POST', body, headers: { 'content-type': contentType } });

/// A syntactically valid lookup of an unknown order, padded with trailing spaces to exactly `bytes`.
function lookupBodyOfSize(bytes) {
  const json = JSON.stringify({ order_number: UNKNOWN_NUMBER, phone_last4: '1234' });
  return json + ' '.repeat(bytes - Buffer.byteLength(json));
}

let notFound;

before(async () => {
  await ensureDemoData();
  notFound = await lookup({ order_number: UNKNOWN_NUMBER, phone_last4: '1234' });
  assertApiError(notFound, 404, 'order_not_found');
});

test('a malformed JSON body is refused with 400 malformed_json and a message in Chinese and English', async () => {
  const error = assertApiError(await lookupRaw('{"order_number": "GD-1", "phone_last4": '), 400, 'malformed_json');
  assert.match(error.message, HAN, 'the message is readable Chinese');
  assert.equal(typeof error.message_en, 'string');
  assert.ok(error.message_en.length > 0);
  assert.doesNotMatch(error.message_en, HAN, 'message_en is English');
});

test('a body that is not declared as JSON is refused with 415 unsupported_media_type', async () => {
  const body = JSON.stringify({ order_number: UNKNOWN_NUMBER, phone_last4: '1234' });
  const error = assertApiError(await lookupRaw(body, 'text/plain'), 415, 'unsupported_media_type');
  assert.match(error.message, HAN);
});

test('a body over 1 MiB is refused with 413 payload_too_large', async () => {
  // Without the limit this would be a 422 (order number too long); the size check must come first.
  const response = await lookup({ order_number: 'x'.repeat(1.1 * MiB), phone_last4: '1234' });
  assertApiError(response, 413, 'payload_too_large');
});

test('a body of exactly 1 MiB is still accepted and one byte more is refused', async () => {
  const atLimit = await lookupRaw(lookupBodyOfSize(MiB));
  assert.equal(atLimit.status, notFound.status, atLimit.text);
  assert.deepEqual(atLimit.json, notFound.json);
  assertApiError(await lookupRaw(lookupBodyOfSize(MiB + 1)), 413, 'payload_too_large');
});

test('an oversized body sent in chunks without a declared length is refused too', async () => {
  const bytes = Buffer.from(lookupBodyOfSize(2 * MiB));
  const stream = new ReadableStream({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.subarray(at, at + 64 * 1024));
      controller.close();
    },
  });
  assertApiError(await lookupRaw(stream), 413, 'payload_too_large');
});

test('an unknown API route answers 404 route_not_found as JSON', async () => {
  const error = assertApiError(await api('/api/does-not-exist'), 404, 'route_not_found');
  assert.match(error.message, HAN);
  assertApiError(await api('/api/does-not-exist', { method: 'POST', json: {} }), 404, 'route_not_found');
});

test('the bare /api/ path answers 404 route_not_found as JSON like every other unknown route', async () => {
  assertApiError(await api('/api/'), 404, 'route_not_found');
});

test('a HEAD probe of the health endpoint succeeds like GET', async () => {
  const response = await api('/api/health', { method: 'HEAD' });
  assert.equal(response.status, 200);
});

test('a known route called with the wrong method answers 405 method_not_allowed as JSON', async () => {
  assertApiError(await api('/api/health', { method: 'POST', json: {} }), 405, 'method_not_allowed');
  assertApiError(await api('/api/board/summary', { method: 'DELETE' }), 405, 'method_not_allowed');
  assertApiError(await api('/api/track/lookup', { method: 'GET' }), 405, 'method_not_allowed');
});

test('a lookup with fields the API does not know is refused with 400', async () => {
  assertApiError(
    await lookup({ order_number: UNKNOWN_NUMBER, phone_last4: '1234', phone: '13800000000' }),
    400,
    'malformed_json',
  );
});

test('a lookup missing a required field is refused with 400', async () => {
  assertApiError(await lookup({ order_number: UNKNOWN_NUMBER }), 400, 'malformed_json');
  assertApiError(await lookup({ phone_last4: '1234' }), 400, 'malformed_json');
  assertApiError(await lookup({}), 400, 'malformed_json');
});

test('phone digits that are not exactly four digits are refused with 422 invalid on phone_last4', async () => {
  for (const digits of ['123', '12345', '12a4', '', '１２３４']) {
    const error = assertApiError(
      await lookup({ order_number: UNKNOWN_NUMBER, phone_last4: digits }),
      422,
      'invalid',
    );
    assert.equal(error.field, 'phone_last4', `for ${JSON.stringify(digits)}`);
    assert.match(error.message, HAN);
  }
});

test('SQL injection in the order number gets the unknown-order answer and drops nothing', async () => {
  const before = await boardSummary();
  assert.equal(before.status, 200, before.text);
  assert.ok(before.json.total_active > 0, 'the demo orders are there to be dropped');
  for (const attack of ["' OR 1=1 --", "x'; DROP TABLE orders; --"]) {
    const response = await lookup({ order_number: attack, phone_last4: '1234' });
    assert.equal(response.status, notFound.status, `${attack}: ${response.text}`);
    assert.deepEqual(response.json, notFound.json, attack);
  }
  const after = await boardSummary();
  assert.equal(after.status, 200, after.text);
  assert.equal(after.json.total_active, before.json.total_active);
});

test('a script tag as order number gets the unknown-order answer as JSON, never as HTML', async () => {
  const response = await lookup({ order_number: '<script>alert(1)</script>', phone_last4: '1234' });
  assert.equal(response.status, notFound.status, response.text);
  assert.deepEqual(response.json, notFound.json);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.doesNotMatch(response.text, /<script/i);
});

test('an order number of 10,000 characters is refused with 422 invalid on order_number', async () => {
  const error = assertApiError(
    await lookup({ order_number: 'GD'.repeat(5000), phone_last4: '1234' }),
    422,
    'invalid',
  );
  assert.equal(error.field, 'order_number');
});

test('a blank order number is refused with 422 invalid on order_number', async () => {
  const error = assertApiError(await lookup({ order_number: '   ', phone_last4: '1234' }), 422, 'invalid');
  assert.equal(error.field, 'order_number');
});

test('a Chinese and emoji order number gets the clean unknown-order answer', async () => {
  const response = await lookup({ order_number: '订单🚀', phone_last4: '1234' });
  assert.equal(response.status, notFound.status, response.text);
  assert.deepEqual(response.json, notFound.json);
});

test('the worker is still healthy after all the bad input', async () => {
  const { status, json, text } = await api('/api/health');
  assert.equal(status, 200, text);
  assert.equal(json.status, 'ok');
  assert.equal(json.database, 'ok');
});
