// The field flow as people work it, end to end at 390x844 against the real worker + local D1:
// typing is never lost when the order changes underneath (a tick, a sync), the admin's new member
// gets exactly the roles ticked, the warehouse sees where to ship, a bad new order takes the
// person to the field in error, and the installed app's start address lands sales on 今天.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  DEMO_PASSWORD, DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets,
} from '../support/browser.mjs';

let browser;
const RUN = randomBytes(3).toString('hex');

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const synced = (page) => page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

async function createOrder(page, { company, address, email }) {
  await page.goto('/orders/new');
  await page.getByLabel('公司名称').fill(company);
  await page.getByLabel('联系人').fill('周一');
  await page.getByLabel('联系电话').fill('0571-8888 6666');
  if (email) await page.getByLabel('邮箱').fill(email);
  if (address) await page.getByLabel('地址').fill(address);
  await page.getByLabel('产品').fill('阀门');
  await page.getByLabel('数量').fill('3');
  await page.getByLabel('单价（元）').fill('120');
  await page.getByRole('button', { name: '保存订单' }).click();
  await page.getByTestId('order-number').waitFor();
  return new URL(page.url()).pathname;
}

async function advanceWithReason(page, to) {
  await page.getByTestId('advance').click();
  await page.locator('#advance-reason').fill('e2e：跳过清单');
  await page.getByTestId('advance').click();
  await page.getByTestId('current-stage').filter({ hasText: to }).waitFor();
}

const carrierBox = (page) => page.getByRole('textbox', { name: '物流公司', exact: true });
const trackingBox = (page) => page.getByRole('textbox', { name: '物流单号', exact: true });

test('typed shipment fields survive a tick on the checklist and a colleague\'s change arriving by sync', async () => {
  const a = await phonePage(browser);
  await signInAs(a.page, DEMO_TEAM.admin);
  const orderPath = await createOrder(a.page, { company: `发货测试${RUN}有限公司` });
  await advanceWithReason(a.page, '合同签订');
  await advanceWithReason(a.page, '下单处理');
  await synced(a.page);

  // The warehouse types the courier and the waybill number, then ticks a checklist item.
  await carrierBox(a.page).fill('顺丰速运');
  await trackingBox(a.page).fill('SF1234567890');
  const first = a.page.locator('[data-testid=checklist] input[type=checkbox]').first();
  await first.check();
  await a.page.waitForFunction(() => document.querySelector('[data-testid=checklist] input[type=checkbox]')?.checked);
  await a.page.getByTestId('history').filter({ hasText: '完成了' }).waitFor();
  assert.equal(await carrierBox(a.page).inputValue(), '顺丰速运');
  assert.equal(await trackingBox(a.page).inputValue(), 'SF1234567890');

  // Meanwhile a colleague adds a note to the same order on another phone.
  const b = await phonePage(browser);
  await signInAs(b.page, DEMO_TEAM.admin);
  await synced(b.page);
  await b.page.goto(orderPath);
  await b.page.getByLabel('添加备注').fill(`同事备注${RUN}`);
  await b.page.getByRole('button', { name: '添加备注' }).click();
  await b.page.getByTestId('notes').filter({ hasText: `同事备注${RUN}` }).waitFor();
  await b.page.getByTestId('unsynced').waitFor({ state: 'detached', timeout: 30_000 });

  // The first phone, still typing, gets the note by sync (coming back online triggers one):
  // the order view is rebuilt under the typing, which stays.
  await trackingBox(a.page).fill('SF1234567890-2');
  await a.context.setOffline(true);
  await a.context.setOffline(false);
  await a.page.getByTestId('notes').filter({ hasText: `同事备注${RUN}` }).waitFor({ timeout: 30_000 });
  assert.equal(await carrierBox(a.page).inputValue(), '顺丰速运');
  assert.equal(await trackingBox(a.page).inputValue(), 'SF1234567890-2');

  // And recording it works with what was typed.
  await a.page.getByRole('button', { name: '登记发货' }).click();
  await a.page.getByTestId('shipment').filter({ hasText: 'SF1234567890-2' }).waitFor();
  await a.context.close();
  await b.context.close();
});

