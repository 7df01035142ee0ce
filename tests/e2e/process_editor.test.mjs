// The process editor (设置 → 流程设置) end to end at 390x844 (issue 13's "Done means"), on a
// private worker because publishing changes the process for everything after it: an admin
// inserts 报价 after 需求确认, renames 生产/采购 to 生产/备货, adds a required SOP item (a bad SLA is
// named next to its field first), makes 报价's 客户确认报价 required, and publishes with a note. A
// sales phone that was offline during the publish comes back, syncs, and a new order made on it
// walks from 需求确认 through 报价 (held there until the required item is ticked); an order
// started before stays on version 1 (it goes on to 合同签订) until the admin moves it with the
// editor's migration; the customer page names the new stage. Then a second admin's publish makes
// the first one's a clear conflict, and "continue from the newest version" keeps the edits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { bearer, createOrderMutation, startDemoWorker } from '../support/api.mjs';
import { DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets } from '../support/browser.mjs';
import { testSecret } from '../support/track.mjs';

const RUN = randomBytes(3).toString('hex');
const OLD_ORDER = randomUUID();
const OLD_COMPANY = `老流程${RUN}有限公司`;

let worker;
let browser;
let admin;
let sales;
let adminToken;
let salesToken;
let newOrderId;

/// Console errors, less the browser's own line for an answer the test provoked on purpose (a
/// refused publish is a 409 or 422, shown on the screen).
const unexpected = (problems) =>
  problems.filter((problem) => !/Failed to load resource: the server responded with a status of (409|422)/.test(problem));

const synced = (page) => page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

/// The order as the server has it (the newest page of a full pull).
async function serverOrder(orderId) {
  const device = randomUUID();
  let found;
  for (let cursor = 0, more = true; more; ) {
    const page = await worker.call(`/api/sync/pull?device_id=${device}&cursor=${cursor}&limit=1000`, { headers: bearer(salesToken) });
    assert.equal(page.status, 200, page.text.slice(0, 300));
    found = page.json.orders.find((order) => order.id === orderId) ?? found;
    cursor = page.json.cursor;
    more = page.json.more;
  }
  return found;
}

before(async () => {
  worker = await startDemoWorker({ vars: { SHARE_SECRET: testSecret() } });
  adminToken = await worker.signIn(DEMO_TEAM.admin.login);
  salesToken = await worker.signIn(DEMO_TEAM.sales.login);
  // An order in flight before anything is published: it runs on version 1.
  const pushed = await worker.call('/api/sync/push', {
    json: { device_id: randomUUID(), mutations: [{ seq: 1, mutation: createOrderMutation(OLD_ORDER, { company: OLD_COMPANY }), device_time: new Date().toISOString() }] },
    headers: bearer(salesToken),
  });
  assert.equal(pushed.status, 200, pushed.text);
  assert.deepEqual(pushed.json.rejected, []);
  browser = await launchBrowser();
  admin = await phonePage(browser, { baseURL: worker.url });
  sales = await phonePage(browser, { baseURL: worker.url });
});

after(async () => {
  await browser?.close();
  await worker?.stop();
});

/// The process versions a phone holds (IndexedDB store `processes`, keyed by number).
const readHeldVersions = () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('gendan');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const keys = db.transaction('processes').objectStore('processes').getAllKeys();
          keys.onsuccess = () => {
            db.close();
            resolve(keys.result);
          };
          keys.onerror = () => reject(keys.error);
        };
      });
const heldVersions = (page) => page.evaluate(readHeldVersions);

const stages = (page) => page.getByTestId('process-editor').getByTestId('process-stage');
const stageKeys = (page) => stages(page).evaluateAll((rows) => rows.map((row) => row.dataset.key));
const stageRow = (page, key) => page.locator(`[data-testid=process-stage][data-key="${key}"]`);

