// Photos on orders end to end (issue 16) at 390×844: offline, the warehouse (张伟) takes a
// 签收单 photo of a shipped order; it shows at once marked 未上传, survives a reload with no
// network, and uploads exactly once when the phone is back online; a second phone (王芳) sees
// its thumbnail after syncing; the customer sees it through the shared link. Before it is
// uploaded, 退出并清除本机数据 warns that the photo would be lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ARTIFACTS, BASE_URL, DEMO_TEAM, launchBrowser, launchPhoneProfile, phonePage, screenshot, signInAs,
} from '../support/browser.mjs';
import {
  DEMO_ADMIN, DEMO_PASSWORD, DEMO_SALES, api, bearer, createOrderMutation, d1, ensureDemoData, sha256Hex, signIn,
} from '../support/api.mjs';

const profileDir = mkdtempSync(join(tmpdir(), 'gendan-e2e-attach-'));
const COMPANY = `附件测试${Date.now().toString(36)}有限公司`;
let warehouse;
let browser;
let orderId;

before(async () => {
  await ensureDemoData();
  // A shipped order, made through the API as the admin: created, moved to 发货 (skipping with
  // a reason), shipment recorded.
  const admin = (await signIn(DEMO_ADMIN.login, DEMO_PASSWORD)).token;
  orderId = randomUUID();
  const mutations = [
    createOrderMutation(orderId, { company: COMPANY }),
    { type: 'advance_stage', order_id: orderId, from: 'requirement', to: 'delivery', reason: '测试：直接发货' },
    { type: 'record_shipment', order_id: orderId, carrier: '顺丰速运', tracking_no: 'SF1234567890' },
  ].map((mutation, i) => ({ seq: i + 1, mutation, device_time: new Date().toISOString() }));
  const pushed = await api('/api/sync/push', { json: { device_id: randomUUID(), mutations }, headers: bearer(admin) });
  assert.equal(pushed.status, 200, pushed.text);
  assert.deepEqual(pushed.json.rejected, []);
  warehouse = await launchPhoneProfile(profileDir);
  browser = await launchBrowser();
});

after(async () => {
  await warehouse?.close();
  await browser?.close();
  rmSync(profileDir, { recursive: true, force: true });
});

/// A 12-megapixel photo of a signed delivery note, drawn by the browser (no file in the repo).
async function testPhoto(page) {
  const bytes = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(4000, 3000);
    const context = canvas.getContext('2d');
    const gradient = context.createLinearGradient(0, 0, 4000, 3000);
    gradient.addColorStop(0, '#f5f1e6');
    gradient.addColorStop(1, '#d9cfb8');
    context.fillStyle = gradient;
    context.fillRect(0, 0, 4000, 3000);
    context.fillStyle = '#1a3d7c';
    context.font = 'bold 240px sans-serif';
    context.fillText('签收单 SIGNED', 300, 900);
    context.strokeStyle = '#b00';
    context.lineWidth = 30;
    context.beginPath();
    context.arc(3000, 2100, 500, 0, Math.PI * 2);
    context.stroke();
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return Buffer.from(bytes);
}

const attachmentRows = () => d1(`SELECT sha256, size, content_type FROM attachment_files WHERE order_id = '${orderId}'`);

/// Buttons, links and inputs inside `selector` smaller than 44 px either way.
const smallTargetsIn = (page, selector) =>
  page.evaluate((selector) =>
    [...document.querySelectorAll(`${selector} a, ${selector} button, ${selector} select, ${selector} label.button`)]
      .filter((element) => element.offsetParent !== null)
      .map((element) => ({ text: element.textContent.trim(), ...element.getBoundingClientRect().toJSON() }))
      .filter((box) => box.height < 44 || box.width < 44), selector);

