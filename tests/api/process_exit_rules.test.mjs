// The last rules of the process editor: a stage may require order fields before an order
// leaves it (amount, delivery date, address, email), and may refuse being skipped. Publishing
// them, bad input naming the field (nothing published), and pushes that break them rejected
// with a reason. A private worker: publishing changes the process for later tests of it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  DEMO_ADMIN,
  DEMO_SALES,
  HAN,
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

async function push(token, mutations) {
  const now = new Date().toISOString();
  const response = await worker.as(token, '/api/sync/push', {
    json: { device_id: randomUUID(), mutations: mutations.map((mutation, i) => ({ seq: i + 1, mutation, device_time: now })) },
  });
  assert.equal(response.status, 200, response.text);
  return response.json;
}

async function pulled(token, id) {
  const device = randomUUID();
  for (let cursor = 0, more = true; more; ) {
    const page = await worker.as(token, `/api/sync/pull?device_id=${device}&cursor=${cursor}&limit=1000`);
    assert.equal(page.status, 200, page.text.slice(0, 300));
    const found = page.json.orders.find((order) => order.id === id);
    if (found) return found;
    cursor = page.json.cursor;
    more = page.json.more;
  }
  return undefined;
}

const REQUIREMENT_ITEMS = ['record_needs', 'confirm_quantity_spec', 'confirm_delivery_date'];
const tickRequirement = (id) =>
  REQUIREMENT_ITEMS.map((item) => ({ type: 'set_checklist_item', order_id: id, stage: 'requirement', item, done: true }));

/// An order created before anything is published: version 1, which had neither rule.
const V1_ORDER = randomUUID();

test('an unknown or repeated required field is refused naming it, and nothing is published', async () => {
  const created = await push(sales, [createOrderMutation(V1_ORDER, { company: '杭州旧规则测试有限公司' })]);
  assert.deepEqual(created.rejected, []);
  const cases = [
    [['amount', 'colour'], 'stages[1].required_fields[1]', /colour/],
    [['amount', 'amount'], 'stages[1].required_fields', HAN],
  ];
  for (const [fields, field, names] of cases) {
    const stages = structuredClone((await overview()).versions.at(-1).stages);
    stages[1].required_fields = fields;
    for (const [method, path] of [['PUT', '/api/admin/process/draft'], ['POST', '/api/admin/process/publish']]) {
      const response = await worker.as(admin, path, { method, json: { base_version: 1, stages, note: '坏输入' } });
      assert.equal(response.status, 422, `${path}: ${response.text.slice(0, 300)}`);
      assert.equal(response.json.error.field, field);
      assert.match(response.json.error.message, names);
    }
  }
  const { current, draft } = await overview();
  assert.equal(current, 1);
  assert.equal(draft, null);
});

test('an admin publishes 合同签订 needing the amount and delivery date and unskippable; the version says so', async () => {
  const stages = structuredClone((await overview()).versions.at(-1).stages);
  const contract = stages.find((s) => s.id === 'contract');
  contract.required_fields = ['amount', 'expected_delivery'];
  contract.skippable = false;
  const published = await worker.as(admin, '/api/admin/process/publish', { json: { base_version: 1, stages, note: '合同必须有金额和交期' } });
  assert.equal(published.status, 201, published.text);
  const stored = published.json.version.stages.find((s) => s.id === 'contract');
  assert.deepEqual(stored.required_fields, ['amount', 'expected_delivery']);
  assert.equal(stored.skippable, false);
  // Other stages were stored as before: no rule, so nothing written for them.
  const requirement = published.json.version.stages.find((s) => s.id === 'requirement');
  assert.equal(requirement.required_fields, undefined);
  assert.equal(requirement.skippable, undefined);
  assert.equal((await overview()).current, 2);
});

test('a push that leaves 合同签订 without the delivery date is rejected naming it; filled in, it moves on', async () => {
  const id = randomUUID();
  const moves = await push(sales, [
    createOrderMutation(id, { company: '杭州交期测试有限公司' }),
    ...tickRequirement(id),
    { type: 'advance_stage', order_id: id, from: 'requirement', to: 'contract', reason: null },
    { type: 'advance_stage', order_id: id, from: 'contract', to: 'order_entry', reason: '客户催得急' },
  ]);
  assert.equal(moves.rejected.length, 1, JSON.stringify(moves.rejected));
  const [rejection] = moves.rejected;
  assert.equal(rejection.code, 'missing_order_fields');
  assert.equal(rejection.message, '离开“合同签订”前请先填写：预计交付日期');
  assert.match(rejection.message_en, /delivery date/);
  assert.equal((await pulled(sales, id)).stage, 'contract');

  const filled = await push(sales, [
    { type: 'edit_fields', order_id: id, changes: { expected_delivery: '2026-12-30' } },
    { type: 'advance_stage', order_id: id, from: 'contract', to: 'order_entry', reason: '清单未做完' },
  ]);
  assert.deepEqual(filled.rejected, []);
  assert.equal((await pulled(sales, id)).stage, 'order_entry');
});

test('jumping over 合同签订 is rejected naming it; an order started on version 1 still may', async () => {
  const id = randomUUID();
  const jump = await push(sales, [
    createOrderMutation(id, { company: '杭州跳过测试有限公司' }),
    ...tickRequirement(id),
    { type: 'advance_stage', order_id: id, from: 'requirement', to: 'order_entry', reason: '合同线下已签' },
  ]);
  assert.equal(jump.rejected.length, 1, JSON.stringify(jump.rejected));
  assert.equal(jump.rejected[0].code, 'stage_not_skippable');
  assert.equal(jump.rejected[0].message, '阶段“合同签订”不能跳过，请逐步推进');
  assert.equal((await pulled(sales, id)).stage, 'requirement');

  const old = await push(sales, [
    ...tickRequirement(V1_ORDER),
    { type: 'advance_stage', order_id: V1_ORDER, from: 'requirement', to: 'order_entry', reason: '合同线下已签' },
  ]);
  assert.deepEqual(old.rejected, []);
  const moved = await pulled(sales, V1_ORDER);
  assert.equal(moved.stage, 'order_entry');
  assert.equal(moved.process_version ?? 1, 1);
});
