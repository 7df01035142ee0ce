// 分析 (issue 14) end to end at 390x844 and 1280x800: an admin opens it from the board, sees the
// figures computed on the phone from its own orders, opens the orders behind a stage's bar, and
// finds it again offline; a salesperson sees only the orders they own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEMO_TEAM,
  launchBrowser,
  launchPhoneProfile,
  phonePage,
  screenshot,
  signInAs,
  smallTapTargets,
} from '../support/browser.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => browser?.close());

test('an admin opens 分析 from the board; each stage bar opens exactly the orders it counts; it works offline', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'gendan-analytics-'));
  const context = await launchPhoneProfile(profile);
  const page = context.pages()[0] ?? (await context.newPage());
  try {
    await signInAs(page, DEMO_TEAM.admin);
    await page.getByTestId('order-card').first().waitFor();
    await page.getByTestId('analytics-link').click();
    await page.waitForURL((url) => url.pathname === '/desk/analytics');
    await page.getByRole('heading', { name: '分析' }).waitFor();
    await page.getByTestId('tile-started').waitFor();

    // Every stage with orders waiting opens exactly that many orders.
    const rows = page.getByTestId('work-in-progress').locator('button.bar-row');
    assert.equal(await rows.count(), 6, 'one bar per stage');
    let opened = 0;
    for (let i = 0; i < 6; i += 1) {
      const text = await rows.nth(i).locator('.bar-value').innerText();
      const count = Number(text.match(/^(\d+)/)[1]);
      if (count === 0) continue;
      await rows.nth(i).click();
      const list = page.getByTestId('work-in-progress').getByTestId('drill-down');
      await list.waitFor();
      assert.equal(await list.locator('a').count(), count, `the orders behind "${text}"`);
      await rows.nth(i).click();
      opened += 1;
    }
    assert.ok(opened >= 3, 'the demo has orders waiting in several stages');
    assert.deepEqual(await smallTapTargets(page), []);
    await screenshot(page, 'analytics-390');

    // The presets change the period; 本季度 covers at least what 本月 does.
    const started = async () => Number(await page.getByTestId('tile-started').locator('.tile-value').innerText());
    const month = await started();
    await page.getByRole('button', { name: '本季度' }).click();
    await page.getByRole('button', { name: '本季度', pressed: true }).waitFor();
    assert.ok((await started()) >= month);

    // Offline, once opened: the desk page and the figures come from the phone.
    await page.waitForFunction(async () => {
      for (const name of await caches.keys()) if (await (await caches.open(name)).match('/desk')) return true;
      return false;
    });
    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('tile-started').waitFor();
    await page.getByTestId('stage-times').waitFor();

    // A drill-down order opens the order page (the field bundle), offline too.
    await page.getByTestId('work-in-progress').locator('button.bar-row').first().waitFor();
    for (let i = 0; i < 6; i += 1) {
      const text = await rows.nth(i).locator('.bar-value').innerText();
      if (text.startsWith('0')) continue;
      await rows.nth(i).click();
      break;
    }
    await page.getByTestId('drill-down').locator('a').first().click();
    await page.getByTestId('order-number').waitFor();
    assert.match(new URL(page.url()).pathname, /^\/orders\//);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('on a desk-sized screen 分析 uses the width; a salesperson sees only their own orders', async () => {
  const wide = await phonePage(browser, { viewport: { width: 1280, height: 800 } });
  await signInAs(wide.page, DEMO_TEAM.admin, { next: '/desk/analytics' });
  await wide.page.getByTestId('tile-started').waitFor();
  await wide.page.getByTestId('bottleneck').waitFor();
  await screenshot(wide.page, 'analytics-1280');
  const team = Number(await wide.page.getByTestId('tile-started').locator('.tile-value').innerText());
  await wide.page.getByRole('button', { name: '本季度' }).click();
  const teamQuarter = Number(await wide.page.getByTestId('tile-started').locator('.tile-value').innerText());
  assert.ok(teamQuarter >= team);
  assert.deepEqual(wide.problems, []);
  await wide.context.close();

  const sales = await phonePage(browser, { viewport: { width: 360, height: 780 } });
  await signInAs(sales.page, DEMO_TEAM.sales, { next: '/desk/analytics' });
  await sales.page.getByText('这里是你负责的订单的数字。').waitFor();
  assert.equal(await sales.page.getByRole('checkbox', { name: /全团队/ }).count(), 0);
  await sales.page.getByRole('button', { name: '本季度' }).click();
  // 王芳 owns some of the demo orders, 孙磊 others: hers are counted once the phone has them.
  await sales.page.waitForFunction(() => Number(document.querySelector('[data-testid=tile-started] .tile-value')?.textContent) > 0);
  const own = Number(await sales.page.getByTestId('tile-started').locator('.tile-value').innerText());
  assert.ok(own < teamQuarter, `own ${own} fewer than the team's ${teamQuarter}`);
  assert.deepEqual(await smallTapTargets(sales.page), []);
  const overflow = await sales.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.equal(overflow, 0, 'no sideways scrolling at 360 px');
  await screenshot(sales.page, 'analytics-360-sales');
  await sales.context.close();
});
