// Sync benchmark (run by scripts/bench, or `node scripts/bench_sync.mjs` after scripts/build):
// against a private wrangler dev + local D1,
//  1. initial pull of 10,000 orders through GET /api/sync/pull (pages of 1,000, auth, snapshot
//     batches) vs a raw D1 batch select of the same rows (one dev-only request, one batch);
//  2. push of 1,000 queued mutations through POST /api/sync/push (pages of 100: rules, guards,
//     audit rows, last_seq) vs raw D1 batch writes of the same rows (order upsert + version bump +
//     one audit row per mutation, 100 mutations per request and batch).
//  3. the same kind of push (1,000 notes on 1,000 of the seeded orders) with the orders on one
//     process version, then with them spread over three (versions 2 and 3 published through the
//     admin API: 报价 added, a rename and 质检 added), each order noted once.
// Prints medians and ratios against the targets (pull <= 2x, push <= 3x, versions <= 1.1x).
import { randomUUID } from 'node:crypto';

process.env.BASE_URL ??= 'http://127.0.0.1:1'; // the shared helpers want one; we use a private worker
const { startPrivateWorker, d1, devHeaders, DEMO_ADMIN, DEMO_SALES, DEMO_PASSWORD, bearer } = await import('../tests/support/api.mjs');

const ORDERS = 10_000;
const MUTATIONS = 1_000;
const RUNS = 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t) => Number(t.toFixed(0));

