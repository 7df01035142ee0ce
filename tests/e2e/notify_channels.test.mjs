// The admin's 通知渠道 (notification channels) screen end to end at 390x844, against the real
// worker API and a real HTTP receiver on 127.0.0.1 standing in for a DingTalk group robot (it
// checks the 加签 signature with its own implementation): add a channel (the secret is
// write-only, the URL comes back masked), send a test message that arrives signed, edit it to a
// failing robot and see the failure with its retry time in the outbox, disable, delete. Offline
// the screen says it needs the network; non-admins get the usual explanation.
//
// Needs the worker started with NOTIFY_ALLOW_LOCAL_HTTP=enabled (scripts/test does), so that
// http://127.0.0.1 robot URLs are accepted. Receiver port: TODAY_RECEIVER_PORT (8862).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets } from '../support/browser.mjs';

const RECEIVER_PORT = Number(process.env.TODAY_RECEIVER_PORT ?? 8862);
const TOKEN = randomBytes(16).toString('hex');
const SECRET = `SEC${randomBytes(16).toString('hex')}`;
const NAME = `销售群${randomBytes(2).toString('hex')}`;

/// Every POST the receiver got, with the verdict of its signature check.
const received = [];
let receiver;
let browser;
let admin;

function dingtalkSignatureValid(url) {
  const timestamp = url.searchParams.get('timestamp');
  const sign = url.searchParams.get('sign');
  const expected = createHmac('sha256', SECRET).update(`${timestamp}\n${SECRET}`).digest('base64');
  return sign === expected;
}

before(async () => {
  receiver = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk) => { raw += chunk; });
    request.on('end', () => {
      const url = new URL(request.url, `http://127.0.0.1:${RECEIVER_PORT}`);
      received.push({ path: url.pathname, valid: dingtalkSignatureValid(url), body: raw });
      // /fail is a robot that refuses (as DingTalk does for a wrong signature).
      const ok = url.pathname === '/robot/send';
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(ok ? { errcode: 0, errmsg: 'ok' } : { errcode: 310000, errmsg: 'sign not match' }));
    });
  });
  await new Promise((resolve) => receiver.listen(RECEIVER_PORT, '127.0.0.1', resolve));
  browser = await launchBrowser();
  admin = await phonePage(browser);
  await signInAs(admin.page, DEMO_TEAM.admin);
});

