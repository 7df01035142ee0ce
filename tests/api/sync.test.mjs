// Sync against real wrangler dev + local D1: exactly-once pushes, gaps, rejections delivered by
// pull, concurrent pushes on one order, a worker SIGKILLed in the middle of a push burst, device
// ids bound to their user, and bad input.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  DEMO_ADMIN,
  DEMO_PASSWORD,
  DEMO_SALES,
  HAN,
  api,
  assertApiError,
  bearer,
  d1,
  devHeaders,
  loadDemoData,
  signIn,
  startPrivateWorker,
} from '../support/api.mjs';

let sales; // 王芳's token
let admin;

before(async () => {
  await loadDemoData();
  sales = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
  admin = (await signIn(DEMO_ADMIN.login, DEMO_PASSWORD)).token;
});

// ---- helpers -------------------------------------------------------------------------------

const now = () => new Date().toISOString();
const tag = () => randomBytes(3).toString('hex').toUpperCase();

function createOrder(orderId, number) {
  return {
    type: 'create_order',
    order_id: orderId,
    number,
    customer: { company: '杭州同步测试有限公司', contact: '周建国', phone: '138 5710 1234', email: null, address: null },
    items: [{ product: '精梳棉纱 32S', quantity: 10, unit_price: 2350 }],
    expected_delivery: null,
    owner: null,
    note: null,
    note_id: null,
  };
}

const addNote = (orderId, text, noteId = randomUUID()) => ({ type: 'add_note', order_id: orderId, note_id: noteId, text });

/// `[{seq, mutation, device_time}]` numbered from `first`.
const numbered = (first, mutations) => mutations.map((mutation, i) => ({ seq: first + i, mutation, device_time: now() }));

function push(token, deviceId, mutations, { baseUrl } = {}) {
  return api('/api/sync/push', { json: { device_id: deviceId, mutations }, headers: bearer(token), baseUrl });
}

function pull(token, deviceId, { cursor = 0, rejectionsAfter = 0, limit, baseUrl } = {}) {
  const query = new URLSearchParams({ device_id: deviceId, cursor: String(cursor), rejections_after: String(rejectionsAfter) });
  if (limit !== undefined) query.set('limit', String(limit));
  return api(`/api/sync/pull?${query}`, { headers: bearer(token), baseUrl });
}

/// Pulls every page after `cursor`; returns the orders by id (last version wins) and the last page.
async function pullAll(token, deviceId, { cursor = 0, rejectionsAfter = 0, limit = 1000, baseUrl } = {}) {
  const orders = new Map();
  const rejections = [];
  for (;;) {
    const page = await pull(token, deviceId, { cursor, rejectionsAfter, limit, baseUrl });
    assert.equal(page.status, 200, page.text);
    for (const order of page.json.orders) orders.set(order.id, order);
    rejections.push(...page.json.rejections);
    cursor = page.json.cursor;
    rejectionsAfter = page.json.rejection_cursor;
    if (!page.json.more && !page.json.more_rejections) return { orders, rejections, last: page.json };
  }
}

async function counts(persistDir) {
  const [row] = await d1(
    `SELECT (SELECT COUNT(*) FROM orders) AS orders, (SELECT COUNT(*) FROM order_events) AS events,
            (SELECT COUNT(*) FROM sync_rejections) AS rejections, (SELECT COUNT(*) FROM sync_devices) AS devices,
            (SELECT value FROM server_meta WHERE key = 'version') AS version,
            (SELECT COUNT(*) FROM sync_guard) AS guard`,
    persistDir,
  );
  return row;
}

// ---- exactly once ----------------------------------------------------------------------------

test('a push applies each mutation once; replaying it changes no D1 row and gets the same answer', async () => {
  const device = randomUUID();
  const orderId = randomUUID();
  const mutations = numbered(1, [createOrder(orderId, `SYNC-${tag()}`), addNote(orderId, '到货后电话确认'), addNote(orderId, '   ')]);
  const first = await push(sales, device, mutations);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.last_seq, 3);
  assert.equal(first.json.rejected.length, 1, 'the blank note is refused');

  const before = await counts();
  assert.equal(before.guard, 0, 'the guard table is empty outside a batch');
  const replay = await push(sales, device, mutations);
  assert.equal(replay.status, 200, replay.text);
  assert.deepEqual(replay.json, first.json, 'a replay gets the same answer');
  assert.deepEqual(await counts(), before, 'a replay writes nothing');

  const rows = await d1(`SELECT kind, device_id, seq, device_time, server_received_at FROM order_events WHERE order_id = '${orderId}' ORDER BY id`);
  assert.deepEqual(rows.map((r) => [r.kind, r.seq]), [['created', 1], ['note_added', 2]]);
  assert.ok(rows.every((r) => r.device_id === device && r.device_time && r.server_received_at));
  const [order] = await d1(`SELECT doc, version FROM orders WHERE id = '${orderId}'`);
  const doc = JSON.parse(order.doc);
  assert.equal(doc.notes.length, 1);
  assert.equal(doc.history.length, 2, 'the document history matches the audit rows');
});

