// Issue 19 item 1: one order cannot be grown until D1 refuses to write it (which stalled the
// whole team's sync), and pull pages are bounded by bytes as well as by count. On a private
// worker: megabytes of orders in the shared database would slow every later phone's first sync.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEMO_SALES, bearer, createOrderMutation, startDemoWorker } from '../support/api.mjs';

let worker;
let sales;

before(async () => {
  worker = await startDemoWorker();
  sales = await worker.signIn(DEMO_SALES.login);
});

after(async () => {
  await worker?.stop();
});

const api = (path, options) => worker.call(path, options);

const now = () => new Date().toISOString();
const create = (orderId) => createOrderMutation(orderId, { company: '杭州膨胀测试有限公司' });
const note = (orderId, text) => ({ type: 'add_note', order_id: orderId, note_id: randomUUID(), text });
const LONG = '长'.repeat(2000);

/// Pushes `mutations` from a fresh device in pushes of 50; returns every refusal.
async function pushAll(mutations) {
  const device = randomUUID();
  const rejected = [];
  for (let i = 0; i < mutations.length; i += 50) {
    const page = mutations.slice(i, i + 50).map((mutation, j) => ({ seq: i + j + 1, mutation, device_time: now() }));
    const res = await api('/api/sync/push', { json: { device_id: device, mutations: page }, headers: bearer(sales) });
    assert.equal(res.status, 200, `push ${i / 50 + 1}: ${res.text.slice(0, 300)}`);
    assert.equal(res.json.last_seq, i + page.length);
    rejected.push(...res.json.rejected);
  }
  return rejected;
}

async function pull(cursor, limit = 1000) {
  const res = await api(`/api/sync/pull?device_id=${randomUUID()}&cursor=${cursor}&limit=${limit}`, { headers: bearer(sales) });
  assert.equal(res.status, 200, res.text.slice(0, 300));
  return res;
}

async function currentCursor() {
  let cursor = 0;
  for (;;) {
    const page = (await pull(cursor)).json;
    cursor = page.cursor;
    if (!page.more) return cursor;
  }
}

test('notes that would grow an order past its size bound are refused with a reason; sync goes on', async () => {
  const id = randomUUID();
  const rejected = await pushAll([create(id), ...Array.from({ length: 120 }, () => note(id, LONG))]);
  assert.ok(rejected.length > 0, 'some notes are refused');
  for (const r of rejected) {
    assert.equal(r.code, 'invalid');
    assert.match(r.message, /上限/);
  }
  // The order is still stored and pulled, within the bound.
  let found;
  for (let c = 0, more = true; more; ) {
    const page = (await pull(c)).json;
    found = page.orders.find((o) => o.id === id) ?? found;
    c = page.cursor;
    more = page.more;
  }
  assert.ok(found, 'the order is there');
  assert.ok(Buffer.byteLength(JSON.stringify(found)) <= 512 * 1024);
  assert.equal(found.notes.length, 120 - rejected.length);

  // The notes cannot stop the order's own work: its owner still reschedules and cancels it.
  const work = await pushAll([
    { type: 'set_due_date', order_id: id, stage: found.stage, due: '2027-03-01' },
    { type: 'cancel', order_id: id, reason: '客户取消' },
  ]);
  assert.deepEqual(work, [], 'the owner is not refused');

  // Its notes, joined in one cell, are longer than Excel allows: the xlsx export still works.
  const xlsx = await fetch(`${worker.url}/api/export.xlsx`, { headers: bearer(sales) });
  assert.equal(xlsx.status, 200, await xlsx.clone().text());
  assert.match(xlsx.headers.get('content-type'), /spreadsheetml/);
});

test('a pull page carries at most about 4 MB of orders, and says there is more', async () => {
  const start = await currentCursor();
  const ids = Array.from({ length: 14 }, () => randomUUID());
  // 14 orders of about 370 KB each (under the 384 KB of notes anyone may add): 5.2 MB, more
  // than one page's bytes, far fewer than its count.
  const mutations = ids.flatMap((id) => [create(id), ...Array.from({ length: 60 }, () => note(id, LONG))]);
  const rejected = await pushAll(mutations);
  assert.deepEqual(rejected, []);

  const first = await pull(start, 1000);
  assert.equal(first.json.more, true, 'the byte bound cut the page');
  assert.ok(first.json.orders.length < ids.length, `${first.json.orders.length} orders in the first page`);
  assert.ok(first.json.orders.length >= 1);
  assert.ok(Buffer.byteLength(first.text) < 5 * 1024 * 1024, `${Buffer.byteLength(first.text)} bytes`);

  // Following the cursor delivers every order exactly once.
  const seen = new Map();
  for (let cursor = start, more = true; more; ) {
    const page = (await pull(cursor)).json;
    for (const o of page.orders) seen.set(o.id, (seen.get(o.id) ?? 0) + 1);
    cursor = page.cursor;
    more = page.more;
  }
  for (const id of ids) assert.equal(seen.get(id), 1, `order ${id} once`);
});
