// Issue 22: sync never wedges. Order numbers that compare equal only under Unicode case and width
// folding, a third order wanting the same 40-character number, numbers stored before the key
// column existed, and a change D1 will not write (a fault injected into D1 itself through a
// dev-only trigger): each is decided, renumbered or refused with a reason — never "busy" forever.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  DEMO_PASSWORD, DEMO_SALES, api, assertApiError, bearer, createOrderMutation, d1, loadDemoData, signIn,
  devHeaders,
} from '../support/api.mjs';

let sales;

before(async () => {
  await loadDemoData();
  sales = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
});

after(async () => {
  await injectFault({ clear: true });
});

const now = () => new Date().toISOString();
const digits = () => String(Number.parseInt(randomBytes(3).toString('hex'), 16)).padStart(8, '0');
/// ASCII digits as full-width ones: `12` → `１２`.
const fullWidth = (text) => text.replace(/[0-9A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

const createOrder = (orderId, number) => createOrderMutation(orderId, { number, company: '杭州卡住测试有限公司' });
const addNote = (orderId, text) => ({ type: 'add_note', order_id: orderId, note_id: randomUUID(), text });
const rename = (orderId, number) => ({ type: 'edit_fields', order_id: orderId, changes: { number } });
const numbered = (first, mutations) => mutations.map((mutation, i) => ({ seq: first + i, mutation, device_time: now() }));

const push = (deviceId, mutations) =>
  api('/api/sync/push', { json: { device_id: deviceId, mutations }, headers: bearer(sales) });

async function pullOrder(deviceId, orderId) {
  let cursor = 0;
  let found;
  let rejections = [];
  for (;;) {
    const page = await api(`/api/sync/pull?device_id=${deviceId}&cursor=${cursor}&limit=1000`, { headers: bearer(sales) });
    assert.equal(page.status, 200, page.text);
    found = page.json.orders.find((o) => o.id === orderId) ?? found;
    rejections = rejections.concat(page.json.rejections);
    cursor = page.json.cursor;
    if (!page.json.more) return { order: found, rejections, lastSeq: page.json.last_seq };
  }
}

function injectFault(body) {
  return api('/api/dev/sync-fault', { json: body, headers: devHeaders() });
}

test('a full-width number that another order has (as ASCII) is renumbered, not wedged', async () => {
  const n = digits();
  const first = await push(randomUUID(), numbered(1, [createOrder(randomUUID(), `FZ-${n}`)]));
  assert.equal(first.status, 200, first.text);

  const phone2 = randomUUID();
  const id = randomUUID();
  const second = await push(phone2, numbered(1, [createOrder(id, fullWidth(`FZ-${n}`))]));
  assert.equal(second.status, 200, `phone 2 is not stuck: ${second.text}`);
  assert.equal(second.json.last_seq, 1);
  assert.deepEqual(second.json.rejected, []);
  const { order } = await pullOrder(phone2, id);
  assert.equal(order.number, `${fullWidth(`FZ-${n}`)}-2`);
  const event = order.history.at(-1);
  assert.equal(event.kind.type, 'renumbered');
});

test('Greek, Cyrillic and accented case variants are the same number', async () => {
  const n = digits();
  const phone = randomUUID();
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  const res = await push(
    phone,
    numbered(1, [createOrder(a, `ΣΟΦΙΑΣ-${n}`), createOrder(b, `σοφιας-${n}`), createOrder(c, `ΣΟΦΙΑς-${n}`)]),
  );
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.last_seq, 3);
  const numbers = [];
  for (const id of [a, b, c]) numbers.push((await pullOrder(phone, id)).order.number);
  assert.deepEqual(numbers, [`ΣΟΦΙΑΣ-${n}`, `σοφιας-${n}-2`, `ΣΟΦΙΑς-${n}-3`]);
});

test('renaming an order to a width variant of a taken number renumbers it', async () => {
  const n = digits();
  assert.equal((await push(randomUUID(), numbered(1, [createOrder(randomUUID(), `RN-${n}`)]))).status, 200);
  const phone = randomUUID();
  const id = randomUUID();
  const res = await push(phone, numbered(1, [createOrder(id, `TMP-${n}`), rename(id, fullWidth(`RN-${n}`))]));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.last_seq, 2);
  assert.equal((await pullOrder(phone, id)).order.number, `${fullWidth(`RN-${n}`)}-2`);
});

test('three orders wanting the same 40-character number all keep their orders, with three numbers', async () => {
  const long = `L${digits()}`.padEnd(40, '长');
  const phone = randomUUID();
  const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  for (const [i, id] of ids.entries()) {
    const res = await push(phone, numbered(i + 1, [createOrder(id, long)]));
    assert.equal(res.status, 200, `create ${i + 1}: ${res.text}`);
    assert.equal(res.json.last_seq, i + 1);
  }
  const numbers = [];
  for (const id of ids) numbers.push((await pullOrder(phone, id)).order.number);
  assert.deepEqual(numbers, [long, `${long.slice(0, 38)}-2`, `${long.slice(0, 38)}-3`, `${long.slice(0, 38)}-4`]);
});