test('a push that skips seqs is refused with 409 seq_gap and writes nothing', async () => {
  const device = randomUUID();
  const orderId = randomUUID();
  assert.equal((await push(sales, device, numbered(1, [createOrder(orderId, `SYNC-${tag()}`)]))).status, 200);
  const before = await counts();
  const error = assertApiError(await push(sales, device, numbered(3, [addNote(orderId, '跳号')])), 409, 'seq_gap');
  assert.match(error.message, HAN);
  assert.match(error.message_en, /processed up to 1/);
  assert.deepEqual(await counts(), before);
  // The same mutation with the right number goes through.
  const ok = await push(sales, device, numbered(2, [addNote(orderId, '不跳号')]));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.last_seq, 2);
});

test('a refused mutation is recorded with its reason and content and reaches the device through pull', async () => {
  const device = randomUUID();
  const orderId = randomUUID();
  const blank = addNote(orderId, '   ');
  const answer = await push(sales, device, numbered(1, [createOrder(orderId, `SYNC-${tag()}`), blank]));
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.last_seq, 2, 'a rejection still advances last_seq');

  const first = await pull(sales, device, { cursor: 1_000_000_000 });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.last_seq, 2);
  assert.equal(first.json.rejections.length, 1);
  const [rejection] = first.json.rejections;
  assert.equal(rejection.seq, 2);
  assert.equal(rejection.order_id, orderId);
  assert.equal(rejection.code, 'invalid');
  assert.match(rejection.message, HAN);
  assert.ok(rejection.message_en.length > 0);
  assert.deepEqual(rejection.mutation, blank, 'the mutation comes back whole');
  assert.ok(first.json.rejection_cursor > 0);
  const [row] = await d1(`SELECT code, seq FROM sync_rejections WHERE device_id = '${device}'`);
  assert.deepEqual(row, { code: 'invalid', seq: 2 });

  // Lost answer: the same cursor gives it again (at least once); the new cursor gives nothing.
  const again = await pull(sales, device, { cursor: 1_000_000_000 });
  assert.deepEqual(again.json.rejections, first.json.rejections);
  const after = await pull(sales, device, { cursor: 1_000_000_000, rejectionsAfter: first.json.rejection_cursor });
  assert.deepEqual(after.json.rejections, []);
  // Another device of the same user never sees it.
  const other = await pull(sales, randomUUID(), { cursor: 1_000_000_000 });
  assert.deepEqual(other.json.rejections, []);
});

test('advancing from a stage someone already left is rejected naming who moved it and when', async () => {
  const orderId = randomUUID();
  const salesDevice = randomUUID();
  const adminDevice = randomUUID();
  const advance = { type: 'advance_stage', order_id: orderId, from: 'requirement', to: 'contract', reason: '客户已确认' };
  const created = await push(sales, salesDevice, numbered(1, [createOrder(orderId, `SYNC-${tag()}`), advance]));
  assert.equal(created.status, 200, created.text);
  assert.deepEqual(created.json.rejected, []);
  const late = await push(admin, adminDevice, numbered(1, [advance]));
  assert.equal(late.status, 200, late.text);
  const [rejection] = late.json.rejected;
  assert.equal(rejection.code, 'stale_stage');
  assert.match(rejection.message, /^已被王芳于 (\d{1,2}月\d{1,2}日 )?\d{2}:\d{2} 推进到 合同签订$/);
  assert.match(rejection.message_en, /^王芳 already moved to Contract signing at /);
});

