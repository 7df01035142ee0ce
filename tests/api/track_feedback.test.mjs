// A customer rates an order and files after-sales requests through a token, against demo order
// GD-DEMO-010 (in 售后服务, contact 郭磊, phone ending 2233; no other test touches it). The
// change lands like any team change: the order's document and version, the audit trail, and
// the team's sync pull.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  DEMO_PASSWORD, DEMO_SALES, api, assertApiError, bearer, d1, ensureDemoData, signIn,
  pullEveryOrder,
} from '../support/api.mjs';
import { assertCustomerShape, readToken } from '../support/track.mjs';

const AFTER_SALES = { number: 'GD-DEMO-010', digits: '2233' };
const IN_PRODUCTION = { number: 'GD-DEMO-007', digits: '7733' };
const XSS_COMMENT = '<script>alert("评价")</script><img src=x onerror=alert(1)> 很好 & "快"';
const XSS_DESCRIPTION = '第二箱破损\n<b onmouseover="alert(2)">看图</b>';

let token;
let orderId;

const lookup = (order) => api('/api/track/lookup', { json: { order_number: order.number, phone_last4: order.digits } });
const rate = (json, t = token) => api(`/api/track/t/${t}/rating`, { json });
const fileRequest = (json, t = token) => api(`/api/track/t/${t}/after-sales`, { json });
const dataVersion = async () => (await api('/api/health')).json.data_version;

before(async () => {
  await ensureDemoData();
  const answer = await lookup(AFTER_SALES);
  assert.equal(answer.status, 200, answer.text);
  token = answer.json.access.token;
  orderId = readToken(token).orderId;
  assert.equal(answer.json.feedback_open, true, 'an order in 售后服务 is open for feedback');
  assert.equal(answer.json.feedback, null);
});

test('a rating lands once in the order, its audit trail and a new data version; a repeat changes nothing', async () => {
  const versionBefore = await dataVersion();
  const answer = await rate({ stars: 4, comment: XSS_COMMENT });
  assert.equal(answer.status, 200, answer.text);
  assertCustomerShape(answer.json, { withAccess: false });
  assert.equal(answer.json.feedback.stars, 4);
  assert.equal(answer.json.feedback.comment, XSS_COMMENT, 'stored verbatim; escaping is the page\'s job');
  assert.match(answer.json.feedback.given_on, /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(new Date(answer.json.feedback.editable_until) > new Date(Date.now() + 6.9 * 24 * 3600_000));

  const versionAfter = await dataVersion();
  assert.equal(versionAfter, versionBefore + 1);
  const [row] = await d1(`SELECT version, json_extract(doc, '$.feedback.stars') AS stars FROM orders WHERE id = '${orderId}'`);
  assert.deepEqual(row, { version: versionAfter, stars: 4 });
  const events = await d1(`SELECT actor_id, kind, device_id FROM order_events WHERE order_id = '${orderId}' AND kind = 'feedback_given'`);
  assert.deepEqual(events, [{ actor_id: 'customer', kind: 'feedback_given', device_id: null }]);

  // The customer page shows it as text, never as markup.
  const html = await (await fetch(`${process.env.BASE_URL}/t/${token}`)).text();
  assert.ok(!html.includes('<script>alert') && !html.includes('<img src=x'), 'no live markup from the comment');
  assert.ok(html.includes('&lt;script&gt;alert(&quot;评价&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; 很好 &amp; &quot;快&quot;'));

  // The same rating again (a double tap): answered, not written twice.
  const again = await rate({ stars: 4, comment: XSS_COMMENT });
  assert.equal(again.status, 200, again.text);
  assert.equal(await dataVersion(), versionAfter);
});

test('the team pulls the rating with its next sync, with the customer named in the history', async () => {
  const session = await signIn(DEMO_SALES.login, DEMO_PASSWORD);
  const order = (await pullEveryOrder(session.token)).get(orderId);
  assert.equal(order.feedback.stars, 4);
  const event = order.history.find((e) => e.kind.type === 'feedback_given');
  assert.equal(event.actor.user_id, 'customer');
  assert.equal(event.actor.name, '客户 郭磊');
});

test('the rating can be changed within 7 days, and no longer on the 8th day', async () => {
  const changed = await rate({ stars: 5, comment: '问题已解决' });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(changed.json.feedback.stars, 5);
  assert.equal(changed.json.feedback.comment, '问题已解决');
  const kinds = await d1(`SELECT payload FROM order_events WHERE order_id = '${orderId}' AND kind = 'feedback_given' ORDER BY id`);
  assert.deepEqual(kinds.map((row) => JSON.parse(row.payload).edited), [false, true]);

  // Arrange: the rating was given 8 days ago (the server's clock cannot be moved; its data can).
  const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600_000).toISOString();
  await d1(`UPDATE orders SET doc = json_set(doc, '$.feedback.given_at', '${eightDaysAgo}') WHERE id = '${orderId}'`);
  const view = await api(`/api/track/t/${token}`);
  assert.equal(view.json.feedback.editable_until, null, 'the customer is told it can no longer be changed');
  const late = await rate({ stars: 1, comment: '改主意了' });
  const error = assertApiError(late, 422, 'invalid');
  assert.equal(error.field, 'stars');
  assert.match(error.message, /7 天后不能再修改/);
  assert.equal((await api(`/api/track/t/${token}`)).json.feedback.stars, 5);
});

