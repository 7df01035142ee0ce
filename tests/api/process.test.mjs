// The versioned process (/api/admin/process*, /api/process/versions, pulls carrying versions):
// publish, a stale base (409), bad input (each a 4xx naming its field, nothing published),
// admins only, orders on older versions keeping their rules, migration with a preview, restore.
// On a private worker: publishing changes the process for every later test of that database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  DEMO_ADMIN,
  DEMO_SALES,
  HAN,
  assertApiError,
  createOrderMutation,
  startDemoWorker,
} from '../support/api.mjs';

let worker;
let admin;
let sales;

before(async () => {
  worker = await startDemoWorker();
  admin = await worker.signIn(DEMO_ADMIN.login);
  sales = await worker.signIn(DEMO_SALES.login);
});

after(async () => {
  await worker?.stop();
});

async function overview() {
  const response = await worker.as(admin, '/api/admin/process');
  assert.equal(response.status, 200, response.text);
  return response.json;
}

const currentStages = async () => {
  const { versions } = await overview();
  return structuredClone(versions.at(-1).stages);
};

const QUOTE = {
  id: 'quote',
  name: { zh: '报价', en: 'Quotation' },
  responsible: ['sales'],
  checklist: [{ id: 'send_quote', label: { zh: '发送报价单', en: 'Send the quotation' } }],
  sla_days: 3,
  customer_label: { zh: '报价', en: 'Quotation' },
  customer_message: { zh: '我们正在为您准备报价。', en: 'We are preparing your quote.' },
  notify_customer: false,
  exit_requirements: [],
};

/// An order created before anything is published: it runs on version 1.
const V1_ORDER = randomUUID();

const publish = (token, json) => worker.as(token, '/api/admin/process/publish', { json });

/// Pushes `mutations` from a fresh device as `token`; returns the push answer.
async function push(token, mutations) {
  const device = randomUUID();
  const now = new Date().toISOString();
  const response = await worker.as(token, '/api/sync/push', {
    json: { device_id: device, mutations: mutations.map((mutation, i) => ({ seq: i + 1, mutation, device_time: now })) },
  });
  assert.equal(response.status, 200, response.text);
  return response.json;
}

async function pullAll(token, query = '') {
  const device = randomUUID();
  const orders = new Map();
  let versions = [];
  for (let cursor = 0, more = true; more; ) {
    const page = await worker.as(token, `/api/sync/pull?device_id=${device}&cursor=${cursor}&limit=1000${query}`);
    assert.equal(page.status, 200, page.text.slice(0, 300));
    for (const order of page.json.orders) orders.set(order.id, order);
    versions = versions.concat(page.json.process_versions ?? []);
    cursor = page.json.cursor;
    more = page.json.more;
  }
  return { orders, versions };
}

test('only admins reach the process routes: a sales person gets 403, nobody signed in 401', async () => {
  const routes = [
    ['GET', '/api/admin/process', undefined],
    ['PUT', '/api/admin/process/draft', { base_version: 1, stages: [] }],
    ['POST', '/api/admin/process/publish', { base_version: 1, stages: [] }],
    ['POST', '/api/admin/process/restore', { version: 1, base_version: 1 }],
    ['POST', '/api/admin/process/preview', { mapping: {} }],
    ['POST', '/api/admin/process/migrate', { mapping: {} }],
  ];
  for (const [method, path, json] of routes) {
    const forbidden = await worker.as(sales, path, { method, json });
    const error = assertApiError(forbidden, 403, 'forbidden');
    assert.match(error.message, HAN);
    assertApiError(await worker.call(path, { method, json }), 401, 'unauthorized');
  }
  assert.equal((await overview()).current, 1, 'nothing was published');
});

