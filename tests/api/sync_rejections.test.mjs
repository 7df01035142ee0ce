// Refused sync changes are stored for the phone to show, and so must not let anyone grow the
// database or a pull page without bound (an attacker's finding: every refusal was kept whole,
// up to 1 MB, for ever, for any number of device ids, and a pull page carried 100 of them).
// On a private worker: the cron run 31 days ahead deletes every refusal.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEMO_SALES, bearer, d1, devHeaders, startDemoWorker } from '../support/api.mjs';

let worker;
let sales;

before(async () => {
  worker = await startDemoWorker();
  sales = await worker.signIn(DEMO_SALES.login);
});

after(async () => {
  await worker?.stop();
});

const MAX_CONTENT_BYTES = 8 * 1024; // domain::MAX_REJECTED_CONTENT_BYTES
const DAY = 24 * 3600_000;
const now = () => new Date().toISOString();
const sql = (text) => d1(text, worker.persistDir);
const note = (orderId, text) => ({ type: 'add_note', order_id: orderId, note_id: randomUUID(), text });

async function push(device, mutations, firstSeq = 1) {
  const body = { device_id: device, mutations: mutations.map((mutation, i) => ({ seq: firstSeq + i, mutation, device_time: now() })) };
  const res = await worker.call('/api/sync/push', { json: body, headers: bearer(sales) });
  assert.equal(res.status, 200, res.text.slice(0, 300));
  return res.json;
}

async function pullRejections(device, after = 0) {
  const res = await worker.call(`/api/sync/pull?device_id=${device}&cursor=999999999&rejections_after=${after}`, { headers: bearer(sales) });
  assert.equal(res.status, 200, res.text.slice(0, 300));
  return res.json;
}

async function salesRejectionCount() {
  const [row] = await sql(
    `SELECT COUNT(*) AS n FROM sync_rejections JOIN sync_devices USING (device_id) WHERE user_id = '${DEMO_SALES.id}'`,
  );
  return row.n;
}

test('a refused change of almost a megabyte comes back and is stored cut to a few KB, still the same note', async () => {
  const device = randomUUID();
  const orderId = randomUUID();
  const { rejected } = await push(device, [note(orderId, 'x'.repeat(900_000))]);
  assert.equal(rejected.length, 1);
  const [refusal] = rejected;
  assert.equal(refusal.mutation.type, 'add_note');
  assert.equal(refusal.mutation.order_id, orderId, 'the phone still knows which order');
  assert.ok(refusal.mutation.text.startsWith('xxxx') && refusal.mutation.text.endsWith('…'), 'the beginning of what was typed, marked as cut');
  assert.ok(JSON.stringify(refusal.mutation).length <= MAX_CONTENT_BYTES, `${JSON.stringify(refusal.mutation).length} bytes sent back`);
  const [stored] = await sql(`SELECT length(CAST(mutation AS BLOB)) AS bytes FROM sync_rejections WHERE device_id = '${device}'`);
  assert.ok(stored.bytes <= MAX_CONTENT_BYTES, `${stored.bytes} bytes stored`);
  const pulled = await pullRejections(device);
  assert.deepEqual(pulled.rejections, rejected);

  // What a person types is kept whole: a 2,000-character note refused on an unknown order.
  const typed = note(randomUUID(), '备'.repeat(2000));
  const second = await push(device, [typed], 2);
  assert.deepEqual(second.rejected[0].mutation, typed);
});

test('a pull page reads about a megabyte of refusals at most, and each goes out cut', async () => {
  // Rows as a worker before the bound stored them: 600 KB each.
  const device = randomUUID();
  await pullRejections(device); // registers the device to 王芳
  const big = (seq) => `('${device}', ${seq}, '${randomUUID()}', 'invalid', '备注太长', 'The note is too long', ` +
    `'{"type":"add_note","order_id":"${randomUUID()}","note_id":"${randomUUID()}","text":"' || hex(zeroblob(300000)) || '"}', '${now()}', '${now()}')`;
  await sql(
    'INSERT INTO sync_rejections (device_id, seq, order_id, code, message, message_en, mutation, device_time, rejected_at) ' +
    `VALUES ${[1, 2, 3].map(big).join(', ')}`,
  );
  const first = await pullRejections(device);
  assert.equal(first.rejections.length, 2, 'the third would pass a megabyte');
  assert.equal(first.more_rejections, true);
  for (const refusal of first.rejections) {
    assert.equal(refusal.mutation.type, 'add_note');
    assert.ok(JSON.stringify(refusal.mutation).length <= MAX_CONTENT_BYTES);
  }
  const rest = await pullRejections(device, first.rejection_cursor);
  assert.deepEqual(rest.rejections.map((r) => r.seq), [3]);
  assert.equal(rest.more_rejections, false);
});

test('a person keeps only their newest 200 refusals, whatever device ids they push from', async () => {
  const devices = [randomUUID(), randomUUID(), randomUUID()];
  for (const device of devices) {
    const { rejected } = await push(device, Array.from({ length: 100 }, () => note(randomUUID(), '没有这张订单')));
    assert.equal(rejected.length, 100);
  }
  assert.equal(await salesRejectionCount(), 200);
  assert.deepEqual((await pullRejections(devices[0])).rejections, [], 'the oldest device\'s went first');
  const newest = await pullRejections(devices[2]);
  assert.equal(newest.rejections.length, 100);
  assert.deepEqual(newest.rejections.map((r) => r.seq), Array.from({ length: 100 }, (_, i) => i + 1));
});

test('the hourly cron deletes refusals older than 30 days', async () => {
  const kept = await salesRejectionCount();
  assert.ok(kept > 0);
  const cronAt = async (ms) => {
    const response = await worker.call(`/api/dev/notify/cron?time=${ms}`, { method: 'POST', headers: devHeaders() });
    assert.equal(response.status, 200, response.text);
  };
  await cronAt(Date.now() + 29 * DAY);
  assert.equal(await salesRejectionCount(), kept, 'a month is not over yet');
  await cronAt(Date.now() + 31 * DAY);
  assert.equal(await salesRejectionCount(), 0);
});