test('an after-sales request is filed once however often it is sent, and listed for the customer', async () => {
  const requestId = randomUUID();
  const body = { request_id: requestId, kind: 'quality', description: XSS_DESCRIPTION, contact: '郭先生 13701112233' };
  const versionBefore = await dataVersion();
  const [first, second] = await Promise.all([fileRequest(body), fileRequest(body)]);
  for (const answer of [first, second]) {
    assert.equal(answer.status, 200, answer.text);
    assertCustomerShape(answer.json, { withAccess: false });
  }
  const third = await fileRequest(body);
  assert.equal(third.json.after_sales.length, 1);
  assert.deepEqual(Object.keys(third.json.after_sales[0]).sort(), ['description', 'kind', 'kind_label', 'resolved_on', 'submitted_on']);
  assert.equal(third.json.after_sales[0].description, XSS_DESCRIPTION);
  assert.equal(third.json.after_sales[0].kind_label, '质量问题');
  assert.equal(third.json.after_sales[0].resolved_on, null);
  assert.equal(await dataVersion(), versionBefore + 1, 'one write for three sends');
  const events = await d1(`SELECT COUNT(*) AS n FROM order_events WHERE order_id = '${orderId}' AND kind = 'after_sales_requested'`);
  assert.equal(events[0].n, 1);
  // The contact the customer typed is for the team: it is not echoed to whoever holds the link.
  assert.ok(!third.text.includes('13701112233'));
});

test('bad after-sales input is refused with the field and changes nothing', async () => {
  const versionBefore = await dataVersion();
  const empty = await fileRequest({ request_id: randomUUID(), kind: 'delivery', description: '   ', contact: '郭先生' });
  assert.equal(assertApiError(empty, 422, 'invalid').field, 'description');
  const badKind = await fileRequest({ request_id: randomUUID(), kind: 'refund_now', description: 'x', contact: 'y' });
  assertApiError(badKind, 400, 'malformed_json');
  const extra = await rate({ stars: 3, comment: '', order_id: orderId });
  assertApiError(extra, 400, 'malformed_json');
  assert.equal(await dataVersion(), versionBefore);
});

test('an order that has not shipped cannot be rated yet', async () => {
  const { json } = await lookup(IN_PRODUCTION);
  assert.equal(json.feedback_open, false);
  const refused = await rate({ stars: 5, comment: '' }, json.access.token);
  assert.equal(assertApiError(refused, 422, 'invalid').field, 'status');
});

test('the customer page shows the request escaped, never as markup', async () => {
  const html = await (await fetch(`${process.env.BASE_URL}/t/${token}`)).text();
  assert.ok(!html.includes('<b onmouseover'), 'no live markup from the description');
  assert.ok(html.includes('&lt;b onmouseover=&quot;alert(2)&quot;&gt;看图&lt;/b&gt;'), 'the description, escaped');
  assert.ok(html.includes('问题已解决'));
  assert.match(html, /data-testid="after-sales-list"/);
});
