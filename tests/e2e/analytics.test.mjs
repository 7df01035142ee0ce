// 分析 (issue 14) end to end at 390x844 and 1280x800: an admin opens it from the board, sees the
// figures computed on the phone from its own orders, opens the orders behind a stage's bar, and
// finds it again offline; a salesperson sees only the orders they own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { adminToken, api, bearer, createOrderMutation, createUser } from '../support/api.mjs';
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

    // Each tile opens the orders it counted; tapping it again closes the list.
    await page.getByRole('button', { name: '本季度' }).click();
    for (const tile of ['tile-started', 'tile-completed', 'tile-rework']) {
      const value = Number(await page.getByTestId(tile).locator('.tile-value').innerText());
      await page.getByTestId(tile).click();
      const list = page.getByTestId('tile-orders').getByTestId('drill-down');
      if (value > 0) await list.locator('a').first().waitFor();
      assert.equal(await list.locator('a').count(), value, `the orders behind ${tile}`);
      await page.getByTestId(tile).click();
      await list.waitFor({ state: 'detached' });
    }

    // The funnel's rows open the orders they count (本季度's started orders and what became of them).
    const funnel = page.getByTestId('conversion').locator('button.bar-row');
    assert.equal(await funnel.count(), 4);
    for (let i = 0; i < 4; i += 1) {
      const count = Number((await funnel.nth(i).locator('.bar-value').innerText()).match(/^(\d+)/)[1]);
      await funnel.nth(i).click();
      const list = page.getByTestId('conversion').getByTestId('drill-down');
      if (count > 0) await list.locator('a').first().waitFor();
      assert.equal(await list.locator('a').count(), count, `funnel row ${i}`);
      await funnel.nth(i).click();
    }

    // Owner × stage: every active order once, and a square opens its own orders.
    const heat = page.getByTestId('heat-map');
    const squares = heat.locator('button.heat-cell');
    assert.ok((await squares.count()) >= 3);
    const counts = await squares.evaluateAll((cells) => cells.map((c) => Number(c.textContent.split('·')[0])));
    const waiting = await rows.evaluateAll((bars) => bars.reduce((sum, b) => sum + Number(b.querySelector('.bar-value').textContent.match(/^(\d+)/)[1]), 0));
    assert.equal(counts.reduce((a, b) => a + b, 0), waiting, 'the squares hold the orders waiting in the stages');
    await squares.first().click();
    assert.equal(await heat.getByTestId('drill-down').locator('a').count(), counts[0]);

    // A stage filter narrows the stage figures to it; the order figures stay.
    const startedBefore = await page.getByTestId('tile-started').locator('.tile-value').innerText();
    await page.getByTestId('filter-stage').selectOption({ label: '生产/采购' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=work-in-progress] button.bar-row').length === 1);
    assert.equal(await page.getByTestId('tile-started').locator('.tile-value').innerText(), startedBefore);
    await page.getByTestId('filter-stage').selectOption('');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=work-in-progress] button.bar-row').length === 6);
    await page.getByRole('button', { name: '本月' }).click();
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
  // People: the demo's two salespeople and the others who handled stages, each with figures.
  await wide.page.getByRole('button', { name: '本季度' }).click();
  await wide.page.getByTestId('person').filter({ hasText: '王芳' }).waitFor();
  await wide.page.getByTestId('person').filter({ hasText: '孙磊' }).waitFor();
  // Customers: the rating line and one bar per number of stars.
  assert.match(await wide.page.getByTestId('customers').innerText(), /平均评分 (\d\.\d|—)（\d+ 个评分）/);
  assert.equal(await wide.page.getByTestId('customers').locator('.bar-row').count(), 5);
  await wide.page.getByRole('button', { name: '本月' }).click();
  await screenshot(wide.page, 'analytics-1280');
  const team = Number(await wide.page.getByTestId('tile-started').locator('.tile-value').innerText());
  // One person picked: only the orders they own count.
  await wide.page.getByTestId('filter-owner').selectOption({ label: '孙磊' });
  await wide.page.waitForFunction((all) => Number(document.querySelector('[data-testid=tile-started] .tile-value')?.textContent) < all || all === 0, team);
  await wide.page.getByTestId('filter-owner').selectOption('');
  await wide.page.waitForFunction((all) => Number(document.querySelector('[data-testid=tile-started] .tile-value')?.textContent) === all, team);
  await wide.page.getByRole('button', { name: '本季度' }).click();
  const teamQuarter = Number(await wide.page.getByTestId('tile-started').locator('.tile-value').innerText());
  assert.ok(teamQuarter >= team);
  assert.deepEqual(wide.problems, []);
  await wide.context.close();

  const sales = await phonePage(browser, { viewport: { width: 360, height: 780 } });
  await signInAs(sales.page, DEMO_TEAM.sales, { next: '/desk/analytics' });
  await sales.page.getByText('你负责的订单的数字，和你所在部门负责的环节（全团队的订单）。').waitFor();
  assert.equal(await sales.page.getByTestId('filter-owner').count(), 0, 'no one else to pick');
  await sales.page.getByRole('button', { name: '本季度' }).click();
  // 王芳 owns some of the demo orders, 孙磊 others: hers are counted once the phone has them.
  await sales.page.waitForFunction(() => Number(document.querySelector('[data-testid=tile-started] .tile-value')?.textContent) > 0);
  const own = Number(await sales.page.getByTestId('tile-started').locator('.tile-value').innerText());
  assert.ok(own < teamQuarter, `own ${own} fewer than the team's ${teamQuarter}`);
  // Her stages are the sales stages, with everyone's orders in them; her line alone among the people.
  const stageBars = await sales.page.getByTestId('work-in-progress').locator('.bar-label').allInnerTexts();
  assert.deepEqual(stageBars, ['需求确认', '合同签订', '下单处理', '售后服务']);
  assert.deepEqual(await sales.page.getByTestId('person').locator('.person-name').allInnerTexts(), ['王芳']);
  assert.equal(await sales.page.getByTestId('people').locator('h2').innerText(), '我的业绩');
  assert.deepEqual(await smallTapTargets(sales.page), []);
  const overflow = await sales.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.equal(overflow, 0, 'no sideways scrolling at 360 px');
  await screenshot(sales.page, 'analytics-360-sales');
  await sales.context.close();
});