test('every company starts on version 1, the standard six stages', async () => {
  const { current, versions, draft } = await overview();
  assert.equal(current, 1);
  assert.equal(versions.length, 1);
  assert.deepEqual(
    versions[0].stages.map((s) => s.id),
    ['requirement', 'contract', 'order_entry', 'production', 'delivery', 'after_sales'],
  );
  assert.equal(draft, null);
  const created = await push(sales, [createOrderMutation(V1_ORDER, { company: '杭州老流程测试有限公司' })]);
  assert.deepEqual(created.rejected, []);
  // Demo orders run on it (stored before versions existed or not, they read as 1).
  const { orders } = await pullAll(sales);
  assert.ok(orders.size > 0);
  for (const order of orders.values()) assert.equal(order.process_version ?? 1, 1);
});

test('bad drafts are refused with the field named, and nothing is published', async () => {
  const cases = [
    ['duplicate names', (s) => { s[1].name = structuredClone(s[0].name); }, 'stages[1].name'],
    ['an empty name', (s) => { s[2].name.zh = ' '; }, 'stages[2].name.zh'],
    ['zero active stages', (s) => { s.length = 0; }, 'stages'],
    ['a negative SLA', (s) => { s[3].sla_days = -1; }, 'stages[3].sla_days'],
    ['an SLA over 365 days', (s) => { s[3].sla_days = 366; }, 'stages[3].sla_days'],
    ['more than 30 stages', (s) => {
      for (let i = 0; i < 30; i++) s.push({ ...structuredClone(QUOTE), id: `extra_${i}`, name: { zh: `附加${i}`, en: `Extra ${i}` } });
    }, 'stages'],
    ['more than 50 checklist items', (s) => {
      s[0].checklist = Array.from({ length: 51 }, (_, i) => ({ id: `item_${i}`, label: { zh: `第${i}项`, en: `Item ${i}` } }));
    }, 'stages[0].checklist'],
    ['a 10,000-character text', (s) => { s[4].customer_message.zh = '长'.repeat(10_000); }, 'stages[4].customer_message.zh'],
    ['an unknown role', (s) => { s[1].responsible.push('boss'); }, 'stages[1].responsible[2]'],
    ['a deleted stage', (s) => { s.splice(5, 1); }, 'archived'],
    ['a bad stage key', (s) => { s.push({ ...structuredClone(QUOTE), id: 'Quote!' }); }, 'stages[6].id'],
  ];
  for (const [what, spoil, field] of cases) {
    const stages = await currentStages();
    spoil(stages);
    for (const path of ['/api/admin/process/draft', '/api/admin/process/publish']) {
      const method = path.endsWith('draft') ? 'PUT' : 'POST';
      const response = await worker.as(admin, path, { method, json: { base_version: 1, stages, note: what } });
      assert.ok(response.status >= 400 && response.status < 500, `${what} (${path}): ${response.status} ${response.text.slice(0, 200)}`);
      assert.equal(response.json?.error?.field, field, `${what} (${path}): ${response.text.slice(0, 300)}`);
      assert.match(response.json.error.message, HAN);
    }
  }
  const unknownBase = await publish(admin, { base_version: 9, stages: await currentStages() });
  assertApiError(unknownBase, 409, 'process_conflict');
  const { current, draft } = await overview();
  assert.equal(current, 1, 'nothing was published');
  assert.equal(draft, null, 'nothing was saved');
});

test('an admin saves a draft and publishes it: 报价 after 需求确认, 生产/备货, one more SOP item', async () => {
  const stages = await currentStages();
  stages.splice(1, 0, structuredClone(QUOTE));
  const production = stages.find((s) => s.id === 'production');
  production.name = { zh: '生产/备货', en: 'Production / stocking' };
  production.checklist.push({ id: 'photo_before_shipping', label: { zh: '出厂前拍照', en: 'Photograph before shipping' } });

  const saved = await worker.as(admin, '/api/admin/process/draft', { method: 'PUT', json: { base_version: 1, stages } });
  assert.equal(saved.status, 200, saved.text);
  assert.equal((await overview()).draft.stages[1].id, 'quote');

  const published = await publish(admin, { base_version: 1, stages, note: '加入报价环节' });
  assert.equal(published.status, 201, published.text);
  const { version } = published.json;
  assert.equal(version.number, 2);
  assert.equal(version.note, '加入报价环节');
  assert.equal(version.author.user_id, DEMO_ADMIN.id);
  assert.deepEqual(version.stages.map((s) => s.id).slice(0, 3), ['requirement', 'quote', 'contract']);

  const after = await overview();
  assert.equal(after.current, 2);
  assert.equal(after.versions.length, 2);
  assert.equal(after.draft, null, 'the published draft is gone');
});

