// 请他处理 (issue 20) and the owner told of a customer-lookup lock (issue 19 item 5), against a
// private worker (fresh D1: its outbox holds only this file's messages, and its daily lookup
// allowance is lowered to 3 so a lock takes three guesses).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEMO_ADMIN, DEMO_SALES, bearer, createOrderMutation, freshIp, startDemoWorker } from '../support/api.mjs';
import { testSecret } from '../support/track.mjs';

const WAREHOUSE = { login: '13758114477' };
const LEGAL = { login: '13588002211' };
/// Demo order 8: 王芳's, at 发货发票, shipped; its contact phone ends in 8899.
const SHIPPED = { number: 'GD-DEMO-008', digits: '8899' };

let worker;
const tokens = {};

/// A demo account's session as request headers.
const signIn = async (login) => bearer(await worker.signIn(login));

const numbered = (first, mutations) => mutations.map((mutation, i) => ({ seq: first + i, mutation, device_time: new Date().toISOString() }));

function push(headers, deviceId, mutations) {
  return worker.call('/api/sync/push', { json: { device_id: deviceId, mutations }, headers });
}

/// Every order `headers`' person pulls from a fresh device, by id.
async function pullOrders(headers) {
  const device = randomUUID();
  const orders = new Map();
  for (let cursor = 0, more = true; more; ) {
    const page = await worker.call(`/api/sync/pull?device_id=${device}&cursor=${cursor}&limit=1000`, { headers });
    assert.equal(page.status, 200, page.text.slice(0, 300));
    for (const order of page.json.orders) orders.set(order.id, order);
    cursor = page.json.cursor;
    more = page.json.more;
  }
  return orders;
}

async function outbox(kind) {
  const answer = await worker.call('/api/admin/notify/outbox?limit=100', { headers: tokens.admin });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.messages.filter((message) => message.kind === kind);
}

before(async () => {
  worker = await startDemoWorker({
    vars: { SHARE_SECRET: testSecret(), TRACK_LOOKUPS_PER_NUMBER: '1000', TRACK_FAILED_LOOKUPS_PER_NUMBER_PER_DAY: '3' },
  });
  tokens.admin = await signIn(DEMO_ADMIN.login);
  tokens.sales = await signIn(DEMO_SALES.login);
  tokens.warehouse = await signIn(WAREHOUSE.login);
  tokens.legal = await signIn(LEGAL.login);
  const channel = await worker.call('/api/admin/notify/channels', { json: { kind: 'webhook', name: '团队群', url: 'https://hooks.example.com/gendan' }, headers: tokens.admin });
  assert.equal(channel.status, 201, channel.text);
});

after(async () => {
  await worker?.stop();
});

test('the warehouse asks finance for the invoice: the ask syncs, reaches the team robot once, and a stranger to the order may not ask', async () => {
  const orderId = randomUUID();
  const created = await push(tokens.admin, randomUUID(), numbered(1, [
    createOrderMutation(orderId, { number: `ASK-${Date.now()}` }),
    { type: 'advance_stage', order_id: orderId, from: 'requirement', to: 'delivery', reason: '老客户加急' },
  ]));
  assert.equal(created.status, 200, created.text);
  assert.deepEqual(created.json.rejected, []);

  const ask = { type: 'ask_for_help', order_id: orderId, need: 'invoice' };
  const device = randomUUID();
  const asked = await push(tokens.warehouse, device, numbered(1, [ask]));
  assert.equal(asked.status, 200, asked.text);
  assert.deepEqual(asked.json.rejected, []);
  // The same push again (a lost answer): decided once, one message.
  assert.deepEqual((await push(tokens.warehouse, device, numbered(1, [ask]))).json.rejected, []);

  const order = (await pullOrders(tokens.sales)).get(orderId);
  const event = order.history.at(-1);
  assert.deepEqual(event.kind, { type: 'help_asked', need: 'invoice', stage: 'delivery' });
  assert.equal(event.actor.name, '张伟');

  const messages = (await outbox('help_asked')).filter((message) => message.idempotency_key.includes(orderId));
  assert.equal(messages.length, 1, JSON.stringify(await outbox('help_asked')));

  // 李强 (legal) neither owns the order nor runs 发货发票, nor sells.
  const refused = await push(tokens.legal, randomUUID(), numbered(1, [ask]));
  assert.equal(refused.json.rejected.length, 1, refused.text);
  assert.equal(refused.json.rejected[0].code, 'forbidden');
  // Once the invoice is recorded there is nothing left to ask for.
  const invoiced = await push(tokens.admin, randomUUID(), numbered(1, [
    { type: 'record_invoice', order_id: orderId, number: 'FP-1', date: new Date().toISOString().slice(0, 10) },
    ask,
  ]));
  assert.equal(invoiced.json.rejected.length, 1, invoiced.text);
  assert.equal(invoiced.json.rejected[0].code, 'invalid');
});

test('the wrong guess that locks an order number puts the lock on the order for its owner, once a day', async () => {
  const lookup = (digits) => worker.call('/api/track/lookup', { json: { order_number: SHIPPED.number, phone_last4: digits }, headers: { 'cf-connecting-ip': freshIp() } });
  const findOrder = async () => [...(await pullOrders(tokens.sales)).values()].find((order) => order.number === SHIPPED.number);
  const locks = (order) => order.history.filter((event) => event.kind.type === 'customer_lookup_locked');
  assert.deepEqual(locks(await findOrder()), [], 'nothing before the lock');
  for (const digits of ['1000', '1001', '1002']) assert.equal((await lookup(digits)).status, 404);
  assert.equal((await lookup('1003')).status, 429, 'the day is used up');

  const order = await findOrder();
  assert.equal(order.owner.name, '王芳');
  const [lock] = locks(order);
  assert.ok(lock, 'the order records the lock, so sync brings it to the owner');
  assert.equal(lock.actor.user_id, 'system');
  const chinaToday = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  assert.equal(lock.kind.business_date, chinaToday);
  // More refusals the same day add nothing.
  await lookup('1004');
  assert.equal(locks(await findOrder()).length, 1);
  assert.equal((await outbox('lookup_locked')).length, 1);
});
