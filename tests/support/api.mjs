// Small helpers for the API tests: where the worker is, one way to call it, the demo data, and
// (further down) accounts: signing in, reading D1 directly, a private worker.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE_URL = (() => {
  const url = process.env.BASE_URL;
  if (!url) {
    throw new Error('BASE_URL is not set: run the tests through scripts/test (or set BASE_URL=http://127.0.0.1:PORT)');
  }
  return url.replace(/\/+$/, '');
})();

/// Calls the worker. `json` is sent as application/json; `body` is sent as is (with whatever
/// `headers` say). Returns the status, the headers, the raw text and the parsed JSON (or
/// `undefined` when the body is not JSON).
/// `baseUrl` calls another worker than the one under test (see `startPrivateWorker`).
export async function api(path, { method, json, body, headers = {}, baseUrl = BASE_URL } = {}) {
  const init = { method: method ?? (json === undefined && body === undefined ? 'GET' : 'POST'), headers: { ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] ??= 'application/json';
  } else if (body !== undefined) {
    init.body = body;
    if (typeof body?.getReader === 'function') init.duplex = 'half';
  }
  let response = await fetch(`${baseUrl}${path}`, init);
  let text = await response.text();
  if (response.status === 503 && text.startsWith(RESTARTED_MID_REQUEST) && !init.duplex) {
    // wrangler dev's own proxy answers this when it reloads the worker under a request (it retries
    // only GET and HEAD itself): the dev server's doing, never the worker's. Once it answers again
    // the request is sent a second time, and said on stderr so a run shows it happened.
    console.error(`# wrangler dev at ${baseUrl} reloaded during ${init.method} ${path}; sent again once it was healthy`);
    await waitForHealth(baseUrl);
    response = await fetch(`${baseUrl}${path}`, init);
    text = await response.text();
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: parsed };
}

const RESTARTED_MID_REQUEST = 'Your worker restarted mid-request.';

/// Waits up to 60 s for a worker's /api/health to answer 200.
async function waitForHealth(baseUrl) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}/api/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${baseUrl} did not answer /api/health within 60 s`);
}

/// The headers every dev-only route (/api/dev/*) wants besides DEMO_DATA=enabled: the
/// DEV_SECRET that scripts/lib.sh's ensure_dev_vars keeps in worker/.dev.vars (and exports).
/// Private workers read the same file, so one secret opens the shared and the private ones.
let devSecret;
export function devHeaders() {
  devSecret ??= process.env.DEV_SECRET ??
    readFileSync(new URL('../../worker/.dev.vars', import.meta.url), 'utf8').match(/^DEV_SECRET=(.*)$/m)?.[1];
  if (!devSecret) throw new Error('no DEV_SECRET: run the tests through scripts/test (it writes worker/.dev.vars)');
  return { 'x-dev-secret': devSecret };
}

/// Loads the demo orders and the demo team into the database if it has none yet (harmless when
/// it already has) and returns the whole answer: the orders part (`inserted`,
/// `already_had_orders`) and the accounts part (`users_created`, `already_had_users`,
/// `demo_logins`, `demo_password`).
export async function loadDemoData() {
  const response = await api('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
  assert.equal(
    response.status,
    200,
    `POST /api/dev/demo-data failed (is the worker started with --var DEMO_DATA:enabled and worker/.dev.vars's DEV_SECRET?): ${response.text}`,
  );
  assert.equal(typeof response.json?.inserted, 'number');
  assert.equal(typeof response.json?.already_had_orders, 'boolean');
  assert.equal(typeof response.json?.users_created, 'number');
  assert.equal(typeof response.json?.already_had_users, 'boolean');
  assert.ok(Array.isArray(response.json?.demo_logins));
  assert.equal(typeof response.json?.demo_password, 'string');
  return response.json;
}

/// Loads the demo data like `loadDemoData` and returns the orders part of the answer,
/// `{inserted, already_had_orders}`.
export async function ensureDemoData() {
  const { inserted, already_had_orders } = await loadDemoData();
  return { inserted, already_had_orders };
}

/// Asserts that a response is one of the worker's JSON error answers with this status and code.
export function assertApiError(response, status, code) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  assert.ok(response.json?.error, `error answers carry an "error" object: ${response.text}`);
  assert.equal(response.json.error.code, code);
  return response.json.error;
}

/// True when a text contains Chinese characters.
export const HAN = /\p{Script=Han}/u;

// ---------------------------------------------------------------------------------------------
// Accounts: signing in, calling as someone, reading D1 directly, and a private worker for tests
// that need an empty database.


export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WORKER_DIR = join(ROOT, 'worker');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');

