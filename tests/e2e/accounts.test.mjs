// Team accounts in the app, end to end at 390x844 against the real worker + local D1: signing
// in, two roles seeing different things, the session kept on the device (offline after one
// sign-in), signing out with and without wiping the device, and the admin's team screen.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  BASE_URL, DEMO_PASSWORD, DEMO_TEAM, ensureDemoData, launchBrowser, phonePage, screenshot, signInAs,
  smallTapTargets,
  storedOrderCount,
} from '../support/browser.mjs';

let browser;

before(async () => {
  await ensureDemoData();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function apiCall(path, { token, json, method } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json) headers['content-type'] = 'application/json';
  const response = await fetch(`${BASE_URL}${path}`, {
    method: method ?? (json ? 'POST' : 'GET'),
    headers,
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: response.status, json: await response.json() };
}

async function apiSignIn(login, password) {
  const { status, json } = await apiCall('/api/auth/login', { json: { login, password } });
  assert.equal(status, 200, JSON.stringify(json));
  return json.token;
}

async function createOrder(page, company) {
  await page.getByRole('link', { name: '新建', exact: true }).click();
  await page.getByLabel('公司名称').fill(company);
  await page.getByLabel('联系人').fill('周一');
  await page.getByLabel('联系电话').fill('13700001234');
  await page.getByLabel('产品').fill('阀门');
  await page.getByLabel('数量').fill('3');
  await page.getByLabel('单价（元）').fill('120');
  await page.getByRole('button', { name: '保存订单' }).click();
  await page.getByTestId('order-number').waitFor();
}

test('a signed-out phone is sent to sign-in, and back to the page it asked for', async () => {
  const { context, page, problems } = await phonePage(browser);
  await page.goto('/orders/new');
  await page.waitForURL((url) => url.pathname === '/login');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/orders/new');
  await page.getByRole('heading', { name: '团队登录' }).waitFor();
  assert.deepEqual(await smallTapTargets(page), []);
  await screenshot(page, 'login-390x844');

  // A wrong password gets the server's message, in Chinese, and the form stays.
  await page.getByLabel('手机号或邮箱').fill(DEMO_TEAM.sales.login);
  await page.getByLabel('密码', { exact: true }).fill('not-the-password');
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByTestId('login-error').filter({ hasText: '账号或密码错误' }).waitFor();

  await page.getByLabel('密码', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/orders/new');
  await page.getByLabel('公司名称').waitFor();
  assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
  await context.close();
});

test('sales and warehouse see different actions for what their roles allow', async () => {
  const sales = await phonePage(browser);
  await signInAs(sales.page, DEMO_TEAM.sales);
  // Sales may create orders and move the first stage on.
  await sales.page.getByRole('link', { name: '新建', exact: true }).waitFor();
  await createOrder(sales.page, '角色测试（销售）有限公司');
  await sales.page.getByTestId('advance').filter({ hasText: '合同签订' }).waitFor();
  assert.equal(await sales.page.locator('[data-testid=checklist] input:disabled').count(), 0);
  assert.equal(await sales.page.getByTestId('not-allowed').count(), 0);
  await screenshot(sales.page, 'role-sales-order-390x844');
  await sales.page.getByRole('link', { name: '设置', exact: true }).click();
  await sales.page.getByTestId('account-roles').filter({ hasText: '销售' }).waitFor();
  assert.equal(await sales.page.getByTestId('team-link').count(), 0, 'sales has no team screen');

  const warehouse = await phonePage(browser);
  await signInAs(warehouse.page, DEMO_TEAM.warehouse);
  // Warehouse creates no orders: no 新建 in the navigation, and the page explains why.
  await warehouse.page.getByRole('link', { name: '看板', exact: true }).waitFor();
  assert.equal(await warehouse.page.getByRole('link', { name: '新建', exact: true }).count(), 0);
  await screenshot(warehouse.page, 'role-warehouse-board-390x844');
  await warehouse.page.goto('/orders/new');
  await warehouse.page.getByTestId('not-allowed').filter({ hasText: '只有销售、客服或管理员可以创建订单' }).waitFor();
  assert.equal(await warehouse.page.getByLabel('公司名称').count(), 0);
  await screenshot(warehouse.page, 'role-warehouse-new-order-390x844');
  await warehouse.page.getByRole('link', { name: '设置', exact: true }).click();
  await warehouse.page.getByTestId('account-roles').filter({ hasText: '仓储' }).waitFor();
  await sales.context.close();
  await warehouse.context.close();
});

test('after one sign-in the app opens without signing in again and works offline', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales);
  await page.close();
  // A new page in the same browser profile: the session comes from IndexedDB, no login screen.
  const again = await context.newPage();
  await again.goto('/');
  await again.getByRole('heading', { name: '订单看板' }).waitFor();
  assert.equal(new URL(again.url()).pathname, '/');
  await context.setOffline(true);
  await again.getByTestId('network-status').filter({ hasText: '离线' }).waitFor();
  await createOrder(again, '离线登录测试有限公司');
  await again.getByTestId('unsynced').waitFor();
  await context.close();
});

test('signing out keeps the device data for its owner; another person cannot take over unsynced work; wiping empties it', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales);
  // Made offline, so it is still unsynced when 王芳 signs out.
  await context.setOffline(true);
  await createOrder(page, '共用手机测试有限公司');

  await page.getByRole('link', { name: '设置', exact: true }).click();
  await page.getByRole('button', { name: '退出登录', exact: true }).click();
  await page.getByTestId('leave-confirm').filter({ hasText: '本机还有 1 条修改未同步' }).waitFor();
  await page.getByTestId('confirm-leave').click();
  await page.waitForURL((url) => url.pathname === '/login');
  await context.setOffline(false);

  // Someone else cannot sign in over 王芳's unsynced change: it could only be sent in her name.
  await page.getByLabel('手机号或邮箱').fill(DEMO_TEAM.warehouse.login);
  await page.getByLabel('密码', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByTestId('login-error').filter({ hasText: '这台设备上还有 王芳 的 1 条未同步修改' }).waitFor();
  await page.getByRole('button', { name: '清除本机数据' }).waitFor();
  await screenshot(page, 'login-device-taken-390x844');

  // 王芳 herself gets her order back, and it syncs.
  await signInAs(page, DEMO_TEAM.sales);
  await page.getByTestId('order-card').filter({ hasText: '共用手机测试有限公司' }).waitFor();
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });

  // Another change made offline, then "sign out and wipe": the warning counts it as lost.
  await context.setOffline(true);
  await createOrder(page, '清除前未同步有限公司');
  await page.getByRole('link', { name: '设置', exact: true }).click();
  await page.getByRole('button', { name: '退出并清除本机数据' }).click();
  await page.getByTestId('leave-confirm').filter({ hasText: '1 条修改没有同步，清除后将永久丢失' }).waitFor();
  await screenshot(page, 'settings-wipe-confirm-390x844');
  await page.getByTestId('confirm-leave').click();
  await page.waitForURL((url) => url.pathname === '/login');
  await page.getByRole('heading', { name: '团队登录' }).waitFor();
  await context.setOffline(false);

  // The next person starts from what the server has: the synced order is there, the wiped
  // unsynced one is gone for good.
  await signInAs(page, DEMO_TEAM.warehouse);
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
  const search = page.getByPlaceholder('搜索订单号、客户、电话、产品');
  await search.fill('共用手机测试有限公司');
  await page.getByTestId('total-active').filter({ hasText: '进行中 1 单' }).waitFor();
  await search.fill('清除前未同步有限公司');
  await page.getByTestId('total-active').filter({ hasText: '进行中 0 单' }).waitFor();
  await context.close();
});

