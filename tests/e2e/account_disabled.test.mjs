// Issue 19 item 11: an account an admin disabled must not keep the company's orders on its phone.
// On the next contact the app says so, offers the changes it never sent as a file, and wipes the
// device; afterwards the phone holds nothing and asks for a sign-in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launchBrowser, phonePage, screenshot, signInAs, storedOrderCount } from '../support/browser.mjs';
import { DEMO_ADMIN, DEMO_PASSWORD, api, bearer, loadDemoData, pullEveryOrder, signIn } from '../support/api.mjs';

// 赵敏 (after-sales service), a demo member no other test signs in as.
const ZHAOMIN = { id: 'u-zhaomin', login: '18768105533', name: '赵敏' };
let browser;
let phone;
let admin;

const setActive = (active) =>
  api(`/api/admin/users/${ZHAOMIN.id}`, { method: 'PATCH', headers: bearer(admin), json: { active } });

before(async () => {
  await loadDemoData();
  admin = (await signIn(DEMO_ADMIN.login, DEMO_PASSWORD)).token;
  browser = await launchBrowser();
  phone = await phonePage(browser);
});

after(async () => {
  await setActive(true);
  await browser?.close();
});

test('a disabled account is told so, may export what it never sent, and the phone is wiped', async () => {
  const { page, context } = phone;
  const orders = await pullEveryOrder(admin);
  const order = [...orders.values()].find((o) => o.number === 'GD-DEMO-008');
  assert.ok(order, 'the demo order is there');

  await signInAs(page, ZHAOMIN, { next: '/' });
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 60_000 });
  await page.goto(`/orders/${order.id}`);
  await page.locator('.detail-head .company').first().waitFor({ timeout: 30_000 });
  await context.setOffline(true);
  await page.getByLabel('添加备注').fill('停用前写下的回访记录');
  await page.getByRole('button', { name: '添加备注' }).click();
  await page.getByTestId('notes').filter({ hasText: '停用前写下的回访记录' }).waitFor();

  assert.ok((await storedOrderCount(page)) > 0, 'the phone holds the team orders before');
  const disabled = await setActive(false);
  assert.equal(disabled.status, 200, disabled.text);
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));

  const panel = page.getByTestId('account-disabled');
  await panel.waitFor({ timeout: 60_000 });
  assert.match(await panel.innerText(), /此账号已被停用/);
  assert.match(await panel.innerText(), /1 条修改没有发送/);
  await screenshot(page, 'account-disabled');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('disabled-export').click()]);
  const file = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(file.changes[0].mutation.text, '停用前写下的回访记录');

  await page.getByTestId('disabled-wipe').click();
  await page.waitForURL((url) => url.pathname === '/login');
  assert.equal(await storedOrderCount(page), 0, "the device's orders are gone");
  // The sign-in screen, not the old board: nothing of the company is left to show.
  await page.getByLabel('手机号或邮箱').waitFor();
});