test('a second admin publishing from the same base gets a 409 naming who published what', async () => {
  const stale = (await overview()).versions[0].stages;
  stale[0].sla_days = 4;
  const conflict = await publish(admin, { base_version: 1, stages: stale, note: '改时限' });
  const error = assertApiError(conflict, 409, 'process_conflict');
  assert.match(error.message, /第 2 版/);
  assert.match(error.message, /加入报价环节/);
  assert.match(error.message_en, /version 2/);
  assert.equal((await overview()).current, 2, 'nothing was overwritten');
});

test('pulls carry the versions a device does not have yet; a device may also fetch them', async () => {
  const fresh = await pullAll(sales);
  assert.deepEqual(fresh.versions.map((v) => v.number), [2]);
  const upToDate = await pullAll(sales, '&processes_after=2');
  assert.deepEqual(upToDate.versions, []);
  const fetched = await worker.as(sales, '/api/process/versions?after=1');
  assert.equal(fetched.status, 200, fetched.text);
  assert.deepEqual(fetched.json.map((v) => v.number), [2]);
  assertApiError(await worker.as(sales, '/api/process/versions?after=x'), 400, 'bad_query');
});

test('a new order walks through 报价; an order started on version 1 keeps version 1 rules', async () => {
  const id = randomUUID();
  const requirementItems = ['record_needs', 'confirm_quantity_spec', 'confirm_delivery_date'];
  const answer = await push(sales, [
    createOrderMutation(id, { company: '杭州报价测试有限公司' }),
    ...requirementItems.map((item) => ({ type: 'set_checklist_item', order_id: id, stage: 'requirement', item, done: true })),
    { type: 'advance_stage', order_id: id, from: 'requirement', to: 'quote', reason: null },
    { type: 'set_checklist_item', order_id: id, stage: 'quote', item: 'send_quote', done: true },
    { type: 'advance_stage', order_id: id, from: 'quote', to: 'contract', reason: null },
  ]);
  assert.deepEqual(answer.rejected, []);
  const { orders } = await pullAll(sales);
  const walked = orders.get(id);
  assert.equal(walked.process_version, 2);
  assert.equal(walked.stage, 'contract');
  assert.deepEqual(walked.stages.map((v) => v.stage), ['requirement', 'quote', 'contract']);
  // The board summary lists the current process's stages, 报价 included.
  const summary = await worker.as(sales, '/api/board/summary');
  assert.equal(summary.status, 200, summary.text);
  assert.deepEqual(summary.json.stages.map((s) => s.stage).slice(0, 3), ['requirement', 'quote', 'contract']);

  // An old order in 需求确认 moves to 合同签订 as its normal next step, and cannot enter 报价.
  const old = orders.get(V1_ORDER);
  assert.equal(old.process_version, 1);
  assert.equal(old.stage, 'requirement');
  const refused = await push(sales, [{ type: 'advance_stage', order_id: old.id, from: 'requirement', to: 'quote', reason: '试试' }]);
  assert.equal(refused.rejected.length, 1);
  assert.equal(refused.rejected[0].code, 'invalid');
  assert.match(refused.rejected[0].message, HAN);
  const ticks = (await pullAll(sales)).orders.get(old.id).stages.at(-1).checklist;
  const moved = await push(sales, [
    ...Object.keys(ticks).map((item) => ({ type: 'set_checklist_item', order_id: old.id, stage: 'requirement', item, done: true })),
    { type: 'advance_stage', order_id: old.id, from: 'requirement', to: 'contract', reason: null },
  ]);
  assert.deepEqual(moved.rejected, []);
  const after = (await pullAll(sales)).orders.get(old.id);
  assert.equal(after.stage, 'contract');
  assert.equal(after.process_version ?? 1, 1);
});