test('two phones that created the same order number offline both keep their order; the second is renumbered', async () => {
  const number = `SYNC-${tag()}`;
  const [a, b] = [randomUUID(), randomUUID()];
  assert.equal((await push(sales, randomUUID(), numbered(1, [createOrder(a, number)]))).status, 200);
  const second = await push(admin, randomUUID(), numbered(1, [createOrder(b, number.toLowerCase())]));
  assert.equal(second.status, 200, second.text);
  assert.deepEqual(second.json.rejected, []);
  const rows = await d1(`SELECT id, number, doc FROM orders WHERE id IN ('${a}', '${b}') ORDER BY number`);
  assert.deepEqual(rows.map((r) => r.number).sort(), [number, `${number.toLowerCase()}-2`].sort());
  const renumbered = JSON.parse(rows.find((r) => r.id === b).doc);
  const event = renumbered.history.at(-1);
  assert.equal(event.kind.type, 'renumbered');
  assert.equal(event.kind.to, `${number.toLowerCase()}-2`);
  const [audit] = await d1(`SELECT COUNT(*) AS n FROM order_events WHERE order_id = '${b}' AND kind = 'renumbered'`);
  assert.equal(audit.n, 1);
});

test('one long push across several orders, with two creates of the same long Chinese number, lands whole', async () => {
  const device = randomUUID();
  const number = `杭州明远纺织长单号${tag()}`.padEnd(40, '单'); // 40 characters, 100+ bytes
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  const mutations = [createOrder(a, number), createOrder(b, number), createOrder(c, `SYNC-${tag()}`)];
  for (let i = 0; i < 57; i += 1) mutations.push(addNote([a, b, c][i % 3], `长推送 ${i}`));
  const answer = await push(sales, device, numbered(1, mutations));
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.last_seq, 60);
  assert.deepEqual(answer.json.rejected, []);
  const rows = await d1(`SELECT id, number, doc FROM orders WHERE id IN ('${a}', '${b}', '${c}')`);
  const byId = new Map(rows.map((r) => [r.id, { number: r.number, doc: JSON.parse(r.doc) }]));
  assert.equal(byId.get(a).number, number);
  assert.equal(byId.get(b).number, `${number.slice(0, 38)}-2`, 'cut to fit 40 characters with the suffix');
  for (const id of [a, b, c]) {
    assert.equal(byId.get(id).doc.notes.length, 19);
    const [{ n }] = await d1(`SELECT COUNT(*) AS n FROM order_events WHERE order_id = '${id}'`);
    assert.equal(n, byId.get(id).doc.history.length, 'audit rows match the document history');
  }
});

// ---- concurrency ---------------------------------------------------------------------------

test('concurrent pushes on one order from several devices all land (optimistic guard + retry)', async () => {
  const orderId = randomUUID();
  assert.equal((await push(sales, randomUUID(), numbered(1, [createOrder(orderId, `SYNC-${tag()}`)]))).status, 200);
  const devices = [
    { token: sales, id: randomUUID() },
    { token: admin, id: randomUUID() },
    { token: sales, id: randomUUID() },
    { token: admin, id: randomUUID() },
  ];
  const perDevice = 6;
  // Each device pushes its notes one per request, all devices at once: every request reads the
  // order, decides, and writes; without the guard, concurrent writers would overwrite each other.
  await Promise.all(
    devices.map(async (device, d) => {
      for (let i = 0; i < perDevice; i += 1) {
        const answer = await push(device.token, device.id, numbered(i + 1, [addNote(orderId, `设备${d} 第${i}条`)]));
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.json.last_seq, i + 1);
      }
    }),
  );
  const [row] = await d1(`SELECT doc FROM orders WHERE id = '${orderId}'`);
  const doc = JSON.parse(row.doc);
  assert.equal(doc.notes.length, devices.length * perDevice, 'no note was lost');
  assert.equal(new Set(doc.notes.map((n) => n.id)).size, doc.notes.length, 'no note twice');
  const [events] = await d1(`SELECT COUNT(*) AS n FROM order_events WHERE order_id = '${orderId}'`);
  assert.equal(events.n, doc.history.length, 'a refused batch left no audit rows behind: it rolled back whole');
  assert.equal((await counts()).guard, 0);
});

test('two concurrent pushes of the SAME device and seqs decide each mutation once', async () => {
  const device = randomUUID();
  const orderId = randomUUID();
  const mutations = numbered(1, [createOrder(orderId, `SYNC-${tag()}`), ...Array.from({ length: 8 }, (_, i) => addNote(orderId, `重复发送 ${i}`))]);
  const answers = await Promise.all([push(sales, device, mutations), push(sales, device, mutations), push(sales, device, mutations)]);
  for (const answer of answers) {
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.last_seq, 9);
  }
  const [row] = await d1(`SELECT doc FROM orders WHERE id = '${orderId}'`);
  assert.equal(JSON.parse(row.doc).notes.length, 8);
  const [events] = await d1(`SELECT COUNT(*) AS n FROM order_events WHERE device_id = '${device}'`);
  assert.equal(events.n, 9);
});

// ---- pull ------------------------------------------------------------------------------------