test('a new member gets exactly the roles the admin ticked, and the next form starts empty', async () => {
  const admin = await phonePage(browser);
  await signInAs(admin.page, DEMO_TEAM.admin, { next: '/desk/team' });
  await admin.page.getByTestId('member').first().waitFor();
  const boxes = admin.page.locator('.add-member input[type=checkbox]');
  assert.equal(await admin.page.locator('.add-member input[type=checkbox]:checked').count(), 0, 'nothing ticked at first');

  const login = `e2e-wh-${RUN}@example.com`;
  await admin.page.getByLabel('姓名').fill('仓库新人');
  await admin.page.getByLabel('登录账号（手机号或邮箱）').fill(login);
  await admin.page.getByLabel('初始密码（至少 8 位）').fill(`pw-${RUN}-long`);
  await admin.page.locator('#new-member-role-warehouse').check();
  await admin.page.getByRole('button', { name: '添加成员', exact: true }).click();
  await admin.page.getByText('已添加成员 仓库新人').waitFor();
  const row = admin.page.locator(`[data-testid=member][data-login="${login}"]`);
  await row.waitFor();
  assert.equal((await row.locator('.member-roles').textContent()).trim(), '仓储');
  assert.equal(await admin.page.locator('.add-member input[type=checkbox]:checked').count(), 0, 'the ticks are gone after adding');
  assert.ok((await boxes.count()) >= 8);
  assert.equal(await admin.page.getByLabel('姓名').inputValue(), '');
  await admin.context.close();
});

test('the order page shows where to ship: the address to copy, the phone to call, the email', async () => {
  const { context, page } = await phonePage(browser);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signInAs(page, DEMO_TEAM.sales, { next: '/orders/new' });
  const address = `浙江省杭州市西湖区文三路 ${RUN} 号 3 楼仓库`;
  await createOrder(page, { company: `地址测试${RUN}有限公司`, address, email: 'buyer@example.com' });
  assert.equal(await page.getByTestId('order-address').textContent(), address);
  assert.equal(await page.getByTestId('order-phone').getAttribute('href'), 'tel:057188886666');
  assert.equal(await page.getByTestId('order-email').getAttribute('href'), 'mailto:buyer@example.com');
  await page.getByTestId('copy-address').click();
  await page.getByTestId('copy-address').filter({ hasText: '已复制' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), address);
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'order-address-390x844');
  await context.close();
});

test('saving a new order with a mistake takes the person to the field in error', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales, { next: '/orders/new' });
  await page.getByLabel('产品').fill('阀门');
  await page.getByLabel('单价（元）').fill('120');
  const save = page.getByRole('button', { name: '保存订单' });
  await save.scrollIntoViewIfNeeded();
  await save.click();
  await page.waitForFunction(() => document.activeElement?.id === 'company');
  const alert = page.getByRole('alert').filter({ hasText: '公司名称不能为空' });
  await alert.waitFor();
  assert.ok(await alert.isVisible());
  const box = await alert.boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= 844, `the message is on screen (y=${box.y})`);
  assert.match(page.url(), /\/orders\/new$/);
  await context.close();
});

test('the start address signed out goes to sign-in, then sales land on 今天', async () => {
  const { context, page } = await phonePage(browser);
  await page.goto('/');
  await page.waitForURL((url) => url.pathname === '/login');
  assert.equal(new URL(page.url()).searchParams.get('next'), null, 'no page asked for');
  await page.getByLabel('手机号或邮箱').fill(DEMO_TEAM.sales.login);
  await page.getByLabel('密码').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/today');
  await page.getByRole('heading', { name: '今天', exact: true }).waitFor();
  // 返回 does not bring back a sign-in form to someone signed in (a reviewer's finding).
  await page.goBack();
  await page.waitForURL((url) => url.pathname !== '/today');
  assert.notEqual(new URL(page.url()).pathname, '/login');
  await page.getByRole('heading', { name: '订单看板' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: '团队登录' }).count(), 0);
  await context.close();
});

test('a customer sees a shipped order as shipped, with a tracking number to copy and the carrier\'s tracking page', async () => {
  // Demo order GD-DEMO-008 (青岛海昌水产, phone ending 8899) left with 顺丰速运.
  const { context, page } = await phonePage(browser);
  await page.goto('/track');
  await page.getByLabel('订单号').fill('GD-DEMO-008');
  await page.getByLabel('联系电话后 4 位').fill('8899');
  await page.getByRole('button', { name: '查询' }).click();
  const result = page.getByTestId('track-result');
  await result.waitFor();
  const text = await result.textContent();
  assert.match(text, /已于 \d+ 月 \d+ 日发出/);
  assert.doesNotMatch(text, /已交付/);
  const tracking = (await page.getByTestId('tracking-no').textContent()).trim();
  assert.equal(await page.getByTestId('tracking-no').evaluate((el) => getComputedStyle(el).userSelect), 'all');
  assert.equal(
    await page.getByTestId('tracking-link').getAttribute('href'),
    `https://www.kuaidi100.com/chaxun?com=shunfeng&nu=${tracking}`,
  );
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'track-shipped-390x844');
  await context.close();
});

