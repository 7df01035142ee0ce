// The field flow counted in taps, at 390x844 against the real worker + local D1 (issue 20's
// "Done means"), and the notices that reach a person's 今天: 请他处理 (the warehouse asks finance
// for the invoice) and a customer-lookup lock on the owner's order (issue 19 item 5, on a private
// worker whose daily lookup allowance is 2).
//
// Taps are counted by one helper (`tap`): every tap a person makes on the screen goes through it;
// typing on the keyboard is not a tap. The counts are printed for the closing note.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { adminToken, api, bearer, createOrderMutation, createUser, devHeaders, freshIp, startPrivateWorker } from '../support/api.mjs';
import { DEMO_PASSWORD, DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets } from '../support/browser.mjs';
import { testSecret } from '../support/track.mjs';

let browser;
let admin;
const RUN = randomBytes(3).toString('hex');

before(async () => {
  browser = await launchBrowser();
  admin = await adminToken();
});

after(async () => {
  await browser?.close();
});

const synced = (page) => page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

function tapCounter() {
  const counter = { taps: 0 };
  counter.tap = async (locator) => {
    counter.taps += 1;
    await locator.tap();
  };
  return counter;
}

/// An order the admin made on another phone and moved straight to 发货发票, on the server.
async function orderAtDelivery(company, { baseUrl, token = admin } = {}) {
  const orderId = randomUUID();
  const mutations = [
    createOrderMutation(orderId, { number: `FW-${RUN}-${randomBytes(2).toString('hex')}`, company }),
    { type: 'advance_stage', order_id: orderId, from: 'requirement', to: 'delivery', reason: 'e2e：直接发货' },
  ].map((mutation, i) => ({ seq: i + 1, mutation, device_time: new Date().toISOString() }));
  const pushed = await api('/api/sync/push', { json: { device_id: randomUUID(), mutations }, headers: bearer(token), baseUrl });
  assert.equal(pushed.status, 200, pushed.text);
  assert.deepEqual(pushed.json.rejected, []);
  return orderId;
}

const carrierBox = (page) => page.getByRole('textbox', { name: '物流公司', exact: true });
const trackingBox = (page) => page.getByRole('textbox', { name: '物流单号', exact: true });

test('the warehouse records a shipment from 今天 in 4 taps with a carrier suggestion; a sync arriving mid-typing loses nothing', async () => {
  const company = `仓库发货${RUN}有限公司`;
  const orderId = await orderAtDelivery(company);
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.warehouse);
  await synced(page);

  // From 今天 (the order at 发货发票 is the warehouse's to push): the order, a carrier chip, the
  // tracking box (typed), 登记发货.
  await page.goto('/today');
  const row = page.getByTestId('today-row').filter({ hasText: company });
  await row.waitFor();
  const taps = tapCounter();
  await taps.tap(row.getByRole('link'));
  await page.getByTestId('order-number').waitFor();
  await taps.tap(page.getByTestId('carrier-suggestions').getByRole('button', { name: '顺丰', exact: true }));
  assert.equal(await carrierBox(page).inputValue(), '顺丰速运', 'one tap fills the full name');
  await taps.tap(trackingBox(page));
  await page.keyboard.type('SF10086');

  // Mid-typing, a colleague's note arrives by sync: the order view is rebuilt under the typing.
  const note = await api('/api/sync/push', {
    json: { device_id: randomUUID(), mutations: [{ seq: 1, mutation: { type: 'add_note', order_id: orderId, note_id: randomUUID(), text: `同事备注${RUN}` }, device_time: new Date().toISOString() }] },
    headers: bearer(admin),
  });
  assert.equal(note.status, 200, note.text);
  // Coming back online syncs at once, and leaves the focus in the tracking box.
  await context.setOffline(true);
  await context.setOffline(false);
  await page.getByTestId('notes').filter({ hasText: `同事备注${RUN}` }).waitFor({ timeout: 30_000 });
  await page.keyboard.type('2');
  assert.equal(await carrierBox(page).inputValue(), '顺丰速运');
  assert.equal(await trackingBox(page).inputValue(), 'SF100862');

  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'warehouse-shipping-390x844');
  await taps.tap(page.getByRole('button', { name: '登记发货' }));
  await page.getByTestId('shipment').filter({ hasText: '顺丰速运 SF100862' }).waitFor();
  console.log(`# taps: record a shipment from 今天 = ${taps.taps} (plus typing the tracking number)`);
  assert.ok(taps.taps <= 4, `${taps.taps} taps`);
  await context.close();
});

