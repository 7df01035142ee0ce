// Launches Debian's Chromium through playwright-core, with the flags this offline machine needs,
// and opens phone-sized pages. Screenshots go to tests/artifacts/ for people to look at.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { devHeaders } from './api.mjs';

export const BASE_URL = process.env.BASE_URL ?? (() => {
  throw new Error('BASE_URL is not set: run the tests through scripts/test');
})();

export const PHONE = { width: 390, height: 844 };
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

const CHROMIUM = {
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/// A phone in Chinese, like our users.
const PHONE_CONTEXT = { deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' };

export async function launchBrowser() {
  return chromium.launch(CHROMIUM);
}

/// A phone-sized browser on a profile directory that outlives the browser (IndexedDB, service
/// workers and the session survive closing it), not incognito (so Chromium judges
/// installability). Returns the context; its first page is `context.pages()[0]`.
export async function launchPhoneProfile(profileDir, { baseURL = BASE_URL, viewport = PHONE } = {}) {
  return chromium.launchPersistentContext(profileDir, { ...CHROMIUM, ...PHONE_CONTEXT, viewport, baseURL });
}

/// A fresh context (no cookies, no storage) the size of a phone, in Chinese like our users.
/// Other options go to Playwright's `newContext` (e.g. `serviceWorkers: 'block'`).
export async function phonePage(browser, { viewport = PHONE, ...options } = {}) {
  const context = await browser.newContext({ ...PHONE_CONTEXT, viewport, baseURL: BASE_URL, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return { context, page, problems };
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/// Every visible button, link and input must be at least 44 CSS px tall and wide enough to hit.
/// A checkbox or radio button inside its label is hit through the label, so the label's box counts.
export async function smallTapTargets(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('a, button, input, select, textarea')]
      .filter((element) => element.offsetParent !== null)
      .map((element) => {
        const target = ['checkbox', 'radio'].includes(element.type) ? (element.closest('label') ?? element) : element;
        const box = target.getBoundingClientRect();
        return { text: (element.textContent || element.name || '').trim(), width: box.width, height: box.height };
      })
      .filter((box) => box.height < 44 || box.width < 44),
  );
}

/// The demo team (scripts/run prints the same list); every password is DEMO_PASSWORD.
export const DEMO_PASSWORD = 'gendan-demo-2026';
export const DEMO_TEAM = {
  sales: { login: '13857123456', name: '王芳', roles: '销售' },
  legal: { login: '13588002211', name: '李强', roles: '法务' },
  warehouse: { login: '13758114477', name: '张伟', roles: '仓储' },
  manager: { login: '13906660088', name: '周健', roles: '经理' },
  admin: { login: '13800000000', name: '管理员', roles: '管理员' },
};

let demoLoaded;
/// Demo orders and the demo team in D1 (a no-op once loaded).
export function ensureDemoData() {
  demoLoaded ??= fetch(`${BASE_URL}/api/dev/demo-data`, { method: 'POST', headers: devHeaders() }).then((response) => {
    if (!response.ok) throw new Error(`demo data: HTTP ${response.status}`);
  });
  return demoLoaded;
}

/// Signs in through the login screen as a person does, and waits until the app shows the
/// page it was sent to (the board by default).
export async function signInAs(page, member, { next = '/' } = {}) {
  await ensureDemoData();
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('手机号或邮箱').fill(member.login);
  await page.getByLabel('密码').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.waitForURL((url) => url.pathname === next.split('?')[0]);
  await page.getByTestId('network-status').waitFor();
}

/// How many orders the app's IndexedDB holds on this page's origin (0 when it has none, or no
/// database at all: the app creates an empty one again when it starts after a wipe).
export function storedOrderCount(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('gendan');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('orders')) {
            db.close();
            resolve(0);
            return;
          }
          const count = db.transaction('orders').objectStore('orders').count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
          count.onerror = () => reject(count.error);
        };
      }),
  );
}
