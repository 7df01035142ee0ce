// Issue 20: pull down at the top of the board to sync now — an order made on another phone
// arrives at once, without waiting for the minute-long idle sync.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs } from '../support/browser.mjs';
import { DEMO_PASSWORD, DEMO_SALES, api, bearer, createOrderMutation, loadDemoData, signIn } from '../support/api.mjs';

let browser;
let phone;

before(async () => {
  await loadDemoData();
  browser = await launchBrowser();
  phone = await phonePage(browser);
});

after(async () => {
  await browser?.close();
});

/// A finger pulling down from `from` to `to` (CSS px) on the page, as touch events.
async function pullDown(page, from, to) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
  const point = (y) => [{ x: 195, y }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(from) });
  for (let y = from + 20; y <= to; y += 20) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(y) });
  }
  await page.getByTestId('pull-indicator').filter({ hasText: '松开立即同步' }).waitFor();
  await screenshot(page, 'pull-to-refresh');
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

test('pulling the board down syncs now: an order from another phone appears', async () => {
  const { page } = phone;
  await signInAs(page, DEMO_TEAM.sales);
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 60_000 });

  const company = `下拉刷新${Date.now().toString(36)}有限公司`;
  const token = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
  const mutations = [{ seq: 1, mutation: createOrderMutation(randomUUID(), { company }), device_time: new Date().toISOString() }];
  const pushed = await api('/api/sync/push', { json: { device_id: randomUUID(), mutations }, headers: bearer(token) });
  assert.equal(pushed.status, 200, pushed.text);

  await page.getByPlaceholder('搜索订单号、客户、电话、产品').fill(company);
  assert.equal(await page.getByText(company).count(), 0, 'not on the phone yet');
  await pullDown(page, 200, 340);
  // Well under the idle sync's minute: the pull asked for it.
  await page.getByTestId('order-card').filter({ hasText: company }).first().waitFor({ timeout: 15_000 });
});
