// What someone types into the order form is not lost by leaving the screen (a reviewer's finding:
// tapping 看板 then 新建 emptied every box, and the edit form dropped a change on 返回 without a
// word). At 390x844 and 360x780 against the real worker + local D1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets,
} from '../support/browser.mjs';

let browser;
const RUN = randomBytes(3).toString('hex');

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const nav = (page, name) => page.locator('.bottom-nav').getByRole('link', { name, exact: true });

async function values(page) {
  return {
    company: await page.getByLabel('公司名称').inputValue(),
    contact: await page.getByLabel('联系人').inputValue(),
    product: await page.getByLabel('产品').inputValue(),
    quantity: await page.getByLabel('数量').inputValue(),
    note: await page.getByLabel('备注').inputValue(),
  };
}

test('a new order typed half-way survives leaving the screen and a reload; 放弃 empties it; saving it leaves no draft', async () => {
  const { context, page } = await phonePage(browser, { viewport: { width: 360, height: 780 } });
  await signInAs(page, DEMO_TEAM.sales, { next: '/orders/new' });
  assert.equal(await page.getByTestId('draft-restored').count(), 0, 'a fresh form has no notice');
  const typed = { company: `草稿测试${RUN}有限公司`, contact: '吴六', product: '球阀 DN50', quantity: '7', note: '客户要求月底前报价' };
  await page.getByLabel('公司名称').fill(typed.company);
  await page.getByLabel('联系人').fill(typed.contact);
  await page.getByLabel('产品').fill(typed.product);
  await page.getByLabel('数量').fill(typed.quantity);
  await page.getByLabel('备注').fill(typed.note);

  // Away through the bottom bar and back: everything is there, and the page says why.
  await nav(page, '看板').click();
  await page.getByRole('heading', { name: '订单看板' }).waitFor();
  await nav(page, '新建').click();
  await page.getByTestId('draft-restored').waitFor();
  assert.deepEqual(await values(page), typed);
  await screenshot(page, 'form-draft-restored-360');
  assert.deepEqual(await smallTapTargets(page), []);

  // The browser's back button and a reload keep it too.
  await page.goto('/today');
  await page.goBack();
  await page.getByTestId('draft-restored').waitFor();
  await page.reload();
  await page.getByTestId('draft-restored').waitFor();
  assert.deepEqual(await values(page), typed);

  // 放弃 empties the form, for good.
  await page.getByTestId('discard-draft').click();
  assert.equal(await page.getByTestId('draft-restored').count(), 0);
  assert.deepEqual(await values(page), { company: '', contact: '', product: '', quantity: '1', note: '' });
  await page.reload();
  await page.getByLabel('公司名称').waitFor();
  assert.equal(await page.getByTestId('draft-restored').count(), 0);
  assert.equal(await page.getByLabel('公司名称').inputValue(), '');

  // Typed again and saved: the next new order starts empty.
  await page.getByLabel('公司名称').fill(typed.company);
  await page.getByLabel('联系人').fill(typed.contact);
  await page.getByLabel('联系电话').fill('0571-8888 6666');
  await page.getByLabel('产品').fill(typed.product);
  await page.getByLabel('数量').fill(typed.quantity);
  await page.getByLabel('单价（元）').fill('88');
  await page.getByRole('button', { name: '保存订单' }).click();
  await page.getByTestId('order-number').waitFor();
  await nav(page, '新建').click();
  await page.getByLabel('公司名称').waitFor();
  assert.equal(await page.getByTestId('draft-restored').count(), 0);
  assert.equal(await page.getByLabel('公司名称').inputValue(), '');
  await context.close();
});

test('an edit left with 返回 comes back when the order is edited again, and is sent once saved', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales, { next: '/orders/new' });
  await page.getByLabel('公司名称').fill(`编辑草稿${RUN}有限公司`);
  await page.getByLabel('联系人').fill('郑七');
  await page.getByLabel('联系电话').fill('0571-8888 7777');
  await page.getByLabel('产品').fill('闸阀');
  await page.getByLabel('单价（元）').fill('50');
  await page.getByRole('button', { name: '保存订单' }).click();
  await page.getByTestId('order-number').waitFor();
  const orderPath = new URL(page.url()).pathname;

  await page.goto(`${orderPath}/edit`);
  await page.getByLabel('联系人').fill('郑七七');
  await page.goBack();
  await page.getByTestId('order-number').waitFor();
  assert.ok((await page.locator('main').textContent()).includes('郑七'), 'the order itself is unchanged');
  assert.ok(!(await page.locator('main').textContent()).includes('郑七七'), 'nothing saved by leaving');

  await page.goto(`${orderPath}/edit`);
  await page.getByTestId('draft-restored').waitFor();
  assert.equal(await page.getByLabel('联系人').inputValue(), '郑七七');
  assert.equal(await page.getByLabel('联系电话').inputValue(), '0571-8888 7777', 'untouched boxes show the order');
  await screenshot(page, 'form-draft-edit-390x844');
  await page.getByRole('button', { name: '保存订单' }).click();
  await page.getByTestId('order-number').waitFor();
  await page.getByText('郑七七').first().waitFor();

  await page.goto(`${orderPath}/edit`);
  await page.getByLabel('联系人').waitFor();
  assert.equal(await page.getByTestId('draft-restored').count(), 0, 'saved, so nothing to restore');
  assert.equal(await page.getByLabel('联系人').inputValue(), '郑七七');
  await context.close();
});