test('at 发货发票 the warehouse sees who records the invoice and asks finance; it reaches finance\'s 今天', async () => {
  const company = `请财务开票${RUN}有限公司`;
  const orderId = await orderAtDelivery(company);
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.warehouse);
  await synced(page);
  await page.goto(`/orders/${orderId}`);
  const row = page.getByTestId('ask-invoice');
  await row.getByTestId('who-can-record').filter({ hasText: '登记发票：可由财务、销售、管理员登记' }).waitFor();
  await row.getByRole('button', { name: '请财务处理' }).click();
  await row.getByTestId('asked').filter({ hasText: '已请财务处理（张伟' }).waitFor();
  await page.getByTestId('history').filter({ hasText: '张伟 请财务处理：登记发票' }).waitFor();
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'ask-finance-390x844');
  await page.setViewportSize({ width: 360, height: 740 });
  await screenshot(page, 'ask-finance-360x740');
  assert.deepEqual(await smallTapTargets(page), []);
  await page.getByTestId('unsynced').waitFor({ state: 'detached', timeout: 30_000 });
  await context.close();

  // A finance member (new, so first the forced password change, through the API).
  const member = await createUser(admin, { name: `财务${RUN}`, roles: ['finance'] });
  const first = await api('/api/auth/login', { json: { login: member.login, password: member.password }, headers: { 'cf-connecting-ip': freshIp() } });
  const ownPassword = `own-${RUN}-password`;
  const changed = await api('/api/auth/password', { json: { current_password: member.password, new_password: ownPassword }, headers: { ...bearer(first.json.token), 'cf-connecting-ip': freshIp() } });
  assert.equal(changed.status, 200, changed.text);
  const finance = await phonePage(browser);
  await finance.page.goto('/login?next=%2Ftoday');
  await finance.page.getByLabel('手机号或邮箱').fill(member.login);
  await finance.page.getByLabel('密码').fill(ownPassword);
  await finance.page.getByRole('button', { name: '登录', exact: true }).click();
  await finance.page.waitForURL((url) => url.pathname === '/today');
  const asked = finance.page.getByTestId('today-asked');
  const mine = asked.getByTestId('today-row').filter({ hasText: company });
  await mine.waitFor({ timeout: 30_000 });
  assert.equal(await mine.getByTestId('today-reason').textContent(), '请你登记发票');
  assert.deepEqual(await smallTapTargets(finance.page), []);
  await screenshot(finance.page, 'today-asked-390x844');

  // Recording the invoice answers the ask: it leaves 今天 by itself.
  await mine.getByRole('link').click();
  await finance.page.getByLabel('发票号').fill(`FP${RUN}`);
  await finance.page.getByLabel('开票日期').fill(new Date().toISOString().slice(0, 10));
  await finance.page.getByRole('button', { name: '登记发票' }).click();
  await finance.page.getByTestId('invoice').waitFor();
  await finance.page.getByRole('link', { name: /今天/ }).first().click();
  await finance.page.getByTestId('today-asked').getByTestId('today-row').filter({ hasText: company }).waitFor({ state: 'detached' });
  // Still finance's to push on (发货发票 is theirs too), now without the ask.
  await finance.page.getByTestId('today-this-week').getByTestId('today-row').filter({ hasText: company }).waitFor();
  await finance.context.close();
});

test('advancing a stage is 2 taps from the board once its checklist is done', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.admin);
  await synced(page);
  const company = `推进计数${RUN}有限公司`;
  const orderId = randomUUID();
  const created = await api('/api/sync/push', {
    json: { device_id: randomUUID(), mutations: [{ seq: 1, mutation: createOrderMutation(orderId, { number: `ADV-${RUN}`, company }), device_time: new Date().toISOString() }] },
    headers: bearer(admin),
  });
  assert.equal(created.status, 200, created.text);
  await page.getByTestId('sync-detail').click();
  await page.getByPlaceholder('搜索订单号、客户、电话、产品').fill(company);
  const taps = tapCounter();
  await taps.tap(page.getByTestId('order-card').filter({ hasText: company }).first().getByRole('link').first());
  // The order page draws from the device's storage a moment after the tap: wait for its first
  // stage's checklist, or the loop below would tick nothing.
  await page.getByTestId('current-stage').filter({ hasText: '需求确认' }).waitFor();
  const boxes = page.locator('[data-testid=checklist] input[type=checkbox]');
  await boxes.first().waitFor();
  for (const box of await boxes.all()) {
    await box.check();
    await page.waitForFunction((element) => element.checked, await box.elementHandle());
  }
  const ticks = await boxes.count();
  assert.ok(ticks > 0, 'the first stage has a checklist to tick');
  await taps.tap(page.getByTestId('advance'));
  await page.getByTestId('current-stage').filter({ hasText: '合同签订' }).waitFor();
  console.log(`# taps: advance a stage from the board = ${taps.taps} (plus ${ticks} checklist ticks when they are not done yet)`);
  assert.equal(taps.taps, 2);
  await context.close();
});

