// The admin's team management API, the demo team, and the first-admin setup on a deployment that
// already has accounts.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO_ADMIN,
  DEMO_PASSWORD,
  DEMO_SALES,
  HAN,
  USER_KEYS,
  adminToken,
  api,
  assertApiError,
  bearer,
  createUser,
  loadDemoData,
  freshIp,
  signIn,
  uniqueLogin,
} from '../support/api.mjs';

let admin;

before(async () => {
  admin = await adminToken();
});

const asAdmin = (path, options = {}) => api(path, { ...options, headers: bearer(admin) });
const patchUser = (id, json) => asAdmin(`/api/admin/users/${id}`, { method: 'PATCH', json });

test('the demo data creates the demo team as accounts, with the ids the demo orders use', async () => {
  const seeded = await loadDemoData();
  assert.equal(seeded.demo_password, DEMO_PASSWORD);
  // Nine: 周健 (经理, manager) joined the demo team with the analytics screen.
  assert.equal(seeded.demo_logins.length, 9);
  assert.deepEqual(seeded.demo_logins[0], { name: '王芳', login: DEMO_SALES.login, roles: ['sales'] });
  assert.ok(seeded.demo_logins.some((entry) => entry.login === DEMO_ADMIN.login && entry.roles.includes('admin')));
  for (const entry of seeded.demo_logins) {
    const { user } = await signIn(entry.login, DEMO_PASSWORD);
    assert.equal(user.name, entry.name);
  }
  const { user } = await signIn(DEMO_SALES.login, DEMO_PASSWORD);
  assert.equal(user.id, DEMO_SALES.id);
  assert.equal(user.work_phone, DEMO_SALES.login);
});

test('loading the demo data again creates no accounts', async () => {
  const again = await loadDemoData();
  assert.equal(again.users_created, 0);
  assert.equal(again.already_had_users, true);
  assert.equal(again.demo_logins.length, 9);
});

test('an admin creates an account and gets it back without any password material', async () => {
  const login = uniqueLogin('new');
  const response = await asAdmin('/api/admin/users', {
    json: { name: ' 周杰 ', login, password: 'first-password', roles: ['warehouse', 'sales', 'sales'], work_phone: '0571-8888 1234' },
  });
  assert.equal(response.status, 201, response.text);
  const { user } = response.json;
  assert.deepEqual(Object.keys(response.json), ['user']);
  assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
  assert.match(user.id, /^u-[0-9a-f-]{36}$/);
  assert.equal(user.name, '周杰');
  assert.equal(user.login, login);
  assert.deepEqual(user.roles, ['sales', 'warehouse']);
  assert.equal(user.active, true);
  assert.equal(user.work_phone, '0571-8888 1234');
  assert.doesNotMatch(response.text, /password|salt|hash|first-password/i);

  const list = await asAdmin('/api/admin/users');
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(Object.keys(list.json), ['users']);
  for (const listed of list.json.users) assert.deepEqual(Object.keys(listed).sort(), USER_KEYS);
  assert.deepEqual(list.json.users.find((listed) => listed.id === user.id), user);
  assert.doesNotMatch(list.text, /password|salt|hash/i);

  await signIn(login, 'first-password');
});

test('a login already in use, in any letter case or spacing, is refused with 409 login_taken', async () => {
  const member = await createUser(admin, { login: uniqueLogin('Taken') });
  const error = assertApiError(
    await asAdmin('/api/admin/users', { json: { name: '重复', login: member.login.toLowerCase(), password: 'password-1', roles: ['sales'] } }),
    409,
    'login_taken',
  );
  assert.match(error.message, HAN);
  assertApiError(
    await asAdmin('/api/admin/users', { json: { name: '重复', login: '138 5712 3456', password: 'password-1', roles: ['sales'] } }),
    409,
    'login_taken',
  );
});