/// The password of every demo account (worker/src/demo_data.rs) and the demo team's logins
/// (their phone numbers in domain/src/demo.rs).
export const DEMO_PASSWORD = 'gendan-demo-2026';
export const DEMO_ADMIN = { id: 'u-admin', login: '13800000000' };
export const DEMO_SALES = { id: 'u-wangfang', login: '13857123456' };

/// The keys of an account as the API shows it: never a password hash or salt.
export const USER_KEYS = ['active', 'created_at', 'id', 'login', 'name', 'roles', 'updated_at', 'work_phone'];

export const bearer = (token) => ({ authorization: `Bearer ${token}` });

/// A client address no other test uses (IPv6 documentation prefix, random per call), sent as
/// CF-Connecting-IP: wrangler dev passes a client's CF-Connecting-IP through (Cloudflare's edge
/// would overwrite it), so tests that fail sign-ins on purpose never lock 127.0.0.1 for the rest.
export function freshIp() {
  const hex = randomBytes(8).toString('hex').match(/.{4}/g).join(':');
  return `2001:db8:${hex}::1`;
}

/// A login no other test uses.
export function uniqueLogin(prefix = 'member') {
  return `${prefix}.${Date.now().toString(36)}${randomBytes(4).toString('hex')}@example.com`;
}

/// POST /api/auth/login, from a fresh client address unless `ip` is given.
export function login(loginName, password, { ip = freshIp() } = {}) {
  return api('/api/auth/login', { json: { login: loginName, password }, headers: { 'cf-connecting-ip': ip } });
}

/// Signs in and returns `{token, expires_at, user}`, failing the test otherwise.
export async function signIn(loginName, password) {
  const response = await login(loginName, password);
  assert.equal(response.status, 200, `sign-in as ${loginName} failed: ${response.text}`);
  assert.equal(typeof response.json.token, 'string');
  return response.json;
}

/// A session of the demo admin (loads the demo data first).
export async function adminToken() {
  await loadDemoData();
  return (await signIn(DEMO_ADMIN.login, DEMO_PASSWORD)).token;
}

/// The board summary as a signed-in team member sees it (the demo sales person's session,
/// signed in once per test file).
let salesSession;
export async function boardSummary() {
  salesSession ??= signIn(DEMO_SALES.login, DEMO_PASSWORD);
  return api('/api/board/summary', { headers: bearer((await salesSession).token) });
}

/// Creates an account through the admin API and returns it (with the password used).
export async function createUser(token, fields = {}) {
  const body = {
    name: '测试成员',
    login: uniqueLogin(),
    password: `pw-${randomBytes(6).toString('hex')}`,
    roles: ['sales'],
    ...fields,
  };
  const response = await api('/api/admin/users', { json: body, headers: bearer(token) });
  assert.equal(response.status, 201, `creating ${body.login} failed: ${response.text}`);
  return { ...response.json.user, password: body.password };
}

export const sha256Hex = (text) => createHash('sha256').update(text).digest('hex');

/// Runs one SQL statement on the local D1 of the worker under test (through `wrangler d1
/// execute`) and returns its rows. Needs D1_PERSIST_DIR, which scripts/test exports.
export async function d1(sql, persistDir = process.env.D1_PERSIST_DIR) {
  if (!persistDir) {
    throw new Error('D1_PERSIST_DIR is not set: run the tests through scripts/test (or export the --persist-to directory)');
  }
  const stdout = await new Promise((resolve, reject) => {
    const child = execFile(
      WRANGLER,
      ['d1', 'execute', 'DB', '--local', '--persist-to', persistDir, '--command', sql, '--json'],
      { cwd: WORKER_DIR, maxBuffer: 16 * 1024 * 1024 },
      (error, out, err) => (error ? reject(new Error(`wrangler d1 execute failed: ${err || error.message}`)) : resolve(out)),
    );
    child.stdin.end();
  });
  const [result] = JSON.parse(stdout);
  assert.ok(result?.success, `SQL failed: ${sql}: ${stdout}`);
  return result.results;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')}: ${output}`))));
  });
}

