// Issue 22 on the phone: a change the server cannot save (a fault injected into D1 itself, for
// one order) is named while it waits ("这条修改一直未能同步", with 立即重试), is then refused by
// the server with its content, and can be discarded; the phone's later changes sync.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs } from '../support/browser.mjs';
import {
  DEMO_PASSWORD, DEMO_SALES, api, bearer, createOrderMutation, loadDemoData, pullEveryOrder, signIn,
  devHeaders,
} from '../support/api.mjs';

let browser;
let phone;
let token;
const stuck = randomUUID();
const other = randomUUID();
const COMPANY = `卡住测试${Date.now().toString(36)}有限公司`;

const fault = (body) => api('/api/dev/sync-fault', { json: body, headers: devHeaders() });

before(async () => {
  await loadDemoData();
  token = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
  // Two orders of 王芳's, made on another device, that the phone receives when she signs in.
  const create = (orderId, suffix) => createOrderMutation(orderId, { company: `${COMPANY}${suffix}` });
  const mutations = [create(stuck, '甲'), create(other, '乙')].map((mutation, i) => ({
    seq: i + 1,
    mutation,
    device_time: new Date().toISOString(),
  }));
  const res = await api('/api/sync/push', { json: { device_id: randomUUID(), mutations }, headers: bearer(token) });
  assert.equal(res.status, 200, res.text);
  browser = await launchBrowser();
  phone = await phonePage(browser);
});

after(async () => {
  await fault({ clear: true });
  await browser?.close();
});

async function addNote(page, orderId, text) {
  await page.goto(`/orders/${orderId}`);
  await page.getByLabel('添加备注').fill(text);
  await page.getByRole('button', { name: '添加备注' }).click();
  await page.getByTestId('notes').filter({ hasText: text }).waitFor();
}

async function serverOrder(orderId) {
  return (await pullEveryOrder(token)).get(orderId);
}

test('a change the server cannot save is named, refused with its content, discarded; later changes sync', async () => {
  const { page } = phone;
  await signInAs(page, DEMO_TEAM.sales);
  // The first sync brings the two orders made on her other device.
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 60_000 });
  await page.goto(`/orders/${stuck}`);
  await page.locator('.detail-head .company').filter({ hasText: `${COMPANY}甲` }).waitFor({ timeout: 30_000 });

  assert.equal((await fault({ order_id: stuck, kind: 'transient' })).status, 200);
  await addNote(page, stuck, '这条备注服务器存不进去');

  // Named on the board while it waits, with what it holds and a way to try again now. Reached
  // through the app, not a page load: the server refuses the change after its third failed push,
  // and a reload would restart the app's count of failures in a row (it names the change after
  // two), so a push already sent before a reload left no moment in which it was named.
  await page.getByRole('link', { name: '看板', exact: true }).click();
  const waiting = page.getByTestId('waiting-change');
  await waiting.waitFor({ timeout: 90_000 });
  assert.match(await waiting.innerText(), /这条修改一直未能同步/);
  assert.match(await waiting.innerText(), /这条备注服务器存不进去/);
  await screenshot(page, 'sync-wedge-waiting');

  // One more try: the server gives up on it and sends it back, with the content.
  await page.getByTestId('waiting-retry').click();
  const refusal = page.getByTestId('rejection').filter({ hasText: '这条备注服务器存不进去' });
  await refusal.waitFor({ timeout: 60_000 });
  assert.match(await refusal.innerText(), /未能保存/);
  assert.equal(await waiting.count(), 0, 'no longer waiting once refused');
  await screenshot(page, 'sync-wedge-refused');

  // Discarded on purpose; the queue is free: a later change reaches the server.
  await refusal.getByRole('button', { name: '知道了' }).click();
  await refusal.waitFor({ state: 'detached' });
  await addNote(page, other, '之后的备注照常同步');
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 60_000 });
  const later = await serverOrder(other);
  assert.ok(later.notes.some((n) => n.text === '之后的备注照常同步'));
  const refused = await serverOrder(stuck);
  assert.equal(refused.notes.length, 0, 'the refused note is not on the order');
});

test('unsent changes can be seen and exported from 设置, for when syncing cannot go on', async () => {
  const { page, context } = phone;
  await page.goto(`/orders/${other}`);
  await page.locator('.detail-head .company').filter({ hasText: `${COMPANY}乙` }).waitFor();
  // Offline, so the change stays queued; the app navigates by itself (no page load).
  await context.setOffline(true);
  await page.getByLabel('添加备注').fill('离线时写下、尚未发送的备注');
  await page.getByRole('button', { name: '添加备注' }).click();
  await page.getByTestId('notes').filter({ hasText: '离线时写下、尚未发送的备注' }).waitFor();
  await page.getByTestId('checklist').getByRole('checkbox', { name: /记录客户需求/ }).check();
  await page.getByRole('link', { name: '设置' }).click();
  const section = page.getByTestId('unsent-changes');
  await section.filter({ hasText: '离线时写下、尚未发送的备注' }).waitFor();
  // The tick reads as people know the item (a reviewer saw "勾选清单项 record_needs").
  await section.filter({ hasText: '勾选清单项「记录客户需求」' }).waitFor();
  assert.match(await section.innerText(), /2 条修改还没有发送/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('unsent-export').click()]);
  assert.match(download.suggestedFilename(), /^gendan-unsent-\d{4}-\d{2}-\d{2}\.json$/);
  const path = await download.path();
  const file = JSON.parse(await (await import('node:fs/promises')).readFile(path, 'utf8'));
  assert.equal(file.kind, 'unsent_changes');
  assert.equal(file.changes.length, 2);
  assert.equal(file.changes[0].order_id, other);
  assert.equal(file.changes[1].what, '勾选清单项「记录客户需求」');
  assert.equal(file.changes[0].mutation.text, '离线时写下、尚未发送的备注');
  assert.match(file.changes[0].what, /离线时写下/);
  await screenshot(page, 'settings-unsent-changes');
  await context.setOffline(false);
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 60_000 });
});
