// The first-admin setup of a new deployment. It needs an EMPTY database, which the shared test
// worker no longer has once the demo team is loaded, so these tests start private workers of the
// same build on fresh local D1s: one with a SETUP_TOKEN, one without.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { HAN, USER_KEYS, assertApiError, bearer, d1, freshIp, startPrivateWorker } from '../support/api.mjs';

const SETUP_TOKEN = randomBytes(24).toString('base64url');
const FOUNDER = { name: '创始管理员', login: 'founder@example.com', password: 'founder-password-1' };

let withToken;
let withoutToken;

before(async () => {
  [withToken, withoutToken] = await Promise.all([
    startPrivateWorker({ vars: { SETUP_TOKEN } }),
    startPrivateWorker(),
  ]);
});

after(async () => {
  await Promise.all([withToken?.stop(), withoutToken?.stop()]);
});

const setup = (worker, json, token, ip = freshIp()) =>
  worker.call('/api/auth/setup', {
    json,
    headers: { 'cf-connecting-ip': ip, ...(token === undefined ? {} : { 'x-setup-token': token }) },
  });

test('without a SETUP_TOKEN configured the setup endpoint does not exist (404 disabled)', async () => {
  assertApiError(await setup(withoutToken, FOUNDER, SETUP_TOKEN), 404, 'disabled');
  assertApiError(await setup(withoutToken, FOUNDER), 404, 'disabled');
});

test('setup without the token or with a wrong one is refused with 403 and creates nothing', async () => {
  const error = assertApiError(await setup(withToken, FOUNDER), 403, 'setup_token_invalid');
  assert.match(error.message, HAN);
  assertApiError(await setup(withToken, FOUNDER, ''), 403, 'setup_token_invalid');
  assertApiError(await setup(withToken, FOUNDER, `${SETUP_TOKEN}x`), 403, 'setup_token_invalid');
  assertApiError(await setup(withToken, FOUNDER, SETUP_TOKEN.slice(0, -1)), 403, 'setup_token_invalid');
  const [row] = await d1('SELECT COUNT(*) AS n FROM users', withToken.persistDir);
  assert.equal(row.n, 0);
});

test('setup refuses invalid founder details with 422 and still accepts valid ones afterwards', async () => {
  const error = assertApiError(await setup(withToken, { ...FOUNDER, password: 'short' }, SETUP_TOKEN), 422, 'invalid');
  assert.equal(error.field, 'password');
  assertApiError(await setup(withToken, { ...FOUNDER, login: 'founder' }, SETUP_TOKEN), 422, 'invalid');
  const [row] = await d1('SELECT COUNT(*) AS n FROM users', withToken.persistDir);
  assert.equal(row.n, 0);
});

test('setup with the token creates the first admin once and signs them in', async () => {
  const response = await setup(withToken, FOUNDER, SETUP_TOKEN);
  assert.equal(response.status, 201, response.text);
  assert.deepEqual(Object.keys(response.json).sort(), ['expires_at', 'token', 'user']);
  const { token, user } = response.json;
  assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
  assert.equal(user.name, FOUNDER.name);
  assert.equal(user.login, FOUNDER.login);
  assert.deepEqual(user.roles, ['admin']);
  assert.doesNotMatch(response.text, /founder-password/);

  const list = await withToken.call('/api/admin/users', { headers: bearer(token) });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.users, [user]);

  const signIn = await withToken.call('/api/auth/login', {
    json: { login: FOUNDER.login, password: FOUNDER.password },
    headers: { 'cf-connecting-ip': freshIp() },
  });
  assert.equal(signIn.status, 200, signIn.text);
});

test('setup never works again, even with the right token', async () => {
  const second = { name: '第二位', login: 'second@example.com', password: 'second-password-1' };
  const error = assertApiError(await setup(withToken, second, SETUP_TOKEN), 409, 'setup_closed');
  assert.match(error.message, HAN);
  assertApiError(await setup(withToken, FOUNDER, SETUP_TOKEN), 409, 'setup_closed');
  const rows = await d1('SELECT login FROM users', withToken.persistDir);
  assert.deepEqual(rows, [{ login: FOUNDER.login }]);
});

test('the only active admin can be neither disabled nor demoted (409 last_admin)', async () => {
  const signIn = await withToken.call('/api/auth/login', {
    json: { login: FOUNDER.login, password: FOUNDER.password },
    headers: { 'cf-connecting-ip': freshIp() },
  });
  const { token, user } = signIn.json;
  const patch = (id, json) => withToken.call(`/api/admin/users/${id}`, { method: 'PATCH', json, headers: bearer(token) });

  const error = assertApiError(await patch(user.id, { active: false }), 409, 'last_admin');
  assert.match(error.message, HAN);
  assertApiError(await patch(user.id, { roles: ['sales'] }), 409, 'last_admin');
  assert.equal((await withToken.call('/api/auth/me', { headers: bearer(token) })).status, 200, 'still signed in');

  const created = await withToken.call('/api/admin/users', {
    json: { name: '第二位管理员', login: '13700001111', password: 'second-admin-1', roles: ['admin'] },
    headers: bearer(token),
  });
  assert.equal(created.status, 201, created.text);
  const demoted = await patch(user.id, { roles: ['sales'] });
  assert.equal(demoted.status, 200, 'with another admin the first one can step down');
  assert.deepEqual(demoted.json.user.roles, ['sales']);
});
