// 今天 (today) end to end at 390x844, with the network OFF: the demo data (built by the worker
// relative to its clock) has an order stuck in its first stage past the SLA, GD-DEMO-002, owned
// by the sales person 孙磊. After one online sign-in and sync, with the network cut and the page
// reloaded from the service worker, the board marks it overdue, 今天 lists it under 已逾期 with
// the same number of days, and the 今天 tab's badge counts what needs action today. Then the
// browser's clock moves a week ahead (playwright's clock, not faked data): orders that were
// due later become overdue, still offline. The reminder switch in settings asks for
// permission on the tap and shows ONE notification through the service worker.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, ensureDemoData, launchPhoneProfile, screenshot, signInAs, smallTapTargets } from '../support/browser.mjs';

// Not in DEMO_TEAM (support/browser.mjs): the sales person who owns the overdue demo order.
const SUNLEI = { login: '13967198765', name: '孙磊', roles: '销售', password: DEMO_PASSWORD };
const OVERDUE = 'GD-DEMO-002';

const profileDir = mkdtempSync(join(tmpdir(), 'gendan-today-'));
let context;
let page;
const consoleLines = [];

before(async () => {
  await ensureDemoData();
  context = await launchPhoneProfile(profileDir);
  page = context.pages()[0] ?? (await context.newPage());
  // What the app said, for a failure to name (e.g. "reminder not shown" with the browser's reason).
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  await signInAs(page, SUNLEI);
  // The orders arrive by sync; the service worker must own the page to reload it offline.
  await page.locator(`[data-testid=order-card][data-number="${OVERDUE}"]`).first().waitFor();
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
});

beforeEach(async () => {
  await context?.setOffline(false);
});

after(async () => {
  await context?.close();
  rmSync(profileDir, { recursive: true, force: true });
});

/// The number of days in a "逾期 N 天" badge.
function daysLate(text) {
  const match = /逾期 (\d+) 天/.exec(text);
  assert.ok(match, `an overdue badge: ${text}`);
  return Number(match[1]);
}

/// The notifications the service worker's registration shows, once there are any (polled: the
/// registration has no event for it; fails after ~5 s).
async function shownNotifications() {
  for (let tries = 0; tries < 100; tries += 1) {
    const list = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      const shown = await registration.getNotifications({ tag: 'gendan-today' });
      return shown.map((n) => ({ title: n.title, body: n.body, url: n.data?.url }));
    });
    if (list.length > 0) return list;
    await page.waitForTimeout(50);
  }
  const said = consoleLines.filter((line) => !line.startsWith('debug')).slice(-15).join('\n');
  throw new Error(`no notification was shown; the page's last console lines:\n${said}`);
}

async function openTodayTab() {
  await page.getByTestId('nav-today').click();
  await page.getByRole('heading', { name: '今天', exact: true }).waitFor();
}

async function rowsOf(section) {
  return page.locator(`[data-testid=today-${section}] [data-testid=today-row]`).evaluateAll((rows) =>
    rows.map((row) => ({
      number: row.dataset.number,
      reason: row.querySelector('[data-testid=today-reason]').textContent,
      stage: row.querySelector('.card-meta span').textContent,
    })),
  );
}

/// What the badge must say: overdue + due today + waiting customers (not "later this week").
async function expectedBadge() {
  const counts = await Promise.all(['overdue', 'due-today', 'after-sales'].map(async (s) => (await rowsOf(s)).length));
  return counts.reduce((a, b) => a + b, 0);
}

test('offline, an order past its SLA is overdue on the board and in 今天, and the badge counts it', async () => {
  await context.setOffline(true);
  await page.reload();
  await page.getByTestId('network-status').filter({ hasText: '离线' }).waitFor();

  const boardCard = page.locator(`[data-testid=order-card][data-number="${OVERDUE}"]`).first();
  await boardCard.waitFor();
  const boardBadge = await boardCard.locator('.badge-overdue').textContent();
  const lateOnBoard = daysLate(boardBadge);
  assert.ok(lateOnBoard >= 1, boardBadge);

  await openTodayTab();
  const overdue = await rowsOf('overdue');
  const row = overdue.find((r) => r.number === OVERDUE);
  assert.ok(row, `${OVERDUE} is under 已逾期: ${JSON.stringify(overdue)}`);
  assert.equal(daysLate(row.reason), lateOnBoard, 'the same days late as on the board');
  assert.equal(await page.locator('[data-testid=today-overdue] h2').textContent(), `已逾期${overdue.length}`);

  const expected = await expectedBadge();
  assert.ok(expected >= 1);
  assert.equal(await page.getByTestId('today-badge').textContent(), String(expected));
  assert.equal(await page.getByTestId('nav-today').getAttribute('aria-label'), `今天，${expected} 项待处理`);
  // The accessible name is what a screen reader announces for the tab.
  await page.getByRole('link', { name: `今天，${expected} 项待处理` }).waitFor();

  // What needs action today comes first, a waiting customer among it; later this week last.
  const order = ['overdue', 'due-today', 'after-sales', 'asked', 'lookup-locked', 'this-week'];
  const shown = await page.locator('[data-testid^=today-]').evaluateAll((nodes) => nodes
    .map((node) => node.dataset.testid.replace(/^today-/, ''))
    .filter((name) => ['overdue', 'due-today', 'after-sales', 'asked', 'lookup-locked', 'this-week'].includes(name)));
  assert.deepEqual(shown, order.filter((name) => shown.includes(name)), `sections in order: ${shown}`);
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'today-390x844');

  // A row opens its order, from the device.
  await page.locator(`[data-testid=today-row][data-number="${OVERDUE}"] a`).click();
  await page.getByTestId('order-number').filter({ hasText: OVERDUE }).waitFor();
});

