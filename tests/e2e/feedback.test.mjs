// What customers say, end to end at 390x844 (and 360x740): 王芳 (sales) makes a customer link on
// the order page (copy, QR code, expiry); the customer, holding only that link, rates the order
// and files an after-sales request through the customer endpoints; 王芳's next sync shows "售后 1"
// and ★4 on the board card and the request and rating on the order page; she marks the request
// resolved while offline, syncs, and the marker is gone — for the customer too.
//
// The order is this test's own: made and shipped by the admin through the real sync API (the
// way another phone would), so no other test's demo order changes under it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { DEMO_ADMIN, DEMO_PASSWORD, api, bearer, signIn } from '../support/api.mjs';
import { join } from 'node:path';
import { ARTIFACTS, DEMO_TEAM, ensureDemoData, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets } from '../support/browser.mjs';

const NUMBER = `FB-${randomBytes(3).toString('hex').toUpperCase()}`;
const COMPANY = '宁波反馈测试有限公司';
const COMMENT = '<script>alert("评价")</script> 发货很快 & "包装好"';
const DESCRIPTION = '第二箱外包装破损\n<b onmouseover="alert(2)">两件</b>刮花';
const CONTACT = '陈女士 13905741234';
const orderId = randomUUID();

let browser;
let phone;
let shareToken;
const dialogs = [];

const STAGES = ['requirement', 'contract', 'order_entry', 'production', 'delivery'];

/// The admin's phone, as the sync API sees it: creates the order and ships it.
async function shippedOrderOnTheServer() {
  const admin = await signIn(DEMO_ADMIN.login, DEMO_PASSWORD);
  const mutations = [
    {
      type: 'create_order',
      order_id: orderId,
      number: NUMBER,
      customer: { company: COMPANY, contact: '陈静', phone: '139 0574 1234', email: null, address: null },
      items: [{ product: '不锈钢保温杯', quantity: 200, unit_price: 3900 }],
      expected_delivery: null,
      owner: { user_id: 'u-wangfang', name: '王芳' },
      note: null,
      note_id: null,
    },
    ...STAGES.slice(0, -1).map((from, index) => ({
      type: 'advance_stage', order_id: orderId, from, to: STAGES[index + 1], reason: '反馈测试快速推进',
    })),
    { type: 'record_shipment', order_id: orderId, carrier: '顺丰速运', tracking_no: 'SF1234567890' },
  ];
  const device = randomUUID();
  const answer = await api('/api/sync/push', {
    json: { device_id: device, mutations: mutations.map((mutation, i) => ({ seq: i + 1, mutation, device_time: new Date().toISOString() })) },
    headers: bearer(admin.token),
  });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.json.rejected, [], 'the admin may make and ship the order');
}

/// One part of the page, for people to look at (the full-page shots are long).
/// The fixed top bar and bottom navigation are hidden in it: they would cover part of it.
/// (Through the elements' style: the CSP refuses injected style sheets.)
async function shot(locator, name) {
  const bars = (display) => locator.page().evaluate((value) => {
    for (const bar of document.querySelectorAll('.top-bar, .bottom-nav')) bar.style.display = value;
  }, display);
  await bars('none');
  await locator.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  await bars('');
}

/// At 360x740 (the narrowest phones we support) `locator` still fits and every target is tappable;
/// leaves a picture of it, and goes back to 390x844.
async function atNarrowPhone(page, locator, name) {
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `nothing sticks out sideways at 360 px (${overflow} px too wide)`);
  assert.deepEqual(await smallTapTargets(page), [], 'every button and field is big enough to tap at 360 px');
  await locator.scrollIntoViewIfNeeded();
  await shot(locator, name);
  await page.setViewportSize({ width: 390, height: 844 });
}

const synced = (page) => page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
const card = (page) => page.locator(`[data-testid=order-card][data-number="${NUMBER}"]`);

/// The board's 发货发票 tab, where a shipped order waits for its invoice.
async function boardAtShipping(page) {
  await page.goto('/');
  await synced(page);
  await page.getByRole('tab', { name: /发货发票/ }).click();
  await card(page).waitFor();
}

async function openOrder(page) {
  await page.goto(`/orders/${orderId}`);
  await page.getByTestId('order-number').filter({ hasText: NUMBER }).waitFor();
}

before(async () => {
  await ensureDemoData();
  await shippedOrderOnTheServer();
  browser = await launchBrowser();
  phone = await phonePage(browser);
  await phone.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  phone.page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await signInAs(phone.page, DEMO_TEAM.sales);
  await synced(phone.page);
});

after(async () => {
  await browser?.close();
});

