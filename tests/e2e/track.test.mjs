// The customer's lookup page, end to end at phone size, against demo order GD-DEMO-003
// (深圳华芯电子科技有限公司, contact phone ending 6789).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { devHeaders } from '../support/api.mjs';
import { BASE_URL, launchBrowser, phonePage, screenshot, smallTapTargets } from '../support/browser.mjs';

let browser;

before(async () => {
  await fetch(`${BASE_URL}/api/dev/demo-data`, { method: 'POST', headers: devHeaders() });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function lookUp(page, number, digits) {
  await page.getByLabel('订单号').fill(number);
  await page.getByLabel('联系电话后 4 位').fill(digits);
  await page.getByRole('button', { name: '查询' }).click();
}

test('a customer with the order number and phone digits sees the progress timeline', async () => {
  const { context, page, problems } = await phonePage(browser);
  await page.goto('/track');
  await lookUp(page, 'gd-demo-003', '6789');
  const result = page.getByTestId('track-result');
  await result.waitFor();
  assert.match(await result.textContent(), /GD-DEMO-003/);
  assert.match(await result.textContent(), /深圳华芯电子科技有限公司/);
  assert.equal(await page.locator('.timeline-step').count(), 6);
  assert.equal(await page.locator('.timeline-step.current').count(), 1);
  // What was ordered is listed, without prices; internal data never reaches the page.
  assert.match(await page.getByTestId('track-items').innerText(), /工业控制主板 V3 × 200/);
  assert.doesNotMatch(await page.content(), /1280|13823456789/);
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'track-result-390x844');
  assert.deepEqual(problems, []);
  await context.close();
});

test('wrong digits and an unknown number get the same answer', async () => {
  const answers = [];
  for (const [number, digits] of [['GD-DEMO-003', '0000'], ['GD-NOPE-999', '6789']]) {
    const { context, page } = await phonePage(browser);
    await page.goto('/track');
    await lookUp(page, number, digits);
    const error = page.getByTestId('track-error');
    await error.waitFor();
    answers.push(await error.textContent());
    assert.equal(await page.getByTestId('track-result').count(), 0);
    await context.close();
  }
  assert.deepEqual(answers, ['没有找到匹配的订单', '没有找到匹配的订单']);
});