test('offline, 张伟 adds a 签收单 photo; it survives a reload and uploads once when online', async () => {
  const page = warehouse.pages()[0] ?? (await warehouse.newPage());
  const uploads = [];
  const failedUploads = [];
  page.on('request', (request) => {
    if (request.method() === 'PUT' && request.url().includes('/files/')) uploads.push(request.url());
  });
  page.on('requestfailed', (request) => {
    if (request.method() === 'PUT' && request.url().includes('/files/')) failedUploads.push(request.url());
  });
  const answered = [];
  page.on('response', (response) => {
    const request = response.request();
    if (request.method() === 'PUT' && request.url().includes('/files/')) answered.push({ url: request.url(), status: response.status() });
  });
  await signInAs(page, DEMO_TEAM.warehouse);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  // The order reaches this phone with its first sync.
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
  await page.goto(`/orders/${orderId}`);
  await page.locator('.detail-head .company').filter({ hasText: COMPANY }).waitFor();
  const photo = await testPhoto(page);
  assert.ok(photo.length > 100_000, `a big photo (${photo.length} bytes)`);

  await warehouse.setOffline(true);
  await page.getByTestId('network-status').filter({ hasText: '离线' }).waitFor();
  const section = page.getByTestId('attachments');
  await section.scrollIntoViewIfNeeded();
  assert.deepEqual(await smallTargetsIn(page, '[data-testid=attachments]'), []);
  await page.getByTestId('attach-kind').selectOption('delivery_note');
  await page.getByTestId('attach-camera').locator('input').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: photo });
  const item = section.getByTestId('attachment').filter({ hasText: '签收单' });
  await item.waitFor();
  await item.getByTestId('not-uploaded').filter({ hasText: '未上传' }).waitFor();
  await item.getByTestId('attachment-thumbnail').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=attachment-thumbnail]')?.naturalWidth > 0);
  // Downscaled by the browser: the stored photo is a JPEG at most 2048 px long, far smaller.
  const stored = await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('gendan');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const all = open.result.transaction('files').objectStore('files').getAll();
      all.onsuccess = async () => {
        const sizes = [];
        for (const record of all.result) {
          const bitmap = await createImageBitmap(new Blob([record.bytes], { type: 'image/jpeg' }));
          sizes.push({ bytes: record.bytes.length, width: bitmap.width, height: bitmap.height, waiting: record.waiting === 1 });
        }
        open.result.close();
        resolve(sizes.sort((a, b) => b.bytes - a.bytes));
      };
    };
  }));
  assert.equal(stored.length, 2, 'the photo and its thumbnail');
  assert.deepEqual([stored[0].width, stored[0].height], [2048, 1536]);
  assert.ok(stored[0].bytes < photo.length, 'smaller than what the camera gave');
  assert.ok(Math.max(stored[1].width, stored[1].height) <= 320, 'a small thumbnail');
  assert.ok(stored.every((file) => file.waiting));
  await screenshot(page, 'attachments-offline-390x844');
  await section.screenshot({ path: join(ARTIFACTS, 'attachments-section-offline-390.png') });

  // Reloaded with no network: the shell from the service worker, the photo from IndexedDB.
  await page.reload();
  await page.locator('.detail-head .company').filter({ hasText: COMPANY }).waitFor();
  await page.getByTestId('attachment').filter({ hasText: '签收单' }).getByTestId('not-uploaded').waitFor();
  assert.deepEqual(uploads, [], 'nothing was sent while offline');
  assert.deepEqual(await attachmentRows(), []);

  // 退出并清除本机数据 first warns that the photo exists only on this phone, counted as a person
  // counts it (the photo and its thumbnail are one photo); 取消 keeps everything.
  await page.getByRole('link', { name: '设置', exact: true }).click();
  await page.getByRole('button', { name: '退出并清除本机数据' }).click();
  await page.getByTestId('wipe-files-warning').filter({ hasText: '本机还有 1 个照片或文件没有上传，清除后将永久丢失！' }).waitFor();
  await screenshot(page, 'attachments-wipe-warning-390x844');
  await page.getByRole('button', { name: '取消', exact: true }).click();
  await page.getByTestId('wipe-files-warning').waitFor({ state: 'detached' });
  await page.goto(`/orders/${orderId}`);
  await page.locator('.detail-head .company').filter({ hasText: COMPANY }).waitFor();
  await page.getByTestId('attachment').filter({ hasText: '签收单' }).getByTestId('not-uploaded').waitFor();

  // Back online, the network drops the first try: the attachment says so and when it tries
  // again. The next try of the photo is held on its way (its progress shows), and the page is
  // reloaded in the middle of it: after the reload the queue resumes and every file reaches the
  // server exactly once.
  let dropped = false;
  let heldOne = false;
  let release;
  let onHolding;
  const held = new Promise((resolve) => { release = resolve; });
  const holding = new Promise((resolve) => { onHolding = resolve; });
  await page.route('**/api/orders/*/files/*', async (route) => {
    const request = route.request();
    if (request.method() !== 'PUT') return route.continue();
    if (!dropped) {
      dropped = true;
      return route.abort('internetdisconnected');
    }
    if (!heldOne && (request.postDataBuffer()?.length ?? 0) > 50_000) {
      heldOne = true;
      onHolding();
      await held;
      // The page that sent it is gone by now; its request with it.
      return route.continue().catch(() => {});
    }
    return route.continue();
  });
  await warehouse.setOffline(false);
  await page.getByTestId('network-status').filter({ hasText: '在线' }).waitFor();
  const badge = page.getByTestId('attachment').filter({ hasText: '签收单' }).getByTestId('not-uploaded');
  await badge.filter({ hasText: /^上传失败 1 次，\d+ 秒后重试$/ }).waitFor({ timeout: 30_000 });
  await page.getByTestId('attachment').filter({ hasText: '签收单' }).scrollIntoViewIfNeeded();
  await screenshot(page, 'attachments-retry-390x844');
  // The next try comes by itself after the backoff (2 s), with no tap and no reload; the photo
  // is held on its way (the thumbnail may go first), and meanwhile its progress shows.
  await holding;
  assert.equal(heldOne, true, 'the photo is on its way');
  await badge.filter({ hasText: /^正在上传 \d+%$/ }).waitFor({ timeout: 30_000 });
  await page.getByTestId('upload-progress').waitFor();
  await screenshot(page, 'attachments-uploading-390x844');
  await page.reload();
  release();
  await page.locator('.detail-head .company').filter({ hasText: COMPANY }).waitFor();
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('attachment').filter({ hasText: '签收单' }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=not-uploaded]').length === 0, null, { timeout: 30_000 });
  await page.unroute('**/api/orders/*/files/*');
  const rows = await attachmentRows();
  assert.equal(rows.length, 2, 'the photo and its thumbnail are on the server');
  assert.ok(rows.every((row) => row.content_type === 'image/jpeg'));
  assert.ok(failedUploads.length >= 2, `the dropped try and the one cut by the reload failed: ${failedUploads.join(', ')}`);
  // Each file answered once, stored then (201): nothing was sent again after it got through.
  assert.equal(new Set(uploads).size, 2, 'only the photo and its thumbnail were sent');
  assert.deepEqual(answered.map((a) => a.status), [201, 201], JSON.stringify(answered));
  assert.equal(new Set(answered.map((a) => a.url)).size, 2);
  await page.getByTestId('history').filter({ hasText: '张伟 上传了签收单' }).waitFor();
  await screenshot(page, 'attachments-uploaded-390x844');
});

