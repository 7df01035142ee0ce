// The board summary and the customer lookup, against the demo orders of domain/src/demo.rs.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HAN, api, assertApiError, boardSummary, ensureDemoData } from '../support/api.mjs';
import { assertCustomerShape, keyPaths } from '../support/track.mjs';

const STAGE_IDS = ['requirement', 'contract', 'order_entry', 'production', 'delivery', 'after_sales'];

// Demo orders (domain/src/demo.rs has fixed numbers GD-DEMO-NNN), with things a customer must
// never be shown: the contact's full phone and name, address, amounts, internal notes,
// cancellation reasons, staff ids and the internal order id. (What was ordered — products and
// quantities, never prices — is theirs to see: issue 20.)
const SHIPPED = {
  number: 'GD-DEMO-008', // in "delivery", shipped with SF Express, invoice pending
  digits: '8899',
  company: '青岛海昌水产有限公司',
  product: '冷链保温箱',
  secrets: ['15063218899', '于海涛', '16800', 'u-wangfang', 'u-zhangwei', '6a1f3c2e-8d4b-4e07-9c51-00000000d008'],
};
const IN_PRODUCTION = {
  number: 'GD-DEMO-007', // in "production", with an internal note and an address
  digits: '7733',
  company: '成都天府食品有限公司',
  secrets: ['13541287733', '杨雪', '郫都区', '3260000', '32600', '储罐封头已到货', 'u-liuyang', '6a1f3c2e-8d4b-4e07-9c51-00000000d007'],
};
const COMPLETED = { number: 'GD-DEMO-011', digits: '7788', company: '上海浦江包装材料有限公司' };
const CANCELLED = {
  number: 'GD-DEMO-012',
  digits: '5566',
  company: '天津滨海化工有限公司',
  secrets: ['13602035566', '马俊', '客户预算调整', '项目暂停', '365000'],
};

// Every key path a CustomerView may contain (domain/src/customer_view.rs).
const VIEW_PATHS = [
  'order_number',
  'company',
  'status',
  'stages',
  'stages[].label',
  'stages[].reached_on',
  'stages[].state',
  'current_message',
  'expected_delivery',
  // What was ordered, without prices (issue 20); the demo lines have no unit.
  'items',
  'items[].product',
  'items[].quantity',
  'shipment',
  'shipment.carrier',
  'shipment.tracking_no',
  'shipment.shipped_on',
  'sales_contact',
  'sales_contact.name',
  'sales_contact.phone',
  // Feedback (issue 6): GD-DEMO-008 is shipped, so feedback is open, with none given yet.
  'feedback_open',
  'feedback',
  'after_sales',
  // Photos and files (issue 16): empty for a lookup by number + digits, always.
  'attachments',
  // Beside the view: the signed token for the follow-up actions (rating, after-sales).
  'access',
  'access.token',
  'access.expires_at',
].sort();
const DATE = /^\d{4}-\d{2}-\d{2}$/;


const lookup = (order, extra = {}) =>
  api('/api/track/lookup', { json: { order_number: order.number, phone_last4: order.digits, ...extra } });

