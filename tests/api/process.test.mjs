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
    ['a name of zero-width characters', (s) => { s[1].name = { zh: '\u200b', en: '\u200c' }; }, 'stages[1].name.zh'],
    ['a name with a bidi override', (s) => { s[1].name.en = 'Contract \u202efdp.exe'; }, 'stages[1].name.en'],
    ['two checklist items reading the same', (s) => { s[0].checklist[1].label = structuredClone(s[0].checklist[0].label); }, 'stages[0].checklist[1].label.zh'],
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
  // A base that is no version at all is bad input, not "someone published after you".
  const unknownBase = await publish(admin, { base_version: 999, stages: await currentStages() });
  const noVersion = assertApiError(unknownBase, 422, 'invalid');
  assert.equal(noVersion.field, 'base_version');
  assert.match(noVersion.message, /没有第 999 版流程（当前是第 1 版）/);
  const { current, draft } = await overview();
  assert.equal(current, 1, 'nothing was published');
  assert.equal(draft, null, 'nothing was saved');
});

test('an archived stage is checked like an active one, and a new stage cannot be born archived', async () => {
  const junk = (i) => ({
    ...structuredClone(QUOTE),
    id: `junk_${i}`,
    name: { zh: `杂${i}`, en: 'J'.repeat(3_000) },
    checklist: Array.from({ length: 100 }, (_, j) => ({ id: `i${j}`, label: { zh: `项${j}`, en: `Item ${j}` } })),
  });
  const cases = [
    ['a new stage archived', (s, a) => { a.push(structuredClone(QUOTE)); }, 'archived[0].id'],
    ['a bad key archived', (s, a) => { a.push({ ...structuredClone(QUOTE), id: 'Other Bad Key!' }); }, 'archived[0].id'],
    ['101 junk stages archived', (s, a) => { for (let i = 0; i < 101; i++) a.push(junk(i)); }, 'archived[0].id'],
    ['an empty name', (s, a) => { a.push({ ...s.pop(), name: { zh: '', en: '' } }); }, 'archived[0].name.zh'],
    ['a NUL in a label', (s, a) => { const stage = s.pop(); stage.customer_label.en = 'a\u0000b'; a.push(stage); }, 'archived[0].customer_label.en'],
    ['no roles', (s, a) => { a.push({ ...s.pop(), responsible: [] }); }, 'archived[0].responsible'],
    ['3,000-character names', (s, a) => { const stage = s.pop(); stage.name.zh = '长'.repeat(3_000); a.push(stage); }, 'archived[0].name.zh'],
  ];
  for (const [what, spoil, field] of cases) {
    const stages = await currentStages();
    const archived = [];
    spoil(stages, archived);
    for (const path of ['/api/admin/process/draft', '/api/admin/process/publish']) {
      const method = path.endsWith('draft') ? 'PUT' : 'POST';
      const response = await worker.as(admin, path, { method, json: { base_version: 1, stages, archived, note: what } });
      const error = assertApiError(response, 422, 'invalid');
      assert.equal(error.field, field, `${what} (${path}): ${response.text.slice(0, 300)}`);
      assert.match(error.message, HAN);
    }
  }
  const { current, draft } = await overview();
  assert.equal(current, 1, 'nothing was published');
  assert.equal(draft, null, 'nothing was saved');
});

test('stage names repeat only within one language: {QC, QC} is a name, two stages called QC are not', async () => {
  const save = (stages) => worker.as(admin, '/api/admin/process/draft', { method: 'PUT', json: { base_version: 1, stages } });
  const stages = await currentStages();
  stages[5].name = { zh: 'QC', en: 'QC' };
  stages[4].name = { zh: 'Delivery', en: '发货' };
  stages[3].name = { zh: '发货', en: 'Delivery' };
  const saved = await save(stages);
  assert.equal(saved.status, 200, saved.text);
  assert.deepEqual((await overview()).draft.stages[5].name, { zh: 'QC', en: 'QC' });
  stages[2].name.zh = 'QC';
  assert.equal(assertApiError(await save(stages), 422, 'invalid').field, 'stages[5].name');
  stages[2].name = { zh: '下单', en: 'Delivery' };
  assert.equal(assertApiError(await save(stages), 422, 'invalid').field, 'stages[3].name');
});

test('a misspelt field in a stage, its texts or its checklist is refused naming it, not ignored', async () => {
  const cases = [
    ['requried', (s) => { s[0].checklist[0].requried = true; }],
    ['skipable', (s) => { s[1].skipable = false; }],
    ['fr', (s) => { s[2].name.fr = 'Commande'; }],
    ['ja', (s) => { s[0].checklist[0].label.ja = '記録'; }],
  ];
  for (const [key, spoil] of cases) {
    const stages = await currentStages();
    spoil(stages);
    for (const path of ['/api/admin/process/draft', '/api/admin/process/publish']) {
      const method = path.endsWith('draft') ? 'PUT' : 'POST';
      const response = await worker.as(admin, path, { method, json: { base_version: 1, stages, note: key } });
      const error = assertApiError(response, 400, 'malformed_json');
      assert.equal(error.message, `请求中有无法识别的字段“${key}”（是否拼写错误？），没有保存任何内容`, `${path}: ${response.text}`);
      assert.equal(error.field, key);
    }
  }
  assert.equal((await overview()).current, 1, 'nothing was published');
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

  // A stage the current version still has keeps its orders: mapping it (back or forward) is refused.
  for (const [kept, to] of [['delivery', 'requirement'], ['requirement', 'delivery']]) {
    for (const path of ['/api/admin/process/preview', '/api/admin/process/migrate']) {
      const refused = await worker.as(admin, path, { json: { mapping: { contract: 'order_entry', [kept]: to } } });
      const error = assertApiError(refused, 422, 'invalid');
      assert.equal(error.field, `mapping.${kept}`, path);
      assert.match(error.message, /仍在当前流程中/);
    }
  }

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
  // The same migration sent again (a retry after a lost answer) has nothing left to move.
  const resent = await worker.as(admin, '/api/admin/process/migrate', { json: { mapping } });
  assert.equal(resent.status, 200, resent.text);
  assert.deepEqual(resent.json, { to_version: 3, moved: 0, remaining: 0 });
  assert.equal(assertApiError(await worker.as(admin, '/api/admin/process/migrate', { json: { mapping: { contrakt: 'order_entry' } } }), 422, 'invalid').field, 'mapping.contrakt');
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

test('publishing or restoring what is already current is refused as nothing changed', async () => {
  const { versions } = await overview();
  const current = versions.at(-1);
  const attempts = [
    ['/api/admin/process/publish', { base_version: current.number, stages: current.stages, archived: current.archived, note: '再发一次' }],
    ['/api/admin/process/restore', { version: current.number, base_version: current.number }],
    // Version 4 is a copy of version 1: restoring 1 again changes nothing either.
    ['/api/admin/process/restore', { version: 1, base_version: current.number }],
  ];
  for (const [path, json] of attempts) {
    const error = assertApiError(await worker.as(admin, path, { json }), 422, 'invalid');
    assert.match(error.message, /没有改动/, path);
    assert.match(error.message_en, /Nothing changed/, path);
  }
  assert.equal((await overview()).current, current.number, 'nothing was published');
  const restoreUnknownBase = await worker.as(admin, '/api/admin/process/restore', { json: { version: 1, base_version: 999 } });
  assert.equal(assertApiError(restoreUnknownBase, 422, 'invalid').field, 'base_version');
});