test('offline, a week later by the browser clock, orders due this week have become overdue', async () => {
  await context.setOffline(true);
  await page.goto('/today');
  // The list is built once the device's storage has opened: wait for it before reading it.
  await page.locator(`[data-testid=today-overdue] [data-testid=today-row][data-number="${OVERDUE}"]`).waitFor();
  const before = await rowsOf('overdue');
  const laterRows = [...(await rowsOf('this-week')), ...(await rowsOf('due-today'))];
  const dueLater = laterRows.map((r) => r.number);
  assert.ok(dueLater.length >= 1, 'something of 孙磊 is due later this week');

  await page.clock.setFixedTime(Date.now() + 8 * 24 * 3600 * 1000);
  await page.reload();
  await page.getByRole('heading', { name: '今天', exact: true }).waitFor();
  await page.locator('[data-testid=today-overdue] [data-testid=today-row]').first().waitFor();
  const after = await rowsOf('overdue');
  for (const number of [...before.map((r) => r.number), ...dueLater]) {
    assert.ok(after.some((r) => r.number === number), `${number} is overdue a week later: ${JSON.stringify(after)}`);
  }
  const old = after.find((r) => r.number === OVERDUE);
  assert.equal(daysLate(old.reason), daysLate(before.find((r) => r.number === OVERDUE).reason) + 8);
  assert.equal(await page.getByTestId('today-badge').textContent(), String(await expectedBadge()));

  await page.getByRole('link', { name: '看板', exact: true }).click();
  // A phone shows one stage at a time: open the order's stage tab.
  await page.getByRole('tab').filter({ hasText: laterRows[0].stage }).click();
  const card = page.locator(`[data-testid=order-card][data-number="${dueLater[0]}"]`).first();
  await card.locator('.badge-overdue').waitFor();

  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/today');
  await page.locator('[data-testid=today-overdue] [data-testid=today-row]').first().waitFor();
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'today-360x740');
  await page.setViewportSize({ width: 390, height: 844 });
});

test('the reminder switch asks for permission on the tap and shows one notification that names the overdue orders', async () => {
  await context.setOffline(false);
  await context.grantPermissions(['notifications']);
  await page.goto('/settings');
  const reminders = page.getByTestId('reminders');
  await reminders.getByRole('switch').check();
  // The service worker's registration holds the notification it showed.
  const notifications = await shownNotifications();
  assert.equal(notifications.length, 1);
  // A week on (the clock of the test before), several of 孙磊's orders are overdue.
  assert.match(notifications[0].body, /^\d+ 个订单已逾期：GD-DEMO-\d+、GD-DEMO-\d+ 等$/);
  assert.equal(notifications[0].title, '跟单 · 今天');
  assert.equal(notifications[0].url, '/today');
  assert.ok(await reminders.getByRole('switch').isChecked());
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'settings-reminders-390x844');

  // Opening the app again the same day shows no second one (the first is closed, to tell). The
  // day of the last reminder is what the app remembers; once it is stored, a reload is
  // judged against it.
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    for (const n of await registration.getNotifications()) n.close();
  });
  const remembered = await page.waitForFunction(() => new Promise((resolve) => {
    const open = indexedDB.open('gendan');
    open.onsuccess = () => {
      const read = open.result.transaction('meta').objectStore('meta').get('setting:reminders');
      read.onsuccess = () => { open.result.close(); resolve(read.result ? JSON.parse(read.result.value).last_shown : null); };
    };
  }));
  assert.match(await remembered.jsonValue(), /^\d{4}-\d{2}-\d{2}$/);
  await page.reload();
  await page.getByTestId('reminders').getByRole('switch').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=reminders-switch]')?.checked);
  const again = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).length;
  });
  assert.equal(again, 0, 'at most one reminder a day');
});

test('a sales person signing in without a page to go back to starts on 今天', async () => {
  await context.setOffline(false);
  await page.clock.setFixedTime(Date.now());
  await page.goto('/login');
  await page.getByLabel('手机号或邮箱').fill(SUNLEI.login);
  await page.getByLabel('密码').fill(SUNLEI.password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/today');
  await page.getByRole('heading', { name: '今天', exact: true }).waitFor();
});