test('a second phone sees the thumbnail after syncing; 360 px wide still fits', async () => {
  const { page, problems } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.sales);
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
  await page.goto(`/orders/${orderId}`);
  const item = page.getByTestId('attachment').filter({ hasText: '签收单' });
  await item.waitFor();
  const thumbnail = item.getByTestId('attachment-thumbnail');
  await thumbnail.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=attachment-thumbnail]')?.naturalWidth > 0);
  assert.equal(await item.getByTestId('not-uploaded').count(), 0);
  assert.match(await item.textContent(), /张伟/);
  await item.scrollIntoViewIfNeeded();
  await screenshot(page, 'attachments-second-phone-390x844');

  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => {
    const section = document.querySelector('[data-testid=attachments]');
    return section.scrollWidth - section.clientWidth;
  });
  assert.ok(overflow <= 0, `the section fits 360 px (overflow ${overflow})`);
  assert.deepEqual(await smallTargetsIn(page, '[data-testid=attachments]'), []);
  await screenshot(page, 'attachments-second-phone-360');
  await page.getByTestId('attachments').screenshot({ path: join(ARTIFACTS, 'attachments-section-360.png') });
  assert.deepEqual(problems, []);
});

test('the customer sees the 签收单 through the shared link', async () => {
  const sales = (await signIn(DEMO_SALES.login, DEMO_PASSWORD)).token;
  const shared = await api(`/api/orders/${orderId}/share`, { method: 'POST', headers: bearer(sales) });
  assert.equal(shared.status, 200, shared.text);
  const { page } = await phonePage(browser);
  await page.goto(`/t/${shared.json.token}`);
  const files = page.getByTestId('customer-files');
  await files.waitFor();
  await files.getByText('签收单').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=customer-files] img')?.naturalWidth > 0);
  assert.deepEqual(await smallTargetsIn(page, '[data-testid=customer-files]'), []);
  await files.scrollIntoViewIfNeeded();
  await screenshot(page, 'attachments-customer-390x844');
  const [download] = await Promise.all([
    page.waitForResponse((response) => response.url().includes('/files/') && !response.url().endsWith('/thumbnail')),
    files.getByRole('link').first().click(),
  ]);
  assert.equal(download.status(), 200);
  assert.equal(download.headers()['content-type'], 'image/jpeg');
});

