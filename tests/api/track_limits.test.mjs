// Lookup rate limits at their production defaults (worker/src/track/limits.rs: 30 lookups per
// address and 10 per order number in 15 minutes), on a private worker: the shared test worker
// raises them because many test files look orders up from 127.0.0.1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertApiError, devHeaders, freshIp, startPrivateWorker } from '../support/api.mjs';
import { testSecret } from '../support/track.mjs';

const SHIPPED = { number: 'GD-DEMO-008', digits: '8899' };
let worker;

before(async () => {
  worker = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled', SHARE_SECRET: testSecret() } });
  const demo = await worker.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
  assert.equal(demo.status, 200, demo.text);
});

after(async () => {
  await worker?.stop();
});

const lookup = (number, digits, ip) =>
  worker.call('/api/track/lookup', { json: { order_number: number, phone_last4: digits }, headers: { 'cf-connecting-ip': ip } });

function assertLimited(response) {
  assertApiError(response, 429, 'too_many_attempts');
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 900, `Retry-After: ${retryAfter}`);
  return retryAfter;
}

test('guessing 100 order numbers from one address is stopped with 429 and Retry-After', async () => {
  const ip = freshIp();
  const statuses = [];
  let firstLimited;
  for (let n = 100; n < 200; n++) {
    const response = await lookup(`GD-2026-${n}`, '1234', ip);
    statuses.push(response.status);
    if (response.status === 429 && firstLimited === undefined) {
      firstLimited = n - 100;
      assertLimited(response);
    }
  }
  assert.deepEqual(statuses.slice(0, 30), Array(30).fill(404), 'the first 30 guesses are answered (not found)');
  assert.equal(firstLimited, 30, 'the 31st lookup is refused');
  assert.deepEqual(statuses.slice(30), Array(70).fill(429), 'and every one after it');
  // Once limited, even the right number and digits are refused: the answer never depends on
  // whether the guess was right.
  const right = await lookup(SHIPPED.number, SHIPPED.digits, ip);
  assertLimited(right);
  const wrong = await lookup(SHIPPED.number, '0000', ip);
  assert.equal(wrong.text, right.text);
  // Another address is not affected.
  assert.equal((await lookup(SHIPPED.number, SHIPPED.digits, freshIp())).status, 200);
});

test('addresses of one IPv6 /64 count as one client: 31 lookups from 31 of its addresses hit the per-address limit', async () => {
  // One /64 (a random one, so no other test shares it), a different /128 for every lookup.
  const prefix = freshIp().split(':').slice(0, 4).join(':');
  const statuses = [];
  for (let n = 0; n < 31; n++) {
    statuses.push((await lookup(`GD-V6-${n}`, '1234', `${prefix}:${(n + 1).toString(16)}::${n + 7}`)).status);
  }
  assert.deepEqual(statuses, [...Array(30).fill(404), 429]);
  // The next /64 is someone else.
  const [a, b, c, d] = prefix.split(':');
  const neighbour = `${a}:${b}:${c}:${(parseInt(d, 16) ^ 1).toString(16)}::1`;
  assert.equal((await lookup(SHIPPED.number, SHIPPED.digits, neighbour)).status, 200);
});

test('guessing one order\'s digits from many addresses is stopped per order number', async () => {
  const number = 'GD-DEMO-009';
  const statuses = [];
  for (let guess = 0; guess < 12; guess++) {
    statuses.push((await lookup(guess % 2 ? number : number.toLowerCase(), String(1000 + guess), freshIp())).status);
  }
  // Ten answered (whatever the letter case), then 429 for every address.
  assert.deepEqual(statuses, [...Array(10).fill(404), 429, 429]);
  assertLimited(await lookup(number, '4567', freshIp()));
});

test('a worker without a long enough SHARE_SECRET refuses customer links with a clear 503', async () => {
  const weak = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled', SHARE_SECRET: 'too-short' } });
  try {
    await weak.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
    const answer = await weak.call('/api/track/lookup', { json: { order_number: SHIPPED.number, phone_last4: SHIPPED.digits } });
    const error = assertApiError(answer, 503, 'share_not_configured');
    assert.match(error.message, /SHARE_SECRET/);
    const page = await fetch(`${weak.url}/t/abc.def`);
    assert.equal(page.status, 503);
  } finally {
    await weak.stop();
  }
});