test('pull pages through every order in version order with a cursor and says when it is done', async () => {
  const device = randomUUID();
  const { last } = await pullAll(sales, device);
  const all = [];
  let cursor = 0;
  let previous = 0;
  for (;;) {
    const page = await pull(sales, device, { cursor, limit: 5 });
    assert.equal(page.status, 200, page.text);
    assert.ok(page.json.orders.length <= 5);
    const [{ n }] = await d1(`SELECT COUNT(*) AS n FROM orders WHERE version > ${cursor} AND version <= ${page.json.cursor}`);
    assert.equal(n, page.json.orders.length + page.json.tombstones.length, 'a page holds exactly the rows between two cursors');
    assert.ok(page.json.cursor >= previous);
    previous = page.json.cursor;
    all.push(...page.json.orders);
    cursor = page.json.cursor;
    if (!page.json.more) break;
  }
  assert.equal(new Set(all.map((o) => o.id)).size, all.length);
  assert.ok(all.length >= 12, 'the demo orders are there');
  assert.equal(cursor, last.cursor);
  const [{ n }] = await d1('SELECT COUNT(*) AS n FROM orders WHERE deleted = 0');
  assert.ok(all.length <= n);
  // `calendar`: this device never said which holiday calendar it holds (`calendar_after`), so
  // every page brings it.
  assert.deepEqual(Object.keys(last).sort(), ['calendar', 'cursor', 'last_seq', 'more', 'more_rejections', 'orders', 'rejection_cursor', 'rejections', 'tombstones']);
});

test('a deleted order comes back from pull as a tombstone, not as an order', async () => {
  const device = randomUUID();
  const orderId = randomUUID();
  assert.equal((await push(sales, device, numbered(1, [createOrder(orderId, `SYNC-${tag()}`)]))).status, 200);
  const { last } = await pullAll(sales, device);
  // There is no delete mutation yet: archive it the way a future one will (tombstone + new version).
  await d1(`UPDATE orders SET deleted = 1, version = (SELECT value + 1 FROM server_meta WHERE key = 'version') WHERE id = '${orderId}';
            UPDATE server_meta SET value = value + 1 WHERE key = 'version'`);
  const page = await pull(sales, device, { cursor: last.cursor });
  assert.equal(page.status, 200, page.text);
  assert.ok(page.json.tombstones.includes(orderId));
  assert.ok(!page.json.orders.some((o) => o.id === orderId));
  assert.ok(page.json.cursor > last.cursor);
});

// ---- who may sync --------------------------------------------------------------------------

test('a device id belongs to the user who used it first: others get 403 device_not_yours', async () => {
  const device = randomUUID();
  assert.equal((await pull(sales, device)).status, 200);
  const error = assertApiError(await push(admin, device, []), 403, 'device_not_yours');
  assert.match(error.message, HAN);
  assertApiError(await pull(admin, device), 403, 'device_not_yours');
  // Device ids are compared in one spelling: upper case is the same device.
  assertApiError(await pull(admin, device.toUpperCase()), 403, 'device_not_yours');
});

test('missing, malformed and forged tokens get 401 on push and pull', async () => {
  const device = randomUUID();
  const forged = randomBytes(32).toString('base64url');
  for (const headers of [{}, { authorization: 'Bearer nope' }, bearer(forged)]) {
    assertApiError(await api('/api/sync/push', { json: { device_id: device, mutations: [] }, headers }), 401, 'unauthorized');
    assertApiError(await api(`/api/sync/pull?device_id=${device}`, { headers }), 401, 'unauthorized');
  }
});