test('a manager sees the whole team and picks any range, but changes nothing on an order', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.manager, { next: '/desk/analytics' });
  await page.getByTestId('filter-owner').waitFor();
  await page.getByRole('button', { name: '本季度' }).click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=tile-started] .tile-value')?.textContent) > 0);
  const quarter = Number(await page.getByTestId('tile-started').locator('.tile-value').innerText());
  assert.ok((await page.getByTestId('person').count()) >= 2, 'everyone\'s figures');

  // 自定义: a range that ended before anything started holds nothing; a wide one holds the quarter.
  await page.getByRole('button', { name: '自定义' }).click();
  await page.getByTestId('range-from').fill('2020-01-01');
  await page.getByTestId('range-to').fill('2020-01-31');
  await page.getByTestId('range-to').dispatchEvent('change');
  await page.getByTestId('period').filter({ hasText: '2020年1月1日 至 2020年1月31日' }).waitFor();
  assert.equal(await page.getByTestId('tile-started').locator('.tile-value').innerText(), '0');
  await page.getByTestId('range-from').fill('2020-01-01');
  await page.getByTestId('range-to').fill(new Date(Date.now() + 86_400_000).toISOString().slice(0, 10));
  await page.getByTestId('range-to').dispatchEvent('change');
  await page.waitForFunction((q) => Number(document.querySelector('[data-testid=tile-started] .tile-value')?.textContent) >= q, quarter);
  // Years of range go by month: one column group per month, labelled with the year.
  const flow = page.getByTestId('weekly-flow');
  await flow.locator('h2').filter({ hasText: '每月流转' }).waitFor();
  const months = (new Date().getFullYear() - 2020) * 12 + new Date().getMonth() + 1;
  assert.ok(Math.abs((await flow.locator('.column-labels li').count()) - months) <= 1, 'a column group per month');
  assert.equal(await flow.locator('.column-label').first().innerText(), '2020/1');
  // A manager reads the team's people (the heading said 我的业绩 to everyone).
  assert.equal(await page.getByTestId('people').locator('h2').innerText(), '人员业绩');
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'analytics-manager-390');

  // On an order the manager reads everything and is told who may act instead of a button.
  await page.getByTestId('heat-map').locator('button.heat-cell').first().click();
  await page.getByTestId('heat-map').getByTestId('drill-down').locator('a').first().click();
  await page.getByTestId('order-number').waitFor();
  await page.getByTestId('current-stage-panel').waitFor();
  assert.equal(await page.getByTestId('advance').count(), 0, 'no 推进 for a manager');

  // 复盘, folded until opened: one row per stage the order has been in, each with its verdict.
  const review = page.getByTestId('review');
  assert.equal(await review.getByTestId('review-stage').first().isVisible(), false);
  await review.locator('summary').click();
  const visited = await page.getByTestId('timeline').locator('.timeline-step.done, .timeline-step.current').count();
  const rows = review.getByTestId('review-stage');
  await rows.first().waitFor();
  assert.ok((await rows.count()) >= visited, `${await rows.count()} review rows for ${visited} stages reached`);
  const verdicts = await rows.locator('.badge').allInnerTexts();
  assert.ok(['进行中', '已逾期'].includes(verdicts.at(-1)), `the stage the order is in has no verdict yet: ${verdicts.at(-1)}`);
  for (const verdict of verdicts.slice(0, -1)) assert.ok(['按时', '超时'].includes(verdict), verdict);
  // The verdict is by the due date, which each row names, with the SLA's unit.
  for (const plan of await rows.locator('.review-plan').allInnerTexts()) {
    assert.match(plan, /^时限 \d+ (天|个工作日)，截止 .+ · 用时 /, plan);
  }
  assert.match(await review.getByTestId('review-customer').innerText(), /客户评分 .* · 售后 \d+ 次（未处理 \d+）/);
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'order-review-390');
  await context.close();
});


