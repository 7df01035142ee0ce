// Lighthouse scores (mobile: simulated slow 4G and a 4x slower CPU, Lighthouse's defaults) for
// the team board and the customer page, against a running worker. The board needs a signed-in
// session, which lives in IndexedDB: a Chromium profile signs in first (through the login
// screen, as a person does) and Lighthouse then audits that same browser without resetting its
// storage. Installability is checked through the DevTools protocol (Lighthouse 12 has no PWA
// category any more).
//
// Usage: node scripts/lighthouse.mjs <base url>   (prints one "LIGHTHOUSE ..." line per page)
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lighthouse from 'lighthouse';
import { chromium } from 'playwright-core';

const base = (process.argv[2] ?? '').replace(/\/+$/, '');
if (!base) throw new Error('usage: node scripts/lighthouse.mjs <base url>');
const LOGIN = process.env.LIGHTHOUSE_LOGIN ?? '13857123456';
const PASSWORD = process.env.LIGHTHOUSE_PASSWORD ?? 'gendan-demo-2026';

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

/// A Chromium on a profile of its own, with the DevTools port Lighthouse drives.
async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'gendan-lighthouse-'));
  const port = await freePort();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--remote-debugging-port=${port}`],
    viewport: { width: 390, height: 844 },
    locale: 'zh-CN',
  });
  return { context, port, close: async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  } };
}

async function audit(port, name, path, firstVisit) {
  const result = await lighthouse(`${base}${path}`, {
    port,
    output: 'json',
    logLevel: 'error',
    disableStorageReset: !firstVisit,
    onlyCategories: ['performance', 'accessibility', 'best-practices'],
  });
  const lhr = result.lhr;
  const score = (id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
  const value = (id) => lhr.audits[id]?.displayValue?.replace(/\s+/g, '') ?? '-';
  const failing = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative'
      && a.scoreDisplayMode !== 'notApplicable' && a.scoreDisplayMode !== 'manual')
    .map((a) => a.id);
  // What keeps accessibility below 100: the elements, so they can be fixed.
  for (const ref of lhr.categories.accessibility.auditRefs) {
    const a = lhr.audits[ref.id];
    if (a.score === null || a.score === 1) continue;
    const nodes = (a.details?.items ?? []).map((item) => item.node?.snippet ?? '').filter(Boolean);
    console.log(`A11Y ${name} ${a.id}: ${nodes.slice(0, 5).join(' | ')}`);
  }
  console.log(`LIGHTHOUSE ${name} visit=${firstVisit ? 'first' : 'returning'} performance=${score('performance')} accessibility=${score('accessibility')} `
    + `best_practices=${score('best-practices')} fcp=${value('first-contentful-paint')} `
    + `lcp=${value('largest-contentful-paint')} tbt=${value('total-blocking-time')} `
    + `cls=${value('cumulative-layout-shift')} below_90=${failing.join(',') || 'none'}`);
}

// The board and 今天 as a team member opens them every day: signed in, the app installed (the
// service worker and the session are kept).
const member = await launch();
try {
  const page = member.context.pages()[0] ?? (await member.context.newPage());
  await page.goto(`${base}/login`);
  await page.getByLabel('手机号或邮箱').fill(LOGIN);
  await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  // Sales people land on 今天, others on the board.
  await page.getByRole('heading', { name: /^(今天|订单看板)$/ }).waitFor();
  await page.evaluate(() => navigator.serviceWorker.ready);
  // Returning means the orders are on this device: the first pull has finished (the sync status
  // says 已同步). Audited before that, the board would be measured filling in from the network.
  await page.locator('.sync-status').getByText(/已同步/).waitFor();
  const cdp = await member.context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  console.log(`INSTALLABLE ${installabilityErrors.length === 0 ? 'yes' : 'no'} errors=${JSON.stringify(installabilityErrors)}`);
  await cdp.detach();
  await page.goto('about:blank');
  await audit(member.port, 'board', '/', false);
  await audit(member.port, 'today', '/today', false);
} finally {
  await member.close();
}

// First visits on a profile that never saw the app (Lighthouse also clears the origin's storage
// and the cache before each): the sign-in screen and the start address as a new member meets
// them from the link in a message, the customer page as a customer does.
const stranger = await launch();
try {
  await audit(stranger.port, 'login', '/login', true);
  await audit(stranger.port, 'start', '/', true);
  await audit(stranger.port, 'customer_page', '/track', true);
} finally {
  await stranger.close();
}
