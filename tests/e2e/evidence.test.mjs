// A checklist item that needs a photo (issue 16: "the process can require evidence") end to end
// at 390x844, on a private worker because publishing changes the process for everything after
// it: the admin adds 收回签收单 to 售后服务 in 流程设置, required and needing a 签收单 photo, and
// publishes. 售后服务 because the signed delivery note comes back once the goods arrived, after
// the order left 发货发票 (whose exit already needs the shipment on record), and an order should
// not be closed without it. On 王芳's phone the item says so: ticking it or completing the order
// is refused with the reason; 拍照 right on the item adds the 签收单 and ticks it; then the order
// completes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { bearer, createOrderMutation, startDemoWorker } from '../support/api.mjs';
import { ARTIFACTS, DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs } from '../support/browser.mjs';

const RUN = randomBytes(3).toString('hex');
const ORDER = randomUUID();
const COMPANY = `签收凭证${RUN}有限公司`;

let worker;
let browser;

const synced = (page) => page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

/// A photo of a signed delivery note, drawn by the browser (no file in the repo).
async function notePhoto(page) {
  const bytes = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(1600, 1200);
    const context = canvas.getContext('2d');
    context.fillStyle = '#f5f1e6';
    context.fillRect(0, 0, 1600, 1200);
    context.fillStyle = '#1a3d7c';
    context.font = 'bold 120px sans-serif';
    context.fillText('签收单 SIGNED', 120, 400);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return Buffer.from(bytes);
}

/// Buttons, links, inputs and selects inside `selector` smaller than 44 px either way (a file
/// input's box is its picker button's).
const smallTargetsIn = (page, selector) =>
  page.evaluate((selector) =>
    [...document.querySelectorAll(`${selector} a, ${selector} button, ${selector} select, ${selector} label.button, ${selector} label.check`)]
      .filter((element) => element.offsetParent !== null)
      .map((element) => ({ text: element.textContent.trim(), ...element.getBoundingClientRect().toJSON() }))
      .filter((box) => box.height < 44 || box.width < 44), selector);

before(async () => {
  worker = await startDemoWorker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await worker?.stop();
});

test('the admin makes 收回签收单 need a 签收单 photo; the order completes only once the photo taken on the item is there', async () => {
  const admin = await phonePage(browser, { baseURL: worker.url });
  const { page } = admin;
  await signInAs(page, DEMO_TEAM.admin);
  await page.goto('/desk/process');
  await page.getByRole('heading', { name: '流程设置', exact: true }).waitFor();
  const afterSales = page.locator('[data-testid=process-stage][data-key="after_sales"]');
  await afterSales.getByRole('button', { name: '编辑' }).click();
  await afterSales.getByRole('button', { name: '添加清单项' }).click();
  await page.getByLabel('清单项 3（中文）').fill('收回签收单');
  await page.getByLabel('清单项 3（英文）').fill('Signed delivery note back');
  const item = afterSales.getByTestId('checklist-item').nth(2);
  await item.getByTestId('checklist-item-required').check();
  await item.getByTestId('checklist-item-evidence').selectOption('delivery_note');
  assert.equal(await item.getByLabel('需要照片作为凭证').inputValue(), 'delivery_note');
  await item.scrollIntoViewIfNeeded();
  assert.deepEqual(await smallTargetsIn(page, '[data-testid=checklist-item]'), []);
  await screenshot(page, 'evidence-process-item-390x844');
  await item.screenshot({ path: join(ARTIFACTS, 'evidence-process-item-390.png') });
  await page.getByLabel('发布说明').fill('完成前要收回签收单');
  await page.getByRole('button', { name: '发布新版本' }).click();
  await page.getByTestId('process-outcome').filter({ hasText: '已发布第 2 版' }).waitFor();
  const published = await worker.call('/api/process/versions', { headers: bearer(await worker.signIn(DEMO_TEAM.admin.login)) });
  assert.equal(published.status, 200, published.text);
  const v2 = (Array.isArray(published.json) ? published.json : published.json.versions).find((version) => version.number === 2);
  const added = v2.stages.find((stage) => stage.id === 'after_sales').checklist.find((i) => i.label.zh === '收回签收单');
  assert.equal(added.evidence, 'delivery_note');
  assert.equal(added.required, true);
  await admin.context.close();

  // An order on version 2, shipped and invoiced, now in 售后服务.
  const adminToken = await worker.signIn(DEMO_TEAM.admin.login);
  const mutations = [
    createOrderMutation(ORDER, { company: COMPANY }),
    { type: 'advance_stage', order_id: ORDER, from: 'requirement', to: 'delivery', reason: '测试：直接发货' },
    { type: 'record_shipment', order_id: ORDER, carrier: '顺丰速运', tracking_no: 'SF1234567890' },
    { type: 'record_invoice', order_id: ORDER, number: '04423101', date: '2026-12-01' },
    { type: 'advance_stage', order_id: ORDER, from: 'delivery', to: 'after_sales', reason: '测试：已发货' },
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
  const noteItem = panel.getByTestId('checklist').locator('li').filter({ hasText: '收回签收单' });
  await noteItem.getByTestId('checklist-evidence').filter({ hasText: '需签收单照片' }).waitFor();
  const picker = noteItem.getByTestId('evidence-picker');
  await picker.waitFor();
  const refusal = '清单项“收回签收单”需要签收单照片';

  // Ticking without the photo: refused with the reason, nothing ticked.
  await noteItem.getByRole('checkbox').click();
  await panel.getByRole('alert').filter({ hasText: refusal }).waitFor();
  assert.equal(await noteItem.getByRole('checkbox').isChecked(), false);
  // Completing without it: the same reason, even with a reason typed.
  await panel.getByTestId('advance').click();
  await panel.getByRole('alert').filter({ hasText: refusal }).waitFor();
  await noteItem.scrollIntoViewIfNeeded();
  assert.deepEqual(await smallTargetsIn(phone, '[data-testid=evidence-picker]'), []);
  await screenshot(phone, 'evidence-item-needs-photo-390x844');

  // 拍照 right on the item: the 签收单 is added and the item ticked with it.
  await picker.getByTestId('evidence-camera').locator('input').setInputFiles({ name: 'IMG_0002.jpg', mimeType: 'image/jpeg', buffer: await notePhoto(phone) });
  await phone.waitForFunction(() => [...document.querySelectorAll('[data-testid=checklist] li')]
    .some((li) => li.textContent.includes('收回签收单') && li.querySelector('input[type=checkbox]')?.checked));
  await noteItem.getByTestId('evidence-picker').waitFor({ state: 'detached' });
  await phone.getByTestId('attachments').getByTestId('attachment').filter({ hasText: '签收单' }).waitFor();
  // The refusal said before is gone with its cause.
  assert.equal(await panel.getByRole('alert').filter({ hasText: refusal }).count(), 0);
  await screenshot(phone, 'evidence-item-ticked-390x844');

  // Now only the usual reason for the unticked optional items stands between it and 完成.
  await panel.getByTestId('advance').click();
  await phone.getByLabel('原因（跳过、退回或清单未完成时必填）').fill('回访下周做');
  await panel.getByTestId('advance').click();
  await phone.getByText('已完成').first().waitFor();
  await synced(phone);
  assert.deepEqual(problems, []);
});