test('an admin inserts 报价, renames 生产/采购, adds an SOP item and publishes while a sales phone is offline', async () => {
  await signInAs(sales.page, DEMO_TEAM.sales);
  await synced(sales.page);
  await sales.context.setOffline(true);

  const { page } = admin;
  await signInAs(page, DEMO_TEAM.admin);
  await page.goto('/settings');
  await page.getByTestId('process-link').click();
  await page.getByRole('heading', { name: '流程设置', exact: true }).waitFor();
  await stages(page).first().waitFor();
  assert.deepEqual(await stageKeys(page), ['requirement', 'contract', 'order_entry', 'production', 'delivery', 'after_sales']);
  await page.getByTestId('process-base').filter({ hasText: '当前：第 1 版' }).waitFor();
  await screenshot(page, 'process-editor-390x844');

  // 报价 from its template, after 需求确认.
  await page.getByLabel('模板').selectOption({ label: '报价' });
  await page.getByLabel('放在哪个阶段之后').selectOption({ label: '需求确认' });
  await page.getByRole('button', { name: '添加阶段', exact: true }).click();
  assert.deepEqual(await stageKeys(page), ['requirement', 'quote', 'contract', 'order_entry', 'production', 'delivery', 'after_sales']);
  // Its form opened: the template filled every field.
  assert.equal(await page.getByLabel('阶段名称（中文）').inputValue(), '报价');
  // The customer's acceptance must be on record before the order leaves 报价.
  await page.locator('#process-item-quote_accepted-required').check();
  await stageRow(page, 'quote').getByRole('button', { name: '收起' }).click();

  // 生产/采购 → 生产/备货, with one more checklist item.
  const production = stageRow(page, 'production');
  await production.getByRole('button', { name: '编辑' }).click();
  await page.getByLabel('阶段名称（中文）').fill('生产/备货');
  await page.getByLabel('阶段名称（英文）').fill('Production / stock');
  await production.getByRole('button', { name: '添加清单项' }).click();
  await page.getByLabel('清单项 3（中文）').fill('首件确认');
  // Not yet in English: the problem is named next to that field before anything is sent.
  await production.getByTestId('checklist-item').nth(2).getByRole('alert').waitFor();
  await page.getByLabel('清单项 3（英文）').fill('First article check');
  await production.getByTestId('checklist-item').nth(2).getByTestId('checklist-item-required').check();
  // A bad SLA is named next to its field, and publishing is held back.
  await page.getByLabel('时限（天）').fill('400');
  const slaError = production.locator('.field').filter({ has: page.getByLabel('时限（天）') }).getByRole('alert');
  assert.equal(await slaError.textContent(), '时限须是 0 到 365 之间的天数');
  await page.getByRole('button', { name: '发布新版本' }).click();
  await page.getByTestId('process-outcome').filter({ hasText: '请先修正标出的问题' }).waitFor();
  await page.getByLabel('时限（天）').fill('15');
  assert.equal(await slaError.count(), 0);
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'process-stage-form-390x844');

  // What the publish changes, before it is made.
  const impact = page.getByTestId('process-impact');
  await impact.filter({ hasText: '在“需求确认”之后新增“报价”' }).waitFor();
  await impact.filter({ hasText: '“生产/采购”改名为“生产/备货”' }).waitFor();
  await impact.filter({ hasText: '“生产/备货”新增必填清单项“首件确认”' }).waitFor();
  await page.getByTestId('customer-preview').filter({ hasText: '报价' }).waitFor();

  // A refusal only the server gives (a note over 500 characters) is shown next to its field.
  await page.getByLabel('发布说明').fill('长'.repeat(501));
  await page.getByRole('button', { name: '发布新版本' }).click();
  const noteError = page.locator('.field').filter({ has: page.getByLabel('发布说明') }).getByRole('alert');
  await noteError.waitFor();
  assert.match(await noteError.textContent(), /发布说明最多 500 个字/);
  await page.getByLabel('发布说明').fill('合同前先报价');
  assert.equal(await noteError.count(), 0, 'typing clears the server\'s refusal');
  await page.getByRole('button', { name: '发布新版本' }).click();
  await page.getByTestId('process-outcome').filter({ hasText: '已发布第 2 版' }).waitFor();
  await page.getByTestId('process-base').filter({ hasText: '当前：第 2 版' }).waitFor();
  const newest = page.getByTestId('process-version').first();
  assert.equal(await newest.getAttribute('data-number'), '2');
  await newest.getByTestId('version-note').filter({ hasText: '合同前先报价' }).waitFor();
  await newest.filter({ hasText: '在“需求确认”之后新增“报价”' }).waitFor();
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'process-published-390x844');
  assert.deepEqual(unexpected(admin.problems), []);
});