test('a customer name half typed into the filter survives a sync that brings a new owner', async () => {
  const { context, page } = await phonePage(browser);
  try {
    await signInAs(page, DEMO_TEAM.manager, { next: '/desk/analytics' });
    const owners = page.getByTestId('filter-owner');
    await owners.waitFor();
    await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
    // Typed, not yet committed (no change event): exactly what a sync must not wipe.
    const customer = page.getByTestId('filter-customer');
    await customer.click();
    await customer.pressSequentially('华东机');

    // Meanwhile the admin gives a new colleague an order: the owner list on this phone grows.
    const admin = await adminToken();
    const newcomer = await createUser(admin, { name: `新同事${randomBytes(2).toString('hex')}` });
    const mutation = createOrderMutation(randomUUID(), {
      company: '过滤器同步测试有限公司',
      owner: { user_id: newcomer.id, name: newcomer.name },
    });
    const pushed = await api('/api/sync/push', {
      json: { device_id: randomUUID(), mutations: [{ seq: 1, mutation, device_time: new Date().toISOString() }] },
      headers: bearer(admin),
    });
    assert.equal(pushed.status, 200, pushed.text);
    assert.deepEqual(pushed.json.rejected, []);
    await owners.locator('option', { hasText: newcomer.name }).waitFor({ state: 'attached', timeout: 30_000 });

    assert.equal(await customer.inputValue(), '华东机', 'the typed text is still there');
    await customer.pressSequentially('械');
    assert.equal(await customer.inputValue(), '华东机械');
  } finally {
    await context.close();
  }
});