test('a search that matches an order in another stage shows where it is, a tap away', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.admin);
  const company = `搜索测试${RUN}有限公司`;
  await createOrder(page, { company });
  await advanceWithReason(page, '合同签订');
  await page.getByRole('link', { name: '看板', exact: true }).click();
  await page.getByPlaceholder('搜索订单号、客户、电话、产品').fill(company);
  // The first tab (需求确认) is selected and holds no match: it says where the match is.
  const elsewhere = page.getByTestId('matches-elsewhere');
  await elsewhere.getByRole('button', { name: '合同签订 1' }).click();
  await page.getByTestId('order-card').filter({ hasText: company }).waitFor();
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'board-search-elsewhere-390x844');
  await context.close();
});

test('tapping the sync status syncs now: a colleague\'s note arrives without waiting', async () => {
  const a = await phonePage(browser);
  await signInAs(a.page, DEMO_TEAM.admin);
  const orderPath = await createOrder(a.page, { company: `立即同步${RUN}有限公司` });
  await synced(a.page);
  const b = await phonePage(browser);
  await signInAs(b.page, DEMO_TEAM.admin);
  await synced(b.page);
  await b.page.goto(orderPath);
  await b.page.getByTestId('order-number').waitFor();
  await synced(b.page);

  await a.page.getByLabel('添加备注').fill(`刚加的备注${RUN}`);
  await a.page.getByRole('button', { name: '添加备注' }).click();
  await a.page.getByTestId('notes').filter({ hasText: `刚加的备注${RUN}` }).waitFor();
  // The note is on the server once the order no longer carries the unsynced badge.
  await a.page.getByTestId('unsynced').waitFor({ state: 'detached', timeout: 30_000 });
  await b.page.getByTestId('sync-detail').click();
  await b.page.getByTestId('notes').filter({ hasText: `刚加的备注${RUN}` }).waitFor({ timeout: 10_000 });
  await a.context.close();
  await b.context.close();
});

test('a repeat customer: the company from an earlier order fills the rest, and the customer screen lists both orders', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales, { next: '/orders/new' });
  const company = `回头客${RUN}有限公司`;
  const address = `宁波市北仑区 ${RUN} 号`;
  await createOrder(page, { company, address, email: 'repeat@example.com' });

  // The second order: ＋, the company (picked from the suggestions), the items, save.
  await page.getByRole('link', { name: '看板', exact: true }).click();
  await page.getByTestId('new-order-fab').click();
  await page.getByLabel('公司名称').fill(company);
  await page.waitForFunction(() => document.querySelector('#address')?.value !== '');
  assert.equal(await page.getByLabel('联系人').inputValue(), '周一');
  assert.equal(await page.getByLabel('联系电话').inputValue(), '0571-8888 6666');
  assert.equal(await page.getByLabel('邮箱').inputValue(), 'repeat@example.com');
  assert.equal(await page.getByLabel('地址').inputValue(), address);
  await page.getByLabel('产品').fill('密封圈');
  await page.getByLabel('单位').fill('卷');
  await page.getByLabel('单价（元）').fill('10');
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'repeat-order-390x844');
  await page.getByRole('button', { name: '保存订单' }).click();
  await page.getByTestId('order-number').waitFor();
  assert.equal(await page.getByTestId('order-address').textContent(), address);
  await page.locator('.detail-head .items').filter({ hasText: '密封圈 × 1卷 @ ¥10.00' }).waitFor();

  await page.getByTestId('customer-link').click();
  await page.getByTestId('customer-company').filter({ hasText: company }).waitFor();
  assert.equal(await page.getByTestId('customer-order-count').textContent(), '2 单');
  assert.equal(await page.getByTestId('customer-total').textContent(), '¥370.00');
  assert.equal(await page.getByTestId('order-card').count(), 2);
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'customer-390x844');
  await context.close();
});

// A reviewer's finding: the bottom bar's 查询 opened the customer page, outside the app, with no
// way back (an installed app has no back button) and Chrome's error page offline.
test('every destination in the bottom bar is a screen of the app, and each opens offline', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales, { next: '/' });
  await synced(page);
  await context.setOffline(true);
  try {
    const links = page.locator('.bottom-nav a');
    const count = await links.count();
    assert.ok(count >= 4, `${count} destinations`);
    for (let i = 0; i < count; i += 1) {
      const link = links.nth(i);
      const label = (await link.textContent()).trim();
      await link.click();
      await page.locator('main h1').first().waitFor();
      const url = new URL(page.url());
      assert.notEqual(url.pathname, '/track', `${label} stays in the app`);
      assert.equal(await page.locator('.bottom-nav').count(), 1, `${label} keeps the bottom bar`);
    }
    // The customer page is still at hand, from 设置, opening outside the app.
    await page.locator('.bottom-nav').getByRole('link', { name: '设置', exact: true }).click();
    const track = page.getByTestId('track-link');
    assert.equal(await track.getAttribute('href'), '/track');
    assert.equal(await track.getAttribute('target'), '_blank');
    assert.deepEqual(await smallTapTargets(page), []);
  } finally {
    await context.setOffline(false);
    await context.close();
  }
});

