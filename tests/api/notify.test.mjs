// Notifications against real wrangler dev + local D1 and a real HTTP receiver on 127.0.0.1 that
// checks DingTalk / Feishu / generic-webhook signatures with its own implementation of each
// algorithm (node:crypto): the channel admin API (admins only, secrets never sent back, URLs
// validated), a customer notice queued by a sync push that enters a notify-the-customer stage
// and delivered once, and the cron's overdue digest with retries (receiver fails 3 times → one
// delivery). Time is moved through `POST /api/dev/notify/cron?time=` (the cron's own work at a
// given time; wrangler 4.86's `/__scheduled` takes no time and `/cdn-cgi/handler/scheduled`
// fails for workers-rs, see worker/src/notify/mod.rs); the real scheduled handler is run once
// through `/__scheduled`.
//
// A private worker (fresh D1) keeps the digest exact: the shared worker's D1 holds other
// tests' orders. Ports: worker NOTIFY_WORKER_PORT (8831), receiver NOTIFY_RECEIVER_PORT (8832).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { HAN, ROOT, assertApiError, bearer, d1, devHeaders, freshIp, startPrivateWorker } from '../support/api.mjs';

const WORKER_PORT = Number(process.env.NOTIFY_WORKER_PORT ?? 8831);
const RECEIVER_PORT = Number(process.env.NOTIFY_RECEIVER_PORT ?? 8832);
const PUBLIC_URL = 'https://gendan.example.com';
const SETUP_TOKEN = randomBytes(24).toString('base64url');
const DINGTALK_SECRET = `SEC${randomBytes(24).toString('hex')}`;
const FEISHU_SECRET = randomBytes(16).toString('base64url');
const WEBHOOK_SECRET = randomBytes(16).toString('hex');
const NOTICE_SECRET = randomBytes(16).toString('hex');
const DAY = 86_400_000;
const LEAKY_BODY = `internal dashboard ${randomBytes(6).toString('hex')}`;

// ---- the receiver ----------------------------------------------------------------------------

/// Every request the receiver got: {path, query, headers, raw, body, valid, ok}. `valid` is the
/// signature check's verdict (null where the channel signs nothing); `ok` whether it accepted.
const received = [];
let flakyFailuresLeft = 3;

const hmacBase64 = (key, message) => createHmac('sha256', key).update(message).digest('base64');

/// DingTalk 加签 as the receiver checks it: base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)),
/// timestamp in ms within an hour of now.
function dingtalkValid(query) {
  const timestamp = query.get('timestamp');
  const sign = query.get('sign');
  if (!timestamp || !sign || Math.abs(Date.now() - Number(timestamp)) > 3_600_000) return false;
  return sign === hmacBase64(DINGTALK_SECRET, `${timestamp}\n${DINGTALK_SECRET}`);
}

/// Feishu 签名校验: base64(HMAC-SHA256(key = `${timestamp}\n${secret}`, message = '')), seconds.
function feishuValid(body) {
  const { timestamp, sign } = body ?? {};
  if (typeof timestamp !== 'string' || typeof sign !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 3600) return false;
  return sign === hmacBase64(`${timestamp}\n${FEISHU_SECRET}`, '');
}