const worker = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled' } });
try {
  const call = async (path, options) => {
    const answer = await worker.call(path, options);
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
    return answer.json;
  };
  await call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
  const { token } = await call('/api/auth/login', { json: { login: DEMO_SALES.login, password: DEMO_PASSWORD } });
  const auth = bearer(token);

  const customer = { company: '杭州基准测试有限公司', contact: '周建国', phone: '138 5710 1234', email: null, address: null };
  const items = [{ product: '精梳棉纱 32S', quantity: 2000, unit_price: 2350 }, { product: '色纺纱 40S', quantity: 500, unit_price: 3100 }];
  const create = (orderId, number) => ({
    type: 'create_order', order_id: orderId, number, customer, items,
    expected_delivery: null, owner: null, note: '首单，注意交期', note_id: null,
  });

  // Seed: one real order through sync, cloned 10,000 times in SQL with fresh ids, numbers and versions.
  const template = randomUUID();
  await call('/api/sync/push', { json: { device_id: randomUUID(), mutations: [{ seq: 1, mutation: create(template, 'BENCH-T'), device_time: new Date().toISOString() }] }, headers: auth });
  const seedStart = performance.now();
  await d1(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ORDERS}),
    base AS (SELECT value AS v FROM server_meta WHERE key = 'version'),
    ids AS (SELECT i, printf('%08x-0000-4000-8000-%012x', i, i) AS id FROM n)
    INSERT INTO orders (id, number, stage, status, owner_id, phone_last4, doc, version, deleted, created_at, updated_at)
    SELECT ids.id, 'BENCH-' || ids.i, o.stage, o.status, o.owner_id, o.phone_last4,
           json_set(o.doc, '$.id', ids.id, '$.number', 'BENCH-' || ids.i), base.v + ids.i, 0, o.created_at, o.updated_at
    FROM ids, base, orders o WHERE o.id = '${template}'`, worker.persistDir);
  await d1(`UPDATE server_meta SET value = value + ${ORDERS} WHERE key = 'version'`, worker.persistDir);
  const [{ n: total }] = await d1('SELECT COUNT(*) AS n FROM orders', worker.persistDir);
  console.log(`seeded ${ORDERS} orders in ${ms(performance.now() - seedStart)} ms (${total} orders in D1)`);

  // 1. Initial pull.
  const pullTimes = [];
  const rawSelectTimes = [];
  let pulledBytes = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const device = randomUUID();
    let cursor = 0;
    let count = 0;
    const start = performance.now();
    for (;;) {
      const page = await call(`/api/sync/pull?device_id=${device}&cursor=${cursor}&limit=1000`, { headers: auth });
      count += page.orders.length + page.tombstones.length;
      cursor = page.cursor;
      if (!page.more) break;
    }
    pullTimes.push(performance.now() - start);
    if (count !== total) throw new Error(`pulled ${count} of ${total}`);

    const rawStart = performance.now();
    const raw = await worker.call('/api/dev/bench/select', { headers: devHeaders(), json: { cursor: 0, limit: 1000, pages: Math.ceil(total / 1000) } });
    rawSelectTimes.push(performance.now() - rawStart);
    if (raw.status !== 200 || raw.json.rows.length !== total) throw new Error(`raw select: ${raw.status} ${raw.json?.rows?.length}`);
    pulledBytes = raw.text.length;
  }

  // 2. Push of 1,000 queued mutations: a day offline, 200 new orders each with 4 notes.
  const queue = [];
  let current;
  for (let i = 0; i < MUTATIONS; i += 1) {
    const mutation = i % 5 === 0
      ? create((current = randomUUID()), `BENCH-P-${i}`)
      : { type: 'add_note', order_id: current, note_id: randomUUID(), text: `第${i}条：客户电话确认规格与交期，已同步生产` };
    queue.push({ seq: i + 1, mutation, device_time: new Date().toISOString() });
  }
  const pushTimes = [];
  const rawWriteTimes = [];
  for (let run = 0; run < RUNS; run += 1) {
    const device = randomUUID();
    // Fresh order ids per run, so every run creates its orders.
    const remap = new Map();
    const runQueue = queue.map((p) => {
      const m = { ...p.mutation };
      if (!remap.has(m.order_id)) remap.set(m.order_id, randomUUID());
      m.order_id = remap.get(m.order_id);
      if (m.type === 'create_order') m.number = `${m.number}-R${run}`;
      if (m.type === 'add_note') m.note_id = randomUUID();
      return { ...p, mutation: m };
    });
    const start = performance.now();
    for (let i = 0; i < runQueue.length; i += 100) {
      const answer = await call('/api/sync/push', { json: { device_id: device, mutations: runQueue.slice(i, i + 100) }, headers: auth });
      if (answer.last_seq !== Math.min(i + 100, runQueue.length) || answer.rejected.length) throw new Error(`push: ${JSON.stringify(answer).slice(0, 300)}`);
    }
    pushTimes.push(performance.now() - start);

    // The same rows, raw: each mutation's order row (as stored now) and one audit row.
    const ids = [...remap.values()];
    const stored = new Map((await d1(`SELECT id, number, stage, status, owner_id, phone_last4, doc, created_at, updated_at FROM orders WHERE id IN (${ids.map((id) => `'${id}'`).join(',')})`, worker.persistDir)).map((r) => [r.id, r]));
    const rows = runQueue.map((p) => ({
      ...stored.get(p.mutation.order_id),
      event_kind: p.mutation.type === 'create_order' ? 'created' : 'note_added',
      event_payload: JSON.stringify(p.mutation.type === 'create_order' ? { type: 'created' } : { type: 'note_added', note_id: p.mutation.note_id }),
    }));
    const rawStart = performance.now();
    for (let i = 0; i < rows.length; i += 100) {
      await call('/api/dev/bench/write', { headers: devHeaders(), json: { rows: rows.slice(i, i + 100) } });
    }
    rawWriteTimes.push(performance.now() - rawStart);
  }

  // 3. One process version against three. Run r of each side notes its own 1,000 seeded orders
  // (one note each), so no side pays for history another side added.
  const seededId = (i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
  const notePush = async (firstOrder) => {
    const device = randomUUID();
    const notes = Array.from({ length: MUTATIONS }, (_, k) => ({
      seq: k + 1,
      mutation: { type: 'add_note', order_id: seededId(firstOrder + k), note_id: randomUUID(), text: `第${k}条：按流程版本跟进，已与客户确认` },
      device_time: new Date().toISOString(),
    }));
    const start = performance.now();
    for (let i = 0; i < notes.length; i += 100) {
      const answer = await call('/api/sync/push', { json: { device_id: device, mutations: notes.slice(i, i + 100) }, headers: auth });
      if (answer.last_seq !== Math.min(i + 100, notes.length) || answer.rejected.length) throw new Error(`push: ${JSON.stringify(answer).slice(0, 300)}`);
    }
    return performance.now() - start;
  };
  const oneVersionTimes = [];
  for (let run = 0; run < RUNS; run += 1) oneVersionTimes.push(await notePush(1 + run * MUTATIONS));

  const { token: adminToken } = await call('/api/auth/login', { json: { login: DEMO_ADMIN.login, password: DEMO_PASSWORD } });
  const publish = async (edit, note) => {
    const overview = await call('/api/admin/process', { headers: bearer(adminToken) });
    const current = overview.versions.at(-1);
    const asInput = (stage) => ({ ...stage, exit_requirements: stage.exit_requirements ?? [] });
    const answer = await worker.call('/api/admin/process/publish', {
      json: { base_version: current.number, stages: edit(current.stages.map(asInput)), archived: (current.archived ?? []).map(asInput), note },
      headers: bearer(adminToken),
    });
    if (answer.status !== 201) throw new Error(`publish: ${answer.status} ${answer.text.slice(0, 300)}`);
  };
  const stage = (id, zh, en) => ({
    id, name: { zh, en }, responsible: ['sales'], checklist: [{ id: `${id}_done`, label: { zh: `${zh}完成`, en: `${en} done` } }],
    sla_days: 3, customer_label: { zh, en }, customer_message: { zh: `${zh}中。`, en: `${en}.` }, notify_customer: false, exit_requirements: [],
  });
  await publish((stages) => [stages[0], stage('quote', '报价', 'Quotation'), ...stages.slice(1)], '加报价');
  await publish((stages) => [
    ...stages.map((s) => (s.id === 'production' ? { ...s, name: { zh: '生产/备货', en: 'Production / stock' } } : s)),
    stage('inspection', '质检', 'Inspection'),
  ], '加质检');
  // With the versions published, runs alternate between every seeded order on version 1 and the
  // orders spread over versions 1 to 3 (untimed SQL in between), so that load from elsewhere on
  // the machine hits both sides alike.
  const onVersions = (spread) => d1(
    `UPDATE orders SET doc = json_set(doc, '$.process_version', ${spread ? "1 + (CAST(substr(number, 7) AS INTEGER) % 3)" : '1'}) WHERE number GLOB 'BENCH-[0-9]*'`,
    worker.persistDir,
  );
  const threeVersionTimes = [];
  const publishedOneVersionTimes = [];
  for (let run = 0; run < RUNS; run += 1) {
    await onVersions(false);
    publishedOneVersionTimes.push(await notePush(1 + (RUNS + 2 * run) * MUTATIONS));
    await onVersions(true);
    if (run === 0) {
      const spread = await d1(`SELECT json_extract(doc, '$.process_version') AS v, COUNT(*) AS n FROM orders WHERE number GLOB 'BENCH-[0-9]*' GROUP BY v ORDER BY v`, worker.persistDir);
      console.log(`seeded orders per process version: ${spread.map((r) => `v${r.v}=${r.n}`).join(' ')}`);
    }
    threeVersionTimes.push(await notePush(1 + (RUNS + 2 * run + 1) * MUTATIONS));
  }

  const report = (name, ours, baseline, target) => {
    const ratio = median(ours) / median(baseline);
    console.log(
      `${name.padEnd(34)} ours ${String(ms(median(ours))).padStart(6)} ms  raw D1 ${String(ms(median(baseline))).padStart(6)} ms  ` +
      `ratio ${ratio.toFixed(2)}x  target <= ${target}x  ${ratio <= target ? 'ok' : 'MISSED'}   (runs: ${ours.map(ms).join('/')} vs ${baseline.map(ms).join('/')})`,
    );
  };
  console.log(`\nsync benchmark, median of ${RUNS} runs (${(pulledBytes / 1024 / 1024).toFixed(1)} MiB of orders):`);
  report(`initial pull of ${total} orders`, pullTimes, rawSelectTimes, 2);
  report(`push of ${MUTATIONS} queued mutations`, pushTimes, rawWriteTimes, 3);
  const versionsLine = (name, three, one) => {
    const ratio = median(three) / median(one);
    console.log(
      `${name.padEnd(34)} 3 versions ${String(ms(median(three))).padStart(6)} ms  ` +
      `1 version ${String(ms(median(one))).padStart(6)} ms  ratio ${ratio.toFixed(2)}x  target <= 1.1x  ${ratio <= 1.1 ? 'ok' : 'MISSED'}` +
      `   (runs: ${three.map(ms).join('/')} vs ${one.map(ms).join('/')})`,
    );
  };
  versionsLine(`push of ${MUTATIONS} notes, 3 versions vs 1 (alternating runs)`, threeVersionTimes, publishedOneVersionTimes);
  versionsLine('  the same vs before any publish (not alternating)', threeVersionTimes, oneVersionTimes);
} finally {
  await worker.stop();
}
