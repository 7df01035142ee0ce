// The dev-only routes (/api/dev/*: demo data, benchmark baselines, the cron's clock) need the
// DEV_SECRET in X-Dev-Secret on top of DEMO_DATA=enabled, and demo data (one published password)
// is never added to a database that has real accounts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEMO_ADMIN, DEMO_PASSWORD, api, assertApiError, d1, devHeaders, freshIp, startPrivateWorker } from '../support/api.mjs';

const DEV_ROUTES = ['/api/dev/demo-data', '/api/dev/bench/constant', `/api/dev/notify/cron?time=${Date.now()}`];

test('without the dev secret every dev route answers 404 disabled, even with DEMO_DATA=enabled', async () => {
  for (const path of DEV_ROUTES) {
    assertApiError(await api(path, { method: 'POST' }), 404, 'disabled');
    assertApiError(await api(path, { method: 'POST', headers: { 'x-dev-secret': '' } }), 404, 'disabled');
    assertApiError(
      await api(path, { method: 'POST', headers: { 'x-dev-secret': `${devHeaders()['x-dev-secret']}x` } }),
      404,
      'disabled',
    );
  }
  // The upload benchmark's floor (a PUT into R2) is behind the same gate: nothing is stored.
  const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
  assertApiError(await api('/api/dev/bench/r2/gatecheck', { method: 'PUT', body: bytes }), 404, 'disabled');
  // The same routes answer with the secret: the gate is the secret, not a missing route.
  assert.equal((await api('/api/dev/bench/constant', { method: 'POST', headers: devHeaders() })).status, 200);
  const put = await api('/api/dev/bench/r2/gatecheck', { method: 'PUT', body: bytes, headers: devHeaders() });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.stored, 4);
});

let founded;
const SETUP_TOKEN = randomBytes(24).toString('base64url');

before(async () => {
  founded = await startPrivateWorker({ vars: { SETUP_TOKEN, DEMO_DATA: 'enabled' } });
});

after(async () => {
  await founded?.stop();
});

test('demo data is refused (409) once a real account exists, and adds neither orders nor the demo admin', async () => {
  const setup = await founded.call('/api/auth/setup', {
    json: { name: '创始管理员', login: 'founder@example.com', password: 'founder-password-1' },
    headers: { 'x-setup-token': SETUP_TOKEN, 'cf-connecting-ip': freshIp() },
  });
  assert.equal(setup.status, 201, setup.text);

  const refused = assertApiError(
    await founded.call('/api/dev/demo-data', { method: 'POST', headers: devHeaders() }),
    409,
    'demo_data_refused',
  );
  assert.match(refused.message, /演示数据/);
  const [orders] = await d1('SELECT COUNT(*) AS n FROM orders', founded.persistDir);
  assert.equal(orders.n, 0);
  const [users] = await d1('SELECT COUNT(*) AS n FROM users', founded.persistDir);
  assert.equal(users.n, 1);
  assertApiError(
    await founded.call('/api/auth/login', {
      json: { login: DEMO_ADMIN.login, password: DEMO_PASSWORD },
      headers: { 'cf-connecting-ip': freshIp() },
    }),
    401,
    'invalid_credentials',
  );
});