test('a repeat order for the same company: 4 taps and the company name, plus the items', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales, { next: '/orders/new' });
  const company = `回头客计数${RUN}有限公司`;
  // The first order, a new customer: each box tapped and typed, then saved.
  const firstTaps = tapCounter();
  for (const [label, text] of [['公司名称', company], ['联系人', '周二'], ['联系电话', '0571-8888 7777'], ['地址', '宁波市北仑区 1 号'], ['产品', '阀门'], ['单价（元）', '120']]) {
    await firstTaps.tap(page.getByLabel(label));
    await page.keyboard.type(text);
  }
  await firstTaps.tap(page.getByRole('button', { name: '保存订单' }));
  await page.getByTestId('order-number').waitFor();
  console.log(`# taps: create an order for a new customer = ${firstTaps.taps + 1} (＋, company, contact, phone, address, product, price, save; quantity defaults to 1)`);

  const taps = tapCounter();
  await taps.tap(page.getByRole('link', { name: '看板', exact: true }));
  await taps.tap(page.getByTestId('new-order-fab'));
  await taps.tap(page.getByLabel('公司名称'));
  // Typed here; on a phone the browser offers it after the first characters (one more tap).
  await page.keyboard.type(company);
  await page.waitForFunction(() => document.querySelector('#address')?.value !== '');
  const beforeItems = taps.taps;
  await taps.tap(page.getByLabel('产品'));
  await page.keyboard.type('密封圈');
  await taps.tap(page.getByLabel('单价（元）'));
  await page.keyboard.type('10');
  await taps.tap(page.getByRole('button', { name: '保存订单' }));
  await page.getByTestId('order-number').waitFor();
  assert.equal(await page.getByTestId('order-address').textContent(), '宁波市北仑区 1 号');
  const withoutItems = taps.taps - 2;
  console.log(`# taps: repeat order from an order page = ${withoutItems} (${beforeItems} to a filled form + save; +1 to pick the company from the suggestions) plus the items`);
  assert.ok(withoutItems + 1 <= 5, `${withoutItems} taps`);
  await context.close();
});

test('the owner\'s 今天 says when the customer lookup of their order was locked for the day', async () => {
  const locking = await startPrivateWorker({
    vars: { DEMO_DATA: 'enabled', SHARE_SECRET: testSecret(), TRACK_LOOKUPS_PER_NUMBER: '1000', TRACK_FAILED_LOOKUPS_PER_NUMBER_PER_DAY: '2' },
  });
  try {
    assert.equal((await locking.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() })).status, 200);
    // GD-DEMO-008 is 王芳's; two wrong guesses use its day up.
    for (const digits of ['1000', '1001']) {
      const answer = await locking.call('/api/track/lookup', { json: { order_number: 'GD-DEMO-008', phone_last4: digits }, headers: { 'cf-connecting-ip': freshIp() } });
      assert.equal(answer.status, 404, answer.text);
    }
    const context = await browser.newContext({ deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', viewport: { width: 390, height: 844 }, baseURL: locking.url });
    const page = await context.newPage();
    await page.goto('/login?next=%2Ftoday');
    await page.getByLabel('手机号或邮箱').fill(DEMO_TEAM.sales.login);
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/today');
    const locked = page.getByTestId('today-lookup-locked');
    const row = locked.getByTestId('today-row').filter({ hasText: 'GD-DEMO-008' });
    await row.waitFor({ timeout: 30_000 });
    assert.equal(await row.getByTestId('today-reason').textContent(), '今天查询错误过多，请把链接发给客户');
    assert.deepEqual(await smallTapTargets(page), []);
    await screenshot(page, 'today-lookup-locked-390x844');
    // The order says why, and its share button is where the link comes from.
    await row.getByRole('link').click();
    await page.getByTestId('history').filter({ hasText: '查询本订单的错误次数已达上限' }).waitFor();
    await context.close();
  } finally {
    await locking.stop();
  }
});
