// Issue 19 item 9: staff references a phone pushes (owner, stage responsible) are resolved
// against the active team: names come from the server, strangers are refused with a reason.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  DEMO_PASSWORD, DEMO_SALES, api, bearer, createOrderMutation, loadDemoData, pullEveryOrder, signIn,
} from '../support/api.mjs';

let sales;

before(async () => {
  await loadDemoData();
  sales = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
});

const create = (orderId, owner) => createOrderMutation(orderId, { company: '杭州冒名测试有限公司', owner });

test('an owner pushed under another name gets the real name; a made-up owner is refused', async () => {
  const device = randomUUID();
  const [a, b] = [randomUUID(), randomUUID()];
  const mutations = [
    create(a, { user_id: DEMO_SALES.id, name: '冒名顶替' }),
    create(b, { user_id: 'u-ghost', name: '幽灵' }),
  ].map((mutation, i) => ({ seq: i + 1, mutation, device_time: new Date().toISOString() }));
  const res = await api('/api/sync/push', { json: { device_id: device, mutations }, headers: bearer(sales) });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.last_seq, 2);
  assert.equal(res.json.rejected.length, 1);
  assert.equal(res.json.rejected[0].seq, 2);
  assert.match(res.json.rejected[0].message, /幽灵.*不是团队中的在职成员/);

  const orders = await pullEveryOrder(sales);
  assert.ok(!orders.has(b), 'the refused order does not exist');
  const order = orders.get(a);
  assert.deepEqual(order.owner, { user_id: DEMO_SALES.id, name: '王芳' });
});
