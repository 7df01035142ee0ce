// The installable app end to end at 390x844: once the service worker is active, the app starts
// with the network cut AND the worker stopped, opens a deep link and accepts a new order; a new
// version is offered ("新版本可用 — 刷新") and only taken on the person's tap, with unsynced
// changes kept; Chromium finds the app installable.
//
// Runs its own worker (killed and restarted here) on a copy of app/dist, so changing the copy to
// make "the next version" touches nothing the other tests use.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, devHeaders, startPrivateWorker } from '../support/api.mjs';
import { DEMO_TEAM, launchPhoneProfile, screenshot, signInAs } from '../support/browser.mjs';

const dist = mkdtempSync(join(tmpdir(), 'gendan-pwa-dist-'));
const profileDir = mkdtempSync(join(tmpdir(), 'gendan-pwa-profile-'));
let worker;
let context;
let page;

before(async () => {
  cpSync(join(ROOT, 'app', 'dist'), dist, { recursive: true });
  worker = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled' }, args: ['--assets', dist] });
  const demo = await worker.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
  assert.equal(demo.status, 200, demo.text);
  // Not incognito: Chromium only judges installability for a real profile.
  context = await launchPhoneProfile(profileDir, { baseURL: worker.url });
  page = context.pages()[0] ?? (await context.newPage());
});

after(async () => {
  await context?.close();
  await worker?.stop();
  rmSync(dist, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

async function createOrder(company) {
  await page.getByRole('link', { name: '新建', exact: true }).click();
  await page.getByLabel('公司名称').fill(company);
  await page.getByLabel('联系人').fill('吴六');
  await page.getByLabel('联系电话').fill('13600005678');
  await page.getByLabel('产品').fill('轴承');
  await page.getByLabel('数量').fill('8');
  await page.getByLabel('单价（元）').fill('35');
  await page.getByRole('button', { name: '保存订单' }).click();
  await page.getByTestId('order-number').waitFor();
  return new URL(page.url()).pathname;
}

/// The names of this origin's caches (the shell caches are named after the build version).
const cacheNames = () => page.evaluate(() => caches.keys());

test('with the service worker active, the app starts offline with the worker stopped and accepts work', async () => {
  await signInAs(page, DEMO_TEAM.sales);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const shellCaches = (await cacheNames()).filter((name) => name.startsWith('gendan-shell-'));
  assert.equal(shellCaches.length, 1, `one shell cache: ${shellCaches}`);
  const orderPath = await createOrder('离线启动测试有限公司');

  await context.setOffline(true);
  await worker.kill();
  // A deep link, typed with no network and no server: the shell comes from the cache, the
  // order from IndexedDB.
  await page.goto(orderPath);
  await page.locator('.detail-head .company').filter({ hasText: '离线启动测试有限公司' }).waitFor();
  await page.getByTestId('network-status').filter({ hasText: '离线' }).waitFor();
  await page.goto('/');
  await page.getByRole('heading', { name: '订单看板' }).waitFor();
  await createOrder('断网新建测试有限公司');
  await page.getByTestId('unsynced').waitFor();
  await screenshot(page, 'pwa-offline-order-390x844');
  // The API is never answered from a cache: offline it fails like the network does.
  const api = await page.evaluate(() => fetch('/api/health').then((r) => r.status, () => 'network error'));
  assert.equal(api, 'network error');

  // Everything back: the order made with no server reaches it.
  await worker.restart();
  await context.setOffline(false);
  await page.reload();
  await page.getByTestId('network-status').filter({ hasText: '在线' }).waitFor();
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
  const { json } = await worker.call('/api/track/lookup', { json: { order_number: await numberOf('断网新建测试有限公司'), phone_last4: '5678' } });
  assert.equal(json.company, '断网新建测试有限公司');
});

/// The order number a card shows for `company`.
async function numberOf(company) {
  await page.goto('/');
  await page.getByPlaceholder('搜索订单号、客户、电话、产品').fill(company);
  const card = page.getByTestId('order-card').filter({ hasText: company });
  await card.waitFor();
  return card.getAttribute('data-number');
}

/// The session token this phone keeps in IndexedDB (to end it on the server, as an admin would).
function storedToken() {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('gendan');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const get = db.transaction('meta').objectStore('meta').get('setting:session');
      get.onerror = () => reject(get.error);
      get.onsuccess = () => {
        db.close();
        resolve(JSON.parse(get.result.value).token);
      };
    };
  }));
}

test('a new version is offered, taken only on a tap, and unsynced changes survive it', async () => {
  // A change that cannot sync yet: the session was ended on the server, so it waits on the phone.
  const token = await storedToken();
  const ended = await worker.call('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(ended.status, 200, ended.text);
  await page.goto('/');
  await createOrder('升级前未同步有限公司');
  await page.getByTestId('session-expired').waitFor();
  await page.getByTestId('sync-detail').filter({ hasText: '1 单未同步' }).waitFor();
  const before = (await cacheNames()).filter((name) => name.startsWith('gendan-shell-'));

  // The next build: a changed page and a service worker with a new version.
  const sw = readFileSync(join(dist, 'sw.js'), 'utf8');
  const version = sw.match(/const VERSION = "([0-9a-f]+)";/)[1];
  writeFileSync(join(dist, 'sw.js'), sw.replace(`"${version}"`, `"${version}next"`));
  const index = readFileSync(join(dist, 'index.html'), 'utf8');
  writeFileSync(join(dist, 'index.html'), index.replace('<head>', '<head><meta name="gendan-build" content="next" />'));
  await worker.kill();
  await worker.restart();

  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((registration) => registration.update()));
  await page.getByTestId('update-ready').waitFor();
  // Nothing switched by itself: still the old page, still the old cache serving it.
  assert.equal(await page.locator('meta[name=gendan-build]').count(), 0);
  await screenshot(page, 'pwa-update-ready-390x844');

  await page.getByTestId('update-ready').getByRole('button', { name: '刷新' }).click();
  await page.waitForFunction(() => document.querySelector('meta[name=gendan-build]') !== null);
  // The same page (the new order's) reloaded in the new version.
  await page.locator('.detail-head .company').filter({ hasText: '升级前未同步有限公司' }).waitFor();
  const after = (await cacheNames()).filter((name) => name.startsWith('gendan-shell-'));
  assert.deepEqual(after, [`gendan-shell-${version}next`], `old caches deleted on activation (before: ${before})`);
  // The change made before the update is still on the device, still waiting…
  await page.getByTestId('sync-detail').filter({ hasText: '1 单未同步' }).waitFor();
  await page.getByTestId('unsynced').waitFor();
  // …and syncs once its owner signs in again.
  await signInAs(page, DEMO_TEAM.sales);
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
  const number = await numberOf('升级前未同步有限公司');
  const { json } = await worker.call('/api/track/lookup', { json: { order_number: number, phone_last4: '5678' } });
  assert.equal(json.company, '升级前未同步有限公司');
});

test('Chromium finds the app installable, and settings show install and storage state', async () => {
  await page.goto('/settings');
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, []);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, []);
  await page.getByTestId('storage-used').waitFor();
  assert.match(await page.getByTestId('storage-used').textContent(), /^\d+\.\d (MB|GB) \/ \d+\.\d (MB|GB)$/);
  await page.getByTestId('storage-persisted').waitFor();
  await screenshot(page, 'settings-install-390x844');
});