test('the admin adds a member on the team screen; the member must replace the admin\'s password at first sign-in; disabling them wipes their phone', async () => {
  const admin = await phonePage(browser);
  await signInAs(admin.page, DEMO_TEAM.admin, { next: '/settings' });
  await admin.page.getByTestId('team-link').click();
  await admin.page.getByTestId('member').filter({ hasText: DEMO_TEAM.warehouse.name }).waitFor();

  const login = `e2e-${randomBytes(4).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  await admin.page.getByLabel('姓名').fill('新同事');
  await admin.page.getByLabel('登录账号（手机号或邮箱）').fill(login);
  await admin.page.getByLabel('初始密码（至少 8 位）').fill(password);
  await admin.page.locator('#new-member-role-sales').uncheck();
  await admin.page.locator('#new-member-role-finance').check();
  await admin.page.getByRole('button', { name: '添加成员', exact: true }).click();
  await admin.page.getByText('已添加成员 新同事').waitFor();
  const row = admin.page.locator(`[data-testid=member][data-login="${login}"]`);
  await row.filter({ hasText: '财务' }).waitFor();
  assert.deepEqual(await smallTapTargets(admin.page), []);
  await screenshot(admin.page, 'team-390x844');

  // The new member signs in on their own phone.
  const member = await phonePage(browser);
  await member.page.goto('/login');
  await member.page.getByLabel('手机号或邮箱').fill(login);
  await member.page.getByLabel('密码', { exact: true }).fill(password);
  await member.page.getByRole('button', { name: '登录', exact: true }).click();
  // The admin chose that password: the member must set their own before anything else.
  await member.page.getByTestId('password-forced').filter({ hasText: '管理员为你设置' }).waitFor();
  assert.equal(new URL(member.page.url()).pathname, '/password');
  // Any other team page leads back here until it is done.
  await member.page.goto('/today');
  await member.page.getByTestId('password-forced').waitFor();
  assert.equal(new URL(member.page.url()).pathname, '/password');
  assert.deepEqual(await smallTapTargets(member.page), []);
  await screenshot(member.page, 'password-forced-390x844');
  const ownPassword = `own-${randomBytes(6).toString('hex')}`;
  await member.page.getByLabel('当前密码').fill(password);
  await member.page.getByLabel('新密码（至少 8 个字符）').fill(ownPassword);
  await member.page.getByLabel('再次输入新密码').fill(`${ownPassword}x`);
  await member.page.getByRole('button', { name: '保存新密码' }).click();
  await member.page.getByTestId('password-error').filter({ hasText: '两次输入的新密码不一致' }).waitFor();
  await member.page.getByLabel('再次输入新密码').fill(ownPassword);
  await member.page.getByRole('button', { name: '保存新密码' }).click();
  await member.page.getByRole('heading', { name: '订单看板' }).waitFor();
  // The admin's password no longer works; the member's own does, without being asked again.
  assert.equal((await apiCall('/api/auth/login', { json: { login, password } })).status, 401);
  const own = await apiCall('/api/auth/login', { json: { login, password: ownPassword } });
  assert.equal(own.status, 200);
  assert.equal(own.json.must_change_password, undefined);

  await member.page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 60_000 }).catch(async (error) => {
    const status = await member.page.getByTestId('sync-detail').innerText().catch(() => '(none)');
    throw new Error(`${error.message}\nthe sync status said: ${status}; at ${member.page.url()}`);
  });
  assert.ok((await storedOrderCount(member.page)) > 0, 'the phone holds the team orders before');
  // The admin disables the account.
  await row.locator('.member-head').click();
  await row.getByRole('button', { name: '停用账号' }).click();
  await admin.page.locator(`[data-testid=member][data-login="${login}"]`).filter({ hasText: '已停用' }).waitFor();

  // On the member's next start the phone learns the account is disabled and, with nothing
  // unsent to offer, removes the company's data at once (issue 19 item 11): back to sign-in.
  await member.page.reload();
  await member.page.waitForURL((url) => url.pathname === '/login', { timeout: 30_000 });
  await member.page.getByLabel('手机号或邮箱').waitFor();
  assert.equal(await storedOrderCount(member.page), 0, "the device's orders are gone");
  // And the server refuses the account.
  const refused = await apiCall('/api/auth/login', { json: { login, password: ownPassword } });
  assert.equal(refused.status, 403);
  await admin.context.close();
  await member.context.close();
});

test('a member who is not an admin gets no team screen, even by typing its address', async () => {
  const { context, page } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.legal, { next: '/desk/team' });
  await page.getByText('只有管理员可以管理团队成员。').waitFor();
  assert.equal(await page.getByTestId('member-list').count(), 0);
  // The server agrees, whatever the screen shows.
  const token = await apiSignIn(DEMO_TEAM.legal.login, DEMO_PASSWORD);
  assert.equal((await apiCall('/api/admin/users', { token })).status, 403);
  await context.close();
});