test('a customer finds an order by a full-width or lower-case spelling of its number', async () => {
  const n = digits();
  const id = randomUUID();
  assert.equal((await push(randomUUID(), numbered(1, [createOrder(id, `CU-${n}`)]))).status, 200);
  for (const typed of [fullWidth(`CU-${n}`), `cu-${n}`]) {
    const res = await api('/api/track/lookup', { json: { order_number: typed, phone_last4: '1234' } });
    assert.equal(res.status, 200, `${typed}: ${res.text}`);
    assert.equal(res.json.order_number, `CU-${n}`);
  }
});

test('a number stored before number keys existed gets its key, and a revealed collision is renamed in its history', async () => {
  const n = digits();
  const [a, b] = [randomUUID(), randomUUID()];
  const phone = randomUUID();
  assert.equal((await push(phone, numbered(1, [createOrder(a, `MG-${n}`), createOrder(b, `OLD-${n}`)]))).status, 200);
  // As migration 0009 leaves a pre-existing non-ASCII number: the old NOCASE index let
  // `ＭＧ-…` sit beside `MG-…`, and its key is not filled yet.
  const old = fullWidth(`MG-${n}`);
  await d1(
    `UPDATE orders SET number = '${old}', number_key = NULL, doc = json_set(doc, '$.number', '${old}') WHERE id = '${b}'`,
  );
  // Any push fills missing keys first.
  assert.equal((await push(randomUUID(), [])).status, 200);
  const [row] = await d1(`SELECT number, number_key FROM orders WHERE id = '${b}'`);
  assert.equal(row.number, `${old}-2`);
  assert.equal(row.number_key, `mg-${n}-2`);
  const { order } = await pullOrder(phone, b);
  assert.equal(order.number, `${old}-2`);
  assert.deepEqual(order.history.at(-1).kind, { type: 'renumbered', from: old, to: `${old}-2` });
  const [untouched] = await d1(`SELECT number_key FROM orders WHERE id = '${a}'`);
  assert.equal(untouched.number_key, `mg-${n}`);
});

test('a change D1 keeps failing to write is refused after a bounded number of pushes; the queue moves on', async () => {
  const phone = randomUUID();
  const [stuck, other] = [randomUUID(), randomUUID()];
  assert.equal((await push(phone, numbered(1, [createOrder(stuck, `ST-${digits()}`)]))).status, 200);
  assert.equal((await injectFault({ order_id: stuck, kind: 'transient' })).status, 200);

  const queue = numbered(2, [addNote(stuck, '这条备注存不进去'), createOrder(other, `OK-${digits()}`)]);
  // Busy (retryable) for the first pushes: the failure may still go away.
  for (let i = 1; i < 3; i++) {
    const res = await push(phone, queue);
    assertApiError(res, 503, 'sync_busy');
  }
  const last = await push(phone, queue);
  assert.equal(last.status, 200, last.text);
  assert.equal(last.json.last_seq, 3, 'the change after the stuck one is applied in the same push');
  assert.equal(last.json.rejected.length, 1);
  const [refused] = last.json.rejected;
  assert.equal(refused.seq, 2);
  assert.equal(refused.code, 'save_failed');
  assert.match(refused.message, /未能保存/);
  assert.equal(refused.mutation.text, '这条备注存不进去', 'the user content comes back with the refusal');

  // Recorded, not silent: the pull delivers it too, and the note is not on the order.
  const { order, rejections } = await pullOrder(phone, stuck);
  assert.ok(rejections.some((r) => r.seq === 2 && r.code === 'save_failed'));
  assert.equal(order.notes.length, 0);
  assert.ok((await pullOrder(phone, other)).order, 'the later change synced');
  const failures = await d1(`SELECT COUNT(*) AS n FROM sync_failures WHERE device_id = '${phone}'`);
  assert.equal(failures[0].n, 0, 'failure counters are dropped once the queue moved past them');

  // Once the fault is gone, the order takes changes again.
  await injectFault({ clear: true });
  const again = await push(phone, numbered(4, [addNote(stuck, '现在可以保存')]));
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.json.rejected, []);
});

test('a change too big for D1 to store is refused at once, with its content', async () => {
  const phone = randomUUID();
  const id = randomUUID();
  assert.equal((await push(phone, numbered(1, [createOrder(id, `TB-${digits()}`)]))).status, 200);
  assert.equal((await injectFault({ order_id: id, kind: 'too_big' })).status, 200);
  const res = await push(phone, numbered(2, [addNote(id, '太大了')]));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.last_seq, 2);
  assert.equal(res.json.rejected[0]?.code, 'save_failed');
  assert.match(res.json.rejected[0].message, /已达上限/);
  await injectFault({ clear: true });
});

test('the fault route is a dev route: it validates what it is given', async () => {
  const res = await injectFault({ order_id: randomUUID(), kind: 'meteor' });
  assert.equal(res.status, 400, res.text);
});