const webhookValid = (secret, headers, raw) =>
  headers['x-gendan-signature'] === `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

function answer(path, query, headers, raw, body) {
  // Feishu hooks carry their token as the last path segment.
  switch (path.startsWith('/feishu/') ? '/feishu' : path) {
    case '/dingtalk': {
      const valid = dingtalkValid(query);
      // DingTalk answers HTTP 200 with an error code when it refuses a message.
      return { valid, status: 200, reply: valid ? { errcode: 0, errmsg: 'ok' } : { errcode: 310000, errmsg: 'sign not match' } };
    }
    case '/feishu': {
      const valid = feishuValid(body);
      return { valid, status: 200, reply: valid ? { code: 0, msg: 'success', data: {} } : { code: 19021, msg: 'sign match fail' } };
    }
    case '/wecom':
      return { valid: null, status: 200, reply: body?.msgtype === 'markdown' ? { errcode: 0, errmsg: 'ok' } : { errcode: 40008 } };
    case '/webhook': {
      const valid = webhookValid(WEBHOOK_SECRET, headers, raw);
      return { valid, status: valid ? 200 : 401, reply: {} };
    }
    case '/notices': {
      const valid = webhookValid(NOTICE_SECRET, headers, raw);
      return { valid, status: valid ? 200 : 401, reply: {} };
    }
    case '/redirect':
      // Sends the POST on elsewhere, as an attacker's receiver would (to an internal host).
      return { valid: null, status: 307, reply: {}, headers: { location: `http://127.0.0.1:${RECEIVER_PORT}/redirected` } };
    case '/redirected':
      return { valid: null, status: 200, reply: {} };
    case '/leaky':
      return { valid: null, status: 500, reply: { error: LEAKY_BODY } };
    case '/flaky':
      // Only the digest meets the outage (a Monday's 周报 may arrive first and passes).
      if (flakyFailuresLeft > 0 && !isWeekly(raw)) {
        flakyFailuresLeft -= 1;
        return { valid: null, status: 500, reply: { error: 'gateway down' } };
      }
      return { valid: null, status: 200, reply: {} };
    default:
      return { valid: null, status: 404, reply: {} };
  }
}

let receiver;
function startReceiver() {
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, `http://127.0.0.1:${RECEIVER_PORT}`);
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const { valid, status, reply, headers } = answer(url.pathname, url.searchParams, req.headers, raw, body);
      received.push({ path: url.pathname, query: url.searchParams, headers: req.headers, raw, body, valid, ok: status === 200 && (reply.errcode ?? reply.code ?? 0) === 0 });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(reply));
    });
  });
  return new Promise((resolve, reject) => {
    receiver.once('error', reject);
    receiver.listen(RECEIVER_PORT, '127.0.0.1', resolve);
  });
}

/// 周报 (Monday from 09:00 China time) reach the same channels as digests; `at` leaves them out so
/// the digest tests count the same whatever weekday their times fall on, `weekliesAt` finds them.
const isWeekly = (raw) => raw.includes('跟单周报') || raw.includes('"kind":"weekly_summary"');
const at = (path) => received.filter((r) => r.path === path && !isWeekly(r.raw));
const weekliesAt = (path, title) => received.filter((r) => r.path === path && isWeekly(r.raw) && r.raw.includes(title));
const hook = (path, query = '') => `http://127.0.0.1:${RECEIVER_PORT}${path}${query}`;