// A reviewer's finding: offline, sign-in said "第一次登录需要网络" to someone who had signed in on
// this phone before, and emptied the password box, to be typed again.
test('signing in offline says the network is needed and keeps what was typed for the retry', async () => {
  const { context, page } = await phonePage(browser);
  await page.goto('/login');
  await page.getByRole('heading', { name: '团队登录' }).waitFor();
  await page.waitForFunction(() => !document.getElementById('boot'));
  await context.setOffline(true);
  try {
    await page.getByLabel('手机号或邮箱').fill(DEMO_TEAM.sales.login);
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: '登录需要网络' });
    await alert.waitFor();
    assert.ok(!(await alert.textContent()).includes('第一次'), await alert.textContent());
    assert.equal(await page.getByLabel('密码').inputValue(), DEMO_PASSWORD, 'the password is kept');
  } finally {
    await context.setOffline(false);
  }
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/today');
  await context.close();
});

// A reviewer's finding: with the server failing every push, the top bar said "在线 · 1 单未同步"
// for as long as it lasted, nothing more; the reason lived in a tooltip a phone never shows.
test('a push the server keeps failing is said in the top bar; once it answers, the change syncs', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales, { next: '/' });
  await synced(page);
  const path = await createOrder(page, { company: `推送失败${RUN}有限公司` });
  await synced(page);
  await page.route('**/api/sync/push', (route) => route.fulfill({
    status: 500, contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'internal', message: '服务器内部错误', message_en: 'Internal error' } }),
  }));
  await page.getByLabel('添加备注').fill('服务器出错时写的备注');
  await page.getByRole('button', { name: '添加备注' }).click();
  const status = page.getByTestId('sync-detail');
  await status.filter({ hasText: '同步失败 · 1 单未同步' }).waitFor({ timeout: 30_000 });
  assert.match(await status.getAttribute('class'), /sync-failing/);
  await page.unroute('**/api/sync/push');
  await status.click();
  await synced(page);
  assert.doesNotMatch(await status.getAttribute('class'), /sync-failing/);
  assert.match(page.url(), new RegExp(`${path}$`));
  await context.close();
});

// A reviewer's finding: back from an order, the board had lost its search and its tab.
test('back from an order, the board keeps its search and the tab it was on', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales, { next: '/' });
  await synced(page);
  await page.getByPlaceholder('搜索订单号、客户、电话、产品').fill('GD-DEMO');
  // A later tab that has cards.
  const tabs = page.getByRole('tab');
  let chosen = -1;
  for (let i = 1; i < await tabs.count(); i += 1) {
    if (Number(await tabs.nth(i).getByTestId('stage-count').textContent()) > 0) {
      chosen = i;
      break;
    }
  }
  assert.ok(chosen > 0, 'a later stage holds a demo order');
  const tabName = await tabs.nth(chosen).locator('.stage-name').textContent();
  await tabs.nth(chosen).click();
  await page.locator('.board-column.selected').getByTestId('order-card').first().click();
  await page.getByTestId('order-number').waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: '订单看板' }).waitFor();
  assert.equal(await page.getByPlaceholder('搜索订单号、客户、电话、产品').inputValue(), 'GD-DEMO');
  assert.equal(await page.getByRole('tab', { selected: true }).locator('.stage-name').textContent(), tabName);
  await context.close();
});

// A reviewer measured the not-found page's only way out at 64x19 px.
test('a page that does not exist says so, with a way back a thumb can hit', async () => {
  const { context, page } = await phonePage(browser, { viewport: { width: 360, height: 780 } });
  await signInAs(page, DEMO_TEAM.sales, { next: '/' });
  await page.goto('/no-such-page');
  await page.getByRole('heading', { name: '页面不存在' }).waitFor();
  assert.deepEqual(await smallTapTargets(page), []);
  await page.getByRole('link', { name: '返回看板' }).click();
  await page.getByRole('heading', { name: '订单看板' }).waitFor();
  await context.close();
});