/// Starts a private `wrangler dev` of the built worker on a fresh, migrated local D1 (for tests
/// that need an empty database, such as the first-admin setup, or a worker they may kill).
/// `vars` become `--var`s; `args` are extra `wrangler dev` arguments (e.g. `--assets DIR`);
/// `port` pins the port (default: any free one).
/// Returns `{url, persistDir, call(path, options), kill(), restart(), stop()}`: `kill()` ends the
/// process group with SIGKILL and keeps the D1 state, `restart()` starts it again on the same
/// port and state, `stop()` ends it and deletes the state. Always `stop()` it.
export async function startPrivateWorker({ vars = {}, args = [], port: fixedPort } = {}) {
  const persistDir = mkdtempSync(join(tmpdir(), 'gendan-private-d1-'));
  await run(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir], { cwd: WORKER_DIR });
  let port = fixedPort ?? (await freePort());
  let url = `http://127.0.0.1:${port}`;
  const varArgs = Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]);
  let child;
  let exited;

  const spawnWorker = async () => {
    const inspectorPort = await freePort();
    mkdirSync(join(ROOT, 'target'), { recursive: true });
    const log = join(ROOT, 'target', `wrangler-private-${port}.log`);
    const logFd = openSync(log, 'a');
    child = spawn(
      WRANGLER,
      ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort),
        '--persist-to', persistDir, '--show-interactive-dev-session=false', ...varArgs, ...args],
      // Its own process group, so that stopping it also stops workerd.
      { cwd: WORKER_DIR, detached: true, stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd);
    const self = child;
    exited = new Promise((done) => self.once('exit', done));
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        const response = await fetch(`${url}/api/health`);
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (self.exitCode !== null || Date.now() > deadline) {
        const early = self.exitCode !== null;
        await end('SIGKILL');
        const tail = readFileSync(log, 'utf8').split('\n').slice(-25).join('\n');
        throw Object.assign(new Error(`the private wrangler dev did not become healthy (${early ? 'it exited' : 'no answer in 90 s'}; log: ${log}):\n${tail}`), { early });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const end = async (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
    const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!done) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    }
  };
  const kill = () => end('SIGKILL');
  const restart = () => spawnWorker();
  const stop = async () => {
    await end('SIGTERM');
    rmSync(persistDir, { recursive: true, force: true });
  };
  try {
    try {
      await spawnWorker();
    } catch (error) {
      // A port taken between freePort() and wrangler binding it ends wrangler at once: one more
      // try on fresh ports (the log above says why it ended).
      if (!error.early || fixedPort) throw error;
      console.error(`# ${error.message}\n# starting the private wrangler dev again on another port`);
      port = await freePort();
      url = `http://127.0.0.1:${port}`;
      await spawnWorker();
    }
  } catch (error) {
    rmSync(persistDir, { recursive: true, force: true });
    throw error;
  }
  const call = (apiPath, options) => api(apiPath, { ...options, baseUrl: url });
  return { url, port, persistDir, call, kill, restart, stop };
}

/// A private worker (`startPrivateWorker`) with the demo data loaded, for tests that change what
/// every later test would see (the process, the holiday calendar, imports). Adds
/// `signIn(login)` → a demo account's session token (from a fresh client address) and
/// `as(token, path, options)` → `call` with that session. `vars` are added to DEMO_DATA.
export async function startDemoWorker({ vars = {}, ...options } = {}) {
  const worker = await startPrivateWorker({ vars: { DEMO_DATA: 'enabled', ...vars }, ...options });
  const demo = await worker.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() });
  if (demo.status !== 200) {
    await worker.stop();
    assert.fail(`loading the demo data into the private worker failed: ${demo.status} ${demo.text}`);
  }
  const signIn = async (login) => {
    const response = await worker.call('/api/auth/login', {
      json: { login, password: DEMO_PASSWORD },
      headers: { 'cf-connecting-ip': freshIp() },
    });
    assert.equal(response.status, 200, `sign-in as ${login} failed: ${response.text}`);
    return response.json.token;
  };
  const as = (token, path, options = {}) => worker.call(path, { ...options, headers: { ...options.headers, ...bearer(token) } });
  return { ...worker, signIn, as };
}

/// Every order the server has, as `token` pulls them from a fresh device id, following `more`
/// (pages are cut by count and by bytes): a Map by order id, last version wins.
export async function pullEveryOrder(token) {
  const device = (await import('node:crypto')).randomUUID();
  const orders = new Map();
  for (let cursor = 0, more = true; more; ) {
    const page = await api(`/api/sync/pull?device_id=${device}&cursor=${cursor}&limit=1000`, { headers: bearer(token) });
    assert.equal(page.status, 200, page.text.slice(0, 300));
    for (const order of page.json.orders) orders.set(order.id, order);
    cursor = page.json.cursor;
    more = page.json.more;
  }
  return orders;
}

/// A `create_order` mutation as a phone pushes it (one line item), for sync tests.
export function createOrderMutation(orderId, { number = null, company = '杭州同步测试有限公司', owner = null } = {}) {
  return {
    type: 'create_order',
    order_id: orderId,
    number,
    customer: { company, contact: '周建国', phone: '138 5710 1234', email: null, address: null },
    items: [{ product: '精梳棉纱 32S', quantity: 10, unit_price: 2350 }],
    expected_delivery: null,
    owner,
    note: null,
    note_id: null,
  };
}