beforeEach(async () => {
  await admin?.context.setOffline(false);
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

const channel = () => admin.page.locator(`[data-testid=channel][data-name="${NAME}"]`);

test('an admin adds a DingTalk robot, its secret stays on the server, and a test message arrives signed', async () => {
  const { page } = admin;
  await page.goto('/settings');
  await page.getByTestId('notify-link').click();
  await page.getByRole('heading', { name: '通知渠道', exact: true }).waitFor();

  const form = page.getByTestId('add-channel');
  await form.getByLabel('类型').selectOption('dingtalk');
  await form.getByLabel('名称').fill(NAME);
  await form.getByLabel('Webhook 地址').fill(`http://127.0.0.1:${RECEIVER_PORT}/robot/send?access_token=${TOKEN}`);
  await form.getByLabel('签名密钥').fill(SECRET);
  await form.getByRole('button', { name: '添加渠道' }).click();
  await form.getByRole('status').filter({ hasText: `已添加渠道 ${NAME}` }).waitFor();

  await channel().waitFor();
  const url = await channel().getByTestId('channel-url').textContent();
  assert.equal(url, `http://127.0.0.1:${RECEIVER_PORT}/robot/send?access_token=…${TOKEN.slice(-4)}`);
  const text = await channel().textContent();
  assert.ok(!text.includes(TOKEN) && !text.includes(SECRET), 'neither the token nor the secret is shown');
  assert.match(text, /钉钉/);
  assert.match(text, /签名密钥：已设置/);
  assert.match(text, /接收：每日逾期汇总/);
  assert.equal(await channel().getByTestId('channel-state').textContent(), '已启用');
  assert.ok(!(await page.content()).includes(SECRET), 'the secret is nowhere in the page');

  await channel().getByRole('button', { name: '发送测试消息' }).click();
  await channel().getByRole('status').filter({ hasText: '测试消息已送达' }).waitFor();
  const delivered = received.filter((r) => r.path === '/robot/send');
  assert.equal(delivered.length, 1);
  assert.ok(delivered[0].valid, 'signed with the secret typed into the form');
  assert.match(delivered[0].body, /测试/);

  const outbox = page.getByTestId('outbox');
  const sentRow = outbox.locator('[data-testid=outbox-row][data-status=sent]').filter({ hasText: NAME }).first();
  await sentRow.waitFor();
  assert.match(await sentRow.textContent(), /测试消息.*已发送/);

  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'settings-notify-channels-390x844');
});

test('editing keeps the secret unless one is typed; a refusing robot shows the error and the retry time', async () => {
  const { page } = admin;
  await channel().getByRole('button', { name: '编辑' }).click();
  const edit = channel().getByTestId('edit-channel');
  const secret = edit.getByLabel('签名密钥');
  assert.equal(await secret.inputValue(), '', 'the secret is never filled in');
  assert.equal(await secret.getAttribute('placeholder'), '已设置，留空则不修改');
  await edit.getByLabel('Webhook 地址').fill(`http://127.0.0.1:${RECEIVER_PORT}/fail?access_token=${TOKEN}`);
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'settings-notify-channel-edit-390x844');
  await edit.getByRole('button', { name: '保存' }).click();
  await channel().getByTestId('channel-url').filter({ hasText: '/fail?access_token=' }).waitFor();
  assert.match(await channel().textContent(), /签名密钥：已设置/, 'the secret was kept');

  await channel().getByRole('button', { name: '发送测试消息' }).click();
  const failure = channel().getByRole('alert').filter({ hasText: '测试消息未送达' });
  await failure.waitFor();
  assert.match(await failure.textContent(), /310000.*将于 \d{4}年\d+月\d+日 \d\d:\d\d 重试/);
  const failed = received.filter((r) => r.path === '/fail');
  assert.equal(failed.length, 1);
  assert.ok(failed[0].valid, 'still signed with the kept secret');
  const pendingRow = page.getByTestId('outbox').locator('[data-testid=outbox-row][data-status=pending]').filter({ hasText: NAME }).first();
  await pendingRow.waitFor();
  assert.match(await pendingRow.textContent(), /等待发送，下次尝试.*已尝试 1\/\d+ 次.*310000/);
});

test('disable, then delete after confirming', async () => {
  const { page } = admin;
  await page.reload();
  await channel().waitFor();
  await channel().getByRole('button', { name: '停用' }).click();
  await channel().getByTestId('channel-state').filter({ hasText: '已停用' }).waitFor();
  await channel().getByRole('button', { name: '删除' }).click();
  await channel().getByTestId('confirm-delete').click();
  await channel().waitFor({ state: 'detached' });
  // Its message still waiting for a retry is given up, and listed under a deleted channel.
  const outbox = page.getByTestId('outbox');
  const givenUp = outbox.locator('[data-testid=outbox-row][data-status=failed]').filter({ hasText: '渠道已删除' }).first();
  await givenUp.waitFor();
  assert.match(await givenUp.textContent(), /测试消息.*发送失败.*已删除的渠道/);
  assert.equal(await outbox.locator('[data-testid=outbox-row]').filter({ hasText: NAME }).count(), 0);
});

test('offline the screen says it needs the network; other roles get the usual explanation', async () => {
  const { page, context } = admin;
  await page.goto('/desk/notifications');
  await page.getByTestId('add-channel').waitFor();
  await context.setOffline(true);
  await page.getByTestId('notify-offline').filter({ hasText: '请连接网络' }).waitFor();
  assert.equal(await page.getByTestId('add-channel').count(), 0);
  await context.setOffline(false);

  const sales = await phonePage(browser);
  await signInAs(sales.page, DEMO_TEAM.sales);
  await sales.page.goto('/settings');
  await sales.page.getByTestId('account-name').waitFor();
  assert.equal(await sales.page.getByTestId('notify-link').count(), 0, 'no link for non-admins');
  await sales.page.goto('/desk/notifications');
  await sales.page.getByTestId('notify-admins-only').filter({ hasText: '只有管理员可以设置通知渠道' }).waitFor();
  await sales.context.close();
});
