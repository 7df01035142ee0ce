// The holiday calendar end to end at 390x844 (issue 13): an admin opens 设置 → 流程设置 → 节假日,
// sees 2027 marked provisional, marks the day a working-day deadline falls on as 放假 and saves;
// a sales phone with that order open receives the calendar (the save pokes it, it pulls), keeps
// it in IndexedDB's `meta` store, and the order page's deadline moves to the next working day.
// Everyone else reads the calendar without the editing controls. On a private worker: the
// edit changes deadlines for everything after it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { bearer, createOrderMutation, startDemoWorker } from '../support/api.mjs';
import { DEMO_TEAM, launchBrowser, phonePage, screenshot, signInAs, smallTapTargets } from '../support/browser.mjs';

const RUN = randomBytes(3).toString('hex');
const ORDER = randomUUID();

let worker;
let browser;
let admin;
let sales;
let adminToken;

before(async () => {
  worker = await startDemoWorker();
  adminToken = await worker.signIn(DEMO_TEAM.admin.login);
  const salesToken = await worker.signIn(DEMO_TEAM.sales.login);
  // 需求确认 counts 3 working days from version 2 on.
  const overview = await worker.call('/api/admin/process', { headers: bearer(adminToken) });
  const current = overview.json.versions.at(-1);
  const stages = structuredClone(current.stages);
  stages[0].sla_days = 3;
  stages[0].sla_working_days = true;
  const published = await worker.call('/api/admin/process/publish', {
    json: { base_version: current.number, stages, archived: current.archived ?? [], note: '需求确认按工作日计' },
    headers: bearer(adminToken),
  });
  assert.equal(published.status, 201, published.text);
  const pushed = await worker.call('/api/sync/push', {
    json: { device_id: randomUUID(), mutations: [{ seq: 1, mutation: createOrderMutation(ORDER, { company: `节假日${RUN}有限公司` }), device_time: new Date().toISOString() }] },
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

const synced = (page) => page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

/// The date in "期限 2026年12月10日" as YYYY-MM-DD.
async function shownDeadline(page) {
  const text = await page.getByTestId('deadline').textContent();
  const [, y, m, d] = text.match(/(\d{4})年(\d{1,2})月(\d{1,2})日/) ?? assert.fail(`no date in ${text}`);
  return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
}

const zhDate = (iso) => {
  const [y, m, d] = iso.split('-').map(Number);
  return `${y}年${m}月${d}日`;
};

/// The next working day after `iso` by the server's calendar (weekends, holidays, 调休).
function nextWorkingDay(iso, calendar) {
  const off = new Set(calendar.years.flatMap((year) => year.holidays));
  const worked = new Set(calendar.years.flatMap((year) => year.workdays));
  const day = new Date(`${iso}T00:00:00Z`);
  for (;;) {
    day.setUTCDate(day.getUTCDate() + 1);
    const next = day.toISOString().slice(0, 10);
    const weekend = [0, 6].includes(day.getUTCDay());
    if (!off.has(next) && (worked.has(next) || !weekend)) return next;
  }
}

/// The calendar the app keeps in IndexedDB's `meta` store (`null` when none).
const heldCalendar = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('gendan');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const get = db.transaction('meta').objectStore('meta').get('holiday_calendar');
          get.onsuccess = () => {
            db.close();
            resolve(get.result ? JSON.parse(get.result.value) : null);
          };
          get.onerror = () => reject(get.error);
        };
      }),
  );