async function view(order, extra = {}) {
  const response = await lookup(order, extra);
  assert.equal(response.status, 200, `${order.number}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  return response;
}

function assertOnlyCustomerFields(json) {
  assertCustomerShape(json, { withAccess: true });
}

function assertLeaksNothing(text, secrets) {
  for (const secret of secrets) {
    assert.ok(!text.toLowerCase().includes(secret.toLowerCase()), `the customer must not see ${JSON.stringify(secret)}`);
  }
}

before(async () => {
  await ensureDemoData();
});

test('the board summary lists the six stages in pipeline order with consistent counts', async () => {
  const { status, json, text } = await boardSummary();
  assert.equal(status, 200, text);
  assert.deepEqual(json.stages.map((stage) => stage.stage), STAGE_IDS);
  for (const stage of json.stages) {
    assert.deepEqual(Object.keys(stage).sort(), ['active_orders', 'stage']);
    assert.ok(Number.isInteger(stage.active_orders) && stage.active_orders >= 0, JSON.stringify(stage));
  }
  const sum = json.stages.reduce((total, stage) => total + stage.active_orders, 0);
  assert.equal(json.total_active, sum);
});

test('the board summary is team data: no token or a forged one gets 401 and no counts', async () => {
  for (const headers of [{}, { authorization: 'Bearer forged-token-0000' }]) {
    const response = await api('/api/board/summary', { headers });
    assertApiError(response, 401, 'unauthorized');
    assert.equal(response.json.stages, undefined);
  }
});

test('with the demo data loaded every stage has at least one active order', async () => {
  const { json } = await boardSummary();
  for (const stage of json.stages) {
    assert.ok(stage.active_orders >= 1, `stage ${stage.stage} has no active demo order`);
  }
});

test('loading the demo data a second time inserts nothing and changes no count or data version', async () => {
  const summaryBefore = (await boardSummary()).json;
  const versionBefore = (await api('/api/health')).json.data_version;
  const again = await ensureDemoData();
  assert.deepEqual(again, { inserted: 0, already_had_orders: true });
  assert.deepEqual((await boardSummary()).json, summaryBefore);
  assert.equal((await api('/api/health')).json.data_version, versionBefore);
});

test('a customer with the order number and phone digits sees the order and its six stages', async () => {
  const { json } = await view(SHIPPED);
  assert.equal(json.order_number, SHIPPED.number);
  assert.equal(json.company, SHIPPED.company);
  assert.equal(json.status, 'in_progress');
  assert.equal(json.stages.length, 6);
  // Shipping is the fifth stage: four done, shipping current, after-sales still to come.
  assert.deepEqual(json.stages.map((stage) => stage.state), ['done', 'done', 'done', 'done', 'current', 'upcoming']);
  for (const stage of json.stages) {
    assert.equal(typeof stage.label, 'string');
    assert.match(stage.label, HAN, 'Chinese is the default language');
    if (stage.state === 'upcoming') assert.equal(stage.reached_on, null);
    else assert.match(stage.reached_on, DATE);
  }
  const reached = json.stages.map((stage) => stage.reached_on).filter(Boolean);
  assert.deepEqual([...reached].sort(), reached, 'stages were reached in order');
  assert.ok(json.current_message.length > 0);
  assert.match(json.expected_delivery, DATE);
  assert.ok(json.shipment.carrier.length > 0);
  assert.ok(json.shipment.tracking_no.length > 0);
  assert.match(json.shipment.shipped_on, DATE);
  assert.ok(json.sales_contact.name.length > 0);
});

test('the customer view has exactly the customer fields at every level', async () => {
  const { json } = await view(SHIPPED);
  assert.deepEqual([...keyPaths(json)].sort(), VIEW_PATHS);
  for (const order of [IN_PRODUCTION, COMPLETED, CANCELLED]) {
    assertOnlyCustomerFields((await view(order)).json);
  }
});

test('the customer sees what was ordered, without prices', async () => {
  const { json } = await view(SHIPPED);
  assert.ok(json.items.length > 0);
  assert.ok(json.items.some((item) => item.product.startsWith(SHIPPED.product) && item.quantity > 0), JSON.stringify(json.items));
  for (const item of json.items) assert.deepEqual(Object.keys(item).filter((k) => !['product', 'quantity', 'unit'].includes(k)), []);
  // The customer's page lists them too.
  const page = await api(`/t/${json.access.token}`);
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, new RegExp(`${SHIPPED.product}[^<]* × \\d+`));
});

test('the customer never sees the contact phone, amounts, notes, staff ids or the cancellation reason', async () => {
  for (const order of [SHIPPED, IN_PRODUCTION, CANCELLED]) {
    for (const lang of ['zh', 'en']) {
      assertLeaksNothing((await view(order, { lang })).text, order.secrets);
    }
  }
});

test('a completed order shows every stage done and a cancelled one says it is cancelled', async () => {
  const completed = (await view(COMPLETED)).json;
  assert.equal(completed.company, COMPLETED.company);
  assert.equal(completed.status, 'completed');
  assert.deepEqual(completed.stages.map((stage) => stage.state), Array(6).fill('done'));

  const cancelled = (await view(CANCELLED)).json;
  assert.equal(cancelled.company, CANCELLED.company);
  assert.equal(cancelled.status, 'cancelled');
  assert.match(cancelled.current_message, /取消/);
  assert.match((await view(CANCELLED, { lang: 'en' })).json.current_message, /cancel/i);
});

test('wrong phone digits and an unknown order number get the very same answer', async () => {
  const wrongDigits = await lookup({ ...SHIPPED, digits: '0000' });
  const otherOrdersDigits = await lookup({ ...SHIPPED, digits: IN_PRODUCTION.digits });
  const unknownNumber = await lookup({ number: 'GD-DEMO-999', digits: SHIPPED.digits });
  assertApiError(unknownNumber, 404, 'order_not_found');
  for (const response of [wrongDigits, otherOrdersDigits]) {
    assert.equal(response.status, unknownNumber.status);
    assert.equal(response.text, unknownNumber.text);
    assert.equal(response.headers.get('content-type'), unknownNumber.headers.get('content-type'));
  }
});

test('order numbers are matched case-insensitively', async () => {
  for (const typed of [SHIPPED.number.toLowerCase(), 'Gd-Demo-008']) {
    const { json } = await view({ ...SHIPPED, number: typed });
    assert.equal(json.order_number, SHIPPED.number, 'the answer shows the number as stored');
    assert.equal(json.company, SHIPPED.company);
  }
});

test('asking in English gives English stage labels and message for the same progress', async () => {
  const zh = (await view(SHIPPED)).json;
  const en = (await view(SHIPPED, { lang: 'en' })).json;
  assert.equal(en.stages.length, 6);
  for (const [index, stage] of en.stages.entries()) {
    assert.ok(stage.label.length > 0);
    assert.doesNotMatch(stage.label, HAN, `English label: ${stage.label}`);
    assert.notEqual(stage.label, zh.stages[index].label);
    assert.equal(stage.state, zh.stages[index].state);
    assert.equal(stage.reached_on, zh.stages[index].reached_on);
  }
  assert.match(en.stages.find((stage) => stage.state === 'current').label, /ship/i);
  assert.doesNotMatch(en.current_message, HAN);
  assert.ok(en.current_message.length > 0);
  // Customer data is not translated.
  assert.equal(en.company, zh.company);
  assert.deepEqual(en.shipment, zh.shipment);
});
