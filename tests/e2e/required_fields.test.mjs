// A stage that needs order fields before the order leaves it (issue 13: "exit requirements …
// required order fields"), end to end at 390x844 on a private worker (publishing changes the
// process for everything after it): 合同签订 needs the amount and the expected delivery date.
// 王芳's order in 合同签订 has an amount but no date: the order page says so before she tries,
// moving on is refused naming the date, 去填写 opens the edit form, she fills the date, and the
// order moves on to 下单处理.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { bearer, createOrderMutation, startDemoWorker } from '../support/api.mjs';
import { ARTIFACTS, DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets } from '../support/browser.mjs';

const RUN = randomBytes(3).toString('hex');
const ORDER = randomUUID();
const COMPANY = `必填字段${RUN}有限公司`;
const REFUSAL = '离开“合同签订”前请先填写：预计交付日期';

let worker;
let browser;

const synced = (page) => page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

before(async () => {
  worker = await startDemoWorker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await worker?.stop();
});

test('the order page says which fields 合同签订 still needs, refuses to move on without them, and moves on once filled', async () => {
  // The admin ticks the two fields for 合同签订 in 流程设置 and publishes.
  const admin = await phonePage(browser, { baseURL: worker.url });
  const { page } = admin;
  await signInAs(page, DEMO_TEAM.admin);
  await page.goto('/desk/process');
  await page.getByRole('heading', { name: '流程设置', exact: true }).waitFor();
  const contract = page.locator('[data-testid=process-stage][data-key="contract"]');
  await contract.getByRole('button', { name: '编辑' }).click();
  const fields = page.getByTestId('required-fields');
  await fields.getByLabel('订单金额').check();
  await fields.getByLabel('预计交付日期').check();
  await page.getByLabel('可以跳过这个阶段（填写原因后直接推进到后面的阶段）').uncheck();
  await fields.scrollIntoViewIfNeeded();
  await screenshot(page, 'required-fields-editor-390x844');
  await fields.screenshot({ path: join(ARTIFACTS, 'required-fields-editor-fields-390.png') });
  await page.getByLabel('发布说明').fill('合同要有金额和交期');
  await page.getByRole('button', { name: '发布新版本' }).click();
  await page.getByTestId('process-outcome').filter({ hasText: '已发布第 2 版' }).waitFor();
  // The history says what changed.
  await page.getByText('“合同签订”离开前必填：订单金额、预计交付日期').first().waitFor();
  await page.getByText('“合同签订”改为不可跳过').first().waitFor();
  await admin.context.close();

  // An order on version 2 with an amount and no date, now in 合同签订.
  const adminToken = await worker.signIn(DEMO_TEAM.admin.login);
  const mutations = [
    createOrderMutation(ORDER, { company: COMPANY }),
    { type: 'advance_stage', order_id: ORDER, from: 'requirement', to: 'contract', reason: '测试：需求已确认' },
  ].map((mutation, i) => ({ seq: i + 1, mutation, device_time: new Date().toISOString() }));
  const pushed = await worker.call('/api/sync/push', { json: { device_id: randomUUID(), mutations }, headers: bearer(adminToken) });
  assert.equal(pushed.status, 200, pushed.text);
  assert.deepEqual(pushed.json.rejected, []);

  const { page: phone, problems } = await phonePage(browser, { baseURL: worker.url });
  await signInAs(phone, DEMO_TEAM.sales);
  await synced(phone);
  await phone.goto(`/orders/${ORDER}`);
  await phone.locator('.detail-head .company').filter({ hasText: COMPANY }).waitFor();
  const panel = phone.getByTestId('current-stage-panel');
  // Said before she tries: only the date is missing, the amount is there.
  const hint = panel.getByTestId('missing-fields');
  await hint.filter({ hasText: '离开本阶段前请先填写：预计交付日期' }).waitFor();
  assert.doesNotMatch(await hint.innerText(), /订单金额/);
  await hint.scrollIntoViewIfNeeded();
  assert.deepEqual(await smallTapTargets(phone), []);
  await screenshot(phone, 'required-fields-hint-390x844');

  // Trying anyway: refused naming the field, the order stays.
  await panel.getByTestId('advance').click();
  await panel.getByRole('alert').filter({ hasText: REFUSAL }).waitFor();
  assert.equal(await phone.getByTestId('current-stage').innerText(), '合同签订');
  await screenshot(phone, 'required-fields-refused-390x844');

  // 去填写 opens the edit form; the date filled, the hint is gone and the order moves on.
  await hint.getByTestId('fill-fields').click();
  await phone.waitForURL(`**/orders/${ORDER}/edit`);
  await phone.getByLabel('预计交付日期').fill('2026-12-30');
  await phone.getByRole('button', { name: '保存订单' }).click();
  await phone.waitForURL(`**/orders/${ORDER}`);
  await panel.getByTestId('deadline').waitFor();
  assert.equal(await panel.getByTestId('missing-fields').count(), 0);
  await panel.getByTestId('advance').click();
  // The contract checklist is not ticked: the usual reason is asked for, and then it moves.
  await phone.getByLabel('原因（跳过、退回或清单未完成时必填）').fill('合同已线下签好');
  await panel.getByTestId('advance').click();
  await phone.getByTestId('current-stage').filter({ hasText: '下单处理' }).waitFor();
  await synced(phone);
  assert.deepEqual(problems, []);
});
