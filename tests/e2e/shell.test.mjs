// End-to-end smoke tests of the app shell at phone size, against the real worker + local D1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, DEMO_PASSWORD, DEMO_TEAM, ensureDemoData, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets,
} from '../support/browser.mjs';

const STAGES_ZH = ['需求确认', '合同签订', '下单处理', '生产/采购', '发货发票', '售后服务'];
const STAGES_EN = ['Requirement confirmation', 'Contract signing', 'Order entry', 'Production / procurement', 'Shipping & invoice', 'After-sales service'];

let browser;
let summary;

before(async () => {
  await ensureDemoData();
  const signedIn = await (await fetch(`${BASE_URL}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: DEMO_TEAM.sales.login, password: DEMO_PASSWORD }),
  })).json();
  summary = await (await fetch(`${BASE_URL}/api/board/summary`, {
    headers: { authorization: `Bearer ${signedIn.token}` },
  })).json();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test('a new phone signs in and fills its board from the server: six stage tabs in Chinese with its counts', async () => {
  const { context, page, problems } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales);
  await assert.doesNotReject(page.getByRole('heading', { name: '订单看板' }).waitFor());
  const names = await page.locator('.stage-tab .stage-name').allTextContents();
  assert.deepEqual(names, [...STAGES_ZH, '已结束']);

  // The first sync brings every order the server holds: the tabs count what the server counts.
  assert.ok(summary.total_active > 0, 'demo data must have loaded');
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor();
  await page.getByTestId('total-active').filter({ hasText: `进行中 ${summary.total_active} 单` }).waitFor();
  const counts = (await page.getByTestId('stage-count').allTextContents()).slice(0, 6).map(Number);
  assert.deepEqual(counts, summary.stages.map((stage) => stage.active_orders));

  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  assert.equal(await page.getByTestId('network-status').textContent(), '在线');
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'board-synced-390x844');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the board fits a 360 px wide phone without sideways scrolling', async () => {
  const { context, page } = await phonePage(browser, { viewport: { width: 360, height: 740 } });
  await signInAs(page, DEMO_TEAM.sales);
  await page.locator('.stage-tab').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.equal(overflow, 0);
  await screenshot(page, 'board-360x740');
  await context.close();
});

test('switching to English relabels the stages and survives a reload', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales, { next: '/settings' });
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('link', { name: 'Board' }).click();
  await page.getByRole('heading', { name: 'Order board' }).waitFor();
  assert.deepEqual(await page.locator('.stage-tab .stage-name').allTextContents(), [...STAGES_EN, 'Closed']);
  await page.reload();
  await page.getByRole('heading', { name: 'Order board' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await context.close();
});

test('a deep link to an order opens the app instead of a server 404', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales);
  const response = await page.goto('/orders/6a1f3c2e-8d4b-4e07-9c51-00000000d001');
  assert.equal(response.status(), 200);
  await page.getByRole('heading', { name: '订单详情' }).waitFor();
  // This fresh device has never seen that order: it says so instead of showing a blank page.
  await page.getByText('本机没有这个订单。').waitFor();
  await context.close();
});

test('losing the network is shown in the top bar at once', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales);
  await page.locator('.stage-tab').first().waitFor();
  await context.setOffline(true);
  await page.getByTestId('network-status').filter({ hasText: '离线' }).waitFor();
  await context.setOffline(false);
  await page.getByTestId('network-status').filter({ hasText: '在线' }).waitFor();
  await context.close();
});
