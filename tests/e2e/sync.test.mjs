// Sync end to end: two phones (browser contexts) at 390x844 against the real worker + D1.
// 王芳 (sales) creates an order and it reaches the server; the admin's phone receives it,
// advances it and adds a note; 王芳, offline, adds a note and tries to advance the same order
// from the stage it has left; back online, both phones converge: both notes everywhere, the
// admin's move stands, and 王芳 is told who moved it and when, with what she had typed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs } from '../support/browser.mjs';

let browser;
let a;
let b;
const COMPANY = `同步测试${Date.now().toString(36)}有限公司`;
let orderPath;

before(async () => {
  browser = await launchBrowser();
  a = await phonePage(browser);
  b = await phonePage(browser);
});

after(async () => {
  await browser?.close();
});

const synced = (page) => page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

async function openOrder(page) {
  await page.goto(orderPath);
  await page.locator('.detail-head .company').filter({ hasText: COMPANY }).waitFor();
}

async function addNote(page, text) {
  await page.getByLabel('添加备注').fill(text);
  await page.getByRole('button', { name: '添加备注' }).click();
  await page.getByTestId('notes').filter({ hasText: text }).waitFor();
}

async function advanceWithReason(page, reason) {
  await page.getByTestId('advance').click();
  await page.locator('#advance-reason').fill(reason);
  await page.getByTestId('advance').click();
}

test("an order made on one phone reaches the server and another phone", async () => {
  await signInAs(a.page, DEMO_TEAM.sales);
  await a.page.getByRole('link', { name: '新建', exact: true }).click();
  await a.page.getByLabel('公司名称').fill(COMPANY);
  await a.page.getByLabel('联系人').fill('钱七');
  await a.page.getByLabel('联系电话').fill('13500009999');
  await a.page.getByLabel('产品').fill('齿轮');
  await a.page.getByLabel('数量').fill('5');
  await a.page.getByLabel('单价（元）').fill('88');
  await a.page.getByRole('button', { name: '保存订单' }).click();
  await a.page.getByTestId('order-number').waitFor();
  orderPath = new URL(a.page.url()).pathname;
  await synced(a.page);
  assert.equal(await a.page.getByTestId('unsynced').count(), 0, 'no unsynced marker once the server has it');

  await signInAs(b.page, DEMO_TEAM.admin);
  await synced(b.page);
  // The first sync brought the server's orders, the demo orders and 王芳's new one.
  await b.page.getByPlaceholder('搜索订单号、客户、电话、产品').fill(COMPANY);
  await b.page.getByTestId('order-card').filter({ hasText: COMPANY }).click();
  await b.page.getByTestId('current-stage').filter({ hasText: '需求确认' }).waitFor();
});

test('an offline edit that conflicts is refused with who and when; both phones converge', async () => {
  // 王芳 has the order open at 需求确认 when her phone loses the network.
  await openOrder(a.page);
  await a.page.getByTestId('current-stage').filter({ hasText: '需求确认' }).waitFor();
  await a.context.setOffline(true);
  await a.page.getByTestId('network-status').filter({ hasText: '离线' }).waitFor();

  // Meanwhile the admin moves the order on and adds a note; it reaches the server.
  await advanceWithReason(b.page, '客户电话确认');
  await b.page.getByTestId('current-stage').filter({ hasText: '合同签订' }).waitFor();
  await addNote(b.page, '管理员：合同模板已发');
  await synced(b.page);

  // 王芳, offline, still sees 需求确认: she adds a note and moves it on herself.
  await addNote(a.page, '王芳：客户要求加急');
  await advanceWithReason(a.page, '王芳离线推进');
  await a.page.getByTestId('current-stage').filter({ hasText: '合同签订' }).waitFor();
  await a.page.getByTestId('sync-detail').filter({ hasText: '1 单未同步' }).waitFor();

  // Back online: her note lands, her move is refused because the admin moved it first.
  await a.context.setOffline(false);
  await synced(a.page);
  // Said where she is, on the order's page, naming the order (a reviewer's finding: only the
  // board said it), and on 今天, where sales start the day.
  const onOrder = a.page.getByTestId('rejection').filter({ hasText: /已被管理员于 \d{1,2}:\d{2} 推进到 合同签订/ });
  await onOrder.waitFor();
  assert.match(await onOrder.getByTestId('rejection-order').textContent(), new RegExp(COMPANY));
  await a.page.goto('/today');
  await a.page.getByTestId('rejection').filter({ hasText: '推进到 合同签订 王芳离线推进' }).waitFor();
  await a.page.goto('/');
  const refusal = a.page.getByTestId('rejection');
  await refusal.filter({ hasText: /已被管理员于 \d{1,2}:\d{2} 推进到 合同签订/ }).waitFor();
  await refusal.filter({ hasText: '推进到 合同签订 王芳离线推进' }).waitFor();
  await screenshot(a.page, 'sync-conflict-390x844');
  await openOrder(a.page);
  await a.page.getByTestId('notes').filter({ hasText: '管理员：合同模板已发' }).waitFor();
  await a.page.getByTestId('notes').filter({ hasText: '王芳：客户要求加急' }).waitFor();
  await a.page.getByTestId('current-stage').filter({ hasText: '合同签订' }).waitFor();

  // The admin's phone gets 王芳's note on its next sync (coming back to the app triggers one).
  await openOrder(b.page);
  await b.page.getByTestId('notes').filter({ hasText: '王芳：客户要求加急' }).waitFor({ timeout: 30_000 });
  const notes = await b.page.getByTestId('notes').locator('li').allTextContents();
  assert.equal(notes.filter((n) => n.includes('王芳：客户要求加急')).length, 1, 'the note exists exactly once');

  // Dismissing the refusal removes it from 王芳's board for good.
  await a.page.goto('/');
  await a.page.getByTestId('rejection').getByRole('button', { name: '知道了' }).click();
  await a.page.getByTestId('rejections').waitFor({ state: 'detached' });
  await a.page.reload();
  await a.page.getByRole('heading', { name: '订单看板' }).waitFor();
  assert.equal(await a.page.getByTestId('rejection').count(), 0);
});