/// Waits for the receiver to have `count` requests on `path` (a delivery made after the answer,
/// by `wait_until`), polling with a deadline instead of sleeping a guessed time.
async function waitForRequests(path, count, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (at(path).length < count) {
    if (Date.now() > deadline) assert.fail(`expected ${count} request(s) on ${path}, got ${at(path).length}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return at(path);
}

// ---- the worker, people, channels ------------------------------------------------------------

let worker;
let admin; // {token, user}
let sales; // 王芳 {token, user}, with a work phone
let liqiang; // another member, responsible for one stage
const channels = {}; // name → channel view

const call = (path, options) => worker.call(path, options);
const adminCall = (path, options = {}) => call(path, { ...options, headers: { ...bearer(admin.token), ...options.headers } });

async function signIn(login, password) {
  const response = await call('/api/auth/login', { json: { login, password }, headers: { 'cf-connecting-ip': freshIp() } });
  assert.equal(response.status, 200, response.text);
  return response.json;
}

async function member(name, roles, workPhone) {
  const login = `${randomBytes(5).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const response = await adminCall('/api/admin/users', { json: { name, login, password, roles, work_phone: workPhone } });
  assert.equal(response.status, 201, response.text);
  return signIn(login, password);
}

async function createChannel(json) {
  const response = await adminCall('/api/admin/notify/channels', { json });
  assert.equal(response.status, 201, response.text);
  return response.json.channel;
}

before(async () => {
  await startReceiver();
  worker = await startPrivateWorker({
    port: WORKER_PORT,
    // DEMO_DATA only enables the dev routes (the time-driven cron); no demo data is loaded.
    vars: { SETUP_TOKEN, NOTIFY_ALLOW_LOCAL_HTTP: 'enabled', PUBLIC_URL, DEMO_DATA: 'enabled' },
    args: ['--test-scheduled'],
  });
  const setup = await call('/api/auth/setup', {
    json: { name: '管理员', login: 'admin@example.com', password: 'admin-password-1' },
    headers: { 'x-setup-token': SETUP_TOKEN, 'cf-connecting-ip': freshIp() },
  });
  assert.equal(setup.status, 201, setup.text);
  admin = setup.json;
  sales = await member('王芳', ['sales'], '13857123456');
  liqiang = await member('李强', ['sales'], null);

  channels.wecom = await createChannel({ kind: 'wecom', name: '企业微信销售群', url: hook('/wecom', '?key=wecom-key-0123456789') });
  channels.dingtalk = await createChannel({ kind: 'dingtalk', name: '钉钉跟单群', url: hook('/dingtalk', '?access_token=ding-token-0123456789abcd'), secret: DINGTALK_SECRET });
  channels.feishu = await createChannel({ kind: 'feishu', name: '飞书跟单群', url: hook('/feishu/5e3d587e-d78e-4a07-bd07-265f269f86fd'), secret: FEISHU_SECRET });
  channels.webhook = await createChannel({ kind: 'webhook', name: '通用 Webhook', url: hook('/webhook'), secret: WEBHOOK_SECRET });
  channels.flaky = await createChannel({ kind: 'webhook', name: '不稳定的网关', url: hook('/flaky') });
  channels.notices = await createChannel({ kind: 'webhook', name: '短信网关', url: hook('/notices'), secret: NOTICE_SECRET, receives_digest: false, receives_customer_notices: true });
  channels.disabled = await createChannel({ kind: 'webhook', name: '已停用', url: hook('/disabled'), enabled: false });
});

after(async () => {
  await worker?.stop();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve()));
});

// The Feishu path segment is long enough to be masked; the receiver routes on its prefix.
const feishuPath = '/feishu/5e3d587e-d78e-4a07-bd07-265f269f86fd';

// ---- orders through sync ---------------------------------------------------------------------

const deviceId = randomUUID();
let nextSeq = 1;
const customer = { company: '杭州明远纺织有限公司', contact: '周建国', phone: '138 5710 1234', email: 'zhou@example.com', address: null };

async function push(token, mutations) {
  const numbered = mutations.map((mutation) => ({ seq: nextSeq++, mutation, device_time: new Date().toISOString() }));
  const response = await call('/api/sync/push', { json: { device_id: deviceId, mutations: numbered }, headers: bearer(token) });
  assert.equal(response.status, 200, response.text);
  assert.deepEqual(response.json.rejected, [], response.text);
}

const create = (orderId, number) => ({ type: 'create_order', order_id: orderId, number, customer, items: [], expected_delivery: null, owner: null, note: null, note_id: null });

/// Business date (China time) of an instant, and whole days between two such dates.
const businessDate = (ms) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
const daysBetween = (from, to) => Math.round((Date.parse(to) - Date.parse(from)) / DAY);
const addDays = (date, days) => new Date(Date.parse(date) + days * DAY).toISOString().slice(0, 10);

const orders = {
  late: { id: randomUUID(), number: `GD-LATE-${randomBytes(2).toString('hex')}` },
  handedOver: { id: randomUUID(), number: `GD-HAND-${randomBytes(2).toString('hex')}` },
  notYetDue: { id: randomUUID(), number: `GD-OK-${randomBytes(2).toString('hex')}` },
  contract: { id: randomUUID(), number: `GD-CTR-${randomBytes(2).toString('hex')}` },
};
let createdOn; // business date the orders were created (and entered their stages)

// ---- tests -----------------------------------------------------------------------------------

test('channel admin API is for admins only', async () => {
  const asSales = (path, options = {}) => call(path, { ...options, headers: bearer(sales.token) });
  assertApiError(await asSales('/api/admin/notify/channels'), 403, 'forbidden');
  assertApiError(await asSales('/api/admin/notify/channels', { json: { kind: 'webhook', name: 'x', url: 'https://example.com/x' } }), 403, 'forbidden');
  assertApiError(await asSales(`/api/admin/notify/channels/${channels.webhook.id}`, { method: 'PATCH', json: { name: 'x' } }), 403, 'forbidden');
  assertApiError(await asSales(`/api/admin/notify/channels/${channels.webhook.id}`, { method: 'DELETE' }), 403, 'forbidden');
  assertApiError(await asSales(`/api/admin/notify/channels/${channels.webhook.id}/test`, { method: 'POST' }), 403, 'forbidden');
  assertApiError(await asSales('/api/admin/notify/outbox'), 403, 'forbidden');
  assertApiError(await call('/api/admin/notify/channels'), 401, 'unauthorized');
});

test('bad channel input is refused with 400 and a Chinese + English message naming the field', async () => {
  const bad = async (json, field) => {
    const error = assertApiError(await adminCall('/api/admin/notify/channels', { json }), 400, 'invalid_channel');
    assert.equal(error.field, field);
    assert.match(error.message, HAN);
    assert.ok(error.message_en.length > 0);
  };
  await bad({ kind: 'dingtalk', name: '钉钉', url: 'http://oapi.dingtalk.com/robot/send?access_token=x' }, 'url');
  await bad({ kind: 'webhook', name: '内网', url: 'http://10.0.0.5/hook' }, 'url');
  await bad({ kind: 'webhook', name: '文件', url: 'ftp://example.com/hook' }, 'url');
  await bad({ kind: 'webhook', name: '乱写', url: 'not a url' }, 'url');
  await bad({ kind: 'webhook', name: '带密码', url: 'https://user:pw@example.com/hook' }, 'url');
  await bad({ kind: 'slack', name: 'Slack', url: 'https://hooks.slack.com/x' }, 'kind');
  await bad({ kind: 'webhook', name: '', url: 'https://example.com/hook' }, 'name');
  await bad({ kind: 'wecom', name: '企业微信', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', secret: 'abc' }, 'secret');
  await bad({ kind: 'dingtalk', name: '钉钉', url: 'https://oapi.dingtalk.com/robot/send?access_token=x', receives_customer_notices: true }, 'receives_customer_notices');
  const patch = await adminCall(`/api/admin/notify/channels/${channels.webhook.id}`, { method: 'PATCH', json: { url: 'http://example.com/hook' } });
  assertApiError(patch, 400, 'invalid_channel');
  assertApiError(await adminCall('/api/admin/notify/channels/ch-nope', { method: 'PATCH', json: { name: 'x' } }), 404, 'channel_not_found');
});

test('channel secrets and full webhook URLs never appear in an answer', async () => {
  const secrets = [DINGTALK_SECRET, FEISHU_SECRET, WEBHOOK_SECRET, NOTICE_SECRET, 'ding-token-0123456789abcd', 'wecom-key-0123456789', '5e3d587e-d78e-4a07-bd07-265f269f86fd'];
  const list = await adminCall('/api/admin/notify/channels');
  assert.equal(list.status, 200, list.text);
  // A PATCH that leaves `secret` out keeps it.
  const renamed = await adminCall(`/api/admin/notify/channels/${channels.dingtalk.id}`, { method: 'PATCH', json: { name: '钉钉跟单群（改名）' } });
  assert.equal(renamed.status, 200, renamed.text);
  assert.equal(renamed.json.channel.has_secret, true);
  assert.equal(renamed.json.channel.name, '钉钉跟单群（改名）');
  for (const response of [list, renamed, ...Object.values(channels).map((c) => ({ text: JSON.stringify(c) }))]) {
    for (const secret of secrets) assert.ok(!response.text.includes(secret), `an answer contains ${secret}: ${response.text}`);
  }
  const keys = ['created_at', 'enabled', 'has_secret', 'id', 'kind', 'name', 'receives_customer_notices', 'receives_digest', 'updated_at', 'url'];
  for (const channel of list.json.channels) assert.deepEqual(Object.keys(channel).sort(), keys);
  const byName = Object.fromEntries(list.json.channels.map((c) => [c.id, c]));
  assert.equal(byName[channels.dingtalk.id].url, `http://127.0.0.1:${RECEIVER_PORT}/dingtalk?access_token=…abcd`);
  assert.equal(byName[channels.feishu.id].url, `http://127.0.0.1:${RECEIVER_PORT}/feishu/…86fd`);
  assert.deepEqual(
    list.json.channels.map((c) => [c.kind, c.has_secret]).sort(),
    [['dingtalk', true], ['feishu', true], ['webhook', false], ['webhook', false], ['webhook', true], ['webhook', true], ['wecom', false]],
  );
  // The stored rows do hold them (the sender needs them).
  const [row] = await d1(`SELECT secret FROM notify_channels WHERE id = '${channels.dingtalk.id}'`, worker.persistDir);
  assert.equal(row.secret, DINGTALK_SECRET);
});

test('"send test message" delivers a signed test message at once and reports it sent', async () => {
  const response = await adminCall(`/api/admin/notify/channels/${channels.dingtalk.id}/test`, { method: 'POST' });
  assert.equal(response.status, 200, response.text);
  assert.equal(response.json.message.status, 'sent', response.text);
  assert.equal(response.json.message.kind, 'test');
  assert.equal(response.json.message.attempts, 1);
  const [delivery] = at('/dingtalk');
  assert.equal(delivery.valid, true, 'the DingTalk signature verifies');
  assert.equal(delivery.body.msgtype, 'markdown');
  assert.match(delivery.body.markdown.text, /测试消息/);
  assert.equal(delivery.query.get('access_token'), 'ding-token-0123456789abcd');
  for (const secret of [DINGTALK_SECRET, 'ding-token-0123456789abcd']) assert.ok(!response.text.includes(secret));
  received.length = 0;
});

test('entering a stage that notifies the customer queues a notice in the push and delivers it once', async () => {
  createdOn = businessDate(Date.now());
  const { late, handedOver, notYetDue, contract } = orders;
  await push(sales.token, [
    create(late.id, late.number),
    create(handedOver.id, handedOver.number),
    { type: 'set_stage_responsible', order_id: handedOver.id, stage: 'requirement', responsible: { user_id: liqiang.user.id, name: '李强' } },
    create(notYetDue.id, notYetDue.number),
    { type: 'set_due_date', order_id: notYetDue.id, stage: 'requirement', due: addDays(createdOn, 30) },
    create(contract.id, contract.number),
  ]);
  // Nothing entered a notify-the-customer stage yet (requirement does not notify).
  assert.deepEqual(await d1("SELECT COUNT(*) AS n FROM notify_outbox WHERE kind = 'customer_notice'", worker.persistDir), [{ n: 0 }]);

  await push(sales.token, [{ type: 'advance_stage', order_id: contract.id, from: 'requirement', to: 'contract', reason: '客户已确认需求' }]);
  const [notice] = await waitForRequests('/notices', 1);
  assert.equal(notice.valid, true, 'the X-Gendan-Signature verifies');
  assert.equal(notice.headers['idempotency-key'], `notice:${contract.id}:contract:1:${channels.notices.id}`);
  assert.equal(notice.body.kind, 'customer_notice');
  assert.equal(notice.body.number, contract.number);
  assert.equal(notice.body.company, customer.company);
  assert.equal(notice.body.contact, customer.contact);
  assert.equal(notice.body.phone, customer.phone);
  assert.equal(notice.body.email, customer.email);
  assert.equal(notice.body.stage_label, '签订合同');
  assert.match(notice.body.message, /合同/);
  // The customer's link is the signed share link: it opens this very order without the phone digits.
  assert.ok(notice.body.track_link.startsWith(`${PUBLIC_URL}/t/`), notice.body.track_link);
  const token = notice.body.track_link.slice(`${PUBLIC_URL}/t/`.length);
  const opened = await fetch(`${worker.url}/api/track/t/${token}`);
  assert.equal(opened.status, 200);
  assert.equal((await opened.json()).order_number, contract.number);
  assert.match(notice.body.text, new RegExp(`${contract.number}.*签订合同`));

  // The row was written with the order (one notice channel → one row) and is marked sent.
  const rows = await d1("SELECT status, attempts, channel_id FROM notify_outbox WHERE kind = 'customer_notice'", worker.persistDir);
  assert.deepEqual(rows, [{ status: 'sent', attempts: 1, channel_id: channels.notices.id }]);
  // Team chat robots never get customer notices.
  assert.equal(received.filter((r) => r.path !== '/notices').length, 0);
  // Another push (a handshake) and a later cron do not send it again.
  await push(sales.token, []);
  await triggerCron(Date.now());
  assert.equal(at('/notices').length, 1);
});

/// Runs the cron's work as if the trigger fired at `timeMs`; answers once the run is over.
async function triggerCron(timeMs) {
  const response = await call(`/api/dev/notify/cron?time=${timeMs}`, { method: 'POST', headers: devHeaders() });
  assert.equal(response.status, 200, `cron run failed: ${response.text}`);
}

test('the real scheduled handler runs the notification cron (wrangler --test-scheduled)', async () => {
  const response = await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent('0 * * * *')}`);
  assert.equal(response.status, 200, await response.text());
  // Its only trace at the real time (nothing is overdue yet) is its log line, which wrangler
  // writes to its log file after answering: poll for it with a deadline.
  const logFile = join(ROOT, 'target', `wrangler-private-${WORKER_PORT}.log`);
  // Nothing is overdue yet, so no digest; on a Monday morning a 周报 may go out (and be sent).
  const cronLine = /notify cron at .*: 0 digest\(s\) queued, \d+ sent, 0 failed/;
  const deadline = Date.now() + 15_000;
  let log = readFileSync(logFile, 'utf8');
  while (!cronLine.test(log) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    log = readFileSync(logFile, 'utf8');
  }
  assert.match(log, cronLine);
  assert.equal(at('/notices').length, 1, 'nothing is sent twice');
});

test('the cron sends each channel one digest of the overdue orders, signed, grouped by responsible person', async () => {
  // 10:00 China time (02:00 UTC), ten days from now: after the 08:00 digest hour.
  const firstRun = new Date(Date.now() + 10 * DAY);
  firstRun.setUTCHours(2, 0, 0, 0);
  const t0 = firstRun.getTime();
  const today = businessDate(t0);
  const lateBy = (slaDays) => daysBetween(addDays(createdOn, slaDays), today);
  await triggerCron(t0);

  for (const path of ['/wecom', '/dingtalk', feishuPath, '/webhook']) {
    const requests = at(path);
    assert.equal(requests.length, 1, `${path}: ${requests.length} requests`);
    assert.notEqual(requests[0].valid, false, `${path}: the signature verifies`);
    assert.equal(requests[0].ok, true, `${path} accepted it`);
  }
  assert.equal(at('/dingtalk')[0].valid, true);
  assert.equal(at(feishuPath)[0].valid, true);
  assert.equal(at('/webhook')[0].valid, true);
  assert.equal(at('/disabled').length, 0, 'a disabled channel gets nothing');
  assert.equal(at('/notices').length, 1, 'a notices-only channel gets no digest');

  // The generic webhook carries the structure: people and their overdue orders.
  const digest = at('/webhook')[0].body;
  assert.equal(digest.kind, 'digest');
  assert.equal(digest.business_date, today);
  assert.equal(at('/webhook')[0].headers['idempotency-key'], `digest:${channels.webhook.id}:${today}`);
  const summary = digest.people.map((p) => [p.name, p.work_phone, p.orders.map((o) => [o.number, o.stage_name, o.days_late, o.link])]);
  assert.deepEqual(summary, [
    ['李强', null, [[orders.handedOver.number, '需求确认', lateBy(2), `${PUBLIC_URL}/orders/${orders.handedOver.id}`]]],
    ['王芳', '13857123456', [
      [orders.late.number, '需求确认', lateBy(2), `${PUBLIC_URL}/orders/${orders.late.id}`],
      [orders.contract.number, '合同签订', lateBy(5), `${PUBLIC_URL}/orders/${orders.contract.id}`],
    ]],
  ]);
  assert.ok(!at('/webhook')[0].raw.includes(orders.notYetDue.number), 'an order not yet due is not listed');

  // Each robot got the same facts in its own format.
  const wecom = at('/wecom')[0].body.markdown.content;
  const ding = at('/dingtalk')[0].body;
  const feishu = at(feishuPath)[0].body;
  assert.equal(feishu.msg_type, 'text');
  assert.deepEqual(ding.at, { atMobiles: ['13857123456'], isAtAll: false });
  for (const text of [wecom, ding.markdown.text, feishu.content.text, digest.text]) {
    for (const part of [orders.late.number, orders.handedOver.number, orders.contract.number, customer.company, '负责人：王芳', '负责人：李强', `逾期 ${lateBy(2)} 天`, `${PUBLIC_URL}/orders/${orders.late.id}`]) {
      assert.ok(text.includes(part), `${part} missing from: ${text}`);
    }
    assert.ok(!text.includes(orders.notYetDue.number));
  }

  // The flaky gateway failed once; its row waits with the error and a 1-minute backoff.
  assert.equal(at('/flaky').length, 1);
  const status = await adminCall('/api/admin/notify/outbox?limit=50');
  assert.equal(status.status, 200, status.text);
  const flakyRow = status.json.messages.find((m) => m.channel_id === channels.flaky.id);
  assert.equal(flakyRow.status, 'pending');
  assert.equal(flakyRow.attempts, 1);
  assert.match(flakyRow.last_error, /HTTP 500/);
  assert.equal(flakyRow.next_attempt_at, new Date(t0 + 60_000).toISOString());
  for (const secret of [DINGTALK_SECRET, FEISHU_SECRET, WEBHOOK_SECRET, NOTICE_SECRET]) assert.ok(!status.text.includes(secret));

  // Later runs the same day: the flaky gateway is retried after each backoff (1, 2, 4 min) until
  // it takes the message; nobody gets a second digest.
  await triggerCron(t0 + 30_000); // before the first backoff is over: no retry yet
  assert.equal(at('/flaky').length, 1);
  for (const [offsetMinutes, expectedRequests] of [[2, 2], [5, 3], [10, 4], [60, 4], [180, 4]]) {
    await triggerCron(t0 + offsetMinutes * 60_000);
    assert.equal(at('/flaky').length, expectedRequests, `after the run at +${offsetMinutes} min`);
  }
  const flaky = at('/flaky');
  assert.deepEqual(flaky.map((r) => r.ok), [false, false, false, true]);
  assert.equal(new Set(flaky.map((r) => r.headers['idempotency-key'])).size, 1, 'every retry carries the same idempotency key');
  assert.equal(new Set(flaky.map((r) => r.raw)).size, 1, 'every retry is the same message');
  for (const path of ['/wecom', '/dingtalk', feishuPath, '/webhook']) assert.equal(at(path).length, 1, `${path} got one digest`);

  const rows = await d1("SELECT channel_id, status, attempts FROM notify_outbox WHERE kind = 'digest' ORDER BY channel_id", worker.persistDir);
  const expected = ['wecom', 'dingtalk', 'feishu', 'webhook', 'flaky']
    .map((name) => ({ channel_id: channels[name].id, status: 'sent', attempts: name === 'flaky' ? 4 : 1 }))
    .sort((a, b) => a.channel_id.localeCompare(b.channel_id));
  assert.deepEqual(rows, expected);
});

test('a webhook answering with a redirect is not followed, and no answer body ever reaches an admin', async () => {
  const redirecting = await createChannel({ kind: 'webhook', name: '跳转的网关', url: hook('/redirect'), receives_digest: false });
  const redirected = await adminCall(`/api/admin/notify/channels/${redirecting.id}/test`, { method: 'POST' });
  assert.equal(redirected.status, 200, redirected.text);
  assert.equal(redirected.json.message.status, 'pending');
  assert.match(redirected.json.message.last_error, /HTTP 307/);
  assert.equal(at('/redirect').length, 1);
  assert.equal(at('/redirected').length, 0, 'the redirect was not followed');

  const leaky = await createChannel({ kind: 'webhook', name: '报错的网关', url: hook('/leaky'), receives_digest: false });
  const failed = await adminCall(`/api/admin/notify/channels/${leaky.id}/test`, { method: 'POST' });
  assert.equal(failed.status, 200, failed.text);
  assert.match(failed.json.message.last_error, /HTTP 500/);
  assert.ok(!failed.text.includes(LEAKY_BODY), `the answer's body is quoted: ${failed.text}`);
  const outbox = await adminCall('/api/admin/notify/outbox?limit=50');
  assert.ok(!outbox.text.includes(LEAKY_BODY) && !outbox.text.includes('internal dashboard'));
});

test('a message that keeps failing is given up after the last attempt and stays visible', async () => {
  const broken = await createChannel({ kind: 'webhook', name: '坏掉的网关', url: hook('/nowhere'), receives_digest: false });
  const response = await adminCall(`/api/admin/notify/channels/${broken.id}/test`, { method: 'POST' });
  assert.equal(response.status, 200, response.text);
  const { message } = response.json;
  assert.equal(message.status, 'pending');
  assert.match(message.last_error, /HTTP 404/);
  // Drive time past every backoff; the cron retries until the limit.
  let time = Date.parse(message.next_attempt_at);
  for (let attempt = 0; attempt < 15; attempt += 1) {
    await triggerCron(time);
    time += 7 * 3_600_000; // longer than the longest backoff (6 h)
  }
  const status = await adminCall('/api/admin/notify/outbox');
  const row = status.json.messages.find((m) => m.id === message.id);
  assert.equal(row.status, 'failed');
  assert.equal(row.attempts, status.json.max_attempts);
  assert.equal(at('/nowhere').length, status.json.max_attempts);
});

test('on Monday from 09:00 China time each digest channel gets one 周报 of last week, with the overdue count the digest lists', async () => {
  // A Monday 40+ days ahead (past every time the tests above used), 09:30 China = 01:30 UTC.
  const monday = new Date(Date.now() + 40 * DAY);
  monday.setUTCHours(1, 30, 0, 0);
  while (monday.getUTCDay() !== 1) monday.setTime(monday.getTime() + DAY);
  const t0 = monday.getTime();
  const today = businessDate(t0);
  const weekFrom = addDays(today, -7);
  const weekTo = addDays(today, -1);
  const md = (date) => `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;
  const title = `跟单周报 ${md(weekFrom)}–${md(weekTo)}`;

  // Sunday evening is not yet Monday 09:00: nothing.
  await triggerCron(t0 - 14 * 3_600_000);
  await triggerCron(t0 - 60 * 60_000); // Monday 08:30
  for (const path of ['/wecom', '/webhook']) assert.equal(weekliesAt(path, title).length, 0, `${path} before 09:00`);

  await triggerCron(t0);
  await triggerCron(t0 + 3 * 3_600_000); // a later run that Monday queues nothing new
  for (const path of ['/wecom', '/dingtalk', feishuPath, '/webhook', '/flaky']) {
    const weeklies = weekliesAt(path, title);
    assert.equal(weeklies.length, 1, `${path}: ${weeklies.length} 周报`);
    assert.notEqual(weeklies[0].valid, false, `${path}: the signature verifies`);
  }
  assert.equal(weekliesAt('/notices', title).length + weekliesAt('/disabled', title).length, 0, 'not for a notices-only or disabled channel');

  const [hook] = weekliesAt('/webhook', title);
  const week = hook.body;
  assert.equal(week.kind, 'weekly_summary');
  assert.equal(hook.headers['idempotency-key'], `weekly:${channels.webhook.id}:${weekFrom}`);
  assert.deepEqual([week.week_from, week.week_to], [weekFrom, weekTo]);
  // The orders of this file were all made weeks before: nothing started or finished last week.
  assert.deepEqual([week.started, week.completed, week.cancelled], [0, 0, 0]);
  assert.equal(week.link, `${PUBLIC_URL}/desk/analytics`);
  // "Overdue now" counts what that morning's digest lists (the same rule).
  const digest = at('/webhook').find((r) => r.body?.kind === 'digest' && r.body.business_date === today);
  assert.ok(digest, "that Monday's digest went out too");
  const listed = digest.body.people.reduce((sum, person) => sum + person.orders.length, 0);
  assert.ok(listed > 0);
  assert.equal(week.overdue_now, listed);
  for (const text of [week.text, weekliesAt('/wecom', title)[0].body.markdown.content, weekliesAt(feishuPath, title)[0].body.content.text]) {
    assert.ok(text.includes(title), text);
    assert.ok(text.includes(`当前逾期`) && text.includes(String(listed)), text);
    assert.ok(text.includes(`${PUBLIC_URL}/desk/analytics`), text);
  }
});