test('a full phone refuses the photo with a clear message and stores none of it; with room again it is kept', async () => {
  // The phone is full: Chromium itself refuses storage writes past a quota of 1 MB for the app's
  // origin (a real QuotaExceededError from IndexedDB, not a stand-in). The quota is set before
  // the app first opens its database: lowered later, this Chromium kept writing past it. The
  // service worker is kept out so its cache does not count. Orders and cards take a few hundred KB; the photo,
  // noise a camera cannot compress, still about 2 MB after downscaling.
  const { context, page } = await phonePage(browser, { serviceWorkers: 'block' });
  const cdp = await context.newCDPSession(page);
  const origin = new URL(BASE_URL).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1_000_000 });
  await signInAs(page, DEMO_TEAM.warehouse);
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
  await page.goto(`/orders/${orderId}`);
  await page.locator('.detail-head .company').filter({ hasText: COMPANY }).waitFor();
  const noise = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(4000, 3000);
    const context = canvas.getContext('2d');
    const pixels = context.createImageData(4000, 3000);
    for (let offset = 0; offset < pixels.data.length; offset += 65536) {
      crypto.getRandomValues(pixels.data.subarray(offset, Math.min(offset + 65536, pixels.data.length)));
    }
    context.putImageData(pixels, 0, 0);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  const photo = Buffer.from(noise);
  const storedFiles = () => page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('gendan');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const count = open.result.transaction('files').objectStore('files').count();
      count.onsuccess = () => { open.result.close(); resolve(count.result); };
    };
  }));
  const filesBefore = await storedFiles();
  const qcItems = page.getByTestId('attachment').filter({ hasText: '质检照片' });
  assert.equal(await qcItems.count(), 0);

  await page.getByTestId('attach-kind').selectOption('qc_photo');
  await page.getByTestId('attach-camera').locator('input').setInputFiles({ name: 'IMG_0002.jpg', mimeType: 'image/jpeg', buffer: photo });
  const message = page.getByTestId('attachments').getByRole('alert').filter({ hasText: '手机存储空间不足' });
  await message.waitFor({ timeout: 30_000 });
  await page.getByTestId('attachments').screenshot({ path: join(ARTIFACTS, 'attachments-device-full-390.png') });
  // Nothing half-stored: no attachment on the order, no file waiting to upload; the order and
  // the rest of the page are as they were.
  assert.equal(await qcItems.count(), 0);
  assert.equal(await storedFiles(), filesBefore);
  await page.getByTestId('attachment').filter({ hasText: '签收单' }).waitFor();

  // Room again (the quota lifted): the same photo is kept, marked for upload, and the message
  // is gone.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await page.getByTestId('attach-camera').locator('input').setInputFiles({ name: 'IMG_0002.jpg', mimeType: 'image/jpeg', buffer: photo });
  await qcItems.waitFor();
  await message.waitFor({ state: 'detached' });
  assert.equal(await storedFiles(), filesBefore + 2, 'the photo and its thumbnail');
  await context.close();
});