test('malformed pushes and pulls get 400/413/415 with clear codes and change nothing', async () => {
  const device = randomUUID();
  const orderId = randomUUID();
  const before = await counts();
  const raw = (body, type = 'application/json') =>
    api('/api/sync/push', { method: 'POST', body, headers: { ...bearer(sales), 'content-type': type } });
  assertApiError(await raw('{"device_id":'), 400, 'malformed_json');
  assertApiError(await raw(JSON.stringify({ device_id: 'not-a-uuid', mutations: [] })), 400, 'malformed_json');
  assertApiError(await raw(JSON.stringify({ device_id: device })), 400, 'malformed_json');
  assertApiError(await raw(JSON.stringify({ device_id: device, mutations: [{ seq: -1, mutation: addNote(orderId, 'x'), device_time: now() }] })), 400, 'malformed_json');
  assertApiError(await raw(JSON.stringify({ device_id: device, mutations: [{ seq: 1, mutation: { type: 'drop_table' }, device_time: now() }] })), 400, 'malformed_json');
  assertApiError(await raw(JSON.stringify({ device_id: device, mutations: [] }), 'text/plain'), 415, 'unsupported_media_type');
  const zero = [{ seq: 0, mutation: addNote(orderId, 'x'), device_time: now() }];
  assertApiError(await push(sales, device, zero), 400, 'seq_order');
  const jumbled = numbered(1, [addNote(orderId, 'a'), addNote(orderId, 'b')]).reverse();
  assertApiError(await push(sales, device, jumbled), 400, 'seq_order');
  const tooMany = numbered(1, Array.from({ length: 101 }, () => addNote(orderId, 'x')));
  const error = assertApiError(await push(sales, device, tooMany), 413, 'too_many_mutations');
  assert.match(error.message, /100/);

  const bad = (query) => api(`/api/sync/pull?${query}`, { headers: bearer(sales) });
  assertApiError(await bad(''), 400, 'bad_query');
  assertApiError(await bad('device_id=nope'), 400, 'bad_query');
  assertApiError(await bad(`device_id=${device}&cursor=-1`), 400, 'bad_query');
  assertApiError(await bad(`device_id=${device}&cursor=abc`), 400, 'bad_query');
  assertApiError(await bad(`device_id=${device}&limit=0`), 400, 'bad_query');
  assertApiError(await bad(`device_id=${device}&limit=1001`), 400, 'bad_query');
  // Beyond JavaScript's exact integers D1 refused the number: that was a 503 a phone retries forever.
  for (const name of ['cursor', 'rejections_after', 'calendar_after']) {
    assertApiError(await bad(`device_id=${device}&${name}=9007199254740992`), 400, 'bad_query');
    const largest = await bad(`device_id=${device}&${name}=9007199254740991`);
    assert.equal(largest.status, 200, `${name}: ${largest.text}`);
  }
  const { version, orders, events, rejections } = await counts();
  assert.deepEqual({ version, orders, events, rejections }, {
    version: before.version, orders: before.orders, events: before.events, rejections: before.rejections,
  });
});

// ---- a worker killed in the middle of a push burst -----------------------------------------

test('wrangler SIGKILLed mid push burst and restarted: the client retries, nothing is lost or doubled', { timeout: 240_000 }, async () => {
  const worker = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled' } });
  try {
    assert.equal((await worker.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() })).status, 200);
    const signedIn = await worker.call('/api/auth/login', { json: { login: DEMO_SALES.login, password: DEMO_PASSWORD } });
    assert.equal(signedIn.status, 200, signedIn.text);
    const token = signedIn.json.token;
    const device = randomUUID();
    const orderId = randomUUID();
    const total = 80;
    const queue = numbered(1, [createOrder(orderId, `KILL-${tag()}`), ...Array.from({ length: total - 1 }, (_, i) => addNote(orderId, `第${i + 1}条`))]);

    // The client: pushes its queue in pages of 5 from the first unconfirmed mutation; on any
    // failure (connection refused, reset, 5xx) it waits and tries again with the same seqs.
    let confirmed = 0;
    let failures = 0;
    const client = (async () => {
      while (confirmed < total) {
        const page = queue.filter((p) => p.seq > confirmed).slice(0, 5);
        try {
          const answer = await push(token, device, page, { baseUrl: worker.url });
          if (answer.status === 200) {
            confirmed = Math.max(confirmed, answer.json.last_seq);
            continue;
          }
          assert.ok(answer.status >= 500, `only server trouble is retried: ${answer.status} ${answer.text}`);
        } catch {
          // the worker is down
        }
        failures += 1;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // Kill it (the whole process group, SIGKILL) once the burst is under way, then restart it on
    // the same D1 files and port.
    while (confirmed < 15) await new Promise((r) => setTimeout(r, 10));
    await worker.kill();
    const killedAt = confirmed;
    await worker.restart();
    await client;
    assert.ok(failures > 0, 'the client did see the worker die');
    assert.ok(killedAt < total, 'the kill happened mid burst');

    const { orders, last } = await pullAll(token, device, { baseUrl: worker.url });
    assert.equal(last.last_seq, total);
    const order = orders.get(orderId);
    assert.equal(order.notes.length, total - 1, 'every note landed');
    assert.equal(new Set(order.notes.map((n) => n.text)).size, total - 1, 'no note twice');
    const [events] = await d1(`SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS seqs FROM order_events WHERE device_id = '${device}'`, worker.persistDir);
    assert.deepEqual(events, { n: total, seqs: total }, 'one audit row per mutation');
    assert.equal(order.history.length, total);
  } finally {
    await worker.stop();
  }
});