test('migrating in-flight orders: a mapping that leaves a stage out is refused, the preview counts, each moved order gets a history event', async () => {
  // Version 3 archives 合同签订.
  const { versions } = await overview();
  const stages = structuredClone(versions.at(-1).stages);
  const contract = stages.splice(stages.findIndex((s) => s.id === 'contract'), 1)[0];
  const published = await publish(admin, { base_version: 2, stages, archived: [contract], note: '取消合同环节' });
  assert.equal(published.status, 201, published.text);
  assert.equal(published.json.version.number, 3);

  const unmapped = await worker.as(admin, '/api/admin/process/preview', { json: { mapping: {} } });
  assert.equal(assertApiError(unmapped, 422, 'invalid').field, 'mapping.contract');
  const toArchived = await worker.as(admin, '/api/admin/process/migrate', { json: { mapping: { contract: 'contract' } } });
  assert.equal(assertApiError(toArchived, 422, 'invalid').field, 'mapping.contract');

  const mapping = { contract: 'order_entry' };
  const before = (await pullAll(sales)).orders;
  const inFlight = [...before.values()].filter((o) => o.status.kind === 'active' && (o.process_version ?? 1) !== 3);
  const inContract = inFlight.filter((o) => o.stage === 'contract');
  assert.ok(inContract.length >= 2, `orders of versions 1 and 2 sit in contract: ${JSON.stringify(inFlight.map((o) => [o.process_version, o.stage]))}`);

  const preview = await worker.as(admin, '/api/admin/process/preview', { json: { mapping } });
  assert.equal(preview.status, 200, preview.text);
  assert.equal(preview.json.to_version, 3);
  assert.equal(preview.json.total, inFlight.length);
  const movedFromContract = preview.json.rows
    .filter((r) => r.from_stage === 'contract')
    .reduce((n, r) => (assert.equal(r.to_stage, 'order_entry'), n + r.orders), 0);
  assert.equal(movedFromContract, inContract.length);

  const migrated = await worker.as(admin, '/api/admin/process/migrate', { json: { mapping } });
  assert.equal(migrated.status, 200, migrated.text);
  assert.equal(migrated.json.moved, inFlight.length);
  assert.equal(migrated.json.remaining, 0);

  const afterwards = (await pullAll(sales)).orders;
  for (const order of inFlight) {
    const now = afterwards.get(order.id);
    assert.equal(now.process_version, 3);
    const event = now.history.at(-1);
    assert.equal(event.kind.type, 'process_migrated');
    assert.equal(event.kind.from_stage, order.stage);
    assert.equal(event.actor.user_id, DEMO_ADMIN.id);
    assert.equal(now.stage, order.stage === 'contract' ? 'order_entry' : order.stage);
  }
  // Completed and cancelled orders keep the process they ended on.
  for (const order of before.values()) {
    if (order.status.kind !== 'active') assert.equal(afterwards.get(order.id).process_version ?? 1, order.process_version ?? 1);
  }
  const again = await worker.as(admin, '/api/admin/process/preview', { json: { mapping: {} } });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.total, 0);
});

test('restoring an old version publishes a copy of it; an unknown version is a 404', async () => {
  assertApiError(await worker.as(admin, '/api/admin/process/restore', { json: { version: 42, base_version: 3 } }), 404, 'process_version_not_found');
  assertApiError(await worker.as(admin, '/api/admin/process/restore', { json: { version: 1, base_version: 2 } }), 409, 'process_conflict');
  const restored = await worker.as(admin, '/api/admin/process/restore', { json: { version: 1, base_version: 3, note: '回到标准流程' } });
  assert.equal(restored.status, 201, restored.text);
  const { version } = restored.json;
  assert.equal(version.number, 4);
  assert.deepEqual(version.stages.map((s) => s.id), ['requirement', 'contract', 'order_entry', 'production', 'delivery', 'after_sales']);
  assert.deepEqual(version.archived.map((s) => s.id), ['quote']);
  assert.equal((await overview()).current, 4);
});