test('an admin marks the deadline day as a holiday; the synced phone moves the deadline to the next working day', async () => {
  // The salesperson has the order open.
  await signInAs(sales.page, DEMO_TEAM.sales);
  await synced(sales.page);
  assert.equal((await heldCalendar(sales.page))?.years.some((year) => year.year === 2027), true, 'the first pull brought the calendar');
  await sales.page.goto(`/orders/${ORDER}`);
  await sales.page.getByTestId('deadline').waitFor();
  const due = await shownDeadline(sales.page);
  const heldBefore = (await heldCalendar(sales.page)).version;

  // The admin: 设置 → 流程设置 → 节假日.
  const { page } = admin;
  await signInAs(page, DEMO_TEAM.admin);
  await page.goto('/desk/process');
  await page.getByTestId('holidays-link').click();
  await page.getByRole('heading', { name: '节假日与调休', exact: true }).waitFor();
  // 2027 is shipped provisional, and says so.
  await page.locator('#holidays-year').selectOption('2027');
  await page.getByTestId('holidays-provisional').filter({ hasText: '2027 年安排以国务院通知为准，可在此修改' }).waitFor();
  await page.getByTestId('holiday-list').getByTestId('holiday-span').filter({ hasText: '2027年2月5日 – 2月8日（4 天）' }).waitFor();

  // The deadline's day becomes a day off.
  await page.locator('#holidays-year').selectOption(due.slice(0, 4));
  await page.getByTestId('holidays-changed-by').filter({ hasText: '随软件提供' }).waitFor();
  await page.getByLabel('从', { exact: true }).fill(due);
  await page.getByLabel('标记为').selectOption({ label: '放假' });
  await page.getByTestId('holidays-mark-button').click();
  await page.getByTestId('holiday-list').getByTestId('holiday-span').filter({ hasText: zhDate(due) }).first().waitFor();
  assert.deepEqual(await smallTapTargets(page), []);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'nothing sticks out sideways at 390 px');
  await screenshot(page, 'holidays-editor-390x844');
  await page.getByTestId('holidays-save').click();
  await page.getByTestId('holidays-outcome').filter({ hasText: `已保存 ${due.slice(0, 4)} 年` }).waitFor();
  await page.getByTestId('holidays-changed-by').filter({ hasText: '最后修改：管理员' }).waitFor();

  // The server's calendar now has that day off; the phone's deadline moves to the next working day.
  const calendar = (await worker.call('/api/holidays', { headers: bearer(adminToken) })).json;
  assert.ok(calendar.years.find((year) => year.year === Number(due.slice(0, 4))).holidays.includes(due));
  const moved = nextWorkingDay(due, calendar);
  await sales.page.getByTestId('deadline').filter({ hasText: zhDate(moved) }).waitFor({ timeout: 30_000 });
  const held = await heldCalendar(sales.page);
  assert.ok(held.version > heldBefore, 'the phone keeps the new calendar in meta');
  assert.equal(held.version, calendar.version);
  await screenshot(sales.page, 'holidays-deadline-moved-390x844');

  // Everyone else reads the calendar, without the editing controls.
  await sales.page.goto('/desk/holidays');
  await sales.page.getByTestId('holidays-read-only').waitFor();
  await sales.page.getByTestId('holiday-list').getByTestId('holiday-span').filter({ hasText: zhDate(due) }).first().waitFor();
  assert.equal(await sales.page.getByTestId('holidays-mark').count(), 0);
  assert.deepEqual(admin.problems, []);
});

test('days marked and not yet saved survive the calendar being read again when the network comes back', async () => {
  const { page, context } = admin;
  await page.goto('/desk/holidays');
  await page.getByRole('heading', { name: '节假日与调休', exact: true }).waitFor();
  await page.locator('#holidays-year').selectOption('2027');
  await page.getByLabel('从', { exact: true }).fill('2027-06-15');
  await page.getByLabel('标记为').selectOption({ label: '放假' });
  await page.getByTestId('holidays-mark-button').click();
  const marked = page.getByTestId('holiday-list').getByTestId('holiday-span').filter({ hasText: '2027年6月15日' });
  await marked.waitFor();

  // Offline and back: the screen reads the calendar from the server again.
  await context.setOffline(true);
  await page.getByTestId('holidays-mark').waitFor({ state: 'detached' });
  const reread = page.waitForResponse((response) => response.url().includes('/api/holidays') && response.request().method() === 'GET');
  await context.setOffline(false);
  await reread;
  await page.getByTestId('holidays-mark').waitFor();
  // Let the answer reach the screen: two frames after it arrived.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  assert.equal(await marked.count(), 1, 'the marked day is still in the draft');
  assert.equal(await page.getByTestId('holidays-save').isEnabled(), true, 'and can still be saved');
  await page.getByTestId('holidays-save').click();
  await page.getByTestId('holidays-outcome').filter({ hasText: '已保存 2027 年' }).waitFor();
  const calendar = (await worker.call('/api/holidays', { headers: bearer(adminToken) })).json;
  assert.ok(calendar.years.find((year) => year.year === 2027).holidays.includes('2027-06-15'));
  assert.deepEqual(admin.problems, []);
});
