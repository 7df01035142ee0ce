// The customer's side end to end, against demo order GD-DEMO-007 (成都天府食品有限公司, in
// 生产/采购, contact 杨雪, phone ending 7733): the admin moves it on to shipping and records
// the shipment on their phone; a customer in a separate, signed-out browser looks it up at
// 390x844 with no JavaScript at all, sees the new stage, opens the shared link (and its QR
// code), rates the order and files an after-sales request; the team's phone shows both in the
// order's history after its next sync. Screenshots at 390x844 and 360x740 go to tests/artifacts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DEMO_PASSWORD, DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets } from '../support/browser.mjs';
import { api, bearer, signIn } from '../support/api.mjs';
import { readToken } from '../support/track.mjs';

const ORDER = { number: 'GD-DEMO-007', digits: '7733', company: '成都天府食品有限公司', contact: '杨雪' };
const TRACKING_NO = `SF${Date.now().toString().slice(-10)}`;
const COMMENT = '<script>alert("xss")</script>发货很快，包装完好';
const DESCRIPTION = '第 3 箱外包装破损，请安排补发';

let browser;
let team;
let customer;
let orderPath;
let customerUrl;

before(async () => {
  browser = await launchBrowser();
  team = await phonePage(browser);
  // The customer: its own context, never signed in, and no JavaScript at all.
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: 'zh-CN', javaScriptEnabled: false, baseURL: BASE_URL,
  });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss();
  });
  customer = { context, page, dialogs };
});

after(async () => {
  await browser?.close();
});

const synced = (page) => page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

test('the admin moves the order on to shipping, records the shipment and syncs', async () => {
  const { page } = team;
  await signInAs(page, DEMO_TEAM.admin);
  await synced(page);
  await page.getByPlaceholder('搜索订单号、客户、电话、产品').fill(ORDER.number);
  // A phone shows one stage column at a time.
  await page.getByRole('tab', { name: /生产/ }).click();
  await page.getByTestId('order-card').filter({ hasText: ORDER.company }).click();
  await page.getByTestId('current-stage').filter({ hasText: '生产/采购' }).waitFor();
  orderPath = new URL(page.url()).pathname;

  // The checklist is not complete, so the rules ask for a reason.
  await page.getByTestId('advance').click();
  await page.getByLabel('原因（跳过、退回或清单未完成时必填）').fill('质检报告随货');
  await page.getByTestId('advance').click();
  await page.getByTestId('current-stage').filter({ hasText: '发货发票' }).waitFor();
  // By id: the checklist item "发货并登记物流单号" is a label with the same words.
  await page.locator('#carrier').fill('顺丰速运');
  await page.locator('#tracking').fill(TRACKING_NO);
  await page.getByRole('button', { name: '登记发货' }).click();
  await page.getByTestId('shipment').filter({ hasText: TRACKING_NO }).waitFor();
  await synced(page);
  assert.deepEqual(team.problems, []);
});

test('the customer looks the order up at 390x844 and sees the new stage and the shipment', async () => {
  const { page } = customer;
  await page.goto('/track');
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  await screenshot(page, 'customer-lookup-390x844');
  await page.getByLabel('订单号').fill(ORDER.number.toLowerCase());
  await page.getByLabel('联系电话后 4 位').fill(ORDER.digits);
  await page.getByRole('button', { name: '查询' }).click();
  const result = page.getByTestId('track-result');
  await result.waitFor();
  // Post/Redirect/Get: the answer is the order's own page, so a reload submits nothing.
  assert.match(new URL(page.url()).pathname, /^\/t\/[A-Za-z0-9_-]{35}\.[A-Za-z0-9_-]{22}$/);
  assert.match(await result.textContent(), new RegExp(ORDER.company));
  const current = page.locator('.timeline-step.current');
  assert.equal(await current.count(), 1);
  assert.match(await current.textContent(), /发货/);
  assert.equal(await page.locator('.timeline-step.done').count(), 4);
  assert.match(await result.textContent(), new RegExp(TRACKING_NO));
  assert.match(await result.textContent(), /顺丰速运/);
  // Shipped: rating and after-sales are open.
  await page.getByRole('heading', { name: '满意度评价' }).waitFor();
  await page.getByRole('heading', { name: '售后服务' }).waitFor();
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'customer-order-390x844');
});

