// 导入导出 (/desk/import) end to end at 390x844 on a private worker with the demo data: an admin
// imports 200 rows, the dry run shows the three failing rows, the admin fixes them and imports;
// a second dry run of the same file changes nothing; a phone (sales) pulls the imported orders;
// 导出 CSV downloads every order with a BOM. Imports go to a private database so the shared
// one's boards and 今天 stay as the other tests expect.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bearer, devHeaders, startPrivateWorker } from '../support/api.mjs';
import { DEMO_PASSWORD, DEMO_TEAM, launchBrowser, phonePage, screenshot, smallTapTargets } from '../support/browser.mjs';

let worker;
let browser;

before(async () => {
  worker = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled' } });
  const demo = await worker.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
  assert.equal(demo.status, 200, demo.text);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await worker?.stop();
});

async function signIn(page, member, next) {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('手机号或邮箱').fill(member.login);
  await page.getByLabel('密码').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === next);
}

/// 200 order rows; `broken` puts three mistakes in: an unknown owner, a date nobody can read,
/// a number used twice.
function sheet({ broken }) {
  const lines = ['订单号,客户名称,联系人,手机,品名,数量,单价,交期,业务员'];
  for (let i = 1; i <= 200; i++) {
    const number = `E2E-IMP-${String(i).padStart(3, '0')}`;
    let owner = i % 2 ? '王芳' : '孙磊';
    let due = `2027/1/${(i % 28) + 1}`;
    let numberCell = number;
    if (broken && i === 17) owner = '张三丰';
    if (broken && i === 58) due = '下个月';
    if (broken && i === 120) numberCell = 'E2E-IMP-119';
    lines.push(`${numberCell},导入客户${i}有限公司,联系人${i},139${String(i).padStart(8, '0')},纸箱,${i},1.50,${due},${owner}`);
  }
  return { name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\r\n')) };
}

test('an admin imports 200 rows: the dry run shows three failing rows, fixed, imported, pulled by a phone; export downloads every order', async () => {
  const { page, problems } = await phonePage(browser, { baseURL: worker.url, acceptDownloads: true });
  await signIn(page, DEMO_TEAM.admin, '/desk/import');
  await page.getByRole('heading', { name: '导入导出' }).waitFor();

  await page.getByTestId('import-file').setInputFiles(sheet({ broken: true }));
  await page.getByTestId('import-dry-run').click();
  const errors = page.getByTestId('import-errors').locator('li');
  await errors.first().waitFor();
  assert.equal(await errors.count(), 3);
  const text = await page.getByTestId('import-errors').innerText();
  assert.match(text, /第 18 行[\s\S]*张三丰/, 'the line as the file numbers it, and why');
  assert.match(text, /第 59 行[\s\S]*下个月/);
  assert.match(text, /第 121 行[\s\S]*重复/);
  assert.match(await page.getByTestId('import-totals').innerText(), /新建 197 · 更新 0 · 不变 0 · 错误 3/);
  assert.equal(await page.getByTestId('import-commit').count(), 0, 'no import while rows fail');
  await screenshot(page, 'sheets-dry-run-errors');
  assert.deepEqual(await smallTapTargets(page), []);

  // The failing rows download as an xlsx with 错误原因; imported again as it is, the repeated
  // number is no longer repeated and the other two still fail.
  const [errorsDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-errors-download').click()]);
  assert.match(errorsDownload.suggestedFilename(), /^import-errors-\d{8}\.xlsx$/);
  const errorSheet = readFileSync(await errorsDownload.path());
  await page.getByTestId('import-file').setInputFiles({
    name: 'errors.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    buffer: errorSheet,
  });
  await page.getByTestId('import-dry-run').click();
  await page.getByText('新建 1 · 更新 0 · 不变 0 · 错误 2').waitFor();
  assert.match(await page.getByTestId('import-errors').innerText(), /第 2 行[\s\S]*张三丰[\s\S]*第 3 行[\s\S]*下个月/);

  await page.getByTestId('import-file').setInputFiles(sheet({ broken: false }));
  await page.getByTestId('import-dry-run').click();
  await page.getByText('新建 200 · 更新 0 · 不变 0 · 错误 0').waitFor();
  await page.getByTestId('import-commit').click();
  await page.getByRole('heading', { name: '已导入' }).waitFor();

  // The same file again: nothing to do.
  await page.getByTestId('import-file').setInputFiles(sheet({ broken: false }));
  await page.getByTestId('import-dry-run').click();
  await page.getByText('新建 0 · 更新 0 · 不变 200 · 错误 0').waitFor();

  // A phone receives the orders by the normal pull.
  const login = await worker.call('/api/auth/login', { json: { login: DEMO_TEAM.sales.login, password: DEMO_PASSWORD } });
  const device = randomUUID();
  const numbers = new Set();
  for (let cursor = 0, more = true; more; ) {
    const pulled = await worker.call(`/api/sync/pull?device_id=${device}&cursor=${cursor}&limit=1000`, { headers: bearer(login.json.token) });
    assert.equal(pulled.status, 200, pulled.text.slice(0, 200));
    for (const order of pulled.json.orders) numbers.add(order.number);
    ({ cursor, more } = pulled.json);
  }
  for (let i = 1; i <= 200; i++) assert.ok(numbers.has(`E2E-IMP-${String(i).padStart(3, '0')}`));

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  assert.match(download.suggestedFilename(), /^orders-\d{8}\.csv$/);
  const csv = readFileSync(await download.path());
  assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const exported = csv.toString('utf8');
  for (const number of numbers) assert.ok(exported.includes(number), `${number} exported`);
  assert.deepEqual(problems, []);
});

test('the column mapping is chosen on the screen and proposed again for the next file with the same headers', async () => {
  const { page, problems } = await phonePage(browser, { baseURL: worker.url });
  await signIn(page, DEMO_TEAM.admin, '/desk/import');
  const file = (rows) => ({
    name: 'mapping.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(['编号,客户名称,联系人,手机', ...rows].join('\r\n')),
  });
  await page.getByTestId('import-file').setInputFiles(file(['E2E-MAP-1,映射客户甲,赵一,13900000101']));
  await page.getByTestId('import-dry-run').click();
  await page.getByTestId('import-problem').waitFor();
  assert.match(await page.getByTestId('import-problem').innerText(), /订单号/);
  const selects = page.getByTestId('import-mapping-select');
  assert.equal(await selects.count(), 4);
  assert.equal(await selects.nth(0).inputValue(), '', '编号 is not known: 忽略');
  assert.equal(await selects.nth(1).inputValue(), 'company');
  await screenshot(page, 'sheets-mapping');
  assert.deepEqual(await smallTapTargets(page), []);
  // The narrowest phones: still 44 px targets, nothing wider than the screen.
  await page.setViewportSize({ width: 360, height: 740 });
  assert.deepEqual(await smallTapTargets(page), []);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');
  await screenshot(page, 'sheets-mapping-360');
  await page.setViewportSize({ width: 390, height: 844 });

  await selects.nth(0).selectOption('number');
  await page.getByText('新建 1 · 更新 0 · 不变 0 · 错误 0').waitFor();
  assert.equal(await page.getByTestId('import-problem').count(), 0);
  await page.getByTestId('import-commit').click();
  await page.getByRole('heading', { name: '已导入' }).waitFor();
  // The admin takes it back at once: the new order is cancelled.
  await page.getByTestId('import-undo').click();
  await page.getByText('已撤销：取消了 1 个导入新建的订单，恢复了 0 个被更新的订单。').waitFor();
  await screenshot(page, 'sheets-undone');
  assert.deepEqual(await smallTapTargets(page), []);

  await page.getByTestId('import-file').setInputFiles(file(['E2E-MAP-1,映射客户甲,赵一,13900000101', 'E2E-MAP-2,映射客户乙,钱二,13900000102']));
  await page.getByTestId('import-dry-run').click();
  await page.getByText('新建 1 · 更新 0 · 不变 1 · 错误 0').waitFor();
  await page.getByTestId('import-remembered').waitFor();
  assert.equal(await page.getByTestId('import-mapping-select').nth(0).inputValue(), 'number');
  assert.deepEqual(problems, []);
});

test('a manager imports and undoes their own import; a warehouse member may export but is told who imports, with no import controls', async () => {
  const { page, problems } = await phonePage(browser, { baseURL: worker.url });
  await signIn(page, DEMO_TEAM.manager, '/desk/import');
  await page.getByRole('heading', { name: '导入导出' }).waitFor();
  await page.getByTestId('import-file').setInputFiles({
    name: 'manager.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(['订单号,客户名称,联系人,手机,业务员', 'E2E-MGR-1,经理导入客户,赵一,13900000901,王芳'].join('\r\n')),
  });
  await page.getByTestId('import-dry-run').click();
  await page.getByText('新建 1 · 更新 0 · 不变 0 · 错误 0').waitFor();
  await page.getByTestId('import-commit').click();
  await page.getByRole('heading', { name: '已导入' }).waitFor();
  await screenshot(page, 'sheets-manager');
  await page.getByTestId('import-undo').click();
  await page.getByText('已撤销：取消了 1 个导入新建的订单，恢复了 0 个被更新的订单。').waitFor();
  assert.deepEqual(await smallTapTargets(page), []);
  assert.deepEqual(problems, []);

  const warehouse = await phonePage(browser, { baseURL: worker.url });
  await signIn(warehouse.page, DEMO_TEAM.warehouse, '/desk/import');
  await warehouse.page.getByRole('heading', { name: '导入导出' }).waitFor();
  await warehouse.page.getByText('只有管理员和经理可以导入订单').waitFor();
  assert.equal(await warehouse.page.getByTestId('import-file').count(), 0);
  assert.equal(await warehouse.page.getByTestId('export-xlsx').isVisible(), true);
  await screenshot(warehouse.page, 'sheets-warehouse');
  assert.deepEqual(await smallTapTargets(warehouse.page), []);
  assert.deepEqual(warehouse.problems, []);
});