test('the order page makes a customer link: text to copy, a QR code and the expiry date', async () => {
  const { page, context } = phone;
  await openOrder(page);
  const panel = page.getByTestId('share-panel');
  await panel.getByRole('heading', { name: '分享给客户' }).waitFor();

  // Offline the button explains itself instead of failing silently.
  await context.setOffline(true);
  await panel.getByTestId('share-offline').filter({ hasText: '需要联网才能生成链接' }).waitFor();
  assert.equal(await panel.getByTestId('share-make').isDisabled(), true);
  await context.setOffline(false);
  await panel.getByTestId('share-offline').waitFor({ state: 'detached' });

  await panel.getByRole('button', { name: '生成客户链接' }).click();
  const url = await panel.getByTestId('share-url').inputValue();
  const link = new URL(url);
  assert.equal(link.origin, new URL(page.url()).origin, 'the link points at this deployment');
  assert.match(link.pathname, /^\/t\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  shareToken = link.pathname.slice('/t/'.length);

  // 30 days from today, in China time, the way the app writes dates.
  const until = new Date(Date.now() + 30 * 24 * 3600_000 + 8 * 3600_000);
  const expected = `链接有效期至 ${until.getUTCFullYear()}年${until.getUTCMonth() + 1}月${until.getUTCDate()}日`;
  await panel.getByTestId('share-expiry').filter({ hasText: expected }).waitFor();

  // The QR code is an image made from the server's SVG, and it decodes.
  const qr = panel.getByTestId('share-qr');
  assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/);
  await page.waitForFunction(() => document.querySelector('[data-testid=share-qr]')?.naturalWidth > 0);
  assert.equal(await panel.locator('svg').count(), 0, 'no server markup in the page itself');

  await panel.getByRole('button', { name: '复制链接' }).click();
  await panel.getByTestId('share-copied').filter({ hasText: '已复制' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);

  // "分享" opens the phone's share sheet; a browser without one does not get the button.
  const hasShareSheet = await page.evaluate(() => typeof navigator.share === 'function');
  assert.equal(await panel.getByTestId('share-sheet').count(), hasShareSheet ? 1 : 0);

  await panel.scrollIntoViewIfNeeded();
  assert.deepEqual(await smallTapTargets(page), [], 'every button and field is big enough to tap');
  await shot(panel, 'share-panel-390x844');
  await atNarrowPhone(page, panel, 'share-panel-360x740');
});

test('the customer rates and asks for help through the link; the team sees both after sync', async () => {
  assert.ok(shareToken, 'the link from the previous test');
  // The customer holds nothing but the link.
  const rated = await api(`/api/track/t/${shareToken}/rating`, { json: { stars: 4, comment: COMMENT } });
  assert.equal(rated.status, 200, rated.text);
  const filed = await api(`/api/track/t/${shareToken}/after-sales`, {
    json: { request_id: randomUUID(), kind: 'quality', description: DESCRIPTION, contact: CONTACT },
  });
  assert.equal(filed.status, 200, filed.text);

  const { page } = phone;
  // Opening the app again syncs.
  await boardAtShipping(page);
  const marker = card(page).getByTestId('after-sales-badge');
  await marker.filter({ hasText: '售后 1' }).waitFor();
  assert.equal(await marker.getAttribute('aria-label'), '1 个待处理售后申请');
  await card(page).getByTestId('rating-badge').filter({ hasText: '★4' }).waitFor();

  // "待处理售后" keeps only orders with an open request: this one is among them.
  await page.getByRole('button', { name: '待处理售后' }).click();
  await card(page).waitFor();
  const shown = await page.locator('[data-testid=order-card]:visible').count();
  const marked = await page.locator('[data-testid=order-card]:visible [data-testid=after-sales-badge]').count();
  assert.equal(shown, marked, 'every card the filter shows has an open request');
  await screenshot(page, 'board-after-sales-390x844');
  await page.setViewportSize({ width: 360, height: 740 });
  await screenshot(page, 'board-after-sales-360x740');
  await atNarrowPhone(page, card(page), 'board-card-after-sales-360x740');
  await page.getByRole('button', { name: '待处理售后' }).click();

  await card(page).click();
  const feedback = page.getByTestId('customer-feedback');
  await feedback.getByRole('heading', { name: '客户反馈' }).waitFor();
  await feedback.getByRole('img', { name: '4 星（满分 5 星）' }).waitFor();
  assert.equal(await feedback.getByTestId('rating-comment').textContent(), COMMENT, 'the comment is text, not markup');
  const request = feedback.getByTestId('after-sales-request');
  assert.equal(await request.count(), 1);
  await request.filter({ hasText: '质量问题' }).getByTestId('request-status').filter({ hasText: '待处理' }).waitFor();
  assert.equal(await request.getByTestId('request-description').textContent(), DESCRIPTION);
  await request.filter({ hasText: `联系方式：${CONTACT}` }).waitFor();
  assert.equal(await feedback.locator('script, b').count(), 0, 'nothing the customer typed became markup');
  // The history names the customer.
  await page.getByTestId('history').filter({ hasText: '客户 陈静' }).waitFor();

  await feedback.scrollIntoViewIfNeeded();
  assert.deepEqual(await smallTapTargets(page), []);
  await shot(feedback, 'order-feedback-390x844');
  await screenshot(page, 'order-page-with-feedback-390x844');
  await atNarrowPhone(page, feedback, 'order-feedback-360x740');
  assert.deepEqual(dialogs, [], 'no script from the customer ran');
});

test('resolving the request offline, then syncing, clears the marker for the team and the customer', async () => {
  const { page, context } = phone;
  await openOrder(page);
  const request = page.getByTestId('after-sales-request');
  await request.getByTestId('request-status').filter({ hasText: '待处理' }).waitFor();

  await context.setOffline(true);
  await page.getByTestId('network-status').filter({ hasText: '离线' }).waitFor();
  await request.getByLabel('处理说明（可选）').fill('已补发两件，快递单号 SF99887766');
  await request.getByRole('button', { name: '标记已处理' }).click();
  await request.getByTestId('request-status').filter({ hasText: '已处理' }).waitFor();
  await request.getByTestId('request-resolution').filter({ hasText: /^王芳 于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 处理$/ }).waitFor();
  await request.filter({ hasText: '处理说明：已补发两件，快递单号 SF99887766' }).waitFor();
  assert.equal(await request.getByRole('button', { name: '标记已处理' }).count(), 0);
  await page.getByTestId('sync-detail').filter({ hasText: '1 单未同步' }).waitFor();
  await shot(page.getByTestId('customer-feedback'), 'order-feedback-resolved-offline-390x844');

  // The board already knows (the card is written with the change), before any sync.
  await page.getByRole('link', { name: '看板' }).click();
  await page.getByRole('tab', { name: /发货发票/ }).click();
  await card(page).getByTestId('unsynced').waitFor();
  assert.equal(await card(page).getByTestId('after-sales-badge').count(), 0, 'no marker once resolved');
  await card(page).getByTestId('rating-badge').filter({ hasText: '★4' }).waitFor();

  await context.setOffline(false);
  await synced(page);
  await card(page).getByTestId('unsynced').waitFor({ state: 'detached' });
  assert.equal(await card(page).getByTestId('after-sales-badge').count(), 0);

  // The server took it: the customer's page says it was handled.
  const view = await api(`/api/track/t/${shareToken}`);
  assert.equal(view.status, 200, view.text);
  assert.equal(view.json.after_sales.length, 1);
  assert.match(view.json.after_sales[0].resolved_on, /^\d{4}-\d{2}-\d{2}$/);
});

test('撤销链接 (after a confirmation) voids the link sent before and shows a new one that works', async () => {
  assert.ok(shareToken, 'the link from the first share test');
  assert.equal((await api(`/api/track/t/${shareToken}`)).status, 200, 'the earlier link works before');
  const { page } = phone;
  await openOrder(page);
  const panel = page.getByTestId('share-panel');
  await panel.getByRole('button', { name: '撤销链接' }).click();
  await panel.getByTestId('share-revoke-confirm').filter({ hasText: '之前发给客户的所有链接和二维码都会失效' }).waitFor();
  // Changing one's mind leaves everything as it was.
  await panel.getByRole('button', { name: '取消' }).click();
  assert.equal((await api(`/api/track/t/${shareToken}`)).status, 200);
  await panel.getByRole('button', { name: '撤销链接' }).click();
  await panel.getByRole('button', { name: '确定撤销' }).click();
  await panel.getByTestId('share-revoked').filter({ hasText: '之前的链接已全部失效' }).waitFor();
  const fresh = new URL(await panel.getByTestId('share-url').inputValue()).pathname.slice('/t/'.length);
  assert.notEqual(fresh, shareToken);
  assert.equal((await api(`/api/track/t/${shareToken}`)).status, 404, 'the earlier link is void');
  assert.equal((await api(`/api/track/t/${fresh}`)).status, 200, 'the new one works');
  assert.deepEqual(await smallTapTargets(page), [], 'every button is big enough to tap');
  await shot(panel, 'share-panel-revoked-390x844');
});

test('with a session the server no longer accepts, making a link says to sign in again', async () => {
  const { page } = phone;
  await openOrder(page);
  // 王芳 changes her password elsewhere and back (so other tests can still sign in as her): each
  // change ends every session she had, this phone's included. (Not an admin's reset: that would
  // make her choose a new password at the next sign-in.)
  const elsewhere = await signIn(DEMO_TEAM.sales.login, DEMO_PASSWORD);
  const away = await api('/api/auth/password', { json: { current_password: DEMO_PASSWORD, new_password: 'temporary-password-1' }, headers: bearer(elsewhere.token) });
  assert.equal(away.status, 200, away.text);
  const back = await api('/api/auth/password', { json: { current_password: 'temporary-password-1', new_password: DEMO_PASSWORD }, headers: bearer(away.json.token) });
  assert.equal(back.status, 200, back.text);

  const panel = page.getByTestId('share-panel');
  await panel.getByRole('button', { name: /生成客户链接|重新生成链接/ }).click();
  await panel.getByRole('alert').filter({ hasText: '登录已过期，请重新登录后再生成链接。' }).waitFor();
  await page.getByTestId('session-expired').waitFor();
  // The order itself is still there to work on.
  await page.getByTestId('customer-feedback').waitFor();
});