test('the shared link and its QR code open the same order without the phone digits', async () => {
  const session = await signIn(DEMO_TEAM.sales.login, DEMO_PASSWORD);
  const orderId = orderPath.split('/').pop();
  assert.equal(readToken(new URL(customer.page.url()).pathname.slice(3)).orderId, orderId);
  const shared = await api(`/api/orders/${orderId}/share`, { method: 'POST', headers: bearer(session.token) });
  assert.equal(shared.status, 200, shared.text);
  customerUrl = shared.json.url;

  // The QR code is an image a browser can draw (square, at least 200 px).
  const { page } = customer;
  await page.setContent(`<img alt="QR" src="data:image/svg+xml;base64,${Buffer.from(shared.json.qr_svg).toString('base64')}">`);
  const size = await page.locator('img').evaluate((img) => img.decode().then(() => [img.naturalWidth, img.naturalHeight]));
  assert.equal(size[0], size[1]);
  assert.ok(size[0] >= 200, `QR ${size}`);

  await page.goto(customerUrl);
  await page.getByTestId('track-result').filter({ hasText: ORDER.company }).waitFor();
});

test('the customer rates the order; the comment is shown as text', async () => {
  const { page } = customer;
  await page.locator('label.star').filter({ hasText: '5 ★' }).click();
  await page.getByLabel('评价内容（可选）').fill(COMMENT);
  await page.getByRole('button', { name: '提交评价' }).click();
  await page.getByRole('status').filter({ hasText: '感谢您的评价' }).waitFor();
  assert.equal(await page.getByTestId('feedback-comment').textContent(), COMMENT);
  assert.equal(await page.getByTestId('feedback-given').locator('.stars').textContent(), '★★★★★');
  // Still editable for 7 days: the form is there, pre-filled, and says "update".
  await page.getByRole('button', { name: '修改评价' }).waitFor();
  assert.equal(await page.getByLabel('评价内容（可选）').inputValue(), COMMENT);
  assert.deepEqual(customer.dialogs, [], 'the comment never runs as script');
});

test('the customer files an after-sales request and sees it listed as in progress', async () => {
  const { page } = customer;
  await page.getByLabel('问题类型').selectOption({ label: '质量问题' });
  await page.getByLabel('问题描述').fill(DESCRIPTION);
  await page.getByLabel('联系方式').fill('杨女士 135 4128 7733');
  await page.getByRole('button', { name: '提交售后申请' }).click();
  await page.getByRole('status').filter({ hasText: '售后申请已提交' }).waitFor();
  const list = page.getByTestId('after-sales-list');
  assert.match(await list.textContent(), new RegExp(DESCRIPTION));
  assert.match(await list.textContent(), /质量问题/);
  assert.match(await list.textContent(), /处理中/);
  // Reloading the answer submits nothing again (it is a GET of the order page).
  await page.reload();
  assert.equal(await page.getByTestId('after-sales-list').locator('li').count(), 1);
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'customer-feedback-390x844');
});

test('the page reads well at 360x740 and switches to English, keeping the language in forms', async () => {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN',
    baseURL: BASE_URL,
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await page.goto(customerUrl);
  await page.getByTestId('track-result').waitFor();
  // Nothing wider than the screen (long Chinese company names, tracking numbers).
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360);
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'customer-order-360x740');
  await page.goto('/track');
  await screenshot(page, 'customer-lookup-360x740');

  await page.goto(customerUrl);
  await page.getByRole('link', { name: 'English' }).click();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.getByRole('heading', { name: 'Your rating' }).waitFor();
  assert.match(await page.locator('.timeline-step.current').textContent(), /Shipping/);
  assert.deepEqual(problems, [], 'no CSP violations or other console errors');
  // A refused form answers in the language it was sent in (its 422 status is logged by the
  // browser as a failed load; nothing else may be).
  await page.getByLabel('Description').fill('   ');
  await page.getByLabel('How to reach you').fill('x');
  await page.getByLabel('Description').evaluate((el) => el.removeAttribute('required'));
  await page.getByRole('button', { name: 'Send request' }).click();
  await page.getByRole('alert').filter({ hasText: /Description/ }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await page.getByLabel('How to reach you').inputValue(), 'x', 'what was typed is kept');
  await screenshot(page, 'customer-order-en-360x740');
  assert.deepEqual(problems.filter((text) => !/status of 422/.test(text)), [], 'no CSP violations');
  await context.close();
});

test("the team's phone shows the rating and the request in the order's history after sync", async () => {
  const { page } = team;
  // Coming back to the app syncs; the history is the order page's list.
  await page.goto(orderPath);
  const history = page.getByTestId('history');
  await history.filter({ hasText: `客户 ${ORDER.contact} 提交了售后申请：质量问题` }).waitFor({ timeout: 30_000 });
  await history.filter({ hasText: `客户 ${ORDER.contact} 评价了订单` }).waitFor();
  assert.ok(!(await page.content()).includes('<script>alert("xss")'), 'no live markup in the team app either');
  await screenshot(page, 'customer-feedback-team-history-390x844');
  assert.deepEqual(team.problems, []);
});