test('the sales phone comes back online, syncs, and a new order walks from 需求确认 through 报价', async () => {
  const { page, context } = sales;
  assert.ok(!(await heldVersions(page)).includes(2), 'offline during the publish, the phone does not have version 2 yet');
  // Back online, the phone syncs by itself (the browser's online event) and fetches version 2.
  await context.setOffline(false);
  // Polled: the store is the phone's own record of what it fetched (waitForFunction would take
  // the pending promise itself for a yes).
  for (const deadline = Date.now() + 30_000; !(await heldVersions(page)).includes(2); ) {
    assert.ok(Date.now() < deadline, 'the phone fetched version 2 within 30 s of coming online');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await synced(page);
  await page.goto('/orders/new');
  await page.getByLabel('公司名称').fill(`新流程${RUN}有限公司`);
  await page.getByLabel('联系人').fill('周一');
  await page.getByLabel('联系电话').fill('0571-8888 6666');
  await page.getByLabel('产品').fill('阀门');
  await page.getByLabel('数量').fill('3');
  await page.getByLabel('单价（元）').fill('120');
  await page.getByRole('button', { name: '保存订单' }).click();
  await page.getByTestId('order-number').waitFor();
  newOrderId = new URL(page.url()).pathname.split('/').pop();
  await page.getByTestId('current-stage').filter({ hasText: '需求确认' }).waitFor();
  await page.getByTestId('advance').click();
  await page.locator('#advance-reason').fill('e2e：先报价');
  await page.getByTestId('advance').click();
  await page.getByTestId('current-stage').filter({ hasText: '报价' }).waitFor();
  await synced(page);
  assert.equal(await page.getByTestId('unsynced').count(), 0, 'the server took the advance into 报价');
  const order = await serverOrder(newOrderId);
  assert.equal(order.process_version, 2);
  assert.equal(order.stage, 'quote');

  // 客户确认报价 is required on version 2: no reason lets the order out of 报价 without it.
  const accepted = page.getByTestId('checklist').locator('li').filter({ hasText: '客户确认报价' });
  await accepted.getByTestId('checklist-required').filter({ hasText: '必填' }).waitFor();
  await page.getByTestId('advance').click();
  await page.getByTestId('current-stage-panel').getByRole('alert').filter({ hasText: '必填清单项“客户确认报价”还没有完成' }).waitFor();
  await screenshot(page, 'process-required-item-390x844');
  await page.getByTestId('current-stage').filter({ hasText: '报价' }).waitFor();
  await accepted.getByRole('checkbox').check();
  await page.getByTestId('advance').click();
  await page.locator('#advance-reason').fill('e2e：报价单已口头确认');
  await page.getByTestId('advance').click();
  await page.getByTestId('current-stage').filter({ hasText: '合同签订' }).waitFor();
  await synced(page);
  assert.equal(await page.getByTestId('unsynced').count(), 0, 'the server took the advance out of 报价');
  const walked = await serverOrder(newOrderId);
  assert.equal(walked.stage, 'contract');
  assert.ok(walked.history.some((event) => event.kind.type === 'checklist_item_set' && event.kind.item === 'quote_accepted'));

  // The order from before the publish goes on under version 1: 需求确认 → 合同签订.
  await page.goto(`/orders/${OLD_ORDER}`);
  await page.getByTestId('current-stage').filter({ hasText: '需求确认' }).waitFor();
  await page.getByTestId('advance').click();
  await page.locator('#advance-reason').fill('e2e：老流程');
  await page.getByTestId('advance').click();
  await page.getByTestId('current-stage').filter({ hasText: '合同签订' }).waitFor();
  await synced(page);
  const old = await serverOrder(OLD_ORDER);
  assert.equal(old.process_version ?? 1, 1);
  assert.equal(old.stage, 'contract');
  await screenshot(page, 'process-old-order-390x844');

  // Not an admin: no link in 设置, and the address shows the current process read-only.
  await page.goto('/settings');
  await page.getByTestId('account').waitFor();
  assert.equal(await page.getByTestId('process-link').count(), 0);
  await page.goto('/desk/process');
  await page.getByTestId('process-read-only').waitFor();
  const names = await page.getByTestId('process-stage').locator('.process-stage-name').allTextContents();
  assert.deepEqual(names.slice(0, 2), ['需求确认', '报价']);
  assert.ok(names.includes('生产/备货'), names.join(' '));
  const readOnlyProduction = page.getByTestId('process-stage').filter({ hasText: '生产/备货' });
  await readOnlyProduction.locator('li').filter({ hasText: '首件确认' }).filter({ hasText: '必填' }).waitFor();
  assert.equal(await page.getByRole('button', { name: '发布新版本' }).count(), 0);
  assert.deepEqual(sales.problems, []);
});

test('the admin previews and moves the in-flight orders onto version 2', async () => {
  const { page } = admin;
  await page.goto('/desk/process');
  const migrate = page.getByTestId('process-migrate');
  await migrate.waitFor();
  await migrate.getByRole('button', { name: '预览迁移' }).click();
  await migrate.getByTestId('migrate-preview').filter({ hasText: '第 1 版 合同签订 → 合同签订' }).waitFor();
  await migrate.getByRole('button', { name: '迁移到当前版本' }).click();
  await migrate.getByTestId('migrate-outcome').filter({ hasText: /已迁移 \d+ 单到第 2 版/ }).waitFor({ timeout: 60_000 });
  const old = await serverOrder(OLD_ORDER);
  assert.equal(old.process_version, 2);
  assert.equal(old.stage, 'contract');
  assert.ok(old.history.some((event) => event.kind.type === 'process_migrated'), 'the move is in the order\'s history');
  await screenshot(page, 'process-migrated-390x844');
});

test('the customer page names the new stage', async () => {
  const shared = await worker.call(`/api/orders/${newOrderId}/share`, { method: 'POST', headers: bearer(salesToken) });
  assert.equal(shared.status, 200, shared.text);
  const customer = await phonePage(browser, { baseURL: worker.url });
  const link = new URL(shared.json.url);
  await customer.page.goto(link.pathname + link.search);
  await customer.page.getByTestId('track-result').waitFor();
  // The new order went through 报价 into the contract: both by the labels version 2 gives them.
  await customer.page.locator('.timeline-step').filter({ hasText: '报价' }).first().waitFor();
  const current = customer.page.locator('.timeline-step.current');
  assert.match(await current.textContent(), /签订合同/);
  await screenshot(customer.page, 'process-customer-390x844');
  await customer.context.close();
});

test('a second admin publishing first makes the first one\'s publish a clear conflict, and the rebase keeps the edits', async () => {
  const { page } = admin;
  await page.goto('/desk/process');
  const quote = stageRow(page, 'quote');
  await quote.getByRole('button', { name: '编辑' }).click();
  await page.getByLabel('时限（天）').fill('4');
  // Counted in working days from now on (weekends, holidays and 调休 by China's calendar).
  await page.locator('#process-sla-working').check();

  // Meanwhile another admin publishes version 3 (质检 at the end).
  const overview = await worker.call('/api/admin/process', { headers: bearer(adminToken) });
  const current = overview.json.versions.at(-1);
  const inspection = {
    id: 'inspection', name: { zh: '质检', en: 'Quality inspection' }, responsible: ['production'],
    checklist: [{ id: 'inspect', label: { zh: '检验货品', en: 'Inspect the goods' } }], sla_days: 2,
    customer_label: { zh: '质量检验', en: 'Inspection' }, customer_message: { zh: '正在检验。', en: 'Being inspected.' },
    notify_customer: false, exit_requirements: [],
  };
  const asInput = (stage) => ({ ...stage, responsible: stage.responsible, exit_requirements: stage.exit_requirements ?? [] });
  const published = await worker.call('/api/admin/process/publish', {
    json: { base_version: current.number, stages: [...current.stages.map(asInput), inspection], archived: (current.archived ?? []).map(asInput), note: '加质检' },
    headers: bearer(adminToken),
  });
  assert.equal(published.status, 201, published.text);

  await page.getByLabel('发布说明').fill('报价时限改为 4 天');
  await page.getByRole('button', { name: '发布新版本' }).click();
  const conflict = page.getByTestId('process-conflict');
  await conflict.waitFor();
  assert.match(await conflict.textContent(), /第 3 版/);
  assert.match(await conflict.textContent(), /管理员/);
  assert.match(await conflict.textContent(), /加质检/);
  assert.match(await conflict.textContent(), /已于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 发布了第 3 版/, 'the time reads as a person reads it');
  await screenshot(page, 'process-conflict-390x844');
  await conflict.getByRole('button', { name: '以最新版本为基础继续编辑' }).click();
  await page.getByTestId('process-outcome').filter({ hasText: '已改为以第 3 版为基础' }).waitFor();
  assert.deepEqual(await stageKeys(page), ['requirement', 'quote', 'contract', 'order_entry', 'production', 'delivery', 'after_sales', 'inspection']);
  await page.getByTestId('process-impact').filter({ hasText: '“报价”时限 3 天 → 4 个工作日' }).waitFor();
  await page.getByRole('button', { name: '发布新版本' }).click();
  await page.getByTestId('process-outcome').filter({ hasText: '已发布第 4 版' }).waitFor();
  const v4 = (await worker.call('/api/admin/process', { headers: bearer(adminToken) })).json.versions.at(-1);
  const quoteV4 = v4.stages.find((stage) => stage.id === 'quote');
  assert.equal(quoteV4.sla_days, 4);
  assert.equal(quoteV4.sla_working_days, true);
  await stageRow(page, 'quote').filter({ hasText: '时限 4 个工作日' }).waitFor();

  // Any two versions compared, not only each with the one before: 1 → 4 holds both additions.
  const compare = page.getByTestId('process-compare');
  await compare.locator('#process-compare-from').selectOption('1');
  await compare.locator('#process-compare-to').selectOption('4');
  const compared = compare.getByTestId('compare-changes');
  await compared.filter({ hasText: '在“需求确认”之后新增“报价”' }).waitFor();
  await compared.filter({ hasText: '在“售后服务”之后新增“质检”' }).waitFor();
  await compared.filter({ hasText: '“生产/采购”改名为“生产/备货”' }).waitFor();
  await compare.locator('#process-compare-from').selectOption('4');
  await compared.filter({ hasText: '这两个版本的流程相同' }).waitFor();
  await screenshot(page, 'process-compare-390x844');

  // At 360 px and on a desk, the editor still fits.
  await page.setViewportSize({ width: 360, height: 780 });
  await stageRow(page, 'quote').getByRole('button', { name: '编辑' }).click();
  assert.deepEqual(await smallTapTargets(page), []);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'nothing sticks out sideways at 360 px');
  await screenshot(page, 'process-editor-360');
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, 'process-editor-1280');

  // On a desk, a stage is dragged by its handle: 质检 dropped between 发货交付 and 售后服务.
  await stageRow(page, 'quote').getByRole('button', { name: '收起' }).click();
  const handle = stageRow(page, 'inspection').getByTestId('drag-handle');
  await handle.scrollIntoViewIfNeeded();
  const from = await handle.boundingBox();
  const afterSales = await stageRow(page, 'after_sales').boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2, afterSales.y + afterSales.height / 4, { steps: 8 });
  await stageRow(page, 'after_sales').and(page.locator('.drop-target')).waitFor();
  await screenshot(page, 'process-drag-1280');
  await page.mouse.up();
  assert.deepEqual(await stageKeys(page), ['requirement', 'quote', 'contract', 'order_entry', 'production', 'delivery', 'inspection', 'after_sales']);
  await page.getByTestId('process-impact').filter({ hasText: '调整了“质检”的位置' }).waitFor();
  // The buttons still move it (phones, keyboards): back to the end.
  await stageRow(page, 'inspection').getByRole('button', { name: '下移' }).click();
  assert.equal((await stageKeys(page)).at(-1), 'inspection');
  assert.deepEqual(unexpected(admin.problems), []);
});