test('an admin purges a photo removed by mistake: the bytes leave the server and the history says so', async () => {
  // An order of its own: the other tests' photos (one may never be uploaded) stay out of it.
  const admin = (await signIn(DEMO_ADMIN.login, DEMO_PASSWORD)).token;
  const orderId = randomUUID();
  const created = await api('/api/sync/push', {
    json: { device_id: randomUUID(), mutations: [{ seq: 1, mutation: createOrderMutation(orderId, { company: `清除测试${Date.now().toString(36)}有限公司` }), device_time: new Date().toISOString() }] },
    headers: bearer(admin),
  });
  assert.deepEqual(created.json.rejected, [], created.text);
  // 张伟 adds a QC photo by mistake (uploaded), then removes it: hidden, but still stored.
  const zhangwei = (await signIn(DEMO_TEAM.warehouse.login, DEMO_PASSWORD)).token;
  const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0'), randomBytes(3000), Buffer.from([0xff, 0xd9])]);
  const attachmentId = randomUUID();
  const device = randomUUID();
  const push = (seq, mutation) =>
    api('/api/sync/push', { json: { device_id: device, mutations: [{ seq, mutation, device_time: new Date().toISOString() }] }, headers: bearer(zhangwei) });
  const added = await push(1, {
    type: 'add_attachment',
    order_id: orderId,
    attachment: { id: attachmentId, kind: 'qc_photo', file: { sha256: sha256Hex(bytes), file_type: 'jpeg', size: bytes.length } },
  });
  assert.deepEqual(added.json.rejected, [], added.text);
  const stored = await api(`/api/orders/${orderId}/files/${sha256Hex(bytes)}`, { method: 'PUT', body: bytes, headers: bearer(zhangwei) });
  assert.equal(stored.status, 201, stored.text);
  assert.deepEqual((await push(2, { type: 'remove_attachment', order_id: orderId, attachment_id: attachmentId })).json.rejected, []);
  const storedHashes = async () =>
    (await d1(`SELECT sha256 FROM attachment_files WHERE order_id = '${orderId}'`)).map((row) => row.sha256);
  assert.ok((await storedHashes()).includes(sha256Hex(bytes)));

  // Sales do not see the removed one at all.
  const { page: salesPage } = await phonePage(browser);
  await signInAs(salesPage, DEMO_TEAM.sales);
  await salesPage.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
  await salesPage.goto(`/orders/${orderId}`);
  await salesPage.getByTestId('attachments').waitFor();
  assert.equal(await salesPage.getByTestId('removed-attachments').count(), 0);

  const { page, problems } = await phonePage(browser);
  await signInAs(page, DEMO_TEAM.admin);
  await page.getByTestId('sync-detail').filter({ hasText: '已同步' }).waitFor({ timeout: 30_000 });
  await page.goto(`/orders/${orderId}`);
  const removed = page.getByTestId('removed-attachments');
  await removed.locator('summary').filter({ hasText: '已删除的附件（1）' }).click();
  const row = removed.getByTestId('removed-attachment');
  assert.match(await row.textContent(), /质检照片[\s\S]*张伟 上传 · 张伟 删除于/);
  assert.deepEqual(await smallTargetsIn(page, '[data-testid=removed-attachments]'), []);
  await removed.scrollIntoViewIfNeeded();
  await screenshot(page, 'attachments-purge-390x844');

  // Dismissing the confirmation purges nothing; accepting it does.
  page.once('dialog', (dialog) => dialog.dismiss());
  await row.getByTestId('attachment-purge').click();
  assert.ok((await storedHashes()).includes(sha256Hex(bytes)));
  page.once('dialog', (dialog) => {
    assert.match(dialog.message(), /无法恢复/);
    dialog.accept();
  });
  await row.getByTestId('attachment-purge').click();
  await page.getByTestId('history').getByText('管理员 彻底清除了已删除的质检照片').waitFor({ timeout: 30_000 });
  assert.ok(!(await storedHashes()).includes(sha256Hex(bytes)), 'the bytes are gone from the server');
  // Purged, nothing is left to purge: the section goes.
  await removed.waitFor({ state: 'detached' });
  assert.deepEqual(problems, []);
});