test('invalid account fields are refused with 422 invalid naming the field', async () => {
  const valid = { name: '合规', login: uniqueLogin(), password: 'password-1', roles: ['sales'] };
  const cases = [
    [{ name: '   ' }, 'name'],
    [{ name: '名'.repeat(51) }, 'name'],
    [{ login: 'not-a-login' }, 'login'],
    [{ login: '1234' }, 'login'],
    [{ login: '123456789012345678901' }, 'login'],
    [{ login: 'a@b' }, 'login'],
    [{ login: `${'x'.repeat(250)}@example.com` }, 'login'],
    [{ roles: [] }, 'roles'],
    [{ roles: ['boss'] }, 'roles'],
    [{ roles: ['sales', 'root'] }, 'roles'],
    [{ password: 'short' }, 'password'],
    [{ password: 'x'.repeat(129) }, 'password'],
    [{ work_phone: 'call me' }, 'work_phone'],
  ];
  for (const [change, field] of cases) {
    const error = assertApiError(await asAdmin('/api/admin/users', { json: { ...valid, ...change } }), 422, 'invalid');
    assert.equal(error.field, field, JSON.stringify(change));
    assert.match(error.message, HAN);
  }
  assertApiError(await asAdmin('/api/admin/users', { json: { ...valid, password_hash: 'x' } }), 400, 'malformed_json');
  assertApiError(await asAdmin('/api/admin/users', { json: { name: 'x', login: uniqueLogin() } }), 400, 'malformed_json');
  const list = await asAdmin('/api/admin/users');
  assert.ok(!list.json.users.some((user) => user.login === valid.login), 'nothing was stored');
});

test('an admin edits name, roles and work phone; null clears the phone and absent fields stay', async () => {
  const member = await createUser(admin, { roles: ['legal'], work_phone: '13911112222' });
  const renamed = await patchUser(member.id, { name: '新名字', roles: ['legal', 'finance'] });
  assert.equal(renamed.status, 200, renamed.text);
  assert.deepEqual(Object.keys(renamed.json.user).sort(), USER_KEYS);
  assert.equal(renamed.json.user.name, '新名字');
  assert.deepEqual(renamed.json.user.roles, ['legal', 'finance']);
  assert.equal(renamed.json.user.work_phone, '13911112222');
  assert.ok(renamed.json.user.updated_at >= member.updated_at);

  const cleared = await patchUser(member.id, { work_phone: null });
  assert.equal(cleared.status, 200, cleared.text);
  assert.equal(cleared.json.user.work_phone, null);
  assert.equal(cleared.json.user.name, '新名字');

  assertApiError(await patchUser(member.id, { roles: [] }), 422, 'invalid');
  assertApiError(await patchUser(member.id, { name: '' }), 422, 'invalid');
  assertApiError(await patchUser(member.id, { login: 'other@example.com' }), 400, 'malformed_json');
  assertApiError(await patchUser(member.id, { active: 'no' }), 400, 'malformed_json');
});

test('an unknown account id answers 404 user_not_found', async () => {
  assertApiError(await patchUser('u-does-not-exist', { name: '谁' }), 404, 'user_not_found');
  assertApiError(
    await asAdmin('/api/admin/users/u-does-not-exist/password', { json: { password: 'password-1' } }),
    404,
    'user_not_found',
  );
});

test('a password reset refuses a password that is too short', async () => {
  const member = await createUser(admin);
  const error = assertApiError(
    await asAdmin(`/api/admin/users/${member.id}/password`, { json: { password: '1234567' } }),
    422,
    'invalid',
  );
  assert.equal(error.field, 'password');
  await signIn(member.login, member.password);
});

test('the first-admin setup is closed on a deployment that already has accounts', { skip: !process.env.SETUP_TOKEN && 'SETUP_TOKEN is not exported (scripts/test does)' }, async () => {
  const body = { name: '第二个创始人', login: uniqueLogin('founder'), password: 'founder-password' };
  assertApiError(
    await api('/api/auth/setup', { json: body, headers: { 'x-setup-token': process.env.SETUP_TOKEN } }),
    409,
    'setup_closed',
  );
  assertApiError(
    await api('/api/auth/setup', { json: body, headers: { 'x-setup-token': `${process.env.SETUP_TOKEN}-wrong`, 'cf-connecting-ip': freshIp() } }),
    403,
    'setup_token_invalid',
  );
  const list = await asAdmin('/api/admin/users');
  assert.ok(!list.json.users.some((user) => user.login === body.login));
});
