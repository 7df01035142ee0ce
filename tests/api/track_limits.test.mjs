// Lookup rate limits at their production defaults (worker/src/customer/limits.rs: 30 lookups per
// address and 10 per order number in 15 minutes, 10 wrong-digit lookups per order number and
// business day, escalating), on private workers: the shared test worker raises them because many
// test files look orders up from 127.0.0.1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_ADMIN, DEMO_PASSWORD, assertApiError, bearer, d1, devHeaders, freshIp, startPrivateWorker } from '../support/api.mjs';
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

function assertLimited(response, maxSeconds = 900) {
  assertApiError(response, 429, 'too_many_attempts');
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= maxSeconds, `Retry-After: ${retryAfter}`);
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
  // Ten answered (whatever the letter case), then 429 for every address. Ten wrong digits are
  // also the number's whole allowance for the day, so the wait runs to the day's end.
  assert.deepEqual(statuses, [...Array(10).fill(404), 429, 429]);
  assertLimited(await lookup(number, '4567', freshIp()), 86_400);
});

test('an order number gets 10 wrong-digit lookups a day, then only the signed link works and the team is told', async () => {
  // The 15-minute per-number limit is raised here so that the daily one is what stops guessing.
  const daily = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled', SHARE_SECRET: testSecret(), TRACK_LOOKUPS_PER_NUMBER: '1000' } });
  try {
    assert.equal((await daily.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() })).status, 200);
    const signIn = await daily.call('/api/auth/login', { json: { login: DEMO_ADMIN.login, password: DEMO_PASSWORD }, headers: { 'cf-connecting-ip': freshIp() } });
    assert.equal(signIn.status, 200, signIn.text);
    const admin = bearer(signIn.json.token);
    const channel = await daily.call('/api/admin/notify/channels', { json: { kind: 'webhook', name: '团队网关', url: 'https://hooks.example.com/gendan' }, headers: admin });
    assert.equal(channel.status, 201, channel.text);
    const ask = (digits) => daily.call('/api/track/lookup', { json: { order_number: SHIPPED.number, phone_last4: digits }, headers: { 'cf-connecting-ip': freshIp() } });

    // The real customer's own lookups (right digits) never use the allowance.
    let link;
    for (let n = 0; n < 12; n += 1) {
      const right = await ask(SHIPPED.digits);
      assert.equal(right.status, 200, right.text);
      link = right.json.access.token;
    }
    const statuses = [];
    for (let guess = 0; guess < 10; guess += 1) statuses.push((await ask(String(1000 + guess))).status);
    assert.deepEqual(statuses, Array(10).fill(404), 'ten wrong guesses are answered, from ten addresses');
    // The eleventh is refused until the business day ends, right digits included.
    const refused = await ask('0000');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assertApiError(refused, 429, 'too_many_attempts');
    assert.ok(retryAfter > 0 && retryAfter <= 86_400, `Retry-After: ${retryAfter}`);
    const rightButLocked = await ask(SHIPPED.digits);
    assertApiError(rightButLocked, 429, 'too_many_attempts');
    // The signed link still works.
    const byLink = await daily.call(`/api/track/t/${link}`);
    assert.equal(byLink.status, 200, byLink.text);

    // One message for the team's channel, naming the order and its owner, however many refusals.
    await ask('0001');
    const outbox = await daily.call('/api/admin/notify/outbox?limit=50', { headers: admin });
    assert.equal(outbox.status, 200, outbox.text);
    const locked = outbox.json.messages.filter((m) => m.kind === 'lookup_locked');
    assert.equal(locked.length, 1, outbox.text);
    assert.equal(locked[0].channel_id, channel.json.channel.id);
    const [row] = await d1("SELECT payload FROM notify_outbox WHERE kind = 'lookup_locked'", daily.persistDir);
    const payload = JSON.parse(row.payload);
    const [order] = await d1(`SELECT doc FROM orders WHERE number = '${SHIPPED.number}'`, daily.persistDir);
    const owner = JSON.parse(order.doc).owner;
    assert.equal(payload.number, SHIPPED.number);
    assert.equal(payload.owner_user_id, owner.user_id);
    assert.equal(payload.owner_name, owner.name);
    assert.equal(payload.allowance, 10);
  } finally {
    await daily.stop();
  }
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
