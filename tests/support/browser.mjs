// Launches Debian's Chromium through playwright-core, with the flags this offline machine needs,
// and opens phone-sized pages. Screenshots go to tests/artifacts/ for people to look at.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE_URL = process.env.BASE_URL ?? (() => {
  throw new Error('BASE_URL is not set: run the tests through scripts/test');
})();

export const PHONE = { width: 390, height: 844 };
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

export async function launchBrowser() {
  return chromium.launch({
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
  });
}

/// A fresh context (no cookies, no storage) the size of a phone, in Chinese like our users.
export async function phonePage(browser, { viewport = PHONE } = {}) {
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    baseURL: BASE_URL,
  });
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
export async function smallTapTargets(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('a, button, input, select, textarea')]
      .filter((element) => element.offsetParent !== null)
      .map((element) => {
        const box = element.getBoundingClientRect();
        return { text: (element.textContent || element.name || '').trim(), width: box.width, height: box.height };
      })
      .filter((box) => box.height < 44 || box.width < 44),
  );
}
